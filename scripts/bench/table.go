package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// row is one measured figure against its bound or goal.
type row struct {
	scenario, metric string
	value, bound     float64
	unit             string
	// goal is the ratio value/bound must not exceed (or, with atLeast,
	// reach); 0 means report only.
	goal    float64
	atLeast bool
}

func (r row) ratio() float64 {
	if r.bound == 0 {
		return 0
	}
	return r.value / r.bound
}

// unmeasured reports whether the figure could not be measured: NaN (a
// metric missing from a tool's output), or, for a count or a size held
// under a ceiling, zero (a run always makes a call, a process always has
// memory: a zero there means /proc or a counter could not be read).
// Producers set NaN where they know; this rule catches the rest.
func (r row) unmeasured() bool {
	if math.IsNaN(r.value) || math.IsInf(r.value, 0) {
		return true
	}
	return r.goal != 0 && !r.atLeast && r.value == 0 && (r.unit == "" || r.unit == "MB")
}

// notMeasured is the verdict of a figure that could not be measured: a
// failure, never "ok".
const notMeasured = "NOT MEASURED"

func (r row) verdict() string {
	switch {
	case r.unmeasured():
		return notMeasured
	case r.goal == 0:
		return ""
	case r.atLeast && r.ratio() >= r.goal, !r.atLeast && r.ratio() <= r.goal:
		return "ok"
	}
	return "MISSED"
}

func (r row) goalText() string {
	switch {
	case r.goal == 0:
		return ""
	case r.atLeast:
		return fmt.Sprintf("≥ %.2f", r.goal)
	}
	return fmt.Sprintf("≤ %.2f", r.goal)
}

func num(v float64, unit string) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v == float64(int64(v)) && v < 1e9:
		return fmt.Sprintf("%d %s", int64(v), unit)
	case v >= 100:
		return fmt.Sprintf("%.0f %s", v, unit)
	}
	return fmt.Sprintf("%.2f %s", v, unit)
}

// boundText and ratioText are "–" for figures reported without a bound.
func (r row) boundText() string {
	if r.bound == 0 {
		return "–"
	}
	return num(r.bound, r.unit)
}

func (r row) ratioText() string {
	if r.bound == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", r.ratio())
}

func printRows(rows []row) {
	for _, r := range rows {
		fmt.Printf("  %-28s %-26s %16s  bound %16s  ratio %5s %s\n", r.scenario, r.metric, num(r.value, r.unit), r.boundText(), r.ratioText(), r.verdict())
	}
}

func printTable(rows []row) {
	fmt.Printf("| scenario | metric | measured | bound | ratio | goal | |\n|---|---|---:|---:|---:|---|---|\n")
	for _, r := range rows {
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s |\n", r.scenario, r.metric, num(r.value, r.unit), r.boundText(), r.ratioText(), r.goalText(), r.verdict())
	}
	missed, unmeasured := 0, 0
	for _, r := range rows {
		switch r.verdict() {
		case "MISSED":
			missed++
		case notMeasured:
			unmeasured++
		}
	}
	fmt.Printf("\n%d figures, %d goals missed, %d not measured\n", len(rows), missed, unmeasured)
}

// failures returns the rows that could not be measured.
func failures(rows []row) []row {
	var out []row
	for _, r := range rows {
		if r.verdict() == notMeasured {
			out = append(out, r)
		}
	}
	return out
}

// median is the median of ds (the mean of the two middle values for an
// even count); NaN-producing callers never pass an empty slice.
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// percentile is the nearest-rank p-th percentile of ds (0 < p ≤ 100).
func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	k := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(k, len(s)-1))]
}
