package cloudtest

import (
	"encoding/json"
	"fmt"
	"strings"
)

// filterTerm is one `attr eq "value"` comparison.
type filterTerm struct {
	attr  string // "id", "userName" or "externalId"
	value string // decoded
}

// filterAttrs maps the lower-case attribute names RAM filters on to their
// canonical spelling [ALIYUN.md §1.3: eq and and, on id, userName and
// externalId]. Names are case-insensitive (RFC 7643 §2.1).
var filterAttrs = map[string]string{"id": "id", "username": "userName", "externalid": "externalId"}

// userSchemaPrefix may qualify an attribute name (RFC 7644 §3.10).
const userSchemaPrefix = schemaUser + ":"

// parseFilter parses the subset of RFC 7644 §3.4.2.2 filters RAM supports:
//
//	filter = term *( 1*SP "and" 1*SP term )
//	term   = attr 1*SP "eq" 1*SP string
//
// where attr is id, userName or externalId (case-insensitive, optionally
// prefixed by the User schema URN), "eq" and "and" are case-insensitive and
// string is a JSON string literal (RFC 7644 values are JSON: `\"`, `\\`,
// `\uXXXX`… are decoded). Anything else — other operators, "or", "not",
// brackets, unquoted values — is an error, to be answered 400 invalidFilter.
func parseFilter(src string) ([]filterTerm, error) {
	var terms []filterTerm
	rest := strings.TrimLeft(src, " ")
	for {
		word, r := nextWord(rest)
		if word == "" {
			return nil, filterError(src, rest, "expected an attribute name")
		}
		name := word
		if len(name) > len(userSchemaPrefix) && strings.EqualFold(name[:len(userSchemaPrefix)], userSchemaPrefix) {
			name = name[len(userSchemaPrefix):]
		}
		attr, ok := filterAttrs[strings.ToLower(name)]
		if !ok {
			return nil, filterError(src, rest, fmt.Sprintf("cannot filter on %q: only id, userName and externalId", word))
		}
		if r, ok = skipSpace(r); !ok {
			return nil, filterError(src, r, "expected a space after the attribute name")
		}
		op, r2 := nextWord(r)
		if !strings.EqualFold(op, "eq") {
			return nil, filterError(src, r, fmt.Sprintf("operator %q is not supported: only eq", op))
		}
		if r, ok = skipSpace(r2); !ok {
			return nil, filterError(src, r2, "expected a space after eq")
		}
		if !strings.HasPrefix(r, `"`) {
			return nil, filterError(src, r, "the value must be a double-quoted string")
		}
		lit, r3, err := stringLiteral(r)
		if err != nil {
			return nil, filterError(src, r, err.Error())
		}
		var value string
		if err := json.Unmarshal([]byte(lit), &value); err != nil {
			return nil, filterError(src, r, "invalid escape in the quoted value")
		}
		terms = append(terms, filterTerm{attr, value})

		after := strings.TrimLeft(r3, " ")
		if after == "" {
			return terms, nil
		}
		if len(after) == len(r3) {
			return nil, filterError(src, r3, "expected a space after the value")
		}
		join, r4 := nextWord(after)
		if !strings.EqualFold(join, "and") {
			return nil, filterError(src, after, "only \"and\" may join comparisons")
		}
		if rest, ok = skipSpace(r4); !ok {
			return nil, filterError(src, r4, "expected a space after and")
		}
	}
}

// nextWord splits s into the leading run of characters that are not
// spaces, quotes or brackets, and the rest.
func nextWord(s string) (word, rest string) {
	i := strings.IndexAny(s, ` "()[]`)
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

// skipSpace removes the leading spaces of s, of which there must be one.
func skipSpace(s string) (string, bool) {
	t := strings.TrimLeft(s, " ")
	return t, len(t) < len(s)
}

// stringLiteral splits s, which starts with a quote, into the JSON string
// literal it starts with (quotes included) and the rest.
func stringLiteral(s string) (lit, rest string, err error) {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++ // the escaped character cannot end the literal
		case '"':
			return s[:i+1], s[i+1:], nil
		}
	}
	return "", "", errorString("the quoted value is not terminated")
}

// filterError describes a filter error at the position where rest starts.
func filterError(src, rest, msg string) error {
	return fmt.Errorf("invalid filter %q at offset %d: %s", src, len(src)-len(rest), msg)
}

// matches reports whether u satisfies every term. userName compares as RAM
// names do (case-insensitive, @domain ignored), and only a valid userName
// can match; id and externalId compare exactly.
func (s *Server) matches(u User, terms []filterTerm) bool {
	for _, t := range terms {
		switch t.attr {
		case "id":
			if u.ID != t.value {
				return false
			}
		case "externalId":
			if u.ExternalID != t.value {
				return false
			}
		case "userName":
			if _, err := s.normalizeUserName(t.value); err != nil || nameKey(u.UserName) != nameKey(t.value) {
				return false
			}
		}
	}
	return true
}

// find returns the users matching terms. Every attribute is unique, so the
// first term picks at most one candidate by an index lookup.
func (s *Server) find(terms []filterTerm) []User {
	s.users.mu.RLock()
	defer s.users.mu.RUnlock()
	var r *record
	switch t := terms[0]; t.attr {
	case "id":
		r = s.users.byID[t.value]
	case "externalId":
		r = s.users.byExtID[t.value]
	case "userName":
		r = s.users.byName[nameKey(t.value)]
	}
	if r == nil || !s.matches(r.User, terms) {
		return nil
	}
	return []User{r.User}
}
