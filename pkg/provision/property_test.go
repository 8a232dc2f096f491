package provision_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/provision"
)

// world is a random roster and directory.
type world struct {
	roster    []hr.Employee
	protected string
	adopt     bool
}

func randomWorld(r *rand.Rand, srv *cloudtest.Server, asOf time.Time) world {
	var w world
	old := asOf.Add(-time.Duration(1+r.IntN(1000)) * time.Hour)
	seed := func(ext, name, display string, t time.Time) {
		srv.SeedUser(cloudtest.User{ExternalID: ext, UserName: name, DisplayName: display, Created: t, LastModified: t})
	}
	var protected []string
	for i := range 1 + r.IntN(60) {
		id, name := fmt.Sprintf("E%03d", i), fmt.Sprintf("n%03d", i)
		display := fmt.Sprintf("Name %d", i)
		emp := hr.Employee{ID: id, Email: name + "@example.com", DisplayName: display, Status: hr.StatusActive}
		if r.IntN(10) == 0 {
			emp.Status = hr.StatusTerminated
		}
		if r.IntN(15) == 0 {
			emp.Email = name + "+x@example.com" // rejected by the mapping
		}
		w.roster = append(w.roster, emp)
		switch p := r.IntN(100); {
		case p < 45:
			seed(id, name, display, old)
		case p < 60:
			seed(id, name, "Old "+display, old)
		case p < 70:
			seed(id, name+"old", display, old)
		case p < 75:
			seed(id, strings.ToUpper(name), display, old)
		case p < 80:
			seed("", name, "console-made", old) // unowned holder of the wanted name
		}
		if r.IntN(20) == 0 {
			protected = append(protected, name)
		}
	}
	for i := range r.IntN(10) {
		created := old
		if r.IntN(4) == 0 {
			created = asOf.Add(time.Minute) // a fresh joiner the roster does not know
		}
		seed(fmt.Sprintf("L%03d", i), fmt.Sprintf("l%03d", i), "Leaver", created)
	}
	for i := range r.IntN(5) {
		seed("", fmt.Sprintf("u%03d", i), "Hand-made", old)
	}
	w.protected = strings.Join(protected, ",")
	w.adopt = r.IntN(2) == 0
	return w
}

// TestIdempotence: over random rosters and directories, applying a plan
// and planning again yields no write: only unchanged (and the conflicts,
// rejections, protections and skips that no run can change).
func TestIdempotence(t *testing.T) {
	r := rand.New(rand.NewPCG(20261127, 1))
	iterations := 150
	if testing.Short() {
		iterations = 30
	}
	for it := range iterations {
		srv := cloudtest.NewServer(cloudtest.Options{})
		s := newStackOn(t, srv)
		asOf := time.Now()
		w := randomWorld(r, srv, asOf)
		e := s.Engine
		e.Rules = provision.Rules{Protected: provision.ParseProtected(w.protected), AdoptExisting: w.adopt, MaxDeletes: 1000, MaxDeletePercent: 100}
		ctx := context.Background()
		rep1, err := e.Reconcile(ctx, "one", rosterOf(asOf, w.roster...))
		if err != nil {
			t.Fatalf("iteration %d: %v", it, err)
		}
		srv.ResetCounters()
		rep2, err := e.Reconcile(ctx, "two", rosterOf(asOf, w.roster...))
		if err != nil {
			t.Fatalf("iteration %d: %v", it, err)
		}
		c := rep2.Counts
		if c.Create+c.Update+c.Delete+c.Adopt+c.Failed+rep1.Counts.Failed != 0 || srv.Counters().SCIMWrites() != 0 {
			t.Fatalf("iteration %d: the second plan still writes: first %+v, second %+v, changes %+v", it, rep1.Counts, c, rep2.Changes)
		}
		if rep2.SCIMCalls.Total != rep2.SCIMCalls.ByOp["list"] {
			t.Fatalf("iteration %d: second run made calls other than list: %+v", it, rep2.SCIMCalls)
		}
		// Every change of the first run is unchanged in the second.
		done := map[string]bool{}
		for _, ch := range rep1.Changes {
			if ch.Status == provision.StatusDone && (ch.Action == provision.Create || ch.Action == provision.Update || ch.Action == provision.Adopt) {
				done[ch.ExternalID] = true
			}
		}
		if c.Unchanged < len(done) {
			t.Fatalf("iteration %d: %d users written in run one, only %d unchanged in run two:\nrun one %+v\nrun two %+v %+v %+v", it, len(done), c.Unchanged, rep1.Changes, c, rep2.Conflicts, rep2.Protected)
		}
		srv.Close()
	}
}
