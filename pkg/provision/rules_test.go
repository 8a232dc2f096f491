package provision

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/ramcred"
	"github.com/ramsync/ramsync/pkg/scim"
)

// TestRulebook is rules 5–5e and 6 (SPEC v2) on the one rulebook, for
// the roster (Event nil) and for single events.
func TestRulebook(t *testing.T) {
	grace := 720 * time.Hour
	now := asOf.Add(2 * time.Hour)
	generous := Rules{MaxDeletes: 100, MaxDeletePercent: 100, Grace: grace, EventMaxAge: 72 * time.Hour}
	suspendedAt := asOf.Add(-time.Hour)
	mk := func(at time.Time, ids ...string) map[string]ramcred.Marker {
		return map[string]ramcred.Marker{"a": {At: at, KeyIDs: ids}}
	}
	hire := func(at time.Time) *Event {
		return &Event{Type: hr.EventHired, OccurredAt: at, MayCreate: true, Resumes: true}
	}
	update := func(at time.Time, vendor bool) *Event {
		return &Event{Type: hr.EventUpdated, OccurredAt: at, Resumes: vendor}
	}
	term := func(at time.Time) *Event { return &Event{Type: hr.EventTerminated, OccurredAt: at} }
	tests := []struct {
		name    string
		desired []Desired
		frozen  []Desired
		leavers []Leaver
		actual  []scim.User
		markers map[string]ramcred.Marker
		rules   Rules
		event   *Event
		now     time.Time
		want    []brief
	}{
		{name: "grace 0: a roster leaver is deleted", actual: []scim.User{user("1", "E1", "a", "A")},
			rules: Rules{MaxDeletes: 100, MaxDeletePercent: 100}, want: []brief{{Delete, "E1", "1", ""}}},
		{name: "grace: a roster leaver is suspended", actual: []scim.User{user("1", "E1", "a", "A")},
			want: []brief{{Suspend, "E1", "1", ""}}},
		{name: "grace: suspended and within grace is nothing to do", actual: []scim.User{user("1", "E1", "a", "A")},
			markers: mk(suspendedAt, "K1"), want: []brief{{AlreadySuspended, "E1", "1", ""}}},
		{name: "grace over: the reconciler deletes", actual: []scim.User{user("1", "E1", "a", "A")},
			markers: mk(suspendedAt, "K1"), now: suspendedAt.Add(grace), want: []brief{{Delete, "E1", "1", "LEAVER_GRACE 720h0m0s is over"}}},
		{name: "grace over: an event never deletes early", leavers: []Leaver{{ExternalID: "E1"}}, actual: []scim.User{user("1", "E1", "a", "A")},
			markers: mk(suspendedAt, "K1"), event: term(suspendedAt.Add(2 * grace)), now: suspendedAt.Add(2 * grace), want: []brief{{AlreadySuspended, "E1", "1", ""}}},
		{name: "a fresh joiner is not suspended by an older roster", actual: []scim.User{{ID: "1", ExternalID: "E1", UserName: "a", Meta: scim.Meta{Created: after, LastModified: after}}},
			want: []brief{{Skipped, "E1", "1", "fresh joiner"}}},
		{name: "rehire in the roster resumes", desired: []Desired{want("E1", "a", "A")}, actual: []scim.User{user("1", "E1", "a", "A")},
			markers: mk(suspendedAt, "K1"), want: []brief{{Resume, "E1", "1", ""}}},
		{name: "a roster older than the suspension does not resume", desired: []Desired{want("E1", "a", "A")}, actual: []scim.User{user("1", "E1", "a", "A")},
			markers: mk(asOf.Add(time.Minute), "K1"), want: []brief{{Skipped, "E1", "1", "stale:"}}},
		{name: "a newer hire resumes", desired: []Desired{want("E1", "a", "A")}, actual: []scim.User{user("1", "E1", "a", "A")},
			markers: mk(suspendedAt), event: hire(now), want: []brief{{Resume, "E1", "1", ""}}},
		{name: "an older hire is stale", desired: []Desired{want("E1", "a", "A")}, actual: []scim.User{user("1", "E1", "a", "A")},
			markers: mk(suspendedAt), event: hire(suspendedAt.Add(-time.Second)), want: []brief{{Skipped, "E1", "1", "stale:"}}},
		{name: "a hire without occurredAt is applied", desired: []Desired{want("E1", "a", "A")}, actual: []scim.User{user("1", "E1", "a", "A")},
			markers: mk(suspendedAt), event: hire(time.Time{}), want: []brief{{Resume, "E1", "1", ""}}},
		{name: "a native update of a suspended user changes nothing", desired: []Desired{want("E1", "a", "A new")}, actual: []scim.User{user("1", "E1", "a", "A")},
			markers: mk(suspendedAt), event: update(now, false), want: []brief{{Skipped, "E1", "1", "does not resume"}}},
		{name: "a vendor update of an active record resumes", desired: []Desired{want("E1", "a", "A new")}, actual: []scim.User{user("1", "E1", "a", "A")},
			markers: mk(suspendedAt), event: update(now, true), want: []brief{{Resume, "E1", "1", ""}}},
		{name: "a termination suspends", leavers: []Leaver{{ExternalID: "E1"}}, actual: []scim.User{user("1", "E1", "a", "A")},
			event: term(now), want: []brief{{Suspend, "E1", "1", ""}}},
		{name: "a second termination: already suspended", leavers: []Leaver{{ExternalID: "E1"}}, actual: []scim.User{user("1", "E1", "a", "A")},
			markers: mk(suspendedAt), event: term(now), want: []brief{{AlreadySuspended, "E1", "1", ""}}},
		{name: "a termination older than the user is stale", leavers: []Leaver{{ExternalID: "E1"}}, actual: []scim.User{user("1", "E1", "a", "A")},
			event: term(before.Add(-time.Second)), want: []brief{{Skipped, "E1", "1", "stale:"}}},
		{name: "an event older than EVENT_MAX_AGE is stale", leavers: []Leaver{{ExternalID: "E1"}}, actual: []scim.User{user("1", "E1", "a", "A")},
			event: term(now.Add(-73 * time.Hour)), want: []brief{{Skipped, "E1", "1", "stale: the event occurred"}}},
		{name: "an old termination of an absent user is stale, not already absent", leavers: []Leaver{{ExternalID: "E7"}},
			event: term(now.Add(-100 * time.Hour)), want: []brief{{Skipped, "E7", "", "stale: the event occurred"}}},
		{name: "grace over, but the user changed after the roster: not deleted", actual: []scim.User{{ID: "1", ExternalID: "E1", UserName: "a", Meta: scim.Meta{Created: before, LastModified: after}}},
			markers: mk(suspendedAt, "K1"), now: suspendedAt.Add(grace), want: []brief{{Skipped, "E1", "1", "fresh joiner"}}},
		{name: "a hire at exactly the suspension's time does not resume", desired: []Desired{want("E1", "a", "A")}, actual: []scim.User{user("1", "E1", "a", "A")},
			markers: mk(suspendedAt), event: hire(suspendedAt), want: []brief{{Skipped, "E1", "1", "stale:"}}},
		{name: "grace 0: a termination deletes", leavers: []Leaver{{ExternalID: "E1"}}, actual: []scim.User{user("1", "E1", "a", "A")},
			rules: Rules{}, event: term(now), want: []brief{{Delete, "E1", "1", ""}}},
		{name: "a termination of a name held by a hand-made user", leavers: []Leaver{{ExternalID: "E7", UserName: "admin"}}, actual: []scim.User{user("9", "", "admin", "Admin")},
			event: term(now), want: []brief{{NotOwned, "E7", "9", "no externalId"}}},
		{name: "a termination of nobody", leavers: []Leaver{{ExternalID: "E7"}}, event: term(now), want: []brief{{AlreadyAbsent, "E7", "", ""}}},
		{name: "frozen suspends", frozen: []Desired{want("E1", "a", "A")}, actual: []scim.User{user("1", "E1", "a", "A")},
			want: []brief{{Suspend, "E1", "1", ""}}},
		{name: "frozen with grace 0 is skipped", frozen: []Desired{want("E1", "a", "A")}, actual: []scim.User{user("1", "E1", "a", "A")},
			rules: Rules{MaxDeletes: 100, MaxDeletePercent: 100}, want: []brief{{Skipped, "E1", "1", "frozen: suspension needs LEAVER_GRACE > 0"}}},
		{name: "frozen and suspended stays, never deleted after the grace", frozen: []Desired{want("E1", "a", "A")}, actual: []scim.User{user("1", "E1", "a", "A")},
			markers: mk(suspendedAt), now: suspendedAt.Add(2 * grace), want: []brief{{AlreadySuspended, "E1", "1", ""}}},
		{name: "protected: without case and @domain", actual: []scim.User{user("1", "E1", "Admin@corp.onaliyun.com", "A")},
			rules: Rules{Protected: ParseProtected("admin"), MaxDeletes: 100, MaxDeletePercent: 100, Grace: grace}, want: []brief{{Protected, "E1", "1", "PROTECTED_USERS"}}},
		{name: "protected in the list with a domain", leavers: []Leaver{{ExternalID: "E1"}}, actual: []scim.User{user("1", "E1", "admin", "A")},
			rules: Rules{Protected: ParseProtected("ADMIN@other.onaliyun.com"), Grace: grace}, event: term(now), want: []brief{{Protected, "E1", "1", "PROTECTED_USERS"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := tt.rules
			if rules.MaxDeletes == 0 && rules.Protected == nil && rules.Grace == 0 && tt.rules.MaxDeletePercent == 0 && !strings.Contains(tt.name, "grace 0") {
				rules = generous
			}
			at := tt.now
			if at.IsZero() {
				at = now
			}
			p := Compute(Input{Desired: tt.desired, Frozen: tt.frozen, Leavers: tt.leavers, Actual: tt.actual, Markers: tt.markers,
				AsOf: asOf, Now: at, Rules: rules, Event: tt.event})
			got := briefs(p.Items)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d items, want %d:\n%s", len(got), len(tt.want), cmp.Diff(tt.want, got))
			}
			for i := range got {
				w, g := tt.want[i], got[i]
				if w.Action != g.Action || w.Ext != g.Ext || w.ID != g.ID || !strings.Contains(g.Reason, w.Reason) {
					t.Errorf("item %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

// TestSuspendMarkerTime: the marker carries the event's time, else the
// time ramsync processed it; for the reconciler, the roster's as-of time.
func TestSuspendMarkerTime(t *testing.T) {
	rules := Rules{MaxDeletes: 100, MaxDeletePercent: 100, Grace: time.Hour}
	u := []scim.User{user("1", "E1", "a", "A")}
	now := asOf.Add(30 * time.Minute)
	for _, tt := range []struct {
		name string
		in   Input
		want time.Time
	}{
		{"roster", Input{Actual: u}, asOf},
		{"event with a time", Input{Actual: u, Leavers: []Leaver{{ExternalID: "E1"}}, Event: &Event{OccurredAt: asOf.Add(time.Minute + 500*time.Millisecond)}}, asOf.Add(time.Minute)},
		{"event without a time", Input{Actual: u, Leavers: []Leaver{{ExternalID: "E1"}}, Event: &Event{}}, now},
	} {
		tt.in.AsOf, tt.in.Now, tt.in.Rules = asOf, now, rules
		p := Compute(tt.in)
		if len(p.Items) != 1 || p.Items[0].Action != Suspend || !p.Items[0].SuspendAt.Equal(tt.want) {
			t.Errorf("%s: %+v, want a suspension at %s", tt.name, p.Items, tt.want)
		}
	}
}

// TestBrakesCountSuspensionsAndApproval is rule 6: suspensions and
// deletes are counted together; the approval hash lets exactly the held
// removals through, and a stale hash none.
func TestBrakesCountSuspensionsAndApproval(t *testing.T) {
	var actual []scim.User
	var desired []Desired
	markers := map[string]ramcred.Marker{}
	for i := range 20 {
		id := string(rune('a'+i)) + "x"
		actual = append(actual, user(id, "E"+id, id, id))
		if i < 10 {
			desired = append(desired, want("E"+id, id, id))
		}
		if i >= 18 {
			markers[id] = ramcred.Marker{At: asOf.Add(-800 * time.Hour)} // grace over: deletes
		}
	}
	rules := Rules{MaxDeletes: 5, MaxDeletePercent: 100, Grace: 720 * time.Hour}
	in := Input{Desired: desired, Actual: actual, Markers: markers, AsOf: asOf, Now: asOf.Add(time.Hour), Rules: rules}
	p := Compute(in)
	c := p.Count()
	if !p.Brakes.Fired || p.Brakes.PlannedDeletes != 10 || c[Suspend] != 8 || c[Delete] != 2 {
		t.Fatalf("brakes %+v counts %v: want fired with 8 suspensions and 2 deletes", p.Brakes, c)
	}
	if len(p.Approval) != 32 {
		t.Fatalf("approval %q: want 32 hex characters", p.Approval)
	}
	if again := Compute(in); again.Approval != p.Approval {
		t.Fatalf("the same plan gave approval %q, then %q", p.Approval, again.Approval)
	}

	in.Approve = p.Approval
	ok := Compute(in)
	if ok.Brakes.Fired || !ok.Brakes.Approved {
		t.Fatalf("approved with the right hash: brakes %+v", ok.Brakes)
	}

	// One more leaver: the held removals are not the approved ones.
	in.Desired = desired[:9]
	stale := Compute(in)
	if !stale.Brakes.Fired || stale.Approval == p.Approval || !strings.Contains(stale.Brakes.Reason, "does not match") {
		t.Fatalf("stale approval: brakes %+v approval %q (old %q)", stale.Brakes, stale.Approval, p.Approval)
	}

	// A leaver within its grace is not a planned removal.
	in = Input{Desired: desired, Actual: actual, AsOf: asOf, Now: asOf.Add(time.Hour), Rules: rules,
		Markers: map[string]ramcred.Marker{}}
	for i := 10; i < 20; i++ {
		id := string(rune('a'+i)) + "x"
		in.Markers[id] = ramcred.Marker{At: asOf}
	}
	if q := Compute(in); q.Brakes.Fired || q.Brakes.PlannedDeletes != 0 || q.Count()[AlreadySuspended] != 10 {
		t.Fatalf("leavers within the grace: brakes %+v counts %v", q.Brakes, q.Count())
	}
}

// TestEventPathLeavesOthersAlone: an event decides its employee only; the
// other user it looked up (the holder of the userName) is no leaver.
func TestEventPathLeavesOthersAlone(t *testing.T) {
	p := Compute(Input{Desired: []Desired{want("E1", "b", "B")}, Actual: []scim.User{user("2", "E2", "b", "B")},
		Event: &Event{MayCreate: true, Resumes: true}, Now: asOf, Rules: Rules{Grace: time.Hour}})
	if len(p.Items) != 1 || p.Items[0].Action != Conflict || p.Brakes.PlannedDeletes != 0 {
		t.Fatalf("items %+v brakes %+v: want only E1's conflict", briefs(p.Items), p.Brakes)
	}
}

// TestApprovalWhenTheBrakesWouldNotFire: an approval still names exactly
// the removals the operator looked at (rule 6).
func TestApprovalWhenTheBrakesWouldNotFire(t *testing.T) {
	actual := []scim.User{user("1", "E1", "a", "A"), user("2", "E2", "b", "B")}
	in := Input{Desired: []Desired{want("E1", "a", "A")}, Actual: actual, AsOf: asOf, Now: asOf,
		Rules: Rules{MaxDeletes: 100, MaxDeletePercent: 100}, Approve: strings.Repeat("0", 32)}
	p := Compute(in)
	if !p.Brakes.Fired || len(p.Approval) != 32 || !strings.Contains(p.Brakes.Reason, "does not match") {
		t.Fatalf("a stale approval: brakes %+v approval %q", p.Brakes, p.Approval)
	}
	in.Approve = p.Approval
	if q := Compute(in); q.Brakes.Fired || !q.Brakes.Approved || q.Count()[Delete] != 1 {
		t.Fatalf("the right approval: brakes %+v counts %v", q.Brakes, q.Count())
	}
}
