package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/dingtalk"
	"github.com/ramsync/ramsync/pkg/localrun"
	"github.com/ramsync/ramsync/pkg/provision"
)

// TestDingTalkPushesEndToEnd plays pushes through the real webhook
// binary: check_url, a joiner, a duplicate, a move, a leaver, a user
// DingTalk no longer knows; each answered with the encrypted, signed
// "success" DingTalk checks, and RAM as the rulebook says.
func TestDingTalkPushesEndToEnd(t *testing.T) {
	l := startVendors(t, localrun.Options{DingTalk: &cloudtest.DingTalkOptions{}})
	ctx := context.Background()
	dt := l.DingTalk
	dt.AddUser(cloudtest.DingTalkUser{UserID: "0155", Name: "Li Wei", OrgEmail: "li.wei@corp.example.com", Active: true, DeptIDs: []int64{1}})
	t0 := time.Now()
	steps := []struct {
		name     string
		setup    func()
		msg      []byte
		userName string // the RAM user of 0155 after, "" for none
	}{
		{"check_url", nil, dt.EventMessage(dingtalk.TypeCheckURL, t0), ""},
		{"joiner", nil, dt.EventMessage(dingtalk.TypeUserAdd, t0, "0155"), "li.wei"},
		{"duplicate", nil, dt.EventMessage(dingtalk.TypeUserAdd, t0, "0155"), "li.wei"},
		{"activation", nil, dt.EventMessage(dingtalk.TypeUserActive, t0, "0155"), "li.wei"},
		{"move", func() {
			dt.AddUser(cloudtest.DingTalkUser{UserID: "0155", Name: "Li Wei", OrgEmail: "wei.li@corp.example.com", Active: true, DeptIDs: []int64{1}})
		}, dt.EventMessage(dingtalk.TypeUserModify, t0.Add(time.Second), "0155"), "wei.li"},
		{"a user gone before the fetch", nil, dt.EventMessage(dingtalk.TypeUserAdd, t0, "0404"), "wei.li"},
		{"leaver", func() { dt.RemoveUser("0155") }, dt.EventMessage(dingtalk.TypeUserLeave, t0.Add(2*time.Second), "0155"), ""},
		{"leaver redelivered", nil, dt.EventMessage(dingtalk.TypeUserLeave, t0.Add(2*time.Second), "0155"), ""},
	}
	for _, st := range steps {
		if st.setup != nil {
			st.setup()
		}
		status, body, err := l.SendDingTalk(ctx, st.msg)
		if err != nil {
			t.Fatal(err)
		}
		if status != 200 || dt.CheckReply(body) != nil {
			t.Errorf("%s: %d %s, want 200 and the success DingTalk accepts (%v)", st.name, status, body, dt.CheckReply(body))
		}
		var got []string
		for _, u := range l.Cloud.Users() {
			got = append(got, u.UserName)
		}
		if want := st.userName; (want == "" && len(got) != 0) || (want != "" && (len(got) != 1 || got[0] != want)) {
			t.Errorf("%s: RAM users %v, want %q", st.name, got, want)
		}
	}
	if dt.Calls(dingtalk.APIToken) != 1 {
		t.Errorf("%d gettoken calls: the token is not cached across warm invocations", dt.Calls(dingtalk.APIToken))
	}
}

