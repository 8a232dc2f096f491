package main

import (
	"encoding/base64"
	"encoding/json"

	"github.com/ramsync/ramsync/pkg/alert"
	"github.com/ramsync/ramsync/pkg/config"
	"github.com/ramsync/ramsync/pkg/fcrun"
	"github.com/ramsync/ramsync/pkg/preflight"
	"github.com/ramsync/ramsync/pkg/provision"
	"github.com/ramsync/ramsync/pkg/wire"
)

// The alerts of one webhook invocation (SPEC §4.8) are read from its
// answer, so the handler itself knows nothing of them: a leaver blocked,
// an event failed after retries (503 unavailable or misconfigured, 500).

// failedCodes are the error codes of events that failed after retries, or
// could not be applied at all for a reason an operator must see.
var failedCodes = map[string]bool{"unavailable": true, "misconfigured": true, "internal": true}

// answerAlerts are the alerts an answer calls for; request is the
// trigger's event, read only for the employee ids of a single event that
// failed (its error answer names none).
func answerAlerts(request fcrun.HTTPEvent, resp fcrun.HTTPResponse) []alert.Message {
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			return nil
		}
		body = b
	}
	var a struct {
		Results []struct {
			provision.Result
			Error *apiError `json:"error"`
		} `json:"results"`
		Error *apiError `json:"error"`
	}
	if json.Unmarshal(body, &a) != nil {
		return nil
	}
	var blocked, failed []string
	var why string
	for _, r := range a.Results {
		name := r.UserName
		if name == "" {
			name = r.ExternalID
		}
		switch {
		case r.Action == provision.Blocked:
			blocked = append(blocked, name)
		case r.Error != nil && failedCodes[r.Error.Code]:
			failed = append(failed, name)
			why = r.Error.Code
		}
	}
	if a.Error != nil && failedCodes[a.Error.Code] {
		failed = append(failed, requestIDs(request)...)
		why = a.Error.Code
		if len(failed) == 0 {
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

// requestIDs are the employee ids in a webhook body, best effort.
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
	extra = append(extra, wire.VendorTokenChecks(cl, cfg.Feishu, cfg.DingTalk)...)
	return cl.PreflightChecks("webhook", extra...)
}
