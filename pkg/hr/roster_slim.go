package hr

import (
	"encoding/json"
	"fmt"
)

// standardKeys are the fields of ramsync's own records that an Employee
// keeps without its Fields.
var standardKeys = map[string]bool{"id": true, "email": true, "displayName": true, "status": true}

// slimReader reads roster records for a Loader with StandardFieldsOnly:
// only the fields an Employee keeps are built as values; the others are
// skipped unread by the decoder (no maps, no strings), which keeps a large
// export's garbage, and so the reconciler's peak memory, down. Duplicate
// keys are checked at the record's top level; values skipped are not
// looked into.
type slimReader struct {
	wanted map[string]bool
	seen   map[string]bool // reused record after record
}

// skipJSON consumes one JSON value without building it.
type skipJSON struct{}

func (*skipJSON) UnmarshalJSON([]byte) error { return nil }

// record reads one array element: a map of the wanted fields for an
// object, else the value itself for the caller to refuse.
func (s *slimReader) record(rd *jsonReader) (any, error) {
	tok, err := rd.dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
	case json.Delim('['):
		// Not a record; what the array holds does not matter.
		if err := skipRest(rd); err != nil {
			return nil, err
		}
		return []any{}, nil
	default:
		return tok, nil
	}
	clear(s.seen)
	m := make(map[string]any, len(s.wanted))
	for rd.dec.More() {
		tok, err := rd.dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errBadToken
		}
		if s.seen[key] {
			rd.dups = append(rd.dups, append(rd.path[:len(rd.path):len(rd.path)], pathElem{key: key}))
		}
		if !s.wanted[key] {
			s.seen[key] = true
			if err := rd.dec.Decode(&skipJSON{}); err != nil {
				return nil, err
			}
			continue
		}
		s.seen[key] = true
		rd.path = append(rd.path, pathElem{key: key})
		v, err := rd.value(len(rd.path))
		rd.path = rd.path[:len(rd.path)-1]
		if err != nil {
			return nil, err
		}
		if _, dup := m[key]; !dup {
			m[key] = v
		}
	}
	return m, rd.end('}')
}

// skipRest consumes the rest of an array whose '[' was read, refusing
// nesting deeper than maxJSONDepth (the decoder's own stack would grow
// with it).
func skipRest(rd *jsonReader) error {
	depth := 1
	for depth > 0 {
		tok, err := rd.dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if depth++; depth+len(rd.path) > maxJSONDepth {
				return &jsonError{path: rd.path.String(), reason: fmt.Sprintf("nested deeper than %d levels", maxJSONDepth)}
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}
