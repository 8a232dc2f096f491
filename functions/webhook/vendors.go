package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/provision"
)

// The vendor routes (SPEC §4.2, §4.6) and the variable that turns each on.
const (
	RouteFeishu   = "/feishu"
	RouteDingTalk = "/dingtalk"
)

var routeVariable = map[string]string{RouteFeishu: "FEISHU_APP_ID", RouteDingTalk: "DINGTALK_APP_KEY"}

// vendor is one HR vendor's push route: it authenticates and reads a push
// in the vendor's format. Everything after that (applying the events
// through the one rulebook, the 503 on a transient failure) is
// Handler.serveVendor's, the same for every vendor.
type vendor interface {
	// open authenticates and reads a push. A non-nil answer is sent at
	// once and nothing is applied: a refusal, or a URL check's reply.
	open(ctx context.Context, r *http.Request, raw []byte) (vendorPush, *answer)
}

// vendorPush is an authenticated push.
type vendorPush struct {
	// kind is the vendor's event type, for the log.
	kind   string
	events []hr.Event
	// refused are permanent refusals found while reading the push (an
	// event without an employee id, a user the vendor no longer knows):
	// answered as success, so that the vendor does not retry them.
	refused []result
	// success is the answer once every change is applied or permanently
	// refused.
	success func(ctx context.Context, results []result) answer
}

// answer is a status and a body (encoded as JSON).
type answer struct {
	status int
	body   any
}

func failAnswer(status int, code, format string, args ...any) *answer {
	s, b := fail(status, code, format, args...)
	return &answer{s, b}
}

// route picks the handler of a request's path: /feishu and /dingtalk are
// the vendors' pushes (404 when the vendor is not configured), any other
// path ramsync's own format.
func (h *Handler) route(ctx context.Context, w http.ResponseWriter, r *http.Request) (int, any) {
	p := routeName(r.URL.Path)
	variable, ok := routeVariable[p]
	if !ok {
		return h.serve(ctx, w, r)
	}
	v := h.Vendors[p]
	if v == nil {
		return fail(http.StatusNotFound, "not_found", "the route %s is not configured: set %s to receive its pushes", p, variable)
	}
	a := h.serveVendor(ctx, w, r, p, v)
	return a.status, a.body
}

// routeName is the route a path takes: RouteFeishu, RouteDingTalk (a
// trailing slash allowed) or "/".
func routeName(path string) string {
	if p := strings.TrimSuffix(path, "/"); routeVariable[p] != "" {
		return p
	}
	return "/"
}

// serveVendor answers a vendor's push: the method, the size, then the
// vendor's own authentication; then each event goes through
// Engine.ApplyEvent. The answer is the vendor's success only when every
// change is applied or permanently refused (rejected, conflict,
// protected, skipped: in the results and the log); a transient SCIM or
// RAM failure answers 503 so that the vendor redelivers, and the events
// already applied find their work done then.
func (h *Handler) serveVendor(ctx context.Context, w http.ResponseWriter, r *http.Request, route string, v vendor) answer {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return *failAnswer(http.StatusMethodNotAllowed, "method_not_allowed", "method %s is not allowed; send POST", r.Method)
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, hr.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return *failAnswer(http.StatusRequestEntityTooLarge, "payload_too_large", "the body is larger than %d bytes", hr.MaxBodyBytes)
		}
		return *failAnswer(http.StatusBadRequest, "bad_request", "reading the body failed")
	}
	push, a := v.open(ctx, r, raw)
	if a != nil {
		return *a
	}
	results := h.applyVendor(ctx, push)
	var transient, internal []string
	for _, res := range results {
		switch {
		case res.Error == nil:
		case res.Status == http.StatusServiceUnavailable:
			transient = append(transient, res.Error.Message)
		case res.Status >= http.StatusInternalServerError:
			internal = append(internal, res.Error.Message)
		default:
			h.Log.WarnContext(ctx, "vendor event refused", "route", route, "eventType", push.kind,
				"eventId", res.EventID, "externalId", res.ExternalID, "status", res.Status, "code", res.Error.Code, "reason", res.Error.Message)
		}
		if res.Error == nil && res.Action == provision.Skipped {
			h.Log.InfoContext(ctx, "vendor event skipped", "route", route, "eventType", push.kind,
				"eventId", res.EventID, "externalId", res.ExternalID, "reason", res.Reason)
		}
	}
	switch {
	case len(transient) > 0:
		return *failAnswer(http.StatusServiceUnavailable, "unavailable",
			"%d of %d changes could not be applied now (the vendor retries the push): %s", len(transient), len(results), transient[0])
	case len(internal) > 0:
		return *failAnswer(http.StatusInternalServerError, "internal",
			"%d of %d changes failed (the vendor retries the push): %s", len(internal), len(results), internal[0])
	}
	// The results are in Feishu's answer, not in DingTalk's (its success
	// reply is fixed): the log has them for both.
	outcomes := make([]string, 0, min(len(results), 20))
	for _, res := range results[:min(len(results), 20)] {
		action := string(res.Action)
		if res.Error != nil {
			action = res.Error.Code
		}
		outcomes = append(outcomes, quoteID(res.ExternalID)+" "+action)
	}
	h.Log.InfoContext(ctx, "vendor push applied", "route", route, "eventType", push.kind, "events", len(results), "results", outcomes)
	return push.success(ctx, results)
}

