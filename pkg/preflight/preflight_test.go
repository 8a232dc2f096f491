package preflight_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/alert"
	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/preflight"
	"github.com/ramsync/ramsync/pkg/secrets"
)

func TestRunLines(t *testing.T) {
	boom := errors.New("boom\n  second line")
	tests := []struct {
		name  string
		check preflight.Check
		want  string
		ok    bool
	}{
		{"ok with detail", preflight.New("thing", "fix it", func(context.Context) (string, error) { return "3 found", nil }), "ok: thing: 3 found", true},
		{"ok bare", preflight.New("thing", "fix it", func(context.Context) (string, error) { return "", nil }), "ok: thing", true},
		{"failed", preflight.New("thing", "fix it", func(context.Context) (string, error) { return "", boom }), "FAILED: thing: boom second line; fix: fix it", false},
		{"panics", preflight.New("thing", "", func(context.Context) (string, error) { panic("oops") }), "FAILED: thing: the check panicked: oops; fix: report this as a bug", false},
		{"deadline", preflight.New("slow", "wait", func(ctx context.Context) (string, error) {
			_, ok := ctx.Deadline()
			return fmt.Sprint(ok), nil
		}), "ok: slow: true", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := preflight.Run(context.Background(), []preflight.Check{tt.check})
			if rep.OK != tt.ok || len(rep.Lines) != 1 || rep.Lines[0] != tt.want {
				t.Errorf("ok %v lines %q, want %v %q", rep.OK, rep.Lines, tt.ok, tt.want)
			}
			if f := rep.Failed(); (len(f) == 1) == tt.ok {
				t.Errorf("Failed() = %q", f)
			}
		})
	}
}

func TestRunGoesOnPastAFailure(t *testing.T) {
	var ran []string
	mk := func(name string, err error) preflight.Check {
		return preflight.New(name, "", func(context.Context) (string, error) { ran = append(ran, name); return "", err })
	}
	rep := preflight.Run(context.Background(), []preflight.Check{mk("a", errors.New("x")), mk("b", nil), mk("c", errors.New("y"))})
	if strings.Join(ran, ",") != "a,b,c" || rep.OK || len(rep.Failed()) != 2 {
		t.Errorf("ran %v, ok %v, failed %q", ran, rep.OK, rep.Failed())
	}
}

func TestSecret(t *testing.T) {
	store := secrets.Static{"ramsync/present": secrets.NewValue("s3cret-value"), "ramsync/empty": secrets.Value{}}
	get := func(ctx context.Context, name string) (secrets.Value, error) { return store.Get(ctx, name) }
	tests := []struct{ name, want string }{
		{"ramsync/present", "ok: secret ramsync/present (ROSTER_AUTH_SECRET_NAME): readable"},
		{"ramsync/empty", `FAILED: secret ramsync/empty (ROSTER_AUTH_SECRET_NAME)`},
		{"ramsync/absent", `FAILED: secret ramsync/absent (ROSTER_AUTH_SECRET_NAME)`},
	}
	for _, tt := range tests {
		rep := preflight.Run(context.Background(), []preflight.Check{preflight.Secret("ROSTER_AUTH_SECRET_NAME", tt.name, get)})
		line := rep.Lines[0]
		if !strings.HasPrefix(line, tt.want) || strings.Contains(line, "s3cret-value") {
			t.Errorf("%s: %q, want prefix %q", tt.name, line, tt.want)
		}
		if !rep.OK && !strings.Contains(line, `create the secret "`+tt.name+`"`) {
			t.Errorf("%s: the fix does not name the secret: %q", tt.name, line)
		}
	}
}

type tokens struct {
	tok string
	err error
}

func (t tokens) Token(context.Context) (string, error) { return t.tok, t.err }

