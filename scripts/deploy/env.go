package deploy

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/ramsync/ramsync/pkg/config"
)

// loaders are each function's configuration loader (what its main.go
// calls), reduced to the names it read and its verdict.
var loaders = map[string]func(getenv func(string) string) ([]string, error){
	"webhook": func(g func(string) string) ([]string, error) {
		_, names, err := config.LoadWebhook(g)
		return names, err
	},
	"reconciler": func(g func(string) string) ([]string, error) {
		_, names, err := config.LoadReconciler(g)
		return names, err
	},
	"offboarding": func(g func(string) string) ([]string, error) {
		_, names, err := config.LoadOffboarding(g)
		return names, err
	},
}

// NamesRead returns every variable fn's code reads, sorted: the union of
// what its loader reports and what a recording getenv saw, with an empty
// environment and with env (a loader might read some names only when
// others are set). err is the loader's verdict on env.
func NamesRead(fn string, env map[string]string) (names []string, err error) {
	load, ok := loaders[fn]
	if !ok {
		return nil, fmt.Errorf("no configuration loader for %q", fn)
	}
	seen := map[string]bool{}
	record := func(env map[string]string) func(string) string {
		return func(name string) string {
			seen[name] = true
			return env[name]
		}
	}
	empty, _ := load(record(nil))
	full, err := load(record(env))
	for _, n := range append(empty, full...) {
		seen[n] = true
	}
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, err
}

// Optional are variables a function reads that s.yaml may leave out (they
// enable a feature: Feishu, DingTalk, alerts, a roster format, a filter on
// event sources); left out, they must be documented as a comment in the
// function's section of s.yaml ([CheckDocumented]).
var Optional = []string{
	"FEISHU_APP_ID", "FEISHU_SECRET_NAME", "FEISHU_ENDPOINT",
	"DINGTALK_APP_KEY", "DINGTALK_SECRET_NAME", "DINGTALK_ENDPOINT",
	"ROSTER_FORMAT", "ALERT_WEBHOOK_URL", "ALERT_SECRET_NAME", "ALERT_FORMAT", "EVENT_SOURCES",
}

// CheckDocumented checks that every optional variable a function reads
// and s.yaml (src, the file as written) leaves out appears there as a
// commented-out line "# NAME: …" inside that function's resource (or in
// the commonEnv anchor, which every function merges).
func CheckDocumented(src []byte, doc Doc) []string {
	var p problemList
	lines := strings.Split(string(src), "\n")
	section := func(start func(string) bool) string {
		var b strings.Builder
		in := false
		for _, l := range lines {
			switch {
			case start(l):
				in = true
			case in && len(l) > 0 && l[0] != ' ' && l[0] != '#':
				in = false // a top-level key
			case in && strings.HasPrefix(l, "  ") && len(l) > 2 && l[2] != ' ' && l[2] != '#':
				in = false // the next resource or var
			}
			if in {
				b.WriteString(l + "\n")
			}
		}
		return b.String()
	}
	common := section(func(l string) bool { return strings.HasPrefix(l, "  commonEnv:") })
	for _, fn := range Functions {
		env := mapAt(doc, "resources", fn.Name, "props", "environmentVariables")
		names, _ := NamesRead(fn.Name, nil)
		text := common + section(func(l string) bool { return l == "  "+fn.Name+":" })
		for _, n := range names {
			if _, declared := env[n]; declared || !slices.Contains(Optional, n) {
				continue
			}
			if !regexp.MustCompile(`(?m)^\s*#\s*` + n + `:`).MatchString(text) {
				p.add("%s: optional %s is neither set nor documented (a commented-out \"# %s: …\" line in its section)", fn.Name, n, n)
			}
		}
	}
	return p.list
}

// CheckEnv compares a function's declared environmentVariables with the
// variables its code reads: every name read must be declared and every
// declared name read, except the ones Function Compute sets itself
// (config.Platform) and the local-only plain-text secrets
// (config.LocalOnly), which must not be declared at all. It also runs the
// loader on the declared values (with FC_REGION as FC sets it), which must
// accept them.
func CheckEnv(fn Function, declared map[string]any) []string {
	env := map[string]string{}
	var p problemList
	for _, k := range sortedKeys(declared) {
		s, ok := declared[k].(string)
		if !ok {
			p.add("environmentVariables.%s is %s: values must be strings (quote them)", k, describe(declared[k]))
		}
		env[k] = s
	}
	names, loadErr := NamesRead(fn.Name, withRegion(env))
	var want []string
	for _, n := range names {
		if !config.Platform(n) && !slices.Contains(config.LocalOnly, n) {
			want = append(want, n)
		}
	}
	var missing, extra []string
	for _, n := range want {
		if _, ok := declared[n]; !ok && !slices.Contains(Optional, n) {
			missing = append(missing, n)
		}
	}
	for _, n := range sortedKeys(declared) {
		switch {
		case slices.Contains(config.LocalOnly, n):
			p.add("environmentVariables.%s: a local-only plain-text secret; in FC name a Secrets Manager secret instead", n)
		case config.Platform(n):
			p.add("environmentVariables.%s: set by Function Compute itself (reserved prefix)", n)
		case !slices.Contains(want, n):
			extra = append(extra, n)
		}
	}
	if len(missing) > 0 {
		p.add("environmentVariables lacks %s, which the code reads", quote(missing))
	}
	if len(extra) > 0 {
		p.add("environmentVariables declares %s, which the code never reads", quote(extra))
	}
	if loadErr != nil && len(missing) == 0 {
		p.add("the code rejects the environment s.yaml gives it: %v", loadErr)
	}
	return p.list
}

// withRegion adds FC_REGION as Function Compute sets it.
func withRegion(env map[string]string) map[string]string {
	out := map[string]string{"FC_REGION": "cn-hangzhou"}
	for k, v := range env {
		out[k] = v
	}
	return out
}
