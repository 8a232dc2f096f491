package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Filterable attributes: all RAM supports.
const (
	AttrID         = "id"
	AttrUserName   = "userName"
	AttrExternalID = "externalId"
)

// Filter is a SCIM filter RAM understands: one or more `attr eq "value"`
// joined by `and`. Build one with [Eq]; the zero Filter matches every user.
//
// Values are always quoted and escaped as JSON strings (RFC 7644 §3.4.2.2
// uses JSON's string grammar), so no value, whatever it contains (quotes,
// backslashes, "or", parentheses), can change the filter's structure.
type Filter struct {
	terms []term
	err   error
}

type term struct{ attr, value string }

// Eq returns the filter `attr eq "value"`. attr must be one of [AttrID],
// [AttrUserName] or [AttrExternalID]; any other makes the filter invalid and
// every request with it fails with [ErrInvalid] before anything is sent.
func Eq(attr, value string) Filter {
	return Filter{}.And(attr, value)
}

// And returns f with `and attr eq "value"` added.
func (f Filter) And(attr, value string) Filter {
	if f.err != nil {
		return f
	}
	switch attr {
	case AttrID, AttrUserName, AttrExternalID:
	default:
		return Filter{err: fmt.Errorf("scim: filter on %q: RAM filters only on id, userName and externalId", attr)}
	}
	if !utf8.ValidString(value) {
		// JSON would turn the bad bytes into U+FFFD: a lookup for a
		// different value than asked.
		return Filter{err: fmt.Errorf("scim: filter on %s: the value is not valid UTF-8", attr)}
	}
	terms := make([]term, len(f.terms), len(f.terms)+1)
	copy(terms, f.terms)
	return Filter{terms: append(terms, term{attr, value})}
}

// IsZero reports whether f matches every user.
func (f Filter) IsZero() bool { return len(f.terms) == 0 && f.err == nil }

// Err reports why the filter is invalid, or nil.
func (f Filter) Err() error { return f.err }

// String renders the filter as sent in the `filter` query parameter
// (before URL encoding).
func (f Filter) String() string {
	var b strings.Builder
	for i, t := range f.terms {
		if i > 0 {
			b.WriteString(" and ")
		}
		b.WriteString(t.attr)
		b.WriteString(" eq ")
		b.WriteString(quote(t.value))
	}
	return b.String()
}

// quote renders s as a JSON string without HTML escaping: quotes,
// backslashes and control characters are escaped, everything else is kept.
func quote(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	// Encoding a string cannot fail; invalid UTF-8 becomes U+FFFD.
	_ = enc.Encode(s)
	return strings.TrimSuffix(buf.String(), "\n")
}
