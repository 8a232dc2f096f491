package hr

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// An HR system's export (SPEC §4.7): the records sit in an array under a
// wrapper, and each format names its own id, email, name and status
// fields. Records are read one at a time, as in ramsync's own JSON.
//
//   - Workday RaaS (a custom report as a web service, ?format=json):
//     {"Report_Entry": [{"Employee_ID", "Email", "Full_Name", …}]}. No
//     status field: every record is active unless the mapping's status
//     template says otherwise (e.g. from Termination_Date).
//   - BambooHR custom report (POST /v1/reports/custom?format=JSON):
//     {"title", "fields": [{"id", "type", "name"}], "employees": [{"id",
//     "workEmail", "displayName", "status", …}]}. status "Active" is
//     active, anything else terminated.
//   - SAP SuccessFactors OData v2 (e.g. /odata/v2/User?$format=json):
//     {"d": {"results": [{"userId", "email", "firstName", "lastName",
//     "status", …}], "__next": "<url>"}}. status "active" or "t" is active,
//     anything else terminated. The Loader follows __next.
//
// In every format an absent, null or empty status is active (SPEC §4.7),
// status values are compared without case and surrounding space, and Fields
// is the whole record.

// hrisFormat describes one HR system's export.
type hrisFormat struct {
	name       string // the Format constant
	id, email  string // the fields of the id and the work email
	display    []string
	statusName string            // the status field, "" for none
	active     map[string]bool   // lower-cased status values that mean active
	wrapper    string            // the key of the record array (under "d" for SuccessFactors)
	shape      string            // the document's shape, for messages
	extraKeys  map[string]string // other top-level keys and the JSON type they must have
	wanted     map[string]bool   // the fields an Employee keeps without its Fields
}

func init() {
	for _, f := range hrisFormats {
		f.wanted = map[string]bool{f.id: true, f.email: true}
		for _, d := range f.display {
			f.wanted[d] = true
		}
		if f.statusName != "" {
			f.wanted[f.statusName] = true
		}
	}
}

var hrisFormats = map[string]*hrisFormat{
	FormatWorkday: {
		name: FormatWorkday, id: "Employee_ID", email: "Email", display: []string{"Full_Name"},
		wrapper: "Report_Entry", shape: `{"Report_Entry": […]}`,
	},
	FormatBambooHR: {
		name: FormatBambooHR, id: "id", email: "workEmail", display: []string{"displayName"},
		statusName: "status", active: map[string]bool{"active": true},
		wrapper: "employees", shape: `{"fields": […], "employees": […]}`,
		extraKeys: map[string]string{"fields": "array", "title": "string"},
	},
	FormatSuccessFactors: {
		name: FormatSuccessFactors, id: "userId", email: "email", display: []string{"firstName", "lastName"},
		statusName: "status", active: map[string]bool{"active": true, "t": true},
		wrapper: "results", shape: `{"d": {"results": […], "__next": "<url>"}}`,
	},
}

// parseHRIS reads one document of an HR system's export into b and returns
// its __next link (SuccessFactors only).
func (b *builder) parseHRIS(data []byte, f *hrisFormat) (string, error) {
	data = trimBOM(data)
	if !utf8.Valid(data) {
		return "", fmt.Errorf("%s: invalid UTF-8 at byte %d", f.name, invalidUTF8At(data))
	}
	if f.name == FormatSuccessFactors {
		b.page++
	}
	b.next = ""
	rd := newJSONReader(data)
	tok, err := rd.dec.Token()
	if err == nil && tok != json.Delim('{') {
		return "", fmt.Errorf("%s: must be an object %s, not %s", f.name, f.shape, tokenType(tok))
	}
	var next string
	if err == nil {
		if f.name == FormatSuccessFactors {
			next, err = rd.odata(b, f)
		} else {
			err = rd.hrisObject(b, f, nil)
		}
	}
	if err == nil {
		err = rd.eof()
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", f.name, jsonFailure(err, data))
	}
	return next, nil
}

