package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ramsync/ramsync/pkg/hr"
)

// CloudEvent is an EventBridge event (CloudEvents 1.0 JSON). Times stay
// strings: EventBridge's aliyunpublishtime is not RFC 3339 (the SDK's
// time.Time fields fail on it).
type CloudEvent struct {
	ID                string          `json:"id"`
	Source            string          `json:"source"`
	SpecVersion       string          `json:"specversion"`
	Type              string          `json:"type"`
	Subject           string          `json:"subject"`
	Time              string          `json:"time"`
	DataContentType   string          `json:"datacontenttype"`
	AliyunPublishTime string          `json:"aliyunpublishtime"`
	AliyunEventBus    string          `json:"aliyuneventbusname"`
	Data              json.RawMessage `json:"data"`
}

// mnsQueueData is the data of an MNS queue message delivered through
// EventBridge (type mns:Queue:SendMessage).
type mnsQueueData struct {
	RequestID   string `json:"requestId"`
	MessageID   string `json:"messageId"`
	MessageBody string `json:"messageBody"`
}

// terminatedSuffix is the end of the event type ramsync acts on.
const terminatedSuffix = "employee.terminated"

// leaver is one termination read from an event.
type leaver struct {
	EventID  string
	Employee hr.Employee
	// OccurredAt is data.occurredAt, else the CloudEvent's time (SPEC rule
	// 5d); zero when neither is given.
	OccurredAt time.Time
	// Sources are the CloudEvents sources on the way: the event's, and
	// the MNS envelope's when it came through a queue.
	Sources []string
	// Direct is a direct invocation {"externalId": …}: it names the
	// externalId itself, not an HR record.
	Direct bool
	Err    error // why the event cannot be used (terminal)
}

// decode reads the three accepted formats: a CloudEvent, an array of them
// (event-streaming delivery), an MNS queue message whose body is such an
// event, and a direct {"externalId": …}.
func decode(payload []byte) ([]leaver, bool, error) {
	payload = bytes.TrimSpace(payload)
	if len(payload) > 0 && payload[0] == '[' {
		var raws []json.RawMessage
		if err := json.Unmarshal(payload, &raws); err != nil {
			return nil, true, fmt.Errorf("not a JSON array of events: %v", err)
		}
		if len(raws) == 0 {
			return nil, true, errors.New("an empty array of events")
		}
		out := make([]leaver, len(raws))
		for i, raw := range raws {
			out[i] = decodeOne(raw, 0)
			if out[i].Err != nil {
				out[i].Err = fmt.Errorf("event %d: %w", i, out[i].Err)
			}
		}
		return out, true, nil
	}
	return []leaver{decodeOne(payload, 0)}, false, nil
}

func decodeOne(raw []byte, depth int) leaver {
	probe, err := object(raw)
	if err != nil {
		return leaver{Err: err}
	}
	if _, ok := probe["specversion"]; !ok {
		if _, direct := probe["externalId"]; direct {
			return decodeDirect(probe)
		}
		return leaver{Err: errors.New(`want a CloudEvent (with specversion) or {"externalId": "…"}`)}
	}
	ev, err := cloudEvent(probe)
	if err != nil {
		return leaver{Err: err}
	}
	l := leaver{EventID: cut(ev.ID, 256)}
	switch {
	case ev.Type == "mns:Queue:SendMessage" || strings.HasPrefix(ev.Source, "MNS-"):
		if depth > 0 {
			l.Err = errors.New("an MNS message inside an MNS message")
			return l
		}
		var d mnsQueueData
		if err := json.Unmarshal(ev.Data, &d); err != nil || d.MessageBody == "" {
			l.Err = errors.New("data.messageBody: want the MNS message body holding an event")
			return l
		}
		inner := decodeOne([]byte(d.MessageBody), depth+1)
		if inner.EventID == "" {
			inner.EventID = ev.ID
		}
		if inner.Direct {
			inner.Err = errors.New("data.messageBody: a direct {\"externalId\"} invocation cannot come through a queue; send a CloudEvent")
		}
		inner.Sources = append(inner.Sources, ev.Source)
		if inner.Err != nil {
			inner.Err = fmt.Errorf("data.messageBody: %w", inner.Err)
		}
		return inner
	case !strings.HasSuffix(ev.Type, terminatedSuffix):
		l.Err = fmt.Errorf("type %.64q is not a termination (want a type ending in %s)", ev.Type, terminatedSuffix)
		return l
	}
	l.Sources = []string{ev.Source}
	emp, err := hr.DecodeEmployee(ev.Data)
	if err != nil {
		l.Err = fmt.Errorf("data: %w", err)
		l.Employee.ID = emp.ID
		return l
	}
	emp.Status = hr.StatusTerminated
	l.Employee = emp
	l.OccurredAt, l.Err = eventTime(ev)
	return l
}

// eventTime is where rule 5d says an event's time is: data.occurredAt,
// else the CloudEvent's time.
func eventTime(ev CloudEvent) (time.Time, error) {
	var data struct {
		OccurredAt *string `json:"occurredAt"`
	}
	_ = json.Unmarshal(ev.Data, &data) // the employee decoded already
	field, v := "data.occurredAt", ""
	switch {
	case data.OccurredAt != nil:
		v = *data.OccurredAt
	case ev.Time != "":
		field, v = "time", ev.Time
	default:
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(v))
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: must be an RFC 3339 time, not %.64q", field, v)
	}
	return t.UTC(), nil
}

func decodeDirect(probe map[string]json.RawMessage) leaver {
	emp, err := hr.DecodeEmployee([]byte(`{"id":` + string(probe["externalId"]) + `}`))
	if err != nil {
		return leaver{Err: fmt.Errorf("externalId: %w", err)}
	}
	emp.Status = hr.StatusTerminated
	return leaver{Employee: emp, Direct: true}
}

// object reads a JSON object's members, exactly as named: a key given
// twice (which one was meant is unknowable) is an error, and so is
// anything but one object.
func object(raw []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	m := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("not a JSON object: %v", err)
		}
		key := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("not a JSON object: %v", err)
		}
		if _, dup := m[key]; dup {
			return nil, fmt.Errorf("%.64q: duplicate key", key)
		}
		m[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("not a JSON object: data after it")
	}
	return m, nil
}

// cloudEvent reads the CloudEvent attributes ramsync uses, by their exact
// names (encoding/json would also take "Type" for "type").
func cloudEvent(m map[string]json.RawMessage) (CloudEvent, error) {
	var ev CloudEvent
	for name, dst := range map[string]*string{"id": &ev.ID, "source": &ev.Source, "specversion": &ev.SpecVersion, "type": &ev.Type, "time": &ev.Time} {
		raw, ok := m[name]
		if !ok || string(raw) == "null" {
			continue
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return ev, fmt.Errorf("not a CloudEvent: %s must be a string", name)
		}
	}
	ev.Data = m["data"]
	return ev, nil
}

// cut shortens s to n characters: an event id is echoed in results and logs.
func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
