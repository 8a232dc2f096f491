package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/cloudtest/fcruntime"
	"github.com/ramsync/ramsync/pkg/localrun"
)

type offResult struct {
	EventID    string   `json:"eventId"`
	Action     string   `json:"action"`
	ExternalID string   `json:"externalId"`
	UserName   string   `json:"userName"`
	ID         string   `json:"id"`
	Reason     string   `json:"reason"`
	Blockers   []string `json:"blockers"`
	Steps      []struct {
		Action, Target, Result string
	} `json:"steps"`
}

func terminated(rt *fcruntime.Runtime, id, email string) fcruntime.CloudEvent {
	return rt.EventBridgeEvent("hr.workday", "ramsync:hr:employee.terminated", "employee/"+id,
		json.RawMessage(`{"id":"`+id+`","email":"`+email+`","status":"terminated"}`))
}

func invokeOffboarding(t *testing.T, l *localrun.Local, payload []byte) offResult {
	t.Helper()
	res, err := l.Runtime.Invoke(context.Background(), "offboarding", payload)
	if err != nil {
		t.Fatal(err)
	}
	if res.Err != nil {
		t.Fatalf("function error: %v", res.Err)
	}
	var r offResult
	if err := json.Unmarshal(res.Payload, &r); err != nil {
		t.Fatalf("%s: %v", res.Payload, err)
	}
	return r
}

func TestOffboardingFormatsAndOutcomes(t *testing.T) {
	l := start(t, localrun.Options{FuncEnv: map[string]map[string]string{"offboarding": {"PROTECTED_USERS": "root.ops"}}})
	for _, u := range []cloudtest.User{
		{ExternalID: "E1", UserName: "one", DisplayName: "One"},
		{ExternalID: "E2", UserName: "two", DisplayName: "Two"},
		{ExternalID: "E3", UserName: "three", DisplayName: "Three"},
		{ExternalID: "E9", UserName: "root.ops", DisplayName: "Root"},
		{UserName: "admin", DisplayName: "Admin"},
	} {
		l.Cloud.SeedUser(u)
	}
	rt := l.Runtime
	ev := func(e fcruntime.CloudEvent) []byte { b, _ := json.Marshal(e); return b }
	tests := []struct {
		name    string
		payload []byte
		want    string
		user    string
	}{
		{"EventBridge CloudEvent", ev(terminated(rt, "E1", "one@example.com")), "deleted", "one"},
		{"MNS message through EventBridge", ev(rt.MNSQueueEvent("offboarding", "hrTerminations", "ramsync-hr", string(ev(terminated(rt, "E2", "two@example.com"))))), "deleted", "two"},
		{"direct", []byte(`{"externalId":"E3"}`), "deleted", "three"},
		{"already absent", []byte(`{"externalId":"E3"}`), "already absent", ""},
		{"protected", ev(terminated(rt, "E9", "root.ops@example.com")), "protected", "root.ops"},
		{"not owned", ev(terminated(rt, "E7", "admin@example.com")), "not owned", "admin"},
	}
	for _, tt := range tests {
		r := invokeOffboarding(t, l, tt.payload)
		if r.Action != tt.want || r.UserName != tt.user {
			t.Errorf("%s: %+v, want %s for %q", tt.name, r, tt.want, tt.user)
		}
	}
	left := users(l.Cloud)
	for _, name := range []string{"root.ops", "admin"} {
		if _, ok := left[name]; !ok {
			t.Errorf("%s was touched", name)
		}
	}
	if len(left) != 2 {
		t.Errorf("users left: %v", left)
	}

	// An event-streaming array: one result per event.
	l.Cloud.SeedUser(cloudtest.User{ExternalID: "E4", UserName: "four", DisplayName: "Four"})
	d := rt.DeliverEvents(context.Background(), "offboarding", fcruntime.EventBridgeTrigger{Streaming: true},
		[]fcruntime.CloudEvent{terminated(rt, "E4", "four@example.com"), terminated(rt, "E5", "five@example.com")})
	if len(d) != 1 || d[0].Err != nil || d[0].Result == nil || d[0].Result.Err != nil {
		t.Fatalf("streaming delivery: %+v", d)
	}
	var batch struct{ Results []offResult }
	if err := json.Unmarshal(d[0].Result.Payload, &batch); err != nil || len(batch.Results) != 2 ||
		batch.Results[0].Action != "deleted" || batch.Results[1].Action != "already absent" {
		t.Errorf("streaming results: %s", d[0].Result.Payload)
	}
}

