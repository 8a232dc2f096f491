package stacktest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/google/go-cmp/cmp"

	"github.com/ramsync/ramsync/pkg/cloudtest"
)

// Wanted is the directory a test expects at the end, by userName.
type Wanted map[string]WantedUser

// WantedUser is one user of a [Wanted] state. An empty ID stands for a
// user the run makes, whatever its id; a set ID must be kept (a seeded
// user, renamed or not).
type WantedUser struct{ ID, ExternalID, DisplayName string }

// Compare returns the difference between w and users (-want +got; empty
// when they agree) and the duplicates: every externalId or userName (RAM
// names are case-insensitive) that more than one user holds.
func (w Wanted) Compare(users []cloudtest.User) (diff string, duplicates []string) {
	byExt, byName := map[string]int{}, map[string]int{}
	got := Wanted{}
	for _, u := range users {
		if u.ExternalID != "" {
			byExt[u.ExternalID]++
		}
		byName[strings.ToLower(u.UserName)]++
		id := u.ID
		if want, ok := w[u.UserName]; ok && want.ID == "" {
			id = ""
		}
		got[u.UserName] = WantedUser{id, u.ExternalID, u.DisplayName}
	}
	for what, m := range map[string]map[string]int{"externalId": byExt, "userName": byName} {
		for k, n := range m {
			if n > 1 {
				duplicates = append(duplicates, fmt.Sprintf("%d users with %s %q", n, what, k))
			}
		}
	}
	sort.Strings(duplicates)
	return cmp.Diff(w, got), duplicates
}
