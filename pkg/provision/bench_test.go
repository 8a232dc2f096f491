package provision

import (
	"fmt"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/scim"
)

func benchWorld(n int) ([]Desired, []scim.User) {
	old := time.Now().Add(-72 * time.Hour)
	desired := make([]Desired, n)
	actual := make([]scim.User, n)
	for i := range n {
		desired[i] = Desired{ExternalID: fmt.Sprintf("E%06d", i), UserName: fmt.Sprintf("user%06d", i), DisplayName: fmt.Sprintf("User %d", i)}
		actual[i] = scim.User{ID: fmt.Sprintf("%016d", i), ExternalID: desired[i].ExternalID, UserName: desired[i].UserName,
			DisplayName: desired[i].DisplayName, Meta: scim.Meta{Created: old, LastModified: old}}
		if i%100 == 0 {
			actual[i].DisplayName += " (old)" // 1% drift
		}
	}
	return desired, actual
}

// BenchmarkCompute is the planning CPU of a reconcile (1% drift).
func BenchmarkCompute(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		desired, actual := benchWorld(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p := Compute(Input{Desired: desired, Actual: actual, AsOf: time.Now(), Rules: Rules{MaxDeletes: 25, MaxDeletePercent: 10}})
				if p.Count()[Update] != n/100 {
					b.Fatal("wrong plan")
				}
			}
		})
	}
}

// BenchmarkMap compares the built-in mapping (Go code) with the same
// mapping run as templates.
func BenchmarkMap(b *testing.B) {
	e := hr.Employee{ID: "E1001", Email: "Li.Wei@example.com", DisplayName: "Li Wei", Status: hr.StatusActive,
		Fields: map[string]any{"id": "E1001", "email": "Li.Wei@example.com", "displayName": "Li Wei", "department": "R&D"}}
	native, _ := NewMapping(nil, 0)
	tmpl, _ := NewMapping(map[string]string{AttrExternalID: `{{.id}}`, AttrUserName: `{{.email|localpart|lower}}`, AttrDisplayName: `{{.displayName}}`}, 0)
	for name, m := range map[string]*Mapping{"native": native, "template": tmpl} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Map(e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
