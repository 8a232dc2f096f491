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
// HR vendors' app secrets (read and parsed) and the roster itself, loaded
// as a run loads it: a feishu:// or dingtalk:// roster obtains the
// vendor's token and pulls the directory.
func checks(cl *wire.Clients, cfg config.Reconciler, rosters RosterLoader) []preflight.Check {
	var extra []preflight.Check
	if cfg.RosterAuthSecretName != "" {
		extra = append(extra, cl.SecretCheck("ROSTER_AUTH_SECRET_NAME", cfg.RosterAuthSecretName))
	}
	if f := cfg.Feishu; f.AppID != "" {
		read := cl.FeishuSecret(f)
		extra = append(extra, preflight.New("Feishu app secret "+vendorSecretName(f.SecretName, "FEISHU_SECRET"),
			"put {\"appSecret\", \"encryptKey\", \"verificationToken\"} of app "+f.AppID+" in the secret FEISHU_SECRET_NAME names; the function's role needs kms:GetSecretValue on it",
			func(ctx context.Context) (string, error) {
				if _, err := read(ctx, true); err != nil {
					return "", err
				}
				return "readable and well-formed", nil
			}))
	}
	if d := cfg.DingTalk; d.AppKey != "" {
		read := cl.DingTalkSecret(d)
		extra = append(extra, preflight.New("DingTalk app secret "+vendorSecretName(d.SecretName, "DINGTALK_SECRET"),
			"put {\"appSecret\", \"aesKey\", \"token\"} of app "+d.AppKey+" in the secret DINGTALK_SECRET_NAME names; the function's role needs kms:GetSecretValue on it",
			func(ctx context.Context) (string, error) {
				if _, err := read(ctx, true); err != nil {
					return "", err
				}
				return "readable and well-formed", nil
			}))
	}
	extra = append(extra, preflight.Roster(func(ctx context.Context) (*hr.Roster, error) {
		return rosters.Load(ctx, cfg.RosterURL)
	}))
	return cl.PreflightChecks("reconciler", extra...)
}

// vendorSecretName names where a vendor secret comes from in a check's
// name: the Secrets Manager name, or the local variable.
func vendorSecretName(name, localVar string) string {
	if name == "" {
		return "(" + localVar + ", local)"
	}
	return name + " (" + localVar + "_NAME)"
}
