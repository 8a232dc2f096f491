package cloudtest

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ims"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
)

// imsClient builds the real IMS SDK client against s: IMS is served on the
// RAM endpoint.
func imsClient(t *testing.T, s *Server) *ims.Client {
	t.Helper()
	o := s.Options()
	cfg := sdk.NewConfig()
	cfg.HttpTransport = &http.Transport{TLSClientConfig: s.TLSConfig()}
	cli, err := ims.NewClientWithOptions(o.Region, cfg, credentials.NewStsTokenCredential(o.AccessKeyID, o.AccessKeySecret, o.SecurityToken))
	if err != nil {
		t.Fatal(err)
	}
	cli.Domain = s.RAMEndpoint
	t.Cleanup(cli.Shutdown)
	return cli
}

func TestRAMUpdateUserComments(t *testing.T) {
	clk := newFakeClock()
	s := start(t, Options{Now: clk.Now})
	cli := ramClient(t, s)
	seeded := s.SeedUser(User{UserName: "li.wei", DisplayName: "Li Wei", ExternalID: "E1"})
	clk.Add(time.Hour)

	for _, tt := range []struct {
		name, comments string
		code           string // "" = accepted
	}{
		{"one character", "x", ""},
		{"128 characters", strings.Repeat("c", 128), ""},
		{"128 CJK characters (runes, not bytes)", strings.Repeat("停", 128), ""},
		{"a marker", "ramsync:suspended:2026-11-27T09:00:00Z:LTAI5tA,LTAI5tB", ""},
		{"129 characters", strings.Repeat("c", 129), "InvalidParameter.NewComments.Length"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := s.Comments("li.wei")
			req := ram.CreateUpdateUserRequest()
			req.Scheme, req.UserName, req.NewComments = "https", "LI.WEI", tt.comments
			resp, err := cli.UpdateUser(req)
			if code := sdkCode(t, err); code != tt.code {
				t.Fatalf("code %q, want %q", code, tt.code)
			}
			want := tt.comments
			if tt.code != "" {
				want = before
			} else if resp.User.Comments != tt.comments || resp.User.UserName != "li.wei" || resp.User.UpdateDate != "2026-03-01T10:00:00Z" {
				t.Errorf("UpdateUser answered %+v", resp.User)
			}
			if got := s.Comments("li.wei"); got != want {
				t.Errorf("Comments = %q, want %q", got, want)
			}
		})
	}

	// An empty NewComments (the SDK leaves empty fields out, so by hand).
	q := rpcRequest(s, "POST", "UpdateUser", "2015-05-01", map[string]string{"UserName": "li.wei", "NewComments": ""}, nil)
	checkRPCError(t, RAM, callRPC(t, s, s.RAMEndpoint, q), 400, "InvalidParameter.NewComments.Length")
	q = rpcRequest(s, "POST", "UpdateUser", "2015-05-01", map[string]string{"UserName": "li.wei", "NewDisplayName": "Wei Li"}, nil)
	checkRPCError(t, RAM, callRPC(t, s, s.RAMEndpoint, q), 400, "InvalidParameter.NewDisplayName")
	q = rpcRequest(s, "POST", "UpdateUser", "2015-05-01", map[string]string{"UserName": "nobody", "NewComments": "x"}, nil)
	checkRPCError(t, RAM, callRPC(t, s, s.RAMEndpoint, q), 404, "EntityNotExist.User")
	q = rpcRequest(s, "POST", "UpdateUser", "2015-05-01", map[string]string{"NewComments": "x"}, nil)
	checkRPCError(t, RAM, callRPC(t, s, s.RAMEndpoint, q), 400, "MissingParameter")

	// GetUser shows the Comments; SCIM's lastModified did not move.
	get := ram.CreateGetUserRequest()
	get.Scheme, get.UserName = "https", "li.wei"
	u, err := cli.GetUser(get)
	if err != nil || u.User.Comments != "ramsync:suspended:2026-11-27T09:00:00Z:LTAI5tA,LTAI5tB" ||
		u.User.CreateDate != "2026-03-01T09:00:00Z" || u.User.UpdateDate != "2026-03-01T10:00:00Z" {
		t.Errorf("GetUser: %+v, %v", u.User, err)
	}
	if now, _ := s.User(seeded.ID); !now.LastModified.Equal(seeded.LastModified) {
		t.Errorf("meta.lastModified moved from %s to %s on a RAM OpenAPI write", seeded.LastModified, now.LastModified)
	}
	r := do(t, s, "GET", s.SCIMURL+"/Users/"+seeded.ID, token(t, s), nil)
	if meta, _ := r.json(t)["meta"].(map[string]any); meta["lastModified"] != "2026-03-01T09:00:00Z" {
		t.Errorf("SCIM meta = %v", meta)
	}
	// A SCIM PUT keeps them.
	if r := do(t, s, "PUT", s.SCIMURL+"/Users/"+seeded.ID, token(t, s), userBody("li.wei", "Wei Li", "E1")); r.status != 200 {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	if got := s.Comments("li.wei"); !strings.HasPrefix(got, "ramsync:suspended:") {
		t.Errorf("after a SCIM PUT Comments = %q", got)
	}
}

