package hr

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestDecodeWebhookSingleFile(t *testing.T) {
	body, err := os.ReadFile("testdata/webhook_single.json")
	if err != nil {
		t.Fatal(err)
	}
	d, err := DecodeWebhook(body)
	if err != nil {
		t.Fatal(err)
	}
	want := &Delivery{Events: []EventResult{{Event: Event{
		ID:         "evt-8c1f",
		Type:       EventHired,
		OccurredAt: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC),
		Employee: Employee{
			ID: "E1001", Email: "li.wei@example.com", DisplayName: "Li Wei", Status: StatusActive,
			Fields: map[string]any{"id": "E1001", "email": "li.wei@example.com", "displayName": "Li Wei", "status": "active", "department": "R&D"},
		},
	}}}}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("DecodeWebhook:\n got %+v\nwant %+v", d, want)
	}
}

func TestDecodeWebhookBatchFile(t *testing.T) {
	body, err := os.ReadFile("testdata/webhook_batch.json")
	if err != nil {
		t.Fatal(err)
	}
	d, err := DecodeWebhook(body)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Batch || len(d.Events) != 5 {
		t.Fatalf("Batch %v, %d events; want a batch of 5", d.Batch, len(d.Events))
	}
	type summary struct {
		Index               int
		EventID, Type, ID   string
		Status              Status
		Err                 string
		Kind                ErrorKind
		EvErrID, EvErrEmpID string
	}
	var got []summary
	for _, r := range d.Events {
		s := summary{Index: r.Index, EventID: r.Event.ID, Type: r.Event.Type, ID: r.Event.Employee.ID, Status: r.Event.Employee.Status}
		if r.Err != nil {
			s.Err, s.Kind, s.EvErrID, s.EvErrEmpID = r.Err.Error(), r.Err.Kind, r.Err.EventID, r.Err.EmployeeID
		}
		got = append(got, s)
	}
	want := []summary{
		{0, "evt-9a01", EventHired, "E1002", StatusActive, "", 0, "", ""},
		{1, "evt-9a02", EventUpdated, "1003", StatusActive, "", 0, "", ""},
		{2, "evt-9a03", EventTerminated, "E0999", StatusTerminated, "", 0, "", ""},
		{3, "evt-9a04", EventHired, "", StatusActive, "events[3].employee.id: required", KindInvalidEmployee, "evt-9a04", ""},
		{4, "evt-9a05", "", "E1005", StatusActive, `events[4].type: unknown event type "employee.promoted" (want employee.hired, employee.updated or employee.terminated)`, KindMalformed, "evt-9a05", "E1005"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events:\n got %+v\nwant %+v", got, want)
	}
	// Numbers keep their literal text; nested objects are kept for the mapping.
	if id := d.Events[1].Event.Employee.Fields["id"]; id != json.Number("1003") {
		t.Errorf(`Fields["id"] = %#v, want json.Number("1003")`, id)
	}
	if m, ok := d.Events[0].Event.Employee.Fields["manager"].(map[string]any); !ok || m["name"] != "Chen Jie" {
		t.Errorf(`Fields["manager"] = %#v, want the nested object`, d.Events[0].Event.Employee.Fields["manager"])
	}
	if at := d.Events[1].Event.OccurredAt; !at.Equal(time.Date(2026, 11, 27, 1, 5, 0, 0, time.UTC)) {
		t.Errorf("OccurredAt = %v", at)
	}
}

// event builds a single-event body with the employee fields given as JSON.
func event(typ, employee string) string {
	return `{"id":"evt-1","type":"` + typ + `","employee":` + employee + `}`
}

func TestDecodeWebhookEventErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		kind ErrorKind
		msg  string
	}{
		{"no type", `{"employee":{"id":"E1"}}`, KindMalformed, "type: required"},
		{"null type", `{"type":null,"employee":{"id":"E1"}}`, KindMalformed, "type: required"},
		{"type not a string", `{"type":1,"employee":{"id":"E1"}}`, KindMalformed, "type: must be a string, not a number"},
		{"unknown type", event("employee.fired", `{"id":"E1"}`), KindMalformed, `type: unknown event type "employee.fired"`},
		{"type wrong case", event("Employee.Hired", `{"id":"E1"}`), KindMalformed, "type: unknown event type"},
		{"no employee", `{"type":"employee.hired"}`, KindMalformed, "employee: required"},
		{"employee null", `{"type":"employee.hired","employee":null}`, KindMalformed, "employee: required"},
		{"employee array", `{"type":"employee.hired","employee":[{"id":"E1"}]}`, KindMalformed, "employee: must be an object, not an array"},
		{"event id number", `{"id":7,"type":"employee.hired","employee":{"id":"E1"}}`, KindMalformed, "id: must be a string, not a number"},
		{"event id too long", `{"id":"` + strings.Repeat("e", 257) + `","type":"employee.hired","employee":{"id":"E1"}}`, KindMalformed, "id: is 257 characters long"},
		{"bad occurredAt", `{"type":"employee.hired","occurredAt":"27/11/2026","employee":{"id":"E1"}}`, KindMalformed, `occurredAt: must be an RFC 3339 time, not "27/11/2026"`},
		{"occurredAt number", `{"type":"employee.hired","occurredAt":1795770000,"employee":{"id":"E1"}}`, KindMalformed, "occurredAt: must be an RFC 3339 time string"},
		{"duplicate key", `{"type":"employee.hired","employee":{"id":"E1","id":"E2"}}`, KindMalformed, "employee.id: duplicate key"},
		{"duplicate type", `{"type":"employee.hired","type":"employee.terminated","employee":{"id":"E1"}}`, KindMalformed, "type: duplicate key"},
		{"email number", event("employee.hired", `{"id":"E1","email":5}`), KindMalformed, "employee.email: must be a string, not a number"},
		{"displayName object", event("employee.hired", `{"id":"E1","displayName":{}}`), KindMalformed, "employee.displayName: must be a string, not an object"},
		{"status bool", event("employee.hired", `{"id":"E1","status":true}`), KindMalformed, "employee.status: must be a string, not a boolean"},
		{"id bool", event("employee.hired", `{"id":true}`), KindMalformed, "employee.id: must be a string or a number, not a boolean"},
		{"id array", event("employee.hired", `{"id":["E1"]}`), KindMalformed, "employee.id: must be a string or a number, not an array"},
		{"malformed wins over invalid", event("employee.hired", `{"status":"retired","email":1}`), KindMalformed, "employee.email: must be a string"},
		{"type wins over invalid employee", event("employee.moved", `{}`), KindMalformed, "type: unknown event type"},
		{"no id", event("employee.hired", `{"email":"a@example.com"}`), KindInvalidEmployee, "employee.id: required"},
		{"null id", event("employee.hired", `{"id":null}`), KindInvalidEmployee, "employee.id: required"},
		{"empty id", event("employee.hired", `{"id":""}`), KindInvalidEmployee, "employee.id: required"},
		{"blank id", event("employee.hired", `{"id":" \t "}`), KindInvalidEmployee, "employee.id: required"},
		{"id too long", event("employee.hired", `{"id":"`+strings.Repeat("é", 129)+`"}`), KindInvalidEmployee, "employee.id: is 129 characters long, at most 128 allowed"},
		{"id with newline", event("employee.hired", `{"id":"E1\nE2"}`), KindInvalidEmployee, "employee.id: contains the control character U+000A"},
		{"id with NUL", event("employee.hired", `{"id":"E1\u0000"}`), KindInvalidEmployee, "U+0000"},
		{"id with zero-width space", event("employee.hired", `{"id":"E1\u200b"}`), KindInvalidEmployee, "U+200B"},
		{"id with C1 control", event("employee.hired", `{"id":"E\u00851"}`), KindInvalidEmployee, "U+0085"},
		{"unknown status", event("employee.updated", `{"id":"E1","status":"retired"}`), KindInvalidEmployee, `employee.status: unknown status "retired" (want active or terminated)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := DecodeWebhook([]byte(tt.body))
			var ee *EventError
			if !errors.As(err, &ee) {
				t.Fatalf("DecodeWebhook = %+v, %v; want an *EventError", d, err)
			}
			if d != nil {
				t.Errorf("DecodeWebhook returned a delivery with an error")
			}
			if ee.Kind != tt.kind || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q (%v), want %q (%v)", err, ee.Kind, tt.msg, tt.kind)
			}
			// The same event in a batch is that event's problem only.
			batch := `{"events":[` + event("employee.hired", `{"id":"OK1"}`) + `,` + tt.body + `]}`
			d, err = DecodeWebhook([]byte(batch))
			if err != nil {
				t.Fatalf("in a batch: %v", err)
			}
			if d.Events[0].Err != nil || d.Events[0].Event.Employee.ID != "OK1" {
				t.Errorf("in a batch, the good event: %+v", d.Events[0])
			}
			be := d.Events[1].Err
			if be == nil || be.Kind != tt.kind || be.Index != 1 || !strings.HasPrefix(be.Error(), "events[1].") || !strings.Contains(be.Error(), tt.msg) {
				t.Errorf("in a batch, the bad event's error = %v, want events[1].%s", be, tt.msg)
			}
		})
	}
}

func TestDecodeWebhookAccepts(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Employee // Fields not compared
		at   time.Time
	}{
		{"number id", event("employee.hired", `{"id":1001}`), Employee{ID: "1001", Status: StatusActive}, time.Time{}},
		{"number id literal kept", event("employee.hired", `{"id":1.50e3}`), Employee{ID: "1.50e3", Status: StatusActive}, time.Time{}},
		{"id trimmed", event("employee.hired", `{"id":"  E1 "}`), Employee{ID: "E1", Status: StatusActive}, time.Time{}},
		{"filter syntax in id", event("employee.hired", `{"id":"a\" or userName eq \"root\\"}`), Employee{ID: `a" or userName eq "root\`, Status: StatusActive}, time.Time{}},
		{"id of 128 characters", event("employee.hired", `{"id":"`+strings.Repeat("é", 128)+`"}`), Employee{ID: strings.Repeat("é", 128), Status: StatusActive}, time.Time{}},
		{"status case and space", event("employee.updated", `{"id":"E1","status":" TERMINATED "}`), Employee{ID: "E1", Status: StatusTerminated}, time.Time{}},
		{"null optional fields", event("employee.updated", `{"id":"E1","email":null,"displayName":null,"status":null}`), Employee{ID: "E1", Status: StatusActive}, time.Time{}},
		{"terminated without status", event("employee.terminated", `{"id":"E1"}`), Employee{ID: "E1", Status: StatusTerminated}, time.Time{}},
		{"terminated with a stale active status", event("employee.terminated", `{"id":"E1","status":"active"}`), Employee{ID: "E1", Status: StatusTerminated}, time.Time{}},
		{"unknown event fields ignored", `{"type":"employee.hired","source":"workday","version":2,"employee":{"id":"E1"}}`, Employee{ID: "E1", Status: StatusActive}, time.Time{}},
		{"occurredAt with fraction and zone", `{"type":"employee.hired","occurredAt":"2026-11-27T17:00:00.5+08:00","employee":{"id":"E1"}}`, Employee{ID: "E1", Status: StatusActive}, time.Date(2026, 11, 27, 9, 0, 0, 5e8, time.UTC)},
		{"escaped unicode", event("employee.hired", `{"id":"E1","displayName":"\u674e\u4f1f"}`), Employee{ID: "E1", DisplayName: "李伟", Status: StatusActive}, time.Time{}},
		{"whitespace around", " \r\n\t" + event("employee.hired", `{"id":"E1"}`) + "\n", Employee{ID: "E1", Status: StatusActive}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := DecodeWebhook([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			got := d.Events[0].Event.Employee
			if got.Fields == nil {
				t.Error("Fields is nil")
			}
			got.Fields = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Employee = %+v, want %+v", got, tt.want)
			}
			if at := d.Events[0].Event.OccurredAt; !at.Equal(tt.at) {
				t.Errorf("OccurredAt = %v, want %v", at, tt.at)
			}
		})
	}
}

func TestDecodeWebhookRequestErrors(t *testing.T) {
	ok := event("employee.hired", `{"id":"E1"}`)
	many := func(n int) string {
		return `{"events":[` + strings.TrimSuffix(strings.Repeat(ok+",", n), ",") + `]}`
	}
	tests := []struct {
		name string
		body string
		msg  string
	}{
		{"empty", "", "body is empty"},
		{"blank", " \n", "body is empty"},
		{"invalid UTF-8", `{"type":"employee.hired","employee":{"id":"E` + "\xff" + `"}}`, "invalid UTF-8 at byte 44"},
		{"invalid UTF-8 in a batch event", `{"events":[` + ok + `,{"x":"` + "\xc3\x28" + `"}]}`, "invalid UTF-8 at byte"},
		{"not JSON", "type=employee.hired", "not valid JSON: invalid character 'y' in literal true (expecting 'r') (byte 2)"},
		{"truncated", `{"type":"employee.hired","employee":{"id":"E1"`, "not valid JSON: unexpected end of input"},
		{"trailing garbage", ok + "x", "not valid JSON: unexpected data after the top-level value"},
		{"two objects", ok + ok, "unexpected data after the top-level value"},
		{"trailing comma", `{"type":"employee.hired","employee":{"id":"E1",}}`, "not valid JSON"},
		{"array", "[" + ok + "]", "must be a JSON object (one event or {\"events\": […]}), not an array"},
		{"string", `"employee.hired"`, "not a string"},
		{"null", `null`, "not null"},
		{"events not array", `{"events":{"0":` + ok + `}}`, "events: must be an array, not an object"},
		{"events null", `{"events":null}`, "events: must be an array, not null"},
		{"events empty", `{"events":[]}`, "events: must not be empty"},
		{"batch of 101", many(101), "events: has 101 events, at most 100 allowed"},
		{"batch beside an event", `{"type":"employee.hired","employee":{"id":"E1"},"events":[` + ok + `]}`, "a batch carries its events in events"},
		{"duplicate events key", `{"events":[` + ok + `],"events":[]}`, "events: duplicate key"},
		{"too deep", event("employee.hired", `{"id":"E1","x":`+strings.Repeat("[", 70)+strings.Repeat("]", 70)+`}`), "employee.x" + strings.Repeat("[0]", 62) + ": nested deeper than 64 levels"},
		{"very deep", strings.Repeat("[", 100000), "nested deeper than 64 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeWebhook([]byte(tt.body))
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("DecodeWebhook = %v, want a *DecodeError", err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
		})
	}
	if _, err := DecodeWebhook([]byte(many(100))); err != nil {
		t.Errorf("a batch of 100: %v", err)
	}
}

func TestDecodeWebhookTooLarge(t *testing.T) {
	body := []byte(event("employee.hired", `{"id":"E1","pad":"`+strings.Repeat("x", MaxBodyBytes)+`"}`))
	if _, err := DecodeWebhook(body); !errors.Is(err, ErrBodyTooLarge) {
		t.Errorf("DecodeWebhook(%d bytes) = %v, want %v", len(body), err, ErrBodyTooLarge)
	}
}

func TestDecodeWebhookBatchNotObject(t *testing.T) {
	d, err := DecodeWebhook([]byte(`{"events":["employee.hired", 3, null]}`))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"events[0]: must be an object, not a string", "events[1]: must be an object, not a number", "events[2]: must be an object, not null"} {
		if e := d.Events[i].Err; e == nil || e.Error() != want || e.Kind != KindMalformed {
			t.Errorf("event %d: %v, want %q", i, e, want)
		}
	}
}

func TestDecodeWebhookWeirdKeysInPath(t *testing.T) {
	_, err := DecodeWebhook([]byte(`{"type":"employee.hired","employee":{"id":"E1","a.b":1,"a.b":2}}`))
	if err == nil || err.Error() != `employee["a.b"]: duplicate key` {
		t.Errorf("error = %v", err)
	}
}

func TestErrorKindString(t *testing.T) {
	for k, want := range map[ErrorKind]string{KindMalformed: "malformed", KindInvalidEmployee: "invalid employee", 0: "ErrorKind(0)"} {
		if got := fmt.Sprint(k); got != want {
			t.Errorf("ErrorKind(%d) = %q, want %q", int(k), got, want)
		}
	}
}

// TestDecodeWebhookDuplicateKeysBoundedMemory: a 1 MiB body that is one
// object repeating a key 170,000 times at depth 63 must not copy the
// 63-element path for each repeat (that was over 300 MB); the request is
// still refused, naming the first duplicate.
func TestDecodeWebhookDuplicateKeysBoundedMemory(t *testing.T) {
	const depth = 60
	head := `{"type":"employee.hired","employee":{"id":"E1","x":` + strings.Repeat("[", depth) + `{"a":1`
	tail := `}` + strings.Repeat("]", depth) + `}}`
	pair := `,"a":1`
	n := (MaxBodyBytes - len(head) - len(tail)) / len(pair)
	body := []byte(head + strings.Repeat(pair, n) + tail)
	if len(body) > MaxBodyBytes {
		t.Fatalf("body is %d bytes", len(body))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := DecodeWebhook(body)
	runtime.ReadMemStats(&after)
	want := "employee.x" + strings.Repeat("[0]", depth) + ".a: duplicate key"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	// The tokens themselves cost a few bytes each; the bound is generous
	// and far below what a path copy per duplicate costs.
	const bound = 64 << 20
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > bound {
		t.Errorf("decoding %d duplicate keys allocated %d MiB, want under %d MiB", n, alloc>>20, bound>>20)
	} else {
		t.Logf("%d duplicate keys at depth %d: %.1f MiB allocated", n, depth+3, float64(alloc)/(1<<20))
	}
}

// TestDecodeWebhookFirstDuplicatePerEvent: keeping one duplicate a record
// still gives each event of a batch its own first duplicate, refuses the
// whole batch for one outside the events, and a single event for its first.
func TestDecodeWebhookFirstDuplicatePerEvent(t *testing.T) {
	ev := func(id, extra string) string {
		return `{"id":"evt-` + id + `","type":"employee.hired","employee":{"id":"` + id + `","email":"` + id + `@example.com"` + extra + `}}`
	}
	body := `{"events":[` + ev("E1", `,"tags":[{"k":1,"k":2}],"email":"x"`) + `,` + ev("E2", "") + `,` +
		ev("E3", `,"email":"y","email":"z"`) + `]}`
	d, err := DecodeWebhook([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	wantErr := []string{"events[0].employee.tags[0].k: duplicate key", "", "events[2].employee.email: duplicate key"}
	for i, w := range wantErr {
		got := ""
		if e := d.Events[i].Err; e != nil {
			got = e.Error()
		}
		if !strings.HasPrefix(got, w) || (w == "") != (got == "") {
			t.Errorf("event %d: err %q, want %q", i, got, w)
		}
	}
	// 150 events with a duplicate each, and one outside: refused whole.
	var evs []string
	for i := range 150 {
		evs = append(evs, ev(fmt.Sprint("E", i), `,"id":"X"`))
	}
	if _, err := DecodeWebhook([]byte(`{"events":[` + strings.Join(evs, ",") + `],"x":1,"x":2}`)); err == nil {
		t.Error("a batch of 150 with duplicates: accepted")
	}
	if _, err := DecodeWebhook([]byte(`{"events":[` + strings.Join(evs[:3], ",") + `],"x":1,"x":2}`)); err == nil || err.Error() != "x: duplicate key" {
		t.Errorf("duplicate outside the events: err = %v, want x: duplicate key", err)
	}
	// A single event: its first duplicate, in document order.
	_, err = DecodeWebhook([]byte(ev("E1", `,"tags":[{"k":1,"k":2}],"email":"x"`)))
	if err == nil || !strings.HasPrefix(err.Error(), "employee.tags[0].k: duplicate key") {
		t.Errorf("single event: err = %v", err)
	}
}
