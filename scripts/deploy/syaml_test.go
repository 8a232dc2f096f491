package deploy

// Why these libraries: s.yaml is YAML with anchors and `<<` merge keys,
// which go.yaml.in/yaml/v3 (the YAML organisation's continuation of
// gopkg.in/yaml.v3) decodes as Serverless Devs' js-yaml does. The fc3
// schema is JSON Schema draft-07 (`s verify` runs it through ajv);
// github.com/santhosh-tekuri/jsonschema/v6 implements draft-07 (and later
// drafts), passes the official JSON-Schema-Test-Suite, and can compile one
// definition of the document (#/definitions/ITimerTriggerConfig …) on its
// own, which the per-trigger checks need.

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testEnv is the environment s.yaml is rendered with: the two values it
// requires, and nothing else, so every other var takes its default.
var testEnv = map[string]string{
	"RAMSYNC_SCIM_CLIENT_ID": "test-client-id",
	"RAMSYNC_ROSTER_URL":     "https://hr.example.com/roster.json",
}

func lookupTestEnv(name string) (string, bool) {
	v, ok := testEnv[name]
	return v, ok
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func loadDoc(t *testing.T) Doc {
	t.Helper()
	doc, err := LoadSYAML(filepath.Join(repoRoot(t), "s.yaml"), lookupTestEnv)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func loadPolicy(t *testing.T, fn string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "scripts", "deploy", PolicyFile(fn)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ramActions are the RAM actions pkg/ramcred calls, read from its source.
func ramActions(t *testing.T) []string {
	t.Helper()
	a, err := RAMActionsCalled(filepath.Join(repoRoot(t), "pkg", "ramcred"))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// loadSchema compiles the fc3 schema from the shared folder beside the
// repository, or skips: the repository must not depend on it.
func loadSchema(t *testing.T) *Schema {
	t.Helper()
	path := filepath.Join(repoRoot(t), "..", "shared", "vendor-data", "fc3", "schema.json")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		t.Skipf("fc3 schema not found at %s (it lives in the project's shared folder, not in the repository); schema checks skipped", path)
	}
	s, err := LoadSchema(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func reportProblems(t *testing.T, problems []string) {
	t.Helper()
	for _, p := range problems {
		t.Error(p)
	}
}

func TestSYAML(t *testing.T) {
	reportProblems(t, Check(loadDoc(t)))
}

func TestSYAMLMatchesFC3Schema(t *testing.T) {
	s := loadSchema(t)
	reportProblems(t, s.Check(loadDoc(t)))
}

// TestPolicy: each function's role policy grants exactly what its code
// calls: the RAM actions in pkg/ramcred's source (the reconciler alone
// lists users), the secrets its configuration names, its logstore and
// failure topic.
func TestPolicy(t *testing.T) {
	doc := loadDoc(t)
	called := ramActions(t)
	t.Logf("pkg/ramcred calls %s", strings.Join(called, " "))
	for _, fn := range Functions {
		t.Run(fn.Name, func(t *testing.T) {
			t.Logf("may read secrets %s", strings.Join(SecretsRead(fn.Name, doc), " "))
			reportProblems(t, CheckPolicy(fn.Name, loadPolicy(t, fn.Name), doc, FunctionRAMActions(fn.Name, called)))
		})
	}
}

// TestWebhookCannotReadRosterCredentials: the internet-facing function's
// role never reads the roster's credentials, and never lists RAM users.
func TestWebhookCannotReadRosterCredentials(t *testing.T) {
	doc := loadDoc(t)
	pol := string(loadPolicy(t, "webhook"))
	for _, banned := range []string{"${rosterAuthSecretName}", "ram:ListUsers"} {
		if strings.Contains(pol, banned) {
			t.Errorf("webhook-policy.json grants %s", banned)
		}
	}
	roster := str(mapAt(doc, "vars"), "rosterAuthSecretName")
	if slices.Contains(SecretsRead("webhook", doc), roster) || slices.Contains(SecretsRead("offboarding", doc), roster) {
		t.Errorf("the webhook or offboarding may read %s", roster)
	}
	if !slices.Contains(SecretsRead("reconciler", doc), roster) {
		t.Errorf("the reconciler cannot read %s", roster)
	}
	for _, fn := range []string{"offboarding"} {
		if strings.Contains(string(loadPolicy(t, fn)), "${webhookSecretName}") {
			t.Errorf("%s may read the webhook signing key", fn)
		}
	}
}

// TestRAMActionsCalled reads the actions from Go source: RAM and IMS
// calls, both authorized as ram:<Action>; a call whose action the check
// cannot read is an error, not a silent gap.
func TestRAMActionsCalled(t *testing.T) {
	called := ramActions(t)
	for _, a := range []string{"ram:ListAccessKeys", "ram:UpdateAccessKey", "ram:DeleteAccessKey", "ram:DetachPolicyFromUser"} {
		if !slices.Contains(called, a) {
			t.Errorf("pkg/ramcred calls %v: %s missing", called, a)
		}
	}
	dir := t.TempDir()
	write := func(src string) {
		if err := os.WriteFile(filepath.Join(dir, "x.go"), []byte("package x\n"+src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`func f(c C) { c.call(ctx, "GetUser", n, r, s); c.call(ctx, "ims:UpdateLoginProfile", n, r, s); c.call(ctx, "GetUser", n, r, s) }`)
	if got, err := RAMActionsCalled(dir); err != nil || !slices.Equal(got, []string{"ram:GetUser", "ram:UpdateLoginProfile"}) {
		t.Errorf("RAMActionsCalled = %v, %v; want ram:GetUser ram:UpdateLoginProfile", got, err)
	}
	write(`func f(c C, a string) { c.call(ctx, a, n, r, s) }`)
	if _, err := RAMActionsCalled(dir); err == nil || !strings.Contains(err.Error(), "not a string literal") {
		t.Errorf("an action in a variable: err = %v", err)
	}
	write(`func f(c C) { c.call(ctx, "sts:AssumeRole", n, r, s) }`)
	if _, err := RAMActionsCalled(dir); err == nil {
		t.Error("a foreign action: no error")
	}
}

// TestOptionalVariablesDocumented: what s.yaml leaves out of a function's
// environment (Feishu, DingTalk, alerts…) is there as a comment.
func TestOptionalVariablesDocumented(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	reportProblems(t, CheckDocumented(src, loadDoc(t)))
}

// TestEnvironmentMatchesCode is Check's environment part, one function at
// a time, with the names listed for whoever reads the log.
func TestEnvironmentMatchesCode(t *testing.T) {
	doc := loadDoc(t)
	for _, fn := range Functions {
		t.Run(fn.Name, func(t *testing.T) {
			env := mapAt(doc, "resources", fn.Name, "props", "environmentVariables")
			names, _ := NamesRead(fn.Name, nil)
			t.Logf("code reads %s", strings.Join(names, " "))
			t.Logf("s.yaml declares %s", strings.Join(sortedKeys(env), " "))
			reportProblems(t, CheckEnv(fn, env))
		})
	}
}

// TestNoPlainSecrets: the local-only secrets appear nowhere in s.yaml,
// not even in a comment.
func TestNoPlainSecrets(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		code, _, _ := strings.Cut(line, "#")
		for _, name := range []string{"SCIM_CLIENT_SECRET", "WEBHOOK_SECRET:"} {
			if strings.Contains(code, name) {
				t.Errorf("s.yaml sets %s: %q", strings.TrimSuffix(name, ":"), line)
			}
		}
	}
}

func TestRequiredValuesMustBeSet(t *testing.T) {
	_, err := LoadSYAML(filepath.Join(repoRoot(t), "s.yaml"), func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), "not found and no default") {
		t.Fatalf("rendering without RAMSYNC_SCIM_CLIENT_ID and RAMSYNC_ROSTER_URL: err = %v, want env(…) not found", err)
	}
}

// TestRenderLikeSPreview pins the rendering rules to what `s preview -o
// json` (Serverless Devs 3.1.10) printed for this file.
func TestRenderLikeSPreview(t *testing.T) {
	const src = `
edition: 3.0.0
vars:
  region: cn-hangzhou
  both: ${vars.region}-x
  num: 5
  envd: ${env('PROBE_X', 'dflt')}
  empty: ${env("PROBE_Y", "")}
  common: &common
    A: ${vars.region}
resources:
  fn:
    props:
      memorySize: ${vars.num}
      role: ${vars.both}
      env:
        <<: *common
        D: ${vars.envd}
        E: ${config('AccountID')}
        F: ${vars.empty}
        G: ${env('PROBE_SET')}
`
	doc, err := ParseSYAML([]byte(src), func(k string) (string, bool) {
		return "zz", k == "PROBE_SET"
	})
	if err != nil {
		t.Fatal(err)
	}
	props := mapAt(doc, "resources", "fn", "props")
	if n, ok := props["memorySize"].(int); !ok || n != 5 {
		t.Errorf("memorySize = %#v, want the number 5", props["memorySize"])
	}
	if got := str(props, "role"); got != "cn-hangzhou-x" {
		t.Errorf("role = %q, want cn-hangzhou-x", got)
	}
	env := mapAt(props, "env")
	want := map[string]string{"A": "cn-hangzhou", "D": "dflt", "E": "${config('AccountID')}", "F": "", "G": "zz"}
	for k, w := range want {
		if got, ok := env[k].(string); !ok || got != w {
			t.Errorf("env.%s = %#v, want %q", k, env[k], w)
		}
	}
}

func TestCheckCron(t *testing.T) {
	good := []string{
		"0 0 18 * * *", "CRON_TZ=Asia/Shanghai 0 0 2 * * *", "@every 4m", "0 */5 * * * ?",
		"0 30 1 ? * MON-FRI", "0 0 0 L * ?", "0 0 12 1,15 JAN-JUN *", "0 0 9 ? * 2#1",
	}
	bad := []string{
		"0 18 * * *", "0 0 18 * * * *", "61 0 18 * * *", "0 0 24 * * *", "0 0 18 0 * *",
		"0 0 18 * 13 *", "0 0 18 * * 7", "x 0 18 * * *", "0 */0 * * * *", "0 0 5-2 * * *",
		"CRON_TZ=Mars/Olympus 0 0 2 * * *", "@every never", "? 0 18 * * *",
	}
	for _, e := range good {
		if err := CheckCron(e); err != nil {
			t.Errorf("CheckCron(%q) = %v, want ok", e, err)
		}
	}
	for _, e := range bad {
		if err := CheckCron(e); err == nil {
			t.Errorf("CheckCron(%q) = nil, want an error", e)
		}
	}
}

// TestFunctionsMatchRepository: every function s.yaml deploys has a
// package under functions/, and every package there is deployed.
func TestFunctionsMatchRepository(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join(repoRoot(t), "functions"))
	if err != nil {
		t.Fatal(err)
	}
	// A function is a directory with a main.go (functions/e2e holds the
	// end-to-end tests).
	var dirs []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(repoRoot(t), "functions", e.Name(), "main.go")); e.IsDir() && err == nil {
			dirs = append(dirs, e.Name())
		}
	}
	var names []string
	for _, fn := range Functions {
		names = append(names, fn.Name)
	}
	slices.Sort(dirs)
	slices.Sort(names)
	if !slices.Equal(dirs, names) {
		t.Errorf("functions/ has %v, s.yaml checks know %v", dirs, names)
	}
}
