package cloudtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// post sends a SCIM create and returns the status, or the transport error.
func post(s *Server, tok, userName string) (int, http.Header, error) {
	b, _ := json.Marshal(userBody(userName, "x", ""))
	req, _ := http.NewRequest("POST", s.SCIMURL+"/Users", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := s.Client().Do(req)
	if err != nil {
		return 0, nil, err
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header, nil
}

func TestFailNextSCIM(t *testing.T) {
	s := start(t, Options{})
	tok := token(t, s)
	tests := []struct {
		kind       FaultKind
		wantStatus int // 0: connection dropped
		created    bool
	}{
		{Error5xx, 503, false},
		{Throttle, 429, false},
		{ErrorAfter, 500, true},
		{DropBefore, 0, false},
		{DropAfter, 0, true},
	}
	for i, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			name := fmt.Sprintf("fault%d", i)
			s.FailNext(SCIM, 1, tt.kind)
			status, h, err := post(s, tok, name)
			if tt.wantStatus == 0 {
				if err == nil {
					t.Fatalf("got status %d, want a dropped connection", status)
				}
			} else if err != nil || status != tt.wantStatus {
				t.Fatalf("status %d, err %v; want %d", status, err, tt.wantStatus)
			}
			if tt.kind == Throttle && h.Get("Retry-After") != "1" {
				t.Errorf("Retry-After = %q", h.Get("Retry-After"))
			}
			if _, ok := s.UserByName(name); ok != tt.created {
				t.Errorf("user created = %v, want %v", ok, tt.created)
			}
			// The next request is served normally.
			if status, _, err := post(s, tok, name+"b"); err != nil || status != 201 {
				t.Errorf("after the fault: %d %v", status, err)
			}
		})
	}
	c := s.Counters()
	if c["scim.create"] != 10 || c["scim.create.dropped"] != 2 || c["scim.create.503"] != 1 || c["scim.create.500"] != 1 || c["scim.create.201"] != 5 {
		t.Errorf("counters: %v", c)
	}
	s.ResetCounters()
	if c := s.Counters(); len(c) != 0 {
		t.Errorf("after reset: %v", c)
	}
}

func TestFailNextOtherServices(t *testing.T) {
	s := start(t, Options{})
	s.SeedUser(User{UserName: "u", DisplayName: "U"})
	s.SetFaults(KMS, Faults{RetryAfter: 2500 * time.Millisecond})
	name := map[string]string{"SecretName": s.Options().SecretName}

	s.FailNext(KMS, 1, Error5xx)
	s.FailNext(KMS, 1, Throttle)
	s.FailNextError(KMS, 1, 403, "Forbidden.NoPermission")
	checkRPCError(t, KMS, kmsCall(t, s, name, nil), 503, "ServiceUnavailableTemporary")
	r := kmsCall(t, s, name, nil)
	checkRPCError(t, KMS, r, 429, "Rejected.Throttling")
	if r.header.Get("Retry-After") != "3" {
		t.Errorf("Retry-After = %q, want 3 (2.5 s rounded up)", r.header.Get("Retry-After"))
	}
	checkRPCError(t, KMS, kmsCall(t, s, name, nil), 403, "Forbidden.NoPermission")
	s.FailNext(KMS, 1, ErrorAfter)
	checkRPCError(t, KMS, kmsCall(t, s, name, nil), 500, "InternalFailure")
	if r := kmsCall(t, s, name, nil); r.status != 200 {
		t.Errorf("after the faults: %d", r.status)
	}

	s.FailNext(RAM, 2, Throttle)
	s.FailNext(RAM, 1, Error5xx)
	q := func() response {
		return callRPC(t, s, s.RAMEndpoint, rpcRequest(s, "POST", "GetUser", "2015-05-01", map[string]string{"UserName": "u"}, nil))
	}
	checkRPCError(t, RAM, q(), 429, "Throttling.User")
	checkRPCError(t, RAM, q(), 429, "Throttling.User")
	checkRPCError(t, RAM, q(), 503, "ServiceUnavailable")
	if log := s.RAMLog(); len(log) != 3 || log[0].Code != "Throttling.User" || log[2].Status != 503 || log[2].UserName != "u" {
		t.Errorf("RAM log: %+v", log)
	}

	s.FailNext(OAuth, 1, Error5xx)
	r = do(t, s, "POST", s.TokenURL+"?grant_type=client_credentials", "", nil)
	if r.status != 503 || r.json(t)["error"] != "temporarily_unavailable" {
		t.Errorf("OAuth fault: %d %s", r.status, r.body)
	}
	s.FailNextError(SCIM, 1, 400, "tooMany")
	checkSCIMError(t, do(t, s, "GET", s.SCIMURL+"/Users", "x", nil), 400, "tooMany")
}

func TestRandomFaultsAreDeterministic(t *testing.T) {
	run := func() []int {
		s := start(t, Options{})
		s.SetFaults(SCIM, Faults{ErrorRate: 0.3, ThrottleRate: 0.2, Seed: 42})
		var statuses []int
		for range 100 {
			statuses = append(statuses, do(t, s, "GET", s.SCIMURL+"/Schemas", "", nil).status)
		}
		return statuses
	}
	a, b := run(), run()
	count := map[int]int{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("request %d: %d then %d with the same seed", i, a[i], b[i])
		}
		count[a[i]]++
	}
	if count[503] < 15 || count[503] > 45 || count[429] < 8 || count[429] > 35 || count[200]+count[503]+count[429] != 100 {
		t.Errorf("statuses: %v", count)
	}
}

