package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/localrun"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// hostileCase is one hostile webhook request and the answer SPEC §4.2
// documents for it: a status, and the error code with a substring of its
// message; or, for 200, the action and userName of its one result.
type hostileCase struct {
	name   string
	body   string
	header func(h http.Header) // nil: signed now over body
	status int
	code   string // error code (status != 200) or action (200)
	want   string // substring of the error message, or the userName (200)
}

// hostileAnswer is a webhook answer: an error, or results with warnings.
type hostileAnswer struct {
	Error *struct{ Code, Message string } `json:"error"`
	// Results carry externalId, action, userName, id and warnings.
	Results []struct {
		ExternalID, Action, UserName, ID string
		Warnings                         []string
	} `json:"results"`
}

// runHostile posts every case and checks its answer; a rejection must make
// no SCIM write and change no user. It returns the answers by case name.
func runHostile(t *testing.T, l *localrun.Local, cases []hostileCase) map[string]hostileAnswer {
	t.Helper()
	out := map[string]hostileAnswer{}
	rejections := 0
	defer func() {
		t.Logf("RELIABILITY suite=%s cases=%d rejections=%d", t.Name(), len(cases), rejections)
	}()
	for _, tc := range cases {
		if tc.status != 200 {
			rejections++
		}
		writes, before := l.Cloud.Counters().SCIMWrites(), l.Cloud.Users()
		status, body, err := l.Post(context.Background(), []byte(tc.body), tc.header)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var a hostileAnswer
		if err := json.Unmarshal(body, &a); err != nil {
			t.Errorf("%s: status %d, body %.300q is not JSON", tc.name, status, body)
			continue
		}
		out[tc.name] = a
		if status != tc.status {
			t.Errorf("%s: status %d, want %d: %.500s", tc.name, status, tc.status, body)
			continue
		}
		if status != http.StatusOK {
			if a.Error == nil || a.Error.Code != tc.code || !strings.Contains(a.Error.Message, tc.want) {
				t.Errorf("%s: body %.500s, want error %s with a message containing %q", tc.name, body, tc.code, tc.want)
			}
			if n := l.Cloud.Counters().SCIMWrites() - writes; n != 0 {
				t.Errorf("%s: a rejected request made %d SCIM writes", tc.name, n)
			}
			if ch := changedUsers(before, l.Cloud.Users()); len(ch) != 0 {
				t.Errorf("%s: a rejected request changed %v", tc.name, ch)
			}
			continue
		}
		if len(a.Results) != 1 || a.Results[0].Action != tc.code || a.Results[0].UserName != tc.want {
			t.Errorf("%s: body %.500s, want one result %s %s", tc.name, body, tc.code, tc.want)
			continue
		}
		// Exactly the one user named in the result changed, or none.
		want := []string{tc.want}
		if tc.code != "created" && tc.code != "updated" && tc.code != "deleted" {
			want = nil
		}
		if ch := changedUsers(before, l.Cloud.Users()); !slices.Equal(ch, want) {
			t.Errorf("%s: users changed: %q, want %q", tc.name, ch, want)
		}
	}
	return out
}

// changedUsers lists the userNames of users added, removed or changed
// between two snapshots, in no particular order.
func changedUsers(before, after []cloudtest.User) []string {
	was := map[string]cloudtest.User{}
	for _, u := range before {
		was[u.ID] = u
	}
	var out []string
	for _, u := range after {
		if old, ok := was[u.ID]; !ok || old != u {
			out = append(out, u.UserName)
		}
		delete(was, u.ID)
	}
	for _, u := range was {
		out = append(out, u.UserName)
	}
	return out
}

// hostileEvent is a webhook event of type typ; JSON encoding escapes
// whatever id, email and display hold.
func hostileEvent(typ, id, email, display string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	// The table is built before any event is sent: occurredAt a little
	// ahead keeps a termination from predating the user its hire makes
	// (which rule 5d rightly calls stale).
	_ = enc.Encode(map[string]any{"id": "evt-" + id, "type": typ, "occurredAt": time.Now().Add(time.Minute).UTC().Format(time.RFC3339Nano),
		"employee": map[string]any{"id": id, "email": email, "displayName": display, "status": "active"}})
	return strings.TrimSuffix(b.String(), "\n")
}

func hostileHire(id, email, display string) string {
	return hostileEvent(hr.EventHired, id, email, display)
}

// signedAt signs body at now+skew with key.
func signedAt(key secrets.Value, skew time.Duration, body string) func(http.Header) {
	return func(h http.Header) { h.Set(hr.SignatureHeader, hr.Sign(key, time.Now().Add(skew), []byte(body))) }
}

// rawSignature sends the given signature headers, none for no argument.
func rawSignature(v ...string) func(http.Header) {
	return func(h http.Header) {
		h.Del(hr.SignatureHeader)
		for _, s := range v {
			h.Add(hr.SignatureHeader, s)
		}
	}
}

