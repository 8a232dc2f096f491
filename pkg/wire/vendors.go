package wire

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/ramsync/ramsync/pkg/config"
	"github.com/ramsync/ramsync/pkg/dingtalk"
	"github.com/ramsync/ramsync/pkg/feishu"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// vendorHTTPTimeout bounds one request to a vendor's open platform.
const vendorHTTPTimeout = 10 * time.Second

// VendorSecret reads a vendor app's secret (FEISHU_SECRET_NAME,
// DINGTALK_SECRET_NAME) on first use, through the instance's Secrets
// Manager cache; local is the *_SECRET value of a local run, which wins.
// With fresh set it reads past the cache (a rotated secret), except for a
// local value.
func (cl *Clients) VendorSecret(name string, local secrets.Value) func(ctx context.Context, fresh bool) (secrets.Value, error) {
	return func(ctx context.Context, fresh bool) (secrets.Value, error) {
		if fresh && local.IsZero() && cl.Secrets != nil {
			return cl.Secrets.Refresh(ctx, name)
		}
		return cl.Secret(ctx, name, local)
	}
}

// FeishuSecret returns the Feishu app's secrets, parsed, read as
// VendorSecret reads them.
func (cl *Clients) FeishuSecret(c config.Feishu) func(ctx context.Context, fresh bool) (feishu.Secret, error) {
	read := cl.VendorSecret(c.SecretName, c.Secret)
	return func(ctx context.Context, fresh bool) (feishu.Secret, error) {
		v, err := read(ctx, fresh)
		if err != nil {
			return feishu.Secret{}, err
		}
		return feishu.ParseSecret(v)
	}
}

// DingTalkSecret returns the DingTalk app's secrets, parsed, read as
// VendorSecret reads them.
func (cl *Clients) DingTalkSecret(c config.DingTalk) func(ctx context.Context, fresh bool) (dingtalk.Secret, error) {
	read := cl.VendorSecret(c.SecretName, c.Secret)
	return func(ctx context.Context, fresh bool) (dingtalk.Secret, error) {
		v, err := read(ctx, fresh)
		if err != nil {
			return dingtalk.Secret{}, err
		}
		return dingtalk.ParseSecret(v)
	}
}

// Feishu builds the Feishu directory client of FEISHU_APP_ID. It makes
// no request: the secret is read, and the tenant token fetched, on first
// use, then cached for the instance's warm invocations. log gets its
// retries and rate-limit waits.
func (cl *Clients) Feishu(c config.Feishu, log *slog.Logger) (*feishu.Client, error) {
	sec := cl.FeishuSecret(c)
	return feishu.NewClient(feishu.Config{
		AppID:         c.AppID,
		Endpoint:      c.Endpoint,
		Secret:        func(ctx context.Context) (feishu.Secret, error) { return sec(ctx, false) },
		RefreshSecret: func(ctx context.Context) (feishu.Secret, error) { return sec(ctx, true) },
		HTTPClient:    &http.Client{Timeout: vendorHTTPTimeout},
		Logger:        log,
	})
}

// DingTalk builds the DingTalk client of DINGTALK_APP_KEY. It makes no
// request: the secret is read, and the access token fetched, on first
// use, then cached for the instance's warm invocations.
func (cl *Clients) DingTalk(c config.DingTalk, log *slog.Logger) (*dingtalk.Client, error) {
	sec := cl.DingTalkSecret(c)
	return dingtalk.NewClient(dingtalk.Config{
		AppKey:     c.AppKey,
		Endpoint:   c.Endpoint,
		Secret:     func(ctx context.Context) (dingtalk.Secret, error) { return sec(ctx, false) },
		HTTPClient: &http.Client{Timeout: vendorHTTPTimeout},
		Logger:     log,
	})
}
