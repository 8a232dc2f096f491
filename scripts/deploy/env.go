package deploy

import (
	"fmt"
	"slices"
	"sort"

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
		if _, ok := declared[n]; !ok {
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
