package dingtalk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// clock is a settable clock for the client.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// newClient returns a client of the double with fast retries, and its log.
func newClient(t testing.TB, dt *cloudtest.DingTalk, edit func(*Config)) (*Client, *syncBuffer) {
	t.Helper()
	o := dt.Options()
	logs := &syncBuffer{}
	cfg := Config{
		AppKey:     o.AppKey,
		Endpoint:   dt.URL,
		Secret:     func(context.Context) (Secret, error) { return secretOf(o), nil },
		HTTPClient: dt.Client(),
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		RetryWait:  time.Millisecond,
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, logs
}

// noLeak fails when text holds an access token or a secret.
func noLeak(t *testing.T, dt *cloudtest.DingTalk, what, text string) {
	t.Helper()
	o := dt.Options()
	for _, s := range append(dt.AccessTokens(), o.AppSecret, o.AESKey, o.Token) {
		if strings.Contains(text, s) {
			t.Errorf("%s holds a secret or token: %s", what, text)
		}
	}
	if strings.Contains(text, "access_token=") || strings.Contains(text, "appsecret=") {
		t.Errorf("%s holds a query with credentials: %s", what, text)
	}
}

// TestRosterLarge pulls 10,000 users in 300 departments, a seventh of them
// in two or three: exactly one record per user, and no call more than the
// minimum.
func TestRosterLarge(t *testing.T) {
	dt := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{RateLimit: -1})
	defer dt.Close()
	members := dt.SeedOrg(10_000, 300)
	if members <= 10_000 {
		t.Fatalf("%d memberships: no user is in several departments", members)
	}
	clk := &clock{t: now}
	c, logs := newClient(t, dt, func(c *Config) { c.RPS = 1e6; c.Now = clk.now })

	r, err := c.Roster(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range r.Employees {
		ids = append(ids, e.ID)
	}
	if want := dt.UserIDs(); !slices.Equal(ids, want) {
		t.Fatalf("%d records, want one per user (%d)", len(ids), len(want))
	}
	if len(r.Problems) != 0 {
		t.Errorf("problems: %v", r.Problems)
	}
	if !r.AsOf.Equal(now) || r.AsOfSource != AsOfPullStart || r.Source != "dingtalk://" || r.Format != "dingtalk" {
		t.Errorf("AsOf %v (%s), Source %q, Format %q", r.AsOf, r.AsOfSource, r.Source, r.Format)
	}
	e := r.Employees[0] // u00000: not activated, in three departments
	if e.ID != "u00000" || e.Email != "u00000@corp.example.com" || e.DisplayName != "User 0" || e.Status != hr.StatusActive {
		t.Errorf("first employee %+v", e)
	}
	if depts, ok := e.Fields["dept_id_list"].([]any); !ok || len(depts) != 3 {
		t.Errorf("dept_id_list = %#v, want three json.Number", e.Fields["dept_id_list"])
	} else if _, ok := depts[0].(json.Number); !ok {
		t.Errorf("dept_id_list[0] is %T, want json.Number", depts[0])
	}
	calls := dt.AllCalls()
	if calls[APIListSubDept] != 300 || calls[APIToken] != 1 {
		t.Errorf("calls %v: want 300 listsubid and one gettoken", calls)
	}
	total := calls[APIToken] + calls[APIListSubDept] + calls[APIUserList]
	if total != dt.MinPullCalls() {
		t.Errorf("%d calls, the minimum is %d", total, dt.MinPullCalls())
	}
	noLeak(t, dt, "log", logs.String())
}

// TestRosterThrottled lets the client send faster than the double's 20
// a second per API: the 90018 answers are waited out and retried, and the
// roster is complete. Injected 90018 and 88 answers are retried too.
func TestRosterThrottled(t *testing.T) {
	dt := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{}) // 20/s per API
	defer dt.Close()
	dt.SeedOrg(300, 30)
	dt.Fail(APIListSubDept, 2, 1, cloudtest.DingTalkFault{ErrCode: 88, ErrMsg: "auth timeout"})
	c, _ := newClient(t, dt, func(c *Config) { c.RPS = 500; c.Retries = 50; c.RetryWait = 20 * time.Millisecond })
	r, err := c.Roster(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Employees) != 300 {
		t.Errorf("%d employees, want 300", len(r.Employees))
	}
	throttled := dt.Throttled(APIListSubDept) + dt.Throttled(APIUserList)
	if throttled == 0 {
		t.Error("no 90018 at 500 requests a second: the double does not limit")
	}
	calls := dt.Calls(APIToken) + dt.Calls(APIListSubDept) + dt.Calls(APIUserList)
	if want := dt.MinPullCalls() + throttled + 1; calls != want {
		t.Errorf("%d calls, want %d: the minimum, %d throttled retries and one after 88", calls, want, throttled)
	}
	st := c.Stats()
	if st.RateLimited != throttled || st.Retries != throttled+1 || st.Requests[APIUserList]+st.Requests[APIListSubDept]+st.Requests[APIToken] != calls {
		t.Errorf("Stats %+v; the double saw %d calls, %d throttled", st, calls, throttled)
	}
	t.Logf("%d calls, %d throttled", calls, throttled)
}

