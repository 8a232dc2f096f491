package main

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/ramsync/ramsync/pkg/hr"
)

// The seed corpus is in testdata/fuzz/FuzzDecodeOffboarding/.

// maxReason bounds a refusal's message: it goes into a log line and the
// result, so a hostile event must not be able to blow it up.
const maxReason = 1024

// FuzzDecodeOffboarding holds decode to its contract for any payload: no
// panic; an array gives one leaver per element, anything else exactly one;
// and every leaver either carries an error with a short message or an
// employee whose id is a usable identity key, marked terminated.
func FuzzDecodeOffboarding(f *testing.F) {
	f.Add([]byte(`{"externalId":"E1001"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		leavers, batch, err := decode(payload)
		isArray := bytes.HasPrefix(bytes.TrimSpace(payload), []byte("["))
		if batch != isArray {
			t.Fatalf("batch = %v for %q", batch, payload)
		}
		if err != nil {
			if leavers != nil || !isArray || len(err.Error()) > maxReason {
				t.Fatalf("decode = %d leavers, %v", len(leavers), err)
			}
			return
		}
		if len(leavers) == 0 || !batch && len(leavers) != 1 {
			t.Fatalf("%d leavers for %q (batch %v)", len(leavers), payload, batch)
		}
		for i, l := range leavers {
			if l.Err != nil {
				if msg := l.Err.Error(); msg == "" || len(msg) > maxReason {
					t.Fatalf("leaver %d: a refusal of %d bytes: %.200q", i, len(msg), msg)
				}
				if batch && !strings.HasPrefix(l.Err.Error(), "event ") {
					t.Fatalf("leaver %d: %q does not say which event", i, l.Err)
				}
				continue
			}
			e := l.Employee
			if reason := badID(e.ID); reason != "" {
				t.Fatalf("leaver %d: employee id %q %s", i, e.ID, reason)
			}
			if e.Status != hr.StatusTerminated {
				t.Fatalf("leaver %d: status %q", i, e.Status)
			}
		}
	})
}

// badID says what makes id unusable as an identity key (hr.Employee.ID's
// documented rules), or "".
func badID(id string) string {
	switch {
	case id == "":
		return "is empty"
	case id != strings.TrimSpace(id):
		return "has surrounding space"
	case !utf8.ValidString(id):
		return "is not UTF-8"
	case utf8.RuneCountInString(id) > hr.MaxIDLength:
		return "is too long"
	}
	for _, r := range id {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "has a control character"
		}
	}
	return ""
}