// hrisObject reads the wrapper object after its '{' (at is its path: nil at
// the top, d for SuccessFactors). For SuccessFactors it returns __next.
func (rd *jsonReader) hrisObject(b *builder, f *hrisFormat, at jsonPath) error {
	seen := map[string]bool{}
	for rd.dec.More() {
		tok, err := rd.dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return errBadToken
		}
		path := append(at[:len(at):len(at)], pathElem{key: key})
		if seen[key] {
			return plainf("%s: duplicate key", path)
		}
		seen[key] = true
		rd.path = path
		if key == f.wrapper {
			tok, err := rd.dec.Token()
			if err != nil {
				return err
			}
			if tok != json.Delim('[') {
				return plainf("%s: must be an array of records, not %s", path, tokenType(tok))
			}
			if err := rd.records(b, path, f); err != nil {
				return err
			}
			continue
		}
		n := len(rd.dups)
		v, err := rd.value(len(path))
		if err != nil {
			return err
		}
		if len(rd.dups) > n {
			return plainf("%s: duplicate key", rd.dups[n])
		}
		if want, ok := f.extraKeys[key]; ok && v != nil && typeName(v) != want {
			return plainf("%s: must be an %s, not %s", path, want, jsonType(v))
		}
		if key == "__next" && at != nil {
			s, ok := v.(string)
			if !ok && v != nil {
				return plainf("%s: must be a URL string, not %s", path, jsonType(v))
			}
			b.next = s
		}
	}
	if !seen[f.wrapper] {
		return plainf("%s: required (the export is %s)", append(at[:len(at):len(at)], pathElem{key: f.wrapper}), f.shape)
	}
	return rd.end('}')
}

// odata reads a SuccessFactors document after its '{': {"d": {…}}.
func (rd *jsonReader) odata(b *builder, f *hrisFormat) (string, error) {
	found := false
	for rd.dec.More() {
		tok, err := rd.dec.Token()
		if err != nil {
			return "", err
		}
		key, ok := tok.(string)
		if !ok {
			return "", errBadToken
		}
		if key != "d" {
			if _, err := rd.value(1); err != nil {
				return "", err
			}
			continue
		}
		if found {
			return "", plainf("d: duplicate key")
		}
		found = true
		rd.path = jsonPath{{key: "d"}}
		tok, err = rd.dec.Token()
		if err != nil {
			return "", err
		}
		if tok != json.Delim('{') {
			return "", plainf("d: must be an object {\"results\": […], \"__next\": …}, not %s", tokenType(tok))
		}
		if err := rd.hrisObject(b, f, jsonPath{{key: "d"}}); err != nil {
			return "", err
		}
	}
	if !found {
		return "", plainf("d: required (the export is %s)", f.shape)
	}
	return b.next, rd.end('}')
}

// typeName is "array", "object", "string", … for a decoded value.
func typeName(v any) string {
	t := jsonType(v)
	if i := strings.IndexByte(t, ' '); i >= 0 {
		return t[i+1:]
	}
	return t
}

// employee reads the fields ramsync understands from one record of f's
// export. Wrong JSON types are reported before wrong values.
func (f *hrisFormat) employee(rec map[string]any) (Employee, *fieldError) {
	e := Employee{Fields: rec, Status: StatusActive}
	var first *fieldError
	fail := func(field string, kind ErrorKind, reason string) {
		if first == nil || (kind == KindMalformed && first.kind != KindMalformed) {
			first = &fieldError{field: field, kind: kind, reason: reason}
		}
	}
	str := func(field string) string {
		switch v := rec[field].(type) {
		case nil:
		case string:
			return v
		default:
			fail(field, KindMalformed, "must be a string, not "+jsonType(v))
		}
		return ""
	}
	switch v := rec[f.id].(type) {
	case nil:
	case string:
		e.ID = strings.TrimSpace(v)
	case json.Number:
		e.ID = v.String()
	default:
		fail(f.id, KindMalformed, "must be a string or a number, not "+jsonType(v))
	}
	if reason := checkID(e.ID); reason != "" {
		fail(f.id, KindInvalidEmployee, reason)
	}
	e.Email = str(f.email)
	var names []string
	for _, field := range f.display {
		if s := strings.TrimSpace(str(field)); s != "" {
			names = append(names, s)
		}
	}
	e.DisplayName = strings.Join(names, " ")
	if f.statusName != "" {
		// An empty status is an absent one: active (as in ParseStatus).
		if v := strings.ToLower(strings.TrimSpace(str(f.statusName))); v != "" && !f.active[v] {
			e.Status = StatusTerminated
		}
	}
	return e, first
}
