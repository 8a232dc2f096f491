package main

import (
	"fmt"
	"math"
)

// row is one measured figure against its bound, printed as scripts/bench
// prints its own (scripts/bench/table.go): the same columns, verdicts and
// table, so that bench.sh's output reads as one.
type row struct {
	scenario, metric string
	value, bound     float64
	unit             string
	// goal is the ratio value/bound must not exceed; 0 means report only.
	goal float64
}

func (r row) ratio() float64 {
	if r.bound == 0 {
		return 0
	}
	return r.value / r.bound
}

// notMeasured is the verdict of a figure that could not be measured: a
// failure, never "ok".
const notMeasured = "NOT MEASURED"

func (r row) unmeasured() bool {
	if math.IsNaN(r.value) || math.IsInf(r.value, 0) {
		return true
	}
	return r.goal != 0 && r.value == 0 && r.unit == ""
}

func (r row) verdict() string {
	switch {
	case r.unmeasured():
		return notMeasured
	case r.goal == 0:
		return ""
	case r.ratio() <= r.goal:
		return "ok"
	}
	return "MISSED"
}

func (r row) goalText() string {
	if r.goal == 0 {
		return ""
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
		fmt.Printf("  %-36s %-34s %12s  bound %12s  ratio %5s %s\n", r.scenario, r.metric, num(r.value, r.unit), r.boundText(), r.ratioText(), r.verdict())
	}
}

func printTable(rows []row) {
	fmt.Printf("| scenario | metric | measured | bound | ratio | goal | |\n|---|---|---:|---:|---:|---|---|\n")
	missed, unmeasured := 0, 0
	for _, r := range rows {
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s |\n", r.scenario, r.metric, num(r.value, r.unit), r.boundText(), r.ratioText(), r.goalText(), r.verdict())
		switch r.verdict() {
		case "MISSED":
			missed++
		case notMeasured:
			unmeasured++
		}
	}
	fmt.Printf("\n%d figures, %d goals missed, %d not measured\n", len(rows), missed, unmeasured)
}
