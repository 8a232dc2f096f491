package provision_test

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/stacktest"
)

// full reports whether the reliability suites run at full size
// (RAMSYNC_FULL=1, as scripts/reliability.sh sets it).
func full() bool { return os.Getenv("RAMSYNC_FULL") == "1" }

// estate is a realistic directory before a reconcile, with its roster and
// the state the run must leave: what is seeded where, the roster, the
// users that must never be written, and the users wanted at the end.
type estate struct {
	asOf      time.Time
	roster    []hr.Employee
	protected string
	forbidden []string
	want      stacktest.Wanted
	writes    int            // planned SCIM writes
	kinds     map[string]int // inputs by kind, for the figures
}

// seedEstate seeds srv with a directory for a roster of n employees
// (n a multiple of 20 gives round figures). By employee, i mod 20:
//
//	0–7    new: created
//	8–10   renamed (userName and displayName): replaced, same RAM id
//	11–12  new displayName: replaced
//	13–17  unchanged
//	18     userName in the wrong case: replaced
//	19     in turn: name held by a hand-made user (conflict); protected
//	       with a stale displayName; rehired under a new id onto a leaver's
//	       name (the leaver deleted first); a record that cannot be mapped
//	       (its user held); terminated in the roster (deleted)
//
// and beside the roster: n/20 leavers (every fourth with an AccessKey and
// a policy to revoke), n/20 hand-made users, two protected users, n/40
// fresh joiners created after the roster's asOf and n/100 users modified
// after it.
func seedEstate(srv *cloudtest.Server, n int) *estate {
	now := time.Now()
	old := now.Add(-72 * time.Hour)
	es := &estate{asOf: now.Add(-time.Hour), protected: "root.ops,breakglass", want: stacktest.Wanted{}, kinds: map[string]int{}}
	seed := func(ext, name, display string, created, modified time.Time) string {
		return srv.SeedUser(cloudtest.User{ExternalID: ext, UserName: name, DisplayName: display, Created: created, LastModified: modified}).ID
	}
	keep := func(kind, ext, name, display string) { // seeded, must stay as it is
		id := seed(ext, name, display, old, old)
		es.want[name] = wanted(id, ext, display)
		es.forbidden = append(es.forbidden, id)
		es.kinds[kind]++
	}
	gone := func(kind, ext, name string) string {
		es.writes++
		es.kinds[kind]++
		return seed(ext, name, "Leaver", old, old)
	}
	for i := range n {
		ext, name, display := fmt.Sprintf("E%05d", i), fmt.Sprintf("user%05d", i), fmt.Sprintf("User %05d", i)
		email := name + "@example.com"
		status := hr.StatusActive
		kind := ""
		switch c := i % 20; {
		case c <= 7:
			kind = "create"
			es.want[name] = wanted("", ext, display)
		case c <= 10:
			kind = "rename"
			es.want[name] = wanted(seed(ext, fmt.Sprintf("old%05d", i), "Old Name", old, old), ext, display)
		case c <= 12:
			kind = "display"
			es.want[name] = wanted(seed(ext, name, "Stale Name", old, old), ext, display)
		case c <= 17:
			kind = "unchanged"
			es.want[name] = wanted(seed(ext, name, display, old, old), ext, display)
		case c == 18:
			kind = "case"
			es.want[name] = wanted(seed(ext, strings.ToUpper(name), display, old, old), ext, display)
		default:
			switch i / 20 % 5 {
			case 0:
				keep("conflict", "", name, "Hand Made")
				es.roster = append(es.roster, employee(ext, name))
				continue
			case 1:
				if _, taken := srv.UserByName("root.ops"); taken { // one protected employee is enough
					kind = "create"
					es.want[name] = wanted("", ext, display)
					break
				}
				keep("protected", ext, "root.ops", "Root")
				email = "root.ops@example.com"
			case 2:
				kind = "rehire"
				gone("rehire-leaver", fmt.Sprintf("R%05d", i), name)
				es.want[name] = wanted("", ext, display)
			case 3:
				keep("rejected", ext, fmt.Sprintf("bad%05d", i), "Bad Record")
				email = fmt.Sprintf("bad+%05d@example.com", i)
			case 4:
				gone("terminated", ext, name)
				status = hr.StatusTerminated
			}
		}
		if kind != "" {
			es.kinds[kind]++
			if kind != "unchanged" {
				es.writes++
			}
		}
		emp := employee(ext, name)
		emp.Email, emp.DisplayName, emp.Status = email, display, status
		emp.Fields = map[string]any{"id": ext, "email": email}
		es.roster = append(es.roster, emp)
	}
	for i := range n / 20 {
		name := fmt.Sprintf("leaver%05d", i)
		gone("leaver", fmt.Sprintf("L%05d", i), name)
		if i%4 == 0 {
			srv.SetRAM(name, cloudtest.Blockers{AccessKeys: []cloudtest.AccessKey{{Status: "Active"}}, Policies: []cloudtest.Policy{{Name: "ReadOnlyAccess"}}})
		}
		keep("unowned", "", fmt.Sprintf("hand%05d", i), "Hand Made")
	}
	if _, ok := srv.UserByName("root.ops"); !ok {
		keep("protected", "P00001", "root.ops", "Root")
	}
	keep("protected-unowned", "", "breakglass", "Break Glass")
	for i := range n / 40 {
		name, at := fmt.Sprintf("fresh%05d", i), es.asOf.Add(30*time.Minute)
		id := seed(fmt.Sprintf("F%05d", i), name, "Fresh", at, at)
		es.want[name] = wanted(id, fmt.Sprintf("F%05d", i), "Fresh")
		es.forbidden = append(es.forbidden, id)
		es.kinds["fresh"]++
	}
	for i := range n / 100 {
		name := fmt.Sprintf("touched%05d", i)
		id := seed(fmt.Sprintf("T%05d", i), name, "Touched", old, es.asOf.Add(10*time.Minute))
		es.want[name] = wanted(id, fmt.Sprintf("T%05d", i), "Touched")
		es.forbidden = append(es.forbidden, id)
		es.kinds["fresh"]++
	}
	return es
}

// wanted is a user of the final state; an empty id means a new one.
func wanted(id, ext, display string) stacktest.WantedUser {
	return stacktest.WantedUser{ID: id, ExternalID: ext, DisplayName: display}
}

// check compares the directory with the wanted state and returns the
// number of duplicate users (two users of one externalId or one userName).
func (es *estate) check(t *testing.T, users []cloudtest.User) (duplicates int) {
	t.Helper()
	diff, dups := es.want.Compare(users)
	for _, d := range dups {
		t.Error(d)
	}
	if diff != "" {
		t.Errorf("final directory differs from the wanted state (-want +got):\n%s", diff)
	}
	return len(dups)
}

// kindList formats the inputs by kind, sorted, for the figures.
func kindList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("in_%s=%d", strings.ReplaceAll(k, "-", "_"), m[k])
	}
	return strings.Join(parts, " ")
}
