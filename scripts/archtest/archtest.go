// Package archtest holds ramsync's import rules (issue 12 item 8) and
// checks them over the module's own source, so `go test ./...` (and with
// it scripts/test.sh) fails when a layer reaches where it must not:
//
//   - pkg/scim is a plain SCIM client: it imports no other ramsync package.
//   - pkg/provision is the decision engine: it imports no function, no
//     Function Compute adapter (pkg/fcrun, the FC runtime SDK) and no test
//     double (pkg/cloudtest, pkg/stacktest, pkg/localrun).
//   - Nothing that ships imports a test double: outside the doubles
//     themselves and the local tools (scripts/bench, scripts/demo), no
//     package imports pkg/cloudtest, pkg/stacktest or pkg/localrun.
//
// Only non-test files count: tests may use anything.
package archtest

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Module is ramsync's module path.
const Module = "github.com/ramsync/ramsync"

// TestDoubles are the packages (with their subpackages) that stand in for
// the cloud in tests.
var TestDoubles = []string{"pkg/cloudtest", "pkg/stacktest", "pkg/localrun"}

// LocalTools may import the test doubles: they run ramsync on one machine
// and never ship.
var LocalTools = []string{"scripts/bench", "scripts/demo"}

// FCAdapters are Function Compute's runtime: pkg/fcrun and the FC SDK.
var FCAdapters = []string{"pkg/fcrun", "github.com/aliyun/fc-runtime-go-sdk"}

// Imports maps each package of the module under root (its path relative to
// the module, e.g. "pkg/scim") to what its non-test files import (module
// packages relative too, others as written). testdata, hidden and dist
// directories are skipped.
func Imports(root string) (map[string][]string, error) {
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || name == "dist" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		if _, ok := out[pkg]; !ok {
			out[pkg] = nil
		}
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return fmt.Errorf("%s: %v", fset.Position(imp.Pos()), err)
			}
			if rest, ok := strings.CutPrefix(p, Module+"/"); ok {
				p = rest
			}
			if !slices.Contains(out[pkg], p) {
				out[pkg] = append(out[pkg], p)
			}
		}
		return nil
	})
	for _, v := range out {
		sort.Strings(v)
	}
	return out, err
}

// under reports whether pkg is p or inside it.
func under(pkg string, ps []string) bool {
	for _, p := range ps {
		if pkg == p || strings.HasPrefix(pkg, p+"/") {
			return true
		}
	}
	return false
}

// Check applies the rules to an import graph from [Imports] and returns
// the violations, one line each naming the package and the import.
func Check(imports map[string][]string) []string {
	var problems []string
	pkgs := make([]string, 0, len(imports))
	for p := range imports {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	isModule := func(p string) bool { return imports[p] != nil || under(p, []string{"pkg", "functions", "scripts"}) }
	for _, pkg := range pkgs {
		for _, imp := range imports[pkg] {
			switch {
			case pkg == "pkg/scim" && isModule(imp):
				problems = append(problems, fmt.Sprintf("pkg/scim imports %s: the SCIM client imports no other ramsync package", imp))
			case under(pkg, []string{"pkg/provision"}) && under(imp, []string{"functions"}):
				problems = append(problems, fmt.Sprintf("%s imports %s: the engine imports no function", pkg, imp))
			case under(pkg, []string{"pkg/provision"}) && under(imp, FCAdapters):
				problems = append(problems, fmt.Sprintf("%s imports %s: the engine knows nothing of Function Compute", pkg, imp))
			case under(imp, TestDoubles) && under(pkg, []string{"pkg/provision"}):
				problems = append(problems, fmt.Sprintf("%s imports %s: the engine imports no test double", pkg, imp))
			case under(imp, TestDoubles) && !under(pkg, TestDoubles) && !under(pkg, LocalTools):
				problems = append(problems, fmt.Sprintf("%s imports %s: a test double in code that ships (only tests, the doubles and %s may)", pkg, imp, strings.Join(LocalTools, ", ")))
			}
		}
	}
	return problems
}

// ModuleRoot finds the module root from the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module "+Module+"\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("archtest: no go.mod of %s above the working directory", Module)
		}
		dir = parent
	}
}
