package provision_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/provision"
	"github.com/ramsync/ramsync/pkg/stacktest"
)

// TestReconcileUnderFaults is the reconcile half of the fault suite
// (issue 6): a realistic directory (see seedEstate) reconciled through the
// real clients (Secrets Manager, OAuth, SCIM, RAM OpenAPI, the engine)
// while the cloud test double fails SCIM requests on the schedule of
// stacktest.Chaos: 10% 5xx before or after processing, 1% dropped
// connections before or after, 200 ms latency spikes, two bursts of 429
// with Retry-After, a token expiry while listing and a secret rotation
// (with another expiry) half-way through the writes.
//
// The run must end in exactly the wanted state, with no duplicate user, no
// write to an unowned, protected, fresh or held user, and no create
// repeated without a lookup; a second run without faults must write
// nothing. Every kind of fault must actually have been injected.
//
// The clients retry with stacktest.FastRetry: the production policy's six
// attempts with millisecond waits (Retry-After is still honoured); the
// webhook suite (functions/e2e) runs the production policy in the binary.
//
// Size: 200 employees by default (a few seconds); RAMSYNC_FULL=1 runs 2,000
// (scripts/reliability.sh), which reads the "RELIABILITY suite=reconcile"
// line this test logs.
func TestReconcileUnderFaults(t *testing.T) {
	n := 200
	if full() {
		n = 2000
	}
	srv := cloudtest.NewServer(cloudtest.Options{})
	t.Cleanup(srv.Close)
	es := seedEstate(srv, n)
	directory := len(srv.Users())
	s := newStackOn(t, srv)
	e := s.Engine
	e.Concurrency = 8
	e.Rules.Protected = provision.ParseProtected(es.protected)
	// The leavers are about 10% of the managed users: brakes that would
	// hold them are not what this test is about.
	e.Rules.MaxDeletes, e.Rules.MaxDeletePercent = n, 20
	chaos := stacktest.NewChaos(srv, stacktest.ChaosConfig{Writes: es.writes, Seed: 6, ExpireOnList: true})
	chaos.Forbid(es.forbidden...)
	ctx := context.Background()

	start := time.Now()
	rep, err := e.Reconcile(ctx, "under-faults", rosterOf(es.asOf, es.roster...))
	wall := time.Since(start)
	st := chaos.Stop()
	if err != nil {
		t.Fatalf("the run aborted: %v", err)
	}
	retries := int64(strings.Count(s.Logs.String(), `"msg":"scim retry"`))
	for k, v := range s.SCIM.Counts() {
		if strings.HasSuffix(k, ".unauthorized") {
			retries += v // a 401 is retried at once with a new token, without a log line
		}
	}

	c, k := rep.Counts, es.kinds
	want := provision.Counts{Create: k["create"] + k["rehire"], Update: k["rename"] + k["display"] + k["case"],
		Delete: k["leaver"] + k["rehire-leaver"] + k["terminated"], Unchanged: k["unchanged"], Conflict: k["conflict"],
		Rejected: k["rejected"], Protected: k["protected"], Skipped: k["fresh"]}
	// Which deletes found their user already gone (a 500 after the delete
	// was processed, then a retry) depends on where the faults fell; they
	// count as deletes either way.
	c.AlreadyAbsent = 0
	if c != want || rep.Brakes.Fired {
		t.Errorf("report counts %+v, want %+v; brakes %+v; errors: %+v", c, want, rep.Brakes, rep.Errors)
	}
	duplicates := es.check(t, srv.Users())
	if st.Forbidden != 0 {
		t.Errorf("%d writes to unowned, protected, fresh or held users", st.Forbidden)
	}
	if st.Repeats != 0 {
		t.Errorf("%d creates repeated for an employee whose user already existed (a retry without a lookup)", st.Repeats)
	}
	if st.Expiries != 2 {
		t.Errorf("%d token expiries, want 2 (one while listing, one with the rotation)", st.Expiries)
	}
	for _, m := range st.Missing() {
		t.Errorf("the schedule promised %s, which never happened: %s", m, st)
	}

	srv.ResetCounters()
	again, err := e.Reconcile(ctx, "after-faults", rosterOf(es.asOf, es.roster...))
	secondWrites := srv.Counters().SCIMWrites()
	if err != nil || secondWrites != 0 || again.Counts.Create+again.Counts.Update+again.Counts.Delete+again.Counts.Failed != 0 {
		t.Errorf("second run: err %v, %d SCIM writes, counts %+v; want nothing to do", err, secondWrites, again.Counts)
	}

	t.Logf("RELIABILITY suite=reconcile employees=%d directory=%d %s never_write=%d planned_writes=%d "+
		"out_create=%d out_update=%d out_delete=%d out_unchanged=%d out_conflict=%d out_rejected=%d out_protected=%d out_skipped=%d out_failed=%d "+
		"%s client_retries=%d token_fetches=%d duplicates=%d second_run_writes=%d wall=%s",
		n, directory, kindList(k), len(es.forbidden), es.writes,
		c.Create, c.Update, c.Delete, c.Unchanged, c.Conflict, c.Rejected, c.Protected, c.Skipped, c.Failed,
		st, retries, s.Tokens.Fetches(), duplicates, secondWrites, wall.Round(time.Millisecond))
}
