package provision

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ramsync/ramsync/pkg/scim"
)

// Action is what the plan decides for one employee or one user.
type Action string

// The actions. Create, Update, Adopt and Delete write; the others are
// reported only.
const (
	Create    Action = "create"    // no user yet: make one
	Update    Action = "update"    // the employee's user differs: replace it (PUT)
	Delete    Action = "delete"    // an owned user nobody in the roster claims
	Unchanged Action = "unchanged" // already right
	Adopt     Action = "adopt"     // an unowned user with the employee's userName: link it (ADOPT_EXISTING)
	Conflict  Action = "conflict"  // the userName is taken by someone else
	Rejected  Action = "rejected"  // the HR record cannot become a valid user
	Protected Action = "protected" // PROTECTED_USERS: never changed or deleted
	Blocked   Action = "blocked"   // the delete was refused: RAM credentials or memberships remain
	Skipped   Action = "skipped"   // left alone on purpose (fresh joiner, user vanished meanwhile)
)

// Writes reports whether the action changes RAM.
func (a Action) Writes() bool { return a == Create || a == Update || a == Adopt || a == Delete }

// Item is one decision of a plan.
type Item struct {
	Action     Action
	ExternalID string
	// UserName and DisplayName are the wanted values (for Delete, the
	// user's current ones).
	UserName    string
	DisplayName string
	// Current is the user as found, for Update, Adopt, Delete, Unchanged
	// and Protected; nil when there is none.
	Current *scim.User
	// Diff is the attribute change (-current +wanted) for Update and Adopt.
	Diff string
	// Reason says why, for Conflict, Rejected, Protected, Skipped, Blocked.
	Reason string
	// Warnings are adjustments the mapping made.
	Warnings []string
	// Record locates a rejected HR record ("record 3", "line 7").
	Record string
	// Holder is the other user holding the wanted userName, for Conflict.
	Holder *scim.User
	// After is the RAM id of a leaver whose delete frees the wanted
	// userName: the write waits for it (a rehire under a new employee id).
	After string
}

// ID returns the RAM id of the user the item is about, if any.
func (it Item) ID() string {
	if it.Current != nil {
		return it.Current.ID
	}
	return ""
}

// Rules are the protective settings (SPEC §3).
type Rules struct {
	// Protected holds lower-cased userNames never changed or deleted.
	Protected map[string]bool
	// AdoptExisting links an unowned user whose userName matches an employee.
	AdoptExisting bool
	// MaxDeletes and MaxDeletePercent are the deletion brakes: when the
	// planned deletes exceed either, no delete is applied.
	MaxDeletes       int
	MaxDeletePercent float64
	// Grace is LEAVER_GRACE: 0 deletes a leaver at once; more suspends it
	// at once and deletes it when Grace has passed since the suspension.
	Grace time.Duration
	// EventMaxAge is EVENT_MAX_AGE: an event older than this is skipped
	// as stale (0 = no limit).
	EventMaxAge time.Duration
}

// IsProtected reports whether userName is in PROTECTED_USERS.
func (r Rules) IsProtected(userName string) bool { return r.Protected[strings.ToLower(userName)] }

// ParseProtected reads PROTECTED_USERS: comma-separated userNames.
func ParseProtected(s string) map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Split(s, ",") {
		if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
			m[n] = true
		}
	}
	return m
}

// Brakes says whether the deletion brakes fired, and why.
type Brakes struct {
	Fired            bool    `json:"fired"`
	Reason           string  `json:"reason,omitempty"`
	PlannedDeletes   int     `json:"plannedDeletes"`
	Managed          int     `json:"managed"`
	MaxDeletes       int     `json:"maxDeletes"`
	MaxDeletePercent float64 `json:"maxDeletePercent"`
}

// Plan is the full set of decisions for a roster against a directory.
type Plan struct {
	Items []Item
	// Users is the number of users in the directory; Managed those ramsync
	// owns (an externalId) and may change (not protected); Unmanaged those
	// without an externalId.
	Users, Managed, Unmanaged int
	Brakes                    Brakes
}

// Count returns the number of items per action.
func (p *Plan) Count() map[Action]int {
	m := map[Action]int{}
	for _, it := range p.Items {
		m[it.Action]++
	}
	return m
}

// Input is what a plan is computed from.
type Input struct {
	Desired  []Desired
	Rejected []Rejection
	Actual   []scim.User
	// AsOf is the roster's as-of time: users created or modified after it
	// are not deleted (a fresh joiner the roster does not know yet).
	AsOf  time.Time
	Rules Rules
}

