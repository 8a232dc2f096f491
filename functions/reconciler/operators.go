package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/ramsync/ramsync/pkg/alert"
	"github.com/ramsync/ramsync/pkg/preflight"
	"github.com/ramsync/ramsync/pkg/provision"
)

// Invoke is the reconciler's entry point: it tells the operator payloads
// ({"preflight": true}, {"explain": "<id>"}) from a run (the timer's, or
// {"approve": "<hash>"}), answers each, and posts the alerts the answer
// calls for (SPEC §4.8) through Notify.
func (h *Handler) Invoke(ctx context.Context, runID string, event []byte) (any, error) {
	ov, err := parseOverrides(event)
	if err != nil {
		h.Log.ErrorContext(ctx, "reconcile refused", "error", err.Error())
		return nil, err
	}
	switch {
	case ov.Preflight != nil:
		rep := h.Preflight(ctx)
		var msgs []alert.Message
		if !rep.OK {
			msgs = append(msgs, alert.PreflightMessage(rep.Failed()))
		}
		h.notify(ctx, runID, msgs)
		return rep, nil
	case ov.Explain != nil:
		exp, err := h.Explain(ctx, *ov.Explain)
		h.notify(ctx, runID, nil)
		if err != nil {
			h.Log.ErrorContext(ctx, "explain failed", "explain", *ov.Explain, "error", err.Error())
			return nil, err
		}
		h.Log.InfoContext(ctx, "explain", "explain", *ov.Explain, "decision", string(exp.Decision.Action), "rule", exp.Decision.Rule)
		return exp, nil
	}
	rep, err := h.Handle(ctx, runID, event)
	h.notify(ctx, runID, reportAlerts(rep))
	if rep == nil {
		return nil, err
	}
	return rep, err
}

// Preflight runs the configuration's checks (SPEC §4.4) and logs one line
// per check: nothing is written.
func (h *Handler) Preflight(ctx context.Context) preflight.Report {
	var checks []preflight.Check
	if h.Checks != nil {
		checks = h.Checks()
	}
	rep := preflight.Run(ctx, checks)
	for _, r := range rep.Checks {
		level := slog.LevelInfo
		if !r.OK {
			level = slog.LevelWarn
		}
		h.Log.Log(ctx, level, "preflight", "check", r.Check, "ok", r.OK, "line", r.Line())
	}
	h.Log.InfoContext(ctx, "preflight finished", "ok", rep.OK, "failed", len(rep.Failed()), "checks", len(rep.Checks))
	return rep
}

func (h *Handler) notify(ctx context.Context, runID string, msgs []alert.Message) {
	if h.Notify != nil {
		h.Notify(ctx, runID, msgs)
	}
}

// reportAlerts are the alerts a run's report calls for: aborted, brakes
// fired (with the approval payload), leavers blocked, writes failed,
// records rejected.
func reportAlerts(rep *provision.Report) []alert.Message {
	if rep == nil {
		return nil
	}
	var msgs []alert.Message
	if rep.Aborted != "" {
		m := alert.FailedMessage("The reconcile run", nil)
		m.Summary = "The reconcile run aborted before planning; nothing was written: " + rep.Aborted
		m.Next = "fix what it names (the roster source, its credentials, SCIM or RAM access), then run preflight: s reconciler invoke -e '{\"preflight\":true}'"
		msgs = append(msgs, m)
	}
	if rep.Brakes.Fired {
		var held []string
		for _, e := range rep.LeftForNextRun {
			if e.Status == provision.StatusHeld {
				held = append(held, nameOf(e))
			}
		}
		msgs = append(msgs, alert.BrakesMessage(rep.Brakes.Reason, rep.Approval, held))
	}
	var blocked, failed []string
	for _, e := range rep.Changes {
		if e.Action == provision.Blocked {
			blocked = append(blocked, nameOf(e))
		}
	}
	for _, e := range rep.Errors {
		failed = append(failed, nameOf(e))
	}
	if len(blocked) > 0 {
		msgs = append(msgs, alert.BlockedMessage(blocked))
	}
	if len(failed) > 0 {
		msgs = append(msgs, alert.FailedMessage(fmt.Sprintf("%d of the reconcile run's writes", len(failed)), failed))
	}
	if n := len(rep.Rejections); n > 0 {
		first := make([]string, 0, min(n, alert.MaxNames))
		for _, e := range rep.Rejections[:min(n, alert.MaxNames)] {
			first = append(first, rejectedName(e))
		}
		msgs = append(msgs, alert.RejectedMessage(n, first))
	}
	if rep.DryRun {
		for i := range msgs {
			msgs[i].Summary = "Dry run (DRY_RUN, or the payload's dryRun): nothing was written. " + msgs[i].Summary
		}
	}
	return msgs
}

// nameOf names a report entry's user: its userName, else the employee id.
func nameOf(e provision.Entry) string {
	if e.UserName != "" {
		return e.UserName
	}
	return e.ExternalID
}

// rejectedName names a rejected record: its employee id, else where it is.
func rejectedName(e provision.Entry) string {
	switch {
	case e.ExternalID != "":
		return e.ExternalID
	case e.Record != "":
		return e.Record
	}
	return "(a record without an id)"
}