func TestRAMListUsersPaging(t *testing.T) {
	s := start(t, Options{})
	cli := ramClient(t, s)
	const n = 250
	s.SeedUsers(n, func(i int) User { return User{UserName: fmt.Sprintf("u%03d", i), DisplayName: "U"} })
	s.SetComments("u007", "ramsync:active")

	list := func(marker string, maxItems int) *ram.ListUsersResponse {
		t.Helper()
		req := ram.CreateListUsersRequest()
		req.Scheme, req.Marker = "https", marker
		if maxItems > 0 {
			req.MaxItems = requests.NewInteger(maxItems)
		}
		resp, err := cli.ListUsers(req)
		if err != nil {
			t.Fatalf("ListUsers(%q, %d): %v", marker, maxItems, err)
		}
		return resp
	}

	if p := list("", 0); len(p.Users.User) != 100 || !p.IsTruncated || p.Marker == "" {
		t.Errorf("default page: %d users, truncated %v, marker %q; want 100, true, a marker", len(p.Users.User), p.IsTruncated, p.Marker)
	}

	var names, comments []string
	var pages []int
	marker, removed := "", false
	for {
		p := list(marker, 100)
		pages = append(pages, len(p.Users.User))
		for _, u := range p.Users.User {
			names = append(names, u.UserName)
			comments = append(comments, u.Comments)
		}
		if !p.IsTruncated {
			if p.Marker != "" {
				t.Errorf("last page has marker %q", p.Marker)
			}
			break
		}
		if !removed { // a user of the next page goes away between pages
			u, _ := s.UserByName("u150")
			s.RemoveUser(u.ID)
			removed = true
		}
		marker = p.Marker
	}
	if !slices.Equal(pages, []int{100, 100, 49}) {
		t.Errorf("page sizes %v, want [100 100 49]", pages)
	}
	var want []string
	for i := range n {
		if i != 150 {
			want = append(want, fmt.Sprintf("u%03d", i))
		}
	}
	if !slices.Equal(names, want) {
		t.Errorf("names across pages differ from creation order minus u150: got %d names, first %v", len(names), names[:min(5, len(names))])
	}
	if comments[7] != "ramsync:active" || comments[8] != "" {
		t.Errorf("Comments of u007, u008 = %q, %q", comments[7], comments[8])
	}

	for _, tt := range []struct {
		name   string
		params map[string]string
		code   string
	}{
		{"MaxItems 0", map[string]string{"MaxItems": "0"}, "InvalidParameter.MaxItems"},
		{"MaxItems 1001", map[string]string{"MaxItems": "1001"}, "InvalidParameter.MaxItems"},
		{"MaxItems not a number", map[string]string{"MaxItems": "ten"}, "InvalidParameter.MaxItems"},
		{"bad Marker", map[string]string{"Marker": "!!"}, "InvalidParameter.Marker"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := rpcRequest(s, "POST", "ListUsers", "2015-05-01", tt.params, nil)
			checkRPCError(t, RAM, callRPC(t, s, s.RAMEndpoint, q), 400, tt.code)
		})
	}
	q := rpcRequest(s, "POST", "ListUsers", "2015-05-01", map[string]string{"MaxItems": "1000"}, nil)
	if r := callRPC(t, s, s.RAMEndpoint, q); r.status != 200 || r.json(t)["IsTruncated"] != false {
		t.Errorf("MaxItems 1000: %d %s", r.status, r.body)
	}
}

