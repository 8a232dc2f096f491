package hr

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/secrets"
)

var (
	testKey   = secrets.NewValue("whsec-test-key-0001")
	oldKey    = secrets.NewValue("whsec-old-key-0000")
	testNow   = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	testBody  = []byte(`{"type":"employee.hired","employee":{"id":"E1001"}}`)
	tolerance = 5 * time.Minute
)

func TestSignFormat(t *testing.T) {
	got := Sign(testKey, testNow, testBody)
	ts, sig, ok := strings.Cut(got, ",v1=")
	if !ok || ts != "t=1795770000" {
		t.Fatalf("Sign = %q, want t=1795770000,v1=…", got)
	}
	if b, err := hex.DecodeString(sig); err != nil || len(b) != 32 {
		t.Errorf("v1 = %q, want 64 hex digits", sig)
	}
	if got2 := Sign(testKey, testNow.Add(999*time.Millisecond), testBody); got2 != got {
		t.Errorf("Sign depends on sub-second time: %q vs %q", got2, got)
	}
}

func TestVerifySignature(t *testing.T) {
	good := Sign(testKey, testNow, testBody)
	_, goodV1, _ := strings.Cut(good, ",v1=")
	oldV1 := strings.TrimPrefix(Sign(oldKey, testNow, testBody), "t=1795770000,v1=")
	bad := strings.Repeat("ab", 32)
	tests := []struct {
		name   string
		header string
		body   []byte
		keys   []secrets.Value
		now    time.Time
		want   error // nil or a sentinel
		msg    string
	}{
		{name: "valid", header: good},
		{name: "spaces around parts", header: "  t=1795770000 ,  v1=" + goodV1 + "  "},
		{name: "spaces around equals", header: "t = 1795770000, v1 = " + goodV1},
		{name: "upper-case hex", header: "t=1795770000,v1=" + strings.ToUpper(goodV1)},
		{name: "v1 first", header: "v1=" + goodV1 + ",t=1795770000"},
		{name: "second v1 matches", header: "t=1795770000,v1=" + bad + ",v1=" + goodV1},
		{name: "unknown scheme ignored", header: "t=1795770000,v0=zzz,v2=" + bad + ",v1=" + goodV1},
		{name: "short v1 ignored", header: "t=1795770000,v1=abcd,v1=" + goodV1},
		{name: "non-hex v1 ignored", header: "t=1795770000,v1=" + strings.Repeat("zz", 32) + ",v1=" + goodV1},
		{name: "empty parts ignored", header: "t=1795770000,,v1=" + goodV1 + ","},
		{name: "rotation: old key signs", header: "t=1795770000,v1=" + oldV1, keys: []secrets.Value{testKey, oldKey}},
		{name: "rotation: empty key skipped", header: good, keys: []secrets.Value{{}, testKey}},
		{name: "rotation: both signatures", header: good + ",v1=" + oldV1, keys: []secrets.Value{oldKey}},
		{name: "past within tolerance", header: good, now: testNow.Add(tolerance)},
		{name: "future within tolerance", header: good, now: testNow.Add(-tolerance)},

		{name: "missing", header: "", want: ErrMissingSignature},
		{name: "blank", header: "  ", want: ErrMissingSignature},
		{name: "no t", header: "v1=" + goodV1, want: ErrMalformedSignature, msg: "no t="},
		{name: "two t (joined duplicate headers)", header: good + "," + good, want: ErrMalformedSignature, msg: "more than one t="},
		{name: "t not a number", header: "t=yesterday,v1=" + goodV1, want: ErrMalformedSignature},
		{name: "t negative", header: "t=-1795770000,v1=" + goodV1, want: ErrMalformedSignature},
		{name: "t with plus", header: "t=+1795770000,v1=" + goodV1, want: ErrMalformedSignature},
		{name: "t overflows", header: "t=99999999999999999999999,v1=" + goodV1, want: ErrMalformedSignature},
		{name: "t empty", header: "t=,v1=" + goodV1, want: ErrMalformedSignature},
		{name: "no v1", header: "t=1795770000", want: ErrMalformedSignature, msg: "no v1="},
		{name: "only v0", header: "t=1795770000,v0=" + goodV1, want: ErrMalformedSignature},
		{name: "no valid v1", header: "t=1795770000,v1=xyz,v1=" + goodV1[:62], want: ErrMalformedSignature, msg: "64 hex digits"},
		{name: "part without equals", header: "t=1795770000,v1=" + goodV1 + ",garbage", want: ErrMalformedSignature},
		{name: "GitHub style", header: "sha256=" + goodV1, want: ErrMalformedSignature},
		{name: "wrong key", header: good, keys: []secrets.Value{oldKey}, want: ErrSignatureMismatch},
		{name: "tampered body", header: good, body: append([]byte(" "), testBody...), want: ErrSignatureMismatch},
		{name: "t changed", header: "t=1795770001,v1=" + goodV1, now: testNow, want: ErrSignatureMismatch},
		{name: "t with leading zero", header: "t=01795770000,v1=" + goodV1, want: ErrSignatureMismatch},
		{name: "mismatch before staleness", header: "t=1,v1=" + bad, want: ErrSignatureMismatch},
		{name: "stale", header: good, now: testNow.Add(tolerance + time.Second), want: ErrStaleSignature, msg: "5m1s in the past (tolerance 5m0s)"},
		{name: "future", header: good, now: testNow.Add(-tolerance - 90*time.Second), want: ErrStaleSignature, msg: "6m30s in the future"},
		{name: "t zero", header: Sign(testKey, time.Unix(0, 0), testBody), want: ErrStaleSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, keys, now := tt.body, tt.keys, tt.now
			if body == nil {
				body = testBody
			}
			if keys == nil {
				keys = []secrets.Value{testKey}
			}
			if now.IsZero() {
				now = testNow
			}
			err := VerifySignature(tt.header, body, keys, now, tolerance)
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("VerifySignature(%q) = %v, want nil", tt.header, err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("VerifySignature(%q) = %v, want %v", tt.header, err, tt.want)
			case err != nil && !strings.Contains(err.Error(), tt.msg):
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			if err != nil {
				assertNoSecret(t, err.Error(), keys, body)
			}
		})
	}
}