// TestRosterRetriesInjected: two 90018 in a row on user/list are retried,
// each retry one more call; the client keeps within 20/s so the double
// throttles nothing else.
func TestRosterRetriesInjected(t *testing.T) {
	dt := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{RateLimit: -1})
	defer dt.Close()
	dt.SeedOrg(250, 5)
	dt.Fail(APIUserList, 2, 2, cloudtest.DingTalkFault{ErrCode: 90018})
	dt.Fail(APIUserGet, 1, 1, cloudtest.DingTalkFault{Status: 502})
	c, logs := newClient(t, dt, nil)
	r, err := c.Roster(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Employees) != 250 {
		t.Errorf("%d employees", len(r.Employees))
	}
	if got, want := dt.Calls(APIUserList), dt.MinPullCalls()-1-5+2; got != want {
		t.Errorf("%d user/list calls, want %d (two retries)", got, want)
	}
	if _, err := c.User(context.Background(), "u00001"); err != nil {
		t.Errorf("User after a 502: %v", err)
	}
	if dt.Calls(APIUserGet) != 2 {
		t.Errorf("%d user/get calls, want 2 (a 502 retried)", dt.Calls(APIUserGet))
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Error("retries not logged")
	}
	noLeak(t, dt, "log", logs.String())
}

// TestRosterAborts: a call that still fails after its retries aborts the
// pull with an error naming the API and errcode, and no roster.
func TestRosterAborts(t *testing.T) {
	tests := []struct {
		name  string
		api   string
		n     int
		count int
		fault cloudtest.DingTalkFault
		want  []string
	}{
		{"user/list 500 persisting", APIUserList, 4, 100, cloudtest.DingTalkFault{Status: 500}, []string{APIUserList, "HTTP 500", "attempts"}},
		{"listsubid permission refused", APIListSubDept, 3, 1, cloudtest.DingTalkFault{ErrCode: 60011, ErrMsg: "no permission"}, []string{APIListSubDept, "errcode 60011", "qyapi_get_department_list"}},
		{"90018 beyond the retries", APIUserList, 6, 100, cloudtest.DingTalkFault{ErrCode: 90018}, []string{APIUserList, "errcode 90018", "5 attempts"}},
		{"gettoken refused", APIToken, 1, 1, cloudtest.DingTalkFault{ErrCode: 40089, ErrMsg: "bad secret"}, []string{APIToken, "errcode 40089", "appSecret"}},
		{"unreadable result", APIUserList, 2, 1, cloudtest.DingTalkFault{Status: 200, ErrCode: 0, ErrMsg: "ok"}, []string{APIUserList}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dt := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{RateLimit: -1})
			defer dt.Close()
			dt.SeedOrg(2000, 40)
			dt.Fail(tt.api, tt.n, tt.count, tt.fault)
			c, logs := newClient(t, dt, func(c *Config) { c.RPS = 1e6 })
			r, err := c.Roster(context.Background(), "")
			if r != nil || err == nil {
				t.Fatalf("Roster = %v, %v; want an error and no roster", r != nil, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			noLeak(t, dt, "error", err.Error())
			noLeak(t, dt, "log", logs.String())
		})
	}
}

// TestTokenCachedAndRenewed: one token for a whole pull; renewed once on
// 42001 and on 40014, and ahead of its expiry by the clock.
func TestTokenCachedAndRenewed(t *testing.T) {
	dt := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{RateLimit: -1})
	defer dt.Close()
	dt.SeedOrg(1000, 50)
	clk := &clock{t: now}
	c, _ := newClient(t, dt, func(c *Config) { c.Now = clk.now; c.RPS = 1e6 })
	ctx := context.Background()
	pull := func() {
		t.Helper()
		if _, err := c.Roster(ctx, ""); err != nil {
			t.Fatal(err)
		}
	}
	pull()
	if n := dt.Calls(APIToken); n != 1 {
		t.Fatalf("%d gettoken calls for one pull, want 1", n)
	}
	pull()
	if n := dt.Calls(APIToken); n != 1 {
		t.Fatalf("%d gettoken calls for two pulls, want 1 (cached)", n)
	}

	dt.ExpireTokens() // the next call is answered 42001
	before := dt.Calls(APIUserList) + dt.Calls(APIListSubDept)
	pull()
	if n := dt.Calls(APIToken); n != 2 {
		t.Errorf("%d gettoken calls after 42001, want 2", n)
	}
	if n := dt.Calls(APIUserList) + dt.Calls(APIListSubDept) - before; n > dt.MinPullCalls()-1+8 {
		t.Errorf("%d calls in the pull after 42001: more than one refused call per worker", n)
	}

	dt.RevokeTokens() // 40014
	if _, err := c.User(ctx, "u00001"); err != nil {
		t.Fatalf("User after 40014: %v", err)
	}
	if n := dt.Calls(APIToken); n != 3 {
		t.Errorf("%d gettoken calls after 40014, want 3", n)
	}

	clk.add(7200*time.Second - tokenMargin + time.Second) // inside the renewal margin
	if _, err := c.User(ctx, "u00001"); err != nil {
		t.Fatal(err)
	}
	if n := dt.Calls(APIToken); n != 4 {
		t.Errorf("%d gettoken calls near expiry, want 4 (renewed ahead)", n)
	}

	// A token refused twice in a row is an error, not a loop.
	dt.Fail(APIUserGet, dt.Calls(APIUserGet)+1, 2, cloudtest.DingTalkFault{ErrCode: 42001})
	_, err := c.User(ctx, "u00001")
	if err == nil || !strings.Contains(err.Error(), "42001") {
		t.Errorf("User with a token refused twice: %v", err)
	}
}

