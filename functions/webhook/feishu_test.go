package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/feishu"
	"github.com/ramsync/ramsync/pkg/secrets"
	"github.com/ramsync/ramsync/pkg/stacktest"
)

const (
	fsAppID = "cli_a1b2c3"
	fsKey   = "encrypt-key-0123456789"
	fsToken = "verification-token-abc"
)

var fsSecretJSON = `{"appSecret":"app-secret","encryptKey":"` + fsKey + `","verificationToken":"` + fsToken + `"}`

// newFeishuHandler is the webhook with the /feishu route of app fsAppID;
// reads counts the secret reads.
func newFeishuHandler(t *testing.T) (*Handler, *stacktest.Stack, cloudtest.FeishuApp, *int) {
	t.Helper()
	h, s := newHandler(t)
	reads := new(int)
	sec := func(_ context.Context, fresh bool) (feishu.Secret, error) {
		*reads++
		return feishu.ParseSecret(secrets.NewValue(fsSecretJSON))
	}
	h.Vendors = map[string]vendor{RouteFeishu: newFeishuRoute(h, fsAppID, sec)}
	app := cloudtest.FeishuApp{AppID: fsAppID, TenantKey: "t1", EncryptKey: fsKey, VerificationToken: fsToken}
	return h, s, app, reads
}

func sendFeishu(h http.Handler, p cloudtest.FeishuPush) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, RouteFeishu, strings.NewReader(string(p.Body)))
	req.Header = p.Header()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func feishuUser(id, email string, st *cloudtest.FeishuUserStatus) cloudtest.FeishuUser {
	return cloudtest.FeishuUser{UserID: id, OpenID: "ou_" + id, Name: "Li Wei", EnterpriseEmail: email, Status: st}
}

type vendorBody struct {
	Error     *apiError `json:"error"`
	Challenge string    `json:"challenge"`
	Results   []struct {
		EventID    string    `json:"eventId"`
		ExternalID string    `json:"externalId"`
		Action     string    `json:"action"`
		Reason     string    `json:"reason"`
		Status     int       `json:"status"`
		Error      *apiError `json:"error"`
	} `json:"results"`
}

func decodeVendor(t *testing.T, rec *httptest.ResponseRecorder) vendorBody {
	t.Helper()
	var b vendorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatalf("body %q is not JSON: %v", rec.Body.String(), err)
	}
	return b
}

// TestFeishuRoute plays a lifecycle through /feishu: each push answers as
// SPEC §4.6 says and does what the rulebook decides.
func TestFeishuRoute(t *testing.T) {
	h, s, app, _ := newFeishuHandler(t)
	t0 := time.Now()
	ev := func(typ string, u cloudtest.FeishuUser, at time.Time) cloudtest.FeishuPush {
		return app.EncryptPush(app.Event(cloudtest.FeishuEvent{Type: typ, CreateTime: at, User: u}), time.Now())
	}
	tests := []struct {
		name   string
		push   cloudtest.FeishuPush
		status int
		action string // "" for no results
		code   string // a refused result's error code
	}{
		{"hire", ev(feishu.EventUserCreated, feishuUser("F1", "li.wei@corp.example.com", nil), t0), 200, "created", ""},
		{"duplicate", ev(feishu.EventUserCreated, feishuUser("F1", "li.wei@corp.example.com", nil), t0), 200, "unchanged", ""},
		{"move (new email)", ev(feishu.EventUserUpdated, feishuUser("F1", "wei.li@corp.example.com", &cloudtest.FeishuUserStatus{IsActivated: true}), t0.Add(time.Second)), 200, "updated", ""},
		{"frozen without grace", ev(feishu.EventUserUpdated, feishuUser("F1", "wei.li@corp.example.com", &cloudtest.FeishuUserStatus{IsFrozen: true}), t0.Add(2*time.Second)), 200, "skipped", ""},
		{"other event type", ev("contact.department.created_v3", cloudtest.FeishuUser{UserID: "x"}, t0), 200, "", ""},
		{"no user_id", ev(feishu.EventUserDeleted, cloudtest.FeishuUser{OpenID: "ou_x"}, t0), 200, "", "invalid_employee"},
		{"resigned", ev(feishu.EventUserUpdated, feishuUser("F1", "wei.li@corp.example.com", &cloudtest.FeishuUserStatus{IsResigned: true}), t0.Add(3*time.Second)), 200, "deleted", ""},
		{"deleted after", ev(feishu.EventUserDeleted, cloudtest.FeishuUser{UserID: "F1"}, t0.Add(4*time.Second)), 200, "already absent", ""},
	}
	for _, tt := range tests {
		before := s.Server.Counters().SCIMWrites()
		rec := sendFeishu(h, tt.push)
		b := decodeVendor(t, rec)
		if rec.Code != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.name, rec.Code, tt.status, rec.Body.String())
			continue
		}
		if tt.code != "" {
			if len(b.Results) != 1 || b.Results[0].Status != 422 || b.Results[0].Error == nil || b.Results[0].Error.Code != tt.code ||
				b.Results[0].Action != "rejected" || b.Results[0].EventID == "" {
				t.Errorf("%s: results %s, want one rejected with %s, naming its event", tt.name, rec.Body.String(), tt.code)
			}
			if n := s.Server.Counters().SCIMWrites() - before; n != 0 {
				t.Errorf("%s: %d SCIM writes, want none", tt.name, n)
			}
			continue
		}
		if tt.action == "" {
			if len(b.Results) != 0 {
				t.Errorf("%s: results %s, want none", tt.name, rec.Body.String())
			}
			if n := s.Server.Counters().SCIMWrites() - before; n != 0 {
				t.Errorf("%s: %d SCIM writes, want none", tt.name, n)
			}
			continue
		}
		if len(b.Results) != 1 || b.Results[0].Action != tt.action {
			t.Errorf("%s: results %s, want one %q", tt.name, rec.Body.String(), tt.action)
			continue
		}
		if tt.action == "skipped" && !strings.HasPrefix(b.Results[0].Reason, "frozen:") {
			t.Errorf("%s: reason %q, want frozen: …", tt.name, b.Results[0].Reason)
		}
	}
	if _, ok := findUser(s, "F1"); ok {
		t.Error("F1 still has a RAM user after resigning")
	}
}

