// Command offboarding is ramsync's event-triggered function: when HR says
// an employee left (an EventBridge event, an MNS message, or a direct
// invocation), it revokes the RAM user's credentials and deletes it.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/ramsync/ramsync/pkg/config"
	"github.com/ramsync/ramsync/pkg/fcrun"
	"github.com/ramsync/ramsync/pkg/wire"
)

func main() {
	cfg, _, err := config.LoadOffboarding(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ramsync offboarding: bad configuration: %v\n", err)
		os.Exit(2)
	}
	log := fcrun.NewLogger(os.Stdout, "offboarding", cfg.LogLevel)
	cl, err := wire.Build(cfg.Common, log)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ramsync offboarding: %v\n", err)
		os.Exit(2)
	}
	cl.Engine.DryRun = cfg.DryRun
	h := &Handler{Engine: cl.Engine, Log: log}
	fcrun.Start(func(ctx context.Context, payload []byte) (any, error) {
		fcrun.Begin(ctx, cl.Creds)
		return h.Handle(ctx, payload)
	})
}
