package ramcred_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/ramcred"
	"github.com/ramsync/ramsync/pkg/stacktest"
)

// leaver seeds an engineer with 2 AccessKeys, MFA, 2 groups, 3 policies
// and a console login.
func leaver(t *testing.T) *stacktest.Stack {
	t.Helper()
	srv := cloudtest.NewServer(cloudtest.Options{})
	t.Cleanup(srv.Close)
	s, err := stacktest.New(srv)
	if err != nil {
		t.Fatal(err)
	}
	srv.SeedUser(cloudtest.User{ExternalID: "E1", UserName: "li.wei", DisplayName: "Li Wei"})
	now := time.Now()
	srv.SetRAM("li.wei", cloudtest.Blockers{
		AccessKeys:   []cloudtest.AccessKey{{ID: "LTAI5tAAAA", Status: "Active", Created: now}, {ID: "LTAI5tBBBB", Status: "Active", Created: now}},
		LoginProfile: true,
		MFASerial:    "acs:ram::1234567890123456:mfa/li.wei",
		Groups:       []string{"devs", "oncall"},
		Policies:     []cloudtest.Policy{{Name: "AliyunECSFullAccess", Type: "System"}, {Name: "AliyunOSSReadOnlyAccess", Type: "System"}, {Name: "deploy-prod", Type: "Custom"}},
	})
	return s
}

func writes(log []cloudtest.RAMCall) []string {
	var out []string
	for _, c := range log {
		if strings.HasPrefix(c.Action, "Get") || strings.HasPrefix(c.Action, "List") {
			continue
		}
		out = append(out, c.Action+" "+c.Params["UserAccessKeyId"]+c.Params["GroupName"]+c.Params["PolicyName"])
	}
	return out
}

func TestRevokeCutsAccessFirst(t *testing.T) {
	s := leaver(t)
	ctx := context.Background()
	b, err := s.RAM.Blockers(ctx, "li.wei")
	if err != nil {
		t.Fatal(err)
	}
	wantList := []string{
		"AccessKey LTAI5tAAAA (Active)", "AccessKey LTAI5tBBBB (Active)", "console login profile",
		"MFA device acs:ram::1234567890123456:mfa/li.wei", "group devs", "group oncall",
		"policy AliyunECSFullAccess (System)", "policy AliyunOSSReadOnlyAccess (System)", "policy deploy-prod (Custom)",
	}
	if diff := cmp.Diff(wantList, b.List()); diff != "" || !b.Blocking() {
		t.Errorf("Blockers (-want +got):\n%s", diff)
	}

	steps, err := s.RAM.Revoke(ctx, "li.wei")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"UpdateAccessKey LTAI5tAAAA", "UpdateAccessKey LTAI5tBBBB",
		"DeleteAccessKey LTAI5tAAAA", "DeleteAccessKey LTAI5tBBBB",
		"DeleteLoginProfile ", "UnbindMFADevice ",
		"RemoveUserFromGroup devs", "RemoveUserFromGroup oncall",
		"DetachPolicyFromUser AliyunECSFullAccess", "DetachPolicyFromUser AliyunOSSReadOnlyAccess", "DetachPolicyFromUser deploy-prod",
	}
	if diff := cmp.Diff(want, writes(s.Server.RAMLog())); diff != "" {
		t.Errorf("RAM writes in order (-want +got):\n%s", diff)
	}
	for _, c := range s.Server.RAMLog() {
		if c.Action == "UpdateAccessKey" && c.Params["Status"] != "Inactive" {
			t.Errorf("UpdateAccessKey with Status %q", c.Params["Status"])
		}
		if c.UserName != "li.wei" {
			t.Errorf("%s without UserName li.wei (RAM would act on the caller)", c.Action)
		}
	}
	if len(steps) != len(want) {
		t.Errorf("%d steps reported, want %d: %+v", len(steps), len(want), steps)
	}
	for _, st := range steps {
		if st.Result != "done" {
			t.Errorf("step %+v not done", st)
		}
	}
	if left := s.Server.RAM("li.wei"); len(left.AccessKeys)+len(left.Groups)+len(left.Policies) != 0 || left.MFASerial != "" || left.LoginProfile {
		t.Errorf("left after revoke: %+v", left)
	}
	// Now RAM lets SCIM delete the user.
	u, _, _ := s.SCIM.FindByExternalID(ctx, "E1")
	if err := s.SCIM.Delete(ctx, u.ID); err != nil {
		t.Fatalf("delete after revoke: %v", err)
	}
}

