package deploy

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Doc is a rendered s.yaml: YAML maps as map[string]any, lists as []any.
type Doc = map[string]any

// LoadSYAML reads and renders the s.yaml at path. lookupEnv answers
// ${env('X')} (os.LookupEnv in production; tests pass a fixed map).
func LoadSYAML(path string, lookupEnv func(string) (string, bool)) (Doc, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseSYAML(b, lookupEnv)
}

// ParseSYAML parses and renders s.yaml text (see [Render]).
func ParseSYAML(b []byte, lookupEnv func(string) (string, bool)) (Doc, error) {
	var doc Doc
	// yaml.v3 expands anchors, aliases and `<<` merge keys, as the js-yaml
	// parser of Serverless Devs does.
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("s.yaml: %v", err)
	}
	if err := Render(doc, lookupEnv); err != nil {
		return nil, fmt.Errorf("s.yaml: %v", err)
	}
	return doc, nil
}

var (
	exprRE = regexp.MustCompile(`\$\{([^}]*)\}`)
	varRE  = regexp.MustCompile(`^\s*vars\.([A-Za-z0-9_]+)\s*$`)
	envRE  = regexp.MustCompile(`^\s*env\(\s*(['"])([^'"]*)['"]\s*(?:,\s*(['"])([^'"]*)['"]\s*)?\)\s*$`)
)

// Render substitutes Serverless Devs magic variables in doc, in place,
// enough to validate it: ${vars.name} (vars may use other vars) and
// ${env('X', 'default')} (an unset X without a default is an error, as in
// `s`). A string that is one whole ${vars.name} takes the var's value with
// its type, as `s preview` does; anything else (${config('AccountID')},
// ${path(…)}, …) is left as written.
func Render(doc Doc, lookupEnv func(string) (string, bool)) error {
	vars, _ := doc["vars"].(map[string]any)
	r := &renderer{vars: vars, env: lookupEnv}
	// vars first, until they stop changing (a var may use another).
	for range 10 {
		before := fmt.Sprint(vars)
		for k, v := range vars {
			nv, err := r.value(v)
			if err != nil {
				return fmt.Errorf("vars.%s: %v", k, err)
			}
			vars[k] = nv
		}
		if fmt.Sprint(vars) == before {
			break
		}
	}
	for k, v := range doc {
		if k == "vars" {
			continue
		}
		nv, err := r.value(v)
		if err != nil {
			return fmt.Errorf("%s: %v", k, err)
		}
		doc[k] = nv
	}
	return nil
}

type renderer struct {
	vars map[string]any
	env  func(string) (string, bool)
}

func (r *renderer) value(v any) (any, error) {
	switch v := v.(type) {
	case string:
		return r.str(v)
	case map[string]any:
		for k, e := range v {
			ne, err := r.value(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", k, err)
			}
			v[k] = ne
		}
	case []any:
		for i, e := range v {
			ne, err := r.value(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %v", i, err)
			}
			v[i] = ne
		}
	}
	return v, nil
}

func (r *renderer) str(s string) (any, error) {
	if m := exprRE.FindStringSubmatch(s); m != nil && m[0] == s {
		if vm := varRE.FindStringSubmatch(m[1]); vm != nil {
			if v, ok := r.vars[vm[1]]; ok {
				return v, nil
			}
		}
	}
	var firstErr error
	out := exprRE.ReplaceAllStringFunc(s, func(whole string) string {
		expr := whole[2 : len(whole)-1]
		if vm := varRE.FindStringSubmatch(expr); vm != nil {
			v, ok := r.vars[vm[1]]
			if !ok {
				if firstErr == nil {
					firstErr = fmt.Errorf("%s: no var %q", whole, vm[1])
				}
				return whole
			}
			return fmt.Sprint(v)
		}
		if em := envRE.FindStringSubmatch(expr); em != nil {
			if v, ok := r.env(em[2]); ok {
				return v
			}
			if em[3] != "" { // a default was given (possibly '')
				return em[4]
			}
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: env(%q) not found and no default", whole, em[2])
			}
			return whole
		}
		return whole
	})
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// mapAt walks doc along keys, returning the map there or nil.
func mapAt(doc any, keys ...string) map[string]any {
	m, _ := doc.(map[string]any)
	for _, k := range keys {
		if m == nil {
			return nil
		}
		m, _ = m[k].(map[string]any)
	}
	return m
}

// str returns m[key] as a string, "" when absent or not a string.
func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// quote lists names as "a", "b".
func quote(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
