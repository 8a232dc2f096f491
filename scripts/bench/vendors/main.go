// Command vendors measures ramsync's Feishu/Lark and DingTalk paths (SPEC
// §4.6), each figure with its bound, measured in the same run:
//
//   - the directory pull (the reconciler's feishu:// and dingtalk://
//     rosters, through the real clients): calls against the fewest the
//     directory needs, wall time against what the vendor's rate limit
//     (Feishu 50/s, DingTalk 20/s per API) allows;
//   - push answer times through the real webhook binary on the local FC
//     runtime, at 50 ms round trips to SCIM, the RAM OpenAPI and the
//     vendor: a hire and a leaver with suspension, p50 and p99, against
//     the vendor's deadline (Feishu 3 s, DingTalk 1.5 s) and against the
//     round trips the push needs.
//
// scripts/bench.sh runs it after scripts/bench; it prints its rows as
// scripts/bench does and exits non-zero when a figure could not be
// measured.
//
//	go run ./scripts/bench/vendors           # 10,000 users, 320 departments; 100 pushes each
//	go run ./scripts/bench/vendors -quick    # 2,000 users, 80 departments; 30 pushes each
package main

import (
	"github.com/ramsync/ramsync/scripts/bench/benchtable"

	"context"
	"flag"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/dingtalk"
	"github.com/ramsync/ramsync/pkg/feishu"
	"github.com/ramsync/ramsync/pkg/localrun"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// rtt is the round trip to every remote service in the push and pull
// scenarios.
const rtt = 50 * time.Millisecond

// Deadlines of the vendors' pushes [SPEC §4.6].
const (
	feishuDeadline   = 3 * time.Second
	dingtalkDeadline = 1500 * time.Millisecond
)

func main() {
	quick := flag.Bool("quick", false, "smaller sizes (2,000 users in 80 departments, 30 pushes)")
	flag.Parse()
	users, depts, pushes := 10_000, 320, 100
	if *quick {
		users, depts, pushes = 2_000, 80, 30
	}
	if err := run(users, depts, pushes); err != nil {
		fmt.Fprintln(os.Stderr, "bench vendors:", err)
		os.Exit(1)
	}
}

func run(users, depts, pushes int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ramsync-bench-vendors-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Printf("building the function binaries…\n")
	bins, err := localrun.Build(ctx, dir)
	if err != nil {
		return err
	}
	fmt.Printf("settings: round trip %s to SCIM, the RAM OpenAPI, Feishu and DingTalk; directories of %d users in %d departments; %d pushes of each kind\n\n",
		rtt, users, depts, pushes)
	var rows []benchtable.Row
	for _, f := range []func() ([]benchtable.Row, error){
		func() ([]benchtable.Row, error) { return feishuPull(ctx, users, depts) },
		func() ([]benchtable.Row, error) { return dingtalkPull(ctx, users, depts) },
		func() ([]benchtable.Row, error) { return feishuPushes(ctx, bins, pushes) },
		func() ([]benchtable.Row, error) { return dingtalkPushes(ctx, bins, pushes) },
	} {
		r, err := f()
		if err != nil {
			return err
		}
		benchtable.PrintRows(r, 36, 34, 12)
		rows = append(rows, r...)
	}
	fmt.Printf("\nResults (vendors)\n")
	benchtable.PrintTable(rows)
	var bad []string
	for _, r := range rows {
		if r.Verdict() == benchtable.NotMeasured {
			bad = append(bad, r.Scenario+": "+r.Metric)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d figures could not be measured: %s", len(bad), strings.Join(bad, "; "))
	}
	return nil
}

// slow is a loopback reverse proxy that holds every request for one
// round trip, then passes it to target() (read per request, so that the
// proxy can exist before what it fronts).
func slow(target func() string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := url.Parse(target())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		time.Sleep(rtt)
		httputil.NewSingleHostReverseProxy(u).ServeHTTP(w, r)
	}))
}