// engineer seeds a leaver with 2 AccessKeys, MFA, 2 groups, 3 policies and
// a console login.
func engineer(srv *cloudtest.Server) {
	srv.SeedUser(cloudtest.User{ExternalID: "E1", UserName: "li.wei", DisplayName: "Li Wei"})
	srv.SetRAM("li.wei", cloudtest.Blockers{
		AccessKeys:   []cloudtest.AccessKey{{ID: "LTAI5tLIWEI0001", Status: "Active"}, {ID: "LTAI5tLIWEI0002", Status: "Active"}},
		LoginProfile: true,
		MFASerial:    "acs:ram::1234567890123456:mfa/li.wei",
		Groups:       []string{"devs", "oncall"},
		Policies:     []cloudtest.Policy{{Name: "AliyunECSFullAccess", Type: "System"}, {Name: "AliyunOSSFullAccess", Type: "System"}, {Name: "deploy-prod", Type: "Custom"}},
	})
}

func ramWrites(log []cloudtest.RAMCall) []string {
	var out []string
	for _, c := range log {
		if strings.HasPrefix(c.Action, "Get") || strings.HasPrefix(c.Action, "List") || c.Status != 200 {
			continue
		}
		out = append(out, strings.TrimSpace(c.Action+" "+c.Params["UserAccessKeyId"]+c.Params["Status"]+c.Params["GroupName"]+c.Params["PolicyName"]))
	}
	return out
}

func TestLeaverLosesEverythingAccessKeysFirst(t *testing.T) {
	l := start(t, localrun.Options{})
	engineer(l.Cloud)
	b, _ := json.Marshal(terminated(l.Runtime, "E1", "li.wei@example.com"))
	r := invokeOffboarding(t, l, b)
	if r.Action != "deleted" || len(r.Steps) != 11 {
		t.Fatalf("result %+v", r)
	}
	want := []string{
		"UpdateAccessKey LTAI5tLIWEI0001Inactive", "UpdateAccessKey LTAI5tLIWEI0002Inactive",
		"DeleteAccessKey LTAI5tLIWEI0001", "DeleteAccessKey LTAI5tLIWEI0002",
		"DeleteLoginProfile", "UnbindMFADevice", "RemoveUserFromGroup devs", "RemoveUserFromGroup oncall",
		"DetachPolicyFromUser AliyunECSFullAccess", "DetachPolicyFromUser AliyunOSSFullAccess", "DetachPolicyFromUser deploy-prod",
	}
	if diff := cmp.Diff(want, ramWrites(l.Cloud.RAMLog())); diff != "" {
		t.Errorf("RAM writes in order (-want +got):\n%s", diff)
	}
	if _, ok := users(l.Cloud)["li.wei"]; ok {
		t.Error("the user still exists")
	}
}

func TestFailureMidwayIsFinishedByFCRetry(t *testing.T) {
	l := start(t, localrun.Options{})
	engineer(l.Cloud)
	// RAM goes down after the AccessKeys are cut: every call after the 5th
	// fails with 503 until the function has given up once.
	calls := 0
	failing := true
	l.Cloud.Intercept = func(svc cloudtest.Service, kind string, w httpWriter, r *httpRequest) bool {
		if svc != cloudtest.RAM {
			return false
		}
		calls++
		if failing && calls > 5 {
			w.WriteHeader(503)
			w.Write([]byte(`{"RequestId":"R","HostId":"ram","Code":"ServiceUnavailable","Message":"down","Recommend":""}`))
			return true
		}
		return false
	}
	b, _ := json.Marshal(terminated(l.Runtime, "E1", "li.wei@example.com"))
	h := l.Runtime.InvokeAsync("offboarding", b, fcruntime.AsyncOptions{MaxRetries: 3, RetryDelay: func(int) time.Duration {
		failing = false // RAM is back for the retry
		return 0
	}})
	out, err := h.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Attempts) != 2 || !out.Attempts[0].Failed() || out.Destination != fcruntime.OnSuccess {
		t.Fatalf("attempts %+v, destination %s: want a failed attempt then success", out.Attempts, out.Destination)
	}
	if _, ok := users(l.Cloud)["li.wei"]; ok {
		t.Error("the user still exists after the retry")
	}
	// No write ran twice.
	seen := map[string]int{}
	for _, w := range ramWrites(l.Cloud.RAMLog()) {
		seen[w]++
		if seen[w] > 1 {
			t.Errorf("%s ran twice", w)
		}
	}
	if len(seen) != 11 {
		t.Errorf("writes = %v, want all 11 once", seen)
	}
}

