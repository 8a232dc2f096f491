package scim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Error kinds, matched with errors.Is against an [*Error].
var (
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrUnauthorized = errors.New("unauthorized")
	ErrThrottled    = errors.New("throttled")
	ErrInvalid      = errors.New("invalid request")
	ErrServer       = errors.New("server error")
	ErrNetwork      = errors.New("network error")
)

// Error is a failed SCIM operation: an HTTP error answer, a network failure,
// or a request refused before sending. It names the operation, and for HTTP
// errors carries the status and the SCIM error body when the server sent
// one (RFC 7644 §3.12; RAM documents no error format, so the body may be
// missing, and then the message says so).
type Error struct {
	// Op is the operation: "create", "get", "find", "list", "replace", "delete".
	Op string
	// Status is the HTTP status, 0 when no answer came.
	Status int
	// ScimType is the RFC 7644 scimType, e.g. "uniqueness", "invalidFilter".
	ScimType string
	// Detail is the server's human-readable detail, or a description of
	// the failure.
	Detail string
	// RetryAfter is the server's Retry-After, for 429 and 503.
	RetryAfter time.Duration
	// Attempts is how many HTTP requests were made for the operation.
	Attempts int
	// Err is the underlying cause for network errors and refused requests.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("scim: ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	switch {
	case e.Status != 0:
		fmt.Fprintf(&b, "%d", e.Status)
		if e.ScimType != "" {
			b.WriteString(" " + e.ScimType)
		} else if t := http.StatusText(e.Status); t != "" {
			b.WriteString(" " + t)
		}
		if e.Detail != "" {
			b.WriteString(": " + e.Detail)
		} else {
			b.WriteString(" (no error body)")
		}
	case e.Err != nil:
		b.WriteString(e.Detail)
		if e.Detail != "" {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	default:
		b.WriteString(e.Detail)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the error kinds.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrConflict:
		return e.Status == http.StatusConflict
	case ErrUnauthorized:
		var ae authError
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden ||
			(e.Status == 0 && errors.As(e.Err, &ae) && !Transient(ae.err))
	case ErrThrottled:
		return e.Status == http.StatusTooManyRequests
	case ErrInvalid:
		return e.Status == http.StatusBadRequest || e.Status == http.StatusUnprocessableEntity ||
			(e.Status == 0 && e.Err != nil && errors.Is(e.Err, errRefused))
	case ErrServer:
		return e.Status >= 500
	case ErrNetwork:
		var ne netError
		return e.Status == 0 && errors.As(e.Err, &ne)
	}
	return false
}

// Transient reports whether err is worth trying again later: the SCIM
// service was throttling, failing or unreachable (even after the client's
// own retries), or the token endpoint was. Callers use it to choose between
// "retry me" (a 5xx to an HR system, an error to FC's async retry) and a
// final answer.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	var te interface{ Transient() bool }
	if errors.As(err, &te) {
		return te.Transient()
	}
	return errors.Is(err, ErrThrottled) || errors.Is(err, ErrServer) || errors.Is(err, ErrNetwork) ||
		errors.Is(err, context.DeadlineExceeded)
}

// netError marks a failure of the connection (as opposed to an answer).
type netError struct{ err error }

func (e netError) Error() string { return e.err.Error() }
func (e netError) Unwrap() error { return e.err }

// errRefused marks requests the client refused to send (bad input).
var errRefused = errors.New("refused")

// authError marks a failure to get a token.
type authError struct{ err error }

func (e authError) Error() string { return e.err.Error() }
func (e authError) Unwrap() error { return e.err }

// scimErrorBody is RFC 7644 §3.12's error response.
type scimErrorBody struct {
	Schemas  []string        `json:"schemas"`
	Status   json.RawMessage `json:"status"` // a string per RFC, a number on some servers
	ScimType string          `json:"scimType"`
	Detail   string          `json:"detail"`
}

// httpError builds the error for a non-2xx answer from its body.
func httpError(op string, status int, body []byte, retryAfter time.Duration) *Error {
	e := &Error{Op: op, Status: status, RetryAfter: retryAfter}
	var sb scimErrorBody
	if len(body) > 0 && json.Unmarshal(body, &sb) == nil && (sb.Detail != "" || sb.ScimType != "") {
		e.ScimType = sb.ScimType
		e.Detail = clean(sb.Detail)
		return e
	}
	e.Detail = clean(string(body))
	return e
}

// clean makes server-provided text safe and short for one log line.
func clean(s string) string {
	const max = 300
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return s
}
