package main

import (
	"github.com/ramsync/ramsync/scripts/bench/benchtable"

	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/localrun"
	"github.com/ramsync/ramsync/pkg/provision"
)

// start runs ramsync with the bench settings.
func start(ctx context.Context, s settings, bins map[string]string) (*localrun.Local, error) {
	return localrun.Start(ctx, localrun.Options{
		Binaries: bins,
		Cloud:    cloudtest.Options{Latency: s.latency, RateLimit: s.serverRPS, RateBurst: s.serverBurst, MaxPageSize: s.page},
		Env: map[string]string{
			"SCIM_RPS": fmt.Sprint(s.clientRPS), "SCIM_CONCURRENCY": strconv.Itoa(s.concurrency),
			"LOG_LEVEL": "warn", "MAX_DELETES": "1000000", "MAX_DELETE_PERCENT": "100",
		},
	})
}

// phaseBound is the least time n requests can take, the last answer
// included: when the rate limit binds, the server's bucket lets its burst
// through at once and the rest at its rate, and the last answer comes a
// round trip after the last request; when the round trips bind, n requests
// take ⌈n/concurrency⌉ waves of one round trip.
func phaseBound(s settings, n int) time.Duration {
	if n == 0 {
		return 0
	}
	byRate := math.Max(float64(n-s.serverBurst), 0)/s.serverRPS + s.latency.Seconds()
	byLatency := math.Ceil(float64(n)/float64(s.concurrency)) * s.latency.Seconds()
	return time.Duration(math.Max(byRate, byLatency) * float64(time.Second))
}

// reconcile runs the reconciler binary once and reads its report and the
// process's peak memory.
func reconcile(ctx context.Context, l *localrun.Local, payload string) (provision.Report, time.Duration, float64, error) {
	var rep provision.Report
	t0 := time.Now()
	raw, _, err := l.Reconcile(ctx, payload)
	wall := time.Since(t0)
	if err != nil {
		return rep, wall, 0, err
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		return rep, wall, 0, err
	}
	var rss float64
	for _, inst := range l.Runtime.Instances("reconciler") {
		if v := peakRSS(inst.PID); v > rss {
			rss = v
		}
	}
	return rep, wall, rss, nil
}

// rosterFormats are the roster formats a steady run with no drift reads,
// each in its own reconciler process so that each has its own peak RSS:
// ramsync's JSON, then the three HR systems' exports (ROSTER_FORMAT=auto).
var rosterFormats = []string{"json", "workday", "bamboohr", "successfactors"}

// steady is a reconcile of n users where pct percent drifted, from a JSON
// roster; with no drift, also from each HR system's export.
func steady(ctx context.Context, s settings, bins map[string]string, n int, pct float64) ([]benchtable.Row, error) {
	rows, err := steadyFormat(ctx, s, bins, n, pct, "json")
	if err != nil || pct != 0 {
		return rows, err
	}
	for _, format := range rosterFormats[1:] {
		r, err := steadyFormat(ctx, s, bins, n, pct, format)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r...)
	}
	return rows, nil
}

