package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ramsync/ramsync/pkg/alert"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/preflight"
	"github.com/ramsync/ramsync/pkg/provision"
)

// TimerEvent is what an FC timer trigger delivers: its configured payload
// is a string, passed on verbatim.
type TimerEvent struct {
	TriggerTime string `json:"triggerTime"`
	TriggerName string `json:"triggerName"`
	Payload     string `json:"payload"`
}

// Overrides change one run's settings. They come from the timer payload
// (a JSON object in its string), or from the top level of a direct
// invocation's event.
type Overrides struct {
	DryRun           *bool    `json:"dryRun"`
	MaxDeletes       *int     `json:"maxDeletes"`
	MaxDeletePercent *float64 `json:"maxDeletePercent"`
	// Approve is an operator's approval of the removals the brakes held
	// in an earlier run: the report's approval hash (SPEC rule 6).
	Approve *string `json:"approve"`
	// Explain asks what the run would do for one employee id, and why;
	// nothing is written (SPEC §4.4).
	Explain *string `json:"explain"`
	// Preflight asks for the dependency checks; nothing is written.
	Preflight *bool `json:"preflight"`
	// label is a timer payload that is not a JSON object (a trigger's
	// name for itself, say): no override, logged as such.
	label string
}

// RosterLoader loads the roster. *hr.Loader implements it.
type RosterLoader interface {
	Load(ctx context.Context, rawURL string) (*hr.Roster, error)
}

// Handler is the nightly reconcile (SPEC §4.4).
type Handler struct {
	Engine    provision.Engine
	Roster    RosterLoader
	RosterURL string
	Log       *slog.Logger
	// Checks are the preflight checks of the configuration
	// (wire.Clients.PreflightChecks and the roster's); nil means none.
	Checks func() []preflight.Check
	// Notify posts alerts (wire.Clients.Notify); nil sends none.
	Notify func(ctx context.Context, runID string, msgs []alert.Message)
}

// Handle runs one reconcile and returns its report. It returns an error
// (FC retries the async invocation, then sends it to the failure
// destination) when the run aborted: a bad payload, an unreadable or empty
// roster, an unreadable directory.
func (h *Handler) Handle(ctx context.Context, runID string, event []byte) (*provision.Report, error) {
	ov, err := parseOverrides(event)
	if err == nil && (ov.Explain != nil || ov.Preflight != nil) {
		err = errors.New("payload: explain and preflight are answered by Invoke, not by a run")
	}
	if err != nil {
		h.Log.ErrorContext(ctx, "reconcile refused", "error", err.Error())
		return nil, err
	}
	e := h.Engine
	if ov.DryRun != nil {
		e.DryRun = *ov.DryRun
	}
	if ov.MaxDeletes != nil {
		e.Rules.MaxDeletes = *ov.MaxDeletes
	}
	if ov.MaxDeletePercent != nil {
		e.Rules.MaxDeletePercent = *ov.MaxDeletePercent
	}
	if ov.label != "" {
		h.Log.WarnContext(ctx, "the timer payload is not a JSON object, so it overrides nothing", "payload", ov.label)
	}
	if ov.Approve != nil {
		e.Approve = *ov.Approve
		if approvalRE.MatchString(e.Approve) {
			h.Log.WarnContext(ctx, "an operator approves the removals held by the brakes", "approval", e.Approve)
		} else {
			h.Log.WarnContext(ctx, "approve is not a report's approval (32 hexadecimal characters): no held removal will be applied", "approval", e.Approve)
		}
	}
	if dl, ok := ctx.Deadline(); ok {
		// Stop starting writes with a tenth of the time left (5 s to 60 s).
		e.Margin = min(max(time.Until(dl)/10, 5*time.Second), time.Minute)
	}

	rep, err := e.Reconcile(ctx, runID, func(ctx context.Context) (*hr.Roster, error) {
		return h.Roster.Load(ctx, h.RosterURL)
	})
	level := slog.LevelInfo
	switch {
	case err != nil:
		level = slog.LevelError
	case rep.Brakes.Fired || rep.Counts.Failed > 0:
		level = slog.LevelWarn
	}
	// The log line carries the first 20 entries of each list; the
	// result carries them all.
	h.Log.Log(ctx, level, "reconcile report", "report", rep.Brief(20))
	return rep, err
}

var approvalRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