// feishuPull pulls a seeded directory through the real client, as the
// reconciler's feishu:// roster does.
func feishuPull(ctx context.Context, users, depts int) ([]benchtable.Row, error) {
	srv := cloudtest.NewFeishu(cloudtest.FeishuOptions{})
	defer srv.Close()
	seed := srv.SeedDirectory(users, depts)
	proxy := slow(func() string { return srv.URL })
	defer proxy.Close()
	sec := feishu.Secret{AppSecret: secrets.NewValue(srv.Options().AppSecret), EncryptKey: secrets.NewValue("k"), VerificationToken: secrets.NewValue("v")}
	c, err := feishu.NewClient(feishu.Config{AppID: srv.Options().AppID, Endpoint: proxy.URL,
		Secret: func(context.Context) (feishu.Secret, error) { return sec, nil }})
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	r, err := c.Roster(ctx, "")
	wall := time.Since(t0)
	if err != nil {
		return nil, fmt.Errorf("feishu pull: %w", err)
	}
	want := seed.Users
	if len(r.Employees)+len(r.Problems) != want {
		return nil, fmt.Errorf("feishu pull: %d employees and %d problems, want %d users", len(r.Employees), len(r.Problems), want)
	}
	children, userPages := srv.LowerBound("0")
	cnt := srv.Counters()
	calls := cnt[cloudtest.FeishuAPIChildren] + cnt[cloudtest.FeishuAPIFindByDepartment]
	// At most 50 a second per API (a client bucket of one: n calls take
	// (n-1)/50 s), the walk before the users, each phase ending a round
	// trip after its last request; the walk's pages are sequential.
	walk := math.Max(float64(children)*rtt.Seconds(), float64(children-1)/50+rtt.Seconds())
	bound := walk + float64(userPages-1)/50 + rtt.Seconds() + rtt.Seconds() // + the token
	name := fmt.Sprintf("feishu:// pull, %d users, %d depts", users, depts)
	return []benchtable.Row{
		{Scenario: name, Metric: "pull calls (walk + users)", Value: float64(calls), Bound: float64(children + userPages), Goal: 1.00},
		{Scenario: name, Metric: "token calls", Value: float64(cnt[cloudtest.FeishuAPIToken]), Bound: 1, Goal: 1.00},
		{Scenario: name, Metric: "pull wall time vs 50/s per API", Value: wall.Seconds(), Bound: bound, Unit: "s", Goal: 1.25},
		{Scenario: name, Metric: "rate-limited answers (429)", Value: float64(cnt[cloudtest.FeishuAPIFindByDepartment+".429"] + cnt[cloudtest.FeishuAPIChildren+".429"])},
	}, nil
}

// dingtalkPull pulls a seeded org through the real client, as the
// reconciler's dingtalk:// roster does.
func dingtalkPull(ctx context.Context, users, depts int) ([]benchtable.Row, error) {
	srv := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{})
	defer srv.Close()
	srv.SeedOrg(users, depts)
	proxy := slow(func() string { return srv.URL })
	defer proxy.Close()
	o := srv.Options()
	c, err := dingtalk.NewClient(dingtalk.Config{AppKey: o.AppKey, Endpoint: proxy.URL,
		Secret: func(context.Context) (dingtalk.Secret, error) {
			return dingtalk.Secret{AppSecret: secrets.NewValue(o.AppSecret)}, nil
		}})
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	r, err := c.Roster(ctx, "")
	wall := time.Since(t0)
	if err != nil {
		return nil, fmt.Errorf("dingtalk pull: %w", err)
	}
	if len(r.Employees) != users {
		return nil, fmt.Errorf("dingtalk pull: %d employees, want %d", len(r.Employees), users)
	}
	calls := srv.AllCalls()
	total := 0
	for _, n := range calls {
		total += n
	}
	// 20 a second per API (a client bucket of one): the busiest API's
	// (n-1)/20 s, plus the token's round trip and the last answer's.
	busiest := max(calls[dingtalk.APIListSubDept], calls[dingtalk.APIUserList])
	bound := float64(busiest-1)/20 + 2*rtt.Seconds()
	name := fmt.Sprintf("dingtalk:// pull, %d users, %d depts", users, depts)
	throttled := srv.Throttled(dingtalk.APIListSubDept) + srv.Throttled(dingtalk.APIUserList)
	return []benchtable.Row{
		{Scenario: name, Metric: "pull calls (token, walk, users)", Value: float64(total), Bound: float64(srv.MinPullCalls()), Goal: 1.00},
		{Scenario: name, Metric: "pull wall time vs 20/s per API", Value: wall.Seconds(), Bound: bound, Unit: "s", Goal: 1.25},
		{Scenario: name, Metric: "throttled answers (90018)", Value: float64(throttled)},
	}, nil
}

