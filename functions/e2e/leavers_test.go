package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/localrun"
	"github.com/ramsync/ramsync/pkg/provision"
)

// The reversible leaver (SPEC v2 rules 5–5e, 6) through the real binaries.

var graceEnv = map[string]string{"LEAVER_GRACE": "720h", "OFFBOARD_CLEANUP": "true"}

// seedLeaver seeds an owned user with one Active and one Inactive
// AccessKey and a console login, and returns the Active key's id.
func seedLeaver(srv *cloudtest.Server, ext, name string) (active, inactive string) {
	hourAgo := time.Now().Add(-time.Hour)
	srv.SeedUser(cloudtest.User{ExternalID: ext, UserName: name, DisplayName: name, Created: hourAgo, LastModified: hourAgo})
	active, inactive = "LTAI5tA"+ext, "LTAI5tI"+ext
	srv.SetRAM(name, cloudtest.Blockers{
		AccessKeys:   []cloudtest.AccessKey{{ID: active, Status: "Active"}, {ID: inactive, Status: "Inactive"}},
		LoginProfile: true, Groups: []string{"dev"},
	})
	return active, inactive
}

// eventAt is a native webhook event of type typ at time at.
func eventAt(typ, id, email string, at time.Time) []byte {
	return []byte(`{"id":"evt-` + id + `-` + typ + `-` + fmt.Sprint(at.UnixNano()) + `","type":"employee.` + typ + `","occurredAt":"` + at.UTC().Format(time.RFC3339Nano) + `",` +
		`"employee":{"id":"` + id + `","email":"` + email + `","displayName":"` + id + `","status":"active"}}`)
}

// postOne sends one event and returns its one result.
func postOne(t *testing.T, l *localrun.Local, body []byte) (int, answer) {
	t.Helper()
	status, b, err := l.Post(context.Background(), body, nil)
	if err != nil {
		t.Fatal(err)
	}
	var a answer
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("%d %s: %v", status, b, err)
	}
	if status == 200 && len(a.Results) != 1 {
		t.Fatalf("answer %s: want one result", b)
	}
	return status, a
}

// checkSuspended holds rule 5b: every key Inactive, the login Inactive,
// the marker exact, AccessKeys cut before the login, the user still there.
func checkSuspended(t *testing.T, srv *cloudtest.Server, name, activeKey string, at time.Time, callsBefore int) {
	t.Helper()
	ram := srv.RAM(name)
	for _, k := range ram.AccessKeys {
		if k.Status != "Inactive" {
			t.Errorf("%s: key %s is %s after the suspension", name, k.ID, k.Status)
		}
	}
	if got := srv.LoginStatus(name); got != "Inactive" {
		t.Errorf("%s: login %q, want Inactive", name, got)
	}
	if len(ram.Groups) != 1 {
		t.Errorf("%s: groups %v: a suspension keeps them", name, ram.Groups)
	}
	want := "ramsync:suspended:" + at.UTC().Truncate(time.Second).Format(time.RFC3339) + ":" + activeKey
	if got := srv.Comments(name); got != want {
		t.Errorf("%s: Comments %q, want %q", name, got, want)
	}
	if _, ok := srv.UserByName(name); !ok {
		t.Errorf("%s: the user is gone; a suspension keeps it", name)
	}
	key, login, marker := -1, -1, -1
	for i, c := range srv.RAMLog()[callsBefore:] {
		switch {
		case c.Action == "UpdateAccessKey" && c.Params["UserAccessKeyId"] == activeKey:
			key = i
		case c.Action == "UpdateLoginProfile":
			login = i
		case c.Action == "UpdateUser":
			marker = i
		}
	}
	if key < 0 || login < 0 || marker < 0 || key > login || login > marker {
		t.Errorf("%s: order of writes: key %d, login %d, marker %d: want AccessKeys, then login, then marker", name, key, login, marker)
	}
}

// writes counts SCIM and RAM OpenAPI writes.
func writes(srv *cloudtest.Server) int {
	return int(srv.Counters().SCIMWrites()) + len(ramWrites(srv.RAMLog()))
}

