package cloudtest

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
)

// ramClient builds the real RAM SDK client against s, verifying TLS with
// the server's certificate.
func ramClient(t *testing.T, s *Server) *ram.Client {
	t.Helper()
	o := s.Options()
	cfg := sdk.NewConfig()
	cfg.HttpTransport = &http.Transport{TLSClientConfig: s.TLSConfig()}
	cli, err := ram.NewClientWithOptions(o.Region, cfg, credentials.NewStsTokenCredential(o.AccessKeyID, o.AccessKeySecret, o.SecurityToken))
	if err != nil {
		t.Fatal(err)
	}
	cli.Domain = s.RAMEndpoint
	t.Cleanup(cli.Shutdown)
	return cli
}

// sdkCode returns the POP error code of err ("" for nil).
func sdkCode(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("not a ServerError: %T %v", err, err)
	}
	return se.ErrorCode()
}

func TestRAMThroughSDK(t *testing.T) {
	clk := newFakeClock()
	s := start(t, Options{Now: clk.Now})
	cli := ramClient(t, s)
	s.SeedUser(User{UserName: "leaver", DisplayName: "Lee Ver", ExternalID: "emp-9"})
	s.SetRAM("leaver", Blockers{
		AccessKeys:   []AccessKey{{ID: "LTAI5tKeyOne"}, {ID: "LTAI5tKeyTwo", Status: "Inactive"}},
		LoginProfile: true,
		MFASerial:    "acs:ram::123:mfa/leaver",
		Groups:       []string{"devs", "ops"},
		Policies:     []Policy{{Name: "AdministratorAccess", Type: "System"}, {Name: "deploy", Type: "Custom"}},
	})
	const user = "LEAVER" // RAM names are case-insensitive

	getUser := ram.CreateGetUserRequest()
	getUser.Scheme, getUser.UserName = "https", user
	u, err := cli.GetUser(getUser)
	if err != nil || u.User.UserName != "leaver" || u.User.DisplayName != "Lee Ver" || len(u.User.UserId) != 16 ||
		u.User.CreateDate != "2026-03-01T09:00:00Z" || u.RequestId == "" {
		t.Fatalf("GetUser: %+v, %v", u, err)
	}

	lk := ram.CreateListAccessKeysRequest()
	lk.Scheme, lk.UserName = "https", user
	keys, err := cli.ListAccessKeys(lk)
	if err != nil || len(keys.AccessKeys.AccessKey) != 2 {
		t.Fatalf("ListAccessKeys: %+v, %v", keys, err)
	}
	if k := keys.AccessKeys.AccessKey[0]; k.AccessKeyId != "LTAI5tKeyOne" || k.Status != "Active" || k.CreateDate != "2026-03-01T09:00:00Z" {
		t.Errorf("key 0 = %+v", k)
	}
	if k := keys.AccessKeys.AccessKey[1]; k.AccessKeyId != "LTAI5tKeyTwo" || k.Status != "Inactive" {
		t.Errorf("key 1 = %+v", k)
	}

	uk := ram.CreateUpdateAccessKeyRequest()
	uk.Scheme, uk.UserName, uk.UserAccessKeyId, uk.Status = "https", user, "LTAI5tKeyOne", "Inactive"
	if _, err := cli.UpdateAccessKey(uk); err != nil {
		t.Fatal(err)
	}
	uk.Status = "Disabled"
	if code := sdkCode(t, second(cli.UpdateAccessKey(uk))); code != "InvalidParameter.Status" {
		t.Errorf("bad Status: %s", code)
	}
	if got := s.RAM(user).AccessKeys[0].Status; got != "Inactive" {
		t.Errorf("after UpdateAccessKey: %s", got)
	}

	dk := ram.CreateDeleteAccessKeyRequest()
	dk.Scheme, dk.UserName = "https", user
	for _, id := range []string{"LTAI5tKeyOne", "LTAI5tKeyTwo"} {
		dk.UserAccessKeyId = id
		if _, err := cli.DeleteAccessKey(dk); err != nil {
			t.Fatal(err)
		}
	}
	if code := sdkCode(t, second(cli.DeleteAccessKey(dk))); code != "EntityNotExist.User.AccessKey" {
		t.Errorf("deleting a deleted key: %s", code)
	}

	glp := ram.CreateGetLoginProfileRequest()
	glp.Scheme, glp.UserName = "https", user
	lp, err := cli.GetLoginProfile(glp)
	if err != nil || lp.LoginProfile.UserName != "leaver" || lp.LoginProfile.CreateDate == "" {
		t.Errorf("GetLoginProfile: %+v, %v", lp, err)
	}
	dlp := ram.CreateDeleteLoginProfileRequest()
	dlp.Scheme, dlp.UserName = "https", user
	if _, err := cli.DeleteLoginProfile(dlp); err != nil {
		t.Fatal(err)
	}
	if code := sdkCode(t, second(cli.GetLoginProfile(glp))); code != "EntityNotExist.User.LoginProfile" {
		t.Errorf("GetLoginProfile after delete: %s", code)
	}
	if code := sdkCode(t, second(cli.DeleteLoginProfile(dlp))); code != "EntityNotExist.User.LoginProfile" {
		t.Errorf("DeleteLoginProfile again: %s", code)
	}

	mfa := ram.CreateGetUserMFAInfoRequest()
	mfa.Scheme, mfa.UserName = "https", user
	m, err := cli.GetUserMFAInfo(mfa)
	if err != nil || m.MFADevice.SerialNumber != "acs:ram::123:mfa/leaver" {
		t.Errorf("GetUserMFAInfo: %+v, %v", m, err)
	}
	unb := ram.CreateUnbindMFADeviceRequest()
	unb.Scheme, unb.UserName = "https", user
	ub, err := cli.UnbindMFADevice(unb)
	if err != nil || ub.MFADevice.SerialNumber != "acs:ram::123:mfa/leaver" {
		t.Errorf("UnbindMFADevice: %+v, %v", ub, err)
	}
	if code := sdkCode(t, second(cli.GetUserMFAInfo(mfa))); code != "EntityNotExist.User.MFADevice" {
		t.Errorf("GetUserMFAInfo after unbind: %s", code)
	}
	if code := sdkCode(t, second(cli.UnbindMFADevice(unb))); code != "EntityNotExist.User.MFADevice" {
		t.Errorf("UnbindMFADevice again: %s", code)
	}

	lg := ram.CreateListGroupsForUserRequest()
	lg.Scheme, lg.UserName = "https", user
	groups, err := cli.ListGroupsForUser(lg)
	if err != nil || len(groups.Groups.Group) != 2 || groups.Groups.Group[1].GroupName != "ops" || groups.Groups.Group[0].JoinDate == "" {
		t.Fatalf("ListGroupsForUser: %+v, %v", groups, err)
	}
	rg := ram.CreateRemoveUserFromGroupRequest()
	rg.Scheme, rg.UserName = "https", user
	for _, g := range []string{"devs", "ops"} {
		rg.GroupName = g
		if _, err := cli.RemoveUserFromGroup(rg); err != nil {
			t.Fatal(err)
		}
	}
	if code := sdkCode(t, second(cli.RemoveUserFromGroup(rg))); code != "EntityNotExist.User.Group" {
		t.Errorf("RemoveUserFromGroup again: %s", code)
	}

	lpol := ram.CreateListPoliciesForUserRequest()
	lpol.Scheme, lpol.UserName = "https", user
	pols, err := cli.ListPoliciesForUser(lpol)
	if err != nil || len(pols.Policies.Policy) != 2 {
		t.Fatalf("ListPoliciesForUser: %+v, %v", pols, err)
	}
	if p := pols.Policies.Policy[1]; p.PolicyName != "deploy" || p.PolicyType != "Custom" || p.AttachDate == "" {
		t.Errorf("policy 1 = %+v", p)
	}
	dp := ram.CreateDetachPolicyFromUserRequest()
	dp.Scheme, dp.UserName = "https", user
	dp.PolicyName, dp.PolicyType = "deploy", "Managed"
	if code := sdkCode(t, second(cli.DetachPolicyFromUser(dp))); code != "InvalidParameter.PolicyType" {
		t.Errorf("bad PolicyType: %s", code)
	}
	dp.PolicyType = "System" // wrong type for this policy
	if code := sdkCode(t, second(cli.DetachPolicyFromUser(dp))); code != "EntityNotExist.User.Policy" {
		t.Errorf("wrong type: %s", code)
	}
	for _, p := range []Policy{{"deploy", "Custom"}, {"AdministratorAccess", "System"}} {
		dp.PolicyName, dp.PolicyType = p.Name, p.Type
		if _, err := cli.DetachPolicyFromUser(dp); err != nil {
			t.Fatal(err)
		}
	}

	// Nothing blocks the SCIM DELETE any more.
	tok := token(t, s)
	if r := do(t, s, "DELETE", s.SCIMURL+"/Users/"+u.User.UserId, tok, nil); r.status != 204 {
		t.Fatalf("SCIM DELETE after offboarding: %d %s", r.status, r.body)
	}
	if code := sdkCode(t, second(cli.GetUser(getUser))); code != "EntityNotExist.User" {
		t.Errorf("GetUser of a deleted user: %s", code)
	}
	noName := ram.CreateListAccessKeysRequest()
	noName.Scheme = "https"
	if code := sdkCode(t, second(cli.ListAccessKeys(noName))); code != "MissingParameter" {
		t.Errorf("no UserName: %s", code)
	}

	// The log holds every call, in order, without credentials.
	log := s.RAMLog()
	var actions []string
	for _, c := range log {
		actions = append(actions, c.Action)
		for k := range c.Params {
			if k == "AccessKeyId" || k == "SecurityToken" || k == "Signature" {
				t.Errorf("log holds %s", k)
			}
		}
	}
	want := []string{"GetUser", "ListAccessKeys", "UpdateAccessKey", "UpdateAccessKey", "DeleteAccessKey", "DeleteAccessKey", "DeleteAccessKey",
		"GetLoginProfile", "DeleteLoginProfile", "GetLoginProfile", "DeleteLoginProfile",
		"GetUserMFAInfo", "UnbindMFADevice", "GetUserMFAInfo", "UnbindMFADevice",
		"ListGroupsForUser", "RemoveUserFromGroup", "RemoveUserFromGroup", "RemoveUserFromGroup",
		"ListPoliciesForUser", "DetachPolicyFromUser", "DetachPolicyFromUser", "DetachPolicyFromUser", "DetachPolicyFromUser",
		"GetUser", "ListAccessKeys"}
	if !slices.Equal(actions, want) {
		t.Fatalf("log actions:\n%v\nwant\n%v", actions, want)
	}
	if c := log[2]; c.UserName != user || c.Params["UserAccessKeyId"] != "LTAI5tKeyOne" || c.Params["Status"] != "Inactive" ||
		c.Status != 200 || c.Code != "" || !c.Time.Equal(clk.Now()) {
		t.Errorf("log[2] = %+v", c)
	}
	if c := log[3]; c.Status != 400 || c.Code != "InvalidParameter.Status" {
		t.Errorf("log[3] = %+v", c)
	}
	if c := s.Counters(); c["ram.DetachPolicyFromUser"] != 4 || c["ram.DetachPolicyFromUser.200"] != 2 {
		t.Errorf("counters: %v", c)
	}
}

