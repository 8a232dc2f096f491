package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Reader reads variables through getenv, records their names, and keeps
// the first error. It is not safe for concurrent use.
type Reader struct {
	getenv func(string) string
	read   []string
	err    error
}

// NewReader returns a Reader over getenv (os.Getenv in production).
func NewReader(getenv func(string) string) *Reader { return &Reader{getenv: getenv} }

// Read returns the names read so far, in order.
func (r *Reader) Read() []string { return append([]string(nil), r.read...) }

// Err is the first problem found, or nil.
func (r *Reader) Err() error { return r.err }

func (r *Reader) fail(name, format string, args ...any) {
	if r.err == nil {
		r.err = &Error{Var: name, Problem: fmt.Sprintf(format, args...)}
	}
}

// Error is a bad variable.
type Error struct {
	Var     string
	Problem string
}

func (e *Error) Error() string { return e.Var + ": " + e.Problem }

func (r *Reader) raw(name string) string {
	r.read = append(r.read, name)
	return strings.TrimSpace(r.getenv(name))
}

// String returns the variable, or def when unset or empty.
func (r *Reader) String(name, def string) string {
	if v := r.raw(name); v != "" {
		return v
	}
	return def
}

// Required returns the variable, recording an error when it is empty.
func (r *Reader) Required(name, what string) string {
	v := r.raw(name)
	if v == "" {
		r.fail(name, "is required (%s)", what)
	}
	return v
}

// Bool reads true/false (also 1/0, yes/no), def when unset.
func (r *Reader) Bool(name string, def bool) bool {
	v := strings.ToLower(r.raw(name))
	switch v {
	case "":
		return def
	case "true", "1", "yes", "on":
		return true
	case "false", "0", "no", "off":
		return false
	}
	r.fail(name, "%q is not true or false", v)
	return def
}

// Int reads an integer in [lo, hi], def when unset.
func (r *Reader) Int(name string, def, lo, hi int) int {
	v := r.raw(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(name, "%q is not a whole number", v)
		return def
	}
	if n < lo || n > hi {
		r.fail(name, "%d is out of range (%d to %d)", n, lo, hi)
		return def
	}
	return n
}

// Float reads a number in [lo, hi], def when unset.
func (r *Reader) Float(name string, def, lo, hi float64) float64 {
	v := r.raw(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		r.fail(name, "%q is not a number", v)
		return def
	}
	if f < lo || f > hi {
		r.fail(name, "%g is out of range (%g to %g)", f, lo, hi)
		return def
	}
	return f
}

// Duration reads a Go duration ("5m", "90s") in [lo, hi], def when unset.
func (r *Reader) Duration(name string, def, lo, hi time.Duration) time.Duration {
	v := r.raw(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.fail(name, "%q is not a duration like 5m or 90s", v)
		return def
	}
	if d < lo || d > hi {
		r.fail(name, "%s is out of range (%s to %s)", d, lo, hi)
		return def
	}
	return d
}

// URL reads an absolute URL with one of the given schemes, def when unset.
func (r *Reader) URL(name, def string, schemes ...string) string {
	v := r.String(name, def)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	hostless := u != nil && (u.Scheme == "file" || u.Scheme == "feishu" || u.Scheme == "dingtalk")
	if err != nil || u.Scheme == "" || (u.Host == "" && !hostless) {
		r.fail(name, "%q is not an absolute URL", shownURL(v))
		return v
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return v
		}
	}
	r.fail(name, "%q must use %s", shownURL(v), strings.Join(schemes, " or "))
	return v
}

// shownURL is what an error may say of a URL: scheme://host/path, never its
// user info, query or fragment (a signed URL or ?token= is a credential).
func shownURL(v string) string {
	u, err := url.Parse(v)
	if err != nil {
		if i := strings.IndexAny(v, "?#@"); i >= 0 {
			return v[:i] + "…"
		}
		return v
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

// TLSURL reads an absolute https:// URL (or one with an extra scheme),
// def when unset. http:// is refused unless the host is a loopback
// address (127.0.0.0/8, ::1 or localhost: a local run against a test
// double on the same machine), since tokens, secrets and employee records
// must never cross a network in clear text.
func (r *Reader) TLSURL(name, def string, extra ...string) string {
	v := r.URL(name, def, append([]string{"https", "http"}, extra...)...)
	if v == "" {
		return ""
	}
	if u, err := url.Parse(v); err == nil && u.Scheme == "http" && !Loopback(u.Hostname()) {
		r.fail(name, "%q uses http://, which is allowed only for a loopback host (local runs); use https://", shownURL(v))
	}
	return v
}

// Loopback reports whether host (no port) is a loopback address or
// "localhost".
func Loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// HostPort reads host[:port] (no scheme), empty when unset.
func (r *Reader) HostPort(name string) string {
	v := r.raw(name)
	if v == "" {
		return ""
	}
	if strings.ContainsAny(v, "/ ") {
		r.fail(name, "%q must be host[:port], without a scheme or path", v)
		return v
	}
	host := v
	if h, p, err := net.SplitHostPort(v); err == nil {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			r.fail(name, "%q has a bad port", v)
		}
		host = h
	}
	if host == "" {
		r.fail(name, "%q must be host[:port], without a scheme or path", v)
	}
	return v
}