func TestIMSThroughSDK(t *testing.T) {
	clk := newFakeClock()
	s := start(t, Options{Now: clk.Now, AccountAlias: "corp"})
	cli := imsClient(t, s)
	leaver := s.SeedUser(User{UserName: "leaver@corp.onaliyun.com", DisplayName: "Lee Ver", ExternalID: "E9"})
	s.SetRAM("leaver", Blockers{AccessKeys: []AccessKey{{ID: "LTAI5tKEY", Status: "Inactive"}}, LoginProfile: true})
	s.SeedUser(User{UserName: "nologin", DisplayName: "No Login"})
	s.SetComments("leaver", "ramsync:active")
	const upn = "leaver@corp.onaliyun.com"

	byID := ims.CreateGetUserRequest()
	byID.Scheme, byID.UserId = "https", leaver.ID
	u, err := cli.GetUser(byID)
	if err != nil || u.User.UserPrincipalName != upn || u.User.UserId != leaver.ID || u.User.DisplayName != "Lee Ver" ||
		u.User.Comments != "ramsync:active" || u.User.CreateDate != "2026-03-01T09:00:00Z" {
		t.Fatalf("IMS GetUser by UserId: %+v, %v", u.User, err)
	}
	byUPN := ims.CreateGetUserRequest()
	byUPN.Scheme, byUPN.UserPrincipalName = "https", "LEAVER@Corp.OnAliyun.com"
	if u, err := cli.GetUser(byUPN); err != nil || u.User.UserId != leaver.ID {
		t.Errorf("IMS GetUser by UPN: %+v, %v", u, err)
	}
	byKey := ims.CreateGetUserRequest()
	byKey.Scheme, byKey.UserAccessKeyId = "https", "LTAI5tKEY"
	if u, err := cli.GetUser(byKey); err != nil || u.User.UserId != leaver.ID {
		t.Errorf("IMS GetUser by AccessKey: %+v, %v", u, err)
	}
	for _, bad := range []string{"leaver@other.onaliyun.com", "leaver", "ghost@corp.onaliyun.com"} {
		byUPN.UserPrincipalName = bad
		if code := sdkCode(t, second(cli.GetUser(byUPN))); code != "EntityNotExist.User" {
			t.Errorf("GetUser(%s): %s, want EntityNotExist.User", bad, code)
		}
	}

	get := ims.CreateGetLoginProfileRequest()
	get.Scheme, get.UserPrincipalName = "https", upn
	lp, err := cli.GetLoginProfile(get)
	if err != nil || lp.LoginProfile.Status != "Active" || lp.LoginProfile.UserPrincipalName != upn {
		t.Fatalf("GetLoginProfile: %+v, %v", lp, err)
	}
	upd := ims.CreateUpdateLoginProfileRequest()
	upd.Scheme, upd.UserPrincipalName, upd.Status = "https", upn, "Inactive"
	if r, err := cli.UpdateLoginProfile(upd); err != nil || r.LoginProfile.Status != "Inactive" {
		t.Fatalf("UpdateLoginProfile: %+v, %v", r, err)
	}
	if got := s.LoginStatus("leaver"); got != "Inactive" {
		t.Errorf("LoginStatus = %q after UpdateLoginProfile Inactive", got)
	}
	if lp, err := cli.GetLoginProfile(get); err != nil || lp.LoginProfile.Status != "Inactive" {
		t.Errorf("GetLoginProfile after: %+v, %v", lp, err)
	}
	upd.Status = "Disabled"
	if code := sdkCode(t, second(cli.UpdateLoginProfile(upd))); code != "InvalidParameter.Status" {
		t.Errorf("Status Disabled: %s", code)
	}
	get.UserPrincipalName, upd.UserPrincipalName, upd.Status = "nologin@corp.onaliyun.com", "nologin@corp.onaliyun.com", "Active"
	if code := sdkCode(t, second(cli.GetLoginProfile(get))); code != "EntityNotExist.User.LoginProfile" {
		t.Errorf("GetLoginProfile without a profile: %s", code)
	}
	if code := sdkCode(t, second(cli.UpdateLoginProfile(upd))); code != "EntityNotExist.User.LoginProfile" {
		t.Errorf("UpdateLoginProfile without a profile: %s", code)
	}
	if s.LoginStatus("nologin") != "" || s.LoginStatus("ghost") != "" {
		t.Error("LoginStatus of a user without a profile, or of no user, is not empty")
	}

	// The IMS calls are in the RAM log, marked as such, and counted apart.
	var got []string
	for _, c := range s.RAMLog() {
		got = append(got, c.API+":"+c.Action)
	}
	want := []string{"ims:GetUser", "ims:GetUser", "ims:GetUser", "ims:GetUser", "ims:GetUser", "ims:GetUser",
		"ims:GetLoginProfile", "ims:UpdateLoginProfile", "ims:GetLoginProfile", "ims:UpdateLoginProfile",
		"ims:GetLoginProfile", "ims:UpdateLoginProfile"}
	if !slices.Equal(got, want) {
		t.Errorf("log:\n%v\nwant\n%v", got, want)
	}
	if c := s.Counters(); c["ram.ims:GetLoginProfile"] != 3 || c["ram.ims:UpdateLoginProfile.404"] != 1 || c["ram.GetLoginProfile"] != 0 {
		t.Errorf("counters: %v", c)
	}

	// A deactivated key and a disabled login still block the SCIM DELETE.
	if r := do(t, s, "DELETE", s.SCIMURL+"/Users/"+leaver.ID, token(t, s), nil); r.status != 409 {
		t.Errorf("SCIM DELETE with an Inactive key: %d %s", r.status, r.body)
	}
}

