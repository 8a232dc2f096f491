package cloudtest

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCreateUser(t *testing.T) {
	clk := newFakeClock()
	s := start(t, Options{Now: clk.Now})
	tok := token(t, s)
	body := userBody("alice.w", "Alice W", "emp-1")
	body["active"] = false // unknown to RAM: ignored
	body["emails"] = []any{map[string]any{"value": "a@example.com"}}
	r := do(t, s, "POST", s.SCIMURL+"/Users", tok, body)
	if r.status != http.StatusCreated {
		t.Fatalf("status %d, body %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/scim+json" {
		t.Errorf("Content-Type = %q", ct)
	}
	got := r.json(t)
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"displayName", "externalId", "id", "meta", "schemas", "userName"}; !slices.Equal(keys, want) {
		t.Errorf("keys = %v, want %v", keys, want)
	}
	id, _ := got["id"].(string)
	if !regexp.MustCompile(`^[1-9][0-9]{15}$`).MatchString(id) {
		t.Errorf("id = %q, want 16 digits", id)
	}
	meta := got["meta"].(map[string]any)
	wantMeta := map[string]any{
		"resourceType": "User", "created": "2026-03-01T09:00:00Z", "lastModified": "2026-03-01T09:00:00Z",
		"location": s.SCIMURL + "/Users/" + id,
	}
	for k, v := range wantMeta {
		if meta[k] != v {
			t.Errorf("meta.%s = %v, want %v", k, meta[k], v)
		}
	}
	if r.header.Get("Location") != wantMeta["location"] {
		t.Errorf("Location header = %q", r.header.Get("Location"))
	}
	if got["userName"] != "alice.w" || got["displayName"] != "Alice W" || got["externalId"] != "emp-1" {
		t.Errorf("attributes = %v", got)
	}
	if u, ok := s.User(id); !ok || u.ExternalID != "emp-1" || !u.Created.Equal(clk.Now()) {
		t.Errorf("stored user = %+v, %v", u, ok)
	}

	// No externalId: a console-like user, and the key is absent.
	got = create(t, s, tok, "bob", "Bob", "")
	if _, has := got["externalId"]; has {
		t.Errorf("externalId present in %v", got)
	}
	c := s.Counters()
	if c["scim.create"] != 2 || c["scim.create.201"] != 2 || c.SCIMWrites() != 2 || c.SCIM() != 2 {
		t.Errorf("counters = %v", c)
	}
}

func TestCreateValidation(t *testing.T) {
	s := start(t, Options{AccountAlias: "corp"})
	tok := token(t, s)
	long := strings.Repeat("a", 64)
	tests := []struct {
		name       string
		body       any
		wantStatus int
		wantType   string
		wantName   string // stored userName on success
	}{
		{"64-char name", userBody(long, "ok", ""), 201, "", long},
		{"65-char name", userBody(long+"b", "ok", ""), 400, "invalidValue", ""},
		{"empty name", userBody("", "ok", ""), 400, "invalidValue", ""},
		{"space in name", userBody("a b", "ok", ""), 400, "invalidValue", ""},
		{"plus in name", userBody("a+b", "ok", ""), 400, "invalidValue", ""},
		{"non-ASCII name", userBody("jürgen", "ok", ""), 400, "invalidValue", ""},
		{"@domain rewritten", userBody("Carol.X@okta.example.com", "ok", ""), 201, "", "Carol.X@corp.onaliyun.com"},
		{"empty domain", userBody("dan@", "ok", ""), 400, "invalidValue", ""},
		{"two @", userBody("dan@a@b", "ok", ""), 400, "invalidValue", ""},
		{"64-char name with a domain", userBody(strings.Repeat("b", 64)+"@x.com", "ok", ""), 201, "", strings.Repeat("b", 64) + "@corp.onaliyun.com"},
		{"no displayName", userBody("erin", "", ""), 400, "invalidValue", ""},
		{"24-rune displayName", userBody("frank", strings.Repeat("名", 24), ""), 201, "", "frank"},
		{"25-rune displayName", userBody("gina", strings.Repeat("名", 25), ""), 400, "invalidValue", ""},
		{"not JSON", "{", 400, "invalidSyntax", ""},
		{"userName a number", map[string]any{"userName": 5, "displayName": "x"}, 400, "invalidSyntax", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, "POST", s.SCIMURL+"/Users", tok, tt.body)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", r.status, tt.wantStatus, r.body)
			}
			got := r.json(t)
			if tt.wantStatus != 201 {
				checkSCIMError(t, r, tt.wantStatus, tt.wantType)
			} else if tt.wantName != "" && got["userName"] != tt.wantName {
				t.Errorf("userName = %v, want %q", got["userName"], tt.wantName)
			}
		})
	}

	// With a 60-char alias the logon name passes 128 characters.
	s2 := start(t, Options{AccountAlias: strings.Repeat("x", 60)})
	r := do(t, s2, "POST", s2.SCIMURL+"/Users", token(t, s2), userBody(long+"@a.com", "ok", ""))
	checkSCIMError(t, r, 400, "invalidValue")

	s3 := start(t, Options{DisplayNameMax: 128})
	create(t, s3, token(t, s3), "hal", strings.Repeat("d", 128), "")
}

