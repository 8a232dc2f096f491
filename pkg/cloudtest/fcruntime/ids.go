package fcruntime

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b)
}

// newRequestID returns an FC 3.0 request id, "1-<8 hex>-<24 hex>". The
// first part is the epoch seconds: the documented example
// "1-64f6cd87-…" is dated 1693896071, 0x64f6cd87 [ALIYUN.md §4.2; INFER].
func newRequestID(t time.Time) string {
	return fmt.Sprintf("1-%08x-%s", uint32(t.Unix()), randomHex(12))
}

// newUUID returns a random version 4 UUID in lower case.
func newUUID() string {
	h := []byte(randomHex(16))
	h[12] = '4'
	h[16] = "89ab"[h[16]%4]
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}

// newInstanceID returns an FC_INSTANCE_ID ("c-" and hex groups; the real
// format is not documented).
func newInstanceID() string {
	h := randomHex(12)
	return "c-" + h[:8] + "-" + h[8:16] + "-" + h[16:]
}

// domainLabel turns a function name into a DNS label part: lower case,
// "_" as "-".
func domainLabel(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "_", "-")
}