func TestHostileWebhookRequests(t *testing.T) {
	l := start(t, localrun.Options{})
	l.Cloud.SeedUser(cloudtest.User{UserName: "admin", DisplayName: "Admin"})
	k := l.SigningKey
	b := hostileHire("E1", "a1@example.com", "A One")
	signed := time.Now()
	now := strconv.FormatInt(signed.Unix(), 10)
	good := hr.Sign(k, signed, []byte(b))
	mac := strings.TrimPrefix(good, "t="+now+",v1=")
	zeros := strings.Repeat("0", 64)
	inside, future := hostileHire("E2", "a2@example.com", "A Two"), hostileHire("E3", "a3@example.com", "A Three")
	const tooBig = "the body is larger than 1048576 bytes"
	pad := func(n int) string {
		pre, post := `{"type":"employee.hired","employee":{"id":"E4","email":"a4@example.com","notes":"`, `"}}`
		return pre + strings.Repeat("x", n-len(pre)-len(post)) + post
	}
	nested := `{"type":"employee.hired","employee":{"id":"E5","x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}}`
	batch := func(n int) string { return `{"events":[` + strings.TrimSuffix(strings.Repeat(b+",", n), ",") + `]}` }

	cases := []hostileCase{
		// Signatures (401 whatever the body, before it is read).
		{"no signature header", b, rawSignature(), 401, "unauthorized", "missing X-Ramsync-Signature"},
		{"empty signature header", b, rawSignature(""), 401, "unauthorized", "missing X-Ramsync-Signature"},
		{"wrong MAC", b, rawSignature("t=" + now + ",v1=" + zeros), 401, "unauthorized", "signature does not match"},
		{"signed with another key", b, signedAt(secrets.NewValue("whsec_not_the_key"), 0, b), 401, "unauthorized", "does not match"},
		{"two signature headers", b, rawSignature(good, good), 401, "unauthorized", "more than one t="},
		{"two t= in one header", b, rawSignature("t=" + now + ",t=" + now + ",v1=" + mac), 401, "unauthorized", "more than one t="},
		{"wrong scheme v2", b, rawSignature("t=" + now + ",v2=" + mac), 401, "unauthorized", "no v1="},
		{"GitHub-style sha256=", b, rawSignature("sha256=" + mac), 401, "unauthorized", "no t="},
		{"non-hex v1", b, rawSignature("t=" + now + ",v1=" + strings.Repeat("zz", 32)), 401, "unauthorized", "no v1= is 64 hex digits"},
		{"empty v1", b, rawSignature("t=" + now + ",v1="), 401, "unauthorized", "no v1= is 64 hex digits"},
		{"not scheme=value", b, rawSignature("garbage"), 401, "unauthorized", `part 1 is not scheme=value`},
		{"t not a number", b, rawSignature("t=soon,v1=" + mac), 401, "unauthorized", `t= is not unix seconds`},
		{"stale t (10 min old)", b, signedAt(k, -10*time.Minute, b), 401, "unauthorized", "in the past (tolerance 5m0s)"},
		{"t 10 min in the future", b, signedAt(k, 10*time.Minute, b), 401, "unauthorized", "in the future (tolerance 5m0s)"},
		{"tampered body (one byte)", strings.Replace(b, "A One", "A Onf", 1), rawSignature(good), 401, "unauthorized", "signature does not match"},
		{"t 4 min old: inside", inside, signedAt(k, -4*time.Minute, inside), 200, "created", "a2"},
		{"t 4 min ahead: inside", future, signedAt(k, 4*time.Minute, future), 200, "created", "a3"},

		// Bodies (400 or 413, signed properly).
		{"not JSON", "{nope", nil, 400, "bad_request", "not valid JSON"},
		{"empty body", "", nil, 400, "bad_request", "body is empty"},
		{"10,000 levels deep", nested, nil, 400, "bad_request", "nested deeper than 64 levels"},
		{"10,000 levels deep, top", strings.Repeat("[", 10000) + strings.Repeat("]", 10000), nil, 400, "bad_request", "nested deeper than 64 levels"},
		{"huge string, 1 MiB exactly", pad(hr.MaxBodyBytes), nil, 200, "created", "a4"},
		{"huge string, 1 MiB + 1", pad(hr.MaxBodyBytes + 1), nil, 413, "payload_too_large", tooBig},
		{"invalid UTF-8", strings.Replace(b, "A One", "A \xff\xfeOne", 1), nil, 400, "bad_request", "invalid UTF-8 at byte"},
		{"duplicate type", `{"type":"employee.terminated","type":"employee.hired","employee":{"id":"E6"}}`, nil, 400, "bad_request", "type: duplicate key"},
		{"duplicate employee id", `{"type":"employee.hired","employee":{"id":"E6","id":"E7","email":"a6@example.com"}}`, nil, 400, "bad_request", "employee.id: duplicate key"},
		{"trailing garbage", b + "garbage", nil, 400, "bad_request", "unexpected data after the top-level value"},
		{"two events back to back", b + b, nil, 400, "bad_request", "unexpected data after the top-level value"},
		{"an array", "[" + b + "]", nil, 400, "bad_request", "must be a JSON object"},
		{"null", "null", nil, 400, "bad_request", "not null"},

		// Events.
		{"unknown event type", strings.Replace(b, hr.EventHired, "employee.promoted", 1), nil, 400, "bad_request", `unknown event type "employee.promoted"`},
		{"no type", `{"employee":{"id":"E8"}}`, nil, 400, "bad_request", "type: required"},
		{"employee not an object", `{"type":"employee.hired","employee":"E8"}`, nil, 400, "bad_request", "employee: must be an object, not a string"},
		{"batch of 101", batch(101), nil, 400, "bad_request", "events: has 101 events, at most 100 allowed"},
		{"batch of 0", `{"events":[]}`, nil, 400, "bad_request", "events: must not be empty"},
		{"events an object", `{"events":{"0":` + b + `}}`, nil, 400, "bad_request", "events: must be an array, not an object"},
		{"events a string", `{"events":"` + strings.ReplaceAll(b, `"`, `\"`) + `"}`, nil, 400, "bad_request", "events: must be an array, not a string"},
		{"type beside events", `{"type":"employee.terminated","events":[` + b + `]}`, nil, 400, "bad_request", "type: a batch carries its events in events"},
	}
	runHostile(t, l, cases)
	if u := users(l.Cloud); len(u) != 4 || u["admin"].ExternalID != "" {
		t.Errorf("users after the table: %v, want admin, a2, a3, a4", u)
	}
}
