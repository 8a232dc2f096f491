// Command reconciler is ramsync's timer-triggered function: the nightly
// full comparison of the HR roster with RAM, applied within the deletion
// brakes. Invoked by hand it also answers an operator's {"approve":
// "<hash>"}, {"explain": "<employee id>"} and {"preflight": true}.
package main

import (
	"context"
	"os"

	"github.com/ramsync/ramsync/pkg/alert"
	"github.com/ramsync/ramsync/pkg/config"
	"github.com/ramsync/ramsync/pkg/fcrun"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/preflight"
	"github.com/ramsync/ramsync/pkg/scim"
	"github.com/ramsync/ramsync/pkg/secrets"
	"github.com/ramsync/ramsync/pkg/wire"
)

func main() {
	cfg, _, err := config.LoadReconciler(os.Getenv)
	wire.ExitIf("reconciler", err)
	// SCIM_CONCURRENCY bounds both the writes and the list pages in flight.
	cl, log := wire.Setup("reconciler", cfg.Common, scim.WithListConcurrency(cfg.Concurrency))
	cl.Engine.DryRun = cfg.DryRun
	cl.Engine.Concurrency = cfg.Concurrency
	loader := &hr.Loader{Format: cfg.RosterFormat, StandardFieldsOnly: cfg.Mapping.StandardFieldsOnly()}
	if cfg.RosterAuthSecretName != "" {
		loader.Credentials = func(ctx context.Context) (secrets.Value, error) {
			return cl.Secret(ctx, cfg.RosterAuthSecretName, secrets.Value{})
		}
	}
	// feishu:// and dingtalk:// pull the vendor's directory; the clients
	// (and their tokens) live as long as the instance.
	rosters, err := newRosters(cl, cfg, loader, log)
	wire.ExitIf("reconciler", err)
	h := &Handler{Engine: cl.Engine, Roster: rosters, RosterURL: cfg.RosterURL, Log: log,
		Checks: func() []preflight.Check { return checks(cl, cfg, rosters) },
		Notify: func(ctx context.Context, runID string, msgs []alert.Message) {
			cl.Notify(ctx, "reconciler", runID, msgs)
		},
	}
	fcrun.Start(func(ctx context.Context, event []byte) (any, error) {
		inv := fcrun.Begin(ctx, cl.Creds)
		return h.Invoke(ctx, inv.RequestID, event)
	})
}
