package provision

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/ramcred"
	"github.com/ramsync/ramsync/pkg/scim"
)

// Action is ramsync's one result vocabulary (SPEC §4.2, §4.3, §4.4): what
// the rulebook decides for an employee or a user, and, once carried out,
// what became of it. A plan item's Action is the result it will have if
// its write succeeds; a Result's Action is what happened. Webhook answers,
// offboarding results and the report all use these words.
type Action string

// The actions. Create, Update, Adopt, Suspend, Resume and Delete write;
// the others are reported only.
const (
	Create           Action = "created"           // no user yet: make one
	Update           Action = "updated"           // the employee's user differs: replace it (PUT)
	Unchanged        Action = "unchanged"         // already right
	Adopt            Action = "adopted"           // an unowned user with the employee's userName: link it (ADOPT_EXISTING)
	Suspend          Action = "suspended"         // a leaver (or a frozen employee): AccessKeys and login off, marker set (rule 5b)
	AlreadySuspended Action = "already suspended" // the marker is there: nothing to do
	Resume           Action = "resumed"           // an active employee whose user is suspended: marked keys and login back on (rule 5c)
	Delete           Action = "deleted"           // a leaver's user: cleared and deleted (rule 5)
	AlreadyAbsent    Action = "already absent"    // a leaver without a user: done already
	Blocked          Action = "blocked"           // the delete or suspension was refused: what remains is listed
	Skipped          Action = "skipped"           // left alone on purpose (stale, fresh joiner, update of a suspended user, …)
	Conflict         Action = "conflict"          // the userName is taken by someone else
	Rejected         Action = "rejected"          // the HR record cannot become a valid user
	Protected        Action = "protected"         // PROTECTED_USERS: never changed or deleted
	NotOwned         Action = "not owned"         // the leaver's userName belongs to a user ramsync does not own
	DryRun           Action = "dry run"           // a write that DRY_RUN kept from happening
)

// Writes reports whether the action changes RAM.
func (a Action) Writes() bool {
	switch a {
	case Create, Update, Adopt, Suspend, Resume, Delete:
		return true
	}
	return false
}

// Removal reports whether the action takes access away: what the
// deletion brakes count (rule 6).
func (a Action) Removal() bool { return a == Suspend || a == Delete }

// Item is one decision of a plan.
type Item struct {
	Action     Action
	ExternalID string
	// UserName and DisplayName are the wanted values (for a leaver, the
	// user's current ones).
	UserName    string
	DisplayName string
	// Current is the user as found, for every action about an existing
	// user; nil when there is none.
	Current *scim.User
	// Diff is the attribute change (-current +wanted) for Update, Adopt
	// and a Resume that also renames.
	Diff string
	// Reason says why, for Conflict, Rejected, Protected, Skipped,
	// Blocked, NotOwned, and a Delete after the grace.
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
	// Marker is the suspension marker the user carries (nil: none).
	Marker *ramcred.Marker
	// SuspendAt is the time a Suspend writes in the marker.
	SuspendAt time.Time
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
	// Protected holds userNames never changed or deleted, lower-cased and
	// without any @domain (rule 5e).
	Protected map[string]bool
	// AdoptExisting links an unowned user whose userName matches an employee.
	AdoptExisting bool
	// MaxDeletes and MaxDeletePercent are the deletion brakes: when the
	// planned removals exceed either, none is applied.
	MaxDeletes       int
	MaxDeletePercent float64
	// Grace is LEAVER_GRACE: 0 deletes a leaver at once; more suspends it
	// at once and deletes it when Grace has passed since the suspension.
	Grace time.Duration
	// EventMaxAge is EVENT_MAX_AGE: an event older than this is skipped
	// as stale (0 = no limit).
	EventMaxAge time.Duration
}

// IsProtected reports whether userName is in PROTECTED_USERS: compared
// without case and without any @domain on either side (rule 5e).
func (r Rules) IsProtected(userName string) bool { return r.Protected[protectedKey(userName)] }