// TestDingTalkSCIMOutageEndToEnd: SCIM down during a push answers 503 (no
// success: DingTalk redelivers), and the redelivery applies the joiner
// exactly once.
func TestDingTalkSCIMOutageEndToEnd(t *testing.T) {
	l := startVendors(t, localrun.Options{DingTalk: &cloudtest.DingTalkOptions{}})
	ctx := context.Background()
	dt := l.DingTalk
	dt.AddUser(cloudtest.DingTalkUser{UserID: "0177", Name: "Zhang San", OrgEmail: "zhang.san@corp.example.com", DeptIDs: []int64{1}})
	msg := dt.EventMessage(dingtalk.TypeUserAdd, time.Now(), "0177")
	l.Cloud.SetFaults(cloudtest.SCIM, cloudtest.Faults{ErrorRate: 1})
	status, body, err := l.SendDingTalk(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	if status != 503 || dt.CheckReply(body) == nil || !strings.Contains(string(body), `"code":"unavailable"`) {
		t.Fatalf("during the outage: %d %s, want 503 unavailable", status, body)
	}
	if len(l.Cloud.Users()) != 0 {
		t.Fatal("a user was made during the outage")
	}
	l.Cloud.SetFaults(cloudtest.SCIM, cloudtest.Faults{}) // the outage ends
	status, body, err = l.SendDingTalk(ctx, msg)          // DingTalk's redelivery
	if err != nil {
		t.Fatal(err)
	}
	if status != 200 || dt.CheckReply(body) != nil {
		t.Fatalf("redelivery: %d %s", status, body)
	}
	status, body, _ = l.SendDingTalk(ctx, msg) // and its second one
	if status != 200 || dt.CheckReply(body) != nil {
		t.Fatalf("second redelivery: %d %s", status, body)
	}
	if u := l.Cloud.Users(); len(u) != 1 || u[0].ExternalID != "0177" || u[0].UserName != "zhang.san" {
		t.Errorf("users after the redeliveries: %+v, want zhang.san once", u)
	}
}

// TestDingTalkDirectoryReconcile pulls a DingTalk org of 10,000 users in
// 320 departments (some users in two or three) through the real
// reconciler binary with ROSTER_URL=dingtalk:// and checks RAM is exactly
// right; then a pull failing part-way aborts with zero writes.
func TestDingTalkDirectoryReconcile(t *testing.T) {
	n, m := directorySize()
	l := startVendors(t, localrun.Options{DingTalk: &cloudtest.DingTalkOptions{},
		FuncEnv: map[string]map[string]string{"reconciler": {"ROSTER_URL": "dingtalk://", "MAX_DELETES": "100", "MAX_DELETE_PERCENT": "100", "SCIM_CONCURRENCY": "16"}}})
	dt := l.DingTalk
	memberships := dt.SeedOrg(n, m)
	old := time.Now().Add(-72 * time.Hour)
	l.Cloud.SeedUser(cloudtest.User{ExternalID: "left-1", UserName: "left.one", DisplayName: "Left", Created: old, LastModified: old}) // a leaver
	l.Cloud.SeedUser(cloudtest.User{UserName: "breakglass", DisplayName: "Break Glass", Created: old, LastModified: old})              // hand-made
	want := map[string]string{"breakglass": ""}
	for _, id := range dt.UserIDs() {
		want[id] = id // SeedOrg's org_email is <userid>@corp.example.com
	}

	ctx := context.Background()
	before := dt.AllCalls()
	raw, _, err := l.Reconcile(ctx, `{}`)
	if err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	var rep provision.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	checkExactly(t, l.Cloud, want)
	if rep.Counts.Create != n || rep.Counts.Delete != 1 {
		t.Errorf("report counts %+v, want %d creates and 1 delete", rep.Counts, n)
	}
	after := dt.AllCalls()
	calls := 0
	for api, c := range after {
		calls += c - before[api]
	}
	t.Logf("dingtalk:// %d users (%d memberships) in %d departments: %d pull calls (lower bound %d)", n, memberships, m, calls, dt.MinPullCalls())
	if calls < dt.MinPullCalls() {
		t.Errorf("%d pull calls, below the lower bound %d", calls, dt.MinPullCalls())
	}

	// A pull failing part-way (the 50th user/list call from now, for good)
	// aborts the run with zero writes.
	dt.AddUser(cloudtest.DingTalkUser{UserID: "late1", Name: "Late", OrgEmail: "late1@corp.example.com", DeptIDs: []int64{1}})
	dt.Fail(dingtalk.APIUserList, dt.Calls(dingtalk.APIUserList)+50, 1, cloudtest.DingTalkFault{ErrCode: 60011, ErrMsg: "no permission for this department"})
	writes := l.Cloud.Counters().SCIMWrites()
	if _, _, err := l.Reconcile(ctx, `{}`); err == nil || !strings.Contains(err.Error(), "user/list") {
		t.Errorf("a pull failing part-way: err %v, want the run aborted naming the API", err)
	}
	if n := l.Cloud.Counters().SCIMWrites() - writes; n != 0 {
		t.Errorf("the aborted run made %d SCIM writes", n)
	}
	if _, ok := users(l.Cloud)["late1"]; ok {
		t.Error("the aborted run created a user")
	}
}
