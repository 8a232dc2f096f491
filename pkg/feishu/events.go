package feishu

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ramsync/ramsync/pkg/hr"
)

// Source is the hr.Event.Source of every event this package produces.
const Source = "feishu"

// The contact v3 user events ramsync acts on [U-CREATED, U-UPDATED,
// U-DELETED]. Other event types are answered 200 and change nothing.
const (
	EventUserCreated = "contact.user.created_v3"
	EventUserUpdated = "contact.user.updated_v3"
	EventUserDeleted = "contact.user.deleted_v3"
)

// envelope is what Open read from an authenticated schema 2.0 push.
type envelope struct {
	eventType  string
	eventID    string
	createTime time.Time
	event      any // the decoded "event" member
}

// toEvents maps a contact user event to hr events (SPEC §4.6):
//
//   - contact.user.created_v3: a hire of event.object;
//   - contact.user.updated_v3: an update of event.object, but a
//     termination when status.is_resigned or status.is_exited is true, and
//     a suspension when status.is_frozen is true;
//   - contact.user.deleted_v3: a termination (event.object may carry no
//     more than the user_id);
//   - anything else: no event.
func (e envelope) toEvents() ([]hr.Event, error) {
	switch e.eventType {
	case EventUserCreated, EventUserUpdated, EventUserDeleted:
	default:
		return nil, nil
	}
	ev, ok := e.event.(map[string]any)
	if !ok {
		return nil, formatErr("event", "missing or not an object")
	}
	obj, ok := ev["object"].(map[string]any)
	if !ok {
		return nil, formatErr("event.object", "missing or not an object")
	}
	emp, err := employee(obj, "event.object.")
	if err != nil {
		return nil, err
	}
	typ := hr.EventUpdated
	switch e.eventType {
	case EventUserCreated:
		typ = hr.EventHired
		emp.Status = hr.StatusActive
	case EventUserDeleted:
		typ = hr.EventTerminated
		emp.Status = hr.StatusTerminated
	default:
		switch emp.Status {
		case hr.StatusTerminated:
			typ = hr.EventTerminated
		case hr.StatusSuspended:
			typ = hr.EventSuspended
		}
	}
	return []hr.Event{{
		ID:         e.eventID,
		Type:       typ,
		OccurredAt: e.createTime,
		Employee:   emp,
		Source:     Source,
	}}, nil
}

// employee reads a Feishu user object (an event's object, or a
// find_by_department item): ID is user_id, Email enterprise_email or else
// email, DisplayName name, Status from status (resigned or exited:
// terminated; else frozen: suspended; else active: is_activated and
// is_unjoin never count), and Fields the whole object. at prefixes field
// names in errors.
func employee(obj map[string]any, at string) (hr.Employee, error) {
	var e hr.Employee
	id, err := str(obj, "user_id", at)
	if err != nil {
		return e, err
	}
	e.ID = strings.TrimSpace(id)
	if reason := checkID(e.ID); reason != "" {
		return e, formatErr(at+"user_id", "%s", reason)
	}
	if e.Email, err = str(obj, "enterprise_email", at); err != nil {
		return e, err
	}
	if strings.TrimSpace(e.Email) == "" {
		if e.Email, err = str(obj, "email", at); err != nil {
			return e, err
		}
	}
	if e.DisplayName, err = str(obj, "name", at); err != nil {
		return e, err
	}
	e.Status = hr.StatusActive
	switch st := obj["status"].(type) {
	case nil:
	case map[string]any:
		flag := func(name string) (bool, error) {
			switch v := st[name].(type) {
			case nil:
				return false, nil
			case bool:
				return v, nil
			}
			return false, formatErr(at+"status."+name, "not a boolean")
		}
		var resigned, exited, frozen bool
		if resigned, err = flag("is_resigned"); err != nil {
			return e, err
		}
		if exited, err = flag("is_exited"); err != nil {
			return e, err
		}
		if frozen, err = flag("is_frozen"); err != nil {
			return e, err
		}
		switch {
		case resigned || exited:
			e.Status = hr.StatusTerminated
		case frozen:
			e.Status = hr.StatusSuspended
		}
	default:
		return e, formatErr(at+"status", "not an object")
	}
	e.Fields = obj
	return e, nil
}

// str reads an optional string member.
func str(obj map[string]any, name, at string) (string, error) {
	switch v := obj[name].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case json.Number:
		if name == "user_id" {
			return v.String(), nil
		}
	}
	return "", formatErr(at+name, "not a string")
}

// checkID applies pkg/hr's rules for an employee id (required, valid
// UTF-8, at most hr.MaxIDLength characters, no control or format
// characters) and returns what is wrong, or "". An empty user_id usually
// means the app lacks the contact:user.employee_id:readonly scope.
func checkID(id string) string {
	if id == "" {
		return "missing: grant the app contact:user.employee_id:readonly"
	}
	if !utf8.ValidString(id) {
		return "is not valid UTF-8"
	}
	if n := utf8.RuneCountInString(id); n > hr.MaxIDLength {
		return fmt.Sprintf("is %d characters long, at most %d allowed", n, hr.MaxIDLength)
	}
	for _, r := range id {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Sprintf("contains the control character %U", r)
		}
	}
	return ""
}
