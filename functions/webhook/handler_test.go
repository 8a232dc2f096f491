package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/provision"
	"github.com/ramsync/ramsync/pkg/secrets"
	"github.com/ramsync/ramsync/pkg/stacktest"
)

var key = secrets.NewValue("whsec-test-0123456789abcdef")

func newHandler(t *testing.T) (*Handler, *stacktest.Stack) {
	t.Helper()
	srv := cloudtest.NewServer(cloudtest.Options{})
	t.Cleanup(srv.Close)
	s, err := stacktest.New(srv)
	if err != nil {
		t.Fatal(err)
	}
	e := s.Engine
	e.Rules.Protected = provision.ParseProtected("root.ops")
	h := &Handler{
		Engine:    e,
		Keys:      func(context.Context, bool) ([]secrets.Value, error) { return []secrets.Value{key}, nil },
		Tolerance: 5 * time.Minute,
		Log:       s.Log,
	}
	return h, s
}

func post(h http.Handler, body string, sign bool) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	if sign {
		req.Header.Set(hr.SignatureHeader, hr.Sign(key, time.Now(), []byte(body)))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func hire(id, email string) string {
	return `{"id":"evt-` + id + `","type":"employee.hired","occurredAt":"2026-11-27T09:00:00Z","employee":{"id":"` + id + `","email":"` + email + `","displayName":"Li Wei","status":"active","department":"R&D"}}`
}

func TestWebhookResponses(t *testing.T) {
	h, s := newHandler(t)
	s.Server.SeedUser(cloudtest.User{UserName: "admin", DisplayName: "Admin"})
	s.Server.SeedUser(cloudtest.User{ExternalID: "E9", UserName: "root.ops", DisplayName: "Root"})
	tests := []struct {
		name   string
		method string
		body   string
		sign   bool
		status int
		code   string
		action string
	}{
		{"hire", "POST", hire("E1", "li.wei@example.com"), true, 200, "", "created"},
		{"redelivery", "POST", hire("E1", "li.wei@example.com"), true, 200, "", "unchanged"},
		{"rename", "POST", strings.Replace(strings.Replace(hire("E1", "wei.li@example.com"), "hired", "updated", 1), "evt-E1", "evt-2", 1), true, 200, "", "updated"},
		{"unsigned", "POST", hire("E2", "x@example.com"), false, 401, "unauthorized", ""},
		{"GET", "GET", "", true, 405, "method_not_allowed", ""},
		{"not JSON", "POST", "hello", true, 400, "bad_request", ""},
		{"unknown type", "POST", `{"type":"employee.promoted","employee":{"id":"E3"}}`, true, 400, "bad_request", ""},
		{"no employee id", "POST", `{"type":"employee.hired","employee":{"email":"a@x"}}`, true, 422, "invalid_employee", ""},
		{"userName breaks RAM rules", "POST", hire("E4", "li+wei@example.com"), true, 422, "invalid_employee", ""},
		{"name held by a hand-made user", "POST", hire("E5", "admin@example.com"), true, 409, "conflict", ""},
		{"protected", "POST", `{"type":"employee.updated","employee":{"id":"E9","email":"root.ops2@example.com"}}`, true, 409, "protected", ""},
		{"too large", "POST", `{"type":"employee.hired","employee":{"id":"E6","x":"` + strings.Repeat("a", hr.MaxBodyBytes) + `"}}`, true, 413, "payload_too_large", ""},
		{"terminate", "POST", `{"type":"employee.terminated","employee":{"id":"E1"}}`, true, 200, "", "deleted"},
		{"terminate again", "POST", `{"type":"employee.terminated","employee":{"id":"E1"}}`, true, 200, "", "already absent"},
		{"late update", "POST", `{"type":"employee.updated","employee":{"id":"E1","email":"wei.li@example.com"}}`, true, 200, "", "skipped"},
	}
	for _, tt := range tests {
		writes := s.Server.Counters().SCIMWrites()
		req := httptest.NewRequest(tt.method, "/", strings.NewReader(tt.body))
		if tt.sign {
			req.Header.Set(hr.SignatureHeader, hr.Sign(key, time.Now(), []byte(tt.body)))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var body struct {
			Error   *apiError         `json:"error"`
			Results []json.RawMessage `json:"results"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s: body %q is not JSON: %v", tt.name, rec.Body.String(), err)
		}
		if rec.Code != tt.status {
			t.Errorf("%s: status %d, want %d; body %s", tt.name, rec.Code, tt.status, rec.Body.String())
			continue
		}
		if rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s: Content-Type %q", tt.name, rec.Header().Get("Content-Type"))
		}
		if tt.code != "" {
			if body.Error == nil || body.Error.Code != tt.code || body.Error.Message == "" {
				t.Errorf("%s: error %+v, want code %s with a message", tt.name, body.Error, tt.code)
			}
			if n := s.Server.Counters().SCIMWrites() - writes; n != 0 {
				t.Errorf("%s: a rejected request made %d SCIM writes", tt.name, n)
			}
			continue
		}
		var r struct {
			Action, ExternalID, UserName, ID string
		}
		if len(body.Results) != 1 || json.Unmarshal(body.Results[0], &r) != nil || r.Action != tt.action {
			t.Errorf("%s: results %s, want one with action %q", tt.name, rec.Body.String(), tt.action)
		}
	}
}

func TestWebhookBatch(t *testing.T) {
	h, s := newHandler(t)
	body := `{"events":[` + hire("E1", "a@example.com") + `,{"id":"bad","type":"employee.fired","employee":{"id":"E2"}},` +
		hire("E3", "c@example.com") + `,` + hire("E4", "d+x@example.com") + `]}`
	rec := post(h, body, true)
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
	}
	var out struct {
		Results []struct {
			EventID, ExternalID, Action string
			Status                      int
			Error                       *apiError
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Results) != 4 {
		t.Fatalf("results = %s", rec.Body.String())
	}
	r := out.Results
	if r[0].Action != "created" || r[2].Action != "created" {
		t.Errorf("good events: %+v", r)
	}
	if r[1].EventID != "bad" || r[1].Status != 400 || r[1].Error == nil || r[1].Error.Code != "bad_request" {
		t.Errorf("bad event: %+v", r[1])
	}
	if r[3].ExternalID != "E4" || r[3].Status != 422 || r[3].Error == nil || r[3].Error.Code != "invalid_employee" {
		t.Errorf("invalid employee: %+v", r[3])
	}
	if n := len(s.Server.Users()); n != 2 {
		t.Errorf("users = %d, want the 2 good ones", n)
	}
	// 101 events is refused whole.
	var evs []string
	for range 101 {
		evs = append(evs, hire("E1", "a@example.com"))
	}
	writes := s.Server.Counters().SCIMWrites()
	if rec := post(h, `{"events":[`+strings.Join(evs, ",")+`]}`, true); rec.Code != 400 || s.Server.Counters().SCIMWrites() != writes {
		t.Errorf("batch of 101: %d %s", rec.Code, rec.Body.String())
	}
}

func TestWebhookUnavailable(t *testing.T) {
	h, s := newHandler(t)
	post(h, hire("E0", "warm@example.com"), true)
	s.Server.FailNext(cloudtest.SCIM, 100, cloudtest.Error5xx)
	rec := post(h, hire("E1", "a@example.com"), true)
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), `"code":"unavailable"`) {
		t.Errorf("SCIM down: %d %s", rec.Code, rec.Body.String())
	}
}

func TestWebhookKeyRotationRefreshesOncePerMinute(t *testing.T) {
	h, _ := newHandler(t)
	newKey := secrets.NewValue("whsec-new")
	fresh := 0
	h.Keys = func(_ context.Context, f bool) ([]secrets.Value, error) {
		if f {
			fresh++
			return []secrets.Value{newKey}, nil
		}
		return []secrets.Value{key}, nil
	}
	body := hire("E1", "a@example.com")
	req := httptest.NewRequest("POST", "/", strings.NewReader(body))
	req.Header.Set(hr.SignatureHeader, hr.Sign(newKey, time.Now(), []byte(body)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || fresh != 1 {
		t.Fatalf("signed with the rotated key: %d (fresh reads %d)", rec.Code, fresh)
	}
	for range 5 {
		post(h, body, false)
	}
	if fresh != 1 {
		t.Errorf("unsigned requests caused %d fresh key reads, want none (at most one a minute)", fresh-1)
	}
}

func TestSplitKeys(t *testing.T) {
	keys := SplitKeys(secrets.NewValue(" old-key \n\nnew-key\n"))
	if len(keys) != 2 || keys[0].Reveal() != "old-key" || keys[1].Reveal() != "new-key" {
		t.Errorf("keys = %d", len(keys))
	}
}

type (
	contextT = context.Context
	secretT  = secrets.Value
)
