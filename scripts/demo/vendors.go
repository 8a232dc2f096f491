package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/dingtalk"
	"github.com/ramsync/ramsync/pkg/feishu"
	"github.com/ramsync/ramsync/pkg/localrun"
	"github.com/ramsync/ramsync/pkg/provision"
)

// vendorGrace is LEAVER_GRACE of the vendor tenants: leavers are
// suspended, and stay so for the whole story.
const vendorGrace = "720h"

// vendorsStory plays ramsync with Feishu/Lark, then DingTalk, as the HR
// source (SPEC §4.6): pushes to the real webhook binary's /feishu and
// /dingtalk routes and a nightly feishu:// and dingtalk:// reconcile
// through the real reconciler binary. Each vendor is a company of its
// own: a fresh cloud double (its own RAM) and the vendor's open platform
// double, run with l's binaries, so the main story's users are left
// alone.
func vendorsStory(ctx context.Context, l *localrun.Local, tl *timeline) error {
	if err := feishuStory(ctx, l, tl); err != nil {
		return fmt.Errorf("feishu story: %w", err)
	}
	if err := dingtalkStory(ctx, l, tl); err != nil {
		return fmt.Errorf("dingtalk story: %w", err)
	}
	return nil
}

// vendorTenant starts a company whose HR source is a vendor's app.
func vendorTenant(ctx context.Context, l *localrun.Local, roster string, o localrun.Options) (*localrun.Local, error) {
	o.Binaries = l.Binaries()
	o.Env = map[string]string{"SCIM_RPS": "50", "LEAVER_GRACE": vendorGrace, "OFFBOARD_CLEANUP": "true"}
	o.FuncEnv = map[string]map[string]string{"reconciler": {"ROSTER_URL": roster, "MAX_DELETE_PERCENT": "50"}}
	return localrun.Start(ctx, o)
}

// vendorAnswer summarises a webhook answer on a vendor route.
func vendorAnswer(status int, body []byte) string {
	var a struct {
		Challenge string                          `json:"challenge"`
		Error     *struct{ Code, Message string } `json:"error"`
		Results   []struct {
			Action, UserName, Reason string
			Error                    *struct{ Code, Message string }
		} `json:"results"`
	}
	_ = json.Unmarshal(body, &a)
	switch {
	case a.Challenge != "":
		return fmt.Sprintf("%d {\"challenge\": %q}", status, a.Challenge)
	case a.Error != nil:
		return fmt.Sprintf("%d %s: %.90s", status, a.Error.Code, a.Error.Message)
	case len(a.Results) == 0:
		return fmt.Sprintf("%d, nothing to do", status)
	}
	s := fmt.Sprint(status)
	for _, r := range a.Results {
		if r.Error != nil {
			s += fmt.Sprintf(" %s (%.60s)", r.Error.Code, r.Error.Message)
			continue
		}
		s += " " + r.Action + " " + r.UserName
		if r.Reason != "" {
			s += fmt.Sprintf(" (%.60s)", r.Reason)
		}
	}
	return s
}

// vendorNightly runs the tenant's reconciler and prints the report's counts.
func vendorNightly(ctx context.Context, l *localrun.Local, tl *timeline, label string) error {
	raw, _, err := l.Reconcile(ctx, `{}`)
	if err != nil {
		return err
	}
	var rep provision.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		return err
	}
	c := rep.Counts
	tl.say("reconciler   %-34s → created %d, updated %d, unchanged %d, suspended %d, already suspended %d, skipped %d",
		label, c.Create, c.Update, c.Unchanged, c.Suspend, c.AlreadySuspended, c.Skipped)
	return nil
}

