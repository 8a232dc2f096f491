package wire

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ramsync/ramsync/pkg/alert"
	"github.com/ramsync/ramsync/pkg/auth"
	"github.com/ramsync/ramsync/pkg/config"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// newNotifier builds the alert notifier (SPEC §4.8). The bot's signing
// secret is read at each send, through the same Secrets Manager reader.
func newNotifier(cl *Clients, a config.Alert, log *slog.Logger) (*alert.Notifier, error) {
	cfg := alert.Config{URL: a.URL, Format: a.Format, Logger: log}
	if a.SecretName != "" {
		name := a.SecretName
		cfg.Secret = func(ctx context.Context) (secrets.Value, error) { return cl.Secret(ctx, name, secrets.Value{}) }
	}
	return alert.New(cfg)
}

// watchedTokens is the token source SCIM uses, noting when the token
// endpoint refused the app secret (invalid_client, after the secret was
// read again): an alert of its own (SPEC §4.8).
type watchedTokens struct {
	*auth.Source
	refused atomic.Bool
}

func (w *watchedTokens) Token(ctx context.Context) (string, error) {
	tok, err := w.Source.Token(ctx)
	var e *auth.Error
	if errors.As(err, &e) && e.Code == "invalid_client" {
		w.refused.Store(true)
	}
	return tok, err
}

// TokenRefused reports whether the token endpoint refused the app secret
// since the last call, and forgets it.
func (cl *Clients) TokenRefused() bool {
	return cl.watched != nil && cl.watched.refused.Swap(false)
}

// Notify posts the alerts of one run or invocation: msgs (each stamped
// with function and runID) and, if the token endpoint refused the app
// secret meanwhile, that too. At most one message per kind is posted; a
// bot that fails is logged, never returned (SPEC §4.8).
func (cl *Clients) Notify(ctx context.Context, function, runID string, msgs []alert.Message) {
	if cl.TokenRefused() {
		msgs = append(msgs, alert.TokenRefusedMessage(cl.config.ClientID))
	}
	if len(msgs) == 0 || !cl.Alerts.Enabled() {
		return
	}
	for i := range msgs {
		msgs[i].Function, msgs[i].RunID = function, runID
	}
	// The alerts get their own time (30 s at most): a run that used up
	// its deadline still reports why.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	cl.Alerts.SendAll(ctx, msgs)
}
