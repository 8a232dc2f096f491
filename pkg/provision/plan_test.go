package provision

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/scim"
)

var (
	asOf   = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	before = asOf.Add(-48 * time.Hour)
	after  = asOf.Add(time.Hour)
)

func user(id, ext, name, display string) scim.User {
	return scim.User{ID: id, ExternalID: ext, UserName: name, DisplayName: display,
		Meta: scim.Meta{Created: before, LastModified: before}}
}

func want(ext, name, display string) Desired {
	return Desired{ExternalID: ext, UserName: name, DisplayName: display}
}

// brief is the part of an item a rule decides.
type brief struct {
	Action Action
	Ext    string
	ID     string // RAM id acted on
	Reason string // a substring of the reason
}

func briefs(items []Item) []brief {
	var out []brief
	for _, it := range items {
		out = append(out, brief{it.Action, it.ExternalID, it.ID(), it.Reason})
	}
	return out
}

func TestComputeRules(t *testing.T) {
	generous := Rules{MaxDeletes: 100, MaxDeletePercent: 100}
	tests := []struct {
		name     string
		desired  []Desired
		rejected []Rejection
		actual   []scim.User
		rules    Rules
		want     []brief
	}{
		{
			name:    "create, unchanged, update",
			desired: []Desired{want("E1", "a", "A"), want("E2", "b", "B"), want("E3", "c", "C new")},
			actual:  []scim.User{user("2", "E2", "b", "B"), user("3", "E3", "c", "C old")},
			rules:   generous,
			want:    []brief{{Create, "E1", "", ""}, {Update, "E3", "3", ""}, {Unchanged, "E2", "2", ""}},
		},
		{
			name:    "rule 1: unowned users are never deleted or updated",
			desired: []Desired{want("E1", "a", "A")},
			actual:  []scim.User{user("1", "E1", "a", "A"), user("9", "", "breakglass", "Admin")},
			rules:   generous,
			want:    []brief{{Unchanged, "E1", "1", ""}},
		},
		{
			name:    "rule 1: an unowned user holding the name is a conflict without ADOPT_EXISTING",
			desired: []Desired{want("E1", "a", "A")},
			actual:  []scim.User{user("9", "", "a", "console-made")},
			rules:   generous,
			want:    []brief{{Conflict, "E1", "", "which ramsync does not own (no externalId); set ADOPT_EXISTING=true"}},
		},
		{
			name:    "rule 1: ADOPT_EXISTING links it",
			desired: []Desired{want("E1", "a", "A")},
			actual:  []scim.User{user("9", "", "A", "console-made")},
			rules:   Rules{AdoptExisting: true, MaxDeletes: 100, MaxDeletePercent: 100},
			want:    []brief{{Adopt, "E1", "9", ""}},
		},
		{
			name:    "rule 1: no adoption when the employee already has a user",
			desired: []Desired{want("E1", "a", "A")},
			actual:  []scim.User{user("1", "E1", "old", "A"), user("9", "", "a", "console-made")},
			rules:   Rules{AdoptExisting: true, MaxDeletes: 100, MaxDeletePercent: 100},
			want:    []brief{{Conflict, "E1", "1", "which ramsync does not own"}},
		},
		{
			name:    "rule 2: protected users are never changed",
			desired: []Desired{want("E1", "root.ops", "New Name")},
			actual:  []scim.User{user("1", "E1", "Root.Ops", "Old")},
			rules:   Rules{Protected: ParseProtected(" root.ops ,x"), MaxDeletes: 100, MaxDeletePercent: 100},
			want:    []brief{{Protected, "E1", "1", "PROTECTED_USERS"}},
		},
		{
			name:   "rule 2: protected users are never deleted",
			actual: []scim.User{user("1", "E1", "root.ops", "R"), user("2", "E2", "b", "B")},
			rules:  Rules{Protected: ParseProtected("root.ops"), MaxDeletes: 100, MaxDeletePercent: 100},
			want:   []brief{{Delete, "E2", "2", ""}, {Protected, "E1", "1", "not in the roster, but in PROTECTED_USERS"}},
		},
		{
			name:    "rule 2: a protected name is not taken over, even with ADOPT_EXISTING",
			desired: []Desired{want("E1", "admin", "A")},
			actual:  []scim.User{user("9", "", "admin", "Admin")},
			rules:   Rules{Protected: ParseProtected("admin"), AdoptExisting: true, MaxDeletes: 100, MaxDeletePercent: 100},
			want:    []brief{{Protected, "E1", "", "belongs to a user in PROTECTED_USERS"}},
		},
		{
			name:     "rule 3: a name held by another employee's user is a conflict",
			desired:  []Desired{want("E1", "a", "A")},
			rejected: []Rejection{{ExternalID: "E2", Reason: "bad record"}},
			actual:   []scim.User{user("2", "E2", "A", "Other")},
			rules:    generous,
			want:     []brief{{Conflict, "E1", "", `held by user 2 of another employee (externalId "E2")`}, {Rejected, "E2", "", "bad record"}},
		},
		{
			name:    "rule 3: a leaver's name is taken after its delete (a rehire under a new id)",
			desired: []Desired{want("E1", "a", "A")},
			actual:  []scim.User{user("2", "E2", "A", "Old")},
			rules:   generous,
			want:    []brief{{Delete, "E2", "2", ""}, {Create, "E1", "", ""}},
		},
		{
			name:    "rule 3: ... but not when the brakes hold the delete",
			desired: []Desired{want("E1", "a", "A")},
			actual:  []scim.User{user("2", "E2", "A", "Old")},
			rules:   Rules{MaxDeletes: 0, MaxDeletePercent: 100},
			want:    []brief{{Delete, "E2", "2", ""}, {Conflict, "E1", "", "held by user 2"}},
		},
		{
			name:    "rule 3: two employees wanting one name both wait, unless one has it",
			desired: []Desired{want("E1", "a", "A"), want("E2", "a", "A2"), want("E3", "c", "C"), want("E4", "c", "C4")},
			actual:  []scim.User{user("3", "E3", "c", "C")},
			rules:   generous,
			want: []brief{{Conflict, "E1", "", "wanted by 2 employees (E1, E2)"}, {Conflict, "E2", "", "wanted by 2 employees"},
				{Conflict, "E4", "", "wanted by 2 employees (E3, E4)"}, {Unchanged, "E3", "3", ""}},
		},
		{
			name:    "rule 4: a rename keeps the RAM id",
			desired: []Desired{want("E1", "li.wei2", "Li Wei")},
			actual:  []scim.User{user("27648498165273", "E1", "li.wei", "Li Wei")},
			rules:   generous,
			want:    []brief{{Update, "E1", "27648498165273", ""}},
		},
		{
			name:    "rule 4: a rename onto a taken name is a conflict",
			desired: []Desired{want("E1", "b", "A")},
			actual: []scim.User{user("1", "E1", "a", "A"),
				{ID: "2", ExternalID: "E2", UserName: "b", Meta: scim.Meta{Created: after, LastModified: after}}},
			rules: generous,
			want:  []brief{{Conflict, "E1", "1", "held by user 2"}, {Skipped, "E2", "2", "fresh joiner"}},
		},
		{
			name:    "rule 4: a case-only difference is normalised",
			desired: []Desired{want("E1", "li.wei", "Li")},
			actual:  []scim.User{user("1", "E1", "Li.Wei", "Li")},
			rules:   generous,
			want:    []brief{{Update, "E1", "1", ""}},
		},
		{
			name: "rule 5a: fresh joiners survive a stale roster",
			actual: []scim.User{
				{ID: "1", ExternalID: "E1", UserName: "new", Meta: scim.Meta{Created: after, LastModified: after}},
				{ID: "2", ExternalID: "E2", UserName: "moved", Meta: scim.Meta{Created: before, LastModified: after}},
				{ID: "3", ExternalID: "E3", UserName: "gone", Meta: scim.Meta{Created: before, LastModified: before}},
				{ID: "4", ExternalID: "E4", UserName: "nometa"},
				{ID: "5", ExternalID: "E5", UserName: "exact", Meta: scim.Meta{Created: asOf, LastModified: asOf}},
			},
			rules: generous,
			want: []brief{{Delete, "E3", "3", ""}, {Delete, "E5", "5", ""},
				{Skipped, "E1", "1", "after the roster's as-of time 2026-11-27T00:00:00Z"},
				{Skipped, "E2", "2", "fresh joiner"}, {Skipped, "E4", "4", "no creation time"}},
		},
		{
			name:     "rejected records hold their users",
			desired:  []Desired{want("E1", "a", "A")},
			rejected: []Rejection{{ExternalID: "E2", Record: "line 3", Reason: "status: unknown"}, {Record: "line 4", Reason: "id: required"}},
			actual:   []scim.User{user("1", "E1", "a", "A"), user("2", "E2", "b", "B")},
			rules:    generous,
			want:     []brief{{Rejected, "", "", "id: required"}, {Rejected, "E2", "", "status: unknown"}, {Unchanged, "E1", "1", ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Compute(Input{Desired: tt.desired, Rejected: tt.rejected, Actual: tt.actual, AsOf: asOf, Rules: tt.rules})
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

func TestComputeRehireWaitsForTheDelete(t *testing.T) {
	p := Compute(Input{Desired: []Desired{want("E1", "a", "A")}, Actual: []scim.User{user("2", "E2", "a", "Old")},
		AsOf: asOf, Rules: Rules{MaxDeletes: 10, MaxDeletePercent: 100}})
	if it := p.Items[1]; it.Action != Create || it.After != "2" {
		t.Errorf("item = %+v, want a create after the delete of user 2", it)
	}
}

func TestComputeRenameDiff(t *testing.T) {
	p := Compute(Input{Desired: []Desired{want("E1", "li.wei2", "Li Wei")},
		Actual: []scim.User{user("1", "E1", "li.wei", "Li Wei")}, AsOf: asOf})
	d := p.Items[0].Diff
	wantDiff := strings.Join([]string{
		`map[string]string{`,
		`  	"displayName": "Li Wei",`,
		`  	"externalId":  "E1",`,
		`- 	"userName":    "li.wei",`,
		`+ 	"userName":    "li.wei2",`,
		`  }`,
	}, "\n")
	if d != wantDiff {
		t.Errorf("diff does not show the rename only:\n%s", d)
	}
}

func TestComputeBrakes(t *testing.T) {
	mk := func(n int) []scim.User {
		var us []scim.User
		for i := range n {
			us = append(us, user(fmt.Sprint(i), fmt.Sprintf("E%04d", i), fmt.Sprintf("u%04d", i), "U"))
		}
		return us
	}
	roster := func(users []scim.User, keep int) []Desired {
		var ds []Desired
		for _, u := range users[:keep] {
			ds = append(ds, want(u.ExternalID, u.UserName, u.DisplayName))
		}
		return append(ds, want("NEW", "newbie", "New"))
	}
	tests := []struct {
		name      string
		users     int
		keep      int
		rules     Rules
		fired     bool
		reason    string
		deletions int
	}{
		{"under both", 100, 95, Rules{MaxDeletes: 25, MaxDeletePercent: 10}, false, "", 5},
		{"exactly at percent", 100, 90, Rules{MaxDeletes: 25, MaxDeletePercent: 10}, false, "", 10},
		{"over percent", 100, 89, Rules{MaxDeletes: 25, MaxDeletePercent: 10}, true, "11 planned removals (suspensions and deletes) are 11.0% of 100 managed users > MAX_DELETE_PERCENT 10", 11},
		{"exactly at count", 1000, 975, Rules{MaxDeletes: 25, MaxDeletePercent: 10}, false, "", 25},
		{"over count", 1000, 974, Rules{MaxDeletes: 25, MaxDeletePercent: 10}, true, "26 planned removals (suspensions and deletes) > MAX_DELETES 25", 26},
		{"half the roster gone", 1000, 500, Rules{MaxDeletes: 25, MaxDeletePercent: 10}, true, "deletion threshold exceeded: 500 planned removals (suspensions and deletes) > MAX_DELETES 25", 500},
		{"zero allows none", 10, 9, Rules{MaxDeletes: 0, MaxDeletePercent: 100}, true, "1 planned removals (suspensions and deletes) > MAX_DELETES 0", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users := mk(tt.users)
			p := Compute(Input{Desired: roster(users, tt.keep), Actual: users, AsOf: asOf, Rules: tt.rules})
			b := p.Brakes
			if b.Fired != tt.fired || !strings.Contains(b.Reason, tt.reason) || b.PlannedDeletes != tt.deletions {
				t.Errorf("brakes = %+v, want fired=%v reason~%q deletes=%d", b, tt.fired, tt.reason, tt.deletions)
			}
			// Creates are planned whatever the brakes say.
			if p.Count()[Create] != 1 {
				t.Errorf("creates = %d, want 1", p.Count()[Create])
			}
		})
	}
}

func TestDesire(t *testing.T) {
	m, _ := ParseMapping("", 0)
	term := emp("E3", "c@x", "C")
	term.Status = hr.StatusTerminated
	r := &hr.Roster{
		Employees: []hr.Employee{emp("E1", "a@x", "A"), emp("E2", "b@x", "B"), emp("E2", "b2@x", "B2"), term, emp("E4", "bad+name@x", "D")},
		Problems: []hr.RecordError{{Line: 7, ID: "E9", Field: "status", Reason: `unknown status "retired"`},
			{Line: 9, ID: "E5", Reason: "duplicate id, first on line 8"}},
	}
	r.Employees = append(r.Employees, emp("E5", "e@x", "E"))
	w := Desire(r, m)
	if diff := cmp.Diff([]Desired{want("E1", "a", "A")}, w.Desired); diff != "" {
		t.Errorf("desired (-want +got):\n%s", diff)
	}
	if w.Leavers != 1 {
		t.Errorf("leavers = %d, want 1", w.Leavers)
	}
	wantRej := []Rejection{
		{ExternalID: "E9", Record: "line 7", Reason: `status: unknown status "retired"`},
		{ExternalID: "E5", Record: "line 9", Reason: "duplicate id, first on line 8"},
		{ExternalID: "E2", Reason: "employee id appears 2 times in the roster (records 2, 3); all are rejected"},
		{ExternalID: "E4", Record: "record 5", Reason: `userName: "bad+name" has characters RAM does not allow (only a-z, 0-9, '.', '_', '-')`},
		{ExternalID: "E5", Record: "record 6", Reason: "another record of this employee id (line 9) could not be used, so which one is right is unknown; all are rejected"},
	}
	if diff := cmp.Diff(wantRej, w.Rejected); diff != "" {
		t.Errorf("rejected (-want +got):\n%s", diff)
	}
}