func protectedKey(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "@")
	return strings.ToLower(s)
}

// ParseProtected reads PROTECTED_USERS: comma-separated userNames.
func ParseProtected(s string) map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Split(s, ",") {
		if n = protectedKey(n); n != "" {
			m[n] = true
		}
	}
	return m
}

// Brakes says whether the deletion brakes fired, and why.
type Brakes struct {
	Fired  bool   `json:"fired"`
	Reason string `json:"reason,omitempty"`
	// PlannedDeletes counts the planned removals: suspensions and deletes.
	PlannedDeletes   int     `json:"plannedDeletes"`
	Managed          int     `json:"managed"`
	MaxDeletes       int     `json:"maxDeletes"`
	MaxDeletePercent float64 `json:"maxDeletePercent"`
	// Approved is set when an operator's approval let the held removals
	// through (rule 6).
	Approved bool `json:"approved,omitempty"`
}

// Plan is the full set of decisions for a roster against a directory.
type Plan struct {
	Items []Item
	// Users is the number of users in the directory; Managed those ramsync
	// owns (an externalId) and may change (not protected); Unmanaged those
	// without an externalId.
	Users, Managed, Unmanaged int
	Brakes                    Brakes
	// Approval is the hash of the removals the brakes hold ("" when they
	// hold none): {"approve": Approval} lets exactly these through.
	Approval string
}

// Count returns the number of items per action.
func (p *Plan) Count() map[Action]int {
	m := map[Action]int{}
	for _, it := range p.Items {
		m[it.Action]++
	}
	return m
}

// Event is what the rulebook knows of an HR event that brought an
// employee's record (nil in an Input for a roster).
type Event struct {
	// Type is hr.EventHired, EventUpdated, EventTerminated or EventSuspended.
	Type string
	// OccurredAt is the event's time; zero when the event gave none (then
	// the staleness rules do not apply).
	OccurredAt time.Time
	// MayCreate lets the event create a missing user (a hire).
	MayCreate bool
	// Resumes lets an active record resume a suspended user (a hire, or a
	// vendor's update; not ramsync's own employee.updated).
	Resumes bool
}

// Input is what a plan is computed from: a whole roster (Event nil), or
// one employee's event with the users looked up for it.
type Input struct {
	// Desired are the active employees; Frozen the employees whose user
	// must be suspended but who are not leavers (a Feishu user frozen).
	Desired  []Desired
	Frozen   []Desired
	Rejected []Rejection
	// Leavers are terminations named by an event. A roster names none:
	// every owned user no record claims is a leaver.
	Leavers []Leaver
	Actual  []scim.User
	// Markers are the suspension markers, by lower-cased RAM user name
	// (the SCIM userName without any @domain).
	Markers map[string]ramcred.Marker
	// AsOf is the roster's as-of time: users created or modified after it
	// are not removed (a fresh joiner the roster does not know yet), and a
	// roster suspension's marker carries it.
	AsOf time.Time
	// Now is the time the plan is made (grace periods, event ages).
	Now   time.Time
	Rules Rules
	// Event is set for the event paths (webhook, offboarding): only the
	// employee the event names is decided, and owned users nobody claims
	// are left alone.
	Event *Event
	// Approve is an operator's approval hash (rule 6): when it equals the
	// plan's Approval the held removals go through; when it does not, no
	// removal is applied.
	Approve string
}

