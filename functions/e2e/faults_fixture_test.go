package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/stacktest"
)

// reliabilityFull reports whether the reliability suites run at full size
// (RAMSYNC_FULL=1, as scripts/reliability.sh sets it).
func reliabilityFull() bool { return os.Getenv("RAMSYNC_FULL") == "1" }

// hook is one signed-to-be webhook body: a single event.
func hook(evtID, typ, id, email, display string) []byte {
	status := "active"
	if typ == "terminated" {
		status = "terminated"
	}
	b, err := json.Marshal(map[string]any{"id": evtID, "type": "employee." + typ,
		// Built before it is sent (and retried later): a minute ahead, so
		// a termination never predates the user its hire made (rule 5d).
		"occurredAt": time.Now().Add(time.Minute).UTC().Format(time.RFC3339),
		"employee":   map[string]any{"id": id, "email": email, "displayName": display, "status": status}})
	if err != nil {
		panic(err)
	}
	return b
}

// delivery is one event the HR system delivers: its body, the action a
// first delivery must answer, and the one a redelivery may answer after
// an earlier attempt got a 503 (the work may have been done then).
type delivery struct {
	body         []byte
	first, again string
}

// chain is one employee's deliveries. The HR system sends them in order,
// and retries a 503 before it sends the next.
type chain []delivery

// burst is a directory and a burst of webhook deliveries against it.
type burst struct {
	chains     []chain
	deliveries int
	writes     int // SCIM writes the burst needs
	want       stacktest.Wanted
	forbidden  []string
	kinds      map[string]int
}

// seedBurst seeds srv and makes at least n deliveries. By chain, k mod 10:
//
//	0–3  a hire
//	4    a hire, then a rename of the new employee
//	5–6  a rename (userName and displayName) of an existing user
//	7    a new displayName for an existing user
//	8    a termination (every other leaver with an AccessKey to revoke)
//	9    a rename, then a termination
//
// plus five hand-made users and a protected one, never to be written.
func seedBurst(srv *cloudtest.Server, n int) *burst {
	b := &burst{want: stacktest.Wanted{}, kinds: map[string]int{}}
	old := time.Now().Add(-72 * time.Hour)
	seed := func(ext, name, display string) string {
		return srv.SeedUser(cloudtest.User{ExternalID: ext, UserName: name, DisplayName: display, Created: old, LastModified: old}).ID
	}
	keep := func(ext, name, display string) {
		id := seed(ext, name, display)
		b.want[name] = stacktest.WantedUser{ID: id, ExternalID: ext, DisplayName: display}
		b.forbidden = append(b.forbidden, id)
	}
	for i := range 5 {
		keep("", fmt.Sprintf("hand%02d", i), "Hand Made")
	}
	keep("P1", "root.ops", "Root")
	want := func(id, ext, name, display string) {
		b.want[name] = stacktest.WantedUser{ID: id, ExternalID: ext, DisplayName: display}
	}
	hire := func(k int, ext, name, display string) delivery {
		return delivery{hook(fmt.Sprintf("evt-%d-hire", k), "hired", ext, name+"@example.com", display), "created", "unchanged"}
	}
	update := func(k int, ext, name, display string) delivery {
		return delivery{hook(fmt.Sprintf("evt-%d-update", k), "updated", ext, name+"@example.com", display), "updated", "unchanged"}
	}
	terminate := func(k int, ext, name string) delivery {
		return delivery{hook(fmt.Sprintf("evt-%d-terminate", k), "terminated", ext, name+"@example.com", "Leaver"), "deleted", "already absent"}
	}
	for k := 0; b.deliveries < n; k++ {
		ext := fmt.Sprintf("X%05d", k)
		var c chain
		switch k % 10 {
		case 0, 1, 2, 3:
			b.kinds["hire"]++
			c = chain{hire(k, ext, fmt.Sprintf("new%05d", k), fmt.Sprintf("New %05d", k))}
			want("", ext, fmt.Sprintf("new%05d", k), fmt.Sprintf("New %05d", k))
		case 4:
			b.kinds["hire"]++
			b.kinds["rename"]++
			c = chain{hire(k, ext, fmt.Sprintf("new%05d", k), "New"), update(k, ext, fmt.Sprintf("moved%05d", k), "Moved")}
			want("", ext, fmt.Sprintf("moved%05d", k), "Moved")
		case 5, 6:
			b.kinds["rename"]++
			id := seed(ext, fmt.Sprintf("old%05d", k), "Old Name")
			c = chain{update(k, ext, fmt.Sprintf("renamed%05d", k), fmt.Sprintf("Renamed %05d", k))}
			want(id, ext, fmt.Sprintf("renamed%05d", k), fmt.Sprintf("Renamed %05d", k))
		case 7:
			b.kinds["display"]++
			id := seed(ext, fmt.Sprintf("same%05d", k), "Stale Name")
			c = chain{update(k, ext, fmt.Sprintf("same%05d", k), fmt.Sprintf("Changed %05d", k))}
			want(id, ext, fmt.Sprintf("same%05d", k), fmt.Sprintf("Changed %05d", k))
		case 8:
			b.kinds["terminate"]++
			name := fmt.Sprintf("leaving%05d", k)
			seed(ext, name, "Leaver")
			if k%20 == 8 {
				srv.SetRAM(name, cloudtest.Blockers{AccessKeys: []cloudtest.AccessKey{{Status: "Active"}}})
			}
			c = chain{terminate(k, ext, name)}
		case 9:
			b.kinds["rename"]++
			b.kinds["terminate"]++
			seed(ext, fmt.Sprintf("old%05d", k), "Old Name")
			c = chain{update(k, ext, fmt.Sprintf("renamed%05d", k), "Renamed"), terminate(k, ext, fmt.Sprintf("renamed%05d", k))}
		}
		b.chains = append(b.chains, c)
		b.deliveries += len(c)
		b.writes += len(c)
	}
	return b
}
