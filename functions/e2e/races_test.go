package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/localrun"
)

// Races (issue 6, part 2), through the real binaries. The same hire
// delivered 20 times across 4 instances is TestSameHireAcrossFourInstances
// MakesOneUser (webhook_test.go); the in-process terminate-versus-update
// race is provision's TestTerminateRacingUpdateEndsDeleted. RAMSYNC_FULL=1
// runs more rounds and employees (scripts/reliability.sh).

// postAction delivers body once, without faults, and returns the action
// of its single result; anything but a 200 with one result fails the test.
func postAction(t *testing.T, l *localrun.Local, body []byte) string {
	t.Helper()
	status, b, err := l.Post(context.Background(), body, nil)
	var a answer
	if err != nil || status != 200 || json.Unmarshal(b, &a) != nil || len(a.Results) != 1 {
		t.Errorf("status %d %s %v: want 200 with one result", status, b, err)
		return ""
	}
	return a.Results[0].Action
}

// TestTerminateRacingUpdateEndsDeletedEndToEnd: round after round, an
// employee is hired, then a rename and the termination are delivered at
// the same moment to two warm webhook instances. Whatever the order, the
// termination deletes the user (renamed or not) and the rename never
// brings it back.
func TestTerminateRacingUpdateEndsDeletedEndToEnd(t *testing.T) {
	rounds := 20
	if reliabilityFull() {
		rounds = 200
	}
	l := start(t, localrun.Options{MaxInstances: map[string]int{"webhook": 2}})
	ctx := context.Background()
	for range 2 {
		if _, err := l.Runtime.Start(ctx, "webhook"); err != nil {
			t.Fatal(err)
		}
	}
	outcomes := map[string]int{}
	began := time.Now()
	for r := range rounds {
		ext, name := fmt.Sprintf("R%04d", r), fmt.Sprintf("racer%04d", r)
		if got := postAction(t, l, hook(ext+"-hire", "hired", ext, name+"@example.com", "Racer")); got != "created" {
			t.Fatalf("round %d: the hire answered %q", r, got)
		}
		if r%2 == 1 { // a leaver with an AccessKey: the termination takes longer
			l.Cloud.SetRAM(name, cloudtest.Blockers{AccessKeys: []cloudtest.AccessKey{{Status: "Active"}}})
		}
		update := hook(ext+"-update", "updated", ext, name+"x@example.com", "Racer Renamed")
		term := hook(ext+"-terminate", "terminated", ext, name+"@example.com", "Racer")
		var upd, del string
		var wg sync.WaitGroup
		gate := make(chan struct{})
		wg.Add(2)
		go func() { defer wg.Done(); <-gate; upd = postAction(t, l, update) }()
		go func() { defer wg.Done(); <-gate; del = postAction(t, l, term) }()
		close(gate)
		wg.Wait()
		outcomes["update_"+upd]++
		outcomes["terminate_"+del]++
		if del != "deleted" || (upd != "updated" && upd != "skipped") {
			t.Errorf("round %d: terminate %q, update %q; want deleted, and updated or skipped", r, del, upd)
		}
		for _, u := range l.Cloud.Users() {
			if u.ExternalID == ext {
				t.Fatalf("round %d: the user survived a termination that raced a rename: %+v", r, u)
			}
		}
	}
	if n := len(l.Runtime.Instances("webhook")); n != 2 {
		t.Errorf("%d webhook instances served the races, want 2", n)
	}
	t.Logf("RELIABILITY suite=race-terminate-update rounds=%d instances=2 ans_update_updated=%d ans_update_skipped=%d "+
		"ans_terminate_deleted=%d users_left=%d wall=%s", rounds, outcomes["update_updated"], outcomes["update_skipped"],
		outcomes["terminate_deleted"], len(l.Cloud.Users()), time.Since(began).Round(time.Millisecond))
}

// TestWebhookRacingReconcilerConverges: the nightly reconcile runs while
// the webhook delivers hires and updates for the same employees (and
// hires of joiners the roster does not know yet). Afterwards the directory
// is the wanted one, with no duplicate, and a reconcile makes no write.
func TestWebhookRacingReconcilerConverges(t *testing.T) {
	// 100 at full size: the reconciler logs its whole report as one line,
	// and a larger run's no longer fits the 64 KiB a log line may have.
	k := 40
	if reliabilityFull() {
		k = 100
	}
	l := start(t, localrun.Options{
		Cloud:        cloudtest.Options{Latency: 2 * time.Millisecond}, // stretch both, so that they overlap
		MaxInstances: map[string]int{"webhook": 4},
		FuncEnv:      map[string]map[string]string{"reconciler": {"MAX_DELETES": "1000", "MAX_DELETE_PERCENT": "100"}},
	})
	ctx := context.Background()
	rc := seedRace(l.Cloud, k)
	if err := l.WriteRoster(rc.asOf, rc.roster); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if _, err := l.Runtime.Start(ctx, "webhook"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Runtime.Start(ctx, "reconciler"); err != nil {
		t.Fatal(err)
	}

	type report struct {
		Counts map[string]int `json:"counts"`
	}
	var first report
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		raw, _, err := l.Reconcile(ctx, `{}`)
		if err == nil {
			err = json.Unmarshal(raw, &first)
		}
		if err != nil {
			t.Errorf("the reconcile that raced the webhook: %v", err)
		}
	}()
	answers := map[string]int{}
	var mu sync.Mutex
	work := make(chan delivery)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range work {
				got := postAction(t, l, d.body)
				if got != d.first && got != d.again {
					t.Errorf("%s: action %q, want %q or %q", d.body, got, d.first, d.again)
				}
				mu.Lock()
				answers[got]++
				mu.Unlock()
			}
		}()
	}
	for _, d := range rc.deliveries {
		work <- d
	}
	close(work)
	wg.Wait()
	if c := first.Counts; c["failed"]+c["conflict"]+c["blocked"] != 0 {
		t.Errorf("the racing reconcile: counts %v; want no failure, conflict or blocked user", c)
	}

	l.Cloud.ResetCounters()
	raw, _, err := l.Reconcile(ctx, `{}`)
	var second report
	if err == nil {
		err = json.Unmarshal(raw, &second)
	}
	writes := l.Cloud.Counters().SCIMWrites()
	if c := second.Counts; err != nil || writes != 0 || c["create"]+c["update"]+c["delete"]+c["failed"] != 0 {
		t.Errorf("the reconcile after the race: err %v, %d SCIM writes, counts %v; want nothing to do", err, writes, c)
	}
	diff, dups := rc.want.Compare(l.Cloud.Users())
	if diff != "" || len(dups) > 0 {
		t.Errorf("the directory is not the wanted one (-want +got):\n%s%v", diff, dups)
	}
	c := first.Counts
	t.Logf("RELIABILITY suite=race-webhook-reconciler employees=%d deliveries=%d rec_create=%d rec_update=%d rec_delete=%d "+
		"rec_unchanged=%d rec_skipped=%d ans_created=%d ans_updated=%d ans_unchanged=%d duplicates=%d second_run_writes=%d",
		len(rc.roster), len(rc.deliveries), c["create"], c["update"], c["delete"], c["unchanged"], c["skipped"],
		answers["created"], answers["updated"], answers["unchanged"], len(dups), writes)
}
