package fcruntime

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"testing"
	"time"
)

func TestTimerEvent(t *testing.T) {
	at := time.Date(2022, 7, 29, 18, 2, 58, 123, time.FixedZone("CST", 8*60*60))
	got := string(TimerEvent("TestTimer", "TestPayload", at))
	want := `{"triggerTime":"2022-07-29T10:02:58Z","triggerName":"TestTimer","payload":"TestPayload"}`
	if got != want {
		t.Errorf("TimerEvent:\n got %s\nwant %s", got, want)
	}

	rt := newRuntime(t, Function{Name: "echo"})
	out := waitAsync(t, rt.FireTimer("echo", "nightly", "reconcile", AsyncOptions{}))
	if out.Destination != OnSuccess {
		t.Fatalf("outcome = %+v", out)
	}
	var r reply
	if err := json.Unmarshal(out.Attempts[0].Result.Payload, &r); err != nil {
		t.Fatal(err)
	}
	var ev timerEvent
	if err := json.Unmarshal(r.Payload, &ev); err != nil || ev.TriggerName != "nightly" || ev.Payload != "reconcile" {
		t.Errorf("event %s: %v", r.Payload, err)
	}
	if _, err := time.Parse(time.RFC3339, ev.TriggerTime); err != nil {
		t.Errorf("triggerTime %q: %v", ev.TriggerTime, err)
	}
}

func TestEventBridgeEvent(t *testing.T) {
	rt := New(testOptions)
	defer rt.Close()
	e := rt.EventBridgeEvent("acs.oss", "oss:ObjectCreated:PutObject", "acs.oss:cn-shanghai:1357924680135792:bucket/x", json.RawMessage(`{"k":1}`))
	if e.SpecVersion != "1.0" || e.DataContentType != "application/json;charset=utf-8" ||
		e.AliyunAccountID != "1357924680135792" || e.AliyunRegionID != "cn-shanghai" ||
		e.AliyunEventBusName != "default" || e.ID == "" {
		t.Errorf("event = %+v", e)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}PRC$`).MatchString(e.AliyunPublishTime) {
		t.Errorf("aliyunpublishtime %q", e.AliyunPublishTime)
	}
	if tm, err := time.Parse(time.RFC3339, e.Time); err != nil || e.Time[len(e.Time)-6:] != "+08:00" || time.Since(tm) > time.Minute {
		t.Errorf("time %q: %v", e.Time, err)
	}
	b, _ := json.Marshal(e)
	if !regexp.MustCompile(`"data":\{"k":1\}`).Match(b) {
		t.Errorf("json %s", b)
	}
}

func TestMNSQueueEvent(t *testing.T) {
	rt := New(testOptions)
	defer rt.Close()
	e := rt.MNSQueueEvent("offboarding", "leavers", "hr-leavers", `{"employeeId":"E1"}`)
	if e.Type != "mns:Queue:SendMessage" || e.Source != "MNS-offboarding-leavers" ||
		e.AliyunEventBusName != "MNS-offboarding-leavers" ||
		e.Subject != "acs:mns:cn-shanghai:1357924680135792:queues/hr-leavers" {
		t.Errorf("event = %+v", e)
	}
	var data struct{ RequestID, MessageID, MessageBody string }
	if err := json.Unmarshal(e.Data, &data); err != nil || data.MessageBody != `{"employeeId":"E1"}` ||
		data.RequestID == "" || data.MessageID == "" {
		t.Errorf("data %s: %v", e.Data, err)
	}
	got, _ := json.Marshal(e)
	// The fields of the MNS queue event example in the SDK's
	// events/README_MNS_Queue.md (ALIYUN.md §4.2).
	example := []string{"aliyunaccountid", "aliyuneventbusname", "aliyunoriginalaccountid", "aliyunpublishaddr", "aliyunpublishtime", "aliyunregionid", "data", "datacontenttype", "id", "source", "specversion", "subject", "time", "type"}
	if g, w := keys(t, got), example; !slices.Equal(g, w) {
		t.Errorf("fields differ from the SDK's example:\n got %v\nwant %v", g, w)
	}
	if g, w := keys(t, e.Data), keys(t, []byte(`{"requestId":"","messageId":"","messageBody":""}`)); !slices.Equal(g, w) {
		t.Errorf("data fields %v, want %v", g, w)
	}
}

// keys returns the sorted top-level keys of a JSON object.
func keys(t *testing.T, doc []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestDeliverEvents(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo"})
	ctx := context.Background()
	a := rt.EventBridgeEvent("acs.oss", "oss:ObjectCreated:PutObject", "", json.RawMessage(`{"n":1}`))
	b := rt.EventBridgeEvent("acs.oss", "oss:ObjectRemoved:DeleteObject", "", json.RawMessage(`{"n":2}`))
	c := rt.EventBridgeEvent("acs.ecs", "ecs:Instance:StateChange", "", json.RawMessage(`{"n":3}`))
	m := rt.MNSQueueEvent("echo", "q", "queue", "hello")
	all := []CloudEvent{a, b, c, m}

	// Event-driven: one object per invocation.
	ds := rt.DeliverEvents(ctx, "echo", EventBridgeTrigger{}, all)
	if len(ds) != 4 {
		t.Fatalf("%d deliveries, want 4", len(ds))
	}
	for i, d := range ds {
		var ev CloudEvent
		if d.Err != nil || d.Result.Err != nil || json.Unmarshal(echoPayload(t, d.Result.Payload), &ev) != nil ||
			ev.ID != all[i].ID || len(d.Events) != 1 {
			t.Errorf("delivery %d: %+v", i, d)
		}
	}

	// Streaming with a filter: one array of the matching events.
	f := Filter{Source: []string{"acs.oss", "MNS-echo-q"}, Type: []string{"oss:ObjectCreated:PutObject", "mns:Queue:SendMessage"}}
	ds = rt.DeliverEvents(ctx, "echo", EventBridgeTrigger{Streaming: true, Filter: f}, all)
	if len(ds) != 1 || ds[0].Err != nil {
		t.Fatalf("deliveries = %+v", ds)
	}
	var batch []CloudEvent
	if err := json.Unmarshal(echoPayload(t, ds[0].Result.Payload), &batch); err != nil {
		t.Fatal(err)
	}
	if len(batch) != 2 || batch[0].ID != a.ID || batch[1].ID != m.ID || batch[1].Type != "mns:Queue:SendMessage" {
		t.Errorf("batch = %+v", batch)
	}

	// Nothing matches: no invocation.
	before := rt.Counters("echo").Invocations
	if ds := rt.DeliverEvents(ctx, "echo", EventBridgeTrigger{Filter: Filter{Source: []string{"acs.none"}}}, all); len(ds) != 0 {
		t.Errorf("deliveries = %+v", ds)
	}
	if rt.Counters("echo").Invocations != before {
		t.Error("a filtered event invoked the function")
	}

	// Asynchronous.
	ds = rt.DeliverEvents(ctx, "echo", EventBridgeTrigger{Async: true, Filter: Filter{Type: []string{c.Type}}}, all)
	if len(ds) != 1 || ds[0].Async == nil {
		t.Fatalf("deliveries = %+v", ds)
	}
	if out := waitAsync(t, ds[0].Async); out.Destination != OnSuccess {
		t.Errorf("outcome = %+v", out)
	}
}

// echoPayload returns the payload the echo function received.
func echoPayload(t *testing.T, result []byte) []byte {
	t.Helper()
	var r reply
	if err := json.Unmarshal(result, &r); err != nil {
		t.Fatalf("reply %s: %v", result, err)
	}
	return r.Payload
}
