package provision

import (
	"time"

	"github.com/ramsync/ramsync/pkg/ramcred"
)

// Report is the record of one reconcile run (SPEC §4.4). Its JSON field
// names and order are stable: operators parse it from Log Service.
type Report struct {
	RunID      string    `json:"runId"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	DryRun     bool      `json:"dryRun"`
	// Aborted says why the run stopped before planning (an empty or
	// unreadable roster, an unreadable directory); empty when it ran.
	Aborted   string        `json:"aborted,omitempty"`
	Roster    RosterInfo    `json:"roster"`
	Directory DirectoryInfo `json:"directory"`
	Counts    Counts        `json:"counts"`
	// Actions counts the run's items by the one result vocabulary
	// ("created", "already suspended", …): what became of each done write
	// and each reported item; a write not done counts under its status
	// ("failed", "held", "deferred", "dry run").
	Actions map[string]int `json:"actions"`
	// Changes are the writes: planned, done, failed, held or deferred,
	// with the attribute diff of each update.
	Changes    []Entry `json:"changes"`
	Rejections []Entry `json:"rejections"`
	Conflicts  []Entry `json:"conflicts"`
	Protected  []Entry `json:"protected"`
	Skipped    []Entry `json:"skipped"`
	Errors     []Entry `json:"errors"`
	Warnings   []Entry `json:"warnings"`
	Brakes     Brakes  `json:"brakes"`
	// Approval is set when the brakes held removals: a hash of exactly
	// those removals. Invoking the reconciler with {"approve": Approval}
	// applies them if a fresh plan holds the same ones (SPEC rule 6).
	Approval string `json:"approval,omitempty"`
	// LeftForNextRun are the writes not done: held by the brakes,
	// deferred by the deadline, failed.
	LeftForNextRun []Entry    `json:"leftForNextRun"`
	SCIMCalls      CallCounts `json:"scimCalls"`
	Timings        Timings    `json:"timings"`
	// Omitted counts, per list, the entries a shortened copy (Brief)
	// leaves out; empty in the full report.
	Omitted map[string]int `json:"omitted,omitempty"`
}

// Brief returns a copy of the report with each list cut to its first n
// entries and the rest counted in Omitted: the report's log line must stay
// one line a log pipeline takes whole (the full report is the reconciler's
// result, and every operation has its own log line).
func (r *Report) Brief(n int) *Report {
	b := *r
	b.Omitted = nil
	for name, list := range map[string]*[]Entry{
		"changes": &b.Changes, "rejections": &b.Rejections, "conflicts": &b.Conflicts, "protected": &b.Protected,
		"skipped": &b.Skipped, "errors": &b.Errors, "warnings": &b.Warnings, "leftForNextRun": &b.LeftForNextRun,
	} {
		if len(*list) > n {
			if b.Omitted == nil {
				b.Omitted = map[string]int{}
			}
			b.Omitted[name] = len(*list) - n
			*list = (*list)[:n:n]
		}
	}
	return &b
}

// Timings are how long each phase of the run took, in milliseconds.
type Timings struct {
	RosterMs int64 `json:"rosterMs"` // reading and parsing the roster
	ListMs   int64 `json:"listMs"`   // listing every RAM user
	PlanMs   int64 `json:"planMs"`   // mapping and planning (CPU only)
	ApplyMs  int64 `json:"applyMs"`  // the writes
}

// RosterInfo describes the roster a run used.
type RosterInfo struct {
	Source     string    `json:"source"`
	Format     string    `json:"format"`
	AsOf       time.Time `json:"asOf"`
	AsOfSource string    `json:"asOfSource"`
	Records    int       `json:"records"`
	Active     int       `json:"active"`
	Terminated int       `json:"terminated"`
}

// DirectoryInfo describes RAM's users as the run found them.
type DirectoryInfo struct {
	Users     int `json:"users"`
	Managed   int `json:"managed"`
	Unmanaged int `json:"unmanaged"`
	// Suspended counts the users carrying a suspension marker (read only
	// with LEAVER_GRACE > 0).
	Suspended int `json:"suspended"`
}

// Counts are the run's final outcomes (in a dry run, the planned ones).
type Counts struct {
	Create    int `json:"create"`
	Update    int `json:"update"`
	Delete    int `json:"delete"`
	Adopt     int `json:"adopt"`
	Unchanged int `json:"unchanged"`
	Conflict  int `json:"conflict"`
	Rejected  int `json:"rejected"`
	Protected int `json:"protected"`
	Blocked   int `json:"blocked"`
	Skipped   int `json:"skipped"`
	Failed    int `json:"failed"`
	Held      int `json:"held"`
	Deferred  int `json:"deferred"`
	// Suspend, AlreadySuspended and Resume are rule 5b and 5c's.
	Suspend          int `json:"suspend"`
	AlreadySuspended int `json:"alreadySuspended"`
	Resume           int `json:"resume"`
	// AlreadyAbsent counts deletes that found the user gone (also in Delete).
	AlreadyAbsent int `json:"alreadyAbsent"`
	// DryRun counts the writes a dry run did not make (also counted under
	// their planned action).
	DryRun int `json:"dryRun"`
}

// Entry is one line of a report. Action is what happened (for a write
// not done: what was planned, with Status saying why not); Planned is the
// plan's action when the result differs from it (a create that ended a
// conflict).
type Entry struct {
	Action     Action         `json:"action"`
	Planned    Action         `json:"planned,omitempty"`
	ExternalID string         `json:"externalId,omitempty"`
	UserName   string         `json:"userName,omitempty"`
	ID         string         `json:"id,omitempty"`
	Record     string         `json:"record,omitempty"`
	Status     Status         `json:"status,omitempty"`
	Diff       string         `json:"diff,omitempty"`
	Reason     string         `json:"reason,omitempty"`
	Error      string         `json:"error,omitempty"`
	Blockers   []string       `json:"blockers,omitempty"`
	Steps      []ramcred.Step `json:"steps,omitempty"`
	Warnings   []string       `json:"warnings,omitempty"`
}

// CallCounts are the SCIM requests the run made.
type CallCounts struct {
	Total int64            `json:"total"`
	ByOp  map[string]int64 `json:"byOp"`
}

// Tally fills the report's counts and lists from the plan and the
// changes Apply returned for it.
func (r *Report) Tally(p Plan, changes []Change) {
	r.Changes, r.Rejections, r.Conflicts, r.Protected, r.Skipped = []Entry{}, []Entry{}, []Entry{}, []Entry{}, []Entry{}
	r.Errors, r.Warnings, r.LeftForNextRun = []Entry{}, []Entry{}, []Entry{}
	r.Counts = Counts{}
	r.Actions = map[string]int{}
	j := 0
	for _, it := range p.Items {
		if !it.Action.Writes() {
			r.reported(it)
			continue
		}
		if j < len(changes) {
			r.written(changes[j])
			j++
		}
	}
}

// reported tallies an item that needed no write.
func (r *Report) reported(it Item) {
	if len(it.Warnings) > 0 {
		r.Warnings = append(r.Warnings, Entry{Action: it.Action, ExternalID: it.ExternalID, UserName: it.UserName, Warnings: it.Warnings})
	}
	r.count(Change{Item: it})
	switch it.Action {
	case Unchanged, AlreadySuspended, AlreadyAbsent:
		return // counted only: a steady run has one per user
	}
	e := Entry{Action: it.Action, ExternalID: it.ExternalID, UserName: it.UserName, ID: it.ID(), Record: it.Record, Reason: it.Reason}
	switch it.Action {
	case Rejected:
		r.Rejections = append(r.Rejections, e)
	case Conflict:
		r.Conflicts = append(r.Conflicts, e)
	case Protected:
		r.Protected = append(r.Protected, e)
	case Skipped, NotOwned:
		r.Skipped = append(r.Skipped, e)
	}
}

// written tallies a write.
func (r *Report) written(c Change) {
	e := Entry{Action: c.Action, ExternalID: c.ExternalID, UserName: c.UserName, ID: c.ID(), Record: c.Record,
		Status: c.Status, Diff: c.Diff, Reason: c.Result.Reason, Blockers: c.Result.Blockers, Steps: c.Result.Steps}
	if c.Status == StatusDone && c.Result.Action != "" && c.Result.Action != c.Action {
		e.Action, e.Planned = c.Result.Action, c.Action
	}
	if c.Status == StatusDryRun {
		e.Reason = ""
	}
	if e.Reason == "" {
		e.Reason = c.Reason
	}
	if e.ID == "" {
		e.ID = c.Result.ID
	}
	if c.Err != nil {
		e.Error = c.Err.Error()
	}
	if len(c.Warnings) > 0 {
		r.Warnings = append(r.Warnings, Entry{Action: c.Action, ExternalID: c.ExternalID, UserName: c.UserName, Warnings: c.Warnings})
	}
	r.count(c)
	r.Changes = append(r.Changes, e)
	switch c.Status {
	case StatusFailed:
		r.Errors = append(r.Errors, e)
		r.LeftForNextRun = append(r.LeftForNextRun, e)
	case StatusHeld, StatusDeferred:
		r.LeftForNextRun = append(r.LeftForNextRun, e)
	}
	if c.Status != StatusDone {
		return
	}
	// A write can end as a conflict, a skip or a rejection after a
	// 409, 404 or 400.
	switch c.Result.Action {
	case Rejected:
		r.Rejections = append(r.Rejections, e)
	case Conflict:
		r.Conflicts = append(r.Conflicts, e)
	case Skipped:
		r.Skipped = append(r.Skipped, e)
	}
}

func (r *Report) count(c Change) {
	k := &r.Counts
	a := c.Action
	if r.Actions == nil {
		r.Actions = map[string]int{}
	}
	switch c.Status {
	case StatusDone:
		r.Actions[string(c.Result.Action)]++
	case StatusReported:
		r.Actions[string(c.Action)]++
	default:
		r.Actions[string(c.Status)]++
	}
	switch c.Status {
	case StatusFailed:
		k.Failed++
		return
	case StatusHeld:
		k.Held++
		return
	case StatusDeferred:
		k.Deferred++
		return
	case StatusDryRun:
		k.DryRun++
	case StatusDone:
		a = c.Result.Action
	}
	switch a {
	case Create:
		k.Create++
	case Update:
		k.Update++
	case Delete:
		k.Delete++
	case AlreadyAbsent:
		k.Delete++
		k.AlreadyAbsent++
	case Adopt:
		k.Adopt++
	case Unchanged:
		k.Unchanged++
	case Conflict:
		k.Conflict++
	case Rejected:
		k.Rejected++
	case Protected:
		k.Protected++
	case Blocked:
		k.Blocked++
	case Skipped, NotOwned:
		k.Skipped++
	case Suspend:
		k.Suspend++
	case AlreadySuspended:
		k.AlreadySuspended++
	case Resume:
		k.Resume++
	}
}
