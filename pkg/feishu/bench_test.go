package feishu_test

import (
	"context"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/feishu"
)

// BenchmarkRosterPull pulls 10,000 users in 300 departments from the
// double with the rate limits off (so it measures the client and the
// paging, not the 50/s pacing). Metrics: calls/op, the listing requests
// made; lowerbound/op, the fewest the paging allows (children pages + user
// pages); tokens/op; users/op.
func BenchmarkRosterPull(b *testing.B) {
	r := newRig(b, func(o *cloudtest.FeishuOptions, c *feishu.Config) {
		o.RPS, o.TLS = -1, false
		c.RPS = 1e6
		c.Now = time.Now
	})
	r.srv.SeedDirectory(10000, 300)
	cp, up := r.srv.LowerBound("0")
	ctx := context.Background()
	var users int
	b.ResetTimer()
	for b.Loop() {
		roster, err := r.client.Roster(ctx, "")
		if err != nil {
			b.Fatal(err)
		}
		users = len(roster.Employees)
	}
	b.StopTimer()
	c := r.srv.Counters()
	n := float64(b.N)
	b.ReportMetric(float64(c[cloudtest.FeishuAPIChildren]+c[cloudtest.FeishuAPIFindByDepartment])/n, "calls/op")
	b.ReportMetric(float64(cp+up), "lowerbound/op")
	b.ReportMetric(float64(c[cloudtest.FeishuAPIToken])/n, "tokens/op")
	b.ReportMetric(float64(users), "users/op")
}
