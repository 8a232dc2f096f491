package main

import (
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
func webhook(ctx context.Context, s settings, bins map[string]string, n int) ([]row, error) {
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
	p50, p99 := median(lat), percentile(lat, 99)
	name := fmt.Sprintf("webhook hire, %d warm", n)
	// The SCIM figures are the double's own counts of what arrived; the
	// webhook reports no client-side count to cross-check them with, so
	// they are checked against what n hires must cost at least instead:
	// a warm hire is two lookups and a create.
	if got := warm["scim.create"]; got != int64(n) {
		return nil, fmt.Errorf("webhook: the double counted %d creates for %d warm hires", got, n)
	}
	return []row{
		{scenario: name, metric: fmt.Sprintf("latency median of %d", n), value: ms(p50), bound: ms(rtt), unit: "ms"},
		{scenario: name, metric: "latency p99", value: ms(p99), bound: ms(rtt), unit: "ms"},
		{scenario: name, metric: "latency − 2 RTT, p50 (runtime hops incl.)", value: ms(p50 - rtt), unit: "ms"},
		{scenario: name, metric: "latency − 2 RTT, p99 (runtime hops incl.)", value: ms(p99 - rtt), unit: "ms"},
		{scenario: name, metric: "SCIM calls per warm hire (server-side)", value: float64(warm.SCIM()) / float64(n), bound: 3, unit: "", goal: 1.00},
		{scenario: name, metric: "token requests, warm", value: float64(warm["oauth.token"]), unit: ""},
		{scenario: name, metric: "KMS requests, warm", value: float64(warm["kms.GetSecretValue"]), unit: ""},
		{scenario: "webhook hire, cold", metric: "latency", value: ms(coldLatency), bound: ms(rtt), unit: "ms"},
		{scenario: "webhook hire, cold", metric: "token requests", value: float64(afterCold["oauth.token"]), bound: 1, unit: "", goal: 1.00},
		{scenario: "webhook hire, cold", metric: "KMS requests (app secret, signing key)", value: float64(afterCold["kms.GetSecretValue"]), bound: 2, unit: "", goal: 1.00},
	}, nil
}

// handlerOverhead runs BenchmarkHireOverhead (functions/webhook): the
// handler in-process, its time minus the time a SCIM request was in flight.
func handlerOverhead(ctx context.Context) ([]row, error) {
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
	return []row{
		{scenario: name, metric: "overhead p50 (time minus SCIM in flight)", value: m["overhead-p50-ms"], bound: 2, unit: "ms"},
		{scenario: name, metric: "overhead p99 (time minus SCIM in flight)", value: m["overhead-p99-ms"], bound: 2, unit: "ms", goal: 1.00},
	}, nil
}

// cold measures process start to the first runtime-API request, n times
// per function, and the zip sizes.
func cold(ctx context.Context, bins map[string]string, n int) ([]row, error) {
	var rows []row
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
			row{scenario: "cold start " + fn, metric: fmt.Sprintf("start → first next, median of %d", len(d)), value: ms(median(d)), bound: 50, unit: "ms", goal: 1.00},
			row{scenario: "cold start " + fn, metric: "start → first next, max", value: ms(slices.Max(d)), bound: 50, unit: "ms"})
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
		rows = append(rows, row{scenario: "zip " + fn, metric: "size", value: float64(st.Size()) / (1 << 20), bound: 10, unit: "MB", goal: 1.00})
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
