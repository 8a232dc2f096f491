package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/localrun"
)

// TestLeaverUnderCustomMapping is issue 12 item 1 and SPEC §4.6 "Leavers
// need their id only": a termination that carries only the id is mapped
// through the externalId template alone; when that template needs a field
// the event lacks, the event is rejected (422), never "already absent".
func TestLeaverUnderCustomMapping(t *testing.T) {
	l := start(t, localrun.Options{Env: map[string]string{"MAPPING": `{"externalId": "hr-{{ .id }}"}`}})
	ctx := context.Background()
	now := func() string { return time.Now().UTC().Format(time.RFC3339Nano) }
	hire := `{"id":"evt-1","type":"employee.hired","occurredAt":"` + now() + `","employee":{"id":"E1","email":"li.wei@example.com","displayName":"Li Wei"}}`
	if status, b, err := l.Post(ctx, []byte(hire), nil); err != nil || status != 200 || !strings.Contains(string(b), `"action":"created"`) {
		t.Fatalf("hire: %d %s %v", status, b, err)
	}
	if u, ok := users(l.Cloud)["li.wei"]; !ok || u.ExternalID != "hr-E1" {
		t.Fatalf("user after the hire: %+v", u)
	}
	term := `{"id":"evt-2","type":"employee.terminated","occurredAt":"` + now() + `","employee":{"id":"E1"}}`
	status, b, err := l.Post(ctx, []byte(term), nil)
	if err != nil || status != 200 || !strings.Contains(string(b), `"action":"deleted"`) {
		t.Fatalf("termination by id only: %d %s %v", status, b, err)
	}
	if _, ok := users(l.Cloud)["li.wei"]; ok {
		t.Fatal("the leaver's user is still there")
	}

	l2 := start(t, localrun.Options{Env: map[string]string{"MAPPING": `{"externalId": "{{ .employee_no }}"}`}})
	w := writes(l2.Cloud)
	status, b, err = l2.Post(ctx, []byte(term), nil)
	var a answer
	_ = json.Unmarshal(b, &a)
	if err != nil || status != 422 || a.Error == nil || !strings.Contains(a.Error.Message, "employee_no") || writes(l2.Cloud) != w {
		t.Fatalf("a template needing a field the event lacks: %d %s %v", status, b, err)
	}
}
