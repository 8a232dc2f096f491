package ramcred_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/ramcred"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// double starts the cloud test double and a Client on it, without the rest
// of the stack. IMSEndpoint is left empty: IMS goes to the RAM host.
func double(t *testing.T) (*cloudtest.Server, *ramcred.Client) {
	t.Helper()
	srv := cloudtest.NewServer(cloudtest.Options{AccountAlias: "corp"})
	t.Cleanup(srv.Close)
	o := srv.Options()
	c, err := ramcred.New(ramcred.Config{
		Endpoint: srv.RAMEndpoint,
		Credentials: func() secrets.Credentials {
			return secrets.Credentials{AccessKeyID: o.AccessKeyID, AccessKeySecret: o.AccessKeySecret, SecurityToken: o.SecurityToken}
		},
		Transport: &http.Transport{TLSClientConfig: srv.TLSConfig()},
		BaseDelay: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// calls lists the log as "api:Action target", target being the key, the
// Status or the Comments written.
func calls(log []cloudtest.RAMCall) []string {
	var out []string
	for _, c := range log {
		s := c.API + ":" + c.Action
		switch {
		case c.Action == "UpdateAccessKey":
			s += " " + c.Params["UserAccessKeyId"] + "=" + c.Params["Status"]
		case c.Action == "UpdateLoginProfile":
			s += " " + c.Params["Status"]
		case c.Action == "UpdateUser":
			s += " " + c.Params["NewComments"]
		}
		if c.Code != "" {
			s += " -> " + c.Code
		}
		out = append(out, s)
	}
	return out
}

// at is a termination time given in another zone and with a fraction, to
// show the marker is UTC to the second.
var at = time.Date(2026, 11, 27, 17, 0, 0, 700_000_000, time.FixedZone("CST", 8*3600))

func TestSuspendThenResume(t *testing.T) {
	srv, c := double(t)
	ctx := context.Background()
	srv.SeedUser(cloudtest.User{ExternalID: "E1", UserName: "li.wei@corp.onaliyun.com", DisplayName: "Li Wei"})
	srv.SetRAM("li.wei", cloudtest.Blockers{
		AccessKeys: []cloudtest.AccessKey{
			{ID: "LTAI5tAAAA", Status: "Active"},
			{ID: "LTAI5tOFFB", Status: "Inactive"}, // off before the suspension: must stay off
		},
		LoginProfile: true,
		MFASerial:    "acs:ram::1:mfa/li.wei",
		Groups:       []string{"devs"},
		Policies:     []cloudtest.Policy{{Name: "deploy", Type: "Custom"}},
	})
	before := srv.RAM("li.wei")

	m, steps, err := c.Suspend(ctx, "li.wei@corp.onaliyun.com", "", at)
	if err != nil {
		t.Fatal(err)
	}
	const marker = "ramsync:suspended:2026-11-27T09:00:00Z:LTAI5tAAAA"
	if m.String() != marker || srv.Comments("li.wei") != marker {
		t.Errorf("marker %q, Comments %q; want %q", m, srv.Comments("li.wei"), marker)
	}
	// Keys first, then the login, then the marker; reads in between.
	want := []string{
		"ram:ListAccessKeys", "ram:UpdateAccessKey LTAI5tAAAA=Inactive",
		"ram:GetUser", "ims:GetUser", "ims:GetLoginProfile", "ims:UpdateLoginProfile Inactive",
		"ram:UpdateUser " + marker,
	}
	if diff := cmp.Diff(want, calls(srv.RAMLog())); diff != "" {
		t.Errorf("calls in order (-want +got):\n%s", diff)
	}
	for _, call := range srv.RAMLog() {
		if call.API == "ram" && call.UserName != "li.wei" {
			t.Errorf("%s without UserName li.wei", call.Action)
		}
		if call.API == "ims" && call.Action != "GetUser" && call.Params["UserPrincipalName"] != "li.wei@corp.onaliyun.com" {
			t.Errorf("IMS %s for %q", call.Action, call.Params["UserPrincipalName"])
		}
	}
	wantSteps := []ramcred.Step{
		{Action: "UpdateAccessKey", Target: "LTAI5tAAAA", Result: "done"},
		{Action: "UpdateLoginProfile", Target: "Inactive", Result: "done"},
		{Action: "UpdateUser", Target: marker, Result: "done"},
	}
	if diff := cmp.Diff(wantSteps, steps); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	after := srv.RAM("li.wei")
	if after.AccessKeys[0].Status != "Inactive" || after.AccessKeys[1].Status != "Inactive" || after.LoginStatus != "Inactive" {
		t.Errorf("after Suspend: %+v", after)
	}
	if after.MFASerial != before.MFASerial || !cmp.Equal(after.Groups, before.Groups) || !cmp.Equal(after.Policies, before.Policies) || !after.LoginProfile {
		t.Errorf("Suspend removed something: before %+v, after %+v", before, after)
	}

	// Resume from what RAM shows.
	u, err := c.User(ctx, "li.wei")
	if err != nil {
		t.Fatal(err)
	}
	got, ok := u.Marker()
	if !ok || !cmp.Equal(got, m) || u.Name != "li.wei" || u.Comments != marker || u.Created.IsZero() {
		t.Fatalf("User = %+v, marker %v %v; want %v", u, got, ok, m)
	}
	n := len(srv.RAMLog())
	steps, err = c.Resume(ctx, "li.wei", "", got)
	if err != nil {
		t.Fatal(err)
	}
	want = []string{
		"ram:ListAccessKeys", "ram:UpdateAccessKey LTAI5tAAAA=Active",
		"ram:GetUser", "ims:GetUser", "ims:GetLoginProfile", "ims:UpdateLoginProfile Active",
		"ram:UpdateUser ramsync:active",
	}
	if diff := cmp.Diff(want, calls(srv.RAMLog()[n:])); diff != "" {
		t.Errorf("Resume calls (-want +got):\n%s", diff)
	}
	if len(steps) != 3 {
		t.Errorf("Resume steps %+v", steps)
	}
	after = srv.RAM("li.wei")
	if after.AccessKeys[0].Status != "Active" || after.AccessKeys[1].Status != "Inactive" || after.LoginStatus != "Active" ||
		srv.Comments("li.wei") != ramcred.ClearedComments {
		t.Errorf("after Resume: %+v, Comments %q", after, srv.Comments("li.wei"))
	}

	// A second Resume only rewrites the Comments.
	n = len(srv.RAMLog())
	if steps, err = c.Resume(ctx, "li.wei", "", got); err != nil {
		t.Fatal(err)
	}
	for _, call := range calls(srv.RAMLog()[n:]) {
		if strings.Contains(call, "UpdateAccessKey") || strings.Contains(call, "UpdateLoginProfile") {
			t.Errorf("second Resume wrote %s", call)
		}
	}
	if len(steps) != 1 || steps[0].Action != "UpdateUser" {
		t.Errorf("second Resume steps %+v", steps)
	}
}

func TestSuspendWithNothingToCut(t *testing.T) {
	srv, c := double(t)
	srv.SeedUser(cloudtest.User{UserName: "intern", DisplayName: "Intern"})
	m, steps, err := c.Suspend(context.Background(), "intern", "", at)
	if err != nil {
		t.Fatal(err)
	}
	const marker = "ramsync:suspended:2026-11-27T09:00:00Z:"
	if m.String() != marker || srv.Comments("intern") != marker || len(m.KeyIDs) != 0 {
		t.Errorf("marker %q (%d keys), Comments %q; want %q", m, len(m.KeyIDs), srv.Comments("intern"), marker)
	}
	want := []string{"ram:ListAccessKeys", "ram:GetUser", "ims:GetUser", "ims:GetLoginProfile -> EntityNotExist.User.LoginProfile", "ram:UpdateUser " + marker}
	if diff := cmp.Diff(want, calls(srv.RAMLog())); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if len(steps) != 1 {
		t.Errorf("steps %+v, want only the UpdateUser", steps)
	}
	// Resume with no keys touches no key.
	n := len(srv.RAMLog())
	if _, err := c.Resume(context.Background(), "intern", "", m); err != nil {
		t.Fatal(err)
	}
	want = []string{"ram:GetUser", "ims:GetUser", "ims:GetLoginProfile -> EntityNotExist.User.LoginProfile", "ram:UpdateUser ramsync:active"}
	if diff := cmp.Diff(want, calls(srv.RAMLog()[n:])); diff != "" {
		t.Errorf("Resume calls (-want +got):\n%s", diff)
	}
}

func TestResumeTouchesOnlyMarkedKeys(t *testing.T) {
	srv, c := double(t)
	srv.SeedUser(cloudtest.User{UserName: "back", DisplayName: "Back"})
	srv.SetRAM("back", cloudtest.Blockers{
		AccessKeys:   []cloudtest.AccessKey{{ID: "LTAI5tMARK", Status: "Inactive"}, {ID: "LTAI5tOTHR", Status: "Inactive"}},
		LoginProfile: true, LoginStatus: "Inactive",
	})
	m := ramcred.Marker{At: at, KeyIDs: []string{"LTAI5tGONE", "LTAI5tMARK"}}
	steps, err := c.Resume(context.Background(), "back", "", m)
	if err != nil {
		t.Fatal(err)
	}
	want := []ramcred.Step{
		{Action: "UpdateAccessKey", Target: "LTAI5tGONE", Result: "already done"},
		{Action: "UpdateAccessKey", Target: "LTAI5tMARK", Result: "done"},
		{Action: "UpdateLoginProfile", Target: "Active", Result: "done"},
		{Action: "UpdateUser", Target: "ramsync:active", Result: "done"},
	}
	if diff := cmp.Diff(want, steps); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	keys := srv.RAM("back").AccessKeys
	if keys[0].Status != "Active" || keys[1].Status != "Inactive" {
		t.Errorf("keys after Resume: %+v; want only the marked one Active", keys)
	}
}

func TestSuspendStopsAtAnError(t *testing.T) {
	srv, c := double(t)
	srv.SeedUser(cloudtest.User{UserName: "leaver", DisplayName: "Leaver"})
	srv.SetRAM("leaver", cloudtest.Blockers{AccessKeys: []cloudtest.AccessKey{{ID: "LTAI5tKEY1"}}, LoginProfile: true})
	srv.Intercept = func(svc cloudtest.Service, kind string, w http.ResponseWriter, r *http.Request) bool {
		if kind != "ims:UpdateLoginProfile" {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"RequestId":"r1","HostId":"ims.aliyuncs.com","Code":"NoPermission","Message":"You are not authorized","Recommend":""}`))
		return true
	}
	m, steps, err := c.Suspend(context.Background(), "leaver", "", at)
	var re *ramcred.Error
	if !errors.As(err, &re) || re.Action != "ims:UpdateLoginProfile" || re.Transient() || !strings.Contains(err.Error(), "lacks this RAM action") {
		t.Fatalf("err = %v, want a permanent NoPermission from ims:UpdateLoginProfile", err)
	}
	if len(steps) != 1 || steps[0].Target != "LTAI5tKEY1" || len(m.KeyIDs) != 1 {
		t.Errorf("steps %+v, marker %v; want the key step and the key in the marker", steps, m)
	}
	if srv.Comments("leaver") != "" || srv.RAM("leaver").AccessKeys[0].Status != "Inactive" {
		t.Errorf("Comments %q (want none written), key %+v (want Inactive)", srv.Comments("leaver"), srv.RAM("leaver").AccessKeys[0])
	}
}

func TestSuspendUnknownUser(t *testing.T) {
	srv, c := double(t)
	ctx := context.Background()
	// The user goes away between the key step and the login step.
	srv.SeedUser(cloudtest.User{UserName: "gone", DisplayName: "Gone"})
	srv.Intercept = func(svc cloudtest.Service, kind string, w http.ResponseWriter, r *http.Request) bool {
		if kind == "GetUser" {
			u, _ := srv.UserByName("gone")
			srv.RemoveUser(u.ID)
		}
		return false
	}
	_, _, err := c.Suspend(ctx, "gone", "", at)
	if !errors.Is(err, ramcred.ErrNoSuchUser) {
		t.Errorf("Suspend of a user deleted midway: %v, want ErrNoSuchUser", err)
	}
	srv.Intercept = nil
	if _, _, err := c.Suspend(ctx, "nobody", "", at); !errors.Is(err, ramcred.ErrNoSuchUser) {
		t.Errorf("Suspend(nobody): %v", err)
	}
	if _, err := c.Resume(ctx, "nobody", "", ramcred.Marker{At: at, KeyIDs: []string{"LTAI5tX"}}); !errors.Is(err, ramcred.ErrNoSuchUser) {
		t.Errorf("Resume(nobody): %v", err)
	}
	if _, err := c.Resume(ctx, "nobody", "", ramcred.Marker{At: at}); !errors.Is(err, ramcred.ErrNoSuchUser) {
		t.Errorf("Resume(nobody) without keys: %v", err)
	}
	n := len(srv.RAMLog())
	var re *ramcred.Error
	if _, _, err := c.Suspend(ctx, "nobody", "", time.Time{}); !errors.As(err, &re) || re.Transient() || len(srv.RAMLog()) != n {
		t.Errorf("Suspend without a time: %v, %d calls; want a permanent error and no call", err, len(srv.RAMLog())-n)
	}
	if _, err := c.User(ctx, "nobody@corp.onaliyun.com"); !errors.Is(err, ramcred.ErrNoSuchUser) {
		t.Errorf("User(nobody): %v", err)
	}
}

func TestMarkersReadsEveryPage(t *testing.T) {
	srv, c := double(t)
	const n = 2100 // three ListUsers pages of at most 1000
	srv.SeedUsers(n, func(i int) cloudtest.User {
		name := fmt.Sprintf("u%04d", i)
		if i == 1500 {
			name = "Mixed.Case"
		}
		return cloudtest.User{UserName: name, DisplayName: "U"}
	})
	srv.SetComments("u0005", "ramsync:suspended:2026-11-01T00:00:00Z:LTAI5tA,LTAI5tB")
	srv.SetComments("Mixed.Case", "ramsync:suspended:2026-11-02T00:00:00Z:")
	srv.SetComments("u2099", "ramsync:suspended:2026-11-03T00:00:00Z:LTAI5tC")
	srv.SetComments("u0006", "ramsync:suspended:yesterday:")
	srv.SetComments("u0007", ramcred.ClearedComments)
	srv.SetComments("u0008", "contractor, ask Li Wei")

	got, err := c.Markers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	want := map[string]ramcred.Marker{
		"u0005":      {At: day(1), KeyIDs: []string{"LTAI5tA", "LTAI5tB"}},
		"mixed.case": {At: day(2)},
		"u2099":      {At: day(3), KeyIDs: []string{"LTAI5tC"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Markers (-want +got):\n%s", diff)
	}
	var pages []string
	for _, call := range srv.RAMLog() {
		pages = append(pages, call.Action+" "+call.Params["MaxItems"])
	}
	if diff := cmp.Diff([]string{"ListUsers 1000", "ListUsers 1000", "ListUsers 1000"}, pages); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestMarkersRetriesAndGivesUp(t *testing.T) {
	srv, c := double(t)
	srv.SeedUser(cloudtest.User{UserName: "a", DisplayName: "A"})
	srv.FailNext(cloudtest.RAM, 2, cloudtest.Throttle)
	if _, err := c.Markers(context.Background()); err != nil {
		t.Fatalf("two throttled pages should be retried: %v", err)
	}
	srv.FailNext(cloudtest.RAM, 10, cloudtest.Error5xx)
	_, err := c.Markers(context.Background())
	var re *ramcred.Error
	if !errors.As(err, &re) || !re.Transient() || re.Action != "ListUsers" {
		t.Fatalf("err = %v, want a transient ListUsers error", err)
	}
}

func TestSuspendWithoutALogonName(t *testing.T) {
	srv, c := double(t)
	srv.SeedUser(cloudtest.User{UserName: "odd", DisplayName: "Odd"})
	srv.SetRAM("odd", cloudtest.Blockers{LoginProfile: true})
	// An IMS GetUser answer without UserPrincipalName (e.g. IMSEndpoint
	// pointing at something else that answers).
	srv.Intercept = func(svc cloudtest.Service, kind string, w http.ResponseWriter, r *http.Request) bool {
		if kind != "ims:GetUser" {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"RequestId":"r1","User":{"UserId":"1"}}`))
		return true
	}
	_, _, err := c.Suspend(context.Background(), "odd", "", at)
	var re *ramcred.Error
	if !errors.As(err, &re) || re.Action != "ims:GetUser" || re.Transient() || !strings.Contains(err.Error(), "IMSEndpoint") {
		t.Fatalf("err = %v, want a permanent ims:GetUser error naming IMSEndpoint", err)
	}
	if srv.LoginStatus("odd") != "Active" || srv.Comments("odd") != "" {
		t.Errorf("login %q, Comments %q: want nothing changed past the keys", srv.LoginStatus("odd"), srv.Comments("odd"))
	}
}

// TestSuspendWithKnownID: given the user's id (the SCIM id, RAM's UserId),
// Suspend and Resume find the logon name with IMS GetUser alone, without
// RAM GetUser. An id IMS does not know, or one of another user, is looked
// up again by name, and only the named user's login is changed.
func TestSuspendWithKnownID(t *testing.T) {
	srv, c := double(t)
	ctx := context.Background()
	li := srv.SeedUser(cloudtest.User{ExternalID: "E1", UserName: "li.wei", DisplayName: "Li Wei"})
	other := srv.SeedUser(cloudtest.User{ExternalID: "E2", UserName: "other", DisplayName: "Other"})
	for _, name := range []string{"li.wei", "other"} {
		srv.SetRAM(name, cloudtest.Blockers{LoginProfile: true})
	}
	withoutMarker := func() {
		t.Helper()
		for _, name := range []string{"li.wei", "other"} {
			srv.SetComments(name, ramcred.ClearedComments)
		}
	}

	for _, tt := range []struct {
		name, id string
		want     []string
	}{
		{"its own id", li.ID, []string{"ram:ListAccessKeys", "ims:GetUser", "ims:GetLoginProfile", "ims:UpdateLoginProfile Inactive"}},
		{"an id IMS does not know", "9999999999999999", []string{"ram:ListAccessKeys", "ims:GetUser -> EntityNotExist.User", "ram:GetUser", "ims:GetUser", "ims:GetLoginProfile", "ims:UpdateLoginProfile Inactive"}},
		{"another user's id", other.ID, []string{"ram:ListAccessKeys", "ims:GetUser", "ram:GetUser", "ims:GetUser", "ims:GetLoginProfile", "ims:UpdateLoginProfile Inactive"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			withoutMarker()
			srv.SetRAM("li.wei", cloudtest.Blockers{LoginProfile: true})
			n := len(srv.RAMLog())
			m, _, err := c.Suspend(ctx, "li.wei", tt.id, at)
			if err != nil {
				t.Fatal(err)
			}
			got := calls(srv.RAMLog()[n:])
			if diff := cmp.Diff(append(tt.want, "ram:UpdateUser "+m.String()), got); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if srv.LoginStatus("li.wei") != "Inactive" || srv.LoginStatus("other") != "Active" {
				t.Errorf("login li.wei %s, other %s; want Inactive, Active", srv.LoginStatus("li.wei"), srv.LoginStatus("other"))
			}
			n = len(srv.RAMLog())
			if _, err := c.Resume(ctx, "li.wei", tt.id, m); err != nil {
				t.Fatal(err)
			}
			if srv.LoginStatus("li.wei") != "Active" || srv.LoginStatus("other") != "Active" {
				t.Errorf("after Resume: login li.wei %s, other %s", srv.LoginStatus("li.wei"), srv.LoginStatus("other"))
			}
			if tt.id == li.ID && slices.Contains(calls(srv.RAMLog()[n:]), "ram:GetUser") {
				t.Errorf("Resume with the user's own id called RAM GetUser: %v", calls(srv.RAMLog()[n:]))
			}
		})
	}
}