// Compute decides, for every employee and every owned user, what to do:
// ramsync's one rulebook, used by the reconciler for a whole roster and by
// the webhook and offboarding for one employee (an Input with Event set).
// It is a pure function of its input: the same input gives the same plan,
// in the same order.
func Compute(in Input) Plan {
	var p Plan
	idx := newIndex(in.Actual)
	p.Users = len(in.Actual)

	p.Items = make([]Item, 0, len(in.Desired)+len(in.Rejected)+len(in.Actual)/16)
	held := map[string]bool{} // externalIds whose users must not be touched
	unidentified := 0         // rejected records whose user cannot be known
	for _, r := range in.Rejected {
		p.Items = append(p.Items, Item{Action: Rejected, ExternalID: r.ExternalID, Reason: r.Reason, Record: r.Record})
		if r.ExternalID != "" {
			held[r.ExternalID] = true
		}
		for _, id := range r.Holds {
			held[id] = true
		}
		if r.Unidentified {
			unidentified++
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
		byExt := idx.byExt[d.ExternalID]
		it := decide(d, byExt, idx.byName[strings.ToLower(d.UserName)], idx.marker(in.Markers, byExt), in)
		if n := wanted[strings.ToLower(d.UserName)]; n > 1 && it.Action != Protected && it.Action != Skipped &&
			(it.Current == nil || !strings.EqualFold(it.Current.UserName, d.UserName)) {
			it = Item{Action: Conflict, ExternalID: d.ExternalID, UserName: d.UserName, DisplayName: d.DisplayName,
				Current: it.Current, Warnings: d.Warnings,
				Reason: fmt.Sprintf("userName %q is wanted by %d employees (%s)", d.UserName, n, strings.Join(claimants(in.Desired, d.UserName), ", "))}
		}
		p.Items = append(p.Items, it)
	}
	for _, d := range in.Frozen {
		claimed[d.ExternalID] = true
		byExt := idx.byExt[d.ExternalID]
		p.Items = append(p.Items, decideFrozen(d, byExt, idx.marker(in.Markers, byExt), in))
	}
	for _, l := range in.Leavers {
		claimed[l.ExternalID] = true
		p.Items = append(p.Items, decideEventLeaver(l, idx, in))
	}

	for _, u := range in.Actual {
		if !u.Owned() {
			p.Unmanaged++
			continue
		}
		if !in.Rules.IsProtected(u.UserName) {
			p.Managed++
		}
		if in.Event != nil || claimed[u.ExternalID] || held[u.ExternalID] {
			continue
		}
		cur := u
		it := decideLeaver(&cur, idx.marker(in.Markers, &cur), in)
		if unidentified > 0 && it.Action.Removal() {
			// Any of these users may be a rejected record's: none is removed.
			it.Action, it.Reason = Skipped, fmt.Sprintf("held: %d rejected record(s) give no externalId under MAPPING's externalId template, so this user may be theirs; no user is removed until they are fixed", unidentified)
		}
		p.Items = append(p.Items, it)
	}

	if in.Event == nil {
		p.Brakes = brakes(p.Items, p.Managed, in.Rules)
		if p.Brakes.Fired {
			p.Approval = approval(p.Items)
			switch {
			case in.Approve != "" && in.Approve == p.Approval:
				p.Brakes.Fired, p.Brakes.Approved = false, true
				p.Brakes.Reason = "approved: " + p.Brakes.Reason
			case in.Approve != "":
				p.Brakes.Reason = fmt.Sprintf("approval %q does not match the removals held now (%s): none applied; %s", short(in.Approve), p.Approval, p.Brakes.Reason)
			}
		} else if in.Approve != "" && p.Brakes.PlannedDeletes > 0 {
			// The brakes would not hold these removals, but an approval
			// names what the operator looked at: apply them only if they
			// are exactly those.
			if h := approval(p.Items); h == in.Approve {
				p.Brakes.Approved = true
			} else {
				p.Approval = h
				p.Brakes.Fired = true
				p.Brakes.Reason = fmt.Sprintf("approval %q does not match the removals planned now (%s): none applied", short(in.Approve), h)
			}
		}
		if !p.Brakes.Fired {
			freeLeaversNames(p.Items, idx, in)
		}
	}
	sortItems(p.Items)
	return p
}

// approval hashes exactly the removals a plan holds: what an operator
// approves (rule 6).
func approval(items []Item) string {
	var lines []string
	for _, it := range items {
		if it.Action.Removal() {
			lines = append(lines, string(it.Action)+"\x00"+it.ExternalID+"\x00"+it.ID())
		}
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// freeLeaversNames lets an employee take a userName held by a leaver
// whose user this plan deletes: the write is planned to run after that
// delete (Apply deletes first). Without it, a rehire under a new employee
// id would wait a night.
func freeLeaversNames(items []Item, idx index, in Input) {
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
		byExt := idx.byExt[it.ExternalID]
		again := decide(d, byExt, nil, idx.marker(in.Markers, byExt), in)
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

// recordTime is when the HR record was true: the event's time, or the
// roster's as-of time. Zero when unknown (an event without occurredAt).
func recordTime(in Input) time.Time {
	if in.Event != nil {
		return in.Event.OccurredAt
	}
	return in.AsOf
}

// tooOld is rule 5d's EVENT_MAX_AGE: the reason an event is skipped, or "".
func tooOld(in Input) string {
	if in.Event == nil || in.Event.OccurredAt.IsZero() || in.Rules.EventMaxAge <= 0 {
		return ""
	}
	if age := in.Now.Sub(in.Event.OccurredAt); age > in.Rules.EventMaxAge {
		return fmt.Sprintf("stale: the event occurred at %s, %s ago, more than EVENT_MAX_AGE %s", stamp(in.Event.OccurredAt), age.Round(time.Second), in.Rules.EventMaxAge)
	}
	return ""
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// decide is the rule for an active employee given the user carrying its
// externalId (byExt), the user holding its userName (byName) and byExt's
// suspension marker; each may be nil.
func decide(d Desired, byExt, byName *scim.User, m *ramcred.Marker, in Input) Item {
	r := in.Rules
	if byExt == nil && byName != nil && byName.ExternalID == d.ExternalID {
		// Live lookups raced a concurrent create of this very employee.
		byExt = byName
	}
	it := Item{ExternalID: d.ExternalID, UserName: d.UserName, DisplayName: d.DisplayName, Warnings: d.Warnings, Current: byExt, Marker: m}
	holder := byName
	if holder != nil && byExt != nil && holder.ID == byExt.ID {
		holder = nil // its own name
	}
	if why := tooOld(in); why != "" {
		it.Action, it.Reason = Skipped, why
		return it
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
	case byExt != nil && m != nil:
		return decideSuspended(it, holder, in)
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
	if in.Event != nil && !in.Event.MayCreate && (it.Action == Create || it.Action == Adopt) {
		it.Action, it.Current, it.Diff = Skipped, nil, ""
		it.Reason = "no RAM user carries this employee id, and an update does not create one (a hire does; so does the nightly reconcile when the roster says active)"
	}
	return it
}

// decideSuspended is rule 5c for an active employee whose user carries a
// suspension marker: resume it when the record is newer than the marker.
func decideSuspended(it Item, holder *scim.User, in Input) Item {
	m := it.Marker
	at := recordTime(in)
	switch {
	case !at.IsZero() && !at.After(m.At):
		it.Action = Skipped
		it.Reason = fmt.Sprintf("stale: the record (as of %s) is not newer than the user's suspension at %s", stamp(at), stamp(m.At))
	case in.Event != nil && !in.Event.Resumes:
		it.Action = Skipped
		it.Reason = fmt.Sprintf("the user is suspended (since %s): an update does not resume it; a hire, or the roster saying active, does", stamp(m.At))
	case holder != nil:
		it.Action, it.Holder = Conflict, holder
		it.Reason = fmt.Sprintf("the suspended user cannot be resumed under userName %q: user %s holds it", it.UserName, holder.ID)
	default:
		it.Action = Resume
		if it.Current.UserName != it.UserName || it.Current.DisplayName != it.DisplayName {
			it.Diff = diff(it.Current, Desired{ExternalID: it.ExternalID, UserName: it.UserName, DisplayName: it.DisplayName})
		}
	}
	return it
}

// decideFrozen is the rule for an employee whose user must be suspended
// without the employee leaving (rule 5b; SPEC §4.6 Feishu frozen).
func decideFrozen(d Desired, byExt *scim.User, m *ramcred.Marker, in Input) Item {
	it := Item{ExternalID: d.ExternalID, UserName: d.UserName, DisplayName: d.DisplayName, Warnings: d.Warnings, Current: byExt, Marker: m}
	if why := tooOld(in); why != "" {
		it.Action, it.Reason = Skipped, why
		return it
	}
	switch {
	case in.Rules.Grace <= 0:
		it.Action, it.Reason = Skipped, "frozen: suspension needs LEAVER_GRACE > 0"
	case byExt == nil:
		it.Action, it.Reason = Skipped, "frozen: no RAM user carries this employee id, so there is nothing to suspend"
	case in.Rules.IsProtected(byExt.UserName) || in.Rules.IsProtected(d.UserName):
		it.Action, it.Reason = Protected, fmt.Sprintf("user %q is in PROTECTED_USERS", byExt.UserName)
	case m != nil:
		it.Action = AlreadySuspended
	default:
		return suspendOrStale(it, byExt, in)
	}
	return it
}

// suspendOrStale suspends u unless the event predates it (rule 5d) or the
// roster predates it (rule 5a).
func suspendOrStale(it Item, u *scim.User, in Input) Item {
	if why := staleRemoval(u, in); why != "" {
		it.Action, it.Reason = Skipped, why
		return it
	}
	it.Action = Suspend
	it.SuspendAt = recordTime(in)
	if it.SuspendAt.IsZero() {
		it.SuspendAt = in.Now
	}
	it.SuspendAt = it.SuspendAt.UTC().Truncate(time.Second)
	return it
}

// staleRemoval says why u must not be removed for this record, or "": a
// termination event older than the user (it was made for a later hire),
// or a roster older than the user's last change (a fresh joiner).
func staleRemoval(u *scim.User, in Input) string {
	if in.Event != nil {
		// RAM's times have whole seconds: within the creation's second
		// is not before it.
		if at := in.Event.OccurredAt; !at.IsZero() && at.Before(u.Meta.Created.Truncate(time.Second)) {
			return fmt.Sprintf("stale: the event occurred at %s, before the user was created (%s) for a later hire", stamp(at), stamp(u.Meta.Created))
		}
		return ""
	}
	switch {
	case u.Meta.Created.IsZero() && u.Meta.LastModified.IsZero():
		return "not in the roster, but RAM gave no creation time, so it cannot be shown to predate the roster"
	case u.Meta.Created.After(in.AsOf) || u.Meta.LastModified.After(in.AsOf):
		return fmt.Sprintf("not in the roster, but created or changed after the roster's as-of time %s (a fresh joiner)", stamp(in.AsOf))
	}
	return ""
}

// decideLeaver is the rule for an owned user whose employee is a leaver:
// named by a termination event, marked terminated in the roster, or not
// in the roster at all.
func decideLeaver(u *scim.User, m *ramcred.Marker, in Input) Item {
	it := Item{ExternalID: u.ExternalID, UserName: u.UserName, DisplayName: u.DisplayName, Current: u, Marker: m}
	if why := tooOld(in); why != "" {
		it.Action, it.Reason = Skipped, why
		return it
	}
	switch {
	case in.Rules.IsProtected(u.UserName) && in.Event == nil:
		it.Action, it.Reason = Protected, "not in the roster, but in PROTECTED_USERS"
	case in.Rules.IsProtected(u.UserName):
		it.Action, it.Reason = Protected, fmt.Sprintf("user %q is in PROTECTED_USERS", u.UserName)
	case in.Rules.Grace <= 0:
		if why := staleRemoval(u, in); why != "" {
			it.Action, it.Reason = Skipped, why
		} else {
			it.Action = Delete
		}
	case m == nil:
		return suspendOrStale(it, u, in)
	case in.Event == nil && !in.Now.Before(m.At.Add(in.Rules.Grace)):
		if why := staleRemoval(u, in); why != "" {
			it.Action, it.Reason = Skipped, why
			break
		}
		it.Action = Delete
		it.Reason = fmt.Sprintf("suspended at %s; LEAVER_GRACE %s is over", stamp(m.At), in.Rules.Grace)
	default:
		it.Action = AlreadySuspended
	}
	return it
}

// decideEventLeaver is the rule for a termination event: the user found
// by exactly its externalId, else nothing of ours.
func decideEventLeaver(l Leaver, idx index, in Input) Item {
	if why := tooOld(in); why != "" {
		it := Item{Action: Skipped, ExternalID: l.ExternalID, UserName: l.UserName, Reason: why}
		if u := idx.byExt[l.ExternalID]; u != nil {
			it.UserName, it.Current = u.UserName, u
		}
		return it
	}
	if u := idx.byExt[l.ExternalID]; u != nil {
		if l.UserName != "" && in.Rules.IsProtected(l.UserName) {
			return Item{Action: Protected, ExternalID: l.ExternalID, UserName: u.UserName, Current: u,
				Reason: fmt.Sprintf("userName %q is in PROTECTED_USERS", l.UserName)}
		}
		return decideLeaver(u, idx.marker(in.Markers, u), in)
	}
	it := Item{Action: AlreadyAbsent, ExternalID: l.ExternalID, UserName: l.UserName}
	if h := idx.byName[strings.ToLower(l.UserName)]; l.UserName != "" && h != nil {
		it.Action, it.UserName, it.Current = NotOwned, h.UserName, h
		if h.Owned() {
			it.Reason = fmt.Sprintf("no user carries externalId %q; user %q belongs to employee %q", l.ExternalID, h.UserName, h.ExternalID)
		} else {
			it.Reason = fmt.Sprintf("no user carries externalId %q; user %q has no externalId, so ramsync does not own it", l.ExternalID, h.UserName)
		}
	}
	return it
}

func brakes(items []Item, managed int, r Rules) Brakes {
	b := Brakes{Managed: managed, MaxDeletes: r.MaxDeletes, MaxDeletePercent: r.MaxDeletePercent}
	for _, it := range items {
		if it.Action.Removal() {
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
		b.Reason = fmt.Sprintf("deletion threshold exceeded: %d planned removals (suspensions and deletes) > MAX_DELETES %d", b.PlannedDeletes, r.MaxDeletes)
	case pct > r.MaxDeletePercent:
		b.Fired = true
		b.Reason = fmt.Sprintf("deletion threshold exceeded: %d planned removals (suspensions and deletes) are %.1f%% of %d managed users > MAX_DELETE_PERCENT %g", b.PlannedDeletes, pct, managed, r.MaxDeletePercent)
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

var actionOrder = map[Action]int{Delete: 0, Suspend: 1, Create: 2, Resume: 3, Update: 4, Adopt: 5, Blocked: 6, Conflict: 7,
	Rejected: 8, Protected: 9, NotOwned: 10, Skipped: 11, AlreadySuspended: 12, AlreadyAbsent: 13, Unchanged: 14}

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

// marker returns u's suspension marker, if any.
func (index) marker(markers map[string]ramcred.Marker, u *scim.User) *ramcred.Marker {
	if u == nil || len(markers) == 0 {
		return nil
	}
	if m, ok := markers[RAMName(u.UserName)]; ok {
		return &m
	}
	return nil
}

// RAMName is the key of a user in Input.Markers: the SCIM userName
// lower-cased, without any @domain.
func RAMName(userName string) string {
	n, _, _ := strings.Cut(userName, "@")
	return strings.ToLower(n)
}

// statusOf says which list of an Input an employee's record belongs in.
func statusOf(s hr.Status) hr.Status {
	if s == "" {
		return hr.StatusActive
	}
	return s
}
