package feishu_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/feishu"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/secrets"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// rig is a double and a client for it, on one fake clock.
type rig struct {
	srv    *cloudtest.Feishu
	client *feishu.Client
	clock  *clock
}

func newRig(t testing.TB, mutate func(*cloudtest.FeishuOptions, *feishu.Config)) *rig {
	t.Helper()
	c := &clock{t: now}
	o := cloudtest.FeishuOptions{AppID: appID, AppSecret: "as-1", Now: c.Now, TLS: true}
	cfg := feishu.Config{AppID: appID, Now: c.Now,
		Secret: func(context.Context) (feishu.Secret, error) { return testSecret(), nil }}
	if mutate != nil {
		mutate(&o, &cfg)
	}
	srv := cloudtest.NewFeishu(o)
	t.Cleanup(srv.Close)
	cfg.Endpoint, cfg.HTTPClient = srv.URL, srv.Client()
	cl, err := feishu.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &rig{srv: srv, client: cl, clock: c}
}

func wantStatus(u cloudtest.FeishuUser) hr.Status {
	switch {
	case u.Status != nil && (u.Status.IsResigned || u.Status.IsExited):
		return hr.StatusTerminated
	case u.Status != nil && u.Status.IsFrozen:
		return hr.StatusSuspended
	}
	return hr.StatusActive
}