// assertNoSecret checks that msg contains neither a key nor an expected MAC.
func assertNoSecret(t *testing.T, msg string, keys []secrets.Value, body []byte) {
	t.Helper()
	for _, k := range keys {
		if k.IsZero() {
			continue
		}
		_, want, _ := strings.Cut(Sign(k, testNow, body), ",v1=")
		if strings.Contains(msg, k.Reveal()) || strings.Contains(strings.ToLower(msg), want) {
			t.Errorf("error %q leaks a key or the expected MAC", msg)
		}
	}
}

func TestVerifySignatureNoKey(t *testing.T) {
	good := Sign(testKey, testNow, testBody)
	for _, keys := range [][]secrets.Value{nil, {{}}} {
		err := VerifySignature(good, testBody, keys, testNow, tolerance)
		if !errors.Is(err, ErrNoSigningKey) {
			t.Fatalf("no key: err = %v, want ErrNoSigningKey", err)
		}
		for _, s := range []error{ErrMissingSignature, ErrMalformedSignature, ErrStaleSignature, ErrSignatureMismatch} {
			if errors.Is(err, s) {
				t.Errorf("no key: error %v is %v; a configuration fault is not the sender's", err, s)
			}
		}
	}
}

// TestCheckSignatureTime: the form-and-time check the webhook runs before
// it may re-read its key. A forged MAC passes it (that is the point: only
// well-formed, fresh requests may trigger a re-read); anything malformed or
// stale does not.
func TestCheckSignatureTime(t *testing.T) {
	forged := "t=1795770000,v1=" + strings.Repeat("ab", 32)
	tests := []struct {
		name   string
		header string
		now    time.Time
		want   error
	}{
		{"well-formed and fresh, MAC forged", forged, testNow, nil},
		{"genuine", Sign(testKey, testNow, testBody), testNow, nil},
		{"at the tolerance's edge", forged, testNow.Add(tolerance), nil},
		{"stale", forged, testNow.Add(tolerance + time.Second), ErrStaleSignature},
		{"from the future", forged, testNow.Add(-tolerance - time.Second), ErrStaleSignature},
		{"t=0", "t=0,v1=" + strings.Repeat("ab", 32), testNow, ErrStaleSignature},
		{"missing", "", testNow, ErrMissingSignature},
		{"no v1", "t=1795770000", testNow, ErrMalformedSignature},
		{"short v1", "t=1795770000,v1=abcd", testNow, ErrMalformedSignature},
		{"t not digits", "t=soon,v1=" + strings.Repeat("ab", 32), testNow, ErrMalformedSignature},
		{"two t", forged + ",t=1795770000", testNow, ErrMalformedSignature},
	}
	for _, tt := range tests {
		err := CheckSignatureTime(tt.header, tt.now, tolerance)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: CheckSignatureTime = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestVerifySignatureNegativeTolerance(t *testing.T) {
	good := Sign(testKey, testNow, testBody)
	if err := VerifySignature(good, testBody, []secrets.Value{testKey}, testNow, -time.Minute); err != nil {
		t.Errorf("exact time, negative tolerance: %v", err)
	}
	if err := VerifySignature(good, testBody, []secrets.Value{testKey}, testNow.Add(time.Second), -time.Minute); !errors.Is(err, ErrStaleSignature) {
		t.Errorf("1s late, negative tolerance: %v, want stale", err)
	}
}

func TestHeaderValue(t *testing.T) {
	tests := []struct {
		name   string
		h      map[string]string
		want   string
		wantOK bool
	}{
		{"canonical", map[string]string{"X-Ramsync-Signature": "a"}, "a", true},
		{"lower case", map[string]string{"x-ramsync-signature": "a", "Content-Type": "application/json"}, "a", true},
		{"upper case", map[string]string{"X-RAMSYNC-SIGNATURE": "a"}, "a", true},
		{"two spellings joined", map[string]string{"x-ramsync-signature": "t=2,v1=b", "X-Ramsync-Signature": "t=1,v1=a"}, "t=1,v1=a,t=2,v1=b", true},
		{"empty value present", map[string]string{"x-ramsync-signature": ""}, "", true},
		{"absent", map[string]string{"X-Other": "a"}, "", false},
		{"nil map", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := HeaderValue(tt.h, SignatureHeader)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("HeaderValue = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestDuplicatedHeaderIsMalformed(t *testing.T) {
	h := map[string]string{
		"x-ramsync-signature": Sign(testKey, testNow, testBody),
		"X-Ramsync-Signature": Sign(testKey, testNow.Add(-time.Hour), testBody),
	}
	v, _ := HeaderValue(h, SignatureHeader)
	if err := VerifySignature(v, testBody, []secrets.Value{testKey}, testNow, tolerance); !errors.Is(err, ErrMalformedSignature) {
		t.Errorf("duplicated header: %v, want %v", err, ErrMalformedSignature)
	}
}