func parseOverrides(event []byte) (Overrides, error) {
	var ov Overrides
	event = bytes.TrimSpace(event)
	if len(event) == 0 || string(event) == "null" {
		return ov, nil
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(event, &probe); err != nil {
		return ov, fmt.Errorf("the event is not a JSON object: %v", err)
	}
	src := event
	p, ok := probe["payload"]
	switch {
	case ok:
		var s string
		if err := json.Unmarshal(p, &s); err != nil {
			return ov, errors.New("payload: must be a string (the timer trigger's payload)")
		}
		delete(probe, "payload")
		if len(probe) > 0 && !timerOnly(probe) {
			return ov, errors.New("payload: settings go inside the payload or at the top level, not both")
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return ov, nil
		}
		if !strings.HasPrefix(s, "{") {
			// A label, not overrides: the trigger's payload is free text,
			// but not anything that looks like a setting meant to apply.
			if !isLabel(s) {
				return ov, fmt.Errorf("payload: %.40q is neither a JSON object of settings nor a plain label; for settings write {\"dryRun\": true}", s)
			}
			ov.label = s
			return ov, nil
		}
		src = []byte(s)
	case timerOnly(probe):
		return ov, nil // a timer trigger configured without a payload
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ov); err != nil {
		return ov, fmt.Errorf("payload: want {\"dryRun\": bool, \"maxDeletes\": int, \"maxDeletePercent\": number, \"approve\": \"<hash>\"}, {\"explain\": \"<employee id>\"} or {\"preflight\": true}: %v", err)
	}
	if ov.Explain != nil || ov.Preflight != nil {
		if ov.DryRun != nil || ov.MaxDeletes != nil || ov.MaxDeletePercent != nil || ov.Approve != nil || (ov.Explain != nil && ov.Preflight != nil) {
			return ov, errors.New("payload: explain and preflight each come alone: {\"explain\": \"<employee id>\"} or {\"preflight\": true}")
		}
		if ov.Preflight != nil && !*ov.Preflight {
			return ov, errors.New("payload: preflight must be true")
		}
		if ov.Explain != nil && (strings.TrimSpace(*ov.Explain) == "" || len(*ov.Explain) > hr.MaxIDLength) {
			return ov, fmt.Errorf("payload: explain must be an employee id (1 to %d characters)", hr.MaxIDLength)
		}
	}
	if ov.Approve != nil {
		// Any value is an approval: one that is not the plan's hash applies
		// no held removal, and the report carries the plan's (rule 6).
		a := strings.ToLower(strings.TrimSpace(*ov.Approve))
		if a == "" {
			return ov, errors.New("payload: approve must be a report's approval hash, not empty")
		}
		ov.Approve = &a
	}
	if ov.MaxDeletes != nil && *ov.MaxDeletes < 0 {
		return ov, errors.New("payload: maxDeletes must not be negative")
	}
	if ov.MaxDeletePercent != nil && (*ov.MaxDeletePercent < 0 || *ov.MaxDeletePercent > 100) {
		return ov, errors.New("payload: maxDeletePercent must be between 0 and 100")
	}
	return ov, nil
}

// timerOnly reports whether an event is a timer trigger's without a
// payload: triggerTime and/or triggerName, nothing else.
func timerOnly(probe map[string]json.RawMessage) bool {
	for k := range probe {
		if k != "triggerTime" && k != "triggerName" {
			return false
		}
	}
	return len(probe) > 0
}

// overrideKeys are the settings a payload may carry, for isLabel.
var overrideKeys = []string{"dryrun", "maxdeletes", "maxdeletepercent", "approve", "explain", "preflight"}

// isLabel reports whether a timer payload that is not a JSON object is a
// plain label (a name for the schedule), not settings in the wrong shape:
// at most 80 characters, no JSON punctuation, no setting's name.
func isLabel(s string) bool {
	if utf8.RuneCountInString(s) > 80 || !utf8.ValidString(s) || strings.ContainsAny(s, "{}[]\"\\:") {
		return false
	}
	lower := strings.ToLower(s)
	for _, k := range overrideKeys {
		if strings.Contains(lower, k) {
			return false
		}
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// String shows the overrides set, for logs and tests.
func (o Overrides) String() string {
	s := func(p any) string {
		switch v := p.(type) {
		case *bool:
			if v != nil {
				return fmt.Sprint(*v)
			}
		case *int:
			if v != nil {
				return fmt.Sprint(*v)
			}
		case *float64:
			if v != nil {
				return fmt.Sprint(*v)
			}
		}
		return "<nil>"
	}
	return "dry=" + s(o.DryRun) + " max=" + s(o.MaxDeletes) + " pct=" + s(o.MaxDeletePercent)
}