// TestRoster10k: 10,000 users in 300 departments, some in two: exactly one
// record per user with the right status, one token request, and exactly
// the fewest calls the paging allows.
func TestRoster10k(t *testing.T) {
	r := newRig(t, nil)
	seed := r.srv.SeedDirectory(10000, 300)
	if seed.MultiDepartment < 1000 || seed.Resigned == 0 || seed.Exited == 0 || seed.Frozen == 0 {
		t.Fatalf("seed too thin for the test: %+v", seed)
	}
	roster, err := r.client.Roster(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if roster.Source != "feishu://" || roster.Format != "feishu" || !roster.AsOf.Equal(now) || roster.AsOfSource != feishu.AsOfPullStart || len(roster.Problems) != 0 {
		t.Fatalf("roster header %q %q %v %q, problems %v", roster.Source, roster.Format, roster.AsOf, roster.AsOfSource, roster.Problems)
	}
	users := r.srv.Users()
	if len(roster.Employees) != len(users) {
		t.Fatalf("%d employees, want %d", len(roster.Employees), len(users))
	}
	byID := map[string]hr.Employee{}
	for _, e := range roster.Employees {
		if _, dup := byID[e.ID]; dup {
			t.Fatalf("employee %s twice", e.ID)
		}
		byID[e.ID] = e
	}
	counts := map[hr.Status]int{}
	for _, u := range users {
		e, ok := byID[u.UserID]
		if !ok {
			t.Fatalf("user %s missing", u.UserID)
		}
		if e.Status != wantStatus(u) || e.Email != u.EnterpriseEmail || e.DisplayName != u.Name || e.Fields["open_id"] != u.OpenID {
			t.Fatalf("user %s read as %+v", u.UserID, e)
		}
		counts[e.Status]++
	}
	if counts[hr.StatusTerminated] != seed.Resigned+seed.Exited || counts[hr.StatusSuspended] != seed.Frozen {
		t.Fatalf("statuses %v, seed %+v", counts, seed)
	}

	cp, up := r.srv.LowerBound("0")
	c := r.srv.Counters()
	limited := c[cloudtest.FeishuAPIChildren+".429"] + c[cloudtest.FeishuAPIFindByDepartment+".429"]
	if c[cloudtest.FeishuAPIToken] != 1 {
		t.Errorf("%d token requests, want 1", c[cloudtest.FeishuAPIToken])
	}
	if got := c[cloudtest.FeishuAPIChildren] + c[cloudtest.FeishuAPIFindByDepartment] - limited; got != int64(cp+up) {
		t.Errorf("%d successful listing calls, want the lower bound %d (%d children pages + %d user pages)", got, cp+up, cp, up)
	}
	st := r.client.Stats()
	if st.Requests[feishu.APIToken] != 1 || int64(st.RateLimited) != limited {
		t.Errorf("client stats %+v, double saw %d rate-limited", st, limited)
	}
}

// TestRosterSubtree: a department names the subtree to pull.
func TestRosterSubtree(t *testing.T) {
	r := newRig(t, nil)
	r.srv.SeedDirectory(500, 40)
	roster, err := r.client.Roster(context.Background(), "od-2")
	if err != nil {
		t.Fatal(err)
	}
	if roster.Source != "feishu://?department=od-2" {
		t.Errorf("Source = %q", roster.Source)
	}
	// od-2's subtree in the seeded four-wide tree: od-2, its children
	// od-5…od-8 … ((i-1)/4 is the parent index).
	in := map[string]bool{"od-2": true}
	for i := 3; i <= 40; i++ {
		if in[fmt.Sprintf("od-%d", (i-1)/4)] {
			in[fmt.Sprintf("od-%d", i)] = true
		}
	}
	want := map[string]bool{}
	for _, u := range r.srv.Users() {
		for _, d := range u.DepartmentIDs {
			if in[d] {
				want[u.UserID] = true
			}
		}
	}
	if len(roster.Employees) != len(want) || len(want) == 0 {
		t.Fatalf("%d employees, want %d", len(roster.Employees), len(want))
	}
	for _, e := range roster.Employees {
		if !want[e.ID] {
			t.Fatalf("employee %s is outside od-2", e.ID)
		}
	}
}

// TestRosterRateLimited: 429 answers (and code 99991400 on a 400, as
// older APIs send it) wait for x-ogw-ratelimit-reset and are retried.
func TestRosterRateLimited(t *testing.T) {
	r := newRig(t, nil)
	r.srv.SeedDirectory(300, 6)
	r.srv.Inject(cloudtest.FeishuFault{API: cloudtest.FeishuAPIFindByDepartment, Call: 2, Status: 429, Reset: 1})
	r.srv.Inject(cloudtest.FeishuFault{API: cloudtest.FeishuAPIFindByDepartment, Call: 4, Status: 400, Code: cloudtest.FeishuCodeRateLimited})
	r.srv.Inject(cloudtest.FeishuFault{API: cloudtest.FeishuAPIChildren, Call: 1, Status: 429, Reset: 1})
	roster, err := r.client.Roster(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(roster.Employees) != 300 {
		t.Fatalf("%d employees, want 300", len(roster.Employees))
	}
	st := r.client.Stats()
	c := r.srv.Counters()
	if st.RateLimited != 3 || st.Retries != 3 {
		t.Errorf("client stats %+v, want 3 rate-limited and 3 retries", st)
	}
	if got := c[cloudtest.FeishuAPIFindByDepartment+".code.99991400"] + c[cloudtest.FeishuAPIChildren+".code.99991400"]; got != 3 {
		t.Errorf("double answered %d rate-limit codes, want 3: %v", got, c)
	}
}

// TestRosterAborts: a call that fails for good aborts the pull: no roster,
// an error naming the call and the code.
func TestRosterAborts(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fault     cloudtest.FeishuFault
		wantCalls int64 // requests the failing API got on its failing page
		want      []string
	}{
		{"last users page 500", cloudtest.FeishuFault{API: cloudtest.FeishuAPIFindByDepartment, LastPage: true, Status: 500},
			3, []string{"find_by_department", "HTTP 500", "after 3 attempts"}},
		{"last departments page 503", cloudtest.FeishuFault{API: cloudtest.FeishuAPIChildren, LastPage: true, Status: 503},
			3, []string{"departments/0/children page 2", "HTTP 503"}},
		{"last users page code 41050", cloudtest.FeishuFault{API: cloudtest.FeishuAPIFindByDepartment, LastPage: true, Status: 400, Code: 41050, Msg: "no user authority error"},
			1, []string{"find_by_department", "code 41050", "no user authority", "contact data range"}},
		{"departments code 40004 with 200", cloudtest.FeishuFault{API: cloudtest.FeishuAPIChildren, Call: 1, Status: 200, Code: 40004, Msg: "no dept authority error"},
			1, []string{"departments/0/children page 1", "code 40004"}},
		{"rate limited for good", cloudtest.FeishuFault{API: cloudtest.FeishuAPIFindByDepartment, LastPage: true, Status: 429, Reset: 0},
			3, []string{"find_by_department", "HTTP 429", "code 99991400"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, func(_ *cloudtest.FeishuOptions, c *feishu.Config) { c.MaxAttempts = 3; c.Concurrency = 1 })
			r.srv.SeedDirectory(120, 60) // 61 departments: two children pages
			r.srv.Inject(tc.fault)
			roster, err := r.client.Roster(context.Background(), "")
			if roster != nil || err == nil {
				t.Fatalf("Roster = %v, %v; want no roster and an error", roster, err)
			}
			var ae *feishu.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %T %v, want *APIError", err, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "as-1") {
				t.Errorf("error %q shows the app secret", err)
			}
			if ae.Attempts != int(tc.wantCalls) {
				t.Errorf("failing call made %d attempts, want %d", ae.Attempts, tc.wantCalls)
			}
		})
	}
}

