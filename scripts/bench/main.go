// Command bench measures ramsync against the bounds the SCIM API allows,
// through the real function binaries on the local FC runtime and the
// cloud test double with emulated latency and a server-side rate limit.
// Every result is printed with its bound and the ratio between them,
// measured in the same run. scripts/bench.sh runs it.
//
//	go run ./scripts/bench                  # the full set (several minutes)
//	go run ./scripts/bench -quick           # smaller sizes, for a look
package main

import (
	"github.com/ramsync/ramsync/scripts/bench/benchtable"

	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ramsync/ramsync/pkg/localrun"
)

// settings are the knobs of a run, printed with the results.
type settings struct {
	latency     time.Duration // added by the double to every SCIM request: the round trip
	serverRPS   float64       // the double's SCIM rate limit (429 + Retry-After above it)
	serverBurst int           // requests the server's bucket lets through at once
	clientRPS   float64       // SCIM_RPS: the client's own limit
	concurrency int           // SCIM_CONCURRENCY: writes and list pages in flight
	page        int           // the server's page size (count is capped there)
}

func main() {
	quick := flag.Bool("quick", false, "smaller sizes (1k and 10k users, 2k creates, 50 webhooks)")
	only := flag.String("only", "", "run only the scenarios whose name contains this (steady, initial, webhook, cold)")
	sizesFlag := flag.String("sizes", "", "comma-separated user counts for the steady-state runs (overrides the defaults)")
	flag.Parse()
	s := settings{latency: 50 * time.Millisecond, serverRPS: 100, serverBurst: 10, clientRPS: 98, concurrency: 8, page: 100}
	sizes, creates, hooks := []int{1_000, 10_000, 100_000}, 10_000, 200
	if *quick {
		sizes, creates, hooks = []int{1_000, 10_000}, 2_000, 50
	}
	if *sizesFlag != "" {
		sizes = nil
		for _, f := range strings.Split(*sizesFlag, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				fmt.Fprintf(os.Stderr, "bench: -sizes: %q is not a positive number\n", f)
				os.Exit(2)
			}
			sizes = append(sizes, n)
		}
	}
	if err := run(s, sizes, creates, hooks, *only); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(s settings, sizes []int, creates, hooks int, only string) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ramsync-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Printf("building the function binaries…\n")
	bins, err := localrun.Build(ctx, dir)
	if err != nil {
		return err
	}
	fmt.Printf("settings: SCIM round trip %s, server limit %g req/s (bursts of %d), SCIM_RPS %g (bursts of %d), SCIM_CONCURRENCY %d, page %d\n\n",
		s.latency, s.serverRPS, s.serverBurst, s.clientRPS, max(2, int(s.clientRPS/10)), s.concurrency, s.page)
	var rows []benchtable.Row
	want := func(name string) bool { return only == "" || strings.Contains(name, only) }
	if want("steady") {
		for _, n := range sizes {
			for _, pct := range []float64{0, 1} {
				r, err := steady(ctx, s, bins, n, pct)
				if err != nil {
					return err
				}
				rows = append(rows, r...)
				benchtable.PrintRows(r, 28, 26, 16)
			}
		}
	}
	if want("initial") {
		r, err := initial(ctx, s, bins, creates)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
		benchtable.PrintRows(r, 28, 26, 16)
	}
	if want("webhook") {
		r, err := webhook(ctx, s, bins, hooks)
		if err != nil {
			return err
		}
		h, err := handlerOverhead(ctx)
		if err != nil {
			return err
		}
		r = append(r, h...)
		rows = append(rows, r...)
		benchtable.PrintRows(r, 28, 26, 16)
	}
	if want("cold") {
		r, err := cold(ctx, bins, 20)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
		benchtable.PrintRows(r, 28, 26, 16)
	}
	fmt.Printf("\nResults\n")
	benchtable.PrintTable(rows)
	if bad := benchtable.Failures(rows); len(bad) > 0 {
		var names []string
		for _, r := range bad {
			names = append(names, r.Scenario+": "+r.Metric)
		}
		return fmt.Errorf("%d figures could not be measured: %s", len(bad), strings.Join(names, "; "))
	}
	return nil
}
