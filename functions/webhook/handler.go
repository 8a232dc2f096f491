package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/provision"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// Handler is the webhook as an http.Handler (SPEC §4.2): it checks the
// method, the size and the signature over the raw body, decodes one event
// or a batch, and applies each event through the provisioning engine. Its
// answers are the SPEC's table; nothing is written for a rejected request.
// The paths /feishu and /dingtalk are the vendors' push routes (SPEC §4.6,
// see route); any other path is ramsync's own format.
type Handler struct {
	Engine provision.Engine
	// Keys returns the HMAC signing keys (one, or two during a rotation).
	// fresh asks to bypass any cache.
	Keys      func(ctx context.Context, fresh bool) ([]secrets.Value, error)
	Tolerance time.Duration
	Log       *slog.Logger
	Now       func() time.Time
	// Vendors are the vendor push routes by path (RouteFeishu,
	// RouteDingTalk); a route missing here answers 404.
	Vendors map[string]vendor

	// keyGate lets the signing keys be read past the cache at most once a
	// minute (the instance's first read counts), like the vendor secrets.
	keyGate refreshGate
}

// apiError is the error body: {"error": {"code": …, "message": …}}.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// result is one event's answer.
type result struct {
	EventID string `json:"eventId,omitempty"`
	provision.Result
	Status int       `json:"status,omitempty"` // batches: the status this event alone would get
	Error  *apiError `json:"error,omitempty"`
}

// MarshalJSON keeps externalId present even for events that failed early.
func (r result) MarshalJSON() ([]byte, error) {
	type plain result
	if r.Error != nil {
		return json.Marshal(struct {
			EventID    string           `json:"eventId,omitempty"`
			ExternalID string           `json:"externalId,omitempty"`
			Action     provision.Action `json:"action,omitempty"`
			Status     int              `json:"status"`
			Error      *apiError        `json:"error"`
		}{r.EventID, r.ExternalID, r.Action, r.Status, r.Error})
	}
	return json.Marshal(plain(r))
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	start := time.Now()
	status, body := h.route(ctx, w, r)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
	attrs := []any{"route", routeName(r.URL.Path), "status", status, "durationMs", time.Since(start).Milliseconds()}
	if e, ok := body.(map[string]apiError); ok {
		attrs = append(attrs, "code", e["error"].Code, "reason", e["error"].Message)
	}
	h.Log.InfoContext(ctx, "webhook request", attrs...)
}

func fail(status int, code, format string, args ...any) (int, any) {
	return status, map[string]apiError{"error": {Code: code, Message: fmt.Sprintf(format, args...)}}
}

func (h *Handler) serve(ctx context.Context, w http.ResponseWriter, r *http.Request) (int, any) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return fail(http.StatusMethodNotAllowed, "method_not_allowed", "method %s is not allowed; send POST", r.Method)
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, hr.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fail(http.StatusRequestEntityTooLarge, "payload_too_large", "the body is larger than %d bytes", hr.MaxBodyBytes)
		}
		return fail(http.StatusBadRequest, "bad_request", "reading the body failed")
	}
	if status, body, ok := h.verify(ctx, r, raw); !ok {
		return status, body
	}
	d, err := hr.DecodeWebhook(raw)
	if err != nil {
		var ee *hr.EventError
		if errors.As(err, &ee) {
			return fail(eventStatus(ee), eventCode(ee), "%s", ee.Error())
		}
		if errors.Is(err, hr.ErrBodyTooLarge) {
			return fail(http.StatusRequestEntityTooLarge, "payload_too_large", "%s", err.Error())
		}
		return fail(http.StatusBadRequest, "bad_request", "%s", err.Error())
	}
	results := h.apply(ctx, d)
	if !d.Batch {
		if res := results[0]; res.Error != nil {
			return res.Status, map[string]*apiError{"error": res.Error}
		}
	}
	return http.StatusOK, map[string][]result{"results": results}
}

// verify checks the signature against the cached keys. It re-reads them
// bypassing the cache (a key rotated in Secrets Manager) only when all of
// these hold, so a forged request can never cost more than that one read a
// minute per instance:
//   - the header is well-formed and its t is within the tolerance (a
//     malformed or stale header never triggers a read);
//   - its MAC matched none of the cached keys;
//   - no read happened in the last minute, counting the instance's first
//     read of the key (so the first forgery on a new instance reads
//     nothing more).
//
// An unreadable or empty key answers 503: the HR system must retry, not
// drop the event as it would after a 401.
func (h *Handler) verify(ctx context.Context, r *http.Request, raw []byte) (int, any, bool) {
	header := strings.Join(r.Header.Values(hr.SignatureHeader), ",")
	keys, err := h.Keys(ctx, false)
	if err != nil {
		return h.keyError(ctx, err)
	}
	now := h.now()
	h.keyGate.read(now)
	err = hr.VerifySignature(header, raw, keys, now, h.Tolerance)
	if errors.Is(err, hr.ErrSignatureMismatch) && hr.CheckSignatureTime(header, now, h.Tolerance) == nil && h.keyGate.allow(now) {
		keys, kerr := h.Keys(ctx, true)
		if kerr != nil {
			return h.keyError(ctx, kerr)
		}
		err = hr.VerifySignature(header, raw, keys, now, h.Tolerance)
	}
	if errors.Is(err, hr.ErrNoSigningKey) {
		return h.keyError(ctx, err)
	}
	if err != nil {
		s, b := fail(http.StatusUnauthorized, "unauthorized", "%s", err.Error())
		return s, b, false
	}
	return 0, nil, true
}

// keyError answers a signing key that cannot be read or is empty: 503 in
// every case, so the HR system retries the event later instead of dropping
// it; the code tells a passing fault ("unavailable") from one an operator
// must fix ("misconfigured", with the cause in the function's log).
func (h *Handler) keyError(ctx context.Context, err error) (int, any, bool) {
	h.Log.ErrorContext(ctx, "cannot read the webhook signing key", "error", err.Error())
	if provision.Transient(err) {
		s, b := fail(http.StatusServiceUnavailable, "unavailable", "the signing key cannot be read right now; retry later")
		return s, b, false
	}
	s, b := fail(http.StatusServiceUnavailable, "misconfigured", "the signing key cannot be read or is empty; retry later (the function's log names the cause)")
	return s, b, false
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}
