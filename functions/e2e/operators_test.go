package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/dingtalk"
	"github.com/ramsync/ramsync/pkg/localrun"
	"github.com/ramsync/ramsync/pkg/provision"
)

// The operators' payloads (SPEC §4.4: preflight, explain, approve) and the
// alerts (§4.8), through the real binaries.

const (
	alertSecretName = "ramsync/alert-bot-secret"
	alertSecret     = "SECe2e0a1b2c3d4e5f60718293a4b5c6d7e8f9"
)

// preflightAnswer is the reconciler's answer to {"preflight": true}.
type preflightAnswer struct {
	OK     bool     `json:"ok"`
	Lines  []string `json:"lines"`
	Checks []struct {
		Check  string `json:"check"`
		OK     bool   `json:"ok"`
		Detail string `json:"detail"`
		Fix    string `json:"fix"`
	} `json:"checks"`
}

// explainAnswer is the reconciler's answer to {"explain": id}.
type explainAnswer struct {
	Explain string `json:"explain"`
	Records []struct {
		Record string         `json:"record"`
		ID     string         `json:"id"`
		Fields map[string]any `json:"fields"`
	} `json:"records"`
	Mapped map[string]struct {
		Value, Template, From string
	} `json:"mapped"`
	ByExternalID *explainUser `json:"byExternalId"`
	ByUserName   *explainUser `json:"byUserName"`
	Decision     struct {
		Action, UserName, ID, Reason, Rule, Brakes, Approval string
	} `json:"decision"`
}

type explainUser struct {
	ID, UserName, ExternalID, Marker string
	Owned, Protected                 bool
}