func TestCleanupOffListsBlockers(t *testing.T) {
	l := start(t, localrun.Options{FuncEnv: map[string]map[string]string{"offboarding": {"OFFBOARD_CLEANUP": "false"}}})
	engineer(l.Cloud)
	r := invokeOffboarding(t, l, []byte(`{"externalId":"E1"}`))
	want := []string{
		"AccessKey LTAI5tLIWEI0001 (Active)", "AccessKey LTAI5tLIWEI0002 (Active)", "console login profile",
		"MFA device acs:ram::1234567890123456:mfa/li.wei", "group devs", "group oncall",
		"policy AliyunECSFullAccess (System)", "policy AliyunOSSFullAccess (System)", "policy deploy-prod (Custom)",
	}
	if r.Action != "blocked" || !cmp.Equal(want, r.Blockers) {
		t.Errorf("result %+v, want blocked with %v", r, want)
	}
	if _, ok := users(l.Cloud)["li.wei"]; !ok {
		t.Error("a blocked user was deleted")
	}
	if w := ramWrites(l.Cloud.RAMLog()); len(w) != 0 {
		t.Errorf("cleanup off, yet RAM writes: %v", w)
	}
}

func TestProtectedAndUnownedAreNeverTouched(t *testing.T) {
	l := start(t, localrun.Options{Env: map[string]string{"PROTECTED_USERS": "li.wei"}})
	engineer(l.Cloud)
	l.Cloud.SeedUser(cloudtest.User{UserName: "admin", DisplayName: "Admin"})
	l.Cloud.SetRAM("admin", cloudtest.Blockers{AccessKeys: []cloudtest.AccessKey{{ID: "LTAI5tADMIN", Status: "Active"}}})
	for _, p := range []string{`{"externalId":"E1"}`} {
		if r := invokeOffboarding(t, l, []byte(p)); r.Action != "protected" {
			t.Errorf("%s: %+v", p, r)
		}
	}
	b, _ := json.Marshal(terminated(l.Runtime, "E8", "admin@example.com"))
	if r := invokeOffboarding(t, l, b); r.Action != "not owned" {
		t.Errorf("unowned: %+v", r)
	}
	// The webhook and the reconciler take the same path.
	status, body, err := l.Post(context.Background(), []byte(`{"type":"employee.terminated","employee":{"id":"E1"}}`), nil)
	if err != nil || status != 409 || !strings.Contains(string(body), `"protected"`) {
		t.Errorf("webhook terminate of a protected user: %d %s %v", status, body, err)
	}
	if len(l.Cloud.RAMLog()) != 0 || l.Cloud.Counters()["scim.delete"] != 0 {
		t.Errorf("RAM calls %d, SCIM deletes %d: want none", len(l.Cloud.RAMLog()), l.Cloud.Counters()["scim.delete"])
	}
}

func TestWarmOffboardingMakesOneTokenAndOneKMSRequest(t *testing.T) {
	l := start(t, localrun.Options{})
	for i := range 20 {
		r := invokeOffboarding(t, l, []byte(`{"externalId":"E`+string(rune('A'+i))+`"}`))
		if r.Action != "already absent" {
			t.Fatalf("invocation %d: %+v", i, r)
		}
	}
	c := l.Cloud.Counters()
	if c["oauth.token"] != 1 || c["kms.GetSecretValue"] != 1 {
		t.Errorf("20 invocations of one warm process made %d token and %d KMS requests, want 1 and 1", c["oauth.token"], c["kms.GetSecretValue"])
	}
	if n := l.Runtime.Counters("offboarding"); n.ColdStarts != 1 || n.Invocations != 20 {
		t.Errorf("runtime counters %+v, want 1 cold start, 20 invocations", n)
	}
}