func feishuStory(ctx context.Context, l *localrun.Local, tl *timeline) error {
	tl.step("Another company, on Feishu/Lark: app pushes to POST /feishu, nightly ROSTER_URL=feishu://")
	fl, err := vendorTenant(ctx, l, "feishu://", localrun.Options{Feishu: &cloudtest.FeishuOptions{AppID: "cli_demo_ramsync"}})
	if err != nil {
		return err
	}
	defer fl.Close()
	fs := fl.Feishu
	tl.say("Feishu open platform double at %s; its webhook: %s/feishu", fs.URL, fl.WebhookURL)
	fs.AddDepartment(cloudtest.FeishuDepartment{OpenDepartmentID: "od-rd", ParentID: "0", Name: "R&D"})
	fs.AddDepartment(cloudtest.FeishuDepartment{OpenDepartmentID: "od-sales", ParentID: "0", Name: "Sales"})
	people := []cloudtest.FeishuUser{
		{UserID: "F001", Name: "Li Na", EnterpriseEmail: "li.na@corp.example.com", DepartmentIDs: []string{"od-rd"}},
		{UserID: "F002", Name: "Chen Jie", EnterpriseEmail: "chen.jie@corp.example.com", DepartmentIDs: []string{"od-sales", "od-rd"}},
		{UserID: "F003", Name: "Zhou Min", EnterpriseEmail: "zhou.min@corp.example.com", DepartmentIDs: []string{"od-sales"}},
	}
	for _, u := range people {
		u.Status = &cloudtest.FeishuUserStatus{IsActivated: true}
		fs.AddUser(u)
	}

	send := func(what string, plaintext []byte) error {
		status, body, err := fl.SendFeishu(ctx, plaintext)
		if err != nil {
			return err
		}
		tl.say("feishu       %-34s → %s", what, vendorAnswer(status, body))
		return nil
	}
	app := fl.FeishuApp
	if err := send("URL check (console saves the URL)", app.URLVerification("demo-challenge")); err != nil {
		return err
	}
	for _, u := range people[:2] {
		if err := send("contact.user.created_v3 "+u.UserID, app.Event(cloudtest.FeishuEvent{Type: feishu.EventUserCreated, CreateTime: time.Now(), User: u})); err != nil {
			return err
		}
	}
	resigned := people[1]
	resigned.Status = &cloudtest.FeishuUserStatus{IsResigned: true}
	fs.AddUser(resigned)
	if err := send("contact.user.updated_v3 F002 resigned", app.Event(cloudtest.FeishuEvent{Type: feishu.EventUserUpdated, CreateTime: time.Now(), User: resigned})); err != nil {
		return err
	}
	forged := app.EncryptPush(app.Event(cloudtest.FeishuEvent{Type: feishu.EventUserDeleted, User: cloudtest.FeishuUser{UserID: "F001"}}), time.Now())
	forged.Signature = fmt.Sprintf("%064d", 0)
	status, body, err := fl.PostFeishu(ctx, forged)
	if err != nil {
		return err
	}
	tl.say("feishu       %-34s → %s", "deleted_v3 F001 (forged signature)", vendorAnswer(status, body))
	tl.say("RAM          chen.jie suspended: Comments %q", fl.Cloud.Comments("chen.jie"))
	tl.say("feishu       (F003's created_v3 push never arrived: the nightly pull is the safety net)")

	if err := vendorNightly(ctx, fl, tl, "nightly, ROSTER_URL=feishu://"); err != nil {
		return err
	}
	c := fs.Counters()
	tl.say("feishu       the pull: %d token, %d department-walk and %d find_by_department requests",
		c[cloudtest.FeishuAPIToken], c[cloudtest.FeishuAPIChildren], c[cloudtest.FeishuAPIFindByDepartment])
	printUsers(fl)
	return nil
}

func dingtalkStory(ctx context.Context, l *localrun.Local, tl *timeline) error {
	tl.step("Another company, on DingTalk: HTTP pushes to POST /dingtalk, nightly ROSTER_URL=dingtalk://")
	dl, err := vendorTenant(ctx, l, "dingtalk://", localrun.Options{DingTalk: &cloudtest.DingTalkOptions{}})
	if err != nil {
		return err
	}
	defer dl.Close()
	dt := dl.DingTalk
	tl.say("DingTalk open platform double at %s; its webhook: %s/dingtalk", dt.URL, dl.WebhookURL)
	dt.AddDepartment(2, 1)
	for _, u := range []cloudtest.DingTalkUser{
		{UserID: "0155", Name: "Sun Li", OrgEmail: "sun.li@corp.example.com", Active: true, DeptIDs: []int64{2}},
		{UserID: "0156", Name: "Ma Tao", OrgEmail: "ma.tao@corp.example.com", Active: true, DeptIDs: []int64{1, 2}},
		{UserID: "0157", Name: "He Yun", OrgEmail: "he.yun@corp.example.com", Active: false, DeptIDs: []int64{1}},
	} {
		dt.AddUser(u)
	}
	send := func(what string, msg []byte) error {
		status, body, err := dl.SendDingTalk(ctx, msg)
		if err != nil {
			return err
		}
		res := fmt.Sprintf("%d, DingTalk accepts the reply", status)
		if err := dt.CheckReply(body); err != nil {
			res = vendorAnswer(status, body)
		}
		tl.say("dingtalk     %-34s → %s", what, res)
		return nil
	}
	if err := send("check_url (console saves the URL)", dt.EventMessage(dingtalk.TypeCheckURL, time.Now())); err != nil {
		return err
	}
	if err := send("user_add_org 0155, 0156", dt.EventMessage(dingtalk.TypeUserAdd, time.Now(), "0155", "0156")); err != nil {
		return err
	}
	tl.say("dingtalk     %-34s   RAM users now: %v", "", userNames(dl))
	dt.RemoveUser("0156")
	if err := send("user_leave_org 0156", dt.EventMessage(dingtalk.TypeUserLeave, time.Now(), "0156")); err != nil {
		return err
	}
	tl.say("RAM          ma.tao suspended: Comments %q", dl.Cloud.Comments("ma.tao"))
	q, b := dt.SealPushFor("dingsomeotherapp", dt.EventMessage(dingtalk.TypeUserLeave, time.Now(), "0155"), time.Now())
	status, body, err := dl.PostDingTalk(ctx, q, b)
	if err != nil {
		return err
	}
	tl.say("dingtalk     %-34s → %s", "user_leave_org 0155 (another app)", vendorAnswer(status, body))
	tl.say("dingtalk     (0157 has not activated DingTalk and got no push: still an employee, the nightly pull adds it)")
	if err := vendorNightly(ctx, dl, tl, "nightly, ROSTER_URL=dingtalk://"); err != nil {
		return err
	}
	tl.say("dingtalk     the pull and the pushes: %v requests by API", dt.AllCalls())
	printUsers(dl)
	return nil
}

func userNames(l *localrun.Local) []string {
	var out []string
	for _, u := range l.Cloud.Users() {
		out = append(out, u.UserName)
	}
	return out
}
