package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/feishu"
	"github.com/ramsync/ramsync/pkg/localrun"
	"github.com/ramsync/ramsync/pkg/provision"
)

// startVendors runs ramsync locally with the vendor doubles o asks for,
// and checks at the end that no function printed a vendor secret.
func startVendors(t *testing.T, o localrun.Options) *localrun.Local {
	t.Helper()
	l := start(t, o)
	t.Cleanup(func() {
		for _, fn := range localrun.Functions {
			for _, line := range l.Lines(fn, "") {
				for _, s := range append(l.FeishuSecrets(), l.DingTalkSecrets()...) {
					if strings.Contains(line, s) {
						t.Errorf("%s printed a vendor app secret: %s", fn, line)
					}
				}
			}
		}
	})
	return l
}

// feishuEvent is the plaintext of a contact user event for user id.
func feishuEvent(l *localrun.Local, typ string, at time.Time, u cloudtest.FeishuUser) []byte {
	return l.FeishuApp.Event(cloudtest.FeishuEvent{Type: typ, CreateTime: at, User: u})
}

func decodeAnswer(t *testing.T, body []byte) answer {
	t.Helper()
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("answer %q is not JSON: %v", body, err)
	}
	return a
}

// TestFeishuPushesEndToEnd plays a Feishu employee's life through the real
// webhook binary: the URL check, a hire, a duplicate, a move, a freeze
// (suspension), an out-of-order redelivery, the unfreeze (resume), the
// resignation and the deletion, each answered 200 with the result the
// rulebook gives and RAM in the state it says.
func TestFeishuPushesEndToEnd(t *testing.T) {
	l := startVendors(t, localrun.Options{Feishu: &cloudtest.FeishuOptions{},
		FuncEnv: map[string]map[string]string{"webhook": {"LEAVER_GRACE": "720h"}}})
	ctx := context.Background()

	status, body, err := l.SendFeishu(ctx, l.FeishuApp.URLVerification("challenge-7f3"))
	if err != nil || status != 200 || !strings.Contains(string(body), `"challenge":"challenge-7f3"`) {
		t.Fatalf("URL check: %d %s %v", status, body, err)
	}

	t0 := time.Now()
	user := func(email string, st *cloudtest.FeishuUserStatus) cloudtest.FeishuUser {
		return cloudtest.FeishuUser{UserID: "F1001", OpenID: "ou_f1001", Name: "Li Wei", EnterpriseEmail: email, JobTitle: "Engineer", Status: st}
	}
	active := &cloudtest.FeishuUserStatus{IsActivated: true}
	hire := feishuEvent(l, feishu.EventUserCreated, t0, user("li.wei@corp.example.com", active))
	move := feishuEvent(l, feishu.EventUserUpdated, t0.Add(time.Second), user("wei.li@corp.example.com", active))
	steps := []struct {
		name     string
		push     []byte
		action   string
		userName string // the RAM user after, "" for none
		reason   string // a prefix of the result's reason
	}{
		{"hire", hire, "created", "li.wei", ""},
		{"duplicate hire", hire, "unchanged", "li.wei", ""},
		{"move", move, "updated", "wei.li", ""},
		{"freeze", feishuEvent(l, feishu.EventUserUpdated, t0.Add(2*time.Second), user("wei.li@corp.example.com", &cloudtest.FeishuUserStatus{IsFrozen: true})), "suspended", "wei.li", ""},
		{"the move redelivered late", move, "skipped", "wei.li", "stale:"},
		{"unfreeze", feishuEvent(l, feishu.EventUserUpdated, t0.Add(3*time.Second), user("wei.li@corp.example.com", active)), "resumed", "wei.li", ""},
		{"resign", feishuEvent(l, feishu.EventUserUpdated, t0.Add(4*time.Second), user("wei.li@corp.example.com", &cloudtest.FeishuUserStatus{IsResigned: true})), "suspended", "wei.li", ""},
		{"delete", feishuEvent(l, feishu.EventUserDeleted, t0.Add(5*time.Second), cloudtest.FeishuUser{UserID: "F1001"}), "already suspended", "wei.li", ""},
		{"the hire redelivered late", hire, "skipped", "wei.li", "stale:"},
	}
	for _, st := range steps {
		status, body, err := l.SendFeishu(ctx, st.push)
		if err != nil {
			t.Fatal(err)
		}
		a := decodeAnswer(t, body)
		if status != 200 || len(a.Results) != 1 || a.Results[0].Action != st.action {
			t.Errorf("%s: %d %s, want 200 and %q", st.name, status, body, st.action)
			continue
		}
		if st.reason != "" && !strings.Contains(string(body), `"reason":"`+st.reason) {
			t.Errorf("%s: %s, want a reason starting %q", st.name, body, st.reason)
		}
		u := users(l.Cloud)
		if _, ok := u[st.userName]; !ok || len(u) != 1 {
			t.Errorf("%s: RAM users %v, want only %s", st.name, keys(u), st.userName)
		}
	}
	// The resigned user is suspended: its marker is set, and the
	// reconciler deletes it once LEAVER_GRACE is over.
	if u := users(l.Cloud)["wei.li"]; u.ExternalID != "F1001" {
		t.Errorf("the suspended user: %+v", u)
	}
}

