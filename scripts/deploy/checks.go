package deploy

import (
	"fmt"
	"slices"
	"strings"
)

// Function is one of ramsync's functions as s.yaml deploys it.
type Function struct {
	// Name is the s.yaml resource, the functions/<Name> package and the
	// dist/<Name> code folder.
	Name string
	// Trigger is the one triggerType it must have.
	Trigger string
	// DryRun tells whether it reads DRY_RUN (which s.yaml must set "true"
	// until the operator flips it).
	DryRun bool
	// Async tells whether it is invoked asynchronously, so it needs
	// retries and a failure destination.
	Async bool
}

// Functions are ramsync's three functions.
var Functions = []Function{
	{Name: "webhook", Trigger: "http"},
	{Name: "reconciler", Trigger: "timer", DryRun: true, Async: true},
	{Name: "offboarding", Trigger: "eventbridge", DryRun: true, Async: true},
}

// Check runs every s.yaml check that needs no schema file and returns the
// problems found, each naming the resource and the field.
func Check(doc Doc) []string {
	var problems []string
	if v := fmt.Sprint(doc["edition"]); v != "3.0.0" {
		problems = append(problems, fmt.Sprintf("edition is %q, want \"3.0.0\" (Serverless Devs 3)", v))
	}
	resources := mapAt(doc, "resources")
	for _, name := range sortedKeys(resources) {
		if !slices.ContainsFunc(Functions, func(f Function) bool { return f.Name == name }) {
			problems = append(problems, fmt.Sprintf("resources.%s: not one of ramsync's functions", name))
		}
	}
	for _, fn := range Functions {
		res := mapAt(resources, fn.Name)
		if res == nil {
			problems = append(problems, fmt.Sprintf("resources.%s: missing", fn.Name))
			continue
		}
		problems = append(problems, checkFunction(fn, res)...)
	}
	// One role per function, so each has only what its code calls.
	roles := map[string]string{}
	for _, fn := range Functions {
		r := str(mapAt(resources, fn.Name, "props"), "role")
		if other, ok := roles[r]; ok && r != "" {
			problems = append(problems, fmt.Sprintf("%s: role %q is also %s's: give each function its own role (scripts/deploy/%s)", fn.Name, r, other, PolicyFile(fn.Name)))
		}
		roles[r] = fn.Name
	}
	// The leaver grace decides whether a leaver is suspended or deleted,
	// whichever function sees the leaver first.
	grace := map[string]bool{}
	for _, fn := range Functions {
		grace[str(mapAt(resources, fn.Name, "props", "environmentVariables"), "LEAVER_GRACE")] = true
	}
	if len(grace) > 1 {
		problems = append(problems, "LEAVER_GRACE differs between the functions: one would delete a leaver another suspends")
	}
	return problems
}

