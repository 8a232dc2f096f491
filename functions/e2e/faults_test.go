package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/localrun"
	"github.com/ramsync/ramsync/pkg/stacktest"
)

// TestWebhookBurstUnderFaults is the webhook half of the fault suite
// (issue 6): a burst of hires, renames and terminations delivered to the
// real webhook binary on four warm instances, sixteen at a time, while the
// cloud test double fails SCIM requests on the schedule of stacktest.Chaos
// (10% 5xx before or after processing, 1% dropped connections, 200 ms
// spikes, 429 bursts, a secret rotation with a token expiry half-way),
// plus a throttle whose Retry-After outlasts the invocation, so that some
// deliveries must fail.
//
// Every delivery must either apply (200 with the right action) or answer
// 503 "unavailable", which the HR system retries until it passes; then the
// directory must be exactly the wanted one, with no duplicate, no write to
// a hand-made or protected user, and no create repeated without a lookup.
//
// Size: about 50 deliveries by default; RAMSYNC_FULL=1 sends about 500
// (scripts/reliability.sh reads the "RELIABILITY suite=webhook" line).
func TestWebhookBurstUnderFaults(t *testing.T) {
	n, holdOff := 50, 4
	if reliabilityFull() {
		n, holdOff = 500, 16
	}
	const instances = 4
	l := start(t, localrun.Options{MaxInstances: map[string]int{"webhook": instances},
		FuncEnv: map[string]map[string]string{"webhook": {"PROTECTED_USERS": "root.ops"}}})
	ctx := context.Background()
	for range instances {
		if _, err := l.Runtime.Start(ctx, "webhook"); err != nil {
			t.Fatal(err)
		}
	}
	b := seedBurst(l.Cloud, n)
	chaos := stacktest.NewChaos(l.Cloud, stacktest.ChaosConfig{Writes: b.writes, Seed: 6, HoldOff: holdOff})
	chaos.Forbid(b.forbidden...)

	var mu sync.Mutex
	answers := map[string]int{}
	note := func(k string) { mu.Lock(); answers[k]++; mu.Unlock() }
	work := make(chan chain)
	var wg sync.WaitGroup
	began := time.Now()
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				for _, d := range c {
					if !deliver(t, l, d, note) {
						break // the HR system would not send this employee's next event
					}
				}
			}
		}()
	}
	for _, c := range b.chains {
		work <- c
	}
	close(work)
	wg.Wait()
	wall := time.Since(began)
	st := chaos.Stop()

	diff, dups := b.want.Compare(l.Cloud.Users())
	if diff != "" || len(dups) > 0 {
		t.Errorf("after every 503 was retried, the directory is not the wanted one (-want +got):\n%s%s", diff, strings.Join(dups, "\n"))
	}
	if st.Forbidden != 0 || st.Repeats != 0 {
		t.Errorf("%d writes to hand-made or protected users, %d creates repeated without a lookup", st.Forbidden, st.Repeats)
	}
	for _, m := range st.Missing() {
		t.Errorf("the schedule promised %s, which never happened: %s", m, st)
	}
	if answers["503"] == 0 || st.HeldOff == 0 {
		t.Errorf("no delivery answered 503 (%d requests held off): the retry path of the HR system was not exercised", st.HeldOff)
	}

	keys := make([]string, 0, len(answers))
	for k := range answers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("ans_%s=%d", strings.ReplaceAll(k, " ", "_"), answers[k]))
	}
	// Each fault answer is followed by a retry unless its operation gave
	// up, which at most two operations (the parallel lookups) of each 503
	// delivery did.
	retries := st.Faults() - 2*int64(answers["503"])
	t.Logf("RELIABILITY suite=webhook deliveries=%d employees=%d instances=%d in_hire=%d in_rename=%d in_display=%d in_terminate=%d never_write=%d "+
		"%s %s client_retries_min=%d duplicates=%d wall=%s",
		b.deliveries, len(b.chains), instances, b.kinds["hire"], b.kinds["rename"], b.kinds["display"], b.kinds["terminate"], len(b.forbidden),
		strings.Join(out, " "), st, retries, len(dups), wall.Round(time.Millisecond))
}

// deliver sends d as the HR system would, again after every 503, and
// checks each answer. It reports whether d was applied in the end.
func deliver(t *testing.T, l *localrun.Local, d delivery, note func(string)) bool {
	t.Helper()
	var evt struct{ ID string }
	_ = json.Unmarshal(d.body, &evt)
	for attempt := 1; attempt <= 30; attempt++ {
		status, body, err := l.Post(context.Background(), d.body, nil)
		if err != nil {
			t.Errorf("%s: %v", evt.ID, err)
			return false
		}
		var a answer
		if jerr := json.Unmarshal(body, &a); jerr != nil {
			t.Errorf("%s: status %d, body %s is not JSON", evt.ID, status, body)
			return false
		}
		switch {
		case status == 503 && a.Error != nil && a.Error.Code == "unavailable":
			note("503")
			time.Sleep(20 * time.Millisecond)
			continue
		case status == 200 && len(a.Results) == 1:
			got := a.Results[0].Action
			note(got)
			if got != d.first && (attempt == 1 || got != d.again) {
				t.Errorf("%s, delivery %d: action %q, want %q (or %q after a 503)", evt.ID, attempt, got, d.first, d.again)
			}
			return true
		}
		t.Errorf("%s: status %d %s: want 200 with one result, or 503 unavailable", evt.ID, status, body)
		return false
	}
	t.Errorf("%s: still 503 after 30 deliveries", evt.ID)
	return false
}
