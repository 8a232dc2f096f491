package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/localrun"
	"github.com/ramsync/ramsync/pkg/provision"
)

func hrEvent(typ, id, email, name string) string {
	return fmt.Sprintf(`{"id":"evt-%s-%s","type":"employee.%s","occurredAt":%q,"employee":{"id":%q,"email":%q,"displayName":%q,"status":"active"}}`,
		id, typ, typ, time.Now().UTC().Format(time.RFC3339), id, email, name)
}

// webhook posts one event and prints the answer.
func webhook(ctx context.Context, l *localrun.Local, tl *timeline, what, body string, header func(http.Header)) error {
	status, resp, err := l.Post(ctx, []byte(body), header)
	if err != nil {
		return err
	}
	var a struct {
		Error   *struct{ Code, Message string } `json:"error"`
		Results []struct {
			Action, UserName, ID string
		} `json:"results"`
	}
	_ = json.Unmarshal(resp, &a)
	switch {
	case a.Error != nil:
		tl.say("webhook      %-34s → %d %s: %s", what, status, a.Error.Code, a.Error.Message)
	case len(a.Results) == 1:
		r := a.Results[0]
		tl.say("webhook      %-34s → %d %s %s (RAM id %s)", what, status, r.Action, r.UserName, r.ID)
	default:
		tl.say("webhook      %-34s → %d %s", what, status, resp)
	}
	return nil
}

func story(ctx context.Context, l *localrun.Local, tl *timeline) error {
	old := time.Now().Add(-30 * 24 * time.Hour)
	tl.step("Before: RAM as the company left it")
	for _, u := range []cloudtest.User{
		{UserName: "breakglass", DisplayName: "Break-glass admin"},
		{ExternalID: "E0001", UserName: "root.ops", DisplayName: "Root Ops"},
		{ExternalID: "E0777", UserName: "old.contractor", DisplayName: "Old Contractor"},
	} {
		u.Created, u.LastModified = old, old
		s := l.Cloud.SeedUser(u)
		tl.say("RAM          %-18s externalId %-6q (made a month ago)", s.UserName, s.ExternalID)
	}

	tl.step("Daytime: HR sends signed webhooks")
	for _, h := range [][3]string{{"E1001", "li.wei@example.com", "Li Wei"}, {"E1002", "zhang.san@example.com", "Zhang San"}, {"E1003", "wang.wu@example.com", "Wang Wu"}} {
		if err := webhook(ctx, l, tl, "employee.hired "+h[0], hrEvent("hired", h[0], h[1], h[2]), nil); err != nil {
			return err
		}
	}
	if err := webhook(ctx, l, tl, "employee.hired E1003 (redelivered)", hrEvent("hired", "E1003", "wang.wu@example.com", "Wang Wu"), nil); err != nil {
		return err
	}
	if err := webhook(ctx, l, tl, "employee.updated E1002 (renamed)", hrEvent("updated", "E1002", "zhang.san2@example.com", "Zhang San"), nil); err != nil {
		return err
	}
	forged := func(h http.Header) {
		h.Set(hr.SignatureHeader, "t="+fmt.Sprint(time.Now().Unix())+",v1="+strings.Repeat("0", 64))
	}
	if err := webhook(ctx, l, tl, "employee.terminated E1001 (forged)", hrEvent("terminated", "E1001", "li.wei@example.com", "Li Wei"), forged); err != nil {
		return err
	}

	tl.step("A leaver: EventBridge delivers employee.terminated to offboarding (LEAVER_GRACE " + demoGrace + ")")
	l.Cloud.SetRAM("wang.wu", cloudtest.Blockers{
		AccessKeys:   []cloudtest.AccessKey{{ID: "LTAI5tWANGWU0001", Status: "Active"}},
		LoginProfile: true,
		Groups:       []string{"developers"},
		Policies:     []cloudtest.Policy{{Name: "AliyunECSFullAccess", Type: "System"}},
	})
	tl.say("RAM          wang.wu has an AccessKey, a console login, a group and a policy")
	if err := offboard(ctx, l, tl, "E1003", "wang.wu@example.com"); err != nil {
		return err
	}
	sayRAM(l, tl, "wang.wu")
	if err := offboard(ctx, l, tl, "E1003", "wang.wu@example.com"); err != nil {
		return err
	}

	tl.step("A mistake: HR re-hires Wang Wu the same hour")
	if err := webhook(ctx, l, tl, "employee.hired E1003 (rehire)", hrEvent("hired", "E1003", "wang.wu@example.com", "Wang Wu"), nil); err != nil {
		return err
	}
	sayRAM(l, tl, "wang.wu")
	if err := webhook(ctx, l, tl, "employee.terminated E1003 (for real)", hrEvent("terminated", "E1003", "wang.wu@example.com", "Wang Wu"), nil); err != nil {
		return err
	}
	sayRAM(l, tl, "wang.wu")

	tl.step("Drift: HR hired Chen Liu while the webhook was down; the contractor left long ago")
	if err := l.WriteRoster(time.Now().Add(time.Second), []map[string]any{
		{"id": "E1001", "email": "li.wei@example.com", "displayName": "Li Wei"},
		{"id": "E1002", "email": "zhang.san2@example.com", "displayName": "Zhang San"},
		{"id": "E1004", "email": "chen.liu@example.com", "displayName": "Chen Liu"},
		{"id": "E1003", "email": "wang.wu@example.com", "displayName": "Wang Wu", "status": "terminated"},
	}); err != nil {
		return err
	}
	tl.say("roster       4 records (3 active, 1 terminated)")

	tl.step("Night: the timer fires the reconciler, dry run first")
	for _, p := range []string{`{"dryRun": true}`, `{"dryRun": false}`} {
		if err := nightly(ctx, l, tl, p); err != nil {
			return err
		}
	}
	tl.say("reconciler   the unowned breakglass admin is not in any report: ramsync only manages users with an externalId")

	tl.step("Nights later: the grace (" + demoGrace + " here, 720h in s.yaml) is over for both leavers")
	time.Sleep(demoGraceDuration + 1500*time.Millisecond)
	if err := nightly(ctx, l, tl, `{"dryRun": false}`); err != nil {
		return err
	}
	return nil
}

