package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/scim"
	"github.com/ramsync/ramsync/pkg/stacktest"
)

// inFlight records when SCIM requests were in flight.
type inFlight struct {
	next  http.RoundTripper
	mu    sync.Mutex
	spans [][2]time.Time
}

func (f *inFlight) RoundTrip(r *http.Request) (*http.Response, error) {
	t0 := time.Now()
	resp, err := f.next.RoundTrip(r)
	f.mu.Lock()
	f.spans = append(f.spans, [2]time.Time{t0, time.Now()})
	f.mu.Unlock()
	return resp, err
}

// covered is how long at least one request was in flight since from, and
// forgets the spans.
func (f *inFlight) covered() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	sort.Slice(f.spans, func(i, j int) bool { return f.spans[i][0].Before(f.spans[j][0]) })
	var total time.Duration
	var end time.Time
	for _, s := range f.spans {
		if s[0].After(end) {
			total += s[1].Sub(s[0])
			end = s[1]
		} else if s[1].After(end) {
			total += s[1].Sub(end)
			end = s[1]
		}
	}
	f.spans = nil
	return total
}

// BenchmarkHireOverhead measures the webhook handler in-process against
// the double with a 50 ms SCIM round trip. A hire is two lookups in
// parallel, then a create. The handler's overhead is its time minus the
// time a SCIM request was in flight: signature, decoding, mapping,
// deciding, JSON, logging. Reported as overhead-p50-ms and overhead-p99-ms,
// with the latency.
func BenchmarkHireOverhead(b *testing.B) {
	const rtt = 50 * time.Millisecond
	srv := cloudtest.NewServer(cloudtest.Options{Latency: rtt})
	defer srv.Close()
	rec := &inFlight{next: srv.Client().Transport}
	s, err := stacktest.New(srv, scim.WithRateLimit(100, 10), scim.WithHTTPClient(&http.Client{Transport: rec}))
	if err != nil {
		b.Fatal(err)
	}
	h := &Handler{Engine: s.Engine, Keys: func(ctx contextT, fresh bool) ([]secretT, error) { return []secretT{key}, nil },
		Tolerance: 5 * time.Minute, Log: s.Log}
	post(h, hire("E0", "warm@example.com"), true) // token and connections
	rec.covered()
	var lat, over []time.Duration
	i := 0
	for b.Loop() {
		i++
		body := hire(fmt.Sprint("E", i), fmt.Sprintf("user%d@example.com", i))
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set(hr.SignatureHeader, hr.Sign(key, time.Now(), []byte(body)))
		w := httptest.NewRecorder()
		t0 := time.Now()
		h.ServeHTTP(w, req)
		d := time.Since(t0)
		if w.Code != 200 {
			b.Fatal(w.Body.String())
		}
		lat = append(lat, d)
		over = append(over, d-rec.covered())
	}
	pct := func(ds []time.Duration, p int) float64 {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return float64(ds[(len(ds)-1)*p/100]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(lat, 50), "latency-p50-ms")
	b.ReportMetric(pct(over, 50), "overhead-p50-ms")
	b.ReportMetric(pct(over, 99), "overhead-p99-ms")
}
