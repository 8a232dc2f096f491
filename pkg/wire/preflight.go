package wire

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ramsync/ramsync/pkg/config"
	"github.com/ramsync/ramsync/pkg/preflight"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// SecretCheck is the preflight check of the secret called name, which
// variable names (e.g. ROSTER_AUTH_SECRET_NAME), read past the cache.
func (cl *Clients) SecretCheck(variable, name string) preflight.Check {
	return preflight.Secret(variable, name, func(ctx context.Context, name string) (secrets.Value, error) {
		if cl.Secrets == nil {
			return cl.Secret(ctx, name, secrets.Value{}) // says SECRETS_REGION is not set
		}
		return cl.Secrets.Refresh(ctx, name)
	})
}

// PreflightChecks are the checks of function's configuration (SPEC §4.4):
// the app secret and the alert bot's signing secret, then extra (the
// function's own secrets, its roster), then the token, one SCIM page, each
// RAM OpenAPI read action the rules use, and the alert bot.
func (cl *Clients) PreflightChecks(function string, extra ...preflight.Check) []preflight.Check {
	c := cl.config
	var checks []preflight.Check
	if c.ClientSecret.IsZero() {
		checks = append(checks, cl.SecretCheck("SCIM_SECRET_NAME", c.SecretName))
	}
	if c.Alert.SecretName != "" {
		checks = append(checks, cl.SecretCheck("ALERT_SECRET_NAME", c.Alert.SecretName))
	}
	checks = append(checks, extra...)
	checks = append(checks, preflight.Token(cl.watched), preflight.SCIMPage(cl.SCIM))
	actions := append([]string{}, preflight.BlockerReads...)
	if c.Rules.Grace > 0 {
		actions = append(actions, preflight.SuspendReads...)
		if function == "reconciler" {
			actions = append(actions, preflight.ReconcilerReads...)
		}
	}
	checks = append(checks, preflight.RAMActions(preflight.RAMConfig{
		Endpoint: c.RAMEndpoint, Credentials: cl.Creds.Get, Policy: "scripts/deploy/" + function + "-policy.json",
	}, actions)...)
	return append(checks, preflight.AlertBot(cl.Alerts))
}

// DebugPreflight returns the webhook's and offboarding's start-up
// checks as a function to call at the start of every invocation, after
// fcrun.Begin (the role's credentials come with the invocation): the first
// call runs checks and logs each line at debug level, the others return at
// once. At any level but debug it does nothing (secrets are read on first
// use, SPEC §4.1), and a failing check never fails the invocation. The
// checks run before the invocation's own work, not beside it: the
// Secrets Manager SDK client is not safe for concurrent calls.
func (cl *Clients) DebugPreflight(checks []preflight.Check) func(ctx context.Context) {
	var once sync.Once
	return func(ctx context.Context) {
		once.Do(func() {
			if cl.log == nil || !cl.log.Enabled(ctx, slog.LevelDebug) {
				return
			}
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			rep := preflight.Run(ctx, checks)
			for _, r := range rep.Checks {
				cl.log.DebugContext(ctx, "preflight", "check", r.Check, "ok", r.OK, "line", r.Line())
			}
			cl.log.DebugContext(ctx, "preflight finished", "ok", rep.OK, "failed", len(rep.Failed()))
		})
	}
}

// VendorTokenChecks are the preflight checks of the configured HR vendor
// apps (FEISHU_APP_ID, DINGTALK_APP_KEY): each app's secret read past the
// cache and parsed, then one token request with it.
func (cl *Clients) VendorTokenChecks(f config.Feishu, d config.DingTalk) []preflight.Check {
	var out []preflight.Check
	if f.AppID != "" {
		read := cl.FeishuSecret(f)
		out = append(out, preflight.FeishuToken(nil, f.Endpoint, f.AppID, func(ctx context.Context) (secrets.Value, error) {
			s, err := read(ctx, true)
			return s.AppSecret, err
		}))
	}
	if d.AppKey != "" {
		read := cl.DingTalkSecret(d)
		out = append(out, preflight.DingTalkToken(nil, d.Endpoint, d.AppKey, func(ctx context.Context) (secrets.Value, error) {
			s, err := read(ctx, true)
			return s.AppSecret, err
		}))
	}
	return out
}
