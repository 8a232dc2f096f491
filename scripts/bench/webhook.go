package main

import (
	"github.com/ramsync/ramsync/scripts/bench/benchtable"

	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/localrun"
)

func hire(i int) []byte {
	return []byte(fmt.Sprintf(`{"id":"evt-%d","type":"employee.hired","employee":{"id":"E%06d","email":"user%06d@example.com","displayName":"User %d"}}`, i, i, i, i))
}

// webhook measures warm and cold webhook invocations end to end: an HTTP
// request to the trigger, through the runtime API and the binary, to the
// SCIM double and back. A hire is two lookups in parallel and one create:
// two round trips. What is left is ramsync's (and the runtime's) overhead.
func webhook(ctx context.Context, s settings, bins map[string]string, n int) ([]benchtable.Row, error) {
	l, err := start(ctx, s, bins)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	t0 := time.Now()
	if status, body, err := l.Post(ctx, hire(0), nil); err != nil || status != 200 {
		return nil, fmt.Errorf("cold webhook: %d %s %v", status, body, err)
	}
	coldLatency := time.Since(t0)
	afterCold := l.Cloud.Counters()
	var lat []time.Duration
	for i := 1; i <= n; i++ {
		t := time.Now()
		status, body, err := l.Post(ctx, hire(i), nil)
		if err != nil || status != 200 {
			return nil, fmt.Errorf("webhook %d: %d %s %v", i, status, body, err)
		}
		lat = append(lat, time.Since(t))
	}
	warm := sub(l.Cloud.Counters(), afterCold)
	rtt := 2 * s.latency
	p50, p99 := benchtable.Median(lat), benchtable.Percentile(lat, 99)
	name := fmt.Sprintf("webhook hire, %d warm", n)
	// The SCIM figures are the double's own counts of what arrived; the
	// webhook reports no client-side count to cross-check them with, so
	// they are checked against what n hires must cost at least instead:
	// a warm hire is two lookups and a create.
	if got := warm["scim.create"]; got != int64(n) {
		return nil, fmt.Errorf("webhook: the double counted %d creates for %d warm hires", got, n)
	}
	return []benchtable.Row{
		{Scenario: name, Metric: fmt.Sprintf("latency median of %d", n), Value: ms(p50), Bound: ms(rtt), Unit: "ms"},
		{Scenario: name, Metric: "latency p99", Value: ms(p99), Bound: ms(rtt), Unit: "ms"},
		{Scenario: name, Metric: "latency − 2 RTT, p50 (runtime hops incl.)", Value: ms(p50 - rtt), Unit: "ms"},
		{Scenario: name, Metric: "latency − 2 RTT, p99 (runtime hops incl.)", Value: ms(p99 - rtt), Unit: "ms"},
		{Scenario: name, Metric: "SCIM calls per warm hire (server-side)", Value: float64(warm.SCIM()) / float64(n), Bound: 3, Unit: "", Goal: 1.00},
		{Scenario: name, Metric: "token requests, warm", Value: float64(warm["oauth.token"]), Unit: ""},
		{Scenario: name, Metric: "KMS requests, warm", Value: float64(warm["kms.GetSecretValue"]), Unit: ""},
		{Scenario: "webhook hire, cold", Metric: "latency", Value: ms(coldLatency), Bound: ms(rtt), Unit: "ms"},
		{Scenario: "webhook hire, cold", Metric: "token requests", Value: float64(afterCold["oauth.token"]), Bound: 1, Unit: "", Goal: 1.00},
		{Scenario: "webhook hire, cold", Metric: "KMS requests (app secret, signing key)", Value: float64(afterCold["kms.GetSecretValue"]), Bound: 2, Unit: "", Goal: 1.00},
	}, nil
}

// handlerOverhead runs BenchmarkHireOverhead (functions/webhook): the
// handler in-process, its time minus the time a SCIM request was in flight.
func handlerOverhead(ctx context.Context) ([]benchtable.Row, error) {
	root, err := localrun.ModuleRoot()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", "HireOverhead", "-benchtime", "300x", "./functions/webhook")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("BenchmarkHireOverhead: %v\n%s", err, out)
	}
	m := map[string]float64{"overhead-p50-ms": math.NaN(), "overhead-p99-ms": math.NaN()} // NaN until read
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], "BenchmarkHireOverhead") {
			continue
		}
		for i := 1; i+1 < len(f); i++ {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil && strings.HasSuffix(f[i+1], "-ms") {
				m[f[i+1]] = v
			}
		}
	}
	name := "webhook handler, in-process, 300 hires"
	return []benchtable.Row{
		{Scenario: name, Metric: "overhead p50 (time minus SCIM in flight)", Value: m["overhead-p50-ms"], Bound: 2, Unit: "ms"},
		{Scenario: name, Metric: "overhead p99 (time minus SCIM in flight)", Value: m["overhead-p99-ms"], Bound: 2, Unit: "ms", Goal: 1.00},
	}, nil
}

// cold measures process start to the first runtime-API request, n times
// per function, and the zip sizes.
func cold(ctx context.Context, bins map[string]string, n int) ([]benchtable.Row, error) {
	var rows []benchtable.Row
	l, err := localrun.Start(ctx, localrun.Options{Binaries: bins, Cloud: cloudtest.Options{},
		MaxInstances: map[string]int{"webhook": n, "reconciler": n, "offboarding": n}})
	if err != nil {
		return nil, err
	}
	defer l.Close()
	for _, fn := range localrun.Functions {
		var d []time.Duration
		for range n {
			info, err := l.Runtime.Start(ctx, fn)
			if err != nil {
				return nil, err
			}
			d = append(d, info.ColdStart())
		}
		rows = append(rows,
			benchtable.Row{Scenario: "cold start " + fn, Metric: fmt.Sprintf("start → first next, median of %d", len(d)), Value: ms(benchtable.Median(d)), Bound: 50, Unit: "ms", Goal: 1.00},
			benchtable.Row{Scenario: "cold start " + fn, Metric: "start → first next, max", Value: ms(slices.Max(d)), Bound: 50, Unit: "ms"})
	}
	root, err := localrun.ModuleRoot()
	if err != nil {
		return nil, err
	}
	for _, fn := range localrun.Functions {
		st, err := os.Stat(filepath.Join(root, "dist", fn+".zip"))
		if err != nil {
			return nil, fmt.Errorf("%v (scripts/bench.sh runs scripts/build.sh first)", err)
		}
		rows = append(rows, benchtable.Row{Scenario: "zip " + fn, Metric: "size", Value: float64(st.Size()) / (1 << 20), Bound: 10, Unit: "MB", Goal: 1.00})
	}
	return rows, nil
}

// sub is what happened between two counter snapshots.
func sub(now, before cloudtest.Counters) cloudtest.Counters {
	d := cloudtest.Counters{}
	for k, v := range now {
		if v-before[k] != 0 {
			d[k] = v - before[k]
		}
	}
	return d
}
