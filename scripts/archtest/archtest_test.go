package archtest

import (
	"strings"
	"testing"
)

// TestImportRules holds the module's own source to the rules.
func TestImportRules(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	imports, err := Imports(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, must := range []string{"pkg/scim", "pkg/provision", "functions/webhook", "pkg/cloudtest"} {
		if _, ok := imports[must]; !ok {
			t.Fatalf("package %s not found under %s: the walk is broken", must, root)
		}
	}
	for _, p := range Check(imports) {
		t.Error(p)
	}
}

// TestRulesCatchViolations: each rule, broken once in a made-up graph, is
// reported; the allowed imports are not.
func TestRulesCatchViolations(t *testing.T) {
	tests := []struct {
		name    string
		pkg     string
		imports []string
		want    string // "" = allowed
	}{
		{"scim imports secrets", "pkg/scim", []string{"pkg/secrets"}, "pkg/scim imports pkg/secrets"},
		{"scim imports auth", "pkg/scim", []string{"net/http", "pkg/auth"}, "pkg/scim imports pkg/auth"},
		{"scim imports the standard library", "pkg/scim", []string{"net/http", "golang.org/x/time/rate"}, ""},
		{"provision imports a function", "pkg/provision", []string{"functions/webhook"}, "the engine imports no function"},
		{"provision imports fcrun", "pkg/provision", []string{"pkg/fcrun"}, "knows nothing of Function Compute"},
		{"provision imports the FC SDK", "pkg/provision", []string{"github.com/aliyun/fc-runtime-go-sdk/fc"}, "knows nothing of Function Compute"},
		{"provision imports the double", "pkg/provision", []string{"pkg/cloudtest"}, "the engine imports no test double"},
		{"provision imports stacktest", "pkg/provision", []string{"pkg/stacktest"}, "the engine imports no test double"},
		{"provision imports scim and ramcred", "pkg/provision", []string{"pkg/scim", "pkg/ramcred", "pkg/hr"}, ""},
		{"a function imports the double", "functions/webhook", []string{"pkg/cloudtest"}, "a test double in code that ships"},
		{"wire imports localrun", "pkg/wire", []string{"pkg/localrun"}, "a test double in code that ships"},
		{"a tool of a subpackage", "pkg/secrets", []string{"pkg/cloudtest/fcruntime"}, "a test double in code that ships"},
		{"stacktest imports cloudtest", "pkg/stacktest", []string{"pkg/cloudtest"}, ""},
		{"localrun imports fcruntime", "pkg/localrun", []string{"pkg/cloudtest/fcruntime"}, ""},
		{"bench imports localrun", "scripts/bench", []string{"pkg/localrun"}, ""},
	}
	for _, tt := range tests {
		got := Check(map[string][]string{tt.pkg: tt.imports})
		switch {
		case tt.want == "" && len(got) > 0:
			t.Errorf("%s: reported %v, want allowed", tt.name, got)
		case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
			t.Errorf("%s: reported %v, want one problem mentioning %q", tt.name, got, tt.want)
		}
	}
}
