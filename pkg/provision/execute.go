package provision

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/ramsync/ramsync/pkg/scim"
)

// Transient reports whether err is worth retrying later: SCIM, the token
// endpoint, Secrets Manager or the RAM OpenAPI was unreachable, throttling
// or failing even after the clients' own retries.
func Transient(err error) bool { return scim.Transient(err) }

// execute performs the write an item calls for and says what happened.
// It returns an error only when the outcome is unknown or failed (the
// item can be tried again later); refusals that retrying won't change are
// outcomes.
func (e *Engine) execute(ctx context.Context, it Item) (Result, error) {
	start := time.Now()
	r, err := e.execute1(ctx, it, true)
	e.logOp(ctx, it, r, err, time.Since(start))
	return r, err
}

func (e *Engine) execute1(ctx context.Context, it Item, settle bool) (Result, error) {
	r := Result{ExternalID: it.ExternalID, UserName: it.UserName, ID: it.ID(), Reason: it.Reason, Warnings: it.Warnings}
	switch it.Action {
	case Unchanged:
		r.Outcome = OutcomeUnchanged
	case Conflict:
		r.Outcome = OutcomeConflict
	case Protected:
		r.Outcome = OutcomeProtected
	case Rejected:
		r.Outcome = OutcomeRejected
	case Skipped:
		r.Outcome = OutcomeSkipped
	case Blocked:
		r.Outcome = OutcomeBlocked
	case Create:
		if e.DryRun {
			r.Outcome = OutcomeDryRun
			return r, nil
		}
		u, err := e.Dir.Create(ctx, scim.User{ExternalID: it.ExternalID, UserName: it.UserName, DisplayName: it.DisplayName})
		switch {
		case err == nil:
			r.Outcome, r.ID = OutcomeCreated, u.ID
		case errors.Is(err, scim.ErrConflict) && settle:
			// Someone made this employee's user, or took the name,
			// since the plan was made: decide again on live state.
			return e.redecide(ctx, it, err)
		case errors.Is(err, scim.ErrConflict):
			r.Outcome, r.Reason = OutcomeConflict, "RAM refused the create: "+err.Error()
		case errors.Is(err, scim.ErrInvalid):
			// RAM's own rules are stricter than ours for this record:
			// the record is the problem, and retrying will not help.
			r.Outcome, r.Reason = OutcomeRejected, "RAM refused the user: "+err.Error()
		default:
			return r, err
		}
	case Update, Adopt:
		if e.DryRun {
			r.Outcome = OutcomeDryRun
			return r, nil
		}
		if it.ExternalID == "" {
			// Never PUT without an externalId: the user would silently
			// stop being owned.
			return r, errors.New("provision: refusing to replace a user without an externalId")
		}
		u, err := e.Dir.Replace(ctx, scim.User{ID: it.Current.ID, ExternalID: it.ExternalID, UserName: it.UserName, DisplayName: it.DisplayName})
		switch {
		case err == nil:
			r.ID = u.ID
			r.Outcome = OutcomeUpdated
			if it.Action == Adopt {
				r.Outcome = OutcomeAdopted
			}
		case errors.Is(err, scim.ErrNotFound):
			// Deleted meanwhile (a termination won the race): do not
			// bring the user back.
			r.Outcome, r.Reason = OutcomeSkipped, "the user was deleted while being updated"
		case it.Action == Adopt && !Transient(err):
			// IDaaS documents that RAM may refuse to link console-made
			// users: report it, do not retry it.
			r.Outcome, r.Reason = OutcomeConflict, "RAM refused to link the existing user: "+err.Error()
		case errors.Is(err, scim.ErrConflict) && settle:
			return e.redecide(ctx, it, err)
		case errors.Is(err, scim.ErrConflict):
			r.Outcome, r.Reason = OutcomeConflict, "RAM refused the update: "+err.Error()
		case errors.Is(err, scim.ErrInvalid):
			r.Outcome, r.Reason = OutcomeRejected, "RAM refused the user: "+err.Error()
		default:
			return r, err
		}
	case Delete:
		if e.DryRun {
			r.Outcome = OutcomeDryRun
			return r, nil
		}
		return e.remove(ctx, *it.Current)
	}
	return r, nil
}

// redecide looks the employee up again after a 409 and acts once more on
// what it finds: a concurrent create of the same employee becomes
// "unchanged" (or an update), a name taken meanwhile a conflict.
func (e *Engine) redecide(ctx context.Context, it Item, cause error) (Result, error) {
	d := Desired{ExternalID: it.ExternalID, UserName: it.UserName, DisplayName: it.DisplayName, Warnings: it.Warnings}
	again, err := e.lookup(ctx, d)
	if err != nil {
		return Result{ExternalID: it.ExternalID, UserName: it.UserName}, errors.Join(cause, err)
	}
	if again.Action == Create {
		// Still absent by both keys, yet refused: report RAM's answer.
		return Result{Outcome: OutcomeConflict, ExternalID: it.ExternalID, UserName: it.UserName,
			Reason: "RAM refused the create: " + cause.Error()}, nil
	}
	return e.execute1(ctx, again, false)
}

// lookup decides for one employee on live state: the user carrying its
// externalId and the user holding its userName, looked up in parallel.
func (e *Engine) lookup(ctx context.Context, d Desired) (Item, error) {
	type found struct {
		u   scim.User
		ok  bool
		err error
	}
	byName := make(chan found, 1)
	go func() {
		u, ok, err := e.Dir.FindByUserName(ctx, d.UserName)
		byName <- found{u, ok, err}
	}()
	ext, okExt, errExt := e.Dir.FindByExternalID(ctx, d.ExternalID)
	name := <-byName
	if err := errors.Join(errExt, name.err); err != nil {
		return Item{}, err
	}
	var pe, pn *scim.User
	if okExt {
		pe = &ext
	}
	if name.ok {
		pn = &name.u
	}
	return decide(d, pe, pn, e.Rules), nil
}

func (e *Engine) logOp(ctx context.Context, it Item, r Result, err error, d time.Duration) {
	outcome := string(r.Outcome)
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
	if err != nil {
		attrs = append(attrs, "error", err.Error(), "transient", Transient(err))
		e.log().WarnContext(ctx, "operation failed", attrs...)
		return
	}
	e.log().InfoContext(ctx, "operation", attrs...)
}
