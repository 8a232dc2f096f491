package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/ramsync/ramsync/pkg/provision"
)

// Handler offboards leavers (SPEC §4.3).
type Handler struct {
	Engine provision.Engine
	Log    *slog.Logger
}

// Response is the answer for an event array.
type Response struct {
	Results []Outcome `json:"results"`
}

// Outcome is one leaver's result.
type Outcome struct {
	EventID string `json:"eventId,omitempty"`
	provision.Result
	Error string `json:"error,omitempty"`
}

// Handle offboards every leaver in payload. It returns an error only when
// one failed for a reason worth retrying (SCIM or the RAM OpenAPI
// unreachable or throttled after retries), so FC retries the invocation
// and then sends it to the failure destination; retrying is safe, every
// step being idempotent. Everything else (protected, not owned, already
// absent, blocked, an unusable event) is a result.
func (h *Handler) Handle(ctx context.Context, payload []byte) (any, error) {
	leavers, batch, err := decode(payload)
	if err != nil {
		h.Log.ErrorContext(ctx, "offboarding event refused", "error", err.Error())
		return Outcome{Result: provision.Result{Outcome: provision.OutcomeRejected, Reason: err.Error()}}, nil
	}
	out := make([]Outcome, len(leavers))
	var transient []error
	for i, l := range leavers {
		out[i].EventID = l.EventID
		if l.Err != nil {
			out[i].Result = provision.Result{Outcome: provision.OutcomeRejected, ExternalID: l.Employee.ID, Reason: l.Err.Error()}
			h.Log.ErrorContext(ctx, "offboarding event refused", "eventId", l.EventID, "error", l.Err.Error())
			continue
		}
		r, err := h.Engine.ApplyEmployee(ctx, l.Employee, false)
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
