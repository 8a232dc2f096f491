package hr

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ramsync/ramsync/pkg/secrets"
)

// The seed corpora are in testdata/fuzz/<FuzzName>/.

func FuzzVerifySignature(f *testing.F) {
	f.Add("t=1795770000,v1="+strings.Repeat("0", 64), []byte(`{}`), int64(1795770000))
	keys := []secrets.Value{testKey, oldKey}
	const tol = 5 * time.Minute
	f.Fuzz(func(t *testing.T, header string, body []byte, unix int64) {
		if unix < 0 {
			unix = -(unix + 1)
		}
		unix %= 1 << 40 // up to the year 36812; time.Time arithmetic stays exact
		now := time.Unix(unix, 0)

		// Whatever the header, the error is one of the four the handler
		// answers 401 for, and a success means the header holds the MAC.
		err := VerifySignature(header, body, keys, now, tol)
		if err != nil {
			if !isSignatureError(err) {
				t.Fatalf("VerifySignature(%q) = %v, not a signature sentinel", header, err)
			}
			assertNoSecret(t, err.Error(), keys, body)
		} else {
			ts, _, perr := parseSignature(header)
			if perr != nil {
				t.Fatalf("accepted a header parseSignature refuses: %v", perr)
			}
			found := false
			for _, k := range keys {
				found = found || strings.Contains(strings.ToLower(header), hexMAC(k, ts, body))
			}
			if !found {
				t.Fatalf("accepted %q without a valid MAC", header)
			}
		}

		// A header made by Sign always verifies, within the tolerance only.
		signed := Sign(testKey, now, body)
		mustVerify(t, signed, body, now, nil)
		mustVerify(t, signed, body, now.Add(tol), nil)
		mustVerify(t, signed, body, now.Add(-tol), nil)
		mustVerify(t, signed, body, now.Add(tol+time.Second), ErrStaleSignature)
		mustVerify(t, signed, body, now.Add(-tol-time.Second), ErrStaleSignature)
		// Extra parts that are not t= are ignored.
		junk := strings.NewReplacer(",", "", "=", "").Replace(header)
		mustVerify(t, signed+",v1="+junk, body, now, nil)
		mustVerify(t, "x"+junk+"=y , "+signed, body, now, nil)
		// Another body, another key, a second t=: refused.
		mustVerify(t, signed, append(bytes.Clone(body), 0), now, ErrSignatureMismatch)
		if err := VerifySignature(signed, body, []secrets.Value{oldKey}, now, tol); !errors.Is(err, ErrSignatureMismatch) {
			t.Fatalf("verified with the wrong key: %v", err)
		}
		mustVerify(t, signed+","+signed, body, now, ErrMalformedSignature)
	})
}

func isSignatureError(err error) bool {
	for _, s := range []error{ErrMissingSignature, ErrMalformedSignature, ErrStaleSignature, ErrSignatureMismatch} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

func hexMAC(k secrets.Value, ts string, body []byte) string {
	return hex.EncodeToString(mac(k, ts, body))
}

func mustVerify(t *testing.T, header string, body []byte, now time.Time, want error) {
	t.Helper()
	err := VerifySignature(header, body, []secrets.Value{testKey}, now, 5*time.Minute)
	if want == nil && err != nil || want != nil && !errors.Is(err, want) {
		t.Fatalf("VerifySignature(%q) at %d = %v, want %v", header, now.Unix(), err, want)
	}
}

func FuzzDecodeWebhook(f *testing.F) {
	f.Add([]byte(event("employee.hired", `{"id":"E1"}`)))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := DecodeWebhook(body)
		if err != nil {
			var de *DecodeError
			var ee *EventError
			switch {
			case errors.As(err, &de):
				if de.Reason == "" {
					t.Fatalf("DecodeError without a reason: %#v", de)
				}
			case errors.As(err, &ee):
				checkEventError(t, ee, 0, "")
			case errors.Is(err, ErrBodyTooLarge):
			default:
				t.Fatalf("DecodeWebhook error %T %v is none of the documented ones", err, err)
			}
			if d != nil {
				t.Fatal("a delivery with an error")
			}
			return
		}
		if !utf8.Valid(body) || !json.Valid(body) {
			t.Fatalf("accepted a body that is not valid UTF-8 JSON: %q", body)
		}
		if n := len(d.Events); n < 1 || n > MaxBatch || !d.Batch && n != 1 {
			t.Fatalf("Batch %v with %d events", d.Batch, n)
		}
		for i, r := range d.Events {
			if r.Index != i {
				t.Fatalf("event %d has Index %d", i, r.Index)
			}
			if r.Err != nil {
				if !d.Batch {
					t.Fatal("a single event with an error in the delivery")
				}
				checkEventError(t, r.Err, i, "events[")
				continue
			}
			checkEvent(t, r.Event)
			// The employee record, sent again on its own, reads the same.
			again := roundTrip(t, r.Event)
			if again != nil && !equalEmployee(again.Employee, r.Event.Employee) {
				t.Fatalf("round trip:\n got %#v\nwant %#v", again.Employee, r.Event.Employee)
			}
		}
	})
}