// second returns the error of a (response, error) pair.
func second[T any](_ T, err error) error { return err }

func TestRAMSignatureChecks(t *testing.T) {
	s := start(t, Options{})
	s.SeedUser(User{UserName: "u1", DisplayName: "U"})
	const v = "2015-05-01"
	params := map[string]string{"UserName": "u1"}
	for _, tt := range []struct {
		name   string
		q      url.Values
		status int
		code   string
	}{
		{"ok", rpcRequest(s, "POST", "ListAccessKeys", v, params, nil), 200, ""},
		{"KMS version", rpcRequest(s, "POST", "ListAccessKeys", "2016-01-20", params, nil), 400, "InvalidVersion"},
		{"unknown action", rpcRequest(s, "POST", "CreateUser", v, params, nil), 400, "InvalidAction.NotFound"},
		{"wrong token", rpcRequest(s, "POST", "ListAccessKeys", v, params, func(q url.Values) { q.Set("SecurityToken", "x") }), 403, "InvalidSecurityToken.Mismatch"},
		{"future timestamp", rpcRequest(s, "POST", "ListAccessKeys", v, params, func(q url.Values) {
			q.Set("Timestamp", time.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04:05Z"))
		}), 400, "IllegalTimestamp"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := callRPC(t, s, s.RAMEndpoint, tt.q)
			if tt.code == "" {
				if r.status != 200 {
					t.Fatalf("%d %s", r.status, r.body)
				}
				return
			}
			checkRPCError(t, RAM, r, tt.status, tt.code)
			if _, has := r.json(t)["HttpStatus"]; has {
				t.Error("RAM errors carry no HttpStatus")
			}
		})
	}
	log := s.RAMLog()
	if len(log) != 5 || log[1].Code != "InvalidVersion" || log[2].Action != "CreateUser" {
		t.Errorf("log = %+v", log)
	}
}
