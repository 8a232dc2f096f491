package feishu_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/feishu"
	"github.com/ramsync/ramsync/pkg/hr"
)

// TestEventMapping: each contact event becomes the hr event SPEC §4.6
// names, with the Feishu user object as the record.
func TestEventMapping(t *testing.T) {
	app := testApp()
	at := time.Date(2026, 11, 30, 8, 59, 0, 123e6, time.UTC)
	user := func(st *cloudtest.FeishuUserStatus) cloudtest.FeishuUser {
		return cloudtest.FeishuUser{UserID: " u1 ", OpenID: "ou_1", Name: "Li Wei", Email: "liwei@gmail.example", EnterpriseEmail: "li.wei@corp.example.com",
			Status: st, Extra: map[string]any{"join_time": 1608725989, "employee_type": 1}}
	}
	active := &cloudtest.FeishuUserStatus{IsActivated: true}
	type want struct {
		typ    string
		status hr.Status
		email  string
	}
	cases := []struct {
		name  string
		event string
		user  cloudtest.FeishuUser
		want  *want // nil: no event
	}{
		{"created", feishu.EventUserCreated, user(active), &want{hr.EventHired, hr.StatusActive, "li.wei@corp.example.com"}},
		{"created, not activated, not joined", feishu.EventUserCreated, user(&cloudtest.FeishuUserStatus{IsUnjoin: true}), &want{hr.EventHired, hr.StatusActive, "li.wei@corp.example.com"}},
		{"updated, active", feishu.EventUserUpdated, user(active), &want{hr.EventUpdated, hr.StatusActive, "li.wei@corp.example.com"}},
		{"updated, not activated", feishu.EventUserUpdated, user(&cloudtest.FeishuUserStatus{IsActivated: false, IsUnjoin: true}), &want{hr.EventUpdated, hr.StatusActive, "li.wei@corp.example.com"}},
		{"updated, no status", feishu.EventUserUpdated, user(nil), &want{hr.EventUpdated, hr.StatusActive, "li.wei@corp.example.com"}},
		{"updated, resigned", feishu.EventUserUpdated, user(&cloudtest.FeishuUserStatus{IsResigned: true}), &want{hr.EventTerminated, hr.StatusTerminated, "li.wei@corp.example.com"}},
		{"updated, exited", feishu.EventUserUpdated, user(&cloudtest.FeishuUserStatus{IsExited: true, IsActivated: true}), &want{hr.EventTerminated, hr.StatusTerminated, "li.wei@corp.example.com"}},
		{"updated, frozen", feishu.EventUserUpdated, user(&cloudtest.FeishuUserStatus{IsFrozen: true, IsActivated: true}), &want{hr.EventSuspended, hr.StatusSuspended, "li.wei@corp.example.com"}},
		{"updated, frozen and resigned", feishu.EventUserUpdated, user(&cloudtest.FeishuUserStatus{IsFrozen: true, IsResigned: true}), &want{hr.EventTerminated, hr.StatusTerminated, "li.wei@corp.example.com"}},
		{"updated, no enterprise email", feishu.EventUserUpdated, cloudtest.FeishuUser{UserID: "u1", Email: "liwei@gmail.example", Status: active}, &want{hr.EventUpdated, hr.StatusActive, "liwei@gmail.example"}},
		{"deleted, full record", feishu.EventUserDeleted, user(active), &want{hr.EventTerminated, hr.StatusTerminated, "li.wei@corp.example.com"}},
		{"deleted, id only", feishu.EventUserDeleted, cloudtest.FeishuUser{UserID: "u1"}, &want{hr.EventTerminated, hr.StatusTerminated, ""}},
		{"unknown type", "im.message.receive_v1", user(active), nil},
		{"department event", "contact.department.created_v3", cloudtest.FeishuUser{}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := app.EncryptPush(app.Event(cloudtest.FeishuEvent{ID: "ev-42", Type: tc.event, CreateTime: at, User: tc.user}), now)
			got, err := open(p.Header(), p.Body)
			if err != nil {
				t.Fatal(err)
			}
			if got.EventType != tc.event || got.Challenge != "" {
				t.Fatalf("Push = %+v", got)
			}
			if tc.want == nil {
				if len(got.Events) != 0 {
					t.Fatalf("events %+v, want none", got.Events)
				}
				return
			}
			if len(got.Events) != 1 {
				t.Fatalf("events %+v, want one", got.Events)
			}
			e := got.Events[0]
			wantObj := tc.user.Object()
			// What the mapping templates see: JSON types as pkg/hr keeps them.
			var fields map[string]any
			b, _ := json.Marshal(wantObj)
			dec := json.NewDecoder(bytesReader(b))
			dec.UseNumber()
			_ = dec.Decode(&fields)
			name, _ := wantObj["name"].(string)
			wantEvent := hr.Event{ID: "ev-42", Type: tc.want.typ, OccurredAt: at, Source: "feishu",
				Employee: hr.Employee{ID: "u1", Email: tc.want.email, DisplayName: name, Status: tc.want.status, Fields: fields}}
			if d := cmp.Diff(wantEvent, e); d != "" {
				t.Fatalf("event (-want +got):\n%s", d)
			}
		})
	}
}

// TestFieldsKeepJSONTypes: numbers are json.Number and nested objects
// maps, as pkg/hr's own decoder gives them to the mapping templates.
func TestFieldsKeepJSONTypes(t *testing.T) {
	app := testApp()
	p := app.EncryptPush(app.Event(cloudtest.FeishuEvent{Type: feishu.EventUserCreated, User: cloudtest.FeishuUser{
		UserID: "u1", Status: &cloudtest.FeishuUserStatus{IsActivated: true},
		Extra: map[string]any{"join_time": 1608725989, "orders": []any{map[string]any{"department_id": "od-1", "is_primary_dept": true}}},
	}}), now)
	got, err := open(p.Header(), p.Body)
	if err != nil {
		t.Fatal(err)
	}
	f := got.Events[0].Employee.Fields
	if n, ok := f["join_time"].(json.Number); !ok || n.String() != "1608725989" {
		t.Errorf("join_time = %#v, want json.Number", f["join_time"])
	}
	if st, ok := f["status"].(map[string]any); !ok || st["is_activated"] != true {
		t.Errorf("status = %#v, want a map", f["status"])
	}
	if o, ok := f["orders"].([]any); !ok || o[0].(map[string]any)["department_id"] != "od-1" {
		t.Errorf("orders = %#v", f["orders"])
	}
}

func TestCreateTime(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want time.Time
	}{
		{`"1608725989000"`, time.UnixMilli(1608725989000).UTC()},
		{`1608725989000`, time.UnixMilli(1608725989000).UTC()},
		{`"1603977298000000"`, time.UnixMicro(1603977298000000).UTC()}, // the overview page's 16-digit example
		{`""`, time.Time{}},
	} {
		plain := []byte(`{"schema":"2.0","header":{"event_id":"e","event_type":"contact.user.deleted_v3","token":"` + verifyTok +
			`","app_id":"` + appID + `","create_time":` + tc.raw + `},"event":{"object":{"user_id":"u1"}}}`)
		p := testApp().EncryptPush(plain, now)
		got, err := open(p.Header(), p.Body)
		if err != nil {
			t.Fatalf("%s: %v", tc.raw, err)
		}
		if !got.Events[0].OccurredAt.Equal(tc.want) {
			t.Errorf("create_time %s → %v, want %v", tc.raw, got.Events[0].OccurredAt, tc.want)
		}
	}
}
