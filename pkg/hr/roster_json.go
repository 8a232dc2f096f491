package hr

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// parseJSON reads a JSON roster: an array of employee objects, or
// {"asOf": "<RFC 3339>", "employees": […]}. Other keys of the wrapper are
// ignored. The employee rules are the webhook's.
func parseJSON(data []byte) (*Roster, error) {
	data = trimBOM(data)
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("invalid UTF-8 at byte %d", invalidUTF8At(data))
	}
	doc, jerr := decodeJSON(data)
	if jerr != nil {
		return nil, jerr
	}
	r := &Roster{}
	var records []any
	var at jsonPath // where the records are
	switch v := doc.value.(type) {
	case []any:
		records = v
	case map[string]any:
		at = jsonPath{{key: "employees"}}
		switch s := v["asOf"].(type) {
		case nil:
		case string:
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return nil, fmt.Errorf("asOf: must be an RFC 3339 time, not %s", quote(s))
			}
			r.AsOf, r.AsOfSource = t, AsOfField
		default:
			return nil, fmt.Errorf("asOf: must be an RFC 3339 time string, not %s", jsonType(s))
		}
		emps, ok := v["employees"].([]any)
		if !ok {
			if v["employees"] == nil {
				return nil, fmt.Errorf("employees: required (a roster object is {\"asOf\": …, \"employees\": […]})")
			}
			return nil, fmt.Errorf("employees: must be an array, not %s", jsonType(v["employees"]))
		}
		records = emps
	default:
		return nil, fmt.Errorf("must be an array of employees or an object with employees, not %s", jsonType(v))
	}

	// A duplicated key inside a record spoils that record; anywhere else,
	// the roster.
	dups := map[int]jsonPath{}
	for _, d := range doc.dups {
		n := len(at)
		if len(d) < n+2 || !d[n].isIndex || (n == 1 && d[0].key != at[0].key) {
			return nil, fmt.Errorf("%s: duplicate key", d)
		}
		if _, seen := dups[d[n].index]; !seen {
			dups[d[n].index] = d[n+1:]
		}
	}

	seen := map[string]RecordError{}
	for i, rec := range records {
		where := RecordError{Record: i + 1}
		obj, ok := rec.(map[string]any)
		if !ok {
			where.Reason = "must be an object, not " + jsonType(rec)
			r.Problems = append(r.Problems, where)
			continue
		}
		e, ferr := parseEmployee(obj)
		if d, ok := dups[i]; ok {
			ferr = &fieldError{field: d.String(), kind: KindMalformed, reason: "duplicate key"}
		}
		if ferr != nil {
			where.ID, where.Field, where.Reason = e.ID, ferr.field, ferr.reason
			r.Problems = append(r.Problems, where)
			continue
		}
		r.add(e, where, seen)
	}
	return r, nil
}

func trimBOM(data []byte) []byte {
	if len(data) >= len(bom) && string(data[:len(bom)]) == string(bom) {
		return data[len(bom):]
	}
	return data
}