// pushEnv starts ramsync for push timing: 50 ms round trips to SCIM and
// the RAM OpenAPI, leavers suspended (LEAVER_GRACE), and the vendor's
// API behind a 50 ms proxy.
func pushEnv(ctx context.Context, bins map[string]string, o localrun.Options) (*localrun.Local, error) {
	o.Binaries = bins
	o.Cloud = cloudtest.Options{Latency: rtt}
	o.Env = map[string]string{"SCIM_RPS": "1000", "LOG_LEVEL": "warn", "LEAVER_GRACE": "720h", "OFFBOARD_CLEANUP": "true"}
	l, err := localrun.Start(ctx, o)
	if err != nil {
		return nil, err
	}
	l.Cloud.SetFaults(cloudtest.RAM, cloudtest.Faults{Latency: rtt})
	return l, nil
}

// leaverRAM gives a user what a leaver's suspension turns off: an active
// AccessKey and a console login.
func leaverRAM(l *localrun.Local, userName string) {
	l.Cloud.SetRAM(userName, cloudtest.Blockers{AccessKeys: []cloudtest.AccessKey{{Status: "Active"}}, LoginProfile: true})
}

// pushRows are a push kind's answer times against the deadline and the
// round trips the push needs (measured: the requests that reached the
// doubles per push, the parallel lookups counted once).
func pushRows(name string, lat []time.Duration, deadline time.Duration, trips float64) []benchtable.Row {
	if len(lat) == 0 {
		return []benchtable.Row{{Scenario: name, Metric: "answer time", Value: math.NaN()}}
	}
	p50, p99 := benchtable.Median(lat), benchtable.Percentile(lat, 99)
	return []benchtable.Row{
		{Scenario: name, Metric: fmt.Sprintf("answer p50 of %d vs deadline", len(lat)), Value: ms(p50), Bound: ms(deadline), Unit: "ms", Goal: 1.00},
		{Scenario: name, Metric: "answer p99 vs deadline", Value: ms(p99), Bound: ms(deadline), Unit: "ms", Goal: 1.00},
		{Scenario: name, Metric: fmt.Sprintf("answer p50 vs %.0f round trips", trips), Value: ms(p50), Bound: trips * ms(rtt), Unit: "ms"},
		{Scenario: name, Metric: fmt.Sprintf("answer p99 vs %.0f round trips", trips), Value: ms(p99), Bound: trips * ms(rtt), Unit: "ms"},
	}
}

// trips is the round trips of one push from the counters' change over n
// pushes: the SCIM lookups go out two at a time (by externalId and by
// userName together), then each SCIM write, RAM OpenAPI request and
// vendor API request (vendorCalls over the n pushes) one after the other.
func trips(before, after cloudtest.Counters, vendorCalls, n int) float64 {
	per := func(v int64) float64 { return float64(v) / float64(n) }
	writes := per(after.SCIMWrites() - before.SCIMWrites())
	lookups := per(after.SCIM()-before.SCIM()) - writes
	ram := per(after.Service("ram") - before.Service("ram"))
	return math.Round(math.Ceil(lookups/2) + writes + ram + float64(vendorCalls)/float64(n))
}