// steadyFormat is steady with the roster in format.
func steadyFormat(ctx context.Context, s settings, bins map[string]string, n int, pct float64, format string) ([]benchtable.Row, error) {
	l, err := start(ctx, s, bins)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	changes := int(float64(n) * pct / 100)
	old := time.Now().Add(-72 * time.Hour)
	l.Cloud.SeedUsers(n, func(i int) cloudtest.User {
		display := fmt.Sprintf("User %d", i)
		if i < changes {
			display += " (old)" // drifted: the reconcile puts it back
		}
		return cloudtest.User{ExternalID: fmt.Sprintf("E%06d", i), UserName: fmt.Sprintf("user%06d", i), DisplayName: display, Created: old, LastModified: old}
	})
	size, err := writeRoster(l, format, n)
	if err != nil {
		return nil, err
	}
	// A first, dry run in a cold process: token, secret and connections
	// are set up on the way. Then the measured run, in the warm process.
	dry, dryWall, _, err := reconcile(ctx, l, `{"dryRun": true}`)
	if err != nil {
		return nil, err
	}
	// Without drift every warm run does the same work: up to 10k users,
	// the wall times are the median of three runs (a single one of 150 ms
	// moves by a tenth with the machine's other load).
	runs := 1
	if pct == 0 && format == "json" && n <= 10_000 {
		runs = 3
	}
	var rep *provision.Report
	var wall time.Duration
	var rss float64
	var server int64
	var walls, phases []time.Duration
	for range runs {
		l.Cloud.ResetCounters()
		r, w, peak, err := reconcile(ctx, l, `{"dryRun": false}`)
		if err != nil {
			return nil, err
		}
		// The goal-bearing count is what the double received, cross-checked
		// with what the client says it sent.
		server = l.Cloud.Counters().SCIM()
		if r.SCIMCalls.Total != server {
			return nil, fmt.Errorf("steady %d/%g%%: the report counts %d SCIM calls, the double received %d", n, pct, r.SCIMCalls.Total, server)
		}
		if rep != nil && (r.Counts.Update != 0 || r.SCIMCalls.Total != rep.SCIMCalls.Total) {
			return nil, fmt.Errorf("steady %d/%g%%: run %d differs from the first: counts %+v, %d SCIM calls", n, pct, len(walls)+1, r.Counts, r.SCIMCalls.Total)
		}
		if rep == nil {
			rep = &r
		}
		rss = max(rss, peak)
		walls = append(walls, w)
		phases = append(phases, time.Duration(r.Timings.ListMs+r.Timings.PlanMs+r.Timings.ApplyMs)*time.Millisecond)
	}
	wall = benchtable.Median(walls)
	if rep.Counts.Update != changes || rep.Counts.Failed != 0 || dry.Counts.Update != changes {
		return nil, fmt.Errorf("steady %d/%g%% (%s roster): counts %+v", n, pct, format, rep.Counts)
	}
	if rep.Roster.Format != format || rep.Roster.Records != n || rep.Counts.Rejected != 0 || rep.Counts.Unchanged != n-changes {
		return nil, fmt.Errorf("steady %d/%g%% (%s roster): roster %+v, counts %+v", n, pct, format, rep.Roster, rep.Counts)
	}
	if format != "json" {
		name := fmt.Sprintf("steady %s users, %s roster (%.0f MB)", short(n), format, float64(size)/(1<<20))
		return []benchtable.Row{
			{Scenario: name, Metric: "roster read (invocation)", Value: float64(rep.Timings.RosterMs), Unit: "ms"},
			{Scenario: name, Metric: "peak RSS (reconciler)", Value: rss, Bound: 128, Unit: "MB", Goal: 1.00},
		}, nil
	}
	pages := (n + s.page - 1) / s.page
	name := fmt.Sprintf("steady %s users, %g%% changes", short(n), pct)
	// The first page must arrive before the others can be asked for; the
	// writes start when the plan is made.
	bound := phaseBound(s, 1) + phaseBound(s, pages-1) + phaseBound(s, changes)
	rows := []benchtable.Row{
		{Scenario: name, Metric: "SCIM calls (server-side)", Value: float64(server), Bound: float64(pages + changes), Unit: "", Goal: 1.00},
		{Scenario: name, Metric: "wall time (list+plan+apply)" + medianOf(runs), Value: ms(benchtable.Median(phases)), Bound: ms(bound), Unit: "ms", Goal: 1.10},
		{Scenario: name, Metric: "wall time (invocation)" + medianOf(runs), Value: ms(wall), Bound: ms(bound), Unit: "ms"},
		{Scenario: name, Metric: "cold dry run (list+plan)", Value: ms(time.Duration(dry.Timings.ListMs+dry.Timings.PlanMs) * time.Millisecond), Bound: ms(phaseBound(s, 1) + phaseBound(s, pages-1)), Unit: "ms"},
		{Scenario: name, Metric: "roster read (invocation)", Value: float64(rep.Timings.RosterMs), Unit: "ms"},
		{Scenario: name, Metric: "cold dry run (invocation)", Value: ms(dryWall), Unit: "ms"},
		{Scenario: name, Metric: "planning CPU", Value: float64(rep.Timings.PlanMs), Bound: 1000, Unit: "ms", Goal: 1.00},
		{Scenario: name, Metric: "peak RSS (reconciler)", Value: rss, Bound: 128, Unit: "MB", Goal: 1.00},
	}
	return rows, nil
}

