package provision

import (
	"context"
	"sync"
	"time"
)

// Status is how far a planned write got: the one other word a report
// entry carries beside its [Action].
type Status string

// The statuses of a [Change].
const (
	StatusReported Status = ""         // nothing to write
	StatusDone     Status = "done"     // written, or refused with a final outcome
	StatusFailed   Status = "failed"   // failed; the next run tries again
	StatusHeld     Status = "held"     // a removal held back by the deletion brakes
	StatusDeferred Status = "deferred" // not started: the deadline was near; left for the next run
	StatusDryRun   Status = "dry run"  // not written: dry run
)

// Change is a plan item with what became of it.
type Change struct {
	Item
	Status Status
	Result Result
	Err    error
}

// Apply carries out a plan's writes (create, update, adopt, suspend,
// resume, delete) and
// returns them, in plan order, with what became of each: SCIM_CONCURRENCY
// at a time, each on its own (one failure never stops the others); no
// removal when the brakes fired; nothing written in a dry run; no new
// operation started when the context's deadline is nearer than the margin
// (those are left for the next run, which recomputes the plan from live
// state). The plan's other items need no work; [Report.Tally] reads them
// from the plan.
func (e *Engine) Apply(ctx context.Context, p Plan) []Change {
	var changes []Change
	for _, it := range p.Items {
		if it.Action.Writes() {
			changes = append(changes, Change{Item: it})
		}
	}
	var removals, rest []int
	for i := range changes {
		c := &changes[i]
		switch {
		case c.Action.Removal() && p.Brakes.Fired:
			c.Status = StatusHeld
			c.Result = Result{Action: c.Action, ExternalID: c.ExternalID, UserName: c.UserName, ID: c.ID(), Reason: p.Brakes.Reason}
		case e.DryRun:
			c.Status = StatusDryRun
			c.Result = Result{Action: DryRun, ExternalID: c.ExternalID, UserName: c.UserName, ID: c.ID(), Reason: "DRY_RUN: would be " + string(c.Action)}
		case c.Action.Removal():
			removals = append(removals, i)
		default:
			rest = append(rest, i)
		}
	}
	// Removals go first: a write may wait for a delete to free a userName.
	e.run(ctx, changes, removals)
	e.run(ctx, changes, rest)
	return changes
}

// run executes the given changes, Concurrency at a time.
func (e *Engine) run(ctx context.Context, changes []Change, work []int) {
	if len(work) == 0 {
		return
	}
	margin := e.Margin
	if margin <= 0 {
		margin = 5 * time.Second
	}
	n := e.Concurrency
	if n <= 0 {
		n = 4
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, len(work)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c := &changes[i]
				if dl, ok := ctx.Deadline(); (ok && time.Until(dl) < margin) || ctx.Err() != nil {
					c.Status = StatusDeferred
					c.Result = Result{Action: c.Action, ExternalID: c.ExternalID, UserName: c.UserName, ID: c.ID(), Reason: "the run's deadline was near"}
					continue
				}
				c.Result, c.Err = e.execute(ctx, c.Item)
				c.Status = StatusDone
				if c.Err != nil {
					c.Status = StatusFailed
				}
			}
		}()
	}
	for _, i := range work {
		next <- i
	}
	close(next)
	wg.Wait()
}
