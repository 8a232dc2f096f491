package hr

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

const (
	// MaxBodyBytes is the largest webhook body accepted (413 above).
	MaxBodyBytes = 1 << 20
	// MaxBatch is the most events one webhook request may carry.
	MaxBatch = 100
	// maxEventIDLength bounds the event id, which is echoed back.
	maxEventIDLength = 256
)

// The event types.
const (
	EventHired      = "employee.hired"
	EventUpdated    = "employee.updated"
	EventTerminated = "employee.terminated"
	// EventSuspended is never accepted on ramsync's own webhook: the
	// vendor sources (a Feishu user frozen) produce it. It suspends the
	// user (SPEC rule 5b) without making the employee a leaver.
	EventSuspended = "employee.suspended"
)

// ErrBodyTooLarge is returned by DecodeWebhook for a body over MaxBodyBytes
// (413). A handler should refuse such a body before reading all of it.
var ErrBodyTooLarge = errors.New("body is larger than 1 MiB")

// Delivery is a decoded webhook request.
type Delivery struct {
	// Batch is true for {"events": […]}, false for a single event.
	Batch bool
	// Events holds one result per event, in order; a single event's is
	// always valid.
	Events []EventResult
}

// EventResult is one event of a delivery.
type EventResult struct {
	Index int   // position in the batch, 0 for a single event
	Event Event // when Err is set, what could be read of it
	Err   *EventError
}

// Event is an HR event. Type is one of EventHired, EventUpdated and
// EventTerminated. For EventTerminated, Employee.Status is always
// StatusTerminated, whatever the record says: the event itself is the news.
type Event struct {
	ID         string    // optional, echoed back as eventId
	Type       string    // EventHired, EventUpdated or EventTerminated
	OccurredAt time.Time // zero when not given
	Employee   Employee
	// Source is "" for ramsync's own webhook, else the vendor whose push
	// this came from ("feishu", "dingtalk"). A vendor's update of an
	// active record resumes a suspended user (SPEC rule 5c); a native
	// employee.updated does not.
	Source string
}

// DecodeWebhook decodes a webhook body: one event, or {"events": […]} with 1
// to MaxBatch events. Call it after VerifySignature.
//
// A body that cannot be read as a whole (invalid UTF-8, not JSON, trailing
// data, nesting deeper than 64, not an object, events not an array, an empty
// or oversized batch) returns a *DecodeError (400); over MaxBodyBytes,
// ErrBodyTooLarge (413). A single event that is wrong returns its *EventError,
// whose Kind gives the status. In a batch a wrong event does not fail the
// others: its EventResult carries the error.
func DecodeWebhook(body []byte) (*Delivery, error) {
	if len(body) > MaxBodyBytes {
		return nil, fmt.Errorf("%w: %d bytes", ErrBodyTooLarge, len(body))
	}
	if !utf8.Valid(body) {
		return nil, &DecodeError{Reason: fmt.Sprintf("invalid UTF-8 at byte %d", invalidUTF8At(body))}
	}
	// One duplicate a record is kept (see jsonReader): at most one per
	// event and one outside the events, so more than MaxBatch+1 means a
	// batch that is refused whatever the rest holds.
	doc, jerr := decodeJSONDups(body, MaxBatch+1)
	if jerr != nil {
		reason := jerr.reason
		if reason == jsonEmpty {
			reason = "body is empty"
		}
		return nil, &DecodeError{Field: jerr.path, Reason: reason}
	}
	top, ok := doc.value.(map[string]any)
	if !ok {
		return nil, &DecodeError{Reason: "must be a JSON object (one event or {\"events\": […]}), not " + jsonType(doc.value)}
	}
	raw, batch := top["events"]
	if !batch {
		var dup jsonPath
		if len(doc.dups) > 0 {
			dup = doc.dups[0]
		}
		r := decodeEvent(top, 0, nil, dup)
		if r.Err != nil {
			return nil, r.Err
		}
		return &Delivery{Events: []EventResult{r}}, nil
	}

	// A batch. A duplicated key outside any event spoils the whole request.
	dups := map[int]jsonPath{}
	for _, d := range doc.dups {
		if len(d) < 3 || d[0].key != "events" || !d[1].isIndex {
			return nil, &DecodeError{Field: d.String(), Reason: "duplicate key"}
		}
		if _, seen := dups[d[1].index]; !seen {
			dups[d[1].index] = d[2:]
		}
	}
	for _, k := range []string{"type", "employee"} {
		if _, ok := top[k]; ok {
			return nil, &DecodeError{Field: k, Reason: "a batch carries its events in events, not beside it"}
		}
	}
	events, ok := raw.([]any)
	switch {
	case !ok:
		return nil, &DecodeError{Field: "events", Reason: "must be an array, not " + jsonType(raw)}
	case len(events) == 0:
		return nil, &DecodeError{Field: "events", Reason: "must not be empty"}
	case len(events) > MaxBatch:
		return nil, &DecodeError{Field: "events", Reason: fmt.Sprintf("has %d events, at most %d allowed", len(events), MaxBatch)}
	}
	d := &Delivery{Batch: true, Events: make([]EventResult, len(events))}
	for i, ev := range events {
		d.Events[i] = decodeEvent(ev, i, jsonPath{{key: "events"}, {index: i, isIndex: true}}, dups[i])
	}
	return d, nil
}

