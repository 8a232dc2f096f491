package ramcred

import (
	"fmt"
	"sort"
)

// AccessKey is one of a RAM user's AccessKeys. The id is an identifier,
// not a secret; the AccessKey secret is never read.
type AccessKey struct {
	ID     string `json:"id"`
	Status string `json:"status"` // Active or Inactive
}

// Policy is a policy attached to a RAM user.
type Policy struct {
	Name string `json:"name"`
	Type string `json:"type"` // System or Custom
}

// Blockers is what a RAM user still has that makes RAM refuse to delete it
// (AccessKeys, MFA, group memberships, attached policies), plus its console
// login profile, which does not block the delete but is access, so
// offboarding removes it too.
type Blockers struct {
	AccessKeys   []AccessKey `json:"accessKeys,omitempty"`
	LoginProfile bool        `json:"loginProfile,omitempty"`
	MFADevice    string      `json:"mfaDevice,omitempty"`
	Groups       []string    `json:"groups,omitempty"`
	Policies     []Policy    `json:"policies,omitempty"`
}

// Blocking reports whether RAM would refuse to delete the user.
func (b Blockers) Blocking() bool {
	return len(b.AccessKeys) > 0 || b.MFADevice != "" || len(b.Groups) > 0 || len(b.Policies) > 0
}

// List names each blocker, in the order offboarding clears them:
// `AccessKey LTAI5t… (Active)`, `MFA device acs:ram::…`, `group devs`,
// `policy AliyunECSFullAccess (System)`. The login profile is listed only
// when something else blocks too, since it alone does not block.
func (b Blockers) List() []string {
	var out []string
	keys := append([]AccessKey(nil), b.AccessKeys...)
	sort.Slice(keys, func(i, j int) bool { return keys[i].ID < keys[j].ID })
	for _, k := range keys {
		out = append(out, fmt.Sprintf("AccessKey %s (%s)", k.ID, k.Status))
	}
	if b.LoginProfile && b.Blocking() {
		out = append(out, "console login profile")
	}
	if b.MFADevice != "" {
		out = append(out, "MFA device "+b.MFADevice)
	}
	groups := append([]string(nil), b.Groups...)
	sort.Strings(groups)
	for _, g := range groups {
		out = append(out, "group "+g)
	}
	pols := append([]Policy(nil), b.Policies...)
	sort.Slice(pols, func(i, j int) bool { return pols[i].Name < pols[j].Name })
	for _, p := range pols {
		out = append(out, fmt.Sprintf("policy %s (%s)", p.Name, p.Type))
	}
	return out
}

// Step is one thing offboarding did to a RAM user.
type Step struct {
	// Action is the RAM OpenAPI action: UpdateAccessKey, DeleteAccessKey,
	// DeleteLoginProfile, UnbindMFADevice, RemoveUserFromGroup,
	// DetachPolicyFromUser, UpdateUser (the Comments), or the IMS action
	// UpdateLoginProfile (console login on or off).
	Action string `json:"action"`
	// Target is what it acted on: an AccessKey id, a group, a policy; for
	// UpdateLoginProfile the new Status, for UpdateUser the new Comments.
	Target string `json:"target,omitempty"`
	// Result is "done", or "already done" when RAM said the thing was
	// already gone (a retry after a partial run).
	Result string `json:"result"`
}
