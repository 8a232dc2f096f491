package dingtalk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ramsync/ramsync/pkg/hr"
)

// parseMessage reads a decrypted message. Keys are matched without case
// (UserId and userId, TimeStamp and timeStamp); two keys equal but for case
// are refused, since which one was meant cannot be known.
func parseMessage(msg []byte) (Push, *FormatError) {
	if !utf8.Valid(msg) {
		return Push{}, &FormatError{Reason: "invalid UTF-8"}
	}
	dec := json.NewDecoder(bytes.NewReader(msg))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return Push{}, &FormatError{Reason: "not a JSON object"}
	}
	if dec.More() {
		return Push{}, &FormatError{Reason: "unexpected data after the JSON object"}
	}
	f := make(map[string]any, len(m))
	for k, v := range m {
		lk := strings.ToLower(k)
		if _, dup := f[lk]; dup {
			return Push{}, &FormatError{Field: k, Reason: "given twice (keys are matched without case)"}
		}
		f[lk] = v
	}

	var p Push
	typ, ok := f["eventtype"].(string)
	if !ok || typ == "" {
		return Push{}, &FormatError{Field: "EventType", Reason: "required, a non-empty string"}
	}
	p.Type = typ
	if v, ok := f["eventid"]; ok {
		id, ok := v.(string)
		if !ok {
			return Push{}, &FormatError{Field: "eventId", Reason: "must be a string"}
		}
		p.EventID = id
	}
	for _, name := range []string{"EventTime", "TimeStamp"} {
		v, ok := f[strings.ToLower(name)]
		if !ok || v == nil {
			continue
		}
		var s string
		switch v := v.(type) {
		case json.Number:
			s = v.String()
		case string:
			s = v
		default:
			return Push{}, &FormatError{Field: name, Reason: "must be epoch milliseconds, a number or a string"}
		}
		t, err := parseMillis(s)
		if err != nil {
			return Push{}, &FormatError{Field: name, Reason: err.Error()}
		}
		p.OccurredAt = t
		break
	}

	var hrType string
	switch typ {
	case TypeCheckURL:
		p.CheckURL = true
		return p, nil
	case TypeUserAdd, TypeUserActive:
		hrType = hr.EventHired
	case TypeUserModify:
		hrType = hr.EventUpdated
	case TypeUserLeave:
		hrType = hr.EventTerminated
	default:
		return p, nil // answered "success", changes nothing
	}
	ids, ferr := userIDs(f["userid"])
	if ferr != nil {
		return Push{}, ferr
	}
	for _, id := range ids {
		p.Events = append(p.Events, Ref{Type: hrType, UserID: id})
	}
	return p, nil
}

// userIDs reads the UserId list: a non-empty array of ids (strings, or
// numbers kept as their text), duplicates dropped.
func userIDs(v any) ([]string, *FormatError) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return nil, &FormatError{Field: "UserId", Reason: "required, a non-empty array of user ids"}
	}
	seen := make(map[string]bool, len(arr))
	ids := make([]string, 0, len(arr))
	for i, e := range arr {
		var id string
		switch e := e.(type) {
		case string:
			id = strings.TrimSpace(e)
		case json.Number:
			id = e.String()
		default:
			return nil, &FormatError{Field: fmt.Sprintf("UserId[%d]", i), Reason: "must be a string"}
		}
		if reason := checkUserID(id); reason != "" {
			return nil, &FormatError{Field: fmt.Sprintf("UserId[%d]", i), Reason: reason}
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// checkUserID applies hr's rules for an employee id to a userid.
func checkUserID(id string) string {
	if id == "" {
		return "empty user id"
	}
	if n := utf8.RuneCountInString(id); n > maxUserIDLength {
		return fmt.Sprintf("user id is %d characters long, at most %d allowed", n, maxUserIDLength)
	}
	for _, r := range id {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Sprintf("user id contains the control character %U", r)
		}
	}
	return ""
}
