package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// PolicyFile is the file, under scripts/deploy, holding the role policy
// of function fn: one role and one policy per function.
func PolicyFile(fn string) string { return fn + "-policy.json" }

// ReconcilerOnly are the RAM actions only the reconciler calls: listing
// every RAM user (the suspension markers, SPEC §4.4). Every other action
// pkg/ramcred calls serves suspension and deletion, which all three
// functions do.
var ReconcilerOnly = []string{"ram:ListUsers"}

// FunctionRAMActions returns the RAM policy actions function fn needs,
// sorted, from called (the actions pkg/ramcred calls, [RAMActionsCalled]).
func FunctionRAMActions(fn string, called []string) []string {
	var out []string
	for _, a := range called {
		if fn == "reconciler" || !slices.Contains(ReconcilerOnly, a) {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// ramExtra are the resources RAM checks besides the user for two
// actions (RAM API reference, "RAM authorization"): the group for
// RemoveUserFromGroup, the custom or system policy for DetachPolicyFromUser.
var ramExtra = map[string][]string{
	"ram:RemoveUserFromGroup":  {"acs:ram:*:${accountId}:group/*"},
	"ram:DetachPolicyFromUser": {"acs:ram:*:${accountId}:policy/*", "acs:ram:*:system:policy/*"},
}

// OptionalSecretVars maps each optional secret-name variable, which s.yaml
// leaves commented out until the operator enables the feature, to the
// s.yaml var naming its secret: the role may read that secret already, so
// enabling the feature needs no new policy.
var OptionalSecretVars = map[string]string{
	"FEISHU_SECRET_NAME":   "feishuSecretName",
	"DINGTALK_SECRET_NAME": "dingtalkSecretName",
	"ALERT_SECRET_NAME":    "alertSecretName",
}

// SecretsRead returns the Secrets Manager secrets function fn may read,
// as s.yaml configures it: for each *_SECRET_NAME variable its code reads,
// the declared value, or for an optional one left out, the var
// OptionalSecretVars names. Empty values (a roster without credentials)
// name nothing.
func SecretsRead(fn string, doc Doc) []string {
	names, _ := NamesRead(fn, nil)
	env := mapAt(doc, "resources", fn, "props", "environmentVariables")
	vars := mapAt(doc, "vars")
	var out []string
	for _, n := range names {
		if !strings.HasSuffix(n, "_SECRET_NAME") {
			continue
		}
		v, declared := env[n].(string)
		if !declared {
			v = str(vars, OptionalSecretVars[n])
		}
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// TestAccountID stands for ${accountId} when the policy is rendered here.
const TestAccountID = "1234567890123456"

var placeholderRE = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// CheckPolicy checks function fn's role policy (RAM policy language,
// placeholders ${accountId} and ${<s.yaml var>}) against the rendered
// s.yaml and ramActions, the RAM actions the function's code calls
// ([FunctionRAMActions]): valid, no wildcard actions, kms:GetSecretValue
// on exactly the secrets the function may read ([SecretsRead]),
// log:PostLogStoreLogs on its logConfig's logstore, mns:PublishMessage on
// its async failure topic (none for the webhook), and exactly ramActions
// on RAM users (plus the group and policy resources RAM requires for two
// of them). Anything else granted is a problem.
func CheckPolicy(fn string, policy []byte, doc Doc, ramActions []string) []string {
	var p problemList
	vars := mapAt(doc, "vars")
	rendered := placeholderRE.ReplaceAllStringFunc(string(policy), func(ph string) string {
		name := ph[2 : len(ph)-1]
		if name == "accountId" {
			return TestAccountID
		}
		v, ok := vars[name].(string)
		if !ok {
			p.add("placeholder %s is not a var of s.yaml", ph)
			return ph
		}
		return v
	})
	var pol struct {
		Version   string
		Statement []struct {
			Effect    string
			Action    stringList
			Resource  stringList
			Condition map[string]any
		}
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(rendered)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pol); err != nil {
		p.add("not a RAM policy document: %v", err)
		return p.list
	}
	if pol.Version != "1" {
		p.add("Version is %q, want \"1\"", pol.Version)
	}
	granted := map[string][]string{} // action → resources
	for i, st := range pol.Statement {
		if st.Effect != "Allow" {
			p.add("Statement[%d].Effect is %q: this policy only allows", i, st.Effect)
			continue
		}
		for _, a := range st.Action {
			if strings.Contains(a, "*") {
				p.add("Statement[%d]: wildcard action %q", i, a)
			}
			for _, r := range st.Resource {
				if r == "*" {
					p.add("Statement[%d]: %s on every resource (\"*\")", i, a)
				}
				granted[a] = append(granted[a], r)
			}
		}
	}

	region := str(vars, "region")
	acct := func(s string) string { return strings.ReplaceAll(s, "${accountId}", TestAccountID) }
	props := mapAt(doc, "resources", fn, "props")
	want := map[string][]string{}

	// KMS: exactly the secrets this function may read.
	for _, s := range SecretsRead(fn, doc) {
		want["kms:GetSecretValue"] = append(want["kms:GetSecretValue"], fmt.Sprintf("acs:kms:%s:%s:secret/%s", region, TestAccountID, s))
	}
	// Log Service: the logstore this function writes to.
	if lc := mapAt(props, "logConfig"); lc != nil {
		want["log:PostLogStoreLogs"] = []string{fmt.Sprintf("acs:log:%s:%s:project/%s/logstore/%s", region, TestAccountID, str(lc, "project"), str(lc, "logstore"))}
	}
	// MNS: publish to this function's async failure topic only.
	d := str(mapAt(props, "asyncInvokeConfig", "destinationConfig", "onFailure"), "destination")
	if _, rest, ok := strings.Cut(d, "/topics/"); ok {
		topic := strings.TrimSuffix(rest, "/messages")
		want["mns:PublishMessage"] = []string{
			fmt.Sprintf("acs:mns:%s:%s:/topics/%s", region, TestAccountID, topic),
			fmt.Sprintf("acs:mns:%s:%s:/topics/%s/messages", region, TestAccountID, topic),
		}
	}
	// RAM: exactly the actions the code calls, on users (and group/policy).
	for _, a := range ramActions {
		w := []string{acct("acs:ram:*:${accountId}:user/*")}
		for _, r := range ramExtra[a] {
			w = append(w, acct(r))
		}
		want[a] = w
	}

	for _, a := range sortedKeys(anyMap(want)) {
		p.sameSet(a, granted[a], want[a])
	}
	for _, a := range sortedKeys(anyMap(granted)) {
		if _, ok := want[a]; !ok {
			p.add("allows %s, which the %s function does not call", a, fn)
		}
	}
	return p.list
}

func anyMap(m map[string][]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// RAMActionsCalled returns the RAM policy actions of every RAM OpenAPI
// call in the Go package at dir (pkg/ramcred), sorted: the action strings
// passed as the second argument of its call method (c.call(ctx, "GetUser",
// …)). RAM (2015-05-01) actions are "ram:<Action>"; IMS (2019-08-15)
// actions, written "ims:<Action>" there, are authorized as "ram:<Action>"
// too (RAM API reference, IMS "RAM authorization": ram:GetUser,
// ram:GetLoginProfile, ram:UpdateLoginProfile). A call whose action is
// not a string literal is an error: the check could not see it.
func RAMActionsCalled(dir string) ([]string, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			return nil, err
		}
		var bad error
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "call" || len(call.Args) < 2 {
				return true
			}
			lit, ok := call.Args[1].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				if bad == nil {
					bad = fmt.Errorf("%s: a RAM call whose action is not a string literal; the policy check cannot see it", fset.Position(call.Pos()))
				}
				return true
			}
			action, err := strconv.Unquote(lit.Value)
			if err != nil {
				bad = err
				return true
			}
			action = strings.TrimPrefix(action, "ims:")
			if action == "" || strings.ContainsAny(action, ":* ") {
				bad = fmt.Errorf("%s: action %q is not a RAM or IMS action name", fset.Position(lit.Pos()), action)
				return true
			}
			out = append(out, "ram:"+action)
			return true
		})
		if bad != nil {
			return nil, bad
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no RAM call found in %s", dir)
	}
	sort.Strings(out)
	return slices.Compact(out), nil
}

// sameSet adds a problem when action is granted on other resources than want.
func (p *problemList) sameSet(action string, got, want []string) {
	g, w := slices.Clone(got), slices.Clone(want)
	sort.Strings(g)
	sort.Strings(w)
	g, w = slices.Compact(g), slices.Compact(w)
	if slices.Equal(g, w) {
		return
	}
	var missing, extra []string
	for _, r := range w {
		if !slices.Contains(g, r) {
			missing = append(missing, r)
		}
	}
	for _, r := range g {
		if !slices.Contains(w, r) {
			extra = append(extra, r)
		}
	}
	if len(missing) > 0 {
		p.add("%s: not granted on %s", action, quote(missing))
	}
	if len(extra) > 0 {
		p.add("%s: granted beyond what ramsync needs, on %s", action, quote(extra))
	}
}

// stringList is a policy element that is a string or a list of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings")
	}
	*l = many
	return nil
}