func checkEventError(t *testing.T, e *EventError, index int, prefix string) {
	t.Helper()
	if e.Index != index || e.Kind != KindMalformed && e.Kind != KindInvalidEmployee || e.Reason == "" || !strings.HasPrefix(e.Field, prefix) {
		t.Fatalf("bad EventError %#v", e)
	}
}

func checkEvent(t *testing.T, ev Event) {
	t.Helper()
	switch ev.Type {
	case EventHired, EventUpdated, EventTerminated:
	default:
		t.Fatalf("decoded an event of type %q", ev.Type)
	}
	checkEmployee(t, ev.Employee)
	if ev.Type == EventTerminated && ev.Employee.Status != StatusTerminated {
		t.Fatalf("a terminated event with status %q", ev.Employee.Status)
	}
}

func checkEmployee(t *testing.T, e Employee) {
	t.Helper()
	if reason := checkID(e.ID); reason != "" || e.ID != strings.TrimSpace(e.ID) {
		t.Fatalf("decoded employee id %q: %s", e.ID, reason)
	}
	if e.Status != StatusActive && e.Status != StatusTerminated {
		t.Fatalf("decoded status %q", e.Status)
	}
	if e.Fields == nil || e.Fields["id"] == nil {
		t.Fatalf("Fields %#v lacks the id", e.Fields)
	}
}

func roundTrip(t *testing.T, ev Event) *Event {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]any{"type": ev.Type, "employee": ev.Employee.Fields}); err != nil {
		t.Fatalf("re-encoding %#v: %v", ev.Employee.Fields, err)
	}
	if buf.Len() > MaxBodyBytes {
		return nil
	}
	d, err := DecodeWebhook(buf.Bytes())
	if err != nil {
		t.Fatalf("re-decoding %s: %v", buf.Bytes(), err)
	}
	return &d.Events[0].Event
}

func equalEmployee(a, b Employee) bool {
	ja, _ := json.Marshal(a.Fields)
	jb, _ := json.Marshal(b.Fields)
	return a.ID == b.ID && a.Email == b.Email && a.DisplayName == b.DisplayName && a.Status == b.Status && bytes.Equal(ja, jb)
}

func FuzzParseRoster(f *testing.F) {
	f.Add([]byte("id,email\nE1,a@example.com\n"), uint8(0))
	formats := []string{"", "json", "csv"}
	f.Fuzz(func(t *testing.T, data []byte, fm uint8) {
		format := formats[int(fm)%len(formats)]
		r, err := Parse(data, format)
		if err != nil {
			if r != nil || !strings.HasPrefix(err.Error(), "hr: roster: ") {
				t.Fatalf("Parse = %v, %v", r, err)
			}
			return
		}
		if !utf8.Valid(trimBOM(data)) {
			t.Fatalf("accepted invalid UTF-8 %q", data)
		}
		if !slices.Contains(Formats[1:], r.Format) || format != "" && r.Format != format {
			t.Fatalf("format %q read as %q", format, r.Format)
		}
		native := r.Format == FormatJSON || r.Format == FormatCSV
		if len(r.Employees) == 0 {
			t.Fatal("no employees and no error")
		}
		seen := map[string]bool{}
		for _, e := range r.Employees {
			checkEmployee(t, e)
			if seen[e.ID] {
				t.Fatalf("id %q twice", e.ID)
			}
			seen[e.ID] = true
		}
		for _, p := range r.Problems {
			if (p.Line > 0) == (p.Record > 0) || p.Reason == "" || (p.Line > 0) != (r.Format == "csv") {
				t.Fatalf("bad problem %#v", p)
			}
		}
		if !native {
			return // an HR system's export: its fields are not ramsync's JSON roster
		}
		// The employees, written back as a JSON roster, read the same.
		var recs []map[string]any
		for _, e := range r.Employees {
			recs = append(recs, e.Fields)
		}
		js, err := json.Marshal(recs)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(js, "json")
		if err != nil || len(again.Employees) != len(r.Employees) || len(again.Problems) != 0 {
			t.Fatalf("round trip of %s: %v", js, err)
		}
		for i, e := range again.Employees {
			if !equalEmployee(e, r.Employees[i]) {
				t.Fatalf("round trip:\n got %#v\nwant %#v", e, r.Employees[i])
			}
		}
	})
}
