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
	"sync"
	"time"

	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/provision"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// Handler is the webhook as an http.Handler (SPEC §4.2): it checks the
// method, the size and the signature over the raw body, decodes one event
// or a batch, and applies each event through the provisioning engine. Its
// answers are the SPEC's table; nothing is written for a rejected request.
type Handler struct {
	Engine provision.Engine
	// Keys returns the HMAC signing keys (one, or two during a rotation).
	// fresh asks to bypass any cache.
	Keys      func(ctx context.Context, fresh bool) ([]secrets.Value, error)
	Tolerance time.Duration
	Log       *slog.Logger
	Now       func() time.Time

	mu          sync.Mutex
	lastRefresh time.Time
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
			EventID    string    `json:"eventId,omitempty"`
			ExternalID string    `json:"externalId,omitempty"`
			Status     int       `json:"status"`
			Error      *apiError `json:"error"`
		}{r.EventID, r.ExternalID, r.Status, r.Error})
	}
	return json.Marshal(plain(r))
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	start := time.Now()
	status, body := h.serve(ctx, w, r)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
	attrs := []any{"status", status, "durationMs", time.Since(start).Milliseconds()}
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

// verify checks the signature against the current keys, and once a minute
// at most against freshly read ones (a key rotated in Secrets Manager).
func (h *Handler) verify(ctx context.Context, r *http.Request, raw []byte) (int, any, bool) {
	header := strings.Join(r.Header.Values(hr.SignatureHeader), ",")
	keys, err := h.Keys(ctx, false)
	if err != nil {
		return h.keyError(ctx, err)
	}
	err = hr.VerifySignature(header, raw, keys, h.now(), h.Tolerance)
	if errors.Is(err, hr.ErrSignatureMismatch) && h.mayRefresh() {
		if keys, kerr := h.Keys(ctx, true); kerr == nil {
			err = hr.VerifySignature(header, raw, keys, h.now(), h.Tolerance)
		}
	}
	if err != nil {
		s, b := fail(http.StatusUnauthorized, "unauthorized", "%s", err.Error())
		return s, b, false
	}
	return 0, nil, true
}

func (h *Handler) keyError(ctx context.Context, err error) (int, any, bool) {
	h.Log.ErrorContext(ctx, "cannot read the webhook signing key", "error", err.Error())
	if provision.Transient(err) {
		s, b := fail(http.StatusServiceUnavailable, "unavailable", "the signing key cannot be read right now; retry later")
		return s, b, false
	}
	s, b := fail(http.StatusInternalServerError, "misconfigured", "the signing key cannot be read; see the function's log")
	return s, b, false
}

func (h *Handler) mayRefresh() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if now := h.now(); now.Sub(h.lastRefresh) > time.Minute {
		h.lastRefresh = now
		return true
	}
	return false
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}
