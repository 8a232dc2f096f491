package hr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// maxJSONDepth bounds the nesting of every JSON document read here, so that
// a hostile body cannot make the decoder recurse without end. HR records are
// a few levels deep.
const maxJSONDepth = 64

// jsonPath is a place in a JSON document, printed as events[3].employee.id.
type jsonPath []pathElem

type pathElem struct {
	key     string
	index   int
	isIndex bool
}

func (p jsonPath) String() string {
	var b strings.Builder
	for _, e := range p {
		switch {
		case e.isIndex:
			fmt.Fprintf(&b, "[%d]", e.index)
		case isPlainKey(e.key):
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(e.key)
		default:
			b.WriteString("[" + quote(e.key) + "]")
		}
	}
	return b.String()
}

func isPlainKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for _, c := range []byte(k) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// jsonDoc is a decoded JSON document: objects as map[string]any, arrays as
// []any, numbers as json.Number.
type jsonDoc struct {
	value any
	// dups lists every key that appeared twice in one object (the first
	// value is kept). Which one the sender meant is unknowable, so the
	// record holding it is refused; one record's fault stays that record's.
	dups []jsonPath
}

// jsonEmpty is the reason of a jsonError for a document with no value.
const jsonEmpty = "empty"

// jsonError is a document that cannot be read at all.
type jsonError struct {
	path   string // "" for the document as a whole
	reason string
}

func (e *jsonError) Error() string {
	if e.path == "" {
		return e.reason
	}
	return e.path + ": " + e.reason
}

// decodeJSON reads one JSON document, rejecting trailing data and nesting
// deeper than maxJSONDepth. It does not check UTF-8: callers do, to name the
// line or offset of a bad byte.
func decodeJSON(data []byte) (*jsonDoc, *jsonError) {
	return decodeJSONDups(data, 0)
}

// decodeJSONDups is decodeJSON recording at most maxDups duplicate keys
// (0: no limit beyond one a record).
func decodeJSONDups(data []byte, maxDups int) (*jsonDoc, *jsonError) {
	r := newJSONReader(data)
	r.maxDups = maxDups
	v, err := r.value(0)
	if err == nil {
		err = r.eof()
	}
	if err != nil {
		return nil, jsonFail(err, data)
	}
	return &jsonDoc{value: v, dups: r.dups}, nil
}

func newJSONReader(data []byte) *jsonReader {
	r := &jsonReader{dec: json.NewDecoder(bytes.NewReader(data))}
	r.dec.UseNumber()
	return r
}

// eof checks that nothing follows the top-level value.
func (r *jsonReader) eof() error {
	if _, err := r.dec.Token(); err != io.EOF {
		return &jsonError{reason: fmt.Sprintf("not valid JSON: unexpected data after the top-level value (byte %d)", r.dec.InputOffset())}
	}
	return nil
}

// jsonFail turns a decoding error into a *jsonError.
func jsonFail(err error, data []byte) *jsonError {
	var je *jsonError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &je):
	case errors.As(err, &se):
		je = &jsonError{reason: fmt.Sprintf("not valid JSON: %s (byte %d)", se.Error(), se.Offset)}
	case err == io.EOF && len(bytes.TrimSpace(data)) == 0:
		je = &jsonError{reason: jsonEmpty}
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		je = &jsonError{reason: "not valid JSON: unexpected end of input"}
	default:
		je = &jsonError{reason: "not valid JSON: " + err.Error()}
	}
	return je
}

// jsonReader builds values from the tokens of encoding/json's Decoder, which
// checks the syntax; it adds the depth limit and duplicate-key detection.
//
// Duplicate keys are recorded in dups, but only the first one of each
// record: a record is an element of the outermost array on the key's path
// (events[3], employees[12]), or the document when the path crosses no
// array. Callers refuse a record for its first duplicate, so later ones
// would change nothing, and copying the path of each (up to maxJSONDepth
// elements) for every repeated key would let a 1 MiB body allocate
// hundreds of megabytes.
type jsonReader struct {
	dec  *json.Decoder
	path jsonPath
	dups []jsonPath
	// maxDups, when > 0, stops recording after that many duplicates;
	// dupsCapped then tells so.
	maxDups    int
	dupsCapped bool
}

// recordDup records the current path as a duplicate key, unless the last
// one recorded is in the same record (see jsonReader) or maxDups is reached.
func (r *jsonReader) recordDup() {
	if n := len(r.dups); n > 0 && sameRecord(r.dups[n-1], r.path) {
		return
	}
	if r.maxDups > 0 && len(r.dups) >= r.maxDups {
		r.dupsCapped = true
		return
	}
	r.dups = append(r.dups, slices.Clone(r.path))
}

// sameRecord reports whether a and b lie in the same record: the same
// path up to and including the first array index, or both crossing no
// array.
func sameRecord(a, b jsonPath) bool {
	ia, ib := firstIndex(a), firstIndex(b)
	if ia != ib {
		return false
	}
	if ia < 0 {
		return true
	}
	return slices.Equal(a[:ia+1], b[:ib+1])
}

func firstIndex(p jsonPath) int {
	for i, e := range p {
		if e.isIndex {
			return i
		}
	}
	return -1
}

var errBadToken = errors.New("not valid JSON: unexpected token")

func (r *jsonReader) value(depth int) (any, error) {
	tok, err := r.dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	if depth >= maxJSONDepth {
		return nil, &jsonError{path: r.path.String(), reason: fmt.Sprintf("nested deeper than %d levels", maxJSONDepth)}
	}
	switch d {
	case '{':
		m := make(map[string]any)
		for r.dec.More() {
			tok, err := r.dec.Token()
			if err != nil {
				return nil, err
			}
			key, ok := tok.(string)
			if !ok {
				return nil, errBadToken
			}
			r.path = append(r.path, pathElem{key: key})
			v, err := r.value(depth + 1)
			if err != nil {
				return nil, err
			}
			if _, dup := m[key]; dup {
				r.recordDup()
			} else {
				m[key] = v
			}
			r.path = r.path[:len(r.path)-1]
		}
		return m, r.end('}')
	case '[':
		a := []any{}
		for i := 0; r.dec.More(); i++ {
			r.path = append(r.path, pathElem{index: i, isIndex: true})
			v, err := r.value(depth + 1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
			r.path = r.path[:len(r.path)-1]
		}
		return a, r.end(']')
	}
	return nil, errBadToken
}

// end consumes the delimiter closing the current object or array.
func (r *jsonReader) end(want json.Delim) error {
	tok, err := r.dec.Token()
	if err != nil {
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	if tok != want {
		return errBadToken
	}
	return nil
}
