package dingtalk

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/hr"
)

// TestEvents turns opened pushes into hr events against the double: hires
// and updates fetch the user, a leaver is its id alone (no fetch), and the
// time is the push's.
func TestEvents(t *testing.T) {
	dt := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{RateLimit: -1})
	defer dt.Close()
	dt.AddUser(cloudtest.DingTalkUser{UserID: "u1", Name: "Li Wei", OrgEmail: "li.wei@corp.example.com", Email: "li@home.example.com",
		JobNumber: "J1", Active: false, Extra: map[string]any{"hired_date": 1606126433000, "role_list": []any{map[string]any{"id": 1, "name": "dev"}}}})
	dt.AddUser(cloudtest.DingTalkUser{UserID: "u2", Name: "Wang Fang", Email: "wang@corp.example.com", Active: true})
	c, _ := newClient(t, dt, nil)
	ctx := context.Background()
	at := now.Add(-time.Minute)

	tests := []struct {
		name      string
		push      Push
		wantTypes []string
		wantGets  int
	}{
		{"add", Push{Type: TypeUserAdd, OccurredAt: at, Events: []Ref{{hr.EventHired, "u1"}, {hr.EventHired, "u2"}}}, []string{hr.EventHired, hr.EventHired}, 2},
		{"active", Push{Type: TypeUserActive, OccurredAt: at, Events: []Ref{{hr.EventHired, "u2"}}}, []string{hr.EventHired}, 1},
		{"modify", Push{Type: TypeUserModify, EventID: "ev-1", OccurredAt: at, Events: []Ref{{hr.EventUpdated, "u1"}}}, []string{hr.EventUpdated}, 1},
		{"leave, id only", Push{Type: TypeUserLeave, OccurredAt: at, Events: []Ref{{hr.EventTerminated, "gone-1"}, {hr.EventTerminated, "u2"}}}, []string{hr.EventTerminated, hr.EventTerminated}, 0},
		{"check_url", Push{Type: TypeCheckURL, CheckURL: true}, nil, 0},
		{"unknown type", Push{Type: "org_dept_create", OccurredAt: at}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := dt.Calls(APIUserGet)
			evs, err := c.Events(ctx, tt.push)
			if err != nil {
				t.Fatal(err)
			}
			if got := dt.Calls(APIUserGet) - before; got != tt.wantGets {
				t.Errorf("%d user/get calls, want %d", got, tt.wantGets)
			}
			if len(evs) != len(tt.wantTypes) {
				t.Fatalf("%d events, want %d", len(evs), len(tt.wantTypes))
			}
			for i, ev := range evs {
				ref := tt.push.Events[i]
				if ev.Type != tt.wantTypes[i] || ev.Source != "dingtalk" || !ev.OccurredAt.Equal(at) || ev.ID != tt.push.EventID || ev.Employee.ID != ref.UserID {
					t.Errorf("event %d = %+v", i, ev)
				}
				if ev.Type == hr.EventTerminated {
					if ev.Employee.Status != hr.StatusTerminated || len(ev.Employee.Fields) != 1 || ev.Employee.Fields["userid"] != ref.UserID {
						t.Errorf("leaver %+v, want the id alone", ev.Employee)
					}
				} else if ev.Employee.Status != hr.StatusActive {
					t.Errorf("%s: status %s; active never affects it", ref.UserID, ev.Employee.Status)
				}
			}
		})
	}

	// The fetched record: org_email wins, the whole result in Fields with
	// JSON types kept.
	evs, err := c.Events(ctx, Push{Type: TypeUserAdd, Events: []Ref{{hr.EventHired, "u1"}}})
	if err != nil {
		t.Fatal(err)
	}
	e := evs[0].Employee
	if e.Email != "li.wei@corp.example.com" || e.DisplayName != "Li Wei" || e.Fields["job_number"] != "J1" || e.Fields["active"] != false {
		t.Errorf("employee %+v", e)
	}
	if n, ok := e.Fields["hired_date"].(json.Number); !ok || n.String() != "1606126433000" {
		t.Errorf("hired_date = %#v, want json.Number", e.Fields["hired_date"])
	}
	if roles, ok := e.Fields["role_list"].([]any); !ok || len(roles) != 1 {
		t.Errorf("role_list = %#v", e.Fields["role_list"])
	} else if _, ok := roles[0].(map[string]any); !ok {
		t.Errorf("role_list[0] is %T, want map[string]any", roles[0])
	}
}

// TestEventsFailures: a user gone for good refuses that event alone; a
// transient failure refuses the push, so DingTalk redelivers it.
func TestEventsFailures(t *testing.T) {
	dt := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{RateLimit: -1})
	defer dt.Close()
	dt.AddUser(cloudtest.DingTalkUser{UserID: "u1", Name: "A"})
	dt.AddUser(cloudtest.DingTalkUser{UserID: "u3", Name: "C"})
	c, _ := newClient(t, dt, func(c *Config) { c.Retries = 2 })
	ctx := context.Background()
	p := Push{Type: TypeUserAdd, Events: []Ref{{hr.EventHired, "u1"}, {hr.EventHired, "nobody"}, {hr.EventHired, "u3"}}}

	evs, err := c.Events(ctx, p)
	var ee *EventsError
	if !errors.As(err, &ee) || len(ee.Failed) != 1 || ee.Failed[0].UserID != "nobody" {
		t.Fatalf("Events error %v, want an EventsError for nobody", err)
	}
	if !errors.Is(err, ErrUserGone) || IsTransient(err) {
		t.Errorf("gone user: Is(ErrUserGone) %v, transient %v", errors.Is(err, ErrUserGone), IsTransient(err))
	}
	if len(evs) != 2 || evs[0].Employee.ID != "u1" || evs[1].Employee.ID != "u3" {
		t.Errorf("events %+v, want u1 and u3", evs)
	}

	for _, f := range []cloudtest.DingTalkFault{{Status: 500}, {ErrCode: 90018}, {ErrCode: -1, ErrMsg: "系统繁忙"}, {ErrCode: 60011}} {
		dt.Fail(APIUserGet, dt.Calls(APIUserGet)+1, 30, f) // every fetch fails
		evs, err := c.Events(ctx, p)
		if evs != nil || !IsTransient(err) {
			t.Errorf("fault %+v: Events = %d events, %v (transient %v); want none and a transient error", f, len(evs), err, IsTransient(err))
		}
		var fe *FetchError
		if !errors.As(err, &fe) || (fe.UserID != "u1" && fe.UserID != "nobody" && fe.UserID != "u3") {
			t.Errorf("fault %+v: error %v does not name the user", f, err)
		}
		dt.ClearFaults()
	}
}
