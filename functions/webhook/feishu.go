package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/ramsync/ramsync/pkg/feishu"
	"github.com/ramsync/ramsync/pkg/hr"
)

// feishuRoute is POST /feishu: the pushes of a Feishu/Lark self-built
// app's event subscription (SPEC §4.6), opened by feishu.Open.
type feishuRoute struct {
	appID string
	// secret reads {"appSecret", "encryptKey", "verificationToken"};
	// fresh bypasses the instance's cache.
	secret    func(ctx context.Context, fresh bool) (feishu.Secret, error)
	tolerance time.Duration
	now       func() time.Time
	log       *slog.Logger
	gate      refreshGate
}

// newFeishuRoute is the /feishu route of app appID.
func newFeishuRoute(h *Handler, appID string, secret func(context.Context, bool) (feishu.Secret, error)) *feishuRoute {
	return &feishuRoute{appID: appID, secret: secret, tolerance: h.Tolerance, now: h.now, log: h.Log}
}

// feishuUserIDField is the field a Feishu user event names when its
// user_id is missing or unusable.
const feishuUserIDField = "event.object.user_id"

func (f *feishuRoute) open(ctx context.Context, r *http.Request, raw []byte) (vendorPush, *answer) {
	s, err := f.secret(ctx, false)
	if err != nil {
		return vendorPush{}, secretError(ctx, f.log, "FEISHU_SECRET_NAME", err)
	}
	now := f.now()
	f.gate.read(now)
	p, err := feishu.Open(r.Header, raw, s, f.appID, now, f.tolerance)
	var ae *feishu.AuthError
	// A rotated Encrypt Key or Verification Token: read the secret past
	// the cache, but only for a signed push whose timestamp is fresh, and
	// at most once a minute.
	if errors.As(err, &ae) && within(r.Header.Get(feishu.HeaderTimestamp), time.Second, now, f.tolerance) &&
		r.Header.Get(feishu.HeaderSignature) != "" && f.gate.allow(now) {
		if s2, serr := f.secret(ctx, true); serr == nil {
			p, err = feishu.Open(r.Header, raw, s2, f.appID, now, f.tolerance)
		}
	}
	var fe *feishu.FormatError
	switch {
	case err == nil:
	case errors.Is(err, hr.ErrBodyTooLarge):
		return vendorPush{}, failAnswer(http.StatusRequestEntityTooLarge, "payload_too_large", "the body is larger than %d bytes", hr.MaxBodyBytes)
	case errors.As(err, &ae):
		return vendorPush{}, failAnswer(http.StatusUnauthorized, "unauthorized", "%s", err.Error())
	case errors.As(err, &fe) && fe.Field == feishuUserIDField:
		// Authenticated, but without a usable employee id (the app may
		// lack contact:user.employee_id:readonly): a permanent refusal,
		// answered 200 so that Feishu does not retry it (SPEC §4.6,
		// "Leavers need their id only").
		return vendorPush{kind: "feishu user event", refused: []result{refusal(fe.EventID, "", err.Error())}, success: feishuSuccess}, nil
	case errors.As(err, &fe):
		return vendorPush{}, failAnswer(http.StatusBadRequest, "bad_request", "%s", err.Error())
	default:
		return vendorPush{}, failAnswer(http.StatusInternalServerError, "internal", "%s", err.Error())
	}
	if p.Challenge != "" {
		// The URL check: the challenge echoed in plain JSON.
		return vendorPush{}, &answer{http.StatusOK, map[string]string{"challenge": p.Challenge}}
	}
	return vendorPush{kind: p.EventType, events: p.Events, success: feishuSuccess}, nil
}

// feishuSuccess is Feishu's success: 200 with the plain JSON results.
func feishuSuccess(_ context.Context, results []result) answer {
	return answer{http.StatusOK, map[string][]result{"results": results}}
}