// offboard sends a termination through EventBridge to the offboarding function.
func offboard(ctx context.Context, l *localrun.Local, tl *timeline, id, email string) error {
	ev := l.Runtime.EventBridgeEvent("hr.workday", "ramsync:hr:employee.terminated", "employee/"+id,
		json.RawMessage(`{"id":"`+id+`","email":"`+email+`","status":"terminated"}`))
	payload, _ := json.Marshal(ev)
	res, err := l.Runtime.Invoke(ctx, "offboarding", payload)
	if err != nil {
		return err
	}
	var off provision.Result
	_ = json.Unmarshal(res.Payload, &off)
	var steps []string
	for _, s := range off.Steps {
		steps = append(steps, s.Action+" "+s.Target)
	}
	if len(steps) == 0 {
		steps = []string{"nothing written"}
	}
	tl.say("offboarding  %s → %s %s: %s", id, off.Action, off.UserName, strings.Join(steps, ", "))
	return nil
}

// sayRAM prints a user's RAM state: keys, login and marker.
func sayRAM(l *localrun.Local, tl *timeline, name string) {
	var keys []string
	for _, k := range l.Cloud.RAM(name).AccessKeys {
		keys = append(keys, k.ID+" "+k.Status)
	}
	tl.say("RAM          %s: keys [%s], login %s, Comments %q", name, strings.Join(keys, ", "), l.Cloud.LoginStatus(name), l.Cloud.Comments(name))
}

// nightly runs the reconciler with payload and prints its report.
func nightly(ctx context.Context, l *localrun.Local, tl *timeline, payload string) error {
	raw, _, err := l.Reconcile(ctx, payload)
	if err != nil {
		return err
	}
	var rep provision.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		return err
	}
	c := rep.Counts
	mode := "for real"
	if rep.DryRun {
		mode = "dry run "
	}
	tl.say("reconciler   %s: create %d, update %d, suspend %d, already suspended %d, delete %d, unchanged %d, protected %d; brakes fired: %v; %d SCIM calls",
		mode, c.Create, c.Update, c.Suspend, c.AlreadySuspended, c.Delete, c.Unchanged, c.Protected, rep.Brakes.Fired, rep.SCIMCalls.Total)
	for _, ch := range rep.Changes {
		tl.say("             %-10s %-16s %s %s", ch.Action, ch.UserName, statusOf(ch), ch.Reason)
	}
	for _, p := range rep.Protected {
		tl.say("             kept       %-16s %s", p.UserName, p.Reason)
	}
	return nil
}

func statusOf(e provision.Entry) string {
	if e.Status == provision.StatusDryRun {
		return "(would be done)"
	}
	return string(e.Status)
}
