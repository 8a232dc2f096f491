package dingtalk

import (
	"context"
	"testing"

	"github.com/ramsync/ramsync/pkg/cloudtest"
)

// BenchmarkRosterPull pulls 10,000 users in 300 departments from the
// double with the rate limits off on both sides, and reports the calls made
// against the lower bound (one gettoken, one listsubid per department, one
// user/list page per 100 members of each department, at least one).
// calls/op equal to bound/op means no wasted call.
func BenchmarkRosterPull(b *testing.B) {
	dt := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{RateLimit: -1})
	defer dt.Close()
	dt.SeedOrg(10_000, 300)
	bound := dt.MinPullCalls()
	c, _ := newClient(b, dt, func(c *Config) { c.RPS = 1e9 })
	ctx := context.Background()
	if _, err := c.Roster(ctx, ""); err != nil { // token cached from here on
		b.Fatal(err)
	}
	start := total(dt)
	b.ResetTimer()
	for b.Loop() {
		r, err := c.Roster(ctx, "")
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Employees) != 10_000 {
			b.Fatalf("%d employees", len(r.Employees))
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(total(dt)-start)/float64(b.N), "calls/op")
	b.ReportMetric(float64(bound-1), "bound/op") // the token is cached
	b.ReportMetric(10_000, "users/op")
	// At 20 requests a second per API, the two APIs in parallel, a pull
	// cannot take less than its busier API's calls / 20.
	calls := dt.AllCalls()
	busier := max(calls[APIListSubDept], calls[APIUserList]) / (b.N + 1)
	b.ReportMetric(float64(busier)/20, "s-at-20rps")
}

func total(dt *cloudtest.DingTalk) int {
	n := 0
	for _, v := range dt.AllCalls() {
		n += v
	}
	return n
}
