package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/localrun"
)

// The operators' part of the demo (README "Operations"): a preflight, an
// explain, and an alert reaching a signed DingTalk robot (the bots double).

const (
	demoAlertSecretName = "ramsync/alert-robot-secret"
	demoAlertSecret     = "SECdemo0123456789abcdef0123456789abcdef0123456789abcdef01234567"
)

// demoBots is the chat bot double the functions alert to; nil until
// demoAlerts starts it.
var demoBots *cloudtest.Bots

// demoAlerts starts the chat bot double and points every function's
// alerts at its DingTalk robot, signed with a secret kept in the cloud
// double's Secrets Manager. Call it on the options before localrun.Start;
// the returned function stops the double.
func demoAlerts(o *localrun.Options) (stop func()) {
	demoBots = cloudtest.NewBots(cloudtest.BotsOptions{Secret: demoAlertSecret})
	if o.Env == nil {
		o.Env = map[string]string{}
	}
	o.Env["ALERT_WEBHOOK_URL"] = demoBots.DingTalkURL("demo-robot")
	o.Env["ALERT_SECRET_NAME"] = demoAlertSecretName
	secrets := map[string]string{demoAlertSecretName: demoAlertSecret}
	for k, v := range o.Cloud.Secrets {
		secrets[k] = v
	}
	o.Cloud.Secrets = secrets
	return demoBots.Close
}

// operatorsStory plays a preflight (all green, then with a RAM permission
// taken away from the role), an explain of one employee, and shows the
// alerts the bot received.
func operatorsStory(ctx context.Context, l *localrun.Local, tl *timeline) error {
	tl.step("Operators: preflight, explain, alerts")
	before := 0
	if demoBots != nil {
		before = len(demoBots.Posts())
	}
	tl.say("operator     s reconciler invoke -e '{\"preflight\": true}'")
	if err := preflightStep(ctx, l, tl); err != nil {
		return err
	}

	if id := firstRosterID(l); id != "" {
		tl.say("operator     s reconciler invoke -e '{\"explain\": %q}'", id)
		var e struct {
			Records  []json.RawMessage `json:"records"`
			Mapped   map[string]struct{ Value, Template, From string }
			ByExt    *struct{ UserName, ID, Marker string } `json:"byExternalId"`
			Decision struct{ Action, Reason, Rule string }
		}
		if err := invokeReconciler(ctx, l, `{"explain": "`+id+`"}`, &e); err != nil {
			return err
		}
		u := e.Mapped["userName"]
		tl.say("reconciler   %s: %d roster record(s); userName %q from %s template %s", id, len(e.Records), u.Value, u.From, u.Template)
		if e.ByExt != nil {
			tl.say("             RAM user by externalId: %s (id %s) %s", e.ByExt.UserName, e.ByExt.ID, e.ByExt.Marker)
		}
		why := e.Decision.Rule
		if e.Decision.Reason != "" {
			why = e.Decision.Reason + " (" + e.Decision.Rule + ")"
		}
		tl.say("             decision: %s, because %s", e.Decision.Action, why)
	}

	tl.step("Someone trims the reconciler's role: ram:GetUserMFAInfo is gone")
	prev := l.Cloud.Intercept
	l.Cloud.Intercept = func(svc cloudtest.Service, kind string, w http.ResponseWriter, r *http.Request) bool {
		if svc == cloudtest.RAM && kind == "GetUserMFAInfo" {
			w.Header().Set("Content-Type", "application/json;charset=utf-8")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"RequestId":"DEMO-NOPERMISSION","HostId":"ram.aliyuncs.com","Code":"NoPermission","Message":"You are not authorized to do this action."}`)
			return true
		}
		return prev != nil && prev(svc, kind, w, r)
	}
	err := preflightStep(ctx, l, tl)
	l.Cloud.Intercept = prev
	if err != nil {
		return err
	}

	if demoBots == nil {
		tl.say("alerts       ALERT_WEBHOOK_URL is not set in this demo: no bot to show")
		return nil
	}
	posts := demoBots.Posts()[before:]
	tl.say("alerts       the DingTalk robot received %d message(s) in this part", len(posts))
	for _, p := range posts {
		lines := strings.Split(p.Text, "\n")
		tl.say("robot        signature valid: %v, accepted: %v", p.SignatureValid, p.Accepted)
		for _, line := range lines {
			tl.say("             │ %s", line)
		}
	}
	return nil
}

// preflightStep runs a preflight and prints its lines.
func preflightStep(ctx context.Context, l *localrun.Local, tl *timeline) error {
	var rep struct {
		OK    bool     `json:"ok"`
		Lines []string `json:"lines"`
	}
	if err := invokeReconciler(ctx, l, `{"preflight": true}`, &rep); err != nil {
		return err
	}
	tl.say("reconciler   preflight: all ok: %v", rep.OK)
	for _, line := range rep.Lines {
		tl.say("             %s", line)
	}
	return nil
}

// invokeReconciler invokes the reconciler with event as the whole
// invocation event (as `s invoke -e` does) and decodes its answer.
func invokeReconciler(ctx context.Context, l *localrun.Local, event string, out any) error {
	res, err := l.Runtime.Invoke(ctx, "reconciler", []byte(event))
	if err != nil {
		return err
	}
	if res.Err != nil {
		return fmt.Errorf("reconciler %s: %v", event, res.Err)
	}
	return json.Unmarshal(res.Payload, out)
}

// firstRosterID is the first employee id in the reconciler's roster, or
// "" when there is none yet.
func firstRosterID(l *localrun.Local) string {
	b, err := os.ReadFile(l.RosterPath)
	if err != nil {
		return ""
	}
	var r struct {
		Employees []struct {
			ID any `json:"id"`
		} `json:"employees"`
	}
	if json.Unmarshal(b, &r) != nil || len(r.Employees) == 0 {
		return ""
	}
	return fmt.Sprint(r.Employees[0].ID)
}
