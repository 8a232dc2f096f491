package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/ramsync/ramsync/pkg/config"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/wire"
)

// Directory is a vendor's directory as a roster: *feishu.Client and
// *dingtalk.Client implement it. department is the ?department= of the
// roster URL, "" for the whole directory.
type Directory interface {
	Roster(ctx context.Context, department string) (*hr.Roster, error)
}

// Rosters loads ROSTER_URL by its scheme (SPEC §4.4, §4.6, §4.7):
// https:// and file:// through Files (an *hr.Loader), feishu:// through
// the Feishu directory, dingtalk:// through DingTalk's. Each client is
// built once per instance, so its token stays cached across warm
// invocations. A directory pull that fails part-way is an error: the run
// aborts, never planning against a partial roster.
type Rosters struct {
	Files    RosterLoader
	Feishu   Directory // nil without FEISHU_APP_ID
	DingTalk Directory // nil without DINGTALK_APP_KEY
}

// Load reads the roster rawURL names.
func (r *Rosters) Load(ctx context.Context, rawURL string) (*hr.Roster, error) {
	scheme, _, _ := strings.Cut(rawURL, ":")
	var dir Directory
	var variable string
	switch strings.ToLower(scheme) {
	case "feishu":
		dir, variable = r.Feishu, "FEISHU_APP_ID"
	case "dingtalk":
		dir, variable = r.DingTalk, "DINGTALK_APP_KEY"
	default:
		if r.Files == nil {
			return nil, fmt.Errorf("roster: ROSTER_URL %q is neither feishu:// nor dingtalk://, and no other roster is configured", scheme+"://…")
		}
		return r.Files.Load(ctx, rawURL)
	}
	department, err := directoryDepartment(rawURL)
	if err != nil {
		return nil, err
	}
	if dir == nil {
		return nil, fmt.Errorf("roster: ROSTER_URL is a %s:// roster, but %s is not set", strings.ToLower(scheme), variable)
	}
	return dir.Roster(ctx, department)
}

// directoryDepartment reads feishu://[?department=…] and
// dingtalk://[?department=…]: no host, no path, no other parameter.
func directoryDepartment(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", errors.New("roster: ROSTER_URL is not a URL")
	}
	want := strings.ToLower(u.Scheme) + "://[?department=<id>]"
	if u.Host != "" || (u.Path != "" && u.Path != "/") || u.Opaque != "" || u.User != nil || u.Fragment != "" {
		return "", fmt.Errorf("roster: ROSTER_URL must be %s, with nothing between // and ?", want)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", fmt.Errorf("roster: ROSTER_URL's query cannot be read: want %s", want)
	}
	for k, v := range q {
		if k != "department" {
			return "", fmt.Errorf("roster: ROSTER_URL has the parameter %q: want %s", k, want)
		}
		if len(v) != 1 || strings.TrimSpace(v[0]) == "" {
			return "", fmt.Errorf("roster: ROSTER_URL's department must be given once, not empty: want %s", want)
		}
	}
	return strings.TrimSpace(q.Get("department")), nil
}

// newRosters builds the roster dispatch of the configuration: files
// loads https:// and file://, and each configured vendor gets its client
// (no request is made, and no secret read, until the first pull).
func newRosters(cl *wire.Clients, cfg config.Reconciler, files RosterLoader, log *slog.Logger) (*Rosters, error) {
	r := &Rosters{Files: files}
	if f := cfg.Feishu; f.AppID != "" {
		if !f.Secret.IsZero() {
			log.Warn(config.ErrLocalSecret.Error(), "variable", "FEISHU_SECRET")
		}
		c, err := cl.Feishu(f, log)
		if err != nil {
			return nil, err
		}
		r.Feishu = c
	}
	if d := cfg.DingTalk; d.AppKey != "" {
		if !d.Secret.IsZero() {
			log.Warn(config.ErrLocalSecret.Error(), "variable", "DINGTALK_SECRET")
		}
		c, err := cl.DingTalk(d, log)
		if err != nil {
			return nil, err
		}
		r.DingTalk = c
	}
	return r, nil
}
