package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// RAMActions are exactly the RAM OpenAPI actions offboarding's cleanup
// calls (pkg/ramcred), in call order. ram:GetUser is not among them.
var RAMActions = []string{
	"ram:ListAccessKeys", "ram:UpdateAccessKey", "ram:DeleteAccessKey",
	"ram:GetLoginProfile", "ram:DeleteLoginProfile",
	"ram:GetUserMFAInfo", "ram:UnbindMFADevice",
	"ram:ListGroupsForUser", "ram:RemoveUserFromGroup",
	"ram:ListPoliciesForUser", "ram:DetachPolicyFromUser",
}

// ramExtra are the resources RAM checks besides the user for two
// actions (RAM API reference, "RAM authorization"): the group for
// RemoveUserFromGroup, the custom or system policy for DetachPolicyFromUser.
var ramExtra = map[string][]string{
	"ram:RemoveUserFromGroup":  {"acs:ram:*:${accountId}:group/*"},
	"ram:DetachPolicyFromUser": {"acs:ram:*:${accountId}:policy/*", "acs:ram:*:system:policy/*"},
}

// SecretVars are the environment variables that name Secrets Manager
// secrets; the role may read exactly those secrets.
var SecretVars = []string{"SCIM_SECRET_NAME", "WEBHOOK_SECRET_NAME", "ROSTER_AUTH_SECRET_NAME"}

// TestAccountID stands for ${accountId} when the policy is rendered here.
const TestAccountID = "1234567890123456"

var placeholderRE = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// CheckPolicy checks the role policy (RAM policy language, placeholders
// ${accountId} and ${<s.yaml var>}) against the rendered s.yaml: valid,
// no wildcard actions, kms:GetSecretValue on exactly the secrets s.yaml
// names, log:PostLogStoreLogs on the logstore of logConfig,
// mns:PublishMessage on the failure destination's topic, and exactly
// [RAMActions] on RAM users (plus the group and policy resources RAM
// requires for two of them).
func CheckPolicy(policy []byte, doc Doc) []string {
	var p problemList
	vars := mapAt(doc, "vars")
	rendered := placeholderRE.ReplaceAllStringFunc(string(policy), func(ph string) string {
		name := ph[2 : len(ph)-1]
		if name == "accountId" {
			return TestAccountID
		}
		v, ok := vars[name].(string)
		if !ok {
			p.add("placeholder %s is not a var of s.yaml", ph)
			return ph
		}
		return v
	})
	var pol struct {
		Version   string
		Statement []struct {
			Effect    string
			Action    stringList
			Resource  stringList
			Condition map[string]any
		}
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(rendered)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pol); err != nil {
		p.add("not a RAM policy document: %v", err)
		return p.list
	}
	if pol.Version != "1" {
		p.add("Version is %q, want \"1\"", pol.Version)
	}
	granted := map[string][]string{} // action → resources
	for i, st := range pol.Statement {
		if st.Effect != "Allow" {
			p.add("Statement[%d].Effect is %q: this policy only allows", i, st.Effect)
			continue
		}
		for _, a := range st.Action {
			if strings.Contains(a, "*") {
				p.add("Statement[%d]: wildcard action %q", i, a)
			}
			for _, r := range st.Resource {
				if r == "*" {
					p.add("Statement[%d]: %s on every resource (\"*\")", i, a)
				}
				granted[a] = append(granted[a], r)
			}
		}
	}

	region := str(vars, "region")
	acct := func(s string) string { return strings.ReplaceAll(s, "${accountId}", TestAccountID) }

	// KMS: exactly the named secrets.
	var secrets []string
	for _, name := range sortedKeys(mapAt(doc, "resources")) {
		env := mapAt(doc, "resources", name, "props", "environmentVariables")
		for _, k := range SecretVars {
			if s := str(env, k); s != "" && !slices.Contains(secrets, s) {
				secrets = append(secrets, s)
			}
		}
	}
	var wantKMS []string
	for _, s := range secrets {
		wantKMS = append(wantKMS, fmt.Sprintf("acs:kms:%s:%s:secret/%s", region, TestAccountID, s))
	}
	p.sameSet("kms:GetSecretValue", granted["kms:GetSecretValue"], wantKMS)

	// Log Service: the logstore every function writes to.
	var wantLog []string
	for _, name := range sortedKeys(mapAt(doc, "resources")) {
		lc := mapAt(doc, "resources", name, "props", "logConfig")
		if lc == nil {
			continue
		}
		r := fmt.Sprintf("acs:log:%s:%s:project/%s/logstore/%s", region, TestAccountID, str(lc, "project"), str(lc, "logstore"))
		if !slices.Contains(wantLog, r) {
			wantLog = append(wantLog, r)
		}
	}
	p.sameSet("log:PostLogStoreLogs", granted["log:PostLogStoreLogs"], wantLog)

	// MNS: publish to the async failure topic(s) only.
	var wantMNS []string
	for _, name := range sortedKeys(mapAt(doc, "resources")) {
		d := str(mapAt(doc, "resources", name, "props", "asyncInvokeConfig", "destinationConfig", "onFailure"), "destination")
		if _, rest, ok := strings.Cut(d, "/topics/"); ok {
			topic := strings.TrimSuffix(rest, "/messages")
			for _, r := range []string{
				fmt.Sprintf("acs:mns:%s:%s:/topics/%s", region, TestAccountID, topic),
				fmt.Sprintf("acs:mns:%s:%s:/topics/%s/messages", region, TestAccountID, topic),
			} {
				if !slices.Contains(wantMNS, r) {
					wantMNS = append(wantMNS, r)
				}
			}
		}
	}
	p.sameSet("mns:PublishMessage", granted["mns:PublishMessage"], wantMNS)

	// RAM: exactly the cleanup actions, on users (and group/policy).
	for _, a := range RAMActions {
		want := []string{acct("acs:ram:*:${accountId}:user/*")}
		for _, r := range ramExtra[a] {
			want = append(want, acct(r))
		}
		p.sameSet(a, granted[a], want)
	}

	actions := make([]string, 0, len(granted))
	for a := range granted {
		actions = append(actions, a)
	}
	sort.Strings(actions)
	for _, a := range actions {
		known := slices.Contains(RAMActions, a) ||
			slices.Contains([]string{"kms:GetSecretValue", "log:PostLogStoreLogs", "mns:PublishMessage"}, a)
		if !known {
			p.add("allows %s, which ramsync does not call", a)
		}
	}
	return p.list
}

// sameSet adds a problem when action is granted on other resources than want.
func (p *problemList) sameSet(action string, got, want []string) {
	g, w := slices.Clone(got), slices.Clone(want)
	sort.Strings(g)
	sort.Strings(w)
	g, w = slices.Compact(g), slices.Compact(w)
	if slices.Equal(g, w) {
		return
	}
	var missing, extra []string
	for _, r := range w {
		if !slices.Contains(g, r) {
			missing = append(missing, r)
		}
	}
	for _, r := range g {
		if !slices.Contains(w, r) {
			extra = append(extra, r)
		}
	}
	if len(missing) > 0 {
		p.add("%s: not granted on %s", action, quote(missing))
	}
	if len(extra) > 0 {
		p.add("%s: granted beyond what ramsync needs, on %s", action, quote(extra))
	}
}

// stringList is a policy element that is a string or a list of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings")
	}
	*l = many
	return nil
}
