package provision

import (
	"context"
	"errors"
	"strings"

	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/ramcred"
	"github.com/ramsync/ramsync/pkg/scim"
)

// ApplyEvent applies one HR event on live state, as the webhook and the
// offboarding function do: it looks up the employee's user (by externalId
// and userName, in parallel, plus the suspension marker when LEAVER_GRACE
// > 0), builds a one-employee [Input] and asks [Compute], the same
// rulebook the reconciler uses, then carries out the one decision. A
// redelivered event is harmless: it finds its work done.
//
// An employee.hired creates, updates, adopts or resumes; an
// employee.updated updates but neither creates (an update racing a
// termination must not bring the user back) nor, from ramsync's own
// webhook, resumes (a vendor's update of an active record does, rule 5c);
// a termination suspends (LEAVER_GRACE > 0) or deletes; EventSuspended
// suspends without making a leaver.
func (e *Engine) ApplyEvent(ctx context.Context, ev hr.Event) (Result, error) {
	emp := ev.Employee
	rev := &Event{Type: ev.Type, OccurredAt: ev.OccurredAt}
	st := statusOf(emp.Status)
	switch ev.Type {
	case hr.EventTerminated:
		st = hr.StatusTerminated
	case hr.EventSuspended:
		st = hr.StatusSuspended
	case hr.EventHired:
		rev.MayCreate, rev.Resumes = true, true
	default:
		rev.Resumes = ev.Source != ""
	}
	m := e.Mapping.For(ev.Source)
	if ev.Type == hr.EventUpdated || ev.Type == hr.EventHired {
		// A status template (MAPPING) may say the record is a leaver.
		s, err := m.Status(emp)
		if err != nil {
			r := Result{Action: Rejected, ExternalID: emp.ID, Reason: mappingReason(err)}
			e.logOp(ctx, Item{Action: Rejected, ExternalID: emp.ID}, r, nil, 0)
			return r, nil
		}
		if s == hr.StatusTerminated || (ev.Type == hr.EventUpdated && s == hr.StatusSuspended) {
			st = s
		}
	}
	c := claim{status: st}
	var err error
	switch st {
	case hr.StatusTerminated:
		c.leaver, err = e.leaverOf(m, emp)
	default:
		c.desired, err = m.Map(emp)
	}
	if err != nil {
		r := Result{Action: Rejected, ExternalID: emp.ID, Reason: mappingReason(err)}
		e.logOp(ctx, Item{Action: Rejected, ExternalID: emp.ID}, r, nil, 0)
		return r, nil
	}
	it, err := e.decideLive(ctx, c, rev)
	if err != nil {
		return Result{Action: Skipped, ExternalID: c.externalID(), UserName: c.userName()}, err
	}
	return e.execute(ctx, it)
}

// Offboard is a termination by externalId alone (the offboarding
// function's direct invocation): [Engine.ApplyEvent] for a leaver.
func (e *Engine) Offboard(ctx context.Context, l Leaver) (Result, error) {
	if strings.TrimSpace(l.ExternalID) == "" {
		return Result{Action: Rejected, Reason: "externalId is empty"}, nil
	}
	it, err := e.decideLive(ctx, claim{status: hr.StatusTerminated, leaver: l}, &Event{Type: hr.EventTerminated})
	if err != nil {
		return Result{Action: Skipped, ExternalID: l.ExternalID, UserName: l.UserName}, err
	}
	return e.execute(ctx, it)
}

// leaverOf names a terminated employee's user: the mapped externalId and,
// when the whole record maps, the userName (to tell "not owned" from
// "absent", and to check PROTECTED_USERS). A leaver needs its id only
// (SPEC §4.6): when the rest of the record does not map, the externalId
// is mapped on its own; when that fails too, the event is rejected,
// never reported "already absent".
func (e *Engine) leaverOf(m *Mapping, emp hr.Employee) (Leaver, error) {
	if d, err := m.Map(emp); err == nil {
		return Leaver{ExternalID: d.ExternalID, UserName: d.UserName}, nil
	}
	ext, err := m.ExternalID(emp)
	if err != nil {
		return Leaver{}, err
	}
	return Leaver{ExternalID: ext}, nil
}

func mappingReason(err error) string {
	var me *MappingError
	if errors.As(err, &me) {
		return me.Attr + ": " + me.Reason
	}
	return err.Error()
}

// claim is one employee's record on an event path.
type claim struct {
	status  hr.Status
	desired Desired // active or suspended
	leaver  Leaver  // terminated
}

const statusActive = hr.StatusActive

func (c claim) externalID() string {
	if c.status == hr.StatusTerminated {
		return c.leaver.ExternalID
	}
	return c.desired.ExternalID
}

func (c claim) userName() string {
	if c.status == hr.StatusTerminated {
		return c.leaver.UserName
	}
	return c.desired.UserName
}

// decideLive decides for one employee on live state: the user carrying
// exactly its externalId (rule 5e) and the user holding its userName,
// looked up in parallel, and the first one's suspension marker.
func (e *Engine) decideLive(ctx context.Context, c claim, ev *Event) (Item, error) {
	type found struct {
		u   scim.User
		ok  bool
		err error
	}
	byName := make(chan found, 1)
	name := c.userName()
	if name != "" {
		go func() {
			u, ok, err := e.Dir.FindByUserName(ctx, name)
			byName <- found{u, ok, err}
		}()
	} else {
		byName <- found{}
	}
	ext, okExt, errExt := e.Dir.FindByExternalID(ctx, c.externalID())
	nf := <-byName
	if err := errors.Join(errExt, nf.err); err != nil {
		return Item{}, err
	}
	if okExt && ext.ExternalID != c.externalID() {
		// Owned means the externalId ramsync's mapping set, exactly.
		e.log().WarnContext(ctx, "a lookup by externalId returned a user with another externalId; treated as no match",
			"externalId", c.externalID(), "got", ext.ExternalID, "id", ext.ID)
		okExt = false
	}
	in := Input{Event: ev, Now: e.now(), Rules: e.Rules}
	if okExt {
		in.Actual = append(in.Actual, ext)
	}
	if nf.ok && (!okExt || nf.u.ID != ext.ID) {
		in.Actual = append(in.Actual, nf.u)
	}
	if okExt && e.Rules.Grace > 0 && e.Revoker != nil {
		info, err := e.Revoker.User(ctx, ext.UserName)
		switch {
		case errors.Is(err, ramcred.ErrNoSuchUser):
			// Renamed meanwhile; the write finds out.
		case err != nil:
			return Item{}, err
		default:
			if m, ok := info.Marker(); ok {
				in.Markers = map[string]ramcred.Marker{RAMName(ext.UserName): m}
			}
		}
	}
	switch c.status {
	case hr.StatusTerminated:
		in.Leavers = []Leaver{c.leaver}
	case hr.StatusSuspended:
		in.Frozen = []Desired{c.desired}
	default:
		in.Desired = []Desired{c.desired}
	}
	p := Compute(in)
	for _, it := range p.Items {
		if it.ExternalID == c.externalID() || len(p.Items) == 1 {
			return it, nil
		}
	}
	return Item{Action: Skipped, ExternalID: c.externalID(), Reason: "nothing decided"}, nil
}
