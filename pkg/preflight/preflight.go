// Package preflight checks, without writing anything, every dependency a
// ramsync function's configuration needs (SPEC §4.4, {"preflight": true}):
// each secret readable, a token obtained, one SCIM page listed, each RAM
// OpenAPI read action the rules use, the roster fetched and parsed, the
// alert bot reached. Each [Check] gives one line: ok, or what failed and
// what to fix (the secret's name, the missing action's name).
//
// A Check is a name, a function and a fix; [Run] runs them in order, each
// under its own time limit, and returns a [Report]. The constructors here
// ([Secret], [Token], [SCIMPage], [RAMActions], [Roster], [AlertBot]) are
// the checks the functions share; a function adds its own with [New].
package preflight

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Timeout bounds each check.
const Timeout = 20 * time.Second

// Check is one dependency to check.
type Check struct {
	// Name says what is checked: "secret ramsync/scim-app-secret
	// (SCIM_SECRET_NAME)", "RAM action ram:GetUser".
	Name string
	// Run checks it and returns what it found (a record count, a format),
	// or why it failed. It must write nothing.
	Run func(ctx context.Context) (string, error)
	// Fix says what to do when Run fails.
	Fix string
}

// New is a Check.
func New(name, fix string, run func(ctx context.Context) (string, error)) Check {
	return Check{Name: name, Run: run, Fix: fix}
}

// Result is one check's outcome.
type Result struct {
	Check string `json:"check"`
	OK    bool   `json:"ok"`
	// Detail is what was found, or what failed.
	Detail string `json:"detail,omitempty"`
	// Fix is what to do; only on a failure.
	Fix string `json:"fix,omitempty"`
}

// Line is the result as one line:
//
//	ok: token from OAUTH_TOKEN_URL: obtained
//	FAILED: secret ramsync/x (ROSTER_AUTH_SECRET_NAME): secrets: … 404 …; fix: create …
func (r Result) Line() string {
	if r.OK {
		if r.Detail == "" {
			return "ok: " + r.Check
		}
		return "ok: " + r.Check + ": " + r.Detail
	}
	s := "FAILED: " + r.Check + ": " + r.Detail
	if r.Fix != "" {
		s += "; fix: " + r.Fix
	}
	return s
}

// Report is what a preflight returns: one line per check, and each
// result in full.
type Report struct {
	// OK is true when every check passed.
	OK     bool     `json:"ok"`
	Lines  []string `json:"lines"`
	Checks []Result `json:"checks"`
}

// Failed returns the lines of the checks that failed, without their
// "FAILED: " (the alert's list).
func (r Report) Failed() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, strings.TrimPrefix(c.Line(), "FAILED: "))
		}
	}
	return out
}

// Run runs the checks in order, each with at most Timeout (and ctx's
// deadline), and reports every one: a failure never stops the others.
func Run(ctx context.Context, checks []Check) Report {
	rep := Report{OK: true, Lines: []string{}, Checks: []Result{}}
	for _, c := range checks {
		r := run1(ctx, c)
		rep.OK = rep.OK && r.OK
		rep.Checks = append(rep.Checks, r)
		rep.Lines = append(rep.Lines, r.Line())
	}
	return rep
}

func run1(ctx context.Context, c Check) (r Result) {
	r.Check = c.Name
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			r.OK, r.Detail, r.Fix = false, fmt.Sprintf("the check panicked: %v", p), "report this as a bug"
		}
	}()
	detail, err := c.Run(ctx)
	if err != nil {
		return Result{Check: c.Name, Detail: oneLine(err.Error()), Fix: c.Fix}
	}
	return Result{Check: c.Name, OK: true, Detail: oneLine(detail)}
}

// oneLine keeps a detail to one line of reasonable length.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 400 {
		s = string(r[:400]) + "…"
	}
	return s
}