// TestFeishuWithoutGraceEndToEnd: with LEAVER_GRACE=0 a freeze changes
// nothing ("frozen: …"), a resignation deletes and the deletion event
// after it is already absent; an event without user_id is a permanent
// refusal, answered 200 with the rejection in the results and the log.
func TestFeishuWithoutGraceEndToEnd(t *testing.T) {
	l := startVendors(t, localrun.Options{Feishu: &cloudtest.FeishuOptions{}})
	ctx := context.Background()
	t0 := time.Now()
	u := cloudtest.FeishuUser{UserID: "F2002", Name: "Wang Fang", EnterpriseEmail: "wang.fang@corp.example.com"}
	frozen, resigned := u, u
	frozen.Status = &cloudtest.FeishuUserStatus{IsFrozen: true}
	resigned.Status = &cloudtest.FeishuUserStatus{IsResigned: true}
	steps := []struct {
		name, action, reason string
		push                 []byte
	}{
		{"hire", "created", "", feishuEvent(l, feishu.EventUserCreated, t0, u)},
		{"freeze", "skipped", "frozen: suspension needs LEAVER_GRACE", feishuEvent(l, feishu.EventUserUpdated, t0.Add(time.Second), frozen)},
		{"resign", "deleted", "", feishuEvent(l, feishu.EventUserUpdated, t0.Add(2*time.Second), resigned)},
		{"delete", "already absent", "", feishuEvent(l, feishu.EventUserDeleted, t0.Add(3*time.Second), cloudtest.FeishuUser{UserID: "F2002"})},
	}
	for _, st := range steps {
		status, body, err := l.SendFeishu(ctx, st.push)
		if err != nil {
			t.Fatal(err)
		}
		a := decodeAnswer(t, body)
		if status != 200 || len(a.Results) != 1 || a.Results[0].Action != st.action || !strings.Contains(string(body), st.reason) {
			t.Errorf("%s: %d %s, want 200 %q %q", st.name, status, body, st.action, st.reason)
		}
	}
	writes := l.Cloud.Counters().SCIMWrites()
	status, body, err := l.SendFeishu(ctx, feishuEvent(l, feishu.EventUserDeleted, t0, cloudtest.FeishuUser{OpenID: "ou_only"}))
	if err != nil {
		t.Fatal(err)
	}
	if a := decodeAnswer(t, body); status != 200 || len(a.Results) != 1 || a.Results[0].Error == nil || a.Results[0].Error.Code != "invalid_employee" {
		t.Errorf("no user_id: %d %s, want 200 with one invalid_employee result", status, body)
	}
	if n := l.Cloud.Counters().SCIMWrites() - writes; n != 0 {
		t.Errorf("the refused event made %d SCIM writes", n)
	}
	logged := false
	for _, line := range l.Lines("webhook", "stdout") {
		logged = logged || strings.Contains(line, "vendor event refused") && strings.Contains(line, "user_id")
	}
	if !logged {
		t.Error("the refusal is not in the webhook's log")
	}
	if len(l.Cloud.Users()) != 0 {
		t.Errorf("users left: %v", keys(users(l.Cloud)))
	}
}

// directorySize is the size of the vendor directory reconciles: 10,000
// users in 320 departments (SPEC §4.6 issue figures); RAMSYNC_SMALL=1
// makes it 1,000 in 40 for a quick local run.
func directorySize() (users, departments int) {
	if os.Getenv("RAMSYNC_SMALL") != "" {
		return 1000, 40
	}
	return 10000, 320
}

