package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/localrun"
)

// hostileOutcome is one offboarding result (SPEC §4.3).
type hostileOutcome struct {
	Action, ExternalID, UserName, Reason, Error string
}

// TestHostileOffboardingEvents invokes the offboarding function with
// payloads that are not what it expects, or that carry filter syntax. Each
// gets its documented answer: an unusable event is a "rejected" result
// naming what is wrong (not a function error: FC must not retry it), and
// only the named leaver is ever deleted.
func TestHostileOffboardingEvents(t *testing.T) {
	l := start(t, localrun.Options{})
	rt := l.Runtime
	admin := l.Cloud.SeedUser(cloudtest.User{UserName: "admin", DisplayName: "Admin"})
	boss := l.Cloud.SeedUser(cloudtest.User{ExternalID: "E100", UserName: "boss", DisplayName: "Boss"})
	l.Cloud.SeedUser(cloudtest.User{ExternalID: "E5", UserName: "leaver", DisplayName: "Leaver"})
	l.Cloud.SeedUser(cloudtest.User{ExternalID: `E"Q\`, UserName: "quoted", DisplayName: "Quoted"})
	l.Cloud.SetRAM("boss", cloudtest.Blockers{AccessKeys: []cloudtest.AccessKey{{ID: "LTAI5tBOSS", Status: "Active"}}})

	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	ofType := func(typ, data string) string {
		return js(rt.EventBridgeEvent("hr.workday", typ, "employee", json.RawMessage(data)))
	}
	term := func(id string) string {
		return ofType("ramsync:hr:employee.terminated", js(map[string]string{"id": id, "email": "x@example.com"}))
	}
	mns := func(body string) string {
		return js(rt.MNSQueueEvent("offboarding", "leavers", "ramsync-leavers", body))
	}
	const inject = `" or userName eq "admin`
	const rej = "rejected: "

	cases := []struct {
		name, payload string
		want          []string // per result: an action, or "rejected: " and a substring of the reason
		changed       []string // the only users that may change
	}{
		{"not JSON", "nope", []string{rej + "not a JSON object"}, nil},
		{"empty payload", "", []string{rej + "not a JSON object"}, nil},
		{"JSON null", "null", []string{rej + "not a JSON object"}, nil},
		{"another object", `{"hello":1,"id":"E100"}`, []string{rej + "want a CloudEvent"}, nil},
		{"empty array", "[]", []string{rej + "an empty array of events"}, nil},
		{"broken array", "[" + term("E100"), []string{rej + "not a JSON array of events"}, nil},
		{"array of junk", `[1,"E100",null,{"id":"E100"}]`, []string{rej + "event 0: not a JSON object",
			rej + "event 1: not a JSON object", rej + "event 2: not a JSON object", rej + "event 3: want a CloudEvent"}, nil},
		{"array with junk around a leaver", `[{"externalId":["E100"]},` + term("E5") + `,"E100"]`, []string{
			rej + "event 0: externalId: id: must be a string or a number, not an array", "deleted", rej + "event 2: not a JSON object"},
			[]string{"leaver"}},
		{"CloudEvent of another type", ofType("ramsync:hr:employee.hired", `{"id":"E100"}`), []string{rej + `type "ramsync:hr:employee.hired" is not a termination`}, nil},
		{"type that only starts right", ofType("ramsync:hr:employee.terminated.undo", `{"id":"E100"}`), []string{rej + "is not a termination"}, nil},
		{"data not an object", ofType("ramsync:hr:employee.terminated", `"E100"`), []string{rej + "data: must be an object, not a string"}, nil},
		{"data with two ids", ofType("ramsync:hr:employee.terminated", `{"id":"E999","id":"E100"}`), []string{rej + "data: id: duplicate key"}, nil},
		{"data id with filter syntax", term(`E100" or userName eq "boss`), []string{"already absent"}, nil},
		{"MNS body not an event", mns("hello"), []string{rej + "data.messageBody: not a JSON object"}, nil},
		{"MNS body a hire", mns(ofType("ramsync:hr:employee.hired", `{"id":"E100"}`)), []string{rej + "data.messageBody: type"}, nil},
		{"MNS body empty", mns(""), []string{rej + "data.messageBody: want the MNS message body holding an event"}, nil},
		{"MNS inside MNS", mns(mns(term("E100"))), []string{rej + "data.messageBody: an MNS message inside an MNS message"}, nil},
		{"direct: filter syntax", js(map[string]string{"externalId": inject}), []string{"already absent"}, nil},
		{"direct: the boss's id and more", js(map[string]string{"externalId": `E100" or externalId eq "E100`}), []string{"already absent"}, nil},
		{"direct: quote and backslash", js(map[string]string{"externalId": `E"Q\`}), []string{"deleted"}, []string{"quoted"}},
		{"direct: null id", `{"externalId":null}`, []string{rej + "externalId: id: required"}, nil},
		{"direct: object id", `{"externalId":{"eq":"E100"}}`, []string{rej + "externalId: id: must be a string or a number, not an object"}, nil},
		{"direct: control character", `{"externalId":"E100\u0007"}`, []string{rej + "contains the control character U+0007"}, nil},
		{"direct: 129 characters", js(map[string]string{"externalId": strings.Repeat("E", 129)}), []string{rej + "is 129 characters long, at most 128 allowed"}, nil},
	}
	events := 0
	defer func() { t.Logf("RELIABILITY suite=%s cases=%d events=%d", t.Name(), len(cases), events) }()
	for _, tc := range cases {
		events += len(tc.want)
		writes, before := l.Cloud.Counters().SCIMWrites(), l.Cloud.Users()
		res, err := rt.Invoke(context.Background(), "offboarding", []byte(tc.payload))
		if err != nil || res.Err != nil {
			t.Fatalf("%s: %v / function error %v", tc.name, err, res.Err)
		}
		var batch struct{ Results []hostileOutcome }
		var one hostileOutcome
		got := batch.Results
		if json.Unmarshal(res.Payload, &batch) == nil && batch.Results != nil {
			got = batch.Results
		} else if err := json.Unmarshal(res.Payload, &one); err == nil {
			got = []hostileOutcome{one}
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: %s, want %d results", tc.name, res.Payload, len(tc.want))
			continue
		}
		rejected := 0
		for i, w := range tc.want {
			r := got[i]
			if reason, ok := strings.CutPrefix(w, rej); ok {
				rejected++
				if r.Action != "rejected" || !strings.Contains(r.Reason, reason) {
					t.Errorf("%s[%d]: %+v, want rejected with a reason containing %q", tc.name, i, r, reason)
				}
			} else if r.Action != w || r.Error != "" {
				t.Errorf("%s[%d]: %+v, want %s", tc.name, i, r, w)
			}
		}
		if n := l.Cloud.Counters().SCIMWrites() - writes; n != int64(len(tc.changed)) {
			t.Errorf("%s: %d SCIM writes, want %d", tc.name, n, len(tc.changed))
		}
		if ch := changedUsers(before, l.Cloud.Users()); !slices.Equal(ch, tc.changed) {
			t.Errorf("%s: users changed: %q, want %q", tc.name, ch, tc.changed)
		}
	}
	u := users(l.Cloud)
	if u["admin"] != admin || u["boss"] != boss || len(u) != 2 {
		t.Errorf("users left: %v; want admin and boss untouched", u)
	}
	if got := l.Cloud.RAM("boss"); len(got.AccessKeys) != 1 || got.AccessKeys[0].Status != "Active" {
		t.Errorf("boss's AccessKey: %+v, want it active", got.AccessKeys)
	}
}