// TestUnreachable: transport errors are transient and never show the
// query with the token or the app secret.
func TestUnreachable(t *testing.T) {
	dt := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{RateLimit: -1})
	dt.SeedOrg(3, 1)
	c, logs := newClient(t, dt, func(c *Config) { c.Retries = 1 })
	ctx := context.Background()
	if _, err := c.User(ctx, "u00001"); err != nil { // a token is cached now
		t.Fatal(err)
	}
	dt.Close()
	_, err := c.User(ctx, "u00001")
	if err == nil || !IsTransient(err) {
		t.Fatalf("User on a closed server: %v, transient %v", err, IsTransient(err))
	}
	noLeak(t, dt, "error", err.Error())

	c2, logs2 := newClient(t, dt, func(c *Config) { c.Retries = -1 })
	_, err = c2.User(ctx, "u00001") // gettoken, with the app secret in its query
	if err == nil || !strings.Contains(err.Error(), APIToken) {
		t.Fatalf("gettoken on a closed server: %v", err)
	}
	noLeak(t, dt, "error", err.Error())
	noLeak(t, dt, "log", logs.String()+logs2.String())
}

// TestRosterDepartment pulls a sub-tree, and refuses a bad department id
// and an empty directory.
func TestRosterDepartment(t *testing.T) {
	dt := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{RateLimit: -1})
	defer dt.Close()
	dt.AddDepartment(2, 1)
	dt.AddDepartment(3, 2)
	dt.AddDepartment(4, 1)
	dt.AddUser(cloudtest.DingTalkUser{UserID: "a", Name: "A", Email: "a@x.com", DeptIDs: []int64{3}})
	dt.AddUser(cloudtest.DingTalkUser{UserID: "b", DeptIDs: []int64{4}})
	dt.AddUser(cloudtest.DingTalkUser{UserID: "c", DeptIDs: []int64{2, 4}})
	c, _ := newClient(t, dt, nil)
	ctx := context.Background()

	r, err := c.Roster(ctx, "2")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range r.Employees {
		ids = append(ids, e.ID)
	}
	if !slices.Equal(ids, []string{"a", "c"}) || r.Source != "dingtalk://?department=2" {
		t.Errorf("department 2: %v from %s", ids, r.Source)
	}
	if r.Employees[0].Email != "a@x.com" {
		t.Errorf("email %q, want the personal one without org_email", r.Employees[0].Email)
	}
	for _, bad := range []string{"0", "-1", "x", "1 OR 1"} {
		if _, err := c.Roster(ctx, bad); err == nil {
			t.Errorf("department %q accepted", bad)
		}
	}
	if _, err := c.Roster(ctx, "99"); err == nil || !strings.Contains(err.Error(), "60003") {
		t.Errorf("unknown department: %v", err)
	}
	empty := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{RateLimit: -1})
	defer empty.Close()
	ce, _ := newClient(t, empty, nil)
	if _, err := ce.Roster(ctx, ""); !errors.Is(err, hr.ErrEmptyRoster) {
		t.Errorf("empty directory: %v, want hr.ErrEmptyRoster", err)
	}
}

// TestNoRedirect: the default HTTP client follows no redirect, which
// would carry the app secret (gettoken's query) to another host.
func TestNoRedirect(t *testing.T) {
	var leaked atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { leaked.Add(1) }))
	defer elsewhere.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.RequestURI(), http.StatusFound)
	}))
	defer redirector.Close()
	c, err := NewClient(Config{AppKey: "k", Endpoint: redirector.URL, Retries: -1,
		Secret: func(context.Context) (Secret, error) { return Secret{AppSecret: secrets.NewValue("s3cr3t")}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.User(context.Background(), "u1")
	if err == nil || !strings.Contains(err.Error(), "HTTP 302") || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("User through a redirect: %v", err)
	}
	if leaked.Load() != 0 {
		t.Error("the redirect was followed")
	}
}
