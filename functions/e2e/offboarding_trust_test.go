package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/localrun"
)

// TestOffboardingTrustBoundary: EVENT_SOURCES limits who can make
// offboarding act, and EVENT_MAX_AGE refuses old events (SPEC rule 5d,
// issue 12 item 2).
func TestOffboardingTrustBoundary(t *testing.T) {
	l := start(t, localrun.Options{FuncEnv: map[string]map[string]string{"offboarding": {"EVENT_SOURCES": "hr.workday, MNS-offboarding-hrTerminations"}}})
	srv := l.Cloud
	for _, n := range []string{"one", "two", "three", "four", "five"} {
		srv.SeedUser(cloudtest.User{ExternalID: "E-" + n, UserName: n, DisplayName: n, Created: time.Now().Add(-200 * time.Hour)})
	}
	rt := l.Runtime
	ev := func(source, id string, data string) []byte {
		e := rt.EventBridgeEvent(source, "ramsync:hr:employee.terminated", "employee/"+id, json.RawMessage(data))
		b, _ := json.Marshal(e)
		return b
	}
	w := writes(srv)
	r := invokeOffboarding(t, l, ev("hr.evil", "E-one", `{"id":"E-one","email":"one@example.com"}`))
	if r.Action != "rejected" || !strings.Contains(r.Reason, "EVENT_SOURCES") || writes(srv) != w {
		t.Fatalf("an unlisted source: %+v, %d writes", r, writes(srv)-w)
	}
	if r := invokeOffboarding(t, l, ev("hr.workday", "E-one", `{"id":"E-one","email":"one@example.com"}`)); r.Action != "deleted" {
		t.Fatalf("a listed source: %+v", r)
	}
	// Through a queue: the MNS envelope's source is listed.
	inner := ev("hr.other", "E-two", `{"id":"E-two","email":"two@example.com"}`)
	mns, _ := json.Marshal(rt.MNSQueueEvent("offboarding", "hrTerminations", "ramsync-hr", string(inner)))
	if r := invokeOffboarding(t, l, mns); r.Action != "deleted" {
		t.Fatalf("through the listed queue: %+v", r)
	}
	other, _ := json.Marshal(rt.MNSQueueEvent("offboarding", "otherQueue", "ramsync-hr", string(ev("hr.other", "E-five", `{"id":"E-five"}`))))
	if r := invokeOffboarding(t, l, other); r.Action != "rejected" || !strings.Contains(r.Reason, "EVENT_SOURCES") {
		t.Fatalf("through an unlisted queue with an unlisted source: %+v", r)
	}

	// data.occurredAt older than EVENT_MAX_AGE (72h): stale, nothing written.
	w = writes(srv)
	old := time.Now().Add(-73 * time.Hour).UTC().Format(time.RFC3339)
	r = invokeOffboarding(t, l, ev("hr.workday", "E-three", `{"id":"E-three","email":"three@example.com","occurredAt":"`+old+`"}`))
	if r.Action != "skipped" || !strings.HasPrefix(r.Reason, "stale:") || writes(srv) != w {
		t.Fatalf("an old event: %+v, %d writes", r, writes(srv)-w)
	}
	// data.occurredAt wins over the CloudEvent time; a bad one is refused.
	r = invokeOffboarding(t, l, ev("hr.workday", "E-four", `{"id":"E-four","email":"four@example.com","occurredAt":"yesterday"}`))
	if r.Action != "rejected" || !strings.Contains(r.Reason, "data.occurredAt") || writes(srv) != w {
		t.Fatalf("a bad occurredAt: %+v", r)
	}
	// A direct invocation needs the right to invoke the function: no source.
	if r := invokeOffboarding(t, l, []byte(`{"externalId":"E-five"}`)); r.Action != "deleted" {
		t.Fatalf("direct: %+v", r)
	}
}
