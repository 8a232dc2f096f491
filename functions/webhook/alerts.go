package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sync"

	"github.com/ramsync/ramsync/pkg/alert"
	"github.com/ramsync/ramsync/pkg/config"
	"github.com/ramsync/ramsync/pkg/fcrun"
	"github.com/ramsync/ramsync/pkg/preflight"
	"github.com/ramsync/ramsync/pkg/provision"
	"github.com/ramsync/ramsync/pkg/wire"
)

// The alerts of one webhook invocation (SPEC §4.8): a leaver blocked, an
// event failed after retries (503 unavailable, 500 internal), and the
// signing key unreadable (503 misconfigured). Every route applies its
// events through Handler.apply, which hands them to observe; main posts
// the alerts once the answer is made.

// failedCodes are the error codes of events that failed after retries, or
// could not be applied at all for a reason an operator must see.
var failedCodes = map[string]bool{"unavailable": true, "misconfigured": true, "internal": true}

// seen collects the results of one invocation.
type seen struct {
	mu      sync.Mutex
	results []result
}

type seenKey struct{}

// withSeen returns ctx carrying a collector for the invocation's results.
func withSeen(ctx context.Context) (context.Context, *seen) {
	s := &seen{}
	return context.WithValue(ctx, seenKey{}, s), s
}

// observe records results for the invocation's alerts, when ctx carries a
// collector (the function's invocations do; tests of the handler need not).
func (h *Handler) observe(ctx context.Context, results []result) {
	if s, ok := ctx.Value(seenKey{}).(*seen); ok {
		s.mu.Lock()
		s.results = append(s.results, results...)
		s.mu.Unlock()
	}
}

// invocationAlerts are the alerts an invocation calls for: from the
// results seen (blocked, failed), and from an error answer made before any
// event was applied (the signing key unreadable). request is read only for
// the employee ids such an answer does not name.
func invocationAlerts(s *seen, request fcrun.HTTPEvent, resp fcrun.HTTPResponse) []alert.Message {
	var blocked, failed []string
	why := ""
	s.mu.Lock()
	for _, r := range s.results {
		name := r.UserName
		if name == "" {
			name = r.ExternalID
		}
		switch {
		case r.Error == nil && r.Action == provision.Blocked:
			blocked = append(blocked, name)
		case r.Error != nil && failedCodes[r.Error.Code]:
			failed = append(failed, name)
			why = r.Error.Code
		}
	}
	applied := len(s.results) > 0
	s.mu.Unlock()
	if e := answerError(resp); !applied && e != nil && failedCodes[e.Code] {
		why = e.Code
		if failed = requestIDs(request); len(failed) == 0 {
			failed = []string{"(an event)"}
		}
	}
	var msgs []alert.Message
	if len(blocked) > 0 {
		msgs = append(msgs, alert.BlockedMessage(blocked))
	}
	if len(failed) > 0 {
		m := alert.FailedMessage("A webhook event", failed)
		switch why {
		case "misconfigured":
			m.Summary = "Webhook events could not be checked: the signing key (WEBHOOK_SECRET_NAME) cannot be read or is empty. The HR system was answered 503 and will retry."
			m.Next = "run preflight (s reconciler invoke -e '{\"preflight\":true}') or read the webhook's log, which names the secret; fix it, and the HR system's retries apply the events."
		case "unavailable":
			m.Summary = "Webhook events failed after retries: RAM's SCIM service or OpenAPI was unavailable. The HR system was answered 503 and will retry; the nightly run repairs what it does not."
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// answerError is the error of an error answer, or nil.
func answerError(resp fcrun.HTTPResponse) *apiError {
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			return nil
		}
		body = b
	}
	var a struct {
		Error *apiError `json:"error"`
	}
	if json.Unmarshal(body, &a) != nil {
		return nil
	}
	return a.Error
}

// requestIDs are the employee ids in a native webhook body, best effort.
func requestIDs(ev fcrun.HTTPEvent) []string {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return nil
		}
		body = b
	}
	type one struct {
		Employee struct {
			ID any `json:"id"`
		} `json:"employee"`
	}
	var d struct {
		one
		Events []one `json:"events"`
	}
	if json.Unmarshal(body, &d) != nil {
		return nil
	}
	var ids []string
	for _, e := range append([]one{d.one}, d.Events...) {
		switch v := e.Employee.ID.(type) {
		case string:
			if v != "" {
				ids = append(ids, v)
			}
		case float64:
			b, _ := json.Marshal(v)
			ids = append(ids, string(b))
		}
	}
	return ids
}

// startupChecks are the webhook's preflight checks, run at start-up with
// LOG_LEVEL=debug only (wire.Clients.DebugPreflight): the signing key's
// secret, the HR vendors' tokens (/feishu, /dingtalk) and the shared ones.
func startupChecks(cl *wire.Clients, cfg config.Webhook) []preflight.Check {
	var extra []preflight.Check
	if cfg.SigningKey.IsZero() && cfg.SigningSecretName != "" {
		extra = append(extra, cl.SecretCheck("WEBHOOK_SECRET_NAME", cfg.SigningSecretName))
	}
	extra = append(extra, cl.VendorTokenChecks(cfg.Feishu, cfg.DingTalk)...)
	return cl.PreflightChecks("webhook", extra...)
}
