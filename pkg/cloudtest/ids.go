package cloudtest

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

const (
	alnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	digits = "0123456789"
)

// The random values below come from math/rand/v2's global generator, which
// is randomly seeded and safe for concurrent use. None of them protects
// anything real.

// randString returns n characters drawn from alphabet.
func randString(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}

// randDigits returns n random decimal digits.
func randDigits(n int) string { return randString(digits, n) }

// newUserID returns a 16-digit numeric RAM user id, like the documented
// "27648498165273****" [ALIYUN.md §1.2]. The caller checks uniqueness.
func newUserID() string {
	return fmt.Sprintf("2%015d", rand.Uint64N(1e15))
}

// newUUID returns a random (version 4) UUID in lower case, the form of the
// documented OAuth request_id and KMS RequestId.
func newUUID() string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := rand.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newRequestID returns a POP-style upper-case request id, as RAM sends.
func newRequestID() string { return strings.ToUpper(newUUID()) }

// newAccessToken returns an opaque token that starts like a JWT ("eyJ…"),
// as the documented one does, but carries only randomness.
func newAccessToken() string {
	b := make([]byte, 48)
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
	return "eyJ" + base64.RawURLEncoding.EncodeToString(b)
}

// newAccessKeyID returns an id shaped like a long-term AccessKey id.
func newAccessKeyID() string { return "LTAI5t" + randString(alnum, 18) }

// apiTime formats t the way Alibaba APIs do: UTC, second precision, "Z".
func apiTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