// TestTokenCachedAndRenewed: one token for many pulls while it has 30
// minutes or more left; a new one below that; a token the platform
// revoked is dropped and replaced at once.
func TestTokenCachedAndRenewed(t *testing.T) {
	r := newRig(t, nil)
	r.srv.SeedDirectory(60, 3)
	ctx := context.Background()
	tokens := func() int64 { return r.srv.Counters()[cloudtest.FeishuAPIToken] }
	pull := func() {
		t.Helper()
		if roster, err := r.client.Roster(ctx, ""); err != nil || len(roster.Employees) != 60 {
			t.Fatalf("Roster = %v, %v", roster, err)
		}
	}
	pull()
	pull()
	if tokens() != 1 {
		t.Fatalf("%d token requests after two pulls, want 1", tokens())
	}
	r.clock.Add(89 * time.Minute) // 31 minutes left
	pull()
	if tokens() != 1 {
		t.Fatalf("%d token requests with 31 minutes left, want 1", tokens())
	}
	r.clock.Add(2 * time.Minute) // 29 minutes left: renew
	pull()
	if tokens() != 2 {
		t.Fatalf("%d token requests with 29 minutes left, want 2", tokens())
	}
	r.srv.ExpireTokens() // revoked early: 99991663, drop, new token, retry
	pull()
	if tokens() != 3 {
		t.Fatalf("%d token requests after a revocation, want 3", tokens())
	}
	if n := r.srv.Counters()[cloudtest.FeishuAPIChildren+".code.99991663"]; n != 1 {
		t.Fatalf("%d calls refused for the token, want 1", n)
	}
}

func TestTokenErrors(t *testing.T) {
	r := newRig(t, func(_ *cloudtest.FeishuOptions, c *feishu.Config) {
		c.Secret = func(context.Context) (feishu.Secret, error) {
			return feishu.Secret{AppSecret: secrets.NewValue("sekrit-wrong")}, nil
		}
	})
	r.srv.SeedDirectory(10, 1)
	_, err := r.client.Roster(context.Background(), "")
	if err == nil || !strings.Contains(err.Error(), appID) || !strings.Contains(err.Error(), "10014") || strings.Contains(err.Error(), "sekrit") {
		t.Fatalf("wrong secret: %v; want the app id and code 10014, never the secret", err)
	}
	if r.srv.Counters()[cloudtest.FeishuAPIChildren] != 0 {
		t.Fatal("listed without a token")
	}

	// A rotated secret: the cached one is refused, the refreshed one works.
	refreshed := 0
	r = newRig(t, func(_ *cloudtest.FeishuOptions, c *feishu.Config) {
		c.Secret = func(context.Context) (feishu.Secret, error) {
			return feishu.Secret{AppSecret: secrets.NewValue("sekrit-old")}, nil
		}
		c.RefreshSecret = func(context.Context) (feishu.Secret, error) { refreshed++; return testSecret(), nil }
	})
	r.srv.SeedDirectory(10, 1)
	if _, err := r.client.Roster(context.Background(), ""); err != nil || refreshed != 1 {
		t.Fatalf("rotated secret: %v, %d refreshes", err, refreshed)
	}
	if n := r.srv.Counters()[cloudtest.FeishuAPIToken]; n != 2 {
		t.Fatalf("%d token requests, want 2 (refused, then with the refreshed secret)", n)
	}

	r = newRig(t, func(_ *cloudtest.FeishuOptions, c *feishu.Config) {
		c.Secret = func(context.Context) (feishu.Secret, error) { return feishu.Secret{}, errors.New("kms: throttled") }
	})
	_, err = r.client.Roster(context.Background(), "")
	if err == nil || !strings.Contains(err.Error(), "kms: throttled") || !strings.Contains(err.Error(), appID) {
		t.Fatalf("secret source failing: %v", err)
	}
}

// TestRosterProblemsAndEmpty: users without a user_id are problems; a
// directory of nobody usable is hr.ErrEmptyRoster.
func TestRosterProblemsAndEmpty(t *testing.T) {
	r := newRig(t, nil)
	r.srv.AddDepartment(cloudtest.FeishuDepartment{OpenDepartmentID: "od-a", ParentID: "0"})
	r.srv.AddUser(cloudtest.FeishuUser{OpenID: "ou_noid", Name: "No Scope", DepartmentIDs: []string{"od-a", "0"}})
	_, err := r.client.Roster(context.Background(), "")
	if !errors.Is(err, hr.ErrEmptyRoster) {
		t.Fatalf("Roster of nobody usable = %v, want hr.ErrEmptyRoster", err)
	}
	r.srv.AddUser(cloudtest.FeishuUser{UserID: "u1", OpenID: "ou_1", DepartmentIDs: []string{"od-a"}})
	roster, err := r.client.Roster(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(roster.Employees) != 1 || len(roster.Problems) != 1 || roster.Problems[0].Field != "user_id" || !strings.Contains(roster.Problems[0].Reason, "ou_noid") {
		t.Fatalf("employees %v problems %v", roster.Employees, roster.Problems)
	}
}

func TestNewClientChecks(t *testing.T) {
	src := func(context.Context) (feishu.Secret, error) { return feishu.Secret{}, nil }
	for _, cfg := range []feishu.Config{
		{Secret: src},
		{AppID: "cli_x"},
		{AppID: "cli_x", Secret: src, Endpoint: "ftp://x"},
	} {
		if _, err := feishu.NewClient(cfg); err == nil {
			t.Errorf("NewClient(%+v) accepted", cfg)
		}
	}
}
