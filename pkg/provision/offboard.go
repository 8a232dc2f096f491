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

// Leaver names an employee whose RAM user must go.
type Leaver struct {
	ExternalID string
	// UserName, when known, lets a missing user be told apart from a
	// user of that name that ramsync does not own ("not owned").
	UserName string
}

// Offboard deletes a leaver's RAM user: the one path for the webhook's
// employee.terminated, the offboarding function and the reconciler's
// deletes. It finds the user by externalId, leaves it alone when it is
// protected, not owned or DryRun is on, clears (Cleanup) or detects its
// delete blockers through the RAM OpenAPI, and deletes it through SCIM.
// A user already gone is "already absent". It returns an error only for
// failures worth retrying.
func (e *Engine) Offboard(ctx context.Context, l Leaver) (Result, error) {
	start := time.Now()
	r, err := e.offboard(ctx, l)
	e.logOp(ctx, Item{Action: Delete, ExternalID: l.ExternalID, UserName: r.UserName}, r, err, time.Since(start))
	return r, err
}

func (e *Engine) offboard(ctx context.Context, l Leaver) (Result, error) {
	r := Result{ExternalID: l.ExternalID, UserName: l.UserName}
	if strings.TrimSpace(l.ExternalID) == "" {
		r.Outcome, r.Reason = OutcomeRejected, "externalId is empty"
		return r, nil
	}
	u, ok, err := e.Dir.FindByExternalID(ctx, l.ExternalID)
	if err != nil {
		return r, err
	}
	if !ok {
		if l.UserName != "" {
			h, held, err := e.Dir.FindByUserName(ctx, l.UserName)
			if err != nil {
				return r, err
			}
			if held {
				r.Outcome, r.UserName, r.ID = OutcomeNotOwned, h.UserName, h.ID
				if h.Owned() {
					r.Reason = fmt.Sprintf("no user carries externalId %q; user %q belongs to employee %q", l.ExternalID, h.UserName, h.ExternalID)
				} else {
					r.Reason = fmt.Sprintf("no user carries externalId %q; user %q has no externalId, so ramsync does not own it", l.ExternalID, h.UserName)
				}
				return r, nil
			}
		}
		r.Outcome = OutcomeAlreadyAbsent
		return r, nil
	}
	r.UserName, r.ID = u.UserName, u.ID
	switch {
	case e.Rules.IsProtected(u.UserName):
		r.Outcome, r.Reason = OutcomeProtected, fmt.Sprintf("user %q is in PROTECTED_USERS", u.UserName)
		return r, nil
	case e.DryRun:
		r.Outcome = OutcomeDryRun
		return r, nil
	}
	return e.remove(ctx, u)
}

// remove clears or detects the delete blockers of an owned, unprotected
// user and deletes it.
func (e *Engine) remove(ctx context.Context, u scim.User) (Result, error) {
	r, err := e.remove1(ctx, u)
	if errors.Is(err, ramcred.ErrNoSuchUser) {
		// RAM knows no user by that name: renamed (or deleted) since it
		// was looked up. Look again by id, and go on with its new name.
		cur, gerr := e.Dir.Get(ctx, u.ID)
		switch {
		case errors.Is(gerr, scim.ErrNotFound):
			r.Outcome, r.Reason = OutcomeAlreadyAbsent, ""
			return r, nil
		case gerr != nil:
			return r, gerr
		case e.Rules.IsProtected(cur.UserName) || cur.ExternalID != u.ExternalID:
			r.Outcome, r.Reason = OutcomeSkipped, fmt.Sprintf("the user changed while being offboarded (now %q, externalId %q)", cur.UserName, cur.ExternalID)
			return r, nil
		}
		steps := r.Steps
		r, err = e.remove1(ctx, cur)
		r.Steps = append(steps, r.Steps...)
	}
	return r, err
}

func (e *Engine) remove1(ctx context.Context, u scim.User) (Result, error) {
	r := Result{ExternalID: u.ExternalID, UserName: u.UserName, ID: u.ID}
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
				r.Outcome, r.Reason = OutcomeBlocked, "clearing the user's credentials failed: "+err.Error()
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
				r.Outcome, r.Blockers = OutcomeBlocked, b.List()
				r.Reason = "OFFBOARD_CLEANUP is off: revoke these, or turn it on"
				return r, nil
			}
		}
	}
	err := e.Dir.Delete(ctx, u.ID)
	switch {
	case err == nil:
		r.Outcome = OutcomeDeleted
	case errors.Is(err, scim.ErrNotFound):
		r.Outcome = OutcomeAlreadyAbsent
	case Transient(err):
		return r, err
	default:
		r.Outcome, r.Reason = OutcomeBlocked, "RAM refused the delete: "+err.Error()
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
