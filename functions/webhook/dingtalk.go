package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/ramsync/ramsync/pkg/dingtalk"
	"github.com/ramsync/ramsync/pkg/hr"
)

// dingtalkRoute is POST /dingtalk: the HTTP pushes of a DingTalk internal
// app's address-book events (SPEC §4.6), opened by dingtalk.Open; hires
// and updates are fetched with the app's client (topapi/v2/user/get).
type dingtalkRoute struct {
	appKey string
	// secret reads {"appSecret", "aesKey", "token"}; fresh bypasses the
	// instance's cache.
	secret    func(ctx context.Context, fresh bool) (dingtalk.Secret, error)
	client    *dingtalk.Client
	tolerance time.Duration
	now       func() time.Time
	log       *slog.Logger
	gate      refreshGate
}

// newDingTalkRoute is the /dingtalk route of app appKey.
func newDingTalkRoute(h *Handler, appKey string, secret func(context.Context, bool) (dingtalk.Secret, error), client *dingtalk.Client) *dingtalkRoute {
	return &dingtalkRoute{appKey: appKey, secret: secret, client: client, tolerance: h.Tolerance, now: h.now, log: h.Log}
}

func (d *dingtalkRoute) open(ctx context.Context, r *http.Request, raw []byte) (vendorPush, *answer) {
	s, err := d.secret(ctx, false)
	if err != nil {
		return vendorPush{}, secretError(ctx, d.log, "DINGTALK_SECRET_NAME", err)
	}
	q := r.URL.Query()
	now := d.now()
	d.gate.read(now)
	p, err := dingtalk.Open(q, raw, s, d.appKey, now, d.tolerance)
	var ae *dingtalk.AuthError
	// A rotated aesKey or token: read the secret past the cache, but only
	// for a signed push whose timestamp is fresh, and at most once a
	// minute.
	if errors.As(err, &ae) && within(q.Get("timestamp"), time.Millisecond, now, d.tolerance) &&
		(q.Get("signature") != "" || q.Get("msg_signature") != "") && d.gate.allow(now) {
		if s2, serr := d.secret(ctx, true); serr == nil {
			if p, err = dingtalk.Open(q, raw, s2, d.appKey, now, d.tolerance); err == nil {
				s = s2
			}
		}
	}
	var fe *dingtalk.FormatError
	switch {
	case err == nil:
	case errors.Is(err, hr.ErrBodyTooLarge):
		return vendorPush{}, failAnswer(http.StatusRequestEntityTooLarge, "payload_too_large", "the body is larger than %d bytes", hr.MaxBodyBytes)
	case errors.As(err, &ae):
		return vendorPush{}, failAnswer(http.StatusUnauthorized, "unauthorized", "%s", err.Error())
	case errors.As(err, &fe):
		return vendorPush{}, failAnswer(http.StatusBadRequest, "bad_request", "%s", err.Error())
	default:
		return vendorPush{}, failAnswer(http.StatusInternalServerError, "internal", "%s", err.Error())
	}
	success := func(ctx context.Context, _ []result) answer {
		// Every answer DingTalk should accept is "success", encrypted
		// and signed for the app key; the results are in the log.
		body, err := dingtalk.Reply(s, d.appKey, d.now())
		if err != nil {
			d.log.ErrorContext(ctx, "cannot seal the DingTalk reply", "error", err.Error())
			return *failAnswer(http.StatusInternalServerError, "internal", "the reply cannot be sealed: check the aesKey of DINGTALK_SECRET_NAME")
		}
		return answer{http.StatusOK, json.RawMessage(body)}
	}
	if p.CheckURL {
		a := success(ctx, nil)
		return vendorPush{}, &a
	}
	events, err := d.client.Events(ctx, p)
	var refused []result
	var ee *dingtalk.EventsError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		// Users DingTalk no longer knows (or the app cannot see): each a
		// permanent refusal, the other events still apply.
		for _, f := range ee.Failed {
			refused = append(refused, refusal(p.EventID, f.UserID, fmt.Sprintf(
				"DingTalk user %q cannot be fetched for %s (gone, or outside the app's address-book scope): %v", f.UserID, f.Type, f.Err)))
		}
	case dingtalk.IsTransient(err):
		d.log.WarnContext(ctx, "fetching DingTalk users failed; the push will be retried", "eventType", p.Type, "error", err.Error())
		return vendorPush{}, failAnswer(http.StatusServiceUnavailable, "unavailable", "DingTalk's user API cannot be read right now (DingTalk retries the push): %v", err)
	default:
		return vendorPush{}, failAnswer(http.StatusInternalServerError, "internal", "%v", err)
	}
	for i := range events {
		if events[i].ID == "" && p.EventID != "" {
			events[i].ID = p.EventID
		}
	}
	return vendorPush{kind: p.Type, events: events, refused: refused, success: success}, nil
}
