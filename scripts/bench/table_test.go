package main

import (
	"math"
	"testing"
	"time"
)

// TestUnmeasuredIsAFailure: a figure that could not be read is never "ok".
func TestUnmeasuredIsAFailure(t *testing.T) {
	tests := []struct {
		name string
		r    row
		want string
	}{
		{"RSS unreadable", row{metric: "peak RSS", value: 0, bound: 128, unit: "MB", goal: 1}, notMeasured},
		{"RSS read", row{metric: "peak RSS", value: 41, bound: 128, unit: "MB", goal: 1}, "ok"},
		{"RSS over", row{metric: "peak RSS", value: 200, bound: 128, unit: "MB", goal: 1}, "MISSED"},
		{"metric missing from the tool's output", row{value: math.NaN(), bound: 2, unit: "ms", goal: 1}, notMeasured},
		{"no SCIM call counted", row{value: 0, bound: 3, unit: "", goal: 1}, notMeasured},
		{"planning took under a millisecond", row{value: 0, bound: 1000, unit: "ms", goal: 1}, "ok"},
		{"report-only zero", row{value: 0, unit: ""}, ""},
		{"report-only missing", row{value: math.NaN(), unit: "ms"}, notMeasured},
		{"rate of zero under a floor", row{value: 0, bound: 100, unit: "/s", goal: 0.95, atLeast: true}, "MISSED"},
	}
	for _, tt := range tests {
		if got := tt.r.verdict(); got != tt.want {
			t.Errorf("%s: verdict %q, want %q", tt.name, got, tt.want)
		}
	}
	if n := len(failures([]row{tests[0].r, tests[1].r, tests[3].r})); n != 2 {
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
		if got := median(tt.in); got != tt.med {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.med)
		}
		if got := percentile(tt.in, 99); got != tt.p99 {
			t.Errorf("p99(%v) = %v, want %v", tt.in, got, tt.p99)
		}
	}
	var hundred []time.Duration
	for i := 1; i <= 100; i++ {
		hundred = append(hundred, time.Duration(i))
	}
	if got := percentile(hundred, 99); got != 99 {
		t.Errorf("p99 of 1..100 = %d, want 99", got)
	}
	if got := median(hundred); got != 50 { // (50+51)/2 in integer nanoseconds
		t.Errorf("median of 1..100 = %d, want 50", got)
	}
}