func TestLeaverSuspendedOnEachPath(t *testing.T) {
	l := start(t, localrun.Options{Env: graceEnv})
	srv := l.Cloud
	k1, _ := seedLeaver(srv, "E1", "one")
	k2, _ := seedLeaver(srv, "E2", "two")
	k3, _ := seedLeaver(srv, "E3", "three")
	for i := range 10 {
		srv.SeedUser(cloudtest.User{ExternalID: fmt.Sprintf("A%d", i), UserName: fmt.Sprintf("a%d", i), DisplayName: fmt.Sprintf("a%d", i)})
	}

	// Webhook.
	at := time.Now().Add(-time.Second)
	before := len(srv.RAMLog())
	status, a := postOne(t, l, eventAt("terminated", "E1", "one@example.com", at))
	if status != 200 || a.Results[0].Action != "suspended" {
		t.Fatalf("webhook termination: %d %+v", status, a)
	}
	checkSuspended(t, srv, "one", k1, at, before)
	w := writes(srv)
	status, a = postOne(t, l, eventAt("terminated", "E1", "one@example.com", at))
	if status != 200 || a.Results[0].Action != "already suspended" || writes(srv) != w {
		t.Fatalf("second webhook termination: %d %+v, %d writes", status, a, writes(srv)-w)
	}

	// Offboarding.
	before = len(srv.RAMLog())
	ev := terminated(l.Runtime, "E2", "two@example.com")
	evTime, _ := time.Parse(time.RFC3339, ev.Time)
	b, _ := json.Marshal(ev)
	if r := invokeOffboarding(t, l, b); r.Action != "suspended" || r.UserName != "two" {
		t.Fatalf("offboarding: %+v", r)
	}
	checkSuspended(t, srv, "two", k2, evTime, before)
	w = writes(srv)
	if r := invokeOffboarding(t, l, b); r.Action != "already suspended" || writes(srv) != w {
		t.Fatalf("second offboarding: %+v, %d writes", r, writes(srv)-w)
	}

	// Reconciler: E3 terminated in the roster, E1 and E2 absent; the
	// active ones stay.
	asOf := time.Now().Add(time.Second)
	roster := []map[string]any{{"id": "E3", "email": "three@example.com", "displayName": "three", "status": "terminated"}}
	for i := range 10 {
		roster = append(roster, map[string]any{"id": fmt.Sprintf("A%d", i), "email": fmt.Sprintf("a%d@example.com", i), "displayName": fmt.Sprintf("a%d", i)})
	}
	if err := l.WriteRoster(asOf, roster); err != nil {
		t.Fatal(err)
	}
	before = len(srv.RAMLog())
	rep := reconcile(t, l, `{"maxDeletePercent": 50}`)
	if c := rep.Counts; c.Suspend != 1 || c.AlreadySuspended != 2 || c.Delete != 0 || c.Unchanged != 10 || rep.Brakes.Fired {
		t.Fatalf("reconcile counts %+v brakes %+v", c, rep.Brakes)
	}
	checkSuspended(t, srv, "three", k3, asOf, before)
	if rep.Directory.Suspended != 2 {
		t.Errorf("directory %+v: want 2 suspended users read before the run", rep.Directory)
	}
	w = writes(srv)
	rep = reconcile(t, l, `{"maxDeletePercent": 50}`)
	if c := rep.Counts; c.Suspend != 0 || c.AlreadySuspended != 3 || writes(srv) != w {
		t.Fatalf("second reconcile: %+v, %d writes", c, writes(srv)-w)
	}
}

