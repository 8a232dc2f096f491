package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/config"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/provision"
	"github.com/ramsync/ramsync/pkg/secrets"
	"github.com/ramsync/ramsync/pkg/stacktest"
	"github.com/ramsync/ramsync/pkg/wire"
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

// clock is a settable time for the handler's once-a-minute limit.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// postSigned sends body signed with k at the handler's clock.
func postSigned(h *Handler, body string, header string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	if header != "" {
		req.Header.Set(hr.SignatureHeader, header)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestWebhookKeyRotationRefreshesOncePerMinute: a request signed with a
// key rotated in Secrets Manager makes the handler re-read the key (once);
// correctly formed requests with wrong signatures and a fresh t, the
// kind that may trigger that re-read, trigger at most one a minute, and
// malformed or stale ones none. Every wrong signature here is a real
// HMAC under a wrong key, with a fresh t: only the once-a-minute limit
// stands between them and a Secrets Manager read each.
func TestWebhookKeyRotationRefreshesOncePerMinute(t *testing.T) {
	h, _ := newHandler(t)
	clk := &clock{t: time.Now()}
	h.Now = clk.Now
	newKey, wrongKey := secrets.NewValue("whsec-new"), secrets.NewValue("whsec-forger")
	var reads, fresh int
	rotated := false
	h.Keys = func(_ context.Context, f bool) ([]secrets.Value, error) {
		reads++
		if f {
			fresh++
			rotated = true
		}
		if rotated {
			return []secrets.Value{newKey}, nil
		}
		return []secrets.Value{key}, nil
	}
	body := hire("E1", "a@example.com")
	sign := func(k secrets.Value) string { return hr.Sign(k, clk.Now(), []byte(body)) }
	steps := []struct {
		name      string
		advance   time.Duration
		header    func() string
		status    int
		wantFresh int
	}{
		{"first request, current key", 0, func() string { return sign(key) }, 200, 0},
		{"forged at once: the first read counts as fresh", time.Second, func() string { return sign(wrongKey) }, 401, 0},
		{"a minute on, signed with the rotated key", time.Minute, func() string { return sign(newKey) }, 200, 1},
		{"forged 1", time.Second, func() string { return sign(wrongKey) }, 401, 1},
		{"forged 2", 10 * time.Second, func() string { return sign(wrongKey) }, 401, 1},
		{"forged 3", 10 * time.Second, func() string { return sign(wrongKey) }, 401, 1},
		{"forged 4", 10 * time.Second, func() string { return sign(wrongKey) }, 401, 1},
		{"forged 5", 10 * time.Second, func() string { return sign(wrongKey) }, 401, 1},
		{"forged a minute after the last read", 20 * time.Second, func() string { return sign(wrongKey) }, 401, 2},
		{"forged again at once", time.Second, func() string { return sign(wrongKey) }, 401, 2},
		{"a minute on, stale t", time.Minute, func() string { return hr.Sign(wrongKey, clk.Now().Add(-time.Hour), []byte(body)) }, 401, 2},
		{"future t", time.Second, func() string { return hr.Sign(wrongKey, clk.Now().Add(time.Hour), []byte(body)) }, 401, 2},
		{"malformed: short v1", time.Second, func() string { return fmt.Sprintf("t=%d,v1=abcd", clk.Now().Unix()) }, 401, 2},
		{"malformed: no t", time.Second, func() string { return "v1=" + strings.Repeat("ab", 32) }, 401, 2},
		{"missing header", time.Second, func() string { return "" }, 401, 2},
		{"then a formed forgery may read again", time.Second, func() string { return sign(wrongKey) }, 401, 3},
	}
	for _, st := range steps {
		clk.Add(st.advance)
		rec := postSigned(h, body, st.header())
		if rec.Code != st.status || fresh != st.wantFresh {
			t.Errorf("%s: status %d, fresh key reads %d; want %d, %d (%s)", st.name, rec.Code, fresh, st.status, st.wantFresh, rec.Body.String())
		}
	}
	if reads != len(steps)+fresh {
		t.Errorf("key reads %d, want one cached read per request plus %d fresh", reads, fresh)
	}
}

// TestForgedRequestsOnAFreshInstance: 100 forged requests (well-formed,
// fresh t, wrong MAC) to a new handler whose keys come from the real
// Secrets Manager client against the KMS double, as main wires them. The
// instance reads the key once; nothing else reaches KMS, OAuth or SCIM.
// With the clock moving a second per request (100 s in all), one more
// read is allowed, after a minute: at most 2 for the one secret.
func TestForgedRequestsOnAFreshInstance(t *testing.T) {
	const secretName = "ramsync/webhook-signing-key"
	for _, tt := range []struct {
		name, suite string
		step        time.Duration
		maxReads    int64
	}{
		{"all within a minute", "forged-burst", 0, 1},
		{"a second apart, 100 s", "forged-100s", time.Second, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, s := newHandler(t)
			s.Server.SetSecret(secretName, key.Reveal())
			clk := &clock{t: time.Now()}
			h.Now = clk.Now
			h.Keys = signingKeys(&wire.Clients{Secrets: s.Secrets}, config.Webhook{SigningSecretName: secretName})
			s.Server.ResetCounters()
			forger := secrets.NewValue("whsec-guess")
			body := hire("E1", "a@example.com")
			for i := range 100 {
				rec := postSigned(h, body, hr.Sign(forger, clk.Now(), []byte(body)))
				if rec.Code != 401 {
					t.Fatalf("forgery %d: status %d, want 401: %s", i, rec.Code, rec.Body.String())
				}
				clk.Add(tt.step)
			}
			c := s.Server.Counters()
			if n := c["kms.GetSecretValue"]; n < 1 || n > tt.maxReads {
				t.Errorf("KMS reads = %d after 100 forgeries, want 1 to %d", n, tt.maxReads)
			}
			if n := c.Service(cloudtest.OAuth) + c.SCIM(); n != 0 {
				t.Errorf("forgeries reached OAuth or SCIM: %d requests", n)
			}
			t.Logf("RELIABILITY suite=%s forgeries=100 kms_reads=%d max_kms_reads=%d scim_requests=%d scim_writes=%d",
				tt.suite, c["kms.GetSecretValue"], tt.maxReads, c.SCIM(), c.SCIMWrites())
		})
	}
}

// TestSigningKeyProblemsAnswer503: a key that cannot be read or is empty
// is the deployment's fault, not the sender's: 503, so the HR system
// retries the event instead of dropping it as after a 401. Nothing is
// written.
func TestSigningKeyProblemsAnswer503(t *testing.T) {
	tests := []struct {
		name string
		keys func(context.Context, bool) ([]secrets.Value, error)
		code string
	}{
		{"secret empty", func(context.Context, bool) ([]secrets.Value, error) { return nil, nil }, "misconfigured"},
		{"secret only blank lines", func(context.Context, bool) ([]secrets.Value, error) {
			return SplitKeys(secrets.NewValue("\n  \n")), nil
		}, "misconfigured"},
		{"secret unreadable", func(context.Context, bool) ([]secrets.Value, error) {
			return nil, errors.New("secrets: Forbidden.NoPermission reading ramsync/webhook-signing-key")
		}, "misconfigured"},
		{"KMS throttled", func(context.Context, bool) ([]secrets.Value, error) {
			return nil, context.DeadlineExceeded
		}, "unavailable"},
	}
	var got503, writes int64
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, s := newHandler(t)
			h.Keys = tt.keys
			rec := post(h, hire("E1", "a@example.com"), true)
			if rec.Code != 503 || !strings.Contains(rec.Body.String(), `"code":"`+tt.code+`"`) {
				t.Errorf("status %d %s, want 503 %s", rec.Code, rec.Body.String(), tt.code)
			} else {
				got503++
			}
			n := s.Server.Counters().SCIMWrites()
			writes += n
			if n != 0 {
				t.Errorf("%d SCIM writes", n)
			}
		})
	}
	t.Run("secret missing in Secrets Manager", func(t *testing.T) {
		h, s := newHandler(t)
		h.Keys = signingKeys(&wire.Clients{Secrets: s.Secrets}, config.Webhook{SigningSecretName: "ramsync/not-created"})
		rec := post(h, hire("E1", "a@example.com"), true)
		if rec.Code != 503 || !strings.Contains(rec.Body.String(), `"code":"misconfigured"`) {
			t.Errorf("status %d %s, want 503 misconfigured", rec.Code, rec.Body.String())
		} else {
			got503++
		}
		writes += s.Server.Counters().SCIMWrites()
	})
	t.Logf("RELIABILITY suite=missing-key cases=%d status_503=%d scim_writes=%d", len(tests)+1, got503, writes)
}

// TestDuplicateKeyBomb: a signed 1 MiB body repeating one key 170,000
// times deep inside the employee is refused (400, the first duplicate
// named) with no SCIM request at all.
func TestDuplicateKeyBomb(t *testing.T) {
	h, s := newHandler(t)
	const depth = 60
	head := `{"type":"employee.hired","employee":{"id":"E1","email":"a@example.com","x":` + strings.Repeat("[", depth) + `{"a":1`
	tail := `}` + strings.Repeat("]", depth) + `}}`
	body := head + strings.Repeat(`,"a":1`, (hr.MaxBodyBytes-len(head)-len(tail))/6) + tail
	rec := post(h, body, true)
	c := s.Server.Counters()
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "duplicate key") || c.SCIM() != 0 {
		t.Errorf("status %d %.200s, %d SCIM requests; want 400 naming the duplicate key and none", rec.Code, rec.Body.String(), c.SCIM())
	}
	t.Logf("RELIABILITY suite=dup-key-bomb bytes=%d status=%d scim_requests=%d scim_writes=%d", len(body), rec.Code, c.SCIM(), c.SCIMWrites())
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
