package fcruntime

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// The events of the triggers other than HTTP: timer, and EventBridge
// (MNS queues included, which reach functions through EventBridge).

// timerEvent is the timer trigger's event [ALIYUN.md §4.2 SRC].
type timerEvent struct {
	TriggerTime string `json:"triggerTime"`
	TriggerName string `json:"triggerName"`
	Payload     string `json:"payload"`
}

// TimerEvent returns the event a timer trigger sends at t:
// {"triggerTime":"<RFC 3339, UTC, seconds>","triggerName":…,"payload":…},
// payload being the trigger's configured string, verbatim.
func TimerEvent(triggerName, payload string, t time.Time) []byte {
	b, _ := json.Marshal(timerEvent{
		TriggerTime: t.UTC().Format(time.RFC3339),
		TriggerName: triggerName,
		Payload:     payload,
	})
	return b
}

// FireTimer fires a timer trigger now: it invokes the function
// asynchronously, as FC does for timers, with TimerEvent. Scheduling by
// cron expression is left to the caller.
func (rt *Runtime) FireTimer(function, triggerName, payload string, o AsyncOptions) *AsyncHandle {
	return rt.InvokeAsync(function, TimerEvent(triggerName, payload, time.Now()), o)
}

// CloudEvent is an event as EventBridge delivers it to a function
// (CloudEvents 1.0 with Alibaba extensions) [ALIYUN.md §4.2 DOC]. The
// times are strings: aliyunpublishtime is not RFC 3339.
type CloudEvent struct {
	ID                      string          `json:"id"`
	Source                  string          `json:"source"`
	SpecVersion             string          `json:"specversion"`
	Type                    string          `json:"type"`
	Subject                 string          `json:"subject"`
	Time                    string          `json:"time"`
	DataContentType         string          `json:"datacontenttype"`
	AliyunAccountID         string          `json:"aliyunaccountid"`
	AliyunPublishTime       string          `json:"aliyunpublishtime"`
	AliyunOriginalAccountID string          `json:"aliyunoriginalaccountid,omitempty"`
	AliyunEventBusName      string          `json:"aliyuneventbusname"`
	AliyunRegionID          string          `json:"aliyunregionid"`
	AliyunPublishAddr       string          `json:"aliyunpublishaddr"`
	Data                    json.RawMessage `json:"data"`
}

// prc is the zone of the documented example's times ("+08:00", "…PRC").
var prc = time.FixedZone("PRC", 8*60*60)

// EventBridgeEvent returns an event from source on the default bus, with a
// new id and the documented formats: time "2020-11-19T21:04:41+08:00",
// aliyunpublishtime "2020-11-19T21:04:42.179PRC".
func (rt *Runtime) EventBridgeEvent(source, eventType, subject string, data json.RawMessage) CloudEvent {
	now := time.Now().In(prc)
	return CloudEvent{
		ID:                 newUUID(),
		Source:             source,
		SpecVersion:        "1.0",
		Type:               eventType,
		Subject:            subject,
		Time:               now.Format(time.RFC3339),
		DataContentType:    "application/json;charset=utf-8",
		AliyunAccountID:    rt.opts.AccountID,
		AliyunPublishTime:  now.Format("2006-01-02T15:04:05.000") + "PRC",
		AliyunEventBusName: "default",
		AliyunRegionID:     rt.opts.Region,
		AliyunPublishAddr:  "127.0.0.1",
		Data:               data,
	}
}

// MNSQueueEvent returns the event an MNS queue message becomes through an
// EventBridge trigger named trigger of function: type
// "mns:Queue:SendMessage", source "MNS-<function>-<trigger>", data
// {"requestId","messageId","messageBody"} [ALIYUN.md §4.2 SRC
// events/README_MNS_Queue.md].
func (rt *Runtime) MNSQueueEvent(function, trigger, queue, messageBody string) CloudEvent {
	const ms = "2006-01-02T15:04:05.000Z07:00"
	now := time.Now().UTC()
	source := "MNS-" + function + "-" + trigger
	data, _ := json.Marshal(struct {
		RequestID   string `json:"requestId"`
		MessageID   string `json:"messageId"`
		MessageBody string `json:"messageBody"`
	}{strings.ToUpper(randomHex(12)), strings.ToUpper(randomHex(16)), messageBody})
	return CloudEvent{
		ID:                      newUUID(),
		Source:                  source,
		SpecVersion:             "1.0",
		Type:                    "mns:Queue:SendMessage",
		Subject:                 "acs:mns:" + rt.opts.Region + ":" + rt.opts.AccountID + ":queues/" + queue,
		Time:                    now.Format(ms),
		DataContentType:         "application/json; charset=utf-8",
		AliyunAccountID:         rt.opts.AccountID,
		AliyunPublishTime:       now.Format(ms),
		AliyunOriginalAccountID: rt.opts.AccountID,
		AliyunEventBusName:      source,
		AliyunRegionID:          rt.opts.Region,
		AliyunPublishAddr:       "127.0.0.1",
		Data:                    data,
	}
}

// Filter is an eventRuleFilterPattern of exact-match lists,
// {"source":[…],"type":[…]}. An empty list matches everything.
type Filter struct {
	Source []string
	Type   []string
}

// Match reports whether the event passes the filter.
func (f Filter) Match(e CloudEvent) bool {
	return (len(f.Source) == 0 || slices.Contains(f.Source, e.Source)) &&
		(len(f.Type) == 0 || slices.Contains(f.Type, e.Type))
}

// EventBridgeTrigger configures an EventBridge trigger (triggerType
// eventbridge).
type EventBridgeTrigger struct {
	// Streaming selects event streaming: all matching events in one
	// invocation, as a JSON array. Otherwise events are delivered one
	// CloudEvent object per invocation.
	Streaming bool
	// Async invokes asynchronously (asyncInvocationType: true) with Retry.
	Async bool
	Retry AsyncOptions
	// Filter drops the events it does not match.
	Filter Filter
}

// Delivery is one invocation made by DeliverEvents.
type Delivery struct {
	Events []CloudEvent // the events it carried
	Result *Result      // synchronous: as from Invoke
	Err    error        // synchronous: as from Invoke
	Async  *AsyncHandle // asynchronous
}

// DeliverEvents delivers events to the function as its EventBridge
// trigger t does, and returns the invocations made, in order (synchronous
// ones one after the other, under ctx). Events the filter drops cause
// none.
func (rt *Runtime) DeliverEvents(ctx context.Context, function string, t EventBridgeTrigger, events []CloudEvent) []Delivery {
	var batches [][]CloudEvent
	for _, e := range events {
		switch {
		case !t.Filter.Match(e):
		case t.Streaming && len(batches) == 1:
			batches[0] = append(batches[0], e)
		default:
			batches = append(batches, []CloudEvent{e})
		}
	}
	var out []Delivery
	for _, batch := range batches {
		var payload []byte
		if t.Streaming {
			payload, _ = json.Marshal(batch)
		} else {
			payload, _ = json.Marshal(batch[0])
		}
		d := Delivery{Events: batch}
		if t.Async {
			d.Async = rt.InvokeAsync(function, payload, t.Retry)
		} else {
			d.Result, d.Err = rt.Invoke(ctx, function, payload)
		}
		out = append(out, d)
	}
	return out
}