func TestRevokeIsIdempotent(t *testing.T) {
	s := leaver(t)
	ctx := context.Background()
	if _, err := s.RAM.Revoke(ctx, "li.wei"); err != nil {
		t.Fatal(err)
	}
	before := len(s.Server.RAMLog())
	steps, err := s.RAM.Revoke(ctx, "li.wei")
	if err != nil || len(steps) != 0 {
		t.Fatalf("second revoke: steps %+v, err %v; want nothing to do", steps, err)
	}
	if w := writes(s.Server.RAMLog()[before:]); len(w) != 0 {
		t.Errorf("second revoke wrote %v", w)
	}
}

func TestRevokeFailureMidwayIsFinishedByARetry(t *testing.T) {
	s := leaver(t)
	ctx := context.Background()
	// DeleteLoginProfile is refused (no permission): after the keys were cut.
	s.Server.Intercept = func(svc cloudtest.Service, kind string, w http.ResponseWriter, r *http.Request) bool {
		if svc != cloudtest.RAM || kind != "DeleteLoginProfile" {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"RequestId":"r1","HostId":"ram","Code":"NoPermission","Message":"You are not authorized","Recommend":""}`))
		return true
	}
	steps, err := s.RAM.Revoke(ctx, "li.wei")
	var re *ramcred.Error
	if !errors.As(err, &re) || re.Action != "DeleteLoginProfile" || re.Transient() {
		t.Fatalf("err = %v, want a permanent error from DeleteLoginProfile", err)
	}
	if len(steps) != 4 {
		t.Fatalf("steps before the failure = %+v, want the 4 AccessKey steps", steps)
	}
	s.Server.Intercept = nil
	before := len(s.Server.RAMLog())
	steps, err = s.RAM.Revoke(ctx, "li.wei")
	if err != nil {
		t.Fatal(err)
	}
	got := writes(s.Server.RAMLog()[before:])
	want := []string{"DeleteLoginProfile ", "UnbindMFADevice ", "RemoveUserFromGroup devs", "RemoveUserFromGroup oncall",
		"DetachPolicyFromUser AliyunECSFullAccess", "DetachPolicyFromUser AliyunOSSReadOnlyAccess", "DetachPolicyFromUser deploy-prod"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the retry's writes (-want +got):\n%s", diff)
	}
	if len(steps) != len(want) {
		t.Errorf("steps = %+v", steps)
	}
}

func TestUnknownUser(t *testing.T) {
	s := leaver(t)
	b, err := s.RAM.Blockers(context.Background(), "nobody")
	if !errors.Is(err, ramcred.ErrNoSuchUser) || b.Blocking() {
		t.Errorf("Blockers(nobody) = %+v, %v; want ErrNoSuchUser", b, err)
	}
	steps, err := s.RAM.Revoke(context.Background(), "nobody@corp.onaliyun.com")
	if !errors.Is(err, ramcred.ErrNoSuchUser) || len(steps) != 0 {
		t.Errorf("Revoke(nobody) = %+v, %v; want ErrNoSuchUser", steps, err)
	}
	var re *ramcred.Error
	if !errors.As(err, &re) || re.Transient() {
		t.Errorf("ErrNoSuchUser should be final: %v", err)
	}
}

func TestTransientErrorsAreRetried(t *testing.T) {
	s := leaver(t)
	s.Server.FailNext(cloudtest.RAM, 2, cloudtest.Throttle)
	if _, err := s.RAM.Blockers(context.Background(), "li.wei"); err != nil {
		t.Fatalf("two throttled calls should be retried: %v", err)
	}
	s.Server.FailNext(cloudtest.RAM, 10, cloudtest.Error5xx)
	_, err := s.RAM.Blockers(context.Background(), "li.wei")
	var re *ramcred.Error
	if !errors.As(err, &re) || !re.Transient() || re.Action != "ListAccessKeys" {
		t.Fatalf("err = %v, want a transient ListAccessKeys error after the retries", err)
	}
	o := s.Server.Options()
	if strings.Contains(err.Error(), o.SecurityToken) || strings.Contains(err.Error(), o.AccessKeySecret) {
		t.Errorf("error %q shows a credential", err)
	}
}
