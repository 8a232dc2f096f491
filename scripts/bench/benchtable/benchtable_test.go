package benchtable

import (
	"math"
	"testing"
	"time"
)

// TestUnmeasuredIsAFailure: a figure that could not be read is never "ok".
func TestUnmeasuredIsAFailure(t *testing.T) {
	tests := []struct {
		name string
		r    Row
		want string
	}{
		{"RSS unreadable", Row{Metric: "peak RSS", Value: 0, Bound: 128, Unit: "MB", Goal: 1}, NotMeasured},
		{"RSS read", Row{Metric: "peak RSS", Value: 41, Bound: 128, Unit: "MB", Goal: 1}, "ok"},
		{"RSS over", Row{Metric: "peak RSS", Value: 200, Bound: 128, Unit: "MB", Goal: 1}, "MISSED"},
		{"metric missing from the tool's output", Row{Value: math.NaN(), Bound: 2, Unit: "ms", Goal: 1}, NotMeasured},
		{"no SCIM call counted", Row{Value: 0, Bound: 3, Unit: "", Goal: 1}, NotMeasured},
		{"planning took under a millisecond", Row{Value: 0, Bound: 1000, Unit: "ms", Goal: 1}, "ok"},
		{"report-only zero", Row{Value: 0, Unit: ""}, ""},
		{"report-only missing", Row{Value: math.NaN(), Unit: "ms"}, NotMeasured},
		{"rate of zero under a floor", Row{Value: 0, Bound: 100, Unit: "/s", Goal: 0.95, AtLeast: true}, "MISSED"},
	}
	for _, tt := range tests {
		if got := tt.r.Verdict(); got != tt.want {
			t.Errorf("%s: verdict %q, want %q", tt.name, got, tt.want)
		}
	}
	if n := len(Failures([]Row{tests[0].r, tests[1].r, tests[3].r})); n != 2 {
		t.Errorf("failures = %d, want 2", n)
	}
}

func TestMedianAndPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, x := range v {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	tests := []struct {
		in       []time.Duration
		med, p99 time.Duration
	}{
		{ms(5), 5 * time.Millisecond, 5 * time.Millisecond},
		{ms(9, 1, 5), 5 * time.Millisecond, 9 * time.Millisecond},
		{ms(4, 1, 3, 2), 2500 * time.Microsecond, 4 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := Median(tt.in); got != tt.med {
			t.Errorf("Median(%v) = %v, want %v", tt.in, got, tt.med)
		}
		if got := Percentile(tt.in, 99); got != tt.p99 {
			t.Errorf("p99(%v) = %v, want %v", tt.in, got, tt.p99)
		}
	}
	var hundred []time.Duration
	for i := 1; i <= 100; i++ {
		hundred = append(hundred, time.Duration(i))
	}
	if got := Percentile(hundred, 99); got != 99 {
		t.Errorf("p99 of 1..100 = %d, want 99", got)
	}
	if got := Median(hundred); got != 50 { // (50+51)/2 in integer nanoseconds
		t.Errorf("median of 1..100 = %d, want 50", got)
	}
}
