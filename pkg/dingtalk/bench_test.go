package dingtalk

import (
	"context"
	"testing"

	"github.com/ramsync/ramsync/pkg/cloudtest"
)

// BenchmarkRosterPull pulls 10,000 users in 300 departments (a seventh of
// them in two or three) from the double with the rate limits off, so it
// measures the client and the paging, not the 20/s pacing. Metrics (the
// names pkg/feishu's benchmark uses): calls/op, the listing requests made
// (listsubid + user/list); lowerbound/op, the fewest the APIs allow (one
// listsubid per department, one user/list page per 100 members of each,
// at least one); tokens/op; users/op; s-at-20rps, the least time a pull
// takes at DingTalk's 20 requests a second per API (the two APIs run in
// parallel).
func BenchmarkRosterPull(b *testing.B) {
	dt := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{RateLimit: -1})
	defer dt.Close()
	dt.SeedOrg(10_000, 300)
	bound := dt.MinPullCalls() - 1 // less the token
	c, _ := newClient(b, dt, func(c *Config) { c.RPS = 1e9 })
	ctx := context.Background()
	var users int
	b.ResetTimer()
	for b.Loop() {
		r, err := c.Roster(ctx, "")
		if err != nil {
			b.Fatal(err)
		}
		users = len(r.Employees)
	}
	b.StopTimer()
	n := float64(b.N)
	calls := dt.AllCalls()
	b.ReportMetric(float64(calls[APIListSubDept]+calls[APIUserList])/n, "calls/op")
	b.ReportMetric(float64(bound), "lowerbound/op")
	b.ReportMetric(float64(calls[APIToken])/n, "tokens/op")
	b.ReportMetric(float64(users), "users/op")
	b.ReportMetric(float64(max(calls[APIListSubDept], calls[APIUserList]))/n/20, "s-at-20rps")
}