// Compute decides, for every employee and every owned user, what to do.
// It is a pure function of its input: the same input gives the same plan,
// in the same order.
func Compute(in Input) Plan {
	var p Plan
	idx := newIndex(in.Actual)
	p.Users = len(in.Actual)

	p.Items = make([]Item, 0, len(in.Desired)+len(in.Rejected)+len(in.Actual)/16)
	held := map[string]bool{} // externalIds whose users must not be touched
	for _, r := range in.Rejected {
		p.Items = append(p.Items, Item{Action: Rejected, ExternalID: r.ExternalID, Reason: r.Reason, Record: r.Record})
		if r.ExternalID != "" {
			held[r.ExternalID] = true
		}
	}

	// Two employees wanting the same userName can't both have it; the
	// one that holds it already keeps it.
	wanted := make(map[string]int, len(in.Desired))
	for _, d := range in.Desired {
		wanted[strings.ToLower(d.UserName)]++
	}
	claimed := make(map[string]bool, len(in.Desired))
	for _, d := range in.Desired {
		claimed[d.ExternalID] = true
		it := decide(d, idx.byExt[d.ExternalID], idx.byName[strings.ToLower(d.UserName)], in.Rules)
		if n := wanted[strings.ToLower(d.UserName)]; n > 1 && it.Action != Protected &&
			(it.Current == nil || !strings.EqualFold(it.Current.UserName, d.UserName)) {
			it = Item{Action: Conflict, ExternalID: d.ExternalID, UserName: d.UserName, DisplayName: d.DisplayName,
				Current: it.Current, Warnings: d.Warnings,
				Reason: fmt.Sprintf("userName %q is wanted by %d employees (%s)", d.UserName, n, strings.Join(claimants(in.Desired, d.UserName), ", "))}
		}
		p.Items = append(p.Items, it)
	}

	for _, u := range in.Actual {
		if !u.Owned() {
			p.Unmanaged++
			continue
		}
		if !in.Rules.IsProtected(u.UserName) {
			p.Managed++
		}
		if claimed[u.ExternalID] || held[u.ExternalID] {
			continue
		}
		p.Items = append(p.Items, decideLeaver(u, in.AsOf, in.Rules))
	}

	p.Brakes = brakes(p.Items, p.Managed, in.Rules)
	if !p.Brakes.Fired {
		freeLeaversNames(p.Items, idx, in.Rules)
	}
	sortItems(p.Items)
	return p
}

// freeLeaversNames lets an employee take a userName held by a leaver
// whose user this plan deletes: the write is planned to run after that
// delete (Apply deletes first). Without it, a rehire under a new employee
// id would wait a night.
func freeLeaversNames(items []Item, idx index, r Rules) {
	deleted := map[string]bool{}
	for _, it := range items {
		if it.Action == Delete {
			deleted[it.ID()] = true
		}
	}
	for i, it := range items {
		if it.Action != Conflict || it.Holder == nil || !deleted[it.Holder.ID] {
			continue
		}
		d := Desired{ExternalID: it.ExternalID, UserName: it.UserName, DisplayName: it.DisplayName, Warnings: it.Warnings}
		again := decide(d, idx.byExt[it.ExternalID], nil, r)
		if again.Action.Writes() {
			again.After = it.Holder.ID
			items[i] = again
		}
	}
}

// claimants lists the employees wanting userName (rare: only for conflicts).
func claimants(desired []Desired, userName string) []string {
	var ids []string
	for _, d := range desired {
		if strings.EqualFold(d.UserName, userName) {
			ids = append(ids, d.ExternalID)
		}
	}
	return ids
}

// decide is the rule for one employee given the user carrying its
// externalId (byExt) and the user holding its userName (byName); both may
// be nil. The webhook applies the same rule to live lookups.
func decide(d Desired, byExt, byName *scim.User, r Rules) Item {
	if byExt == nil && byName != nil && byName.ExternalID == d.ExternalID {
		// Live lookups raced a concurrent create of this very employee.
		byExt = byName
	}
	it := Item{ExternalID: d.ExternalID, UserName: d.UserName, DisplayName: d.DisplayName, Warnings: d.Warnings, Current: byExt}
	holder := byName
	if holder != nil && byExt != nil && holder.ID == byExt.ID {
		holder = nil // its own name
	}
	switch {
	case byExt != nil && r.IsProtected(byExt.UserName):
		it.Action, it.Reason = Protected, fmt.Sprintf("user %q is in PROTECTED_USERS", byExt.UserName)
	case holder != nil && r.IsProtected(holder.UserName):
		it.Action, it.Reason = Protected, fmt.Sprintf("userName %q belongs to a user in PROTECTED_USERS", holder.UserName)
	case r.IsProtected(d.UserName):
		// Not even created: a user ramsync made under a protected name
		// could never be changed or deleted again.
		it.Action, it.Reason = Protected, fmt.Sprintf("userName %q is in PROTECTED_USERS: ramsync never creates, changes or deletes it", d.UserName)
	case byExt != nil && byExt.UserName == d.UserName && byExt.DisplayName == d.DisplayName:
		it.Action = Unchanged
	case holder != nil && holder.Owned():
		it.Action, it.Holder, it.Reason = Conflict, holder, fmt.Sprintf("userName %q is held by user %s of another employee (externalId %q)", holder.UserName, holder.ID, holder.ExternalID)
	case holder != nil && byExt == nil && r.AdoptExisting:
		it.Action, it.Current = Adopt, holder
		it.Diff = diff(holder, d)
	case holder != nil:
		it.Action, it.Holder, it.Reason = Conflict, holder, fmt.Sprintf("userName %q is held by user %s, which ramsync does not own (no externalId); set ADOPT_EXISTING=true to link it", holder.UserName, holder.ID)
	case byExt != nil:
		it.Action = Update
		it.Diff = diff(byExt, d)
	default:
		it.Action = Create
	}
	return it
}