// invokeJSON invokes fn with the raw event payload and decodes its answer
// into out; a function error fails the test.
func invokeJSON(t *testing.T, l *localrun.Local, fn, payload string, out any) {
	t.Helper()
	res, err := l.Runtime.Invoke(context.Background(), fn, []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	if res.Err != nil {
		t.Fatalf("%s %s: function error: %v", fn, payload, res.Err)
	}
	if err := json.Unmarshal(res.Payload, out); err != nil {
		t.Fatalf("%s %s: %s: %v", fn, payload, res.Payload, err)
	}
}

// ramRefuses answers RAM's NoPermission to the RAM OpenAPI action kind
// ("ListAccessKeys", "ims:GetLoginProfile"), as RAM does for a role
// without it.
func ramRefuses(action string) func(cloudtest.Service, string, http.ResponseWriter, *http.Request) bool {
	return func(svc cloudtest.Service, kind string, w http.ResponseWriter, _ *http.Request) bool {
		if svc != cloudtest.RAM || kind != action {
			return false
		}
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"RequestId":"0C9A3C5E-PREFLIGHT","HostId":"ram.aliyuncs.com","Code":"NoPermission","Message":"You are not authorized to do this action. Resource: acs:ram:*:1234567890123456:user/* Action: ram:%s"}`, action)
		return true
	}
}

// lineWith returns the first line holding every one of parts, or "".
func lineWith(lines []string, parts ...string) string {
	for _, l := range lines {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			return l
		}
	}
	return ""
}

func TestPreflightNamesMissingPermissionAndSecret(t *testing.T) {
	bots := cloudtest.NewBots(cloudtest.BotsOptions{Secret: alertSecret})
	defer bots.Close()
	env := map[string]string{"LEAVER_GRACE": "720h", "OFFBOARD_CLEANUP": "true",
		"ALERT_WEBHOOK_URL": bots.DingTalkURL("robot-token"), "ALERT_SECRET_NAME": alertSecretName}
	l := start(t, localrun.Options{
		Cloud: cloudtest.Options{Secrets: map[string]string{alertSecretName: alertSecret}},
		Env:   env,
		FuncEnv: map[string]map[string]string{
			"reconciler": {"ROSTER_AUTH_SECRET_NAME": "ramsync/roster-credentials-missing"},
		},
	})
	srv := l.Cloud
	srv.SeedUser(cloudtest.User{ExternalID: "E1", UserName: "li.wei", DisplayName: "Li Wei"})
	if err := l.WriteRoster(time.Now(), []map[string]any{
		{"id": "E1", "email": "li.wei@example.com", "displayName": "Li Wei"},
		{"id": "E2", "email": "wang.wu@example.com", "displayName": "Wang Wu"},
	}); err != nil {
		t.Fatal(err)
	}
	srv.Intercept = ramRefuses("ListAccessKeys")
	w := writes(srv)

	var rep preflightAnswer
	invokeJSON(t, l, "reconciler", `{"preflight": true}`, &rep)
	if rep.OK || len(rep.Lines) != len(rep.Checks) {
		t.Fatalf("preflight ok=%v with %d lines for %d checks:\n%s", rep.OK, len(rep.Lines), len(rep.Checks), strings.Join(rep.Lines, "\n"))
	}
	all := strings.Join(rep.Lines, "\n")
	for _, want := range [][]string{
		{"FAILED: RAM action ram:ListAccessKeys", "NoPermission", "grant ram:ListAccessKeys"},
		{"FAILED: secret ramsync/roster-credentials-missing (ROSTER_AUTH_SECRET_NAME)", "create the secret \"ramsync/roster-credentials-missing\""},
		{"ok: secret " + srv.Options().SecretName + " (SCIM_SECRET_NAME)"},
		{"ok: secret " + alertSecretName + " (ALERT_SECRET_NAME)"},
		{"ok: OAuth token"},
		{"ok: SCIM list of one page"},
		{"ok: RAM action ram:GetUser"},
		{"ok: RAM action ram:ListUsers"},
		{"ok: RAM action ims:GetLoginProfile"},
		{"ok: roster (ROSTER_URL)", "2 records"},
		{"ok: alert bot (ALERT_WEBHOOK_URL)", "dingtalk"},
	} {
		if lineWith(rep.Lines, want...) == "" {
			t.Errorf("no line with %q in:\n%s", want, all)
		}
	}
	if n := strings.Count(all, "FAILED"); n != 2 {
		t.Errorf("%d checks failed, want 2:\n%s", n, all)
	}
	if writes(srv) != w {
		t.Errorf("preflight wrote %d times", writes(srv)-w)
	}
	for _, secret := range []string{alertSecret, srv.Options().ClientSecret} {
		if strings.Contains(all, secret) {
			t.Errorf("the preflight answer carries a secret")
		}
	}

	// One alert, signed, naming both failures and the next step.
	posts := bots.Posts()
	if len(posts) != 1 || !posts[0].SignatureValid || !posts[0].Accepted {
		t.Fatalf("posts %+v: want one signed preflight alert", posts)
	}
	text := posts[0].Text
	for _, want := range []string{"ramsync reconciler: preflight failed", "ram:ListAccessKeys", "ramsync/roster-credentials-missing", `{"preflight":true}`} {
		if !strings.Contains(text, want) {
			t.Errorf("alert lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, alertSecret) || strings.Contains(string(posts[0].Body), alertSecret) {
		t.Error("the alert carries the bot's signing secret")
	}

	// The same payload inside the timer's payload; with the permission
	// back, only the secret fails.
	srv.Intercept = nil
	raw, _, err := l.Reconcile(context.Background(), `{"preflight": true}`)
	if err != nil {
		t.Fatal(err)
	}
	rep = preflightAnswer{}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.OK || strings.Count(strings.Join(rep.Lines, "\n"), "FAILED") != 1 || lineWith(rep.Lines, "ok: RAM action ram:ListAccessKeys") == "" {
		t.Errorf("second preflight:\n%s", strings.Join(rep.Lines, "\n"))
	}
}

func TestPreflightAllGreenPostsNothing(t *testing.T) {
	bots := cloudtest.NewBots(cloudtest.BotsOptions{})
	defer bots.Close()
	l := start(t, localrun.Options{Env: map[string]string{"ALERT_WEBHOOK_URL": bots.WeComURL("k1")}})
	if err := l.WriteRoster(time.Now(), []map[string]any{{"id": "E1", "email": "li.wei@example.com", "displayName": "Li Wei"}}); err != nil {
		t.Fatal(err)
	}
	var rep preflightAnswer
	invokeJSON(t, l, "reconciler", `{"preflight": true}`, &rep)
	if !rep.OK || len(rep.Lines) == 0 {
		t.Fatalf("preflight:\n%s", strings.Join(rep.Lines, "\n"))
	}
	for _, line := range rep.Lines {
		if !strings.HasPrefix(line, "ok: ") {
			t.Errorf("line %q", line)
		}
	}
	// Without LEAVER_GRACE the suspension reads are not needed.
	if lineWith(rep.Lines, "ram:ListUsers") != "" || lineWith(rep.Lines, "ims:") != "" {
		t.Errorf("suspension reads checked without LEAVER_GRACE:\n%s", strings.Join(rep.Lines, "\n"))
	}
	if len(bots.Posts()) != 0 {
		t.Errorf("a green preflight posted %d alerts", len(bots.Posts()))
	}
	// The bot was reached (a HEAD), nothing posted.
	if bots.Requests() == 0 {
		t.Error("preflight did not reach the alert bot")
	}
}

func TestExplain(t *testing.T) {
	l := start(t, localrun.Options{Env: graceEnv, FuncEnv: map[string]map[string]string{"reconciler": {"PROTECTED_USERS": "admin"}}})
	srv := l.Cloud
	hourAgo := time.Now().Add(-time.Hour)
	srv.SeedUser(cloudtest.User{UserName: "wang.wu", DisplayName: "Console Wang", Created: hourAgo, LastModified: hourAgo})
	srv.SeedUser(cloudtest.User{ExternalID: "E3", UserName: "admin", DisplayName: "Admin", Created: hourAgo, LastModified: hourAgo})
	seedLeaver(srv, "E4", "zhao.liu")
	for i := range 10 { // enough managed users that one removal is within the brakes
		srv.SeedUser(cloudtest.User{ExternalID: fmt.Sprintf("A%d", i), UserName: fmt.Sprintf("a%d", i), DisplayName: "a", Created: hourAgo, LastModified: hourAgo})
	}
	if status, a := postOne(t, l, eventAt("terminated", "E4", "zhao.liu@example.com", time.Now().Add(-time.Minute))); status != 200 || a.Results[0].Action != "suspended" {
		t.Fatalf("suspending E4: %d %+v", status, a)
	}
	roster := []map[string]any{
		{"id": "E1", "email": "Li.Wei@example.com", "displayName": "Li Wei"},
		{"id": "E2", "email": "wang.wu@example.com", "displayName": "Wang Wu"},
		{"id": "E3", "email": "admin@example.com", "displayName": "Admin"},
		{"id": "E4", "email": "zhao.liu@example.com", "displayName": "Zhao Liu", "status": "terminated"},
	}
	for i := range 10 {
		roster = append(roster, map[string]any{"id": fmt.Sprintf("A%d", i), "email": fmt.Sprintf("a%d@example.com", i), "displayName": "a"})
	}
	if err := l.WriteRoster(time.Now(), roster); err != nil {
		t.Fatal(err)
	}
	w := writes(srv)

	tests := []struct {
		id, action, rule string
		check            func(t *testing.T, e explainAnswer)
	}{
		{"E1", "created", "§2", func(t *testing.T, e explainAnswer) {
			u := e.Mapped["userName"]
			if u.Value != "li.wei" || u.Template != "{{ .email | localpart | lower }}" || !strings.HasPrefix(u.From, "default for") {
				t.Errorf("mapped userName %+v", u)
			}
			if len(e.Records) != 1 || e.Records[0].Fields["email"] != "Li.Wei@example.com" || e.ByExternalID != nil || e.ByUserName != nil {
				t.Errorf("records %+v, users %+v %+v", e.Records, e.ByExternalID, e.ByUserName)
			}
		}},
		{"E2", "conflict", "rule 3", func(t *testing.T, e explainAnswer) {
			if e.ByUserName == nil || e.ByUserName.UserName != "wang.wu" || e.ByUserName.Owned || e.ByExternalID != nil {
				t.Errorf("users by externalId %+v, by userName %+v", e.ByExternalID, e.ByUserName)
			}
			if !strings.Contains(e.Decision.Reason, "ADOPT_EXISTING") {
				t.Errorf("reason %q", e.Decision.Reason)
			}
		}},
		{"E3", "protected", "rule 2", func(t *testing.T, e explainAnswer) {
			if e.ByExternalID == nil || !e.ByExternalID.Protected || e.ByExternalID.UserName != "admin" {
				t.Errorf("user by externalId %+v", e.ByExternalID)
			}
		}},
		{"E4", "already suspended", "rule 5b", func(t *testing.T, e explainAnswer) {
			if e.ByExternalID == nil || !strings.HasPrefix(e.ByExternalID.Marker, "ramsync:suspended:") || !strings.HasSuffix(e.ByExternalID.Marker, ":LTAI5tAE4") {
				t.Errorf("user by externalId %+v", e.ByExternalID)
			}
			if len(e.Records) != 1 || e.Mapped["status"].Value != "terminated" {
				t.Errorf("records %+v mapped %+v", e.Records, e.Mapped)
			}
		}},
		{"E404", "already absent", "rule 5", func(t *testing.T, e explainAnswer) {
			if len(e.Records) != 0 || e.ByExternalID != nil {
				t.Errorf("records %+v user %+v", e.Records, e.ByExternalID)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			var e explainAnswer
			invokeJSON(t, l, "reconciler", `{"explain": "`+tt.id+`"}`, &e)
			if e.Explain != tt.id || e.Decision.Action != tt.action || !strings.HasPrefix(e.Decision.Rule, tt.rule) {
				t.Fatalf("explain %s: decision %+v", tt.id, e.Decision)
			}
			tt.check(t, e)
		})
	}
	if writes(srv) != w {
		t.Errorf("explain wrote %d times", writes(srv)-w)
	}
	// The nightly run agrees with what explain said.
	rep := reconcile(t, l, "")
	got := map[string]string{}
	for _, list := range [][]provision.Entry{rep.Changes, rep.Conflicts, rep.Protected} {
		for _, e := range list {
			got[e.ExternalID] = string(e.Action)
		}
	}
	for id, want := range map[string]string{"E1": "created", "E2": "conflict", "E3": "protected"} {
		if got[id] != want {
			t.Errorf("the run did %q for %s, explain said %q", got[id], id, want)
		}
	}
	// A malformed explain is refused before anything runs.
	if res, err := l.Runtime.Invoke(context.Background(), "reconciler", []byte(`{"explain": "", "dryRun": true}`)); err != nil || res.Err == nil {
		t.Errorf("a malformed explain was accepted: %v", err)
	}
}

// titleRE reads an alert's kind from its first line.
var titleRE = regexp.MustCompile(`^ramsync (\w+): ([^(\n]+?)(?: \(run [^)]*\))?$`)

// kindsSince returns "function: title" of each post after the first n.
func kindsSince(posts []cloudtest.BotPost, n int) []string {
	var out []string
	for _, p := range posts[n:] {
		first, _, _ := strings.Cut(p.Text, "\n")
		if m := titleRE.FindStringSubmatch(first); m != nil {
			out = append(out, m[1]+": "+m[2])
		} else {
			out = append(out, "?"+first)
		}
	}
	slices.Sort(out)
	return out
}

func TestAlertsReachEachBotOncePerKind(t *testing.T) {
	for _, bot := range []cloudtest.BotKind{cloudtest.BotDingTalk, cloudtest.BotFeishu, cloudtest.BotWeCom, cloudtest.BotSlack} {
		t.Run(string(bot), func(t *testing.T) {
			bots := cloudtest.NewBots(cloudtest.BotsOptions{Secret: alertSecret})
			defer bots.Close()
			env := map[string]string{}
			switch bot {
			case cloudtest.BotDingTalk:
				env["ALERT_WEBHOOK_URL"], env["ALERT_SECRET_NAME"] = bots.DingTalkURL("t1"), alertSecretName
			case cloudtest.BotFeishu:
				env["ALERT_WEBHOOK_URL"], env["ALERT_SECRET_NAME"] = bots.FeishuURL("t1"), alertSecretName
			case cloudtest.BotWeCom:
				env["ALERT_WEBHOOK_URL"] = bots.WeComURL("k1")
			case cloudtest.BotSlack:
				env["ALERT_WEBHOOK_URL"] = bots.SlackURL()
			}
			l := start(t, localrun.Options{
				Cloud: cloudtest.Options{Secrets: map[string]string{alertSecretName: alertSecret}},
				Env:   env,
				FuncEnv: map[string]map[string]string{
					"webhook":    {"OFFBOARD_CLEANUP": "false"},
					"reconciler": {"ROSTER_AUTH_SECRET_NAME": "ramsync/roster-credentials-missing"},
				},
			})
			srv := l.Cloud
			var roster []map[string]any
			for i := range 20 {
				srv.SeedUser(cloudtest.User{ExternalID: fmt.Sprintf("E%02d", i), UserName: fmt.Sprintf("u%02d", i), DisplayName: "u"})
				roster = append(roster, map[string]any{"id": fmt.Sprintf("E%02d", i), "email": fmt.Sprintf("u%02d@example.com", i), "displayName": "u"})
			}
			srv.SeedUser(cloudtest.User{ExternalID: "L1", UserName: "leaver.one", DisplayName: "Leaver"})
			srv.SetRAM("leaver.one", cloudtest.Blockers{AccessKeys: []cloudtest.AccessKey{{ID: "LTAI5tLEAVER1", Status: "Active"}}})
			roster = append(roster, map[string]any{"id": "L1", "email": "leaver.one@example.com", "displayName": "Leaver"})

			steps := []struct {
				name string
				do   func(t *testing.T)
				want []string
			}{
				{"brakes and rejections", func(t *testing.T) {
					bad := map[string]any{"id": "R1", "email": "not an email@@", "displayName": "Bad"}
					if err := l.WriteRoster(time.Now().Add(time.Second), append(append([]map[string]any{}, roster[11:]...), bad)); err != nil {
						t.Fatal(err)
					}
					rep := reconcile(t, l, "")
					if !rep.Brakes.Fired || rep.Counts.Rejected != 1 {
						t.Fatalf("counts %+v brakes %+v", rep.Counts, rep.Brakes)
					}
				}, []string{"reconciler: deletion brakes fired", "reconciler: records rejected"}},
				{"blocked leaver", func(t *testing.T) {
					if status, a := postOne(t, l, eventAt("terminated", "L1", "leaver.one@example.com", time.Now())); status != 200 || a.Results[0].Action != "blocked" {
						t.Fatalf("termination: %d %+v", status, a)
					}
				}, []string{"webhook: leaver blocked"}},
				{"failed event", func(t *testing.T) {
					srv.SetFaults(cloudtest.SCIM, cloudtest.Faults{ErrorRate: 1})
					defer srv.SetFaults(cloudtest.SCIM, cloudtest.Faults{})
					if status, _ := postOne(t, l, eventAt("hired", "N1", "new.one@example.com", time.Now())); status != http.StatusServiceUnavailable {
						t.Fatalf("hire with SCIM down: %d", status)
					}
				}, []string{"webhook: failed after retries"}},
				{"preflight", func(t *testing.T) {
					var rep preflightAnswer
					invokeJSON(t, l, "reconciler", `{"preflight": true}`, &rep)
					if rep.OK {
						t.Fatal("preflight passed with a missing secret")
					}
				}, []string{"reconciler: preflight failed"}},
				{"token refused", func(t *testing.T) {
					srv.FailNextError(cloudtest.OAuth, 1, http.StatusUnauthorized, "invalid_client")
					// The answer is an error or a result with one; either way
					// nothing was written.
					if _, err := l.Runtime.Invoke(context.Background(), "offboarding", []byte(`{"externalId": "E00"}`)); err != nil {
						t.Fatal(err)
					}
					if _, ok := srv.UserByName("u00"); !ok {
						t.Fatal("u00 was deleted without a token")
					}
				}, []string{"offboarding: failed after retries", "offboarding: token endpoint refused the app secret"}},
			}
			for _, st := range steps {
				n := len(bots.Posts())
				st.do(t)
				got := kindsSince(bots.Posts(), n)
				slices.Sort(st.want)
				if !slices.Equal(got, st.want) {
					t.Errorf("%s: alerts %q, want %q", st.name, got, st.want)
				}
				for _, p := range bots.Posts()[n:] {
					signing := bot == cloudtest.BotDingTalk || bot == cloudtest.BotFeishu
					if p.Bot != bot || !p.Accepted || p.Signed != signing || p.SignatureValid != signing {
						t.Errorf("%s: post to %s accepted=%v signed=%v valid=%v", st.name, p.Bot, p.Accepted, p.Signed, p.SignatureValid)
					}
					if strings.Contains(string(p.Body), alertSecret) || strings.Contains(string(p.Body), srv.Options().ClientSecret) {
						t.Errorf("%s: an alert carries a secret", st.name)
					}
				}
			}
			// The brakes' alert names the held users and the exact payload.
			for _, p := range bots.Posts() {
				if strings.Contains(p.Text, "deletion brakes fired") &&
					(!strings.Contains(p.Text, "u00, u01") || !strings.Contains(p.Text, "and 1 more") || !regexp.MustCompile(`s reconciler invoke -e '\{"approve":"[0-9a-f]{32}"\}'`).MatchString(p.Text)) {
					t.Errorf("brakes alert:\n%s", p.Text)
				}
			}
		})
	}
}

func TestFailingBotLeavesResultsUnchanged(t *testing.T) {
	bots := cloudtest.NewBots(cloudtest.BotsOptions{})
	defer bots.Close()
	l := start(t, localrun.Options{
		Env:     map[string]string{"ALERT_WEBHOOK_URL": bots.SlackURL()},
		FuncEnv: map[string]map[string]string{"webhook": {"OFFBOARD_CLEANUP": "false"}},
	})
	srv := l.Cloud
	var roster []map[string]any
	for i := range 20 {
		srv.SeedUser(cloudtest.User{ExternalID: fmt.Sprintf("E%02d", i), UserName: fmt.Sprintf("u%02d", i), DisplayName: "u"})
		roster = append(roster, map[string]any{"id": fmt.Sprintf("E%02d", i), "email": fmt.Sprintf("u%02d@example.com", i), "displayName": "u"})
	}
	srv.SetRAM("u19", cloudtest.Blockers{AccessKeys: []cloudtest.AccessKey{{ID: "LTAI5tU19", Status: "Active"}}})
	if err := l.WriteRoster(time.Now().Add(time.Second), roster[:10]); err != nil {
		t.Fatal(err)
	}
	run := func() (provision.Report, int, answer) {
		rep := reconcile(t, l, "")
		status, a := postOne(t, l, eventAt("terminated", "E19", "u19@example.com", time.Now()))
		return rep, status, a
	}
	good, goodStatus, goodAnswer := run()
	if len(bots.Accepted()) != 2 {
		t.Fatalf("healthy bot: %d alerts taken, want 2 (brakes, blocked)", len(bots.Accepted()))
	}
	bots.SetFailure(http.StatusInternalServerError)
	n := len(bots.Posts())
	bad, badStatus, badAnswer := run()
	if len(bots.Posts()) == n {
		t.Fatal("the failing bot was not tried")
	}
	if bad.Counts != good.Counts || bad.Brakes != good.Brakes || bad.Approval != good.Approval || bad.Aborted != "" {
		t.Errorf("with the bot failing: counts %+v brakes %+v approval %s; with it healthy: %+v %+v %s",
			bad.Counts, bad.Brakes, bad.Approval, good.Counts, good.Brakes, good.Approval)
	}
	if badStatus != goodStatus || badAnswer.Results[0].Action != goodAnswer.Results[0].Action {
		t.Errorf("webhook with the bot failing: %d %+v; healthy: %d %+v", badStatus, badAnswer, goodStatus, goodAnswer)
	}
	if lineWith(l.Lines("reconciler", "stdout"), "alert not sent", "500") == "" {
		t.Error("the reconciler did not log the failed alert")
	}
}

func TestApproveFromTheAlertText(t *testing.T) {
	bots := cloudtest.NewBots(cloudtest.BotsOptions{Secret: alertSecret})
	defer bots.Close()
	l := start(t, localrun.Options{
		Cloud: cloudtest.Options{Secrets: map[string]string{alertSecretName: alertSecret}},
		Env:   map[string]string{"LEAVER_GRACE": "720h", "OFFBOARD_CLEANUP": "true", "ALERT_WEBHOOK_URL": bots.FeishuURL("t1"), "ALERT_SECRET_NAME": alertSecretName},
	})
	srv := l.Cloud
	var roster []map[string]any
	for i := range 20 {
		srv.SeedUser(cloudtest.User{ExternalID: fmt.Sprintf("E%02d", i), UserName: fmt.Sprintf("u%02d", i), DisplayName: "u"})
		roster = append(roster, map[string]any{"id": fmt.Sprintf("E%02d", i), "email": fmt.Sprintf("u%02d@example.com", i), "displayName": "u"})
	}
	if err := l.WriteRoster(time.Now().Add(time.Second), roster[:12]); err != nil {
		t.Fatal(err)
	}
	rep := reconcile(t, l, "")
	if !rep.Brakes.Fired || rep.Counts.Held != 8 {
		t.Fatalf("counts %+v brakes %+v", rep.Counts, rep.Brakes)
	}
	posts := bots.Posts()
	if len(posts) != 1 || !posts[0].SignatureValid {
		t.Fatalf("posts %+v", posts)
	}
	// The operator pastes the payload the alert gives, as the whole event.
	m := regexp.MustCompile(`s reconciler invoke -e '(\{"approve":"[0-9a-f]{32}"\})'`).FindStringSubmatch(posts[0].Text)
	if m == nil {
		t.Fatalf("no approval payload in the alert:\n%s", posts[0].Text)
	}
	var approved provision.Report
	invokeJSON(t, l, "reconciler", m[1], &approved)
	if approved.Brakes.Fired || !approved.Brakes.Approved || approved.Counts.Suspend != 8 {
		t.Fatalf("approved: counts %+v brakes %+v", approved.Counts, approved.Brakes)
	}
	for i := 12; i < 20; i++ {
		if c := srv.Comments(fmt.Sprintf("u%02d", i)); !strings.HasPrefix(c, "ramsync:suspended:") {
			t.Errorf("u%02d: comments %q after the approval", i, c)
		}
	}
	if len(bots.Posts()) != 1 {
		t.Errorf("the approved run alerted: %q", kindsSince(bots.Posts(), 1))
	}
}

func TestStartupPreflightInDebugLogs(t *testing.T) {
	debug := map[string]string{"LOG_LEVEL": "debug"}
	l := start(t, localrun.Options{FuncEnv: map[string]map[string]string{"webhook": debug, "offboarding": debug}})
	srv := l.Cloud
	srv.Intercept = ramRefuses("GetUserMFAInfo")
	// The checks run at the start of the first invocation, which has the
	// role's credentials; a failing one never fails the function.
	if status, a := postOne(t, l, eventAt("hired", "E1", "li.wei@example.com", time.Now())); status != 200 || a.Results[0].Action != "created" {
		t.Fatalf("hire: %d %+v", status, a)
	}
	if r := invokeOffboarding(t, l, []byte(`{"externalId": "E404"}`)); r.Action != "already absent" {
		t.Fatalf("offboarding: %+v", r)
	}
	for _, fn := range []string{"webhook", "offboarding"} {
		lines := l.Lines(fn, "stdout")
		for _, want := range [][]string{
			{`"level":"DEBUG"`, `"msg":"preflight finished"`, `"ok":false`},
			{`"level":"DEBUG"`, "FAILED: RAM action ram:GetUserMFAInfo", "grant ram:GetUserMFAInfo", fn + "-policy.json"},
			{`"level":"DEBUG"`, "ok: OAuth token", `"requestId"`},
		} {
			if lineWith(lines, want...) == "" {
				t.Errorf("%s: no log line with %q", fn, want)
			}
		}
	}
	if lineWith(l.Lines("webhook", "stdout"), "ok: secret "+localrun.WebhookSecretName+" (WEBHOOK_SECRET_NAME)") == "" {
		t.Error("the webhook's start-up checks did not read its signing key")
	}
}

func TestPreflightChecksVendorTokens(t *testing.T) {
	l := start(t, localrun.Options{Feishu: &cloudtest.FeishuOptions{}, DingTalk: &cloudtest.DingTalkOptions{}})
	if err := l.WriteRoster(time.Now(), []map[string]any{{"id": "E1", "email": "li.wei@example.com", "displayName": "Li Wei"}}); err != nil {
		t.Fatal(err)
	}
	var rep preflightAnswer
	invokeJSON(t, l, "reconciler", `{"preflight": true}`, &rep)
	all := strings.Join(rep.Lines, "\n")
	if !rep.OK || lineWith(rep.Lines, "ok: Feishu/Lark token for app "+l.Feishu.Options().AppID, "obtained") == "" ||
		lineWith(rep.Lines, "ok: DingTalk token for app "+l.DingTalk.Options().AppKey, "obtained") == "" {
		t.Fatalf("preflight with both vendors:\n%s", all)
	}
	// The Feishu app secret is rotated in the console but not in Secrets
	// Manager: the token is refused, and preflight says which app.
	l.Cloud.SetSecret(localrun.FeishuSecretName, `{"appSecret":"rotated-away","encryptKey":"k","verificationToken":"v"}`)
	rep = preflightAnswer{}
	invokeJSON(t, l, "reconciler", `{"preflight": true}`, &rep)
	all = strings.Join(rep.Lines, "\n")
	if rep.OK || lineWith(rep.Lines, "FAILED: Feishu/Lark token for app "+l.Feishu.Options().AppID, "10014", "FEISHU_SECRET_NAME") == "" ||
		strings.Count(all, "FAILED") != 1 || strings.Contains(all, "rotated-away") {
		t.Errorf("preflight with a stale Feishu secret:\n%s", all)
	}
}

// A DingTalk push's answer is DingTalk's sealed "success", which says
// nothing of a blocked leaver: the alert comes from the results all the
// same.
func TestBlockedLeaverAlertFromADingTalkPush(t *testing.T) {
	bots := cloudtest.NewBots(cloudtest.BotsOptions{})
	defer bots.Close()
	l := start(t, localrun.Options{
		DingTalk: &cloudtest.DingTalkOptions{},
		Env:      map[string]string{"ALERT_WEBHOOK_URL": bots.WeComURL("k1")},
		FuncEnv:  map[string]map[string]string{"webhook": {"OFFBOARD_CLEANUP": "false"}},
	})
	dt := l.DingTalk
	hourAgo := time.Now().Add(-time.Hour)
	l.Cloud.SeedUser(cloudtest.User{ExternalID: "0155", UserName: "li.wei", DisplayName: "Li Wei", Created: hourAgo, LastModified: hourAgo})
	l.Cloud.SetRAM("li.wei", cloudtest.Blockers{AccessKeys: []cloudtest.AccessKey{{ID: "LTAI5tLIWEI", Status: "Active"}}})
	status, body, err := l.SendDingTalk(context.Background(), dt.EventMessage(dingtalk.TypeUserLeave, time.Now(), "0155"))
	if err != nil {
		t.Fatal(err)
	}
	if status != 200 || dt.CheckReply(body) != nil {
		t.Fatalf("leave push: %d %s", status, body)
	}
	if _, ok := l.Cloud.UserByName("li.wei"); !ok {
		t.Fatal("li.wei was deleted although blocked")
	}
	posts := bots.Posts()
	if got := kindsSince(posts, 0); len(got) != 1 || got[0] != "webhook: leaver blocked" || !strings.Contains(posts[0].Text, "Who: li.wei") {
		t.Errorf("alerts %q:\n%v", got, posts)
	}
}