// checkSCIMError checks an RFC 7644 error answer.
func checkSCIMError(t *testing.T, r response, status int, scimType string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/scim+json" {
		t.Errorf("Content-Type = %q", ct)
	}
	e := r.json(t)
	schemas, _ := e["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != schemaError || e["status"] != fmt.Sprint(status) || e["detail"] == "" {
		t.Errorf("error body = %v", e)
	}
	if got, _ := e["scimType"].(string); got != scimType {
		t.Errorf("scimType = %q, want %q", got, scimType)
	}
}

func TestUniqueness(t *testing.T) {
	s := start(t, Options{})
	tok := token(t, s)
	ivy := create(t, s, tok, "ivy", "Ivy", "emp-ivy")
	create(t, s, tok, "jack", "Jack", "emp-jack")
	for _, tt := range []struct{ name, userName, ext string }{
		{"same name other case", "IVY", "emp-x"},
		{"same RAM name with a domain", "Ivy@corp.com", "emp-y"},
		{"same externalId", "ivy2", "emp-ivy"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, "POST", s.SCIMURL+"/Users", tok, userBody(tt.userName, "x", tt.ext))
			checkSCIMError(t, r, 409, "uniqueness")
		})
	}
	// externalId is case-exact.
	create(t, s, tok, "ivy3", "Ivy 3", "EMP-IVY")

	// PUT re-checks, but not against the user itself.
	url := s.SCIMURL + "/Users/" + ivy["id"].(string)
	checkSCIMError(t, do(t, s, "PUT", url, tok, userBody("JACK", "x", "emp-ivy")), 409, "uniqueness")
	checkSCIMError(t, do(t, s, "PUT", url, tok, userBody("ivy", "x", "emp-jack")), 409, "uniqueness")
	if r := do(t, s, "PUT", url, tok, userBody("IVY", "Ivy", "emp-ivy")); r.status != 200 {
		t.Errorf("PUT with its own name in other case: %d %s", r.status, r.body)
	}
}

func TestGetReplaceDelete(t *testing.T) {
	clk := newFakeClock()
	s := start(t, Options{Now: clk.Now})
	tok := token(t, s)
	u := create(t, s, tok, "kim", "Kim", "emp-kim")
	url := s.SCIMURL + "/Users/" + u["id"].(string)

	r := do(t, s, "GET", url, tok, nil)
	if r.status != 200 || r.json(t)["userName"] != "kim" {
		t.Fatalf("GET: %d %s", r.status, r.body)
	}
	checkSCIMError(t, do(t, s, "GET", s.SCIMURL+"/Users/1234567890123456", tok, nil), 404, "")

	clk.Add(time.Minute)
	r = do(t, s, "PUT", url, tok, userBody("kim.lee", "Kim Lee", "")) // no externalId: removed
	if r.status != 200 {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	got := r.json(t)
	meta := got["meta"].(map[string]any)
	if _, has := got["externalId"]; has || got["userName"] != "kim.lee" || got["displayName"] != "Kim Lee" {
		t.Errorf("after PUT: %v", got)
	}
	if meta["created"] != "2026-03-01T09:00:00Z" || meta["lastModified"] != "2026-03-01T09:01:00Z" {
		t.Errorf("meta after PUT: %v", meta)
	}
	if stored, _ := s.User(u["id"].(string)); stored.ExternalID != "" {
		t.Errorf("stored externalId = %q, want it removed", stored.ExternalID)
	}
	create(t, s, tok, "kim", "Another Kim", "emp-kim") // the old name and externalId are free again
	checkSCIMError(t, do(t, s, "PUT", s.SCIMURL+"/Users/1234567890123456", tok, userBody("zed", "Zed", "")), 404, "")

	checkSCIMError(t, do(t, s, "PATCH", url, tok, `{"Operations":[]}`), 501, "")

	if r := do(t, s, "DELETE", url, tok, nil); r.status != 204 || len(r.body) != 0 {
		t.Fatalf("DELETE: %d %q", r.status, r.body)
	}
	checkSCIMError(t, do(t, s, "DELETE", url, tok, nil), 404, "")
	checkSCIMError(t, do(t, s, "GET", url, tok, nil), 404, "")

	c := s.Counters()
	want := Counters{"scim.get": 3, "scim.replace": 2, "scim.patch": 1, "scim.delete": 2, "scim.create": 2,
		"scim.delete.204": 1, "scim.delete.404": 1, "scim.patch.501": 1}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("counter %s = %d, want %d (all: %v)", k, c[k], v, c)
		}
	}
	if c.SCIMWrites() != 7 {
		t.Errorf("SCIMWrites = %d, want 7", c.SCIMWrites())
	}
}