// applyVendor applies a push's events in order (one employee's events one
// after the other) and adds the refusals found while reading it.
func (h *Handler) applyVendor(ctx context.Context, push vendorPush) []result {
	d := &hr.Delivery{Batch: true, Events: make([]hr.EventResult, len(push.events))}
	for i, ev := range push.events {
		d.Events[i] = hr.EventResult{Index: i, Event: ev}
	}
	results := h.apply(ctx, d)
	if results == nil {
		results = []result{}
	}
	return append(results, push.refused...)
}

// refusal is a permanent refusal of one event, found before it reached
// the rulebook: answered as success, listed in the results and logged.
func refusal(eventID, externalID, message string) result {
	r := result{EventID: eventID, Status: http.StatusUnprocessableEntity,
		Error: &apiError{Code: "invalid_employee", Message: message}}
	r.ExternalID = externalID
	r.Action = provision.Rejected
	r.Reason = message
	return r
}

// secretError answers a vendor secret that cannot be read or parsed: 503
// in every case, so that the vendor retries instead of dropping the push;
// the code tells a passing fault from one an operator must fix (the cause
// is in the function's log, never in the answer).
func secretError(ctx context.Context, log *slog.Logger, variable string, err error) *answer {
	log.ErrorContext(ctx, "cannot read the vendor secret", "variable", variable, "error", err.Error())
	if provision.Transient(err) {
		return failAnswer(http.StatusServiceUnavailable, "unavailable", "the %s secret cannot be read right now; retry later", variable)
	}
	return failAnswer(http.StatusServiceUnavailable, "misconfigured",
		"the %s secret cannot be read or is not valid; retry later (the function's log names the cause)", variable)
}

// refreshGate allows a read of a vendor secret past the cache at most
// once a minute per instance, counting the instance's first read: a
// forged push can never cost more than that one read a minute.
type refreshGate struct {
	mu   sync.Mutex
	last time.Time
}

// read notes a cached read (the first one was fresh).
func (g *refreshGate) read(now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.last.IsZero() {
		g.last = now
	}
}

// allow reports whether a fresh read may happen now, and if so counts it.
func (g *refreshGate) allow(now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.Sub(g.last) >= time.Minute {
		g.last = now
		return true
	}
	return false
}

// within reports whether a Unix timestamp (in unit: time.Second or
// time.Millisecond) is within tolerance of now.
func within(ts string, unit time.Duration, now time.Time, tolerance time.Duration) bool {
	n, ok := parseInt(ts)
	if !ok {
		return false
	}
	var t time.Time
	if unit == time.Millisecond {
		t = time.UnixMilli(n)
	} else {
		t = time.Unix(n, 0)
	}
	d := now.Sub(t)
	return d <= tolerance && d >= -tolerance
}

func parseInt(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