func TestIMSSignatureChecks(t *testing.T) {
	s := start(t, Options{AccountAlias: "corp"})
	s.SeedUser(User{UserName: "u1", DisplayName: "U"})
	s.SetRAM("u1", Blockers{LoginProfile: true})
	const v = "2019-08-15"
	params := map[string]string{"UserPrincipalName": "u1@corp.onaliyun.com", "Status": "Inactive"}
	wrongSecret := rpcRequest(s, "POST", "UpdateLoginProfile", v, params, nil)
	SignRPC("POST", wrongSecret, "not-the-secret")
	tampered := rpcRequest(s, "POST", "UpdateLoginProfile", v, params, nil)
	tampered.Set("Status", "Active")
	for _, tt := range []struct {
		name   string
		q      url.Values
		status int
		code   string
	}{
		{"wrong secret", wrongSecret, 400, "SignatureDoesNotMatch"},
		{"changed after signing", tampered, 400, "SignatureDoesNotMatch"},
		{"wrong token", rpcRequest(s, "POST", "UpdateLoginProfile", v, params, func(q url.Values) { q.Set("SecurityToken", "x") }), 403, "InvalidSecurityToken.Mismatch"},
		{"no token", rpcRequest(s, "POST", "UpdateLoginProfile", v, params, func(q url.Values) { q.Del("SecurityToken") }), 400, "MissingSecurityToken"},
		{"IMS action not emulated", rpcRequest(s, "POST", "DeleteUser", v, params, nil), 400, "InvalidAction.NotFound"},
		{"RAM-only action on IMS", rpcRequest(s, "POST", "ListPoliciesForUser", v, params, nil), 400, "InvalidAction.NotFound"},
		{"no user named", rpcRequest(s, "POST", "GetLoginProfile", v, nil, nil), 400, "MissingParameter"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkRPCError(t, RAM, callRPC(t, s, s.RAMEndpoint, tt.q), tt.status, tt.code)
		})
	}
	if got := s.LoginStatus("u1"); got != "Active" {
		t.Errorf("a refused request changed the login status to %q", got)
	}
	ok := rpcRequest(s, "POST", "UpdateLoginProfile", v, params, nil)
	if r := callRPC(t, s, s.RAMEndpoint, ok); r.status != 200 || s.LoginStatus("u1") != "Inactive" {
		t.Errorf("a good request: %d %s, status %q", r.status, r.body, s.LoginStatus("u1"))
	}
}

// TestRAMLogHasCallOnceAnswered checks that a client which has read a RAM
// answer finds the call in RAMLog and its outcome in Counters, even for an answer much larger than the
// server's write buffer and a handler that returns late.
func TestRAMLogHasCallOnceAnswered(t *testing.T) {
	s := start(t, Options{})
	cli := ramClient(t, s)
	var page strings.Builder
	page.WriteString(`{"RequestId":"r","IsTruncated":false,"Users":{"User":[`)
	for i := range 1000 {
		if i > 0 {
			page.WriteString(",")
		}
		fmt.Fprintf(&page, `{"UserName":"user%04d","UserId":"%016d","DisplayName":"A long display name"}`, i, i)
	}
	page.WriteString("]}}")
	s.Intercept = func(svc Service, kind string, w http.ResponseWriter, r *http.Request) bool {
		if svc != RAM || kind != "ListUsers" {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(page.Len())) // as every answer of the double
		io.WriteString(w, page.String())
		time.Sleep(300 * time.Millisecond) // the answer is written; the handler has not returned
		return true
	}
	req := ram.CreateListUsersRequest()
	req.Scheme, req.MaxItems = "https", requests.NewInteger(1000)
	resp, err := cli.ListUsers(req)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if len(resp.Users.User) != 1000 {
		t.Fatalf("ListUsers gave %d users, want 1000", len(resp.Users.User))
	}
	if log := s.RAMLog(); len(log) != 1 || log[0].Action != "ListUsers" || log[0].Status != 200 {
		t.Fatalf("once the answer is read RAMLog = %+v, want the one ListUsers call answered 200", log)
	}
	if c := s.Counters(); c["ram.ListUsers.200"] != 1 {
		t.Fatalf("once the answer is read ram.ListUsers.200 = %d, want 1", c["ram.ListUsers.200"])
	}
}
