package provision

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ramsync/ramsync/pkg/ramcred"
	"github.com/ramsync/ramsync/pkg/scim"
)

// Transient reports whether err is worth retrying later: SCIM, the token
// endpoint, Secrets Manager or the RAM OpenAPI was unreachable, throttling
// or failing even after the clients' own retries.
func Transient(err error) bool { return scim.Transient(err) }

// execute performs the write an item calls for and says what happened.
// It returns an error only when the outcome is unknown or failed (the
// item can be tried again later); refusals that retrying won't change are
// results.
func (e *Engine) execute(ctx context.Context, it Item) (Result, error) {
	start := time.Now()
	r, err := e.execute1(ctx, it, true)
	e.logOp(ctx, it, r, err, time.Since(start))
	return r, err
}

func (e *Engine) execute1(ctx context.Context, it Item, settle bool) (Result, error) {
	r := Result{Action: it.Action, ExternalID: it.ExternalID, UserName: it.UserName, ID: it.ID(), Reason: it.Reason, Warnings: it.Warnings}
	if !it.Action.Writes() {
		return r, nil
	}
	if e.DryRun {
		r.Action = DryRun
		r.Reason = fmt.Sprintf("DRY_RUN: would be %s", it.Action)
		return r, nil
	}
	switch it.Action {
	case Create:
		u, err := e.Dir.Create(ctx, scim.User{ExternalID: it.ExternalID, UserName: it.UserName, DisplayName: it.DisplayName})
		switch {
		case err == nil:
			r.ID = u.ID
		case errors.Is(err, scim.ErrConflict) && settle:
			// Someone made this employee's user, or took the name,
			// since the plan was made: decide again on live state.
			return e.redecide(ctx, it, err)
		case errors.Is(err, scim.ErrConflict):
			r.Action, r.Reason = Conflict, "RAM refused the create: "+err.Error()
		case errors.Is(err, scim.ErrInvalid):
			// RAM's own rules are stricter than ours for this record:
			// the record is the problem, and retrying will not help.
			r.Action, r.Reason = Rejected, "RAM refused the user: "+err.Error()
		default:
			return r, err
		}
	case Update, Adopt:
		return e.replace(ctx, it, r, settle)
	case Suspend:
		return e.suspend(ctx, it, r)
	case Resume:
		return e.resume(ctx, it, r, settle)
	case Delete:
		return e.remove(ctx, *it.Current, it.Reason)
	}
	return r, nil
}

// replace PUTs the wanted attributes on the item's user.
func (e *Engine) replace(ctx context.Context, it Item, r Result, settle bool) (Result, error) {
	if it.ExternalID == "" {
		// Never PUT without an externalId: the user would silently
		// stop being owned.
		return r, errors.New("provision: refusing to replace a user without an externalId")
	}
	u, err := e.Dir.Replace(ctx, scim.User{ID: it.Current.ID, ExternalID: it.ExternalID, UserName: it.UserName, DisplayName: it.DisplayName})
	switch {
	case err == nil:
		r.ID = u.ID
	case errors.Is(err, scim.ErrNotFound):
		// Deleted meanwhile (a termination won the race): do not
		// bring the user back.
		r.Action, r.Reason = Skipped, "the user was deleted while being updated"
	case it.Action == Adopt && !Transient(err):
		// IDaaS documents that RAM may refuse to link console-made
		// users: report it, do not retry it.
		r.Action, r.Reason = Conflict, "RAM refused to link the existing user: "+err.Error()
	case errors.Is(err, scim.ErrConflict) && settle:
		return e.redecide(ctx, it, err)
	case errors.Is(err, scim.ErrConflict):
		r.Action, r.Reason = Conflict, "RAM refused the update: "+err.Error()
	case errors.Is(err, scim.ErrInvalid):
		r.Action, r.Reason = Rejected, "RAM refused the user: "+err.Error()
	default:
		return r, err
	}
	return r, nil
}

