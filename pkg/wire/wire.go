// Package wire builds ramsync's shared clients from its configuration:
// the Secrets Manager reader, the OAuth token source, the SCIM client, the
// RAM OpenAPI client, the provisioning engine and the alert notifier; and
// the preflight checks the configuration needs. A function builds them
// once per instance, at start-up, so warm invocations share the cached
// token, secrets and connections.
package wire

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/ramsync/ramsync/pkg/alert"
	"github.com/ramsync/ramsync/pkg/auth"
	"github.com/ramsync/ramsync/pkg/config"
	"github.com/ramsync/ramsync/pkg/fcrun"
	"github.com/ramsync/ramsync/pkg/provision"
	"github.com/ramsync/ramsync/pkg/ramcred"
	"github.com/ramsync/ramsync/pkg/scim"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// localAppSecret is the name the local SCIM_CLIENT_SECRET is served under.
const localAppSecret = "local:SCIM_CLIENT_SECRET"

// Secrets reads named secrets. *secrets.Manager and secrets.Static
// implement it.
type Secrets interface {
	Get(ctx context.Context, name string) (secrets.Value, error)
	Refresh(ctx context.Context, name string) (secrets.Value, error)
}

// Clients are the shared clients of one function instance.
type Clients struct {
	Creds   *secrets.CredentialStore
	Secrets Secrets // nil when every secret is local
	Tokens  *auth.Source
	SCIM    *scim.Client
	RAM     *ramcred.Client
	Engine  provision.Engine
	// Alerts posts to ALERT_WEBHOOK_URL's bot (disabled when unset): see
	// Notify.
	Alerts *alert.Notifier

	config  config.Common
	log     *slog.Logger
	watched *watchedTokens
}

// Build builds the clients. It makes no request. Extra SCIM client options
// (the reconciler's list concurrency) go after the defaults.
func Build(c config.Common, log *slog.Logger, scimOpts ...scim.Option) (*Clients, error) {
	cl := &Clients{Creds: secrets.NewCredentialStore(secrets.EnvCredentials(os.Getenv)), config: c, log: log}
	if c.SecretsRegion != "" {
		m, err := secrets.NewManager(secrets.ManagerConfig{
			Region: c.SecretsRegion, Endpoint: c.SecretsEndpoint, Credentials: cl.Creds.Get, Logger: log,
		})
		if err != nil {
			return nil, err
		}
		cl.Secrets = m
	}
	var app auth.Secrets = cl.Secrets
	name := c.SecretName
	if !c.ClientSecret.IsZero() {
		log.Warn(config.ErrLocalSecret.Error(), "variable", "SCIM_CLIENT_SECRET")
		app, name = secrets.Static{localAppSecret: c.ClientSecret}, localAppSecret
	}
	tokens, err := auth.New(auth.Config{ClientID: c.ClientID, TokenURL: c.TokenURL, SecretName: name, Secrets: app, Logger: log})
	if err != nil {
		return nil, err
	}
	cl.Tokens = tokens
	cl.watched = &watchedTokens{Source: tokens}
	// Bursts of a tenth of the rate (at least 2): a webhook's two lookups
	// go out together, and the rate over any second stays SCIM_RPS.
	opts := append([]scim.Option{scim.WithRateLimit(c.RPS, max(2, int(c.RPS/10))), scim.WithLogger(log)}, scimOpts...)
	cl.SCIM, err = scim.New(c.SCIMEndpoint, cl.watched, opts...)
	if err != nil {
		return nil, err
	}
	cl.RAM, err = ramcred.New(ramcred.Config{Endpoint: c.RAMEndpoint, Credentials: cl.Creds.Get, Logger: log})
	if err != nil {
		return nil, err
	}
	cl.Alerts, err = newNotifier(cl, c.Alert, log)
	if err != nil {
		return nil, err
	}
	cl.Engine = provision.Engine{
		Dir: cl.SCIM, Revoker: cl.RAM, Mapping: c.Mapping, Rules: c.Rules, Cleanup: c.OffboardCleanup, Log: log,
	}
	return cl, nil
}

// ExitIf ends a function at start-up when err is set: one line on stderr
// naming the function and the problem (for configuration, the variable),
// exit status 2.
func ExitIf(function string, err error) {
	if err == nil {
		return
	}
	var ce *config.Error
	if errors.As(err, &ce) {
		fmt.Fprintf(os.Stderr, "ramsync %s: bad configuration: %v\n", function, err)
	} else {
		fmt.Fprintf(os.Stderr, "ramsync %s: %v\n", function, err)
	}
	os.Exit(2)
}

// Setup is the start of every function's main, after its configuration is
// loaded: the JSON logger (stdout, with the function's name) and the
// shared clients, built once per instance. It exits like ExitIf on error.
func Setup(function string, c config.Common, scimOpts ...scim.Option) (*Clients, *slog.Logger) {
	log := fcrun.NewLogger(os.Stdout, function, c.LogLevel)
	cl, err := Build(c, log, scimOpts...)
	ExitIf(function, err)
	return cl, log
}

// Secret returns a secret that is either local (value set) or named in
// Secrets Manager.
func (cl *Clients) Secret(ctx context.Context, name string, local secrets.Value) (secrets.Value, error) {
	if !local.IsZero() {
		return local, nil
	}
	if cl.Secrets == nil {
		return secrets.Value{}, errors.New("secrets: SECRETS_REGION is not set, so Secrets Manager cannot be read")
	}
	return cl.Secrets.Get(ctx, name)
}
