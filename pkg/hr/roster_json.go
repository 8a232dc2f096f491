package hr

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// parseJSON reads a JSON roster: an array of employee objects, or
// {"asOf": "<RFC 3339>", "employees": […]}. Other keys of the wrapper are
// ignored. The employee rules are the webhook's. Records are read one at a
// time and turned into employees at once, so a large roster never exists
// as one tree of generic JSON values.
func (b *builder) parseJSON(data []byte) error {
	data = trimBOM(data)
	if !utf8.Valid(data) {
		return fmt.Errorf("invalid UTF-8 at byte %d", invalidUTF8At(data))
	}
	rd := newJSONReader(data)
	tok, err := rd.dec.Token()
	if err != nil {
		return jsonFailure(err, data)
	}
	switch tok {
	case json.Delim('['):
		err = rd.records(b, nil, nil)
	case json.Delim('{'):
		err = rd.wrapper(b)
	default:
		return fmt.Errorf("must be an array of employees or an object with employees, not %s", tokenType(tok))
	}
	if err == nil {
		err = rd.eof()
	}
	if err != nil {
		return jsonFailure(err, data)
	}
	return nil
}

// jsonFailure words an error of a streamed JSON document: a plainError as
// it is, anything else as a JSON problem.
func jsonFailure(err error, data []byte) error {
	var plain *plainError
	if errors.As(err, &plain) {
		return plain.err
	}
	return jsonFail(err, data)
}

// plainError carries a roster error that is not a JSON syntax problem.
type plainError struct{ err error }

func (e *plainError) Error() string { return e.err.Error() }

func plainf(format string, args ...any) error { return &plainError{fmt.Errorf(format, args...)} }

// wrapper reads {"asOf": …, "employees": […], …} after its '{'.
func (rd *jsonReader) wrapper(b *builder) error {
	out := b.r
	keys := map[string]bool{}
	for rd.dec.More() {
		tok, err := rd.dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return errBadToken
		}
		if keys[key] {
			return plainf("%s: duplicate key", jsonPath{{key: key}})
		}
		keys[key] = true
		rd.path = jsonPath{{key: key}}
		switch key {
		case "asOf":
			v, err := rd.value(1)
			if err != nil {
				return err
			}
			switch s := v.(type) {
			case nil:
			case string:
				t, err := time.Parse(time.RFC3339, s)
				if err != nil {
					return plainf("asOf: must be an RFC 3339 time, not %s", quote(s))
				}
				out.AsOf, out.AsOfSource = t, AsOfField
			default:
				return plainf("asOf: must be an RFC 3339 time string, not %s", jsonType(s))
			}
		case "employees":
			tok, err := rd.dec.Token()
			if err != nil {
				return err
			}
			switch tok {
			case json.Delim('['):
				if err := rd.records(b, jsonPath{{key: key}}, nil); err != nil {
					return err
				}
			case nil:
				keys[key] = false
			default:
				return plainf("employees: must be an array, not %s", tokenType(tok))
			}
		default:
			n := len(rd.dups)
			if _, err := rd.value(1); err != nil {
				return err
			}
			if len(rd.dups) > n {
				return plainf("%s: duplicate key", rd.dups[n])
			}
		}
	}
	if !keys["employees"] {
		return plainf("employees: required (a roster object is {\"asOf\": …, \"employees\": […]})")
	}
	return rd.end('}')
}

// records reads the employee records of an array after its '[': with f
// nil, ramsync's own; else those of an HR system's export.
func (rd *jsonReader) records(b *builder, at jsonPath, f *hrisFormat) error {
	idField := "id"
	wanted := standardKeys
	if f != nil {
		idField, wanted = f.id, f.wanted
	}
	var slim *slimReader
	if b.o.standardFieldsOnly {
		slim = &slimReader{wanted: wanted, seen: map[string]bool{}}
	}
	for i := 0; rd.dec.More(); i++ {
		rd.path = append(at[:len(at):len(at)], pathElem{index: i, isIndex: true})
		n := len(rd.dups)
		var v any
		var err error
		if slim != nil {
			v, err = slim.record(rd)
		} else {
			v, err = rd.value(len(at) + 1)
		}
		if err != nil {
			return err
		}
		b.records++
		where := RecordError{Record: b.records, Page: b.page}
		obj, ok := v.(map[string]any)
		if !ok {
			where.Reason = "must be an object, not " + jsonType(v)
			b.problem(where, nil)
			continue
		}
		var e Employee
		var ferr *fieldError
		if f == nil {
			e, ferr = parseEmployee(obj)
		} else {
			e, ferr = f.employee(obj)
		}
		if len(rd.dups) > n {
			// A duplicated key spoils the record (which value was meant
			// is unknowable), not the roster.
			ferr = &fieldError{field: rd.dups[n][len(at)+1:].String(), kind: KindMalformed, reason: "duplicate key"}
			rd.dups = rd.dups[:n]
		}
		if ferr != nil {
			where.ID, where.Field, where.Reason = e.ID, ferr.field, ferr.reason
			b.problem(where, obj)
			continue
		}
		b.add(e, where, idField)
	}
	return rd.end(']')
}

// tokenType names the JSON type of a token that opens a value.
func tokenType(tok json.Token) string {
	switch tok {
	case json.Delim('{'):
		return "an object"
	case json.Delim('['):
		return "an array"
	}
	return jsonType(tok)
}

func trimBOM(data []byte) []byte {
	if len(data) >= len(bom) && string(data[:len(bom)]) == string(bom) {
		return data[len(bom):]
	}
	return data
}