// suspend is rule 5b: AccessKeys Inactive, then the login profile, then
// the marker.
func (e *Engine) suspend(ctx context.Context, it Item, r Result) (Result, error) {
	if e.Revoker == nil {
		r.Action, r.Reason = Blocked, "suspension needs the RAM OpenAPI (OFFBOARD_CLEANUP=true and the function's role)"
		return r, nil
	}
	u := *it.Current
	_, steps, err := e.Revoker.Suspend(ctx, u.UserName, u.ID, it.SuspendAt)
	r.Steps = steps
	if errors.Is(err, ramcred.ErrNoSuchUser) {
		cur, ok, gerr := e.refind(ctx, u, &r, "suspended")
		if !ok {
			return r, gerr
		}
		r.UserName = cur.UserName
		var more []ramcred.Step
		_, more, err = e.Revoker.Suspend(ctx, cur.UserName, cur.ID, it.SuspendAt)
		r.Steps = append(r.Steps, more...)
	}
	switch {
	case err == nil:
	case Transient(err):
		return r, err
	default:
		r.Action, r.Reason = Blocked, "suspending the user failed: "+err.Error()
	}
	return r, nil
}

// resume is rule 5c: the marked AccessKeys and the login profile Active,
// the marker cleared, then the attributes as for any mover.
func (e *Engine) resume(ctx context.Context, it Item, r Result, settle bool) (Result, error) {
	if e.Revoker == nil {
		r.Action, r.Reason = Blocked, "resuming a suspended user needs the RAM OpenAPI (OFFBOARD_CLEANUP=true and the function's role)"
		return r, nil
	}
	steps, err := e.Revoker.Resume(ctx, it.Current.UserName, it.Current.ID, *it.Marker)
	r.Steps = steps
	switch {
	case err == nil:
	case errors.Is(err, ramcred.ErrNoSuchUser):
		r.Action, r.Reason = Skipped, "the user was renamed or deleted while being resumed; the next run looks again"
		return r, nil
	case Transient(err):
		return r, err
	default:
		r.Action, r.Reason = Blocked, "resuming the user failed: "+err.Error()
		return r, nil
	}
	if it.Diff == "" {
		return r, nil
	}
	up := it
	up.Action = Update
	rr, err := e.replace(ctx, up, Result{Action: Update, ExternalID: it.ExternalID, UserName: it.UserName, ID: it.ID()}, settle)
	if err != nil {
		return r, err
	}
	if rr.Action != Update {
		// Resumed, but the new attributes were refused: say so.
		r.Reason = fmt.Sprintf("resumed, but the attribute update ended %s: %s", rr.Action, rr.Reason)
	}
	return r, nil
}

// redecide looks the employee up again after a 409 and acts once more on
// what it finds: a concurrent create of the same employee becomes
// "unchanged" (or an update), a name taken meanwhile a conflict.
func (e *Engine) redecide(ctx context.Context, it Item, cause error) (Result, error) {
	d := Desired{ExternalID: it.ExternalID, UserName: it.UserName, DisplayName: it.DisplayName, Warnings: it.Warnings}
	again, err := e.decideLive(ctx, claim{desired: d, status: statusActive}, &Event{MayCreate: true, Resumes: true})
	if err != nil {
		return Result{Action: it.Action, ExternalID: it.ExternalID, UserName: it.UserName}, errors.Join(cause, err)
	}
	if again.Action == Create {
		// Still absent by both keys, yet refused: report RAM's answer.
		return Result{Action: Conflict, ExternalID: it.ExternalID, UserName: it.UserName,
			Reason: "RAM refused the create: " + cause.Error()}, nil
	}
	return e.execute1(ctx, again, false)
}

func (e *Engine) logOp(ctx context.Context, it Item, r Result, err error, d time.Duration) {
	outcome := string(r.Action)
	if err != nil {
		outcome = "failed"
	}
	attrs := []any{"op", string(it.Action), "externalId", it.ExternalID, "userName", it.UserName,
		"outcome", outcome, "durationMs", d.Milliseconds()}
	if r.ID != "" {
		attrs = append(attrs, "id", r.ID)
	}
	if r.Reason != "" {
		attrs = append(attrs, "reason", r.Reason)
	}
	if len(r.Blockers) > 0 {
		attrs = append(attrs, "blockers", strings.Join(r.Blockers, "; "))
	}
	if len(r.Steps) > 0 {
		// What was written on RAM, also when it stopped half-way (keys a
		// failed suspension switched off are named here).
		steps := make([]string, len(r.Steps))
		for i, st := range r.Steps {
			steps[i] = strings.TrimSpace(st.Action + " " + st.Target + " " + st.Result)
		}
		attrs = append(attrs, "steps", strings.Join(steps, "; "))
	}
	if err != nil {
		attrs = append(attrs, "error", err.Error(), "transient", Transient(err))
		e.log().WarnContext(ctx, "operation failed", attrs...)
		return
	}
	e.log().InfoContext(ctx, "operation", attrs...)
}
