package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/provision"
)

// Handler offboards leavers (SPEC §4.3).
type Handler struct {
	Engine provision.Engine
	// Sources are the CloudEvents sources accepted (EVENT_SOURCES); empty
	// accepts any. Direct invocations ({"externalId"}) need the right to
	// invoke the function and carry no source: they are always accepted.
	Sources []string
	Log     *slog.Logger
}

// Response is the answer for an event array.
type Response struct {
	Results []Answer `json:"results"`
}

// Answer is one leaver's result: the rulebook's [provision.Result], shaped
// like a webhook's per-event result.
type Answer struct {
	EventID string `json:"eventId,omitempty"`
	provision.Result
	Error string `json:"error,omitempty"`
}

// Handle offboards every leaver in payload through the one rulebook
// (provision.Engine.ApplyEvent): it suspends (LEAVER_GRACE > 0) or deletes.
// It returns an error only when one failed for a reason worth retrying
// (SCIM or the RAM OpenAPI unreachable or throttled after retries), so FC
// retries the invocation and then sends it to the failure destination;
// retrying is safe, every step being idempotent. Everything else
// (protected, not owned, already absent, blocked, stale, an unusable event
// or a source not in EVENT_SOURCES) is a result.
func (h *Handler) Handle(ctx context.Context, payload []byte) (any, error) {
	leavers, batch, err := decode(payload)
	if err != nil {
		h.Log.ErrorContext(ctx, "offboarding event refused", "error", err.Error())
		return Answer{Result: provision.Result{Action: provision.Rejected, Reason: err.Error()}}, nil
	}
	out := make([]Answer, len(leavers))
	var transient []error
	for i, l := range leavers {
		out[i].EventID = l.EventID
		if l.Err == nil {
			l.Err = h.checkSource(l)
		}
		if l.Err != nil {
			out[i].Result = provision.Result{Action: provision.Rejected, ExternalID: l.Employee.ID, Reason: l.Err.Error()}
			h.Log.ErrorContext(ctx, "offboarding event refused", "eventId", l.EventID, "error", l.Err.Error())
			continue
		}
		var r provision.Result
		var err error
		if l.Direct {
			r, err = h.Engine.Offboard(ctx, provision.Leaver{ExternalID: l.Employee.ID})
		} else {
			r, err = h.Engine.ApplyEvent(ctx, hr.Event{ID: l.EventID, Type: hr.EventTerminated, OccurredAt: l.OccurredAt, Employee: l.Employee})
		}
		out[i].Result = r
		if err != nil {
			out[i].Error = err.Error()
			if provision.Transient(err) {
				transient = append(transient, fmt.Errorf("employee %q: %w", l.Employee.ID, err))
			}
		}
	}
	if len(transient) > 0 {
		return nil, fmt.Errorf("offboarding failed for a reason worth retrying: %w", errors.Join(transient...))
	}
	if !batch {
		return out[0], nil
	}
	return Response{Results: out}, nil
}

// checkSource enforces EVENT_SOURCES: one of the event's sources (its own,
// or the MNS envelope's) must be listed.
func (h *Handler) checkSource(l leaver) error {
	if len(h.Sources) == 0 || l.Direct {
		return nil
	}
	for _, s := range l.Sources {
		if slices.Contains(h.Sources, s) {
			return nil
		}
	}
	return fmt.Errorf("source %.128q is not in EVENT_SOURCES (%s): refused", strings.Join(l.Sources, ", "), strings.Join(h.Sources, ", "))
}
