package provision_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/stacktest"
)

func newStack(t testing.TB, o cloudtest.Options) *stacktest.Stack {
	t.Helper()
	srv := cloudtest.NewServer(o)
	t.Cleanup(srv.Close)
	return newStackOn(t, srv)
}

func newStackOn(t testing.TB, srv *cloudtest.Server) *stacktest.Stack {
	t.Helper()
	s, err := stacktest.New(srv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func employee(id, name string) hr.Employee {
	email := name + "@example.com"
	return hr.Employee{ID: id, Email: email, DisplayName: strings.ToUpper(name[:1]) + name[1:], Status: hr.StatusActive,
		Fields: map[string]any{"id": id, "email": email}}
}

func rosterOf(asOf time.Time, emps ...hr.Employee) func(context.Context) (*hr.Roster, error) {
	return func(context.Context) (*hr.Roster, error) {
		return &hr.Roster{Source: "test", Format: "json", AsOf: asOf, AsOfSource: hr.AsOfField, Employees: emps}, nil
	}
}

func bigRoster(n int) []hr.Employee {
	emps := make([]hr.Employee, n)
	for i := range n {
		emps[i] = employee(fmt.Sprintf("E%05d", i), fmt.Sprintf("user%05d", i))
	}
	return emps
}

func TestReconcileConvergesAt5000(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	e := s.Engine
	e.Concurrency = 8
	emps := bigRoster(5000)
	ctx := context.Background()

	rep, err := e.Reconcile(ctx, "run-1", rosterOf(time.Now(), emps...))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts.Create != 5000 || rep.Counts.Failed != 0 || len(s.Server.Users()) != 5000 {
		t.Fatalf("first run: counts %+v, users %d", rep.Counts, len(s.Server.Users()))
	}

	s.Server.ResetCounters()
	rep, err = e.Reconcile(ctx, "run-2", rosterOf(time.Now(), emps...))
	if err != nil {
		t.Fatal(err)
	}
	c := s.Server.Counters()
	if rep.Counts.Unchanged != 5000 || c.SCIMWrites() != 0 {
		t.Errorf("second run: counts %+v, %d writes; want 5000 unchanged and no writes", rep.Counts, c.SCIMWrites())
	}
	// Only list calls: ⌈5000/100⌉ pages.
	if c.SCIM() != 50 || c["scim.list"] != 50 || rep.SCIMCalls.Total != 50 || rep.SCIMCalls.ByOp["list"] != 50 {
		t.Errorf("second run made %d SCIM requests (%d list), report says %+v; want exactly 50 list calls", c.SCIM(), c["scim.list"], rep.SCIMCalls)
	}
}

func TestBrakesHoldHalfTheRosterGone(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	emps := bigRoster(1000)
	s.Server.SeedUsers(1000, func(i int) cloudtest.User {
		return cloudtest.User{ExternalID: emps[i].ID, UserName: fmt.Sprintf("user%05d", i), DisplayName: emps[i].DisplayName,
			Created: time.Now().Add(-72 * time.Hour), LastModified: time.Now().Add(-72 * time.Hour)}
	})
	kept := append(emps[:500:500], employee("NEW1", "newbie"))
	rep, err := s.Engine.Reconcile(context.Background(), "r", rosterOf(time.Now(), kept...))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Brakes.Fired || !strings.Contains(rep.Brakes.Reason, "deletion threshold exceeded: 500 planned removals (suspensions and deletes) > MAX_DELETES 25") {
		t.Errorf("brakes = %+v", rep.Brakes)
	}
	if rep.Counts.Delete != 0 || rep.Counts.Held != 500 || len(rep.LeftForNextRun) != 500 {
		t.Errorf("counts %+v, left %d: want 0 deletes and 500 held", rep.Counts, len(rep.LeftForNextRun))
	}
	if rep.Counts.Create != 1 {
		t.Errorf("creates = %d: creates still go when the brakes fire", rep.Counts.Create)
	}
	if n := s.Server.Counters()["scim.delete"]; n != 0 || len(s.Server.Users()) != 1001 {
		t.Errorf("%d DELETE requests, %d users: nothing may be deleted", n, len(s.Server.Users()))
	}
}

func TestFreshJoinersSurviveAStaleRoster(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	asOf := time.Now().Add(-time.Hour)
	old := asOf.Add(-24 * time.Hour)
	s.Server.SeedUser(cloudtest.User{ExternalID: "E1", UserName: "stays", DisplayName: "Stays", Created: old, LastModified: old})
	s.Server.SeedUser(cloudtest.User{ExternalID: "E2", UserName: "leaver", DisplayName: "Leaver", Created: old, LastModified: old})
	s.Server.SeedUser(cloudtest.User{ExternalID: "E3", UserName: "joiner", DisplayName: "Joiner"}) // created now, by the webhook
	e := s.Engine
	e.Rules.MaxDeletePercent = 100
	rep, err := e.Reconcile(context.Background(), "r", rosterOf(asOf, employee("E1", "stays")))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts.Delete != 1 || rep.Counts.Skipped != 1 {
		t.Errorf("counts = %+v, want 1 delete (the leaver) and 1 skipped (the fresh joiner)", rep.Counts)
	}
	if _, ok := s.Server.UserByName("joiner"); !ok {
		t.Error("the fresh joiner was deleted")
	}
	if _, ok := s.Server.UserByName("leaver"); ok {
		t.Error("the leaver was not deleted")
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	old := time.Now().Add(-48 * time.Hour)
	s.Server.SeedUser(cloudtest.User{ExternalID: "E2", UserName: "leaver", DisplayName: "L", Created: old, LastModified: old})
	s.Server.SeedUser(cloudtest.User{ExternalID: "E3", UserName: "renamed", DisplayName: "R", Created: old, LastModified: old})
	e := s.Engine
	e.DryRun = true
	e.Rules.MaxDeletePercent = 100
	rep, err := e.Reconcile(context.Background(), "r", rosterOf(time.Now(), employee("E1", "new"), employee("E3", "renamed2")))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts.Create != 1 || rep.Counts.Update != 1 || rep.Counts.Delete != 1 || !rep.DryRun {
		t.Errorf("dry-run counts = %+v, want the plan: 1 create, 1 update, 1 delete", rep.Counts)
	}
	if n := s.Server.Counters().SCIMWrites(); n != 0 {
		t.Errorf("a dry run made %d writes", n)
	}
	if n := len(s.Server.RAMLog()); n != 0 {
		t.Errorf("a dry run made %d RAM calls", n)
	}
}

func TestEmptyRosterAborts(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	s.Server.SeedUser(cloudtest.User{ExternalID: "E1", UserName: "a", DisplayName: "A"})
	rep, err := s.Engine.Reconcile(context.Background(), "r", rosterOf(time.Now()))
	if err == nil || rep.Aborted == "" || s.Server.Counters().SCIM() != 0 {
		t.Errorf("err = %v, aborted = %q, SCIM requests = %d; want an abort before any call", err, rep.Aborted, s.Server.Counters().SCIM())
	}
	rep, err = s.Engine.Reconcile(context.Background(), "r", func(context.Context) (*hr.Roster, error) {
		return nil, fmt.Errorf("HR is down")
	})
	if err == nil || !strings.Contains(rep.Aborted, "HR is down") {
		t.Errorf("unreadable roster: err = %v, aborted = %q", err, rep.Aborted)
	}
}

func TestDeadlineLeavesWorkForTheNextRun(t *testing.T) {
	s := newStack(t, cloudtest.Options{Latency: 20 * time.Millisecond})
	e := s.Engine
	e.Concurrency = 1
	e.Margin = 400 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	rep, err := e.Reconcile(ctx, "r", rosterOf(time.Now(), bigRoster(200)...))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts.Deferred == 0 || rep.Counts.Create == 0 || rep.Counts.Deferred+rep.Counts.Create != 200 {
		t.Fatalf("counts = %+v: want some created and the rest deferred", rep.Counts)
	}
	if len(rep.LeftForNextRun) != rep.Counts.Deferred {
		t.Errorf("left for next run = %d, deferred = %d", len(rep.LeftForNextRun), rep.Counts.Deferred)
	}
	// The next run finishes it.
	rep, err = s.Engine.Reconcile(context.Background(), "r2", rosterOf(time.Now(), bigRoster(200)...))
	if err != nil || len(s.Server.Users()) != 200 || rep.Counts.Failed != 0 {
		t.Errorf("next run: err %v, users %d, counts %+v", err, len(s.Server.Users()), rep.Counts)
	}
}

func TestOneBadRecordNeverStopsTheOthers(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	// One joiner's create fails on the server every time; the others go.
	s.Server.SeedUser(cloudtest.User{UserName: "taken", DisplayName: "console-made"})
	emps := append(bigRoster(20), employee("X1", "taken"), hr.Employee{ID: "X2", Email: "bad+name@example.com", Status: hr.StatusActive})
	rep, err := s.Engine.Reconcile(context.Background(), "r", rosterOf(time.Now(), emps...))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts.Create != 20 || rep.Counts.Conflict != 1 || rep.Counts.Rejected != 1 {
		t.Errorf("counts = %+v, want 20 created, 1 conflict, 1 rejected", rep.Counts)
	}
	if len(rep.Conflicts) != 1 || !strings.Contains(rep.Conflicts[0].Reason, "ADOPT_EXISTING") {
		t.Errorf("conflicts = %+v", rep.Conflicts)
	}
	if len(rep.Rejections) != 1 || !strings.Contains(rep.Rejections[0].Reason, "bad+name") {
		t.Errorf("rejections = %+v", rep.Rejections)
	}
}

func TestReconcileOffboardsThroughTheSamePath(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	old := time.Now().Add(-48 * time.Hour)
	s.Server.SeedUser(cloudtest.User{ExternalID: "E1", UserName: "stays", DisplayName: "Stays", Created: old, LastModified: old})
	s.Server.SeedUser(cloudtest.User{ExternalID: "E2", UserName: "leaver", DisplayName: "L", Created: old, LastModified: old})
	s.Server.SetRAM("leaver", cloudtest.Blockers{AccessKeys: []cloudtest.AccessKey{{ID: "LTAI5tKEY1", Status: "Active"}}, Groups: []string{"devs"}})
	e := s.Engine
	e.Rules.MaxDeletePercent = 100

	e.Cleanup = false
	rep, err := e.Reconcile(context.Background(), "r1", rosterOf(time.Now(), employee("E1", "stays")))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts.Blocked != 1 || rep.Counts.Delete != 0 || len(rep.Changes) != 1 ||
		strings.Join(rep.Changes[0].Blockers, "; ") != "AccessKey LTAI5tKEY1 (Active); group devs" {
		t.Fatalf("without cleanup: counts %+v, changes %+v", rep.Counts, rep.Changes)
	}
	if _, ok := s.Server.UserByName("leaver"); !ok {
		t.Fatal("a blocked user was deleted")
	}

	e.Cleanup = true
	rep, err = e.Reconcile(context.Background(), "r2", rosterOf(time.Now(), employee("E1", "stays")))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts.Delete != 1 || len(rep.Changes[0].Steps) != 3 {
		t.Errorf("with cleanup: counts %+v, steps %+v", rep.Counts, rep.Changes[0].Steps)
	}
	if _, ok := s.Server.UserByName("leaver"); ok {
		t.Error("the leaver is still there")
	}
}

func TestBriefReportForTheLog(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	rep, err := s.Engine.Reconcile(context.Background(), "r", rosterOf(time.Now(), bigRoster(120)...))
	if err != nil {
		t.Fatal(err)
	}
	b := rep.Brief(20)
	if len(b.Changes) != 20 || b.Omitted["changes"] != 100 || len(rep.Changes) != 120 || rep.Omitted != nil {
		t.Errorf("brief: %d changes, omitted %v; full: %d changes, omitted %v", len(b.Changes), b.Omitted, len(rep.Changes), rep.Omitted)
	}
	if b.Counts != rep.Counts || b.Brakes != rep.Brakes {
		t.Error("the brief report changed the counts or the brakes")
	}
}