func TestDeleteRefusedWhileRAMStateRemains(t *testing.T) {
	s := start(t, Options{})
	tok := token(t, s)
	cases := map[string]Blockers{
		"access key":    {AccessKeys: []AccessKey{{Status: "Inactive"}}},
		"policy":        {Policies: []Policy{{Name: "ReadOnlyAccess"}}},
		"mfa":           {MFASerial: "acs:ram::1:mfa/x"},
		"group":         {Groups: []string{"devs"}},
		"login profile": {LoginProfile: true}, // does not block
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			userName := strings.ReplaceAll(name, " ", "-")
			u := create(t, s, tok, userName, "x", "")
			s.SetRAM(strings.ToUpper(userName), b)
			url := s.SCIMURL + "/Users/" + u["id"].(string)
			r := do(t, s, "DELETE", url, tok, nil)
			if b.LoginProfile {
				if r.status != 204 {
					t.Fatalf("a login profile alone must not block: %d %s", r.status, r.body)
				}
				return
			}
			checkSCIMError(t, r, 409, "")
			s.SetRAM(userName, Blockers{})
			if r := do(t, s, "DELETE", url, tok, nil); r.status != 204 {
				t.Fatalf("after clearing: %d %s", r.status, r.body)
			}
			if got := s.RAM(userName); len(got.blocking()) != 0 {
				t.Errorf("RAM state of a deleted user: %+v", got)
			}
		})
	}

	s2 := start(t, Options{DeleteRefusedStatus: 400, BareErrors: true})
	tok = token(t, s2)
	u := create(t, s2, tok, "moe", "Moe", "")
	s2.SetRAM("moe", Blockers{Groups: []string{"g"}})
	if r := do(t, s2, "DELETE", s2.SCIMURL+"/Users/"+u["id"].(string), tok, nil); r.status != 400 || len(r.body) != 0 {
		t.Errorf("DeleteRefusedStatus 400 with BareErrors: %d %q", r.status, r.body)
	}
}

func TestOptionsStatuses(t *testing.T) {
	s := start(t, Options{CreateStatus: 200, PatchStatus: 405, BareErrors: true})
	tok := token(t, s)
	r := do(t, s, "POST", s.SCIMURL+"/Users", tok, userBody("ned", "Ned", ""))
	if r.status != 200 {
		t.Fatalf("CreateStatus 200: %d", r.status)
	}
	r = do(t, s, "POST", s.SCIMURL+"/Users", tok, userBody("ned", "Ned", ""))
	if r.status != 409 || len(r.body) != 0 {
		t.Errorf("BareErrors conflict: %d %q", r.status, r.body)
	}
	if r := do(t, s, "PATCH", s.SCIMURL+"/Users/1", tok, "{}"); r.status != 405 {
		t.Errorf("PatchStatus 405: %d", r.status)
	}
}

func TestEndpoints(t *testing.T) {
	s := start(t, Options{})
	tok := token(t, s)
	for _, p := range []string{"/Groups", "/Bulk", "/Me", "/ServiceProviderConfig", "/scim/v2/Users", "/Users/1/x"} {
		checkSCIMError(t, do(t, s, "GET", s.SCIMURL+p, tok, nil), 404, "")
	}
	for _, p := range []string{"/ResourceTypes", "/Schemas", "/ResourceTypes/User", "/Schemas/" + schemaUser} {
		r := do(t, s, "GET", s.SCIMURL+p, "", nil) // discovery needs no token
		if r.status != 200 || !strings.Contains(string(r.body), "userName") && !strings.Contains(string(r.body), `"/Users"`) {
			t.Errorf("%s: %d %s", p, r.status, r.body)
		}
	}
	if r := do(t, s, "DELETE", s.SCIMURL+"/Users", tok, nil); r.status != 405 {
		t.Errorf("DELETE /Users: %d", r.status)
	}
	if c := s.Counters(); c["scim.discovery"] != 4 || c["scim.other"] != 7 {
		t.Errorf("counters: %v", c)
	}
}