func feishuPushes(ctx context.Context, bins map[string]string, n int) ([]benchtable.Row, error) {
	l, err := pushEnv(ctx, bins, localrun.Options{Feishu: &cloudtest.FeishuOptions{}})
	if err != nil {
		return nil, err
	}
	defer l.Close()
	user := func(i int, st *cloudtest.FeishuUserStatus) cloudtest.FeishuUser {
		return cloudtest.FeishuUser{UserID: fmt.Sprintf("F%05d", i), Name: fmt.Sprintf("User %d", i), EnterpriseEmail: fmt.Sprintf("fs%05d@corp.example.com", i), Status: st}
	}
	send := func(i int, typ string, st *cloudtest.FeishuUserStatus, want string) (time.Duration, error) {
		p := l.FeishuApp.EncryptPush(l.FeishuApp.Event(cloudtest.FeishuEvent{Type: typ, CreateTime: time.Now(), User: user(i, st)}), time.Now())
		t := time.Now()
		status, body, err := l.PostFeishu(ctx, p)
		d := time.Since(t)
		if err != nil || status != 200 || !strings.Contains(string(body), `"action":"`+want+`"`) {
			return 0, fmt.Errorf("feishu push %d: %d %s %v, want %s", i, status, body, err, want)
		}
		return d, nil
	}
	if _, err := send(-1, feishu.EventUserCreated, nil, "created"); err != nil { // the cold start
		return nil, err
	}
	var hires, leavers []time.Duration
	before := l.Cloud.Counters()
	for i := range n {
		d, err := send(i, feishu.EventUserCreated, nil, "created")
		if err != nil {
			return nil, err
		}
		hires = append(hires, d)
	}
	mid := l.Cloud.Counters()
	for i := range n {
		leaverRAM(l, fmt.Sprintf("fs%05d", i))
	}
	mid2 := l.Cloud.Counters()
	for i := range n {
		d, err := send(i, feishu.EventUserUpdated, &cloudtest.FeishuUserStatus{IsResigned: true}, "suspended")
		if err != nil {
			return nil, err
		}
		leavers = append(leavers, d)
	}
	end := l.Cloud.Counters()
	return append(pushRows("feishu push: hire", hires, feishuDeadline, trips(before, mid, 0, n)),
		pushRows("feishu push: leaver, suspended", leavers, feishuDeadline, trips(mid2, end, 0, n))...), nil
}

func dingtalkPushes(ctx context.Context, bins map[string]string, n int) ([]benchtable.Row, error) {
	// The webhook reaches DingTalk's API through the 50 ms proxy.
	var target string
	proxy := slow(func() string { return target })
	defer proxy.Close()
	l, err := pushEnv(ctx, bins, localrun.Options{DingTalk: &cloudtest.DingTalkOptions{RateLimit: -1},
		FuncEnv: map[string]map[string]string{"webhook": {"DINGTALK_ENDPOINT": proxy.URL}}})
	if err != nil {
		return nil, err
	}
	defer l.Close()
	dt := l.DingTalk
	target = dt.URL
	id := func(i int) string { return fmt.Sprintf("d%05d", i) }
	for i := -1; i < n; i++ {
		dt.AddUser(cloudtest.DingTalkUser{UserID: id(i), Name: fmt.Sprintf("User %d", i), OrgEmail: id(i) + "@corp.example.com", DeptIDs: []int64{1}})
	}
	send := func(i int, typ string) (time.Duration, error) {
		msg := dt.EventMessage(typ, time.Now(), id(i))
		t := time.Now()
		status, body, err := l.SendDingTalk(ctx, msg)
		d := time.Since(t)
		if err != nil || status != 200 || dt.CheckReply(body) != nil {
			return 0, fmt.Errorf("dingtalk push %d: %d %s %v", i, status, body, err)
		}
		return d, nil
	}
	if _, err := send(-1, dingtalk.TypeUserAdd); err != nil { // the cold start (and the token)
		return nil, err
	}
	var hires, leavers []time.Duration
	before, dtBefore := l.Cloud.Counters(), dt.Calls(dingtalk.APIUserGet)
	for i := range n {
		d, err := send(i, dingtalk.TypeUserAdd)
		if err != nil {
			return nil, err
		}
		hires = append(hires, d)
	}
	mid, dtMid := l.Cloud.Counters(), dt.Calls(dingtalk.APIUserGet)
	if got := len(l.Cloud.Users()); got != n+1 {
		return nil, fmt.Errorf("dingtalk pushes: %d RAM users after %d joiners", got, n+1)
	}
	for i := range n {
		leaverRAM(l, id(i))
		dt.RemoveUser(id(i))
	}
	mid2 := l.Cloud.Counters()
	for i := range n {
		d, err := send(i, dingtalk.TypeUserLeave)
		if err != nil {
			return nil, err
		}
		leavers = append(leavers, d)
	}
	end := l.Cloud.Counters()
	for i := range n {
		if c := l.Cloud.Comments(id(i)); !strings.HasPrefix(c, "ramsync:suspended:") {
			return nil, fmt.Errorf("dingtalk pushes: %s not suspended (Comments %q)", id(i), c)
		}
	}
	return append(pushRows("dingtalk push: joiner", hires, dingtalkDeadline, trips(before, mid, dtMid-dtBefore, n)),
		pushRows("dingtalk push: leaver, suspended", leavers, dingtalkDeadline, trips(mid2, end, 0, n))...), nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
