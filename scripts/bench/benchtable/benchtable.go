// Package benchtable prints benchmark figures against their bounds and
// goals, for scripts/bench and scripts/bench/vendors: one table format,
// one rule for a figure that could not be measured (a failure, never "ok"),
// one median and percentile.
package benchtable

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Row is one measured figure against its bound or goal.
type Row struct {
	Scenario, Metric string
	Value, Bound     float64
	Unit             string
	// goal is the ratio value/bound must not exceed (or, with atLeast,
	// reach); 0 means report only.
	Goal    float64
	AtLeast bool
}

func (r Row) ratio() float64 {
	if r.Bound == 0 {
		return 0
	}
	return r.Value / r.Bound
}

// unmeasured reports whether the figure could not be measured: NaN (a
// metric missing from a tool's output), or, for a count or a size held
// under a ceiling, zero (a run always makes a call, a process always has
// memory: a zero there means /proc or a counter could not be read).
// Producers set NaN where they know; this rule catches the rest.
func (r Row) unmeasured() bool {
	if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
		return true
	}
	return r.Goal != 0 && !r.AtLeast && r.Value == 0 && (r.Unit == "" || r.Unit == "MB")
}

// NotMeasured is the verdict of a figure that could not be measured: a
// failure, never "ok".
const NotMeasured = "NOT MEASURED"

func (r Row) Verdict() string {
	switch {
	case r.unmeasured():
		return NotMeasured
	case r.Goal == 0:
		return ""
	case r.AtLeast && r.ratio() >= r.Goal, !r.AtLeast && r.ratio() <= r.Goal:
		return "ok"
	}
	return "MISSED"
}

func (r Row) goalText() string {
	switch {
	case r.Goal == 0:
		return ""
	case r.AtLeast:
		return fmt.Sprintf("≥ %.2f", r.Goal)
	}
	return fmt.Sprintf("≤ %.2f", r.Goal)
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
func (r Row) boundText() string {
	if r.Bound == 0 {
		return "–"
	}
	return num(r.Bound, r.Unit)
}

func (r Row) ratioText() string {
	if r.Bound == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", r.ratio())
}

// PrintRows prints rows as they are measured, one line each, with the
// scenario, metric and value columns w1, w2 and w3 wide.
func PrintRows(rows []Row, w1, w2, w3 int) {
	for _, r := range rows {
		fmt.Printf("  %-*s %-*s %*s  bound %*s  ratio %5s %s\n", w1, r.Scenario, w2, r.Metric, w3, num(r.Value, r.Unit), w3, r.boundText(), r.ratioText(), r.Verdict())
	}
}

// PrintTable prints rows as a Markdown table and a summary line.
func PrintTable(rows []Row) {
	fmt.Printf("| scenario | metric | measured | bound | ratio | goal | |\n|---|---|---:|---:|---:|---|---|\n")
	for _, r := range rows {
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s |\n", r.Scenario, r.Metric, num(r.Value, r.Unit), r.boundText(), r.ratioText(), r.goalText(), r.Verdict())
	}
	missed, unmeasured := 0, 0
	for _, r := range rows {
		switch r.Verdict() {
		case "MISSED":
			missed++
		case NotMeasured:
			unmeasured++
		}
	}
	fmt.Printf("\n%d figures, %d goals missed, %d not measured\n", len(rows), missed, unmeasured)
}

// Failures returns the rows that could not be measured.
func Failures(rows []Row) []Row {
	var out []Row
	for _, r := range rows {
		if r.Verdict() == NotMeasured {
			out = append(out, r)
		}
	}
	return out
}

// Median is the median of ds (the mean of the two middle values for an
// even count); NaN-producing callers never pass an empty slice.
func Median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Percentile is the nearest-rank p-th percentile of ds (0 < p ≤ 100).
func Percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	k := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(k, len(s)-1))]
}
