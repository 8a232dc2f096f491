package provision

import (
	"context"
	"errors"
	"fmt"

	"github.com/ramsync/ramsync/pkg/ramcred"
	"github.com/ramsync/ramsync/pkg/scim"
)

// Leaver names an employee whose RAM user must go.
type Leaver struct {
	ExternalID string
	// UserName, when known, lets a missing user be told apart from a
	// user of that name that ramsync does not own ("not owned"), and is
	// checked against PROTECTED_USERS.
	UserName string
}

// remove clears or detects the delete blockers of an owned, unprotected
// user and deletes it: the one way a user is deleted (rule 5). reason is
// carried into the result (e.g. the grace that ended).
func (e *Engine) remove(ctx context.Context, u scim.User, reason string) (Result, error) {
	r, err := e.remove1(ctx, u)
	if errors.Is(err, ramcred.ErrNoSuchUser) {
		cur, ok, gerr := e.refind(ctx, u, &r, "offboarded")
		if !ok {
			return r, gerr
		}
		steps := r.Steps
		r, err = e.remove1(ctx, cur)
		r.Steps = append(steps, r.Steps...)
	}
	if r.Action == Delete && r.Reason == "" {
		r.Reason = reason
	}
	return r, err
}

// refind looks again, by id, for a user RAM knows no user by the name of:
// renamed (or deleted) since it was looked up. It returns the user as SCIM
// has it now and true to go on under its new name; or false, with r set
// to the outcome (already absent; skipped when the user is now protected
// or someone else's) or the lookup's error. doing names the work for the
// reason ("suspended", "offboarded").
func (e *Engine) refind(ctx context.Context, u scim.User, r *Result, doing string) (scim.User, bool, error) {
	cur, err := e.Dir.Get(ctx, u.ID)
	switch {
	case errors.Is(err, scim.ErrNotFound):
		r.Action, r.Reason = AlreadyAbsent, ""
		return cur, false, nil
	case err != nil:
		return cur, false, err
	case e.Rules.IsProtected(cur.UserName) || cur.ExternalID != u.ExternalID:
		r.Action, r.Reason = Skipped, fmt.Sprintf("the user changed while being %s (now %q, externalId %q)", doing, cur.UserName, cur.ExternalID)
		return cur, false, nil
	}
	return cur, true, nil
}

func (e *Engine) remove1(ctx context.Context, u scim.User) (Result, error) {
	r := Result{Action: Delete, ExternalID: u.ExternalID, UserName: u.UserName, ID: u.ID}
	if e.Revoker != nil {
		if e.Cleanup {
			steps, err := e.Revoker.Revoke(ctx, u.UserName)
			r.Steps = steps
			if errors.Is(err, ramcred.ErrNoSuchUser) {
				return r, err
			}
			if err != nil {
				if Transient(err) {
					return r, err
				}
				r.Action, r.Reason = Blocked, "clearing the user's credentials failed: "+err.Error()
				r.Blockers = e.blockerList(ctx, u.UserName)
				return r, nil
			}
		} else {
			b, err := e.Revoker.Blockers(ctx, u.UserName)
			switch {
			case errors.Is(err, ramcred.ErrNoSuchUser):
				return r, err
			case err != nil && Transient(err):
				return r, err
			case err != nil:
				// Cannot read them (e.g. no permission): RAM's own
				// check on DELETE still protects; go on.
				e.log().WarnContext(ctx, "cannot read delete blockers; trying the delete", "userName", u.UserName, "error", err.Error())
			case b.Blocking():
				r.Action, r.Blockers = Blocked, b.List()
				r.Reason = "OFFBOARD_CLEANUP is off: revoke these, or turn it on"
				return r, nil
			}
		}
	}
	err := e.Dir.Delete(ctx, u.ID)
	switch {
	case err == nil:
		r.Action = Delete
	case errors.Is(err, scim.ErrNotFound):
		r.Action = AlreadyAbsent
	case Transient(err):
		return r, err
	default:
		r.Action, r.Reason = Blocked, "RAM refused the delete: "+err.Error()
		r.Blockers = e.blockerList(ctx, u.UserName)
	}
	return r, nil
}

func (e *Engine) blockerList(ctx context.Context, userName string) []string {
	if e.Revoker == nil {
		return nil
	}
	b, err := e.Revoker.Blockers(ctx, userName)
	if err != nil {
		return []string{"unknown: " + err.Error()}
	}
	return b.List()
}