func reconcile(t *testing.T, l *localrun.Local, payload string) provision.Report {
	t.Helper()
	raw, _, err := l.Reconcile(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	var rep provision.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return rep
}

func TestResumeStaleAndUpdates(t *testing.T) {
	l := start(t, localrun.Options{Env: graceEnv})
	srv := l.Cloud
	active, inactive := seedLeaver(srv, "E1", "li.wei")
	suspendedAt := time.Now().Add(-time.Minute)
	if status, a := postOne(t, l, eventAt("terminated", "E1", "li.wei@example.com", suspendedAt)); status != 200 || a.Results[0].Action != "suspended" {
		t.Fatalf("termination: %d %+v", status, a)
	}

	w := writes(srv)
	status, a := postOne(t, l, eventAt("updated", "E1", "li.wei@example.com", time.Now()))
	if status != 200 || a.Results[0].Action != "skipped" || writes(srv) != w {
		t.Fatalf("update of a suspended user: %d %+v, %d writes", status, a, writes(srv)-w)
	}
	status, b, _ := l.Post(context.Background(), eventAt("hired", "E1", "li.wei@example.com", suspendedAt.Add(-time.Second)), nil)
	if status != 200 || !strings.Contains(string(b), `"reason":"stale:`) || !strings.Contains(string(b), `"action":"skipped"`) || writes(srv) != w {
		t.Fatalf("an older hire: %d %s, %d writes", status, b, writes(srv)-w)
	}

	status, a = postOne(t, l, eventAt("hired", "E1", "li.wei@example.com", time.Now()))
	if status != 200 || a.Results[0].Action != "resumed" {
		t.Fatalf("a newer hire: %d %+v", status, a)
	}
	keys := map[string]string{}
	for _, k := range srv.RAM("li.wei").AccessKeys {
		keys[k.ID] = k.Status
	}
	if keys[active] != "Active" || keys[inactive] != "Inactive" {
		t.Errorf("keys after the resume %v: want only the marked key (%s) back", keys, active)
	}
	if srv.LoginStatus("li.wei") != "Active" || strings.HasPrefix(srv.Comments("li.wei"), "ramsync:suspended") {
		t.Errorf("after the resume: login %q, comments %q", srv.LoginStatus("li.wei"), srv.Comments("li.wei"))
	}

	// A termination older than the user: it was made for a later hire.
	srv.SeedUser(cloudtest.User{ExternalID: "E5", UserName: "five", DisplayName: "five"})
	w = writes(srv)
	status, b, _ = l.Post(context.Background(), eventAt("terminated", "E5", "five@example.com", time.Now().Add(-time.Hour)), nil)
	if status != 200 || !strings.Contains(string(b), `"reason":"stale:`) || writes(srv) != w {
		t.Fatalf("a termination older than the user: %d %s", status, b)
	}
	// And one older than EVENT_MAX_AGE.
	srv.SeedUser(cloudtest.User{ExternalID: "E6", UserName: "six", DisplayName: "six"})
	status, b, _ = l.Post(context.Background(), eventAt("terminated", "E6", "six@example.com", time.Now().Add(-73*time.Hour)), nil)
	if status != 200 || !strings.Contains(string(b), `"reason":"stale: the event occurred`) || writes(srv) != w {
		t.Fatalf("an event older than EVENT_MAX_AGE: %d %s", status, b)
	}
}

func TestGraceOverDeletesWithinTheBrakes(t *testing.T) {
	l := start(t, localrun.Options{Env: map[string]string{"LEAVER_GRACE": "1s", "OFFBOARD_CLEANUP": "true"}})
	srv := l.Cloud
	seedLeaver(srv, "E1", "one")
	seedLeaver(srv, "E2", "two")
	var roster []map[string]any
	for i := range 20 {
		srv.SeedUser(cloudtest.User{ExternalID: fmt.Sprintf("A%d", i), UserName: fmt.Sprintf("a%d", i), DisplayName: fmt.Sprintf("a%d", i)})
		roster = append(roster, map[string]any{"id": fmt.Sprintf("A%d", i), "email": fmt.Sprintf("a%d@example.com", i), "displayName": fmt.Sprintf("a%d", i)})
	}
	if err := l.WriteRoster(time.Now().Add(time.Second), roster); err != nil {
		t.Fatal(err)
	}
	rep := reconcile(t, l, `{"maxDeletePercent": 100}`)
	if c := rep.Counts; c.Suspend != 2 || c.Delete != 0 {
		t.Fatalf("first run %+v: want 2 suspended", c)
	}
	time.Sleep(2100 * time.Millisecond) // the grace (1s after the roster's as-of time) runs out: a wait on a real clock, not a timing assertion

	// The deletes after the grace are removals: the brakes hold them.
	rep = reconcile(t, l, `{"maxDeletes": 1, "maxDeletePercent": 100}`)
	if !rep.Brakes.Fired || rep.Counts.Held != 2 || rep.Counts.Delete != 0 || rep.Approval == "" {
		t.Fatalf("over the brakes: counts %+v brakes %+v approval %q", rep.Counts, rep.Brakes, rep.Approval)
	}
	if len(users(srv)) != 22 {
		t.Fatalf("users %d, want 22: the brakes held the deletes", len(users(srv)))
	}
	rep = reconcile(t, l, `{"maxDeletePercent": 100}`)
	if c := rep.Counts; c.Delete != 2 || c.Blocked != 0 {
		t.Fatalf("after the grace: %+v %+v", c, rep.Changes)
	}
	left := users(srv)
	if _, ok := left["one"]; ok || len(left) != 20 {
		t.Fatalf("users left %d: want the 2 leavers deleted", len(left))
	}
}

func TestBrakesHoldSuspensionsUntilApproved(t *testing.T) {
	l := start(t, localrun.Options{Env: graceEnv})
	srv := l.Cloud
	var roster []map[string]any
	for i := range 20 {
		srv.SeedUser(cloudtest.User{ExternalID: fmt.Sprintf("E%02d", i), UserName: fmt.Sprintf("u%02d", i), DisplayName: "u"})
		roster = append(roster, map[string]any{"id": fmt.Sprintf("E%02d", i), "email": fmt.Sprintf("u%02d@example.com", i), "displayName": "u"})
	}
	write := func(n int) {
		if err := l.WriteRoster(time.Now().Add(time.Second), roster[:n]); err != nil {
			t.Fatal(err)
		}
	}
	write(10) // half the roster dropped
	w := writes(srv)
	rep := reconcile(t, l, "")
	if !rep.Brakes.Fired || rep.Counts.Held != 10 || rep.Counts.Suspend != 0 || writes(srv) != w || len(rep.Approval) != 32 {
		t.Fatalf("half dropped: counts %+v brakes %+v approval %q, %d writes", rep.Counts, rep.Brakes, rep.Approval, writes(srv)-w)
	}
	first := rep.Approval

	// The roster changes again: the first approval no longer names what is held.
	write(9)
	rep = reconcile(t, l, `{"approve": "`+first+`"}`)
	if !rep.Brakes.Fired || rep.Counts.Suspend != 0 || writes(srv) != w || rep.Approval == first || !strings.Contains(rep.Brakes.Reason, "does not match") {
		t.Fatalf("stale approval: counts %+v brakes %+v approval %q, %d writes", rep.Counts, rep.Brakes, rep.Approval, writes(srv)-w)
	}
	// Any other value is a stale approval too (rule 6): the plan's hash
	// is reported, nothing removed.
	current := rep.Approval
	rep = reconcile(t, l, `{"approve": "not-a-hash"}`)
	if !rep.Brakes.Fired || rep.Counts.Suspend != 0 || writes(srv) != w || rep.Approval != current || !strings.Contains(rep.Brakes.Reason, "does not match") {
		t.Fatalf("malformed approval: counts %+v brakes %+v approval %q, %d writes", rep.Counts, rep.Brakes, rep.Approval, writes(srv)-w)
	}
	// Hexadecimal is read without case.
	rep = reconcile(t, l, `{"approve": "`+strings.ToUpper(current)+`"}`)
	if rep.Brakes.Fired || !rep.Brakes.Approved || rep.Counts.Suspend != 11 {
		t.Fatalf("approved: counts %+v brakes %+v", rep.Counts, rep.Brakes)
	}
	for i := 9; i < 20; i++ {
		if c := srv.Comments(fmt.Sprintf("u%02d", i)); !strings.HasPrefix(c, "ramsync:suspended:") {
			t.Errorf("u%02d: comments %q after the approval", i, c)
		}
	}
	// An empty approval is refused before anything runs.
	if _, res, err := l.Reconcile(context.Background(), `{"approve": ""}`); err == nil || res == nil {
		t.Errorf("an empty approval was accepted")
	}
}

func TestProtectedWithDomainAndExactOwnership(t *testing.T) {
	l := start(t, localrun.Options{Env: graceEnv, FuncEnv: map[string]map[string]string{"webhook": {"PROTECTED_USERS": "admin"}}})
	srv := l.Cloud
	srv.SeedUser(cloudtest.User{ExternalID: "E1", UserName: "Admin@corp.onaliyun.com", DisplayName: "Admin"})
	other := srv.SeedUser(cloudtest.User{ExternalID: "E2-other", UserName: "two", DisplayName: "Two"})
	srv.SetRAM("two", cloudtest.Blockers{AccessKeys: []cloudtest.AccessKey{{ID: "LTAI5tTWO", Status: "Active"}}})
	w := writes(srv)

	status, a := postOne(t, l, eventAt("terminated", "E1", "admin@example.com", time.Now()))
	if status != http.StatusConflict || a.Error == nil || a.Error.Code != "protected" || writes(srv) != w {
		t.Fatalf("terminating a protected Admin@corp.onaliyun.com: %d %+v, %d writes", status, a, writes(srv)-w)
	}

	// The server answers an externalId lookup for E2 with E2-other's user.
	srv.Intercept = func(svc cloudtest.Service, kind string, wr http.ResponseWriter, r *http.Request) bool {
		if svc != cloudtest.SCIM || !strings.Contains(r.URL.RawQuery, "E2%22") && !strings.Contains(r.URL.Query().Get("filter"), `externalId eq "E2"`) {
			return false
		}
		wr.Header().Set("Content-Type", "application/scim+json")
		fmt.Fprintf(wr, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"startIndex":1,"itemsPerPage":1,`+
			`"Resources":[{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":%q,"externalId":"E2-other","userName":"two","displayName":"Two",`+
			`"meta":{"resourceType":"User","created":"2020-01-01T00:00:00Z","lastModified":"2020-01-01T00:00:00Z"}}]}`, other.ID)
		return true
	}
	status, a = postOne(t, l, eventAt("terminated", "E2", "nobody@example.com", time.Now()))
	if status != 200 || a.Results[0].Action != "already absent" || writes(srv) != w {
		t.Fatalf("a lookup answered with another externalId: %d %+v, %d writes", status, a, writes(srv)-w)
	}
	if srv.RAM("two").AccessKeys[0].Status != "Active" {
		t.Error("E2-other's key was touched")
	}
}