// TestFeishuDirectoryReconcile pulls a Feishu directory of 10,000 users in
// 320 departments (some users in two) through the real reconciler binary
// with ROSTER_URL=feishu:// and checks RAM is exactly right: one user per
// active user_id with its userName, none for resigned, exited or frozen
// users (LEAVER_GRACE=0), the resigned user's old RAM user and an owned
// stray deleted, a hand-made user kept. Then a pull failing on its last
// page aborts the run with zero writes.
func TestFeishuDirectoryReconcile(t *testing.T) {
	n, m := directorySize()
	l := startVendors(t, localrun.Options{Feishu: &cloudtest.FeishuOptions{},
		FuncEnv: map[string]map[string]string{"reconciler": {"ROSTER_URL": "feishu://", "MAX_DELETES": "100", "MAX_DELETE_PERCENT": "100", "SCIM_CONCURRENCY": "16"}}})
	seed := l.Feishu.SeedDirectory(n, m)
	if seed.MultiDepartment == 0 || seed.Departments < 300 && n == 10000 {
		t.Fatalf("seed: %+v", seed)
	}
	old := time.Now().Add(-72 * time.Hour)
	l.Cloud.SeedUser(cloudtest.User{ExternalID: "u00005", UserName: "user00005", DisplayName: "User 5", Created: old, LastModified: old}) // resigned
	l.Cloud.SeedUser(cloudtest.User{ExternalID: "gone-1", UserName: "gone.one", DisplayName: "Gone", Created: old, LastModified: old})    // owned stray
	l.Cloud.SeedUser(cloudtest.User{UserName: "breakglass", DisplayName: "Break Glass", Created: old, LastModified: old})                 // hand-made
	want := map[string]string{"breakglass": ""}
	for _, u := range l.Feishu.Users() {
		if st := u.Status; st == nil || !(st.IsResigned || st.IsExited || st.IsFrozen) {
			want["user"+strings.TrimPrefix(u.UserID, "u")] = u.UserID
		}
	}

	ctx := context.Background()
	before := l.Feishu.Counters()
	raw, _, err := l.Reconcile(ctx, `{}`)
	if err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	var rep provision.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	checkExactly(t, l.Cloud, want)
	if rep.Counts.Delete != 2 || rep.Counts.Create != len(want)-1 {
		t.Errorf("report counts %+v, want %d creates and 2 deletes", rep.Counts, len(want)-1)
	}
	children, userPages := l.Feishu.LowerBound("0")
	c := l.Feishu.Counters()
	pulled := int(c[cloudtest.FeishuAPIChildren] - before[cloudtest.FeishuAPIChildren] + c[cloudtest.FeishuAPIFindByDepartment] - before[cloudtest.FeishuAPIFindByDepartment])
	t.Logf("feishu:// %d users in %d departments: %d pull calls (lower bound %d), %d token calls",
		n, m, pulled, children+userPages, c[cloudtest.FeishuAPIToken]-before[cloudtest.FeishuAPIToken])
	if pulled < children+userPages || pulled > 2*(children+userPages) {
		t.Errorf("%d pull calls, lower bound %d", pulled, children+userPages)
	}

	// A second run writes nothing; then a pull failing on its last page
	// aborts the run with zero writes.
	l.Feishu.AddUser(cloudtest.FeishuUser{UserID: "late-1", Name: "Late", EnterpriseEmail: "late.one@corp.example.com", DepartmentIDs: []string{"od-1"}})
	l.Feishu.Inject(cloudtest.FeishuFault{API: cloudtest.FeishuAPIFindByDepartment, LastPage: true, Status: 400, Code: 40004, Msg: "no dept authority"})
	writes := l.Cloud.Counters().SCIMWrites()
	if _, _, err := l.Reconcile(ctx, `{}`); err == nil || !strings.Contains(err.Error(), "find_by_department") {
		t.Errorf("a pull failing on its last page: err %v, want the run aborted naming the call", err)
	}
	if n := l.Cloud.Counters().SCIMWrites() - writes; n != 0 {
		t.Errorf("the aborted run made %d SCIM writes", n)
	}
	if _, ok := users(l.Cloud)["late.one"]; ok {
		t.Error("the aborted run created a user")
	}
}

// checkExactly checks RAM holds exactly want (userName → externalId, ""
// for a hand-made user).
func checkExactly(t *testing.T, srv *cloudtest.Server, want map[string]string) {
	t.Helper()
	got := users(srv)
	var missing, extra, wrong []string
	for name, ext := range want {
		u, ok := got[name]
		switch {
		case !ok:
			missing = append(missing, name)
		case u.ExternalID != ext:
			wrong = append(wrong, fmt.Sprintf("%s has externalId %q, want %q", name, u.ExternalID, ext))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			extra = append(extra, name)
		}
	}
	if len(missing)+len(extra)+len(wrong) > 0 {
		t.Errorf("RAM is not exactly the directory: %d missing %v, %d extra %v, %d wrong %v",
			len(missing), first(missing), len(extra), first(extra), len(wrong), first(wrong))
	}
}

func keys(m map[string]cloudtest.User) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func first(s []string) []string { return s[:min(len(s), 5)] }
