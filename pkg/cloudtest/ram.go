package cloudtest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

var ramService = rpcService{svc: RAM, version: "2015-05-01"}

// routeRAM serves the RAM API and, on the same host, the IMS API, told
// apart by the Version parameter (see ims.go). IMS operations are named
// "ims:<Action>" in counters and for Intercept, RAM ones "<Action>".
func (s *Server) routeRAM(r *http.Request) (string, http.HandlerFunc) {
	r.Body = http.MaxBytesReader(nil, r.Body, 1<<20)
	r.ParseForm() // errors are reported by serveRPC
	if r.Form.Get("Version") == imsService.version {
		rs := imsService
		rs.action = s.imsAction
		op, serve := s.routeRPC(rs, r)
		if op != "unknown" {
			op = "ims:" + op
		}
		return op, serve
	}
	rs := ramService
	rs.action = s.ramAction
	return s.routeRPC(rs, r)
}

// ramUserAction serves a RAM action on the user r, with the store locked
// for writing.
type ramUserAction func(r *record, p url.Values) (map[string]any, *rpcError)

// ramActions are the RAM OpenAPI actions the offboarding needs [ALIYUN.md
// §6]. The answers have the shapes of the response structs in
// alibaba-cloud-sdk-go services/ram.
var ramActions = map[string]ramUserAction{
	"GetUser":              ramGetUser,
	"ListAccessKeys":       ramListAccessKeys,
	"UpdateAccessKey":      ramUpdateAccessKey,
	"DeleteAccessKey":      ramDeleteAccessKey,
	"GetLoginProfile":      ramGetLoginProfile,
	"DeleteLoginProfile":   ramDeleteLoginProfile,
	"GetUserMFAInfo":       ramGetUserMFAInfo,
	"UnbindMFADevice":      ramUnbindMFADevice,
	"ListGroupsForUser":    ramListGroupsForUser,
	"RemoveUserFromGroup":  ramRemoveUserFromGroup,
	"ListPoliciesForUser":  ramListPoliciesForUser,
	"DetachPolicyFromUser": ramDetachPolicyFromUser,
}

// ramAction returns the action called name: ListUsers, or one of the user
// actions wrapped with the UserName lookup every one of them starts with.
func (s *Server) ramAction(name string) rpcAction {
	switch name {
	case "ListUsers":
		return s.ramListUsers
	case "UpdateUser":
		return s.onRAMUser(s.ramUpdateUser)
	}
	if act := ramActions[name]; act != nil {
		return s.onRAMUser(act)
	}
	return nil
}

// onRAMUser wraps act with the lookup of the user named by UserName.
func (s *Server) onRAMUser(act ramUserAction) rpcAction {
	return func(p url.Values) (map[string]any, *rpcError) {
		userName := p.Get("UserName")
		if userName == "" {
			// Real RAM then acts on the caller itself; refusing is safer
			// and shows the client forgot it [ALIYUN.md §6].
			return nil, errMissing("UserName")
		}
		s.users.mu.Lock()
		defer s.users.mu.Unlock()
		r := s.users.byName[nameKey(userName)]
		if r == nil {
			return nil, errRPC(http.StatusNotFound, "EntityNotExist.User", "The user does not exist.")
		}
		return act(r, p)
	}
}

// ramName is the RAM user name of a SCIM userName: the part before "@".
func ramName(userName string) string {
	name, _, _ := strings.Cut(userName, "@")
	return name
}

func ramGetUser(r *record, _ url.Values) (map[string]any, *rpcError) {
	return map[string]any{"User": ramUserJSON(r)}, nil
}

// ramUserJSON is the User object of RAM GetUser, UpdateUser and ListUsers
// [ALIYUN.md §6.1]. UpdateDate is the later of the last SCIM write and the
// last UpdateUser.
func ramUserJSON(r *record) map[string]any {
	updated := r.LastModified
	if r.ramUpdated.After(updated) {
		updated = r.ramUpdated
	}
	return map[string]any{
		"UserId":        r.ID,
		"UserName":      ramName(r.UserName),
		"DisplayName":   r.DisplayName,
		"MobilePhone":   "",
		"Email":         "",
		"Comments":      r.comments,
		"CreateDate":    apiTime(r.Created),
		"UpdateDate":    apiTime(updated),
		"LastLoginDate": "",
	}
}

func ramListAccessKeys(r *record, _ url.Values) (map[string]any, *rpcError) {
	keys := []map[string]any{}
	for _, k := range r.ram.AccessKeys {
		keys = append(keys, map[string]any{"AccessKeyId": k.ID, "Status": k.Status, "CreateDate": apiTime(k.Created)})
	}
	return map[string]any{"AccessKeys": map[string]any{"AccessKey": keys}}, nil
}

// findAccessKey returns the index of the key UserAccessKeyId, or an error.
func findAccessKey(r *record, p url.Values) (int, *rpcError) {
	id := p.Get("UserAccessKeyId")
	if id == "" {
		return 0, errMissing("UserAccessKeyId")
	}
	i := slices.IndexFunc(r.ram.AccessKeys, func(k AccessKey) bool { return k.ID == id })
	if i < 0 {
		return 0, errRPC(http.StatusNotFound, "EntityNotExist.User.AccessKey", "The AccessKey does not exist.")
	}
	return i, nil
}

