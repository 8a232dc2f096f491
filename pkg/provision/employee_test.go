package provision_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/provision"
)

func TestApplyEmployeeLifecycle(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	e := s.Engine
	e.Rules.Protected = provision.ParseProtected("root.ops")
	ctx := context.Background()
	s.Server.SeedUser(cloudtest.User{UserName: "admin", DisplayName: "Admin"})
	s.Server.SeedUser(cloudtest.User{ExternalID: "E9", UserName: "root.ops", DisplayName: "Root"})
	s.Server.SeedUser(cloudtest.User{ExternalID: "E8", UserName: "taken", DisplayName: "Taken"})

	terminated := func(emp hr.Employee) hr.Employee { emp.Status = hr.StatusTerminated; return emp }
	renamed := employee("E1", "li.wei2")
	steps := []struct {
		name   string
		emp    hr.Employee
		create bool
		want   provision.Action
	}{
		{"update before the hire", employee("E1", "li.wei"), false, provision.Skipped},
		{"hire", employee("E1", "li.wei"), true, provision.Create},
		{"redelivered hire", employee("E1", "li.wei"), true, provision.Unchanged},
		{"rename", renamed, false, provision.Update},
		{"rename onto a taken name", employee("E1", "taken"), false, provision.Conflict},
		{"hire onto an unowned name", employee("E2", "admin"), true, provision.Conflict},
		{"protected employee", employee("E9", "root.ops2"), false, provision.Protected},
		{"invalid userName", employee("E3", "li+wei"), true, provision.Rejected},
		{"terminate", terminated(renamed), false, provision.Delete},
		{"redelivered terminate", terminated(renamed), false, provision.AlreadyAbsent},
		{"late update after the terminate", renamed, false, provision.Skipped},
		{"terminate someone whose name is a hand-made user", terminated(employee("E7", "admin")), false, provision.NotOwned},
		{"terminate a protected user", terminated(employee("E9", "root.ops")), false, provision.Protected},
	}
	var id string
	for _, st := range steps {
		r, err := e.ApplyEvent(ctx, asEvent(st.emp, st.create))
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if r.Action != st.want {
			t.Errorf("%s: outcome %q (%s), want %q", st.name, r.Action, r.Reason, st.want)
		}
		if st.name == "hire" {
			id = r.ID
		}
		if st.name == "rename" && r.ID != id {
			t.Errorf("rename changed the RAM id from %s to %s", id, r.ID)
		}
	}
	if _, ok := s.Server.UserByName("admin"); !ok {
		t.Error("the hand-made admin is gone")
	}
	if _, ok := s.Server.UserByName("root.ops"); !ok {
		t.Error("the protected user is gone")
	}
}

func TestConcurrentSameHireMakesOneUser(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	var wg sync.WaitGroup
	outcomes := make(chan provision.Action, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.Engine.ApplyEvent(context.Background(), asEvent(employee("E1", "li.wei"), true))
			if err != nil {
				t.Error(err)
			}
			outcomes <- r.Action
		}()
	}
	wg.Wait()
	close(outcomes)
	n := map[provision.Action]int{}
	for o := range outcomes {
		n[o]++
	}
	if len(s.Server.Users()) != 1 || n[provision.Create] != 1 || n[provision.Unchanged] != 19 {
		t.Errorf("users = %d, outcomes %v; want 1 user, 1 created and 19 unchanged", len(s.Server.Users()), n)
	}
}

func TestTerminateRacingUpdateEndsDeleted(t *testing.T) {
	for i := range 20 {
		s := newStack(t, cloudtest.Options{})
		ctx := context.Background()
		if _, err := s.Engine.ApplyEvent(ctx, asEvent(employee("E1", "li.wei"), true)); err != nil {
			t.Fatal(err)
		}
		leaver := employee("E1", "li.wei")
		leaver.Status = hr.StatusTerminated
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); s.Engine.ApplyEvent(ctx, asEvent(employee("E1", "li.wei.renamed"), false)) }()
		go func() { defer wg.Done(); s.Engine.ApplyEvent(ctx, asEvent(leaver, false)) }()
		wg.Wait()
		if users := s.Server.Users(); len(users) != 0 {
			t.Fatalf("round %d: users left after a terminate raced an update: %+v", i, users)
		}
	}
}

func TestOffboardDryRunAndBlocked(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	s.Server.SeedUser(cloudtest.User{ExternalID: "E1", UserName: "li.wei", DisplayName: "Li"})
	s.Server.SetRAM("li.wei", cloudtest.Blockers{AccessKeys: []cloudtest.AccessKey{{ID: "LTAI5tK1", Status: "Active"}}})
	e := s.Engine
	e.DryRun = true
	r, err := e.Offboard(context.Background(), provision.Leaver{ExternalID: "E1"})
	if err != nil || r.Action != provision.DryRun || len(s.Server.RAMLog()) != 0 || s.Server.Counters().SCIMWrites() != 0 {
		t.Fatalf("dry run: %+v, %v, RAM calls %d", r, err, len(s.Server.RAMLog()))
	}
	e.DryRun, e.Cleanup = false, false
	r, err = e.Offboard(context.Background(), provision.Leaver{ExternalID: "E1"})
	if err != nil || r.Action != provision.Blocked || len(r.Blockers) != 1 || r.Blockers[0] != "AccessKey LTAI5tK1 (Active)" {
		t.Fatalf("cleanup off: %+v, %v", r, err)
	}
	if _, ok := s.Server.UserByName("li.wei"); !ok {
		t.Fatal("a blocked user was deleted")
	}
	// Without a RAM client, RAM's own refusal is reported as blocked.
	e.Revoker = nil
	r, err = e.Offboard(context.Background(), provision.Leaver{ExternalID: "E1"})
	if err != nil || r.Action != provision.Blocked {
		t.Fatalf("no RAM client: %+v, %v", r, err)
	}
}

// RAM's own rules may be stricter than the mapping's (DISPLAY_NAME_MAX
// raised to 128 while RAM enforces 24): the record is rejected, not retried.
func TestRAMRefusalIsARejection(t *testing.T) {
	s := newStack(t, cloudtest.Options{DisplayNameMax: 24})
	e := s.Engine
	m, err := provision.ParseMapping("", 128)
	if err != nil {
		t.Fatal(err)
	}
	e.Mapping = m
	emp := employee("E1", "li.wei")
	emp.DisplayName = "A Display Name Of Thirty Chars"
	r, err := e.ApplyEvent(context.Background(), asEvent(emp, true))
	if err != nil || r.Action != provision.Rejected || !strings.Contains(r.Reason, "RAM refused the user") {
		t.Fatalf("result %+v, %v", r, err)
	}
	rep, err := e.Reconcile(context.Background(), "r", rosterOf(time.Now(), emp))
	if err != nil || rep.Counts.Rejected != 1 || len(rep.Rejections) != 1 || rep.Counts.Failed != 0 {
		t.Errorf("report: %+v, %+v, %v", rep.Counts, rep.Rejections, err)
	}
}

// asEvent is the event that brings emp: a hire when it may create, else an
// update, and a termination when emp's status says so.
func asEvent(emp hr.Employee, create bool) hr.Event {
	switch {
	case emp.Status == hr.StatusTerminated:
		return hr.Event{Type: hr.EventTerminated, Employee: emp}
	case create:
		return hr.Event{Type: hr.EventHired, Employee: emp}
	}
	return hr.Event{Type: hr.EventUpdated, Employee: emp}
}