func findUser(s *stacktest.Stack, externalID string) (cloudtest.User, bool) {
	for _, u := range s.Server.Users() {
		if u.ExternalID == externalID {
			return u, true
		}
	}
	return cloudtest.User{}, false
}

// TestFeishuURLCheck: the URL check answers the challenge in plain JSON,
// signed or not; with the wrong token, 401.
func TestFeishuURLCheck(t *testing.T) {
	h, _, app, _ := newFeishuHandler(t)
	p := app.EncryptPush(app.URLVerification("ch-42"), time.Now())
	if rec := sendFeishu(h, p); rec.Code != 200 || decodeVendor(t, rec).Challenge != "ch-42" {
		t.Errorf("signed URL check: %d %s", rec.Code, rec.Body.String())
	}
	unsigned := p
	unsigned.Timestamp, unsigned.Nonce, unsigned.Signature = "", "", ""
	req := httptest.NewRequest(http.MethodPost, RouteFeishu, strings.NewReader(string(p.Body)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || decodeVendor(t, rec).Challenge != "ch-42" {
		t.Errorf("unsigned URL check: %d %s", rec.Code, rec.Body.String())
	}
	bad := app
	bad.VerificationToken = "other"
	if rec := sendFeishu(h, bad.EncryptPush(bad.URLVerification("ch-43"), time.Now())); rec.Code != 401 {
		t.Errorf("URL check with a wrong token: %d %s", rec.Code, rec.Body.String())
	}
}

// TestFeishuRefusals: what does not authenticate answers 401 with the
// error body and writes nothing; the secret is read past the cache at most
// once a minute however many forgeries come.
func TestFeishuRefusals(t *testing.T) {
	h, s, app, reads := newFeishuHandler(t)
	hire := app.Event(cloudtest.FeishuEvent{Type: feishu.EventUserCreated, User: feishuUser("F2", "f2@corp.example.com", nil)})
	now := time.Now()
	other := app
	other.EncryptKey = "another-key"
	forged := app.EncryptPush(hire, now)
	forged.Signature = strings.Repeat("0", 64)
	tests := []struct {
		name   string
		push   cloudtest.FeishuPush
		status int
		code   string
	}{
		{"forged signature", forged, 401, "unauthorized"},
		{"stale", app.EncryptPush(hire, now.Add(-10*time.Minute)), 401, "unauthorized"},
		{"future", app.EncryptPush(hire, now.Add(10*time.Minute)), 401, "unauthorized"},
		{"wrong key", other.EncryptPush(hire, now), 401, "unauthorized"},
		{"wrong token", app.EncryptPush(app.Event(cloudtest.FeishuEvent{Type: feishu.EventUserCreated, Token: "nope", User: feishuUser("F2", "f2@corp.example.com", nil)}), now), 401, "unauthorized"},
		{"wrong app", app.EncryptPush(app.Event(cloudtest.FeishuEvent{Type: feishu.EventUserCreated, AppID: "cli_other", User: feishuUser("F2", "f2@corp.example.com", nil)}), now), 401, "unauthorized"},
		{"unencrypted", func() cloudtest.FeishuPush {
			p := app.EncryptPush(hire, now)
			p.Body = hire
			p.Signature = cloudtest.FeishuSignature(p.Timestamp, p.Nonce, fsKey, hire)
			return p
		}(), 401, "unauthorized"},
		{"oversized", func() cloudtest.FeishuPush {
			p := app.EncryptPush(hire, now)
			p.Body = []byte(`{"encrypt":"` + strings.Repeat("A", 1<<20) + `"}`)
			return p
		}(), 413, "payload_too_large"},
	}
	for _, tt := range tests {
		rec := sendFeishu(h, tt.push)
		b := decodeVendor(t, rec)
		if rec.Code != tt.status || b.Error == nil || b.Error.Code != tt.code {
			t.Errorf("%s: %d %s, want %d %s", tt.name, rec.Code, rec.Body.String(), tt.status, tt.code)
		}
	}
	if n := s.Server.Counters().SCIMWrites(); n != 0 {
		t.Errorf("refused pushes made %d SCIM writes", n)
	}
	// One cached read per push, plus at most one fresh read (the first
	// read counts as fresh).
	if *reads > len(tests)+1 {
		t.Errorf("%d secret reads for %d pushes", *reads, len(tests))
	}
	for _, m := range []string{http.MethodGet, http.MethodPut} {
		req := httptest.NewRequest(m, RouteFeishu, nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 405 {
			t.Errorf("%s /feishu: %d", m, rec.Code)
		}
	}
}

// TestFeishuTransient: a SCIM outage answers 503 (Feishu retries) and the
// redelivery applies the hire once; an unreadable secret answers 503.
func TestFeishuTransient(t *testing.T) {
	h, s, app, _ := newFeishuHandler(t)
	push := app.EncryptPush(app.Event(cloudtest.FeishuEvent{Type: feishu.EventUserCreated, CreateTime: time.Now(), User: feishuUser("F3", "f3@corp.example.com", nil)}), time.Now())
	s.Server.FailNext(cloudtest.SCIM, 12, cloudtest.Error5xx)
	if rec := sendFeishu(h, push); rec.Code != 503 || decodeVendor(t, rec).Error.Code != "unavailable" {
		t.Fatalf("SCIM down: %d %s, want 503 unavailable", rec.Code, rec.Body.String())
	}
	for range 20 { // Feishu's redeliveries, until what is left of the outage is over
		if rec := sendFeishu(h, push); rec.Code == 200 {
			break
		}
	}
	rec := sendFeishu(h, push)
	if b := decodeVendor(t, rec); rec.Code != 200 || len(b.Results) != 1 || b.Results[0].Action != "unchanged" {
		t.Errorf("redelivery: %d %s, want 200 unchanged", rec.Code, rec.Body.String())
	}
	n := 0
	for _, u := range s.Server.Users() {
		if u.ExternalID == "F3" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d users for F3, want 1", n)
	}

	route := h.Vendors[RouteFeishu].(*feishuRoute)
	route.secret = func(context.Context, bool) (feishu.Secret, error) {
		return feishu.Secret{}, errors.New("secrets: Forbidden.NoPermission reading ramsync/feishu")
	}
	if rec := sendFeishu(h, push); rec.Code != 503 || decodeVendor(t, rec).Error.Code != "misconfigured" {
		t.Errorf("unreadable secret: %d %s, want 503 misconfigured", rec.Code, rec.Body.String())
	}
}

// TestVendorRoutesOff: a vendor route that is not configured answers 404
// with the error body; other paths stay ramsync's own format.
func TestVendorRoutesOff(t *testing.T) {
	h, s := newHandler(t)
	for _, p := range []string{"/feishu", "/dingtalk", "/feishu/"} {
		rec := post(withPath(h, p), hire("E1", "a@example.com"), true)
		var b vendorBody
		_ = json.Unmarshal(rec.Body.Bytes(), &b)
		if rec.Code != 404 || b.Error == nil || b.Error.Code != "not_found" {
			t.Errorf("%s: %d %s, want 404 not_found", p, rec.Code, rec.Body.String())
		}
	}
	if n := s.Server.Counters().SCIMWrites(); n != 0 {
		t.Errorf("%d SCIM writes", n)
	}
	if rec := post(withPath(h, "/hr"), hire("E1", "a@example.com"), true); rec.Code != 200 {
		t.Errorf("/hr: %d %s, want the native route's 200", rec.Code, rec.Body.String())
	}
}

// withPath sends every request to path.
func withPath(h http.Handler, path string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.URL.Path = path
		h.ServeHTTP(w, r)
	})
}

// TestFeishuFreezeResume: with LEAVER_GRACE > 0 a frozen user is
// suspended, an active update resumes it (vendors send no return event),
// and a resignation suspends it again.
func TestFeishuFreezeResume(t *testing.T) {
	h, s, app, _ := newFeishuHandler(t)
	h.Engine.Rules.Grace = 24 * time.Hour
	t0 := time.Now()
	u := func(st *cloudtest.FeishuUserStatus) cloudtest.FeishuUser {
		return feishuUser("F4", "f4@corp.example.com", st)
	}
	steps := []struct {
		typ    string
		user   cloudtest.FeishuUser
		action string
	}{
		{feishu.EventUserCreated, u(nil), "created"},
		{feishu.EventUserUpdated, u(&cloudtest.FeishuUserStatus{IsFrozen: true}), "suspended"},
		{feishu.EventUserUpdated, u(&cloudtest.FeishuUserStatus{IsFrozen: true}), "already suspended"},
		{feishu.EventUserUpdated, u(&cloudtest.FeishuUserStatus{IsActivated: true}), "resumed"},
		{feishu.EventUserUpdated, u(&cloudtest.FeishuUserStatus{IsResigned: true}), "suspended"},
	}
	for i, st := range steps {
		at := t0.Add(time.Duration(i) * time.Second)
		rec := sendFeishu(h, app.EncryptPush(app.Event(cloudtest.FeishuEvent{Type: st.typ, CreateTime: at, User: st.user}), time.Now()))
		b := decodeVendor(t, rec)
		if rec.Code != 200 || len(b.Results) != 1 || b.Results[0].Action != st.action {
			t.Errorf("step %d: %d %s, want %s", i, rec.Code, rec.Body.String(), st.action)
		}
	}
	if u, ok := findUser(s, "F4"); !ok {
		t.Error("the suspended user is gone")
	} else if ram, ok := s.Server.User(u.ID); !ok || ram.ExternalID != "F4" {
		t.Error("cannot read the suspended user back")
	}
}

// TestFeishuRotatedKey: after the Encrypt Key is rotated in Secrets
// Manager, the first push under the new key reads the secret past the
// cache once and is accepted; forgeries after it read nothing more within
// the minute.
func TestFeishuRotatedKey(t *testing.T) {
	h, _, app, _ := newFeishuHandler(t)
	now := time.Now()
	h.Now = func() time.Time { return now }
	route := h.Vendors[RouteFeishu].(*feishuRoute)
	route.now = h.Now
	rotated := `{"appSecret":"app-secret","encryptKey":"new-key","verificationToken":"` + fsToken + `"}`
	var fresh, cached int
	route.secret = func(_ context.Context, f bool) (feishu.Secret, error) {
		if f {
			fresh++
			return feishu.ParseSecret(secrets.NewValue(rotated))
		}
		cached++
		return feishu.ParseSecret(secrets.NewValue(fsSecretJSON)) // the cache still holds the old key
	}
	newApp := app
	newApp.EncryptKey = "new-key"
	hire := newApp.Event(cloudtest.FeishuEvent{Type: feishu.EventUserCreated, User: feishuUser("F5", "f5@corp.example.com", nil)})
	// The instance's first read counts as fresh: no re-read yet.
	if rec := sendFeishu(h, newApp.EncryptPush(hire, now)); rec.Code != 401 {
		t.Fatalf("first push under the new key: %d, want 401 (no re-read within a minute of the first read)", rec.Code)
	}
	now = now.Add(61 * time.Second)
	if rec := sendFeishu(h, newApp.EncryptPush(hire, now)); rec.Code != 200 {
		t.Fatalf("push under the new key a minute later: %d %s, want 200", rec.Code, rec.Body.String())
	}
	forged := newApp.EncryptPush(hire, now)
	forged.Signature = strings.Repeat("1", 64)
	for range 20 {
		sendFeishu(h, forged)
	}
	if fresh != 1 {
		t.Errorf("%d fresh reads, want 1", fresh)
	}
}
