package provision

import (
	"context"
	"errors"
	"fmt"

	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/ramcred"
	"github.com/ramsync/ramsync/pkg/scim"
)

// ErrAborted marks a run that stopped before planning: nothing was written.
var ErrAborted = errors.New("reconcile aborted")

// Meter reports SCIM requests made so far; *scim.Client implements it.
type Meter interface{ Counts() scim.Counts }

// Reconcile makes RAM match the roster: loads and maps it, lists every
// user, plans, applies within the brakes and the deadline, and reports. An
// unreadable or empty roster or an unreadable directory aborts the run
// (nothing is written) with an error matching [ErrAborted]; the report says
// why.
func (e *Engine) Reconcile(ctx context.Context, runID string, load func(context.Context) (*hr.Roster, error)) (*Report, error) {
	rep := &Report{RunID: runID, StartedAt: e.now(), DryRun: e.DryRun}
	rep.Tally(Plan{}, nil)
	var before scim.Counts
	meter, _ := e.Dir.(Meter)
	if meter != nil {
		before = meter.Counts()
	}
	finish := func(err error) (*Report, error) {
		rep.FinishedAt = e.now()
		if meter != nil {
			d := meter.Counts().Sub(before)
			rep.SCIMCalls = CallCounts{Total: d.Total(), ByOp: d.ByOp()}
		} else {
			rep.SCIMCalls.ByOp = map[string]int64{}
		}
		e.logSummary(ctx, rep)
		return rep, err
	}

	mark := e.now()
	lap := func() int64 {
		now := e.now()
		d := now.Sub(mark).Milliseconds()
		mark = now
		return d
	}
	roster, err := load(ctx)
	rep.Timings.RosterMs = lap()
	if err != nil {
		rep.Aborted = "the roster could not be read: " + err.Error()
		return finish(fmt.Errorf("%w: %s", ErrAborted, rep.Aborted))
	}
	if roster == nil || len(roster.Employees) == 0 {
		rep.Aborted = "the roster has no employees: refusing to treat that as everyone leaving"
		return finish(fmt.Errorf("%w: %s", ErrAborted, rep.Aborted))
	}
	rep.Roster = RosterInfo{Source: roster.Source, Format: roster.Format, AsOf: roster.AsOf, AsOfSource: roster.AsOfSource,
		Records: len(roster.Employees) + len(roster.Problems)}
	for _, emp := range roster.Employees {
		if emp.Status == hr.StatusTerminated {
			rep.Roster.Terminated++
		} else {
			rep.Roster.Active++
		}
	}

	// Map first and let go of the roster (its records keep every HR
	// field) before the directory is read.
	w := Desire(roster, e.Mapping)
	asOf := roster.AsOf
	roster = nil
	planMs := lap()
	actual, err := e.Dir.List(ctx)
	if err != nil {
		rep.Timings.ListMs = lap()
		rep.Aborted = "listing RAM users failed: " + err.Error()
		return finish(fmt.Errorf("%w: %w", ErrAborted, err))
	}
	var markers map[string]ramcred.Marker
	if e.Rules.Grace > 0 && e.Revoker != nil {
		// The suspension state lives on the RAM users (rule 5b).
		markers, err = e.Revoker.Markers(ctx)
		if err != nil {
			rep.Timings.ListMs = lap()
			rep.Aborted = "reading the suspension markers (RAM ListUsers) failed: " + err.Error()
			return finish(fmt.Errorf("%w: %w", ErrAborted, err))
		}
	}
	rep.Timings.ListMs = lap()
	plan := Compute(Input{Desired: w.Desired, Frozen: w.Frozen, Rejected: w.Rejected, Actual: actual, Markers: markers,
		AsOf: asOf, Now: e.now(), Rules: e.Rules, Approve: e.Approve})
	w = Wanted{}
	rep.Timings.PlanMs = planMs + lap()
	rep.Directory = DirectoryInfo{Users: plan.Users, Managed: plan.Managed, Unmanaged: plan.Unmanaged, Suspended: len(markers)}
	rep.Brakes = plan.Brakes
	rep.Approval = plan.Approval
	if plan.Brakes.Fired {
		e.log().WarnContext(ctx, "deletion brakes fired: no user will be suspended or deleted", "reason", plan.Brakes.Reason,
			"approval", plan.Approval)
	}
	changes := e.Apply(ctx, plan)
	rep.Timings.ApplyMs = lap()
	rep.Tally(plan, changes)
	return finish(nil)
}

func (e *Engine) logSummary(ctx context.Context, r *Report) {
	c := r.Counts
	e.log().InfoContext(ctx, "reconcile finished",
		"runId", r.RunID, "dryRun", r.DryRun, "aborted", r.Aborted,
		"create", c.Create, "update", c.Update, "delete", c.Delete, "adopt", c.Adopt, "unchanged", c.Unchanged,
		"suspend", c.Suspend, "alreadySuspended", c.AlreadySuspended, "resume", c.Resume,
		"conflict", c.Conflict, "rejected", c.Rejected, "protected", c.Protected, "blocked", c.Blocked,
		"skipped", c.Skipped, "failed", c.Failed, "held", c.Held, "deferred", c.Deferred,
		"brakesFired", r.Brakes.Fired, "scimCalls", r.SCIMCalls.Total,
		"durationMs", r.FinishedAt.Sub(r.StartedAt).Milliseconds())
}