// decideLeaver is the rule for an owned user no roster record claims.
func decideLeaver(u scim.User, asOf time.Time, r Rules) Item {
	cur := u
	it := Item{ExternalID: u.ExternalID, UserName: u.UserName, DisplayName: u.DisplayName, Current: &cur}
	switch {
	case r.IsProtected(u.UserName):
		it.Action, it.Reason = Protected, "not in the roster, but in PROTECTED_USERS"
	case u.Meta.Created.IsZero() && u.Meta.LastModified.IsZero():
		it.Action, it.Reason = Skipped, "not in the roster, but RAM gave no creation time, so it cannot be shown to predate the roster"
	case u.Meta.Created.After(asOf) || u.Meta.LastModified.After(asOf):
		it.Action, it.Reason = Skipped, fmt.Sprintf("not in the roster, but created or changed after the roster's as-of time %s (a fresh joiner)", asOf.UTC().Format(time.RFC3339))
	default:
		it.Action = Delete
	}
	return it
}

func brakes(items []Item, managed int, r Rules) Brakes {
	b := Brakes{Managed: managed, MaxDeletes: r.MaxDeletes, MaxDeletePercent: r.MaxDeletePercent}
	for _, it := range items {
		if it.Action == Delete {
			b.PlannedDeletes++
		}
	}
	if b.PlannedDeletes == 0 {
		return b
	}
	pct := 100 * float64(b.PlannedDeletes) / float64(max(managed, 1))
	switch {
	case b.PlannedDeletes > r.MaxDeletes:
		b.Fired = true
		b.Reason = fmt.Sprintf("deletion threshold exceeded: %d planned deletes > MAX_DELETES %d", b.PlannedDeletes, r.MaxDeletes)
	case pct > r.MaxDeletePercent:
		b.Fired = true
		b.Reason = fmt.Sprintf("deletion threshold exceeded: %d planned deletes are %.1f%% of %d managed users > MAX_DELETE_PERCENT %g", b.PlannedDeletes, pct, managed, r.MaxDeletePercent)
	}
	return b
}

// diff shows the SCIM attribute change, -current +wanted. go-cmp
// deliberately varies its spacing (non-breaking spaces) from run to run;
// it is normalised so reports are stable.
func diff(cur *scim.User, d Desired) string {
	attrs := func(ext, name, display string) map[string]string {
		return map[string]string{AttrExternalID: ext, AttrUserName: name, AttrDisplayName: display}
	}
	s := cmp.Diff(attrs(cur.ExternalID, cur.UserName, cur.DisplayName), attrs(d.ExternalID, d.UserName, d.DisplayName))
	return strings.TrimSpace(strings.ReplaceAll(s, "\u00a0", " "))
}

var actionOrder = map[Action]int{Delete: 0, Create: 1, Update: 2, Adopt: 3, Blocked: 4, Conflict: 5, Rejected: 6, Protected: 7, Skipped: 8, Unchanged: 9}

func sortItems(items []Item) {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if actionOrder[a.Action] != actionOrder[b.Action] {
			return actionOrder[a.Action] < actionOrder[b.Action]
		}
		if a.ExternalID != b.ExternalID {
			return a.ExternalID < b.ExternalID
		}
		return a.Record < b.Record
	})
}

type index struct {
	byExt  map[string]*scim.User
	byName map[string]*scim.User
}

func newIndex(users []scim.User) index {
	idx := index{byExt: make(map[string]*scim.User, len(users)), byName: make(map[string]*scim.User, len(users))}
	for i := range users {
		u := &users[i]
		if u.ExternalID != "" {
			idx.byExt[u.ExternalID] = u
		}
		idx.byName[strings.ToLower(u.UserName)] = u
	}
	return idx
}
