// Command webhook is ramsync's HTTP-triggered function: it applies signed
// HR webhooks (hires, updates, terminations) to RAM as they happen, and
// the pushes of Feishu/Lark (/feishu) and DingTalk (/dingtalk) apps.
package main

import (
	"context"
	"os"
	"strings"

	"github.com/ramsync/ramsync/pkg/config"
	"github.com/ramsync/ramsync/pkg/fcrun"
	"github.com/ramsync/ramsync/pkg/secrets"
	"github.com/ramsync/ramsync/pkg/wire"
)

func main() {
	cfg, _, err := config.LoadWebhook(os.Getenv)
	wire.ExitIf("webhook", err)
	cl, log := wire.Setup("webhook", cfg.Common)
	if !cfg.SigningKey.IsZero() {
		log.Warn(config.ErrLocalSecret.Error(), "variable", "WEBHOOK_SECRET")
	}
	h := &Handler{
		Engine:    cl.Engine,
		Keys:      signingKeys(cl, cfg),
		Tolerance: cfg.Tolerance,
		Log:       log,
	}
	h.Vendors = vendors(h, cl, cfg)
	startup := cl.DebugPreflight(startupChecks(cl, cfg))
	fcrun.Start(func(ctx context.Context, ev fcrun.HTTPEvent) (fcrun.HTTPResponse, error) {
		inv := fcrun.Begin(ctx, cl.Creds)
		startup(ctx)
		ctx, seen := withSeen(ctx)
		resp := fcrun.ServeHTTP(ctx, h, ev)
		cl.Notify(ctx, "webhook", inv.RequestID, invocationAlerts(seen, ev, resp))
		return resp, nil
	})
}

// vendors are the push routes of the configured vendors: /feishu with
// FEISHU_APP_ID, /dingtalk with DINGTALK_APP_KEY. Their secrets are read
// on first use (then cached for the instance), never at start-up.
func vendors(h *Handler, cl *wire.Clients, cfg config.Webhook) map[string]vendor {
	v := map[string]vendor{}
	if f := cfg.Feishu; f.AppID != "" {
		if !f.Secret.IsZero() {
			h.Log.Warn(config.ErrLocalSecret.Error(), "variable", "FEISHU_SECRET")
		}
		v[RouteFeishu] = newFeishuRoute(h, f.AppID, cl.FeishuSecret(f))
	}
	if d := cfg.DingTalk; d.AppKey != "" {
		if !d.Secret.IsZero() {
			h.Log.Warn(config.ErrLocalSecret.Error(), "variable", "DINGTALK_SECRET")
		}
		client, err := cl.DingTalk(d, h.Log)
		wire.ExitIf("webhook", err)
		v[RouteDingTalk] = newDingTalkRoute(h, d.AppKey, cl.DingTalkSecret(d), client)
	}
	return v
}

// signingKeys reads the HMAC key(s): the secret holds one key, or several
// on separate lines while the HR system moves to a new one.
func signingKeys(cl *wire.Clients, cfg config.Webhook) func(context.Context, bool) ([]secrets.Value, error) {
	return func(ctx context.Context, fresh bool) ([]secrets.Value, error) {
		var v secrets.Value
		var err error
		if fresh && cfg.SigningKey.IsZero() && cl.Secrets != nil {
			v, err = cl.Secrets.Refresh(ctx, cfg.SigningSecretName)
		} else {
			v, err = cl.Secret(ctx, cfg.SigningSecretName, cfg.SigningKey)
		}
		if err != nil {
			return nil, err
		}
		return SplitKeys(v), nil
	}
}

// SplitKeys splits a secret holding one key per line.
func SplitKeys(v secrets.Value) []secrets.Value {
	var keys []secrets.Value
	for _, line := range strings.Split(v.Reveal(), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			keys = append(keys, secrets.NewValue(line))
		}
	}
	return keys
}
