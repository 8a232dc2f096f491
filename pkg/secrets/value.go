package secrets

import (
	"fmt"
	"log/slog"
)

// Redacted is what a Value prints as, in every format, log and error.
const Redacted = "REDACTED"

// Value holds a secret: an OAuth app secret, a webhook signing key, roster
// credentials. It prints as [Redacted] through fmt (every verb), log/slog,
// encoding/json and encoding (Text), so putting one in a log line, an error
// or a report by mistake leaks nothing. Reveal returns the secret itself and
// is the only way to get it.
//
// The zero Value is empty.
type Value struct {
	s string
}

// NewValue wraps s as a secret.
func NewValue(s string) Value { return Value{s: s} }

// Reveal returns the secret. Call it only where the secret is used: an HTTP
// Authorization header, an HMAC key.
func (v Value) Reveal() string { return v.s }

// IsZero reports whether the secret is empty.
func (v Value) IsZero() bool { return v.s == "" }

// Equal reports whether v and w hold the same secret.
func (v Value) Equal(w Value) bool { return v.s == w.s }

// String implements fmt.Stringer.
func (v Value) String() string { return Redacted }

// GoString implements fmt.GoStringer, for %#v.
func (v Value) GoString() string { return "secrets.Value(" + Redacted + ")" }

// Format implements fmt.Formatter so that no verb (%s, %v, %+v, %q, %x, %d)
// can print the secret.
func (v Value) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, v.GoString())
		return
	}
	fmt.Fprint(f, Redacted)
}

// LogValue implements slog.LogValuer.
func (v Value) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalText implements encoding.TextMarshaler (and so JSON).
func (v Value) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
