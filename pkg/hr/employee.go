package hr

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Status is an employee's employment status.
type Status string

const (
	// StatusActive means the employee should have a RAM user.
	StatusActive Status = "active"
	// StatusTerminated means the employee's RAM user should be gone.
	StatusTerminated Status = "terminated"
	// StatusSuspended means the employee stays but the RAM user must be
	// suspended (a Feishu user frozen): never deleted for it (SPEC §4.6).
	// Only the vendor sources produce it.
	StatusSuspended Status = "suspended"
)

// MaxIDLength is the longest employee id accepted, in characters.
const MaxIDLength = 128

// Employee is one HR record.
type Employee struct {
	// ID is the HR employee id, the identity key (SCIM externalId). It is
	// never empty in a decoded employee, trimmed of surrounding white space,
	// at most MaxIDLength characters, without control characters. A JSON
	// number is kept as its literal text ("1001").
	ID string
	// Email and DisplayName are as given (empty when absent).
	Email       string
	DisplayName string
	// Status is StatusActive or StatusTerminated. An absent status is active.
	Status Status
	// Fields holds every field of the record as given, id, email,
	// displayName and status included, for the mapping templates. JSON
	// values keep their JSON types (numbers as json.Number, objects as
	// map[string]any); CSV values are strings.
	Fields map[string]any
}

// ParseStatus reads an HR status: "" and "active" are StatusActive,
// "terminated" is StatusTerminated, ignoring case and surrounding white
// space. Anything else is an error naming the value.
func ParseStatus(s string) (Status, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", string(StatusActive):
		return StatusActive, nil
	case string(StatusTerminated):
		return StatusTerminated, nil
	}
	return "", fmt.Errorf("unknown status %s (want active or terminated)", quote(s))
}

// fieldError is what is wrong with one field of an employee record.
type fieldError struct {
	field  string // relative to the record: "id", "status", …
	kind   ErrorKind
	reason string
}

// parseEmployee reads the fields ramsync understands from an HR record.
// Wrong JSON types (KindMalformed) are reported before wrong values
// (KindInvalidEmployee). With an error, the Employee is only good for naming
// the record in a message.
func parseEmployee(fields map[string]any) (Employee, *fieldError) {
	e := Employee{Fields: fields}
	var first *fieldError
	fail := func(field string, kind ErrorKind, reason string) {
		if first == nil || (kind == KindMalformed && first.kind != KindMalformed) {
			first = &fieldError{field: field, kind: kind, reason: reason}
		}
	}

	var id string
	switch v := fields["id"].(type) {
	case nil: // absent or null: required, below
	case string:
		id = v
	case json.Number:
		id = v.String()
	default:
		fail("id", KindMalformed, "must be a string or a number, not "+jsonType(v))
	}
	var status string
	for _, f := range []struct {
		name string
		dst  *string
	}{{"email", &e.Email}, {"displayName", &e.DisplayName}, {"status", &status}} {
		switch v := fields[f.name].(type) {
		case nil:
		case string:
			*f.dst = v
		default:
			fail(f.name, KindMalformed, "must be a string, not "+jsonType(v))
		}
	}

	// Set even when invalid, so that a problem can name the record.
	e.ID = strings.TrimSpace(id)
	if reason := checkID(e.ID); reason != "" {
		fail("id", KindInvalidEmployee, reason)
	}
	st, err := ParseStatus(status)
	if err != nil {
		fail("status", KindInvalidEmployee, err.Error())
	}
	e.Status = st
	return e, first
}

// checkID returns what is wrong with a trimmed employee id, or "".
// Quotes, backslashes, spaces and SCIM filter syntax are allowed: the SCIM
// client escapes them.
func checkID(id string) string {
	if id == "" {
		return "required"
	}
	if !utf8.ValidString(id) {
		return "is not valid UTF-8"
	}
	if n := utf8.RuneCountInString(id); n > MaxIDLength {
		return fmt.Sprintf("is %d characters long, at most %d allowed", n, MaxIDLength)
	}
	for _, r := range id {
		// Cc (control) and Cf (invisible format characters such as U+200B
		// or bidi overrides): neither belongs in an identity key.
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Sprintf("contains the control character %U", r)
		}
	}
	return ""
}

// jsonType names the JSON type of a decoded value, for messages.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("%T", v)
}

// quote quotes s for a message, cut to 64 characters so that a hostile
// value cannot blow up an error message or a log line.
func quote(s string) string {
	const limit = 64
	if utf8.RuneCountInString(s) <= limit {
		return fmt.Sprintf("%q", s)
	}
	i, n := 0, 0
	for i = range s {
		if n == limit {
			break
		}
		n++
	}
	return fmt.Sprintf("%q…", s[:i])
}

// DecodeEmployee reads one employee object (the data of an EventBridge
// event, say) with the same rules as a webhook's employee. The error names
// the field; with an error, the returned Employee carries the id when it
// could be read.
func DecodeEmployee(data []byte) (Employee, error) {
	if !utf8.Valid(data) {
		return Employee{}, &DecodeError{Reason: "invalid UTF-8"}
	}
	doc, jerr := decodeJSON(data)
	if jerr != nil {
		return Employee{}, &DecodeError{Field: jerr.path, Reason: jerr.reason}
	}
	fields, ok := doc.value.(map[string]any)
	if !ok {
		return Employee{}, &DecodeError{Reason: "must be an object, not " + jsonType(doc.value)}
	}
	if len(doc.dups) > 0 {
		return Employee{}, &DecodeError{Field: doc.dups[0].String(), Reason: "duplicate key"}
	}
	e, ferr := parseEmployee(fields)
	if ferr != nil {
		return Employee{ID: e.ID}, &DecodeError{Field: ferr.field, Reason: ferr.reason}
	}
	return e, nil
}