// invalidUTF8At returns the offset of the first invalid UTF-8 byte of b.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// decodeEvent reads one event. at is its path in the body (nil for a
// single event); dup is the first duplicated key inside it, relative to it.
func decodeEvent(v any, index int, at jsonPath, dup jsonPath) EventResult {
	res := EventResult{Index: index}
	var errs []*EventError
	fail := func(field string, kind ErrorKind, reason string) {
		path := at.String()
		if field != "" && path != "" {
			path += "."
		}
		errs = append(errs, &EventError{Index: index, Field: path + field, Kind: kind, Reason: reason})
	}
	obj, ok := v.(map[string]any)
	if !ok {
		fail("", KindMalformed, "must be an object, not "+jsonType(v))
		res.Err = errs[0]
		return res
	}
	if dup != nil {
		fail(dup.String(), KindMalformed, "duplicate key")
	}
	ev := &res.Event

	switch id := obj["id"].(type) {
	case nil:
	case string:
		if n := utf8.RuneCountInString(id); n > maxEventIDLength {
			fail("id", KindMalformed, fmt.Sprintf("is %d characters long, at most %d allowed", n, maxEventIDLength))
		} else {
			ev.ID = id
		}
	default:
		fail("id", KindMalformed, "must be a string, not "+jsonType(id))
	}

	switch t := obj["type"].(type) {
	case nil:
		fail("type", KindMalformed, "required")
	case string:
		switch t {
		case EventHired, EventUpdated, EventTerminated:
			ev.Type = t
		default:
			fail("type", KindMalformed, "unknown event type "+quote(t)+" (want "+EventHired+", "+EventUpdated+" or "+EventTerminated+")")
		}
	default:
		fail("type", KindMalformed, "must be a string, not "+jsonType(t))
	}

	switch s := obj["occurredAt"].(type) {
	case nil:
	case string:
		ts, err := time.Parse(time.RFC3339, s)
		if err != nil {
			fail("occurredAt", KindMalformed, "must be an RFC 3339 time, not "+quote(s))
		}
		ev.OccurredAt = ts
	default:
		fail("occurredAt", KindMalformed, "must be an RFC 3339 time string, not "+jsonType(s))
	}

	switch e := obj["employee"].(type) {
	case nil:
		fail("employee", KindMalformed, "required")
	case map[string]any:
		emp, ferr := parseEmployee(e)
		if ferr != nil {
			fail("employee."+ferr.field, ferr.kind, ferr.reason)
		}
		if ev.Type == EventTerminated {
			emp.Status = StatusTerminated
		}
		ev.Employee = emp
	default:
		fail("employee", KindMalformed, "must be an object, not "+jsonType(e))
	}

	// A malformed event is malformed (400) whatever else is wrong with it.
	for _, e := range errs {
		if res.Err == nil || (e.Kind == KindMalformed && res.Err.Kind != KindMalformed) {
			res.Err = e
		}
	}
	if res.Err != nil {
		res.Err.EventID = ev.ID
		res.Err.EmployeeID = ev.Employee.ID
	}
	return res
}