func TestLatencyAndRateLimit(t *testing.T) {
	s := start(t, Options{Latency: 30 * time.Millisecond})
	s.SetFaults(SCIM, Faults{Latency: 20 * time.Millisecond, SpikeRate: 1, Spike: 50 * time.Millisecond})
	begin := time.Now()
	do(t, s, "GET", s.SCIMURL+"/Schemas", "", nil)
	if took := time.Since(begin); took < 100*time.Millisecond {
		t.Errorf("request took %v, want at least 100ms", took)
	}

	rl := start(t, Options{RateLimit: 1, RateBurst: 3})
	var statuses []int
	var retryAfter string
	for range 5 {
		r := do(t, rl, "GET", rl.SCIMURL+"/Schemas", "", nil)
		statuses = append(statuses, r.status)
		if r.status == 429 {
			retryAfter = r.header.Get("Retry-After")
		}
	}
	if fmt.Sprint(statuses) != "[200 200 200 429 429]" || retryAfter != "1" {
		t.Errorf("statuses %v, Retry-After %q", statuses, retryAfter)
	}
	time.Sleep(1100 * time.Millisecond)
	if r := do(t, rl, "GET", rl.SCIMURL+"/Schemas", "", nil); r.status != 200 {
		t.Errorf("after a token came back: %d", r.status)
	}
}

func TestInterceptAndHandler(t *testing.T) {
	s := start(t, Options{})
	var seen []string
	var mu sync.Mutex
	s.Intercept = func(svc Service, kind string, w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		seen = append(seen, string(svc)+"."+kind)
		mu.Unlock()
		if kind == "delete" {
			w.WriteHeader(http.StatusTeapot)
			return true
		}
		return false
	}
	tok := token(t, s)
	if r := do(t, s, "DELETE", s.SCIMURL+"/Users/1", tok, nil); r.status != http.StatusTeapot {
		t.Errorf("intercepted: %d", r.status)
	}
	if strings.Join(seen, " ") != "oauth.token scim.delete" {
		t.Errorf("seen %v", seen)
	}

	// The same handler, driven without a network.
	rec := httptest.NewRecorder()
	s.Handler(SCIM).ServeHTTP(rec, httptest.NewRequest("GET", "/ResourceTypes", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"endpoint":"/Users"`) {
		t.Errorf("recorder: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	s.Handler(SCIM).ServeHTTP(rec, httptest.NewRequest("GET", "/Users", nil))
	if rec.Code != 401 {
		t.Errorf("recorder without token: %d", rec.Code)
	}
}

// TestConcurrentUse hammers every service at once; run with -race.
func TestConcurrentUse(t *testing.T) {
	s := start(t, Options{})
	s.SetFaults(SCIM, Faults{ThrottleRate: 0.05, Seed: 7})
	tok := token(t, s)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				name := fmt.Sprintf("g%d-u%d", g, i)
				status, _, err := post(s, tok, name)
				if err != nil {
					t.Error(err)
					return
				}
				if status == 201 {
					u, _ := s.UserByName(name)
					s.SetRAM(name, Blockers{Groups: []string{"g"}})
					s.SetRAM(name, Blockers{})
					do(t, s, "DELETE", s.SCIMURL+"/Users/"+u.ID, tok, nil)
				}
				do(t, s, "GET", s.SCIMURL+"/Users?count=10", tok, nil)
				kmsCall(t, s, map[string]string{"SecretName": s.Options().SecretName}, nil)
				_ = s.Counters()
				_ = s.Users()
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 20 {
			s.RotateSecret(fmt.Sprint("secret", i), true)
			s.FailNext(KMS, 1, Throttle)
		}
	}()
	wg.Wait()
	if c := s.Counters(); c["scim.create"] != 200 || c["kms.GetSecretValue"] != 200 {
		t.Errorf("counters: %v", c)
	}
}

// TestDroppedCallCountedWhenClientSeesIt: a dropped connection is closed
// only once the call is counted, so a client that has seen the drop finds
// it in Counters; the same for an answer after processing.
func TestDroppedCallCountedWhenClientSeesIt(t *testing.T) {
	s := start(t, Options{})
	tok := token(t, s)
	for i, kind := range []FaultKind{DropBefore, DropAfter, ErrorAfter} {
		s.FailNext(SCIM, 1, kind)
		status, _, err := post(s, tok, fmt.Sprintf("drop%d", i))
		key := "scim.create.dropped"
		if kind == ErrorAfter {
			key = "scim.create.500"
			if err != nil || status != 500 {
				t.Fatalf("%v: %d %v", kind, status, err)
			}
		} else if err == nil {
			t.Fatalf("%v: answered %d", kind, status)
		}
		if got := s.Counters()[key]; got != 1 {
			t.Errorf("%v: %s = %d once the client has the outcome, want 1", kind, key, got)
		}
		s.ResetCounters()
	}
}