// medianOf labels a figure that is the median of runs runs.
func medianOf(runs int) string {
	if runs == 1 {
		return ""
	}
	return fmt.Sprintf(", median of %d", runs)
}

// writeRoster writes the reconciler's roster of n users in format and
// returns its size: ramsync's {"asOf", "employees"}, or an HR system's
// export as the double serves it (one SuccessFactors page: a file:// roster
// cannot follow __next).
func writeRoster(l *localrun.Local, format string, n int) (int, error) {
	if format == "json" {
		emps := make([]map[string]any, n)
		for i := range n {
			emps[i] = map[string]any{"id": fmt.Sprintf("E%06d", i), "email": fmt.Sprintf("user%06d@example.com", i), "displayName": fmt.Sprintf("User %d", i)}
		}
		if err := l.WriteRoster(time.Now(), emps); err != nil {
			return 0, err
		}
		fi, err := os.Stat(l.RosterPath)
		if err != nil {
			return 0, err
		}
		return int(fi.Size()), nil
	}
	workers := make([]cloudtest.Worker, n)
	for i := range workers {
		workers[i] = cloudtest.Worker{ID: fmt.Sprintf("E%06d", i), FirstName: "User", LastName: strconv.Itoa(i), Email: fmt.Sprintf("user%06d@example.com", i)}
	}
	var data []byte
	switch format {
	case "workday":
		data = cloudtest.WorkdayReport(workers)
	case "bamboohr":
		data = cloudtest.BambooHRReport(workers)
	case "successfactors":
		data = cloudtest.SuccessFactorsPage("https://api4.successfactors.com", workers, "")
	default:
		return 0, fmt.Errorf("no roster format %q", format)
	}
	return len(data), os.WriteFile(l.RosterPath, data, 0o644)
}

// initial is the first run against an empty RAM: n creates.
func initial(ctx context.Context, s settings, bins map[string]string, n int) ([]benchtable.Row, error) {
	l, err := start(ctx, s, bins)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	emps := make([]map[string]any, n)
	for i := range n {
		emps[i] = map[string]any{"id": fmt.Sprintf("E%06d", i), "email": fmt.Sprintf("user%06d@example.com", i), "displayName": fmt.Sprintf("User %d", i)}
	}
	if err := l.WriteRoster(time.Now(), emps); err != nil {
		return nil, err
	}
	rep, _, _, err := reconcile(ctx, l, `{}`)
	if err != nil {
		return nil, err
	}
	c := l.Cloud.Counters()
	throttled := c["scim.create.429"] + c["scim.list.429"]
	if rep.Counts.Create != n || rep.Counts.Failed != 0 || len(l.Cloud.Users()) != n {
		return nil, fmt.Errorf("initial load: counts %+v, users %d", rep.Counts, len(l.Cloud.Users()))
	}
	name := fmt.Sprintf("initial load, %s creates", short(n))
	rate := float64(n) / (float64(rep.Timings.ApplyMs) / 1000)
	return []benchtable.Row{
		{Scenario: name, Metric: "creates per second", Value: rate, Bound: s.serverRPS, Unit: "/s", Goal: 0.95, AtLeast: true},
		{Scenario: name, Metric: "failed creates", Value: float64(rep.Counts.Failed), Unit: ""},
		{Scenario: name, Metric: "429s from the server", Value: float64(throttled), Unit: ""},
	}, nil
}

func short(n int) string {
	switch {
	case n >= 1000 && n%1000 == 0:
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// peakRSS reads a process's peak resident set (VmHWM) in MB.
func peakRSS(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
