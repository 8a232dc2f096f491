package e2e

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/stacktest"
)

// raceEstate is a directory, a roster and webhook deliveries that agree
// with the roster, for a reconcile racing the webhook.
type raceEstate struct {
	asOf       time.Time
	roster     []map[string]any
	deliveries []delivery
	want       stacktest.Wanted
}

// seedRace seeds srv with k staff (a quarter to be renamed, a quarter with
// a new displayName: the roster and an employee.updated say the same), and
// prepares k hires (in the roster and delivered), k/4 joiners newer than
// the roster (delivered only: the reconcile must leave them), k/8 leavers
// (the reconcile deletes them) and three hand-made users.
func seedRace(srv *cloudtest.Server, k int) *raceEstate {
	old := time.Now().Add(-72 * time.Hour)
	rc := &raceEstate{asOf: time.Now().Add(-time.Minute), want: stacktest.Wanted{}}
	seed := func(ext, name, display string) string {
		return srv.SeedUser(cloudtest.User{ExternalID: ext, UserName: name, DisplayName: display, Created: old, LastModified: old}).ID
	}
	for i := range k {
		ext, name, display := fmt.Sprintf("S%04d", i), fmt.Sprintf("staff%04d", i), fmt.Sprintf("Staff %04d", i)
		var id string
		switch i % 4 {
		case 0:
			id = seed(ext, fmt.Sprintf("was%04d", i), display)
		case 1:
			id = seed(ext, name, "Old Title")
		default:
			id = seed(ext, name, display)
		}
		if i%4 < 2 {
			rc.deliveries = append(rc.deliveries, delivery{hook(ext+"-update", "updated", ext, name+"@example.com", display), "updated", "unchanged"})
		}
		rc.roster = append(rc.roster, emp(ext, name+"@example.com", display))
		rc.want[name] = stacktest.WantedUser{ID: id, ExternalID: ext, DisplayName: display}
	}
	for i := range k {
		ext, name, display := fmt.Sprintf("H%04d", i), fmt.Sprintf("hire%04d", i), fmt.Sprintf("Hire %04d", i)
		rc.deliveries = append(rc.deliveries, delivery{hook(ext+"-hire", "hired", ext, name+"@example.com", display), "created", "unchanged"})
		rc.roster = append(rc.roster, emp(ext, name+"@example.com", display))
		rc.want[name] = stacktest.WantedUser{ExternalID: ext, DisplayName: display}
	}
	for i := range k / 4 {
		ext, name := fmt.Sprintf("F%04d", i), fmt.Sprintf("fresh%04d", i)
		rc.deliveries = append(rc.deliveries, delivery{hook(ext+"-hire", "hired", ext, name+"@example.com", "Fresh"), "created", "created"})
		rc.want[name] = stacktest.WantedUser{ExternalID: ext, DisplayName: "Fresh"}
	}
	for i := range k / 8 {
		seed(fmt.Sprintf("L%04d", i), fmt.Sprintf("gone%04d", i), "Leaver")
	}
	for i := range 3 {
		name := fmt.Sprintf("hand%d", i)
		rc.want[name] = stacktest.WantedUser{ID: seed("", name, "Hand Made"), DisplayName: "Hand Made"}
	}
	rng := rand.New(rand.NewPCG(6, 6))
	rng.Shuffle(len(rc.deliveries), func(i, j int) { rc.deliveries[i], rc.deliveries[j] = rc.deliveries[j], rc.deliveries[i] })
	return rc
}
