// Command offboarding is ramsync's event-triggered function: when HR says
// an employee left (an EventBridge event, an MNS message, or a direct
// invocation), it revokes the RAM user's credentials and deletes it.
package main

import (
	"context"
	"os"

	"github.com/ramsync/ramsync/pkg/config"
	"github.com/ramsync/ramsync/pkg/fcrun"
	"github.com/ramsync/ramsync/pkg/wire"
)

func main() {
	cfg, _, err := config.LoadOffboarding(os.Getenv)
	wire.ExitIf("offboarding", err)
	cl, log := wire.Setup("offboarding", cfg.Common)
	cl.Engine.DryRun = cfg.DryRun
	h := &Handler{Engine: cl.Engine, Sources: cfg.EventSources, Log: log}
	startup := cl.DebugPreflight(cl.PreflightChecks("offboarding"))
	fcrun.Start(func(ctx context.Context, payload []byte) (any, error) {
		inv := fcrun.Begin(ctx, cl.Creds)
		startup(ctx)
		res, err := h.Handle(ctx, payload)
		cl.Notify(ctx, "offboarding", inv.RequestID, resultAlerts(res, err))
		return res, err
	})
}
