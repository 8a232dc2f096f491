package hr

import "strconv"

// DecodeError is a webhook body that cannot be read as a whole (400).
type DecodeError struct {
	Field  string // JSON path of the fault, such as events or events[2]; "" for the body
	Reason string
}

func (e *DecodeError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

// ErrorKind says what is wrong with an event, and so what to answer.
type ErrorKind int

const (
	// KindMalformed is an event of the wrong shape (400): a missing or
	// unknown type, no employee object, a field of the wrong JSON type, a
	// bad occurredAt, a duplicated key.
	KindMalformed ErrorKind = iota + 1
	// KindInvalidEmployee is a well-formed event whose employee cannot be
	// used (422): no id, an id too long or with control characters, an
	// unknown status.
	KindInvalidEmployee
)

func (k ErrorKind) String() string {
	switch k {
	case KindMalformed:
		return "malformed"
	case KindInvalidEmployee:
		return "invalid employee"
	}
	return "ErrorKind(" + strconv.Itoa(int(k)) + ")"
}

// EventError is what is wrong with one webhook event.
type EventError struct {
	Index      int    // position in the batch, 0 for a single event
	EventID    string // the event's id, if it could be read
	EmployeeID string // the employee's id, if it could be read
	Field      string // JSON path in the body: events[3].employee.id, or employee.id for a single event
	Kind       ErrorKind
	Reason     string
}

// Error returns the field and the reason, as in
// "events[3].employee.id: required".
func (e *EventError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}
