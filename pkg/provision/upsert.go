package provision

import (
	"context"
	"errors"

	"github.com/ramsync/ramsync/pkg/hr"
)

// ApplyEmployee applies one HR record on live state, as the webhook does: an
// active employee gets its user created, updated, adopted or left
// unchanged under the same rules as the reconciler's plan; a terminated
// one goes through [Engine.Offboard]. Lookups by externalId and userName
// run in parallel, so a change costs one lookup round trip and one write.
// A redelivered record is harmless: it finds its work done.
//
// With mayCreate false (an employee.updated event) a missing user is not
// created but skipped: an update that arrives after the employee's
// termination, or races it, must not bring the user back. The nightly
// reconcile creates users the roster says should exist.
func (e *Engine) ApplyEmployee(ctx context.Context, emp hr.Employee, mayCreate bool) (Result, error) {
	if emp.Status == hr.StatusTerminated {
		return e.Offboard(ctx, e.leaverOf(emp))
	}
	d, err := e.Mapping.Map(emp)
	if err != nil {
		r := Result{Outcome: OutcomeRejected, ExternalID: emp.ID, Reason: err.Error()}
		var me *MappingError
		if errors.As(err, &me) {
			r.Reason = me.Attr + ": " + me.Reason
		}
		e.logOp(ctx, Item{Action: Rejected, ExternalID: emp.ID}, r, nil, 0)
		return r, nil
	}
	it, err := e.lookup(ctx, d)
	if err != nil {
		return Result{ExternalID: d.ExternalID, UserName: d.UserName}, err
	}
	if !mayCreate && (it.Action == Create || it.Action == Adopt) {
		it = Item{Action: Skipped, ExternalID: d.ExternalID, UserName: d.UserName, Warnings: d.Warnings,
			Reason: "no RAM user carries this employee id, and an update does not create one (a hire does; so does the nightly reconcile when the roster says active)"}
	}
	return e.execute(ctx, it)
}

// leaverOf names a terminated employee's user: the mapped externalId and,
// when the record maps, the userName (to tell "not owned" from "absent").
func (e *Engine) leaverOf(emp hr.Employee) Leaver {
	l := Leaver{ExternalID: emp.ID}
	if d, err := e.Mapping.Map(emp); err == nil {
		l.ExternalID, l.UserName = d.ExternalID, d.UserName
	}
	return l
}
