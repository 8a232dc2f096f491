package main

import "fmt"

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

func (r row) verdict() string {
	switch {
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
	missed := 0
	for _, r := range rows {
		if r.verdict() == "MISSED" {
			missed++
		}
	}
	fmt.Printf("\n%d figures, %d goals missed\n", len(rows), missed)
}