func ramUpdateAccessKey(r *record, p url.Values) (map[string]any, *rpcError) {
	i, err := findAccessKey(r, p)
	if err != nil {
		return nil, err
	}
	switch st := p.Get("Status"); st {
	case "Active", "Inactive":
		r.ram.AccessKeys[i].Status = st
		return nil, nil
	case "":
		return nil, errMissing("Status")
	}
	return nil, errRPC(http.StatusBadRequest, "InvalidParameter.Status", `The parameter "Status" must be Active or Inactive.`)
}

func ramDeleteAccessKey(r *record, p url.Values) (map[string]any, *rpcError) {
	i, err := findAccessKey(r, p)
	if err != nil {
		return nil, err
	}
	r.ram.AccessKeys = slices.Delete(r.ram.AccessKeys, i, i+1)
	return nil, nil
}

var errNoLoginProfile = errRPC(http.StatusNotFound, "EntityNotExist.User.LoginProfile", "The login profile of the user does not exist.")

func ramGetLoginProfile(r *record, _ url.Values) (map[string]any, *rpcError) {
	if !r.ram.LoginProfile {
		return nil, errNoLoginProfile
	}
	return map[string]any{"LoginProfile": map[string]any{
		"UserName":              ramName(r.UserName),
		"PasswordResetRequired": false,
		"MFABindRequired":       false,
		"CreateDate":            apiTime(r.ramSince),
	}}, nil
}

func ramDeleteLoginProfile(r *record, _ url.Values) (map[string]any, *rpcError) {
	if !r.ram.LoginProfile {
		return nil, errNoLoginProfile
	}
	r.ram.LoginProfile, r.ram.LoginStatus = false, ""
	return nil, nil
}

var errNoMFA = errRPC(http.StatusNotFound, "EntityNotExist.User.MFADevice", "The user has not bound an MFA device.")

func ramGetUserMFAInfo(r *record, _ url.Values) (map[string]any, *rpcError) {
	if r.ram.MFASerial == "" {
		return nil, errNoMFA
	}
	return map[string]any{"MFADevice": map[string]any{"SerialNumber": r.ram.MFASerial}}, nil
}

func ramUnbindMFADevice(r *record, _ url.Values) (map[string]any, *rpcError) {
	if r.ram.MFASerial == "" {
		return nil, errNoMFA
	}
	serial := r.ram.MFASerial
	r.ram.MFASerial = ""
	return map[string]any{"MFADevice": map[string]any{"SerialNumber": serial}}, nil
}

func ramListGroupsForUser(r *record, _ url.Values) (map[string]any, *rpcError) {
	groups := []map[string]any{}
	for _, g := range r.ram.Groups {
		groups = append(groups, map[string]any{"GroupName": g, "Comments": "", "JoinDate": apiTime(r.ramSince)})
	}
	return map[string]any{"Groups": map[string]any{"Group": groups}}, nil
}

func ramRemoveUserFromGroup(r *record, p url.Values) (map[string]any, *rpcError) {
	group := p.Get("GroupName")
	if group == "" {
		return nil, errMissing("GroupName")
	}
	i := slices.IndexFunc(r.ram.Groups, func(g string) bool { return strings.EqualFold(g, group) })
	if i < 0 {
		return nil, errRPC(http.StatusNotFound, "EntityNotExist.User.Group", "The user is not a member of the group.")
	}
	r.ram.Groups = slices.Delete(r.ram.Groups, i, i+1)
	return nil, nil
}

func ramListPoliciesForUser(r *record, _ url.Values) (map[string]any, *rpcError) {
	policies := []map[string]any{}
	for _, pol := range r.ram.Policies {
		policies = append(policies, map[string]any{
			"PolicyName":     pol.Name,
			"PolicyType":     pol.Type,
			"Description":    "",
			"DefaultVersion": "v1",
			"AttachDate":     apiTime(r.ramSince),
		})
	}
	return map[string]any{"Policies": map[string]any{"Policy": policies}}, nil
}

func ramDetachPolicyFromUser(r *record, p url.Values) (map[string]any, *rpcError) {
	name, typ := p.Get("PolicyName"), p.Get("PolicyType")
	switch {
	case name == "":
		return nil, errMissing("PolicyName")
	case typ == "":
		return nil, errMissing("PolicyType")
	case typ != "System" && typ != "Custom":
		return nil, errRPC(http.StatusBadRequest, "InvalidParameter.PolicyType", `The parameter "PolicyType" must be System or Custom.`)
	}
	i := slices.IndexFunc(r.ram.Policies, func(pol Policy) bool { return pol.Name == name && pol.Type == typ })
	if i < 0 {
		return nil, errRPC(http.StatusNotFound, "EntityNotExist.User.Policy", "The policy is not attached to the user.")
	}
	r.ram.Policies = slices.Delete(r.ram.Policies, i, i+1)
	return nil, nil
}
