package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/dingtalk"
	"github.com/ramsync/ramsync/pkg/secrets"
	"github.com/ramsync/ramsync/pkg/stacktest"
)

// newDingTalkHandler is the webhook with the /dingtalk route of the
// double's app.
func newDingTalkHandler(t *testing.T) (*Handler, *stacktest.Stack, *cloudtest.DingTalk) {
	t.Helper()
	h, s := newHandler(t)
	dt := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{RateLimit: -1})
	t.Cleanup(dt.Close)
	o := dt.Options()
	sec := func(context.Context, bool) (dingtalk.Secret, error) {
		return dingtalk.ParseSecret(secrets.NewValue(fmt.Sprintf(`{"appSecret":%q,"aesKey":%q,"token":%q}`, o.AppSecret, o.AESKey, o.Token)))
	}
	client, err := dingtalk.NewClient(dingtalk.Config{AppKey: o.AppKey, Endpoint: dt.URL, HTTPClient: dt.Client(),
		Secret: func(ctx context.Context) (dingtalk.Secret, error) { return sec(ctx, false) }, RetryWait: time.Millisecond, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	h.Vendors = map[string]vendor{RouteDingTalk: newDingTalkRoute(h, o.AppKey, sec, client)}
	return h, s, dt
}

func sendDingTalk(h http.Handler, q url.Values, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, RouteDingTalk+"?"+q.Encode(), strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestDingTalkRoute: check_url, a joiner, a move, a duplicate, a leaver
// and a user DingTalk no longer knows, each answered with the encrypted
// success DingTalk checks, and applied as the rulebook decides.
func TestDingTalkRoute(t *testing.T) {
	h, s, dt := newDingTalkHandler(t)
	dt.AddUser(cloudtest.DingTalkUser{UserID: "D1", Name: "Li Wei", OrgEmail: "li.wei@corp.example.com", DeptIDs: []int64{1}})
	t0 := time.Now()
	steps := []struct {
		name  string
		msg   []byte
		setup func()
		want  string // the RAM userName of D1 after, "" for none
	}{
		{"check_url", dt.EventMessage(dingtalk.TypeCheckURL, t0), nil, ""},
		{"joiner", dt.EventMessage(dingtalk.TypeUserAdd, t0, "D1"), nil, "li.wei"},
		{"duplicate", dt.EventMessage(dingtalk.TypeUserAdd, t0, "D1"), nil, "li.wei"},
		{"gone user", dt.EventMessage(dingtalk.TypeUserAdd, t0, "D404"), nil, "li.wei"},
		{"move", dt.EventMessage(dingtalk.TypeUserModify, t0.Add(time.Second), "D1"), func() {
			dt.AddUser(cloudtest.DingTalkUser{UserID: "D1", Name: "Li Wei", OrgEmail: "wei.li@corp.example.com", DeptIDs: []int64{1}})
		}, "wei.li"},
		{"leaver", dt.EventMessage(dingtalk.TypeUserLeave, t0.Add(2*time.Second), "D1"), func() { dt.RemoveUser("D1") }, ""},
		{"leaver again", dt.EventMessage(dingtalk.TypeUserLeave, t0.Add(2*time.Second), "D1"), nil, ""},
	}
	for _, st := range steps {
		if st.setup != nil {
			st.setup()
		}
		q, body := dt.SealPush(st.msg, time.Now())
		rec := sendDingTalk(h, q, body)
		if rec.Code != 200 {
			t.Errorf("%s: %d %s, want 200", st.name, rec.Code, rec.Body.String())
			continue
		}
		if err := dt.CheckReply(rec.Body.Bytes()); err != nil {
			t.Errorf("%s: DingTalk would not accept the answer: %v", st.name, err)
		}
		u, ok := findUser(s, "D1")
		if got := map[bool]string{true: u.UserName}[ok]; got != st.want {
			t.Errorf("%s: D1's user is %q, want %q", st.name, got, st.want)
		}
	}
	if !strings.Contains(s.Logs.String(), `"externalId":"D404"`) {
		t.Error("the gone user's refusal is not in the log")
	}
	// DingTalk's answer is a fixed "success": the results are in the log.
	if !strings.Contains(s.Logs.String(), `"msg":"vendor push applied","route":"/dingtalk","eventType":"user_add_org","events":1,"results":["\"D1\" created"]`) {
		t.Error("the joiner's result is not in the log")
	}
}

// TestDingTalkRefusals: pushes that do not authenticate never get the
// success answer and write nothing.
func TestDingTalkRefusals(t *testing.T) {
	h, s, dt := newDingTalkHandler(t)
	dt.AddUser(cloudtest.DingTalkUser{UserID: "D2", Name: "Wang Fang", OrgEmail: "wang.fang@corp.example.com", DeptIDs: []int64{1}})
	msg := dt.EventMessage(dingtalk.TypeUserAdd, time.Now(), "D2")
	seal := func(at time.Time) (url.Values, []byte) { return dt.SealPush(msg, at) }
	tests := []struct {
		name   string
		push   func() (url.Values, []byte)
		status int
	}{
		{"no signature", func() (url.Values, []byte) {
			q, b := seal(time.Now())
			q.Del("signature")
			q.Del("msg_signature")
			return q, b
		}, 401},
		{"forged signature", func() (url.Values, []byte) {
			q, b := seal(time.Now())
			q.Set("signature", strings.Repeat("a", 40))
			q.Set("msg_signature", strings.Repeat("a", 40))
			return q, b
		}, 401},
		{"stale", func() (url.Values, []byte) { return seal(time.Now().Add(-time.Hour)) }, 401},
		{"wrong app key", func() (url.Values, []byte) { return dt.SealPushFor("dingotherapp", msg, time.Now()) }, 401},
		{"not encrypted", func() (url.Values, []byte) { q, _ := seal(time.Now()); return q, msg }, 401},
		{"too large", func() (url.Values, []byte) {
			q, _ := seal(time.Now())
			return q, []byte(`{"encrypt":"` + strings.Repeat("A", 1<<20) + `"}`)
		}, 413},
	}
	for _, tt := range tests {
		q, b := tt.push()
		rec := sendDingTalk(h, q, b)
		if rec.Code != tt.status || dt.CheckReply(rec.Body.Bytes()) == nil || !strings.Contains(rec.Body.String(), `"error"`) {
			t.Errorf("%s: %d %s, want %d with the error body", tt.name, rec.Code, rec.Body.String(), tt.status)
		}
	}
	if n := s.Server.Counters().SCIMWrites(); n != 0 {
		t.Errorf("%d SCIM writes", n)
	}
	if n := dt.Calls(dingtalk.APIUserGet); n != 0 {
		t.Errorf("refused pushes fetched %d users", n)
	}
}

// TestDingTalkTransient: DingTalk's user API or SCIM down answers 503 (no
// success, DingTalk retries); the redelivery applies the joiner once.
func TestDingTalkTransient(t *testing.T) {
	h, s, dt := newDingTalkHandler(t)
	dt.AddUser(cloudtest.DingTalkUser{UserID: "D3", Name: "Zhang San", OrgEmail: "zhang.san@corp.example.com", DeptIDs: []int64{1}})
	msg := dt.EventMessage(dingtalk.TypeUserAdd, time.Now(), "D3")
	dt.Fail(dingtalk.APIUserGet, 1, 2, cloudtest.DingTalkFault{Status: 502})
	q, b := dt.SealPush(msg, time.Now())
	if rec := sendDingTalk(h, q, b); rec.Code != 503 || dt.CheckReply(rec.Body.Bytes()) == nil {
		t.Errorf("user API down: %d %s, want 503", rec.Code, rec.Body.String())
	}
	s.Server.FailNext(cloudtest.SCIM, 12, cloudtest.Error5xx)
	q, b = dt.SealPush(msg, time.Now())
	if rec := sendDingTalk(h, q, b); rec.Code != 503 || dt.CheckReply(rec.Body.Bytes()) == nil {
		t.Errorf("SCIM down: %d %s, want 503", rec.Code, rec.Body.String())
	}
	ok := false
	for range 20 {
		q, b = dt.SealPush(msg, time.Now())
		if rec := sendDingTalk(h, q, b); rec.Code == 200 && dt.CheckReply(rec.Body.Bytes()) == nil {
			ok = true
			break
		}
	}
	n := 0
	for _, u := range s.Server.Users() {
		if u.ExternalID == "D3" {
			n++
		}
	}
	if !ok || n != 1 {
		t.Errorf("after the outage: success %v, %d users for D3, want one", ok, n)
	}
}
