package hr

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ramsync/ramsync/pkg/secrets"
)

// SignatureHeader is the HTTP header that carries the webhook signature.
const SignatureHeader = "X-Ramsync-Signature"

// The ways a signature check fails. VerifySignature wraps them with detail;
// match them with errors.Is. All four mean 401, and the request must not be
// processed.
var (
	ErrMissingSignature   = errors.New("missing " + SignatureHeader + " header")
	ErrMalformedSignature = errors.New("malformed " + SignatureHeader + " header")
	ErrStaleSignature     = errors.New("signature timestamp outside the accepted tolerance")
	ErrSignatureMismatch  = errors.New("signature does not match")
)

// ErrNoSigningKey means the keys given to VerifySignature hold no
// non-empty key: a configuration fault (an empty secret), not the
// sender's. It is deliberately none of the sentinels above: the webhook
// answers 503 so the HR system retries once the key is in place, instead
// of a 401 that would make it drop the event.
var ErrNoSigningKey = errors.New("hr: no webhook signing key configured (the signing key secret is empty)")

// Sign returns a SignatureHeader value for body signed with key at time t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">". t must not be
// before 1970.
func Sign(key secrets.Value, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(key, ts, body))
}

func mac(key secrets.Value, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(key.Reveal()))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// VerifySignature checks a SignatureHeader value against the raw request
// body. It succeeds when one of the v1 signatures is the HMAC of the body
// under one of keys (several keys and several v1 entries allow rotation),
// and t is within tolerance of now, in either direction. Every key is
// compared with every v1 in constant time.
//
// The header is a comma-separated list of scheme=value parts, spaces around
// parts tolerated: exactly one t= (unix seconds), one or more v1= (64 hex
// digits); other schemes are ignored, and so are v1 values that are not 64
// hex digits, as long as one is left. Errors wrap ErrMissingSignature,
// ErrMalformedSignature, ErrStaleSignature or ErrSignatureMismatch, except
// when keys holds no non-empty key: then it is ErrNoSigningKey (a
// configuration error). No error ever
// contains a key or an expected MAC.
func VerifySignature(header string, body []byte, keys []secrets.Value, now time.Time, tolerance time.Duration) error {
	ts, sigs, err := parseSignature(header)
	if err != nil {
		return err
	}
	ok, nkeys := false, 0
	for _, k := range keys {
		if k.IsZero() {
			continue
		}
		nkeys++
		want := mac(k, ts, body)
		for _, s := range sigs {
			if hmac.Equal(want, s) {
				ok = true
			}
		}
	}
	if nkeys == 0 {
		return ErrNoSigningKey
	}
	if !ok {
		return ErrSignatureMismatch
	}
	// The timestamp is checked after the MAC, so a stale error always means
	// a genuine but old (or early) request: a replay or a skewed clock.
	sec, _ := strconv.ParseInt(ts, 10, 64) // checked by parseSignature
	skew := now.Sub(time.Unix(sec, 0))
	tolerance = max(tolerance, 0)
	switch {
	case skew > tolerance:
		return fmt.Errorf("%w: t is %s in the past (tolerance %s)", ErrStaleSignature, skew.Round(time.Second), tolerance)
	case skew < -tolerance:
		return fmt.Errorf("%w: t is %s in the future (tolerance %s)", ErrStaleSignature, (-skew).Round(time.Second), tolerance)
	}
	return nil
}

// CheckSignatureTime checks only the header's form and its timestamp:
// nil when the header parses as VerifySignature requires and t is within
// tolerance of now. The webhook uses it to decide whether a request that
// matched none of its cached keys is worth re-reading the key for (a
// rotation): a malformed header or a stale t never is. Errors wrap
// ErrMissingSignature, ErrMalformedSignature or ErrStaleSignature.
func CheckSignatureTime(header string, now time.Time, tolerance time.Duration) error {
	ts, _, err := parseSignature(header)
	if err != nil {
		return err
	}
	return checkTime(ts, now, tolerance)
}

func checkTime(ts string, now time.Time, tolerance time.Duration) error {
	sec, _ := strconv.ParseInt(ts, 10, 64) // checked by parseSignature
	skew := now.Sub(time.Unix(sec, 0))
	tolerance = max(tolerance, 0)
	switch {
	case skew > tolerance:
		return fmt.Errorf("%w: t is %s in the past (tolerance %s)", ErrStaleSignature, skew.Round(time.Second), tolerance)
	case skew < -tolerance:
		return fmt.Errorf("%w: t is %s in the future (tolerance %s)", ErrStaleSignature, (-skew).Round(time.Second), tolerance)
	}
	return nil
}

// parseSignature splits a header into its timestamp (digits, as signed) and
// its decoded v1 signatures.
func parseSignature(header string) (ts string, sigs [][]byte, err error) {
	if strings.TrimSpace(header) == "" {
		return "", nil, ErrMissingSignature
	}
	seenT, v1s, n := false, 0, 0
	for part := range strings.SplitSeq(header, ",") {
		n++
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		// Messages never quote what was sent: a part may be a MAC.
		scheme, value, ok := strings.Cut(part, "=")
		if !ok {
			return "", nil, fmt.Errorf("%w: part %d is not scheme=value", ErrMalformedSignature, n)
		}
		scheme, value = strings.TrimSpace(scheme), strings.TrimSpace(value)
		switch scheme {
		case "t":
			if seenT {
				return "", nil, fmt.Errorf("%w: more than one t=", ErrMalformedSignature)
			}
			seenT = true
			if !isDigits(value) || len(value) > 18 {
				return "", nil, fmt.Errorf("%w: t= is not unix seconds (at most 18 digits)", ErrMalformedSignature)
			}
			ts = value
		case "v1":
			v1s++
			if len(value) != 2*sha256.Size {
				continue
			}
			if b, err := hex.DecodeString(value); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	switch {
	case !seenT:
		return "", nil, fmt.Errorf("%w: no t=", ErrMalformedSignature)
	case v1s == 0:
		return "", nil, fmt.Errorf("%w: no v1=", ErrMalformedSignature)
	case len(sigs) == 0:
		return "", nil, fmt.Errorf("%w: no v1= is %d hex digits", ErrMalformedSignature, 2*sha256.Size)
	}
	return ts, sigs, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// HeaderValue finds header name in h ignoring case, as the FC HTTP trigger
// delivers headers as a plain map. When h holds the header under several
// spellings, their values are joined with "," in the order of the spellings,
// sorted, so that a repeated signature header shows as two t= parts.
func HeaderValue(h map[string]string, name string) (string, bool) {
	var keys []string
	for k := range h {
		if strings.EqualFold(k, name) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return "", false
	}
	slices.Sort(keys)
	vals := make([]string, len(keys))
	for i, k := range keys {
		vals[i] = h[k]
	}
	return strings.Join(vals, ","), true
}
