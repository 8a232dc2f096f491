package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/localrun"
)

func event(typ, id, email string) string {
	return `{"id":"evt-` + id + `-` + typ + `","type":"employee.` + typ + `","occurredAt":"` + time.Now().Add(time.Minute).UTC().Format(time.RFC3339Nano) + `",` +
		`"employee":{"id":"` + id + `","email":"` + email + `","displayName":"Li Wei","status":"active","department":"R&D"}}`
}

type answer struct {
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Results []struct {
		EventID    string `json:"eventId"`
		ExternalID string `json:"externalId"`
		Action     string `json:"action"`
		UserName   string `json:"userName"`
		ID         string `json:"id"`
		Status     int    `json:"status"`
		Error      *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"results"`
}

func TestWebhookTable(t *testing.T) {
	l := start(t, localrun.Options{FuncEnv: map[string]map[string]string{"webhook": {"PROTECTED_USERS": "root.ops"}}})
	l.Cloud.SeedUser(cloudtest.User{UserName: "admin", DisplayName: "Admin"})
	l.Cloud.SeedUser(cloudtest.User{ExternalID: "E9", UserName: "root.ops", DisplayName: "Root"})
	ctx := context.Background()
	stale := func(h http.Header) {
		h.Set(hr.SignatureHeader, hr.Sign(l.SigningKey, time.Now().Add(-10*time.Minute), []byte(event("hired", "E2", "b@example.com"))))
	}
	tests := []struct {
		name   string
		method string
		body   string
		header func(http.Header)
		status int
		code   string
		action string
	}{
		{"hire", "POST", event("hired", "E1", "li.wei@example.com"), nil, 200, "", "created"},
		{"replayed delivery", "POST", event("hired", "E1", "li.wei@example.com"), nil, 200, "", "unchanged"},
		{"rename", "POST", event("updated", "E1", "wei.li@example.com"), nil, 200, "", "updated"},
		{"no signature", "POST", event("hired", "E2", "b@example.com"), func(h http.Header) { h.Del(hr.SignatureHeader) }, 401, "unauthorized", ""},
		{"bad signature", "POST", event("hired", "E2", "b@example.com"), func(h http.Header) { h.Set(hr.SignatureHeader, "t=1,v1=00") }, 401, "unauthorized", ""},
		{"stale t", "POST", event("hired", "E2", "b@example.com"), stale, 401, "unauthorized", ""},
		{"GET", "GET", "", nil, 405, "", ""},
		{"PUT", "PUT", event("hired", "E2", "b@example.com"), nil, 405, "", ""},
		{"not JSON", "POST", "{nope", nil, 400, "bad_request", ""},
		{"invalid UTF-8", "POST", "{\"type\":\"employee.hired\",\"employee\":{\"id\":\"E\xff\"}}", nil, 400, "bad_request", ""},
		{"unknown type", "POST", strings.Replace(event("hired", "E2", "b@example.com"), "hired", "promoted", -1), nil, 400, "bad_request", ""},
		{"batch over 100", "POST", `{"events":[` + strings.Repeat(event("hired", "E2", "b@example.com")+",", 100) + event("hired", "E2", "b@example.com") + `]}`, nil, 400, "bad_request", ""},
		{"body over 1 MiB", "POST", `{"type":"employee.hired","employee":{"id":"E2","pad":"` + strings.Repeat("x", 1<<20) + `"}}`, nil, 413, "payload_too_large", ""},
		{"no employee id", "POST", `{"type":"employee.hired","employee":{"email":"b@example.com"}}`, nil, 422, "invalid_employee", ""},
		{"userName breaks RAM rules", "POST", event("hired", "E3", "b+c@example.com"), nil, 422, "invalid_employee", ""},
		{"name held by a hand-made user", "POST", event("hired", "E4", "admin@example.com"), nil, 409, "conflict", ""},
		{"protected user", "POST", event("updated", "E9", "root.ops2@example.com"), nil, 409, "protected", ""},
		{"terminate", "POST", event("terminated", "E1", "wei.li@example.com"), nil, 200, "", "deleted"},
		{"terminate again", "POST", event("terminated", "E1", "wei.li@example.com"), nil, 200, "", "already absent"},
	}
	for _, tt := range tests {
		writes := l.Cloud.Counters().SCIMWrites()
		var status int
		var body []byte
		var err error
		if tt.method == "POST" {
			status, body, err = l.Post(ctx, []byte(tt.body), tt.header)
		} else {
			req, _ := http.NewRequest(tt.method, l.WebhookURL, strings.NewReader(tt.body))
			req.Header.Set(hr.SignatureHeader, l.Sign([]byte(tt.body)))
			resp, rerr := http.DefaultClient.Do(req)
			if rerr == nil {
				status = resp.StatusCode
				resp.Body.Close()
			}
			err = rerr
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if status != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.name, status, tt.status, body)
			continue
		}
		if tt.status != 200 {
			if n := l.Cloud.Counters().SCIMWrites() - writes; n != 0 {
				t.Errorf("%s: a rejected request made %d SCIM writes", tt.name, n)
			}
		}
		if tt.code != "" {
			var a answer
			if json.Unmarshal(body, &a) != nil || a.Error == nil || a.Error.Code != tt.code || a.Error.Message == "" {
				t.Errorf("%s: body %s, want error code %s", tt.name, body, tt.code)
			}
		}
		if tt.action != "" {
			var a answer
			if json.Unmarshal(body, &a) != nil || len(a.Results) != 1 || a.Results[0].Action != tt.action || a.Results[0].ExternalID != "E1" {
				t.Errorf("%s: body %s, want action %s", tt.name, body, tt.action)
			}
		}
	}
	if _, ok := users(l.Cloud)["admin"]; !ok {
		t.Error("the hand-made admin is gone")
	}
}

func TestWebhookBatchAndReplay(t *testing.T) {
	l := start(t, localrun.Options{})
	ctx := context.Background()
	batch := `{"events":[` + event("hired", "E1", "a@example.com") + `,` + event("fired", "E2", "b@example.com") + `,` +
		event("hired", "E3", "c@example.com") + `]}`
	for round := range 2 { // the second is a redelivery of the same batch
		status, body, err := l.Post(ctx, []byte(batch), nil)
		if err != nil || status != 200 {
			t.Fatalf("round %d: %d %s %v", round, status, body, err)
		}
		var a answer
		if err := json.Unmarshal(body, &a); err != nil || len(a.Results) != 3 {
			t.Fatalf("round %d: %s", round, body)
		}
		want := []string{"created", "", "created"}
		if round == 1 {
			want = []string{"unchanged", "", "unchanged"}
		}
		for i, r := range a.Results {
			if i == 1 {
				if r.Error == nil || r.Status != 400 || r.EventID != "evt-E2-fired" {
					t.Errorf("round %d: bad event answer %+v", round, r)
				}
				continue
			}
			if r.Action != want[i] || r.ID == "" {
				t.Errorf("round %d: event %d = %+v, want %s", round, i, r, want[i])
			}
		}
	}
	if n := len(l.Cloud.Users()); n != 2 {
		t.Errorf("users = %d, want 2", n)
	}
}

func TestWarmInstanceReusesTokenAndSecret(t *testing.T) {
	l := start(t, localrun.Options{})
	ctx := context.Background()
	for i := range 20 {
		body := event("hired", "E"+strconv.Itoa(i), "user"+strconv.Itoa(i)+"@example.com")
		if status, b, err := l.Post(ctx, []byte(body), nil); err != nil || status != 200 {
			t.Fatalf("invocation %d: %d %s %v", i, status, b, err)
		}
	}
	c := l.Cloud.Counters()
	// 1 KMS request for the app secret, 1 for the signing key; 1 token.
	if c["oauth.token"] != 1 || c["kms.GetSecretValue"] != 2 {
		t.Errorf("20 warm invocations made %d token and %d KMS requests, want 1 and 2 (app secret, signing key)", c["oauth.token"], c["kms.GetSecretValue"])
	}
	if n := len(l.Runtime.Instances("webhook")); n != 1 {
		t.Errorf("instances = %d, want 1 warm one", n)
	}
}

func TestSameHireAcrossFourInstancesMakesOneUser(t *testing.T) {
	l := start(t, localrun.Options{MaxInstances: map[string]int{"webhook": 4}})
	ctx := context.Background()
	body := []byte(event("hired", "E1", "li.wei@example.com"))
	var wg sync.WaitGroup
	actions := make(chan string, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, b, err := l.Post(ctx, body, nil)
			var a answer
			if err != nil || status != 200 || json.Unmarshal(b, &a) != nil || len(a.Results) != 1 {
				t.Errorf("%d %s %v", status, b, err)
				return
			}
			actions <- a.Results[0].Action
		}()
	}
	wg.Wait()
	close(actions)
	n := map[string]int{}
	for a := range actions {
		n[a]++
	}
	if len(l.Cloud.Users()) != 1 || n["created"] != 1 || n["unchanged"] != 19 {
		t.Errorf("users %d, actions %v; want one user, 1 created, 19 unchanged", len(l.Cloud.Users()), n)
	}
	if got := len(l.Runtime.Instances("webhook")); got < 2 {
		t.Errorf("only %d instance(s) served the burst", got)
	}
}

func TestBadConfigurationAtStart(t *testing.T) {
	tests := []struct {
		fn, name, value, want string
	}{
		{"webhook", "SCIM_RPS", "fast", `SCIM_RPS: "fast" is not a number`},
		{"reconciler", "ROSTER_URL", "http://hr/roster.json", `ROSTER_URL: "http://hr/roster.json" must use https or file`},
		{"offboarding", "DRY_RUN", "perhaps", `DRY_RUN: "perhaps" is not true or false`},
	}
	for _, tt := range tests {
		l := start(t, localrun.Options{FuncEnv: map[string]map[string]string{tt.fn: {tt.name: tt.value}}})
		_, err := l.Runtime.Start(context.Background(), tt.fn)
		var exit *fcruntimeExitError
		if !asExit(err, &exit) {
			t.Fatalf("%s: err = %v, want the process to exit", tt.fn, err)
		}
		if exit.Code == 0 || len(exit.Stderr) != 1 || !strings.Contains(exit.Stderr[0], tt.want) || !strings.Contains(exit.Stderr[0], "ramsync "+tt.fn) {
			t.Errorf("%s: exit %d, stderr %q; want one line naming %s", tt.fn, exit.Code, exit.Stderr, tt.name)
		}
	}
}
