package main

import (
	"context"

	"github.com/ramsync/ramsync/pkg/config"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/preflight"
	"github.com/ramsync/ramsync/pkg/wire"
)

// checks are the reconciler's preflight checks (SPEC §4.4): the shared
// ones (wire.Clients.PreflightChecks), with the roster's credentials, the
// HR vendors' tokens (their app secrets read and parsed first) and the
// roster itself, loaded
// as a run loads it: a feishu:// or dingtalk:// roster obtains the
// vendor's token and pulls the directory.
func checks(cl *wire.Clients, cfg config.Reconciler, rosters RosterLoader) []preflight.Check {
	var extra []preflight.Check
	if cfg.RosterAuthSecretName != "" {
		extra = append(extra, cl.SecretCheck("ROSTER_AUTH_SECRET_NAME", cfg.RosterAuthSecretName))
	}
	extra = append(extra, cl.VendorTokenChecks(cfg.Feishu, cfg.DingTalk)...)
	extra = append(extra, preflight.Roster(func(ctx context.Context) (*hr.Roster, error) {
		return rosters.Load(ctx, cfg.RosterURL)
	}))
	return cl.PreflightChecks("reconciler", extra...)
}