func checkFunction(fn Function, res map[string]any) []string {
	var p problemList
	p.prefix = fn.Name + ": "
	if c := str(res, "component"); c != "fc3" {
		p.add("component is %q, want fc3", c)
	}
	props := mapAt(res, "props")
	if props == nil {
		p.add("props missing")
		return p.list
	}
	p.want(props, "runtime", "go1")
	p.want(props, "handler", "main")
	p.want(props, "code", "./dist/"+fn.Name)
	if !buildsFirst(res, fn.Name) {
		p.add("actions: want a pre-deploy step that runs `bash scripts/build.sh %s` (code is its output)", fn.Name)
	}
	if str(props, "role") == "" {
		p.add("role: want the function role (name or ARN): SCIM secrets, logs and RAM cleanup need it")
	}
	if props["logConfig"] == nil {
		p.add("logConfig missing: the JSON logs would go nowhere")
	}

	env := mapAt(props, "environmentVariables")
	p.list = append(p.list, prefixed(p.prefix, CheckEnv(fn, env))...)
	if fn.DryRun && str(env, "DRY_RUN") != "true" {
		p.add("environmentVariables.DRY_RUN is %q, want \"true\" until the operator flips it", str(env, "DRY_RUN"))
	}
	if v, ok := env["OFFBOARD_CLEANUP"]; ok && v != "true" {
		p.add("environmentVariables.OFFBOARD_CLEANUP is %q, want \"true\" (else leavers with AccessKeys stay blocked)", fmt.Sprint(v))
	}

	if fn.Async {
		p.list = append(p.list, prefixed(p.prefix, checkAsync(props))...)
	}
	if fn.Name == "webhook" {
		// Internet-facing: a bounded number of instances, each serving
		// several requests, so a flood cannot fan out (each new instance
		// reads the signing key once).
		if n, ok := num(props["instanceConcurrency"]); !ok || n < 2 || n > 100 {
			p.add("instanceConcurrency: want 2 to 100 requests per instance (got %s)", describe(props["instanceConcurrency"]))
		}
		if n, ok := num(mapAt(props, "concurrencyConfig")["reservedConcurrency"]); !ok || n < 1 || n > 100 {
			p.add("concurrencyConfig.reservedConcurrency: want 1 to 100, a bound on concurrent requests and so on instances")
		}
	}
	if fn.Name == "reconciler" {
		if n, ok := num(mapAt(props, "concurrencyConfig")["reservedConcurrency"]); !ok || n != 1 {
			p.add("concurrencyConfig.reservedConcurrency must be 1: two reconciles must never overlap")
		}
		if v, ok := props["instanceConcurrency"]; ok {
			if n, _ := num(v); n != 1 {
				p.add("instanceConcurrency must be 1 (one run per instance)")
			}
		}
	}

	triggers, _ := props["triggers"].([]any)
	if len(triggers) != 1 {
		p.add("triggers: want exactly one %s trigger, got %d", fn.Trigger, len(triggers))
	}
	for i, t := range triggers {
		tm, _ := t.(map[string]any)
		where := fmt.Sprintf("triggers[%d]", i)
		if typ := str(tm, "triggerType"); typ != fn.Trigger {
			p.add("%s: triggerType is %q, want %q", where, typ, fn.Trigger)
			continue
		}
		cfg, ok := tm["triggerConfig"].(map[string]any)
		if !ok {
			p.add("%s: triggerConfig: want an object", where)
			continue
		}
		p.list = append(p.list, prefixed(p.prefix+where+".triggerConfig.", CheckTrigger(fn.Trigger, cfg, env))...)
	}
	return p.list
}

// buildsFirst reports whether a pre-deploy action runs scripts/build.sh
// for fn.
func buildsFirst(res map[string]any, fn string) bool {
	for key, steps := range mapAt(res, "actions") {
		if !strings.HasPrefix(key, "pre-") || !strings.Contains(key, "deploy") {
			continue
		}
		list, _ := steps.([]any)
		for _, s := range list {
			f := strings.Fields(str(mapAt(s), "run"))
			if slices.ContainsFunc(f, func(w string) bool { return strings.HasSuffix(w, "scripts/build.sh") }) && slices.Contains(f, fn) {
				return true
			}
		}
	}
	return false
}

func checkAsync(props map[string]any) []string {
	a := mapAt(props, "asyncInvokeConfig")
	if a == nil {
		return []string{"asyncInvokeConfig missing: failed async invocations would be retried 3 times and dropped silently"}
	}
	var p problemList
	if n, ok := num(a["maxAsyncRetryAttempts"]); !ok || n < 0 || n > 8 {
		p.add("asyncInvokeConfig.maxAsyncRetryAttempts: want a number 0 to 8")
	}
	if _, ok := num(a["maxAsyncEventAgeInSeconds"]); !ok {
		p.add("asyncInvokeConfig.maxAsyncEventAgeInSeconds: want a number of seconds")
	}
	if d := str(mapAt(a, "destinationConfig", "onFailure"), "destination"); !strings.HasPrefix(d, "acs:") {
		p.add("asyncInvokeConfig.destinationConfig.onFailure.destination: want an ARN (acs:mns:…), got %q", d)
	}
	return p.list
}

// problemList collects problems, each with an optional prefix.
type problemList struct {
	prefix string
	list   []string
}

func (p *problemList) add(format string, args ...any) {
	p.list = append(p.list, p.prefix+fmt.Sprintf(format, args...))
}

// want adds a problem unless m[key] is the string want.
func (p *problemList) want(m map[string]any, key, want string) {
	if got, ok := m[key].(string); !ok || got != want {
		p.add("%s is %v, want %q", key, describe(m[key]), want)
	}
}

func prefixed(prefix string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = prefix + s
	}
	return out
}

// describe shows a YAML value with its type, for messages.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "missing"
	case string:
		return fmt.Sprintf("%q", v)
	default:
		return fmt.Sprintf("%v (%T)", v, v)
	}
}

// num reads a YAML or JSON number.
func num(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}