func TestTokenAndRosterAndAlertBot(t *testing.T) {
	bots := cloudtest.NewBots(cloudtest.BotsOptions{})
	defer bots.Close()
	up, err := alert.New(alert.Config{URL: bots.SlackURL(), HTTPClient: bots.Client()})
	if err != nil {
		t.Fatal(err)
	}
	down, err := alert.New(alert.Config{URL: "http://127.0.0.1:1/services/x"})
	if err != nil {
		t.Fatal(err)
	}
	asOf := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	roster := &hr.Roster{Format: "json", AsOf: asOf, AsOfSource: hr.AsOfField, Employees: []hr.Employee{{ID: "E1"}, {ID: "E2"}},
		Problems: []hr.RecordError{{Record: 3}}}
	tests := []struct {
		check preflight.Check
		want  string
	}{
		{preflight.Token(tokens{tok: "eyJ"}), "ok: OAuth token (SCIM_CLIENT_ID, OAUTH_TOKEN_URL): obtained"},
		{preflight.Token(tokens{err: errors.New("auth: 401 invalid_client")}), "FAILED: OAuth token (SCIM_CLIENT_ID, OAUTH_TOKEN_URL): auth: 401 invalid_client; fix: check SCIM_CLIENT_ID"},
		{preflight.Roster(func(context.Context) (*hr.Roster, error) { return roster, nil }),
			"ok: roster (ROSTER_URL): 3 records (2 usable, 1 unreadable), format json, as of 2026-11-30T00:00:00Z (asOf field)"},
		{preflight.Roster(func(context.Context) (*hr.Roster, error) { return &hr.Roster{}, nil }), "FAILED: roster (ROSTER_URL): the roster has no employees"},
		{preflight.Roster(func(context.Context) (*hr.Roster, error) { return nil, errors.New("roster: 404") }), "FAILED: roster (ROSTER_URL): roster: 404; fix: check ROSTER_URL"},
		{preflight.AlertBot(up), "ok: alert bot (ALERT_WEBHOOK_URL): slack bot at " + strings.TrimPrefix(bots.URL, "http://") + " answers"},
		{preflight.AlertBot(down), "FAILED: alert bot (ALERT_WEBHOOK_URL): alert: slack bot at 127.0.0.1:1"},
		{preflight.AlertBot(nil), "ok: alert bot (ALERT_WEBHOOK_URL): not configured"},
	}
	for _, tt := range tests {
		rep := preflight.Run(context.Background(), []preflight.Check{tt.check})
		if !strings.HasPrefix(rep.Lines[0], tt.want) {
			t.Errorf("%q\nwant prefix %q", rep.Lines[0], tt.want)
		}
	}
	if len(bots.Posts()) != 0 {
		t.Errorf("the alert bot check posted %d messages", len(bots.Posts()))
	}
	if strings.Contains(strings.Join(preflight.Run(context.Background(), []preflight.Check{preflight.AlertBot(down)}).Lines, ""), "/services/x") {
		t.Error("the alert bot check quoted the URL's path")
	}
}

func TestRAMActions(t *testing.T) {
	srv := cloudtest.NewServer(cloudtest.Options{})
	defer srv.Close()
	o := srv.Options()
	refused := map[string]bool{"GetUserMFAInfo": true, "ims:GetLoginProfile": true}
	srv.Intercept = func(svc cloudtest.Service, kind string, w http.ResponseWriter, _ *http.Request) bool {
		if svc != cloudtest.RAM || !refused[kind] {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"RequestId":"R1","HostId":"ram","Code":"NoPermission","Message":"You are not authorized to do this action."}`)
		return true
	}
	creds := func() secrets.Credentials {
		return secrets.Credentials{AccessKeyID: o.AccessKeyID, AccessKeySecret: o.AccessKeySecret, SecurityToken: o.SecurityToken}
	}
	cfg := preflight.RAMConfig{Endpoint: srv.RAMEndpoint, Credentials: creds, Transport: srv.Client().Transport.(*http.Transport),
		Policy: "scripts/deploy/reconciler-policy.json"}
	actions := append(append(append([]string{}, preflight.BlockerReads...), preflight.SuspendReads...), preflight.ReconcilerReads...)
	rep := preflight.Run(context.Background(), preflight.RAMActions(cfg, actions))
	if len(rep.Lines) != len(actions) {
		t.Fatalf("%d lines for %d actions", len(rep.Lines), len(actions))
	}
	for i, a := range actions {
		line := rep.Lines[i]
		kind := strings.TrimPrefix(a, "ram:")
		if refused[kind] {
			policy := "ram:" + strings.TrimPrefix(kind, "ims:")
			want := "FAILED: RAM action " + a + ": refused, 403 NoPermission"
			if !strings.HasPrefix(line, want) || !strings.HasSuffix(line, "fix: grant "+policy+" to the function's role (see scripts/deploy/reconciler-policy.json)") {
				t.Errorf("%s: %q", a, line)
			}
			continue
		}
		if !strings.HasPrefix(line, "ok: RAM action "+a+": allowed") {
			t.Errorf("%s: %q", a, line)
		}
		if strings.Contains(line, o.AccessKeySecret) || strings.Contains(line, o.SecurityToken) {
			t.Errorf("%s: the line carries a credential", a)
		}
	}
	// Nothing was written: the probe only reads.
	for _, c := range srv.RAMLog() {
		if !strings.HasPrefix(c.Action, "Get") && !strings.HasPrefix(c.Action, "List") {
			t.Errorf("preflight called %s", c.Action)
		}
	}

	// Bad credentials and no credentials are named as such.
	bad := cfg
	bad.Credentials = func() secrets.Credentials {
		return secrets.Credentials{AccessKeyID: o.AccessKeyID, AccessKeySecret: "wrong", SecurityToken: o.SecurityToken}
	}
	if line := preflight.Run(context.Background(), preflight.RAMActions(bad, []string{"ram:GetUser"})).Lines[0]; !strings.Contains(line, "credentials are refused") {
		t.Errorf("bad credentials: %q", line)
	}
	none := cfg
	none.Credentials = nil
	if line := preflight.Run(context.Background(), preflight.RAMActions(none, []string{"ram:GetUser"})).Lines[0]; !strings.Contains(line, "no credentials") {
		t.Errorf("no credentials: %q", line)
	}
	if line := preflight.Run(context.Background(), preflight.RAMActions(cfg, []string{"ram:CreateUser"})).Lines[0]; !strings.Contains(line, "does not know") {
		t.Errorf("unknown action: %q", line)
	}
}
