package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

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
	Err      error // why the event cannot be used (terminal)
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
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil {
		return leaver{Err: fmt.Errorf("not a JSON object: %v", err)}
	}
	if _, ok := probe["specversion"]; !ok {
		if _, direct := probe["externalId"]; direct {
			return decodeDirect(raw)
		}
		return leaver{Err: errors.New(`want a CloudEvent (with specversion) or {"externalId": "…"}`)}
	}
	var ev CloudEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return leaver{Err: fmt.Errorf("not a CloudEvent: %v", err)}
	}
	l := leaver{EventID: ev.ID}
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
		if inner.Err != nil {
			inner.Err = fmt.Errorf("data.messageBody: %w", inner.Err)
		}
		return inner
	case !strings.HasSuffix(ev.Type, terminatedSuffix):
		l.Err = fmt.Errorf("type %q is not a termination (want a type ending in %s)", ev.Type, terminatedSuffix)
		return l
	}
	emp, err := hr.DecodeEmployee(ev.Data)
	if err != nil {
		l.Err = fmt.Errorf("data: %w", err)
		l.Employee.ID = emp.ID
		return l
	}
	emp.Status = hr.StatusTerminated
	l.Employee = emp
	return l
}

func decodeDirect(raw []byte) leaver {
	var d struct {
		ExternalID json.RawMessage `json:"externalId"`
	}
	_ = json.Unmarshal(raw, &d)
	emp, err := hr.DecodeEmployee([]byte(`{"id":` + string(d.ExternalID) + `}`))
	if err != nil {
		return leaver{Err: fmt.Errorf("externalId: %w", err)}
	}
	emp.Status = hr.StatusTerminated
	return leaver{Employee: emp}
}
