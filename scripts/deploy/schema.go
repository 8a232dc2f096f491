package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Schema is the fc3 component's JSON schema (draft-07, generated from the
// component's IProps), compiled for a resource's props and for each
// trigger type's config. It is the schema `s verify` applies; ajv there,
// santhosh-tekuri/jsonschema here (both implement draft-07).
type Schema struct {
	props    *jsonschema.Schema
	triggers map[string]*jsonschema.Schema // triggerType → its config's definition
}

// triggerDefs maps a triggerType to the schema definition of its
// triggerConfig. The schema itself accepts any object there (its anyOf
// includes IOtsConfig = {"type": "object"}), so the choice is made here.
var triggerDefs = map[string]string{
	"timer":       "ITimerTriggerConfig",
	"http":        "IHttpTriggerConfig",
	"eventbridge": "IEventBridge",
	"mns_topic":   "IMnsTriggerConfig",
	"oss":         "IOssTriggerConfig",
	"log":         "ILogTriggerConfig",
	"cdn_events":  "ICdnTriggerConfig",
	"tablestore":  "IOtsConfig",
}

// LoadSchema compiles the fc3 schema at path.
func LoadSchema(path string) (*Schema, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	url := "file://" + filepath.ToSlash(abs)
	c := jsonschema.NewCompiler()
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	s := &Schema{triggers: map[string]*jsonschema.Schema{}}
	if s.props, err = c.Compile(url); err != nil {
		return nil, err
	}
	for typ, def := range triggerDefs {
		if s.triggers[typ], err = c.Compile(url + "#/definitions/" + def); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Check validates every fc3 resource's props, and each trigger's config
// against its trigger type's definition.
func (s *Schema) Check(doc Doc) []string {
	var problems []string
	resources := mapAt(doc, "resources")
	for _, name := range sortedKeys(resources) {
		res := mapAt(resources, name)
		if str(res, "component") != "fc3" {
			continue
		}
		props := mapAt(res, "props")
		if err := validate(s.props, props); err != "" {
			problems = append(problems, fmt.Sprintf("%s: props do not match the fc3 schema: %s", name, err))
		}
		triggers, _ := props["triggers"].([]any)
		for i, t := range triggers {
			tm, _ := t.(map[string]any)
			typ := str(tm, "triggerType")
			sch, ok := s.triggers[typ]
			if !ok {
				continue // the props schema already rejects unknown types
			}
			if err := validate(sch, tm["triggerConfig"]); err != "" {
				problems = append(problems, fmt.Sprintf("%s: triggers[%d] (%s): triggerConfig does not match %s: %s",
					name, i, typ, triggerDefs[typ], err))
			}
		}
	}
	return problems
}

// validate returns the schema's complaint about v, or "".
func validate(sch *jsonschema.Schema, v any) string {
	// Round-trip through JSON: the validator wants JSON's types
	// (float64/json.Number, map[string]any), YAML gives ints.
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err.Error()
	}
	if err := sch.Validate(inst); err != nil {
		return strings.Join(strings.Fields(err.Error()), " ")
	}
	return ""
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
