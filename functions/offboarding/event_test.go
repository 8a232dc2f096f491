package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeFormats(t *testing.T) {
	eb, mns := read(t, "eventbridge.json"), read(t, "mns-queue.json")
	tests := []struct {
		name    string
		payload string
		batch   bool
		ids     []string // employee ids; "!" prefix = error containing the rest
	}{
		{"EventBridge CloudEvent", string(eb), false, []string{"E1001"}},
		{"MNS queue message through EventBridge", string(mns), false, []string{"E1002"}},
		{"event streaming array", "[" + string(eb) + "," + string(mns) + "]", true, []string{"E1001", "E1002"}},
		{"direct", `{"externalId": "E1003"}`, false, []string{"E1003"}},
		{"direct, numeric id", `{"externalId": 1004}`, false, []string{"1004"}},
		{"direct, empty id", `{"externalId": ""}`, false, []string{"!externalId"}},
		{"other event type", strings.Replace(string(eb), "employee.terminated", "employee.hired", 1), false, []string{"!is not a termination"}},
		{"data without id", strings.Replace(string(eb), `"id": "E1001", `, "", 1), false, []string{"!data: id"}},
		{"not JSON", "nope", false, []string{"!not a JSON object"}},
		{"something else", `{"hello": 1}`, false, []string{"!want a CloudEvent"}},
		{"array with a bad one", "[" + string(eb) + `, 3]`, true, []string{"E1001", "!event 1"}},
		{"duplicate type", `{"specversion":"1.0","type":"employee.hired","type":"x.employee.terminated","data":{"id":"E1"}}`, false, []string{`!"type": duplicate key`}},
		{"duplicate externalId", `{"externalId":"E1","externalId":"E2"}`, false, []string{`!"externalId": duplicate key`}},
		{"attribute names are exact", `{"specversion":"1.0","Type":"x.employee.terminated","data":{"id":"E1"}}`, false, []string{"!is not a termination"}},
		{"MNS body that is not an event", strings.Replace(string(mns), `"messageBody": "{`, `"messageBody": "x{`, 1), false, []string{"!data.messageBody"}},
	}
	for _, tt := range tests {
		ls, batch, err := decode([]byte(tt.payload))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if batch != tt.batch || len(ls) != len(tt.ids) {
			t.Errorf("%s: batch=%v, %d leavers; want %v, %d", tt.name, batch, len(ls), tt.batch, len(tt.ids))
			continue
		}
		for i, want := range tt.ids {
			l := ls[i]
			if strings.HasPrefix(want, "!") {
				if l.Err == nil || !strings.Contains(l.Err.Error(), want[1:]) {
					t.Errorf("%s[%d]: err = %v, want it to contain %q", tt.name, i, l.Err, want[1:])
				}
				continue
			}
			if l.Err != nil || l.Employee.ID != want || l.Employee.Status != "terminated" {
				t.Errorf("%s[%d]: %+v, %v; want employee %s, terminated", tt.name, i, l.Employee, l.Err, want)
			}
		}
	}
	if _, _, err := decode([]byte("[]")); err == nil {
		t.Error("an empty array was accepted")
	}
}
