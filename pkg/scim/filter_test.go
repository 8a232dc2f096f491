package scim

import (
	"errors"
	"testing"
)

func TestFilterString(t *testing.T) {
	tests := []struct {
		name string
		f    Filter
		want string
	}{
		{"plain", Eq(AttrUserName, "li.wei"), `userName eq "li.wei"`},
		{"and", Eq(AttrExternalID, "E1").And(AttrUserName, "a"), `externalId eq "E1" and userName eq "a"`},
		{"quote", Eq(AttrExternalID, `E"1`), `externalId eq "E\"1"`},
		{"backslash", Eq(AttrExternalID, `E\1`), `externalId eq "E\\1"`},
		{"injection", Eq(AttrUserName, `x" or userName eq "admin`), `userName eq "x\" or userName eq \"admin"`},
		{"trailing backslash", Eq(AttrUserName, `x\`), `userName eq "x\\"`},
		{"control", Eq(AttrExternalID, "a\nb\tc"), `externalId eq "a\nb\tc"`},
		{"html kept", Eq(AttrExternalID, "<a&b>"), `externalId eq "<a&b>"`},
		{"unicode kept", Eq(AttrExternalID, "李伟"), `externalId eq "李伟"`},
		{"empty value", Eq(AttrID, ""), `id eq ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.f.Err(); err != nil {
				t.Fatalf("Err() = %v", err)
			}
			if got := tt.f.String(); got != tt.want {
				t.Errorf("String() = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestFilterRejectsOtherAttributes(t *testing.T) {
	for _, attr := range []string{"displayName", "emails", "userName or 1", "USERNAME", ""} {
		f := Eq(attr, "x")
		if f.Err() == nil {
			t.Errorf("Eq(%q) accepted", attr)
		}
		// and the error sticks through And
		if f.And(AttrID, "1").Err() == nil {
			t.Errorf("Eq(%q).And lost the error", attr)
		}
	}
	if Eq(AttrExternalID, "a\xffb").Err() == nil || Eq(AttrID, "1").And(AttrUserName, "\xff").Err() == nil {
		t.Error("a value that is not UTF-8 was accepted")
	}
	if Eq(AttrID, "1").And("meta.created", "x").Err() == nil {
		t.Error("And with a bad attribute accepted")
	}
	var zero Filter
	if !zero.IsZero() || Eq(AttrID, "1").IsZero() {
		t.Error("IsZero wrong")
	}
}

func TestFilterAndDoesNotAlias(t *testing.T) {
	base := Eq(AttrExternalID, "E1")
	a := base.And(AttrUserName, "a")
	b := base.And(AttrUserName, "b")
	if a.String() == b.String() {
		t.Fatalf("And shares storage: %s", a)
	}
}

func TestErrorKinds(t *testing.T) {
	tests := []struct {
		err   *Error
		kinds []error
		msg   string
	}{
		{&Error{Op: "get", Status: 404}, []error{ErrNotFound}, "scim: get: 404 Not Found (no error body)"},
		{httpError("create", 409, []byte(`{"schemas":["`+SchemaError+`"],"status":"409","scimType":"uniqueness","detail":"userName exists"}`), 0),
			[]error{ErrConflict}, "scim: create: 409 uniqueness: userName exists"},
		{httpError("create", 409, []byte(`{"status":409,"detail":"numeric status"}`), 0), []error{ErrConflict}, "scim: create: 409 Conflict: numeric status"},
		{&Error{Op: "list", Status: 401}, []error{ErrUnauthorized}, "scim: list: 401 Unauthorized (no error body)"},
		{&Error{Op: "list", Status: 429, Attempts: 6}, []error{ErrThrottled}, "scim: list: 429 Too Many Requests (no error body) (after 6 attempts)"},
		{httpError("find", 400, []byte("bad filter\x00\n here"), 0), []error{ErrInvalid}, "scim: find: 400 Bad Request: bad filter here"},
		{&Error{Op: "delete", Status: 503}, []error{ErrServer}, "scim: delete: 503 Service Unavailable (no error body)"},
		{&Error{Op: "get", Detail: "request failed", Err: netError{errors.New("EOF")}}, []error{ErrNetwork}, "scim: get: request failed: EOF"},
		{&Error{Op: "get", Detail: "id is empty", Err: errRefused}, []error{ErrInvalid}, "scim: get: id is empty: refused"},
	}
	all := []error{ErrNotFound, ErrConflict, ErrUnauthorized, ErrThrottled, ErrInvalid, ErrServer, ErrNetwork}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.msg {
			t.Errorf("Error() = %q, want %q", got, tt.msg)
		}
		for _, k := range all {
			want := false
			for _, w := range tt.kinds {
				want = want || w == k
			}
			if got := errors.Is(tt.err, k); got != want {
				t.Errorf("%q: errors.Is(%v) = %v, want %v", tt.msg, k, got, want)
			}
		}
	}
}

func TestTransient(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{&Error{Status: 429}, true},
		{&Error{Status: 500}, true},
		{&Error{Status: 503}, true},
		{&Error{Err: netError{errors.New("reset")}}, true},
		{&Error{Status: 404}, false},
		{&Error{Status: 409}, false},
		{&Error{Status: 400}, false},
		{&Error{Err: errRefused}, false},
		{nil, false},
	} {
		if got := Transient(tt.err); got != tt.want {
			t.Errorf("Transient(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestBackoffBounds(t *testing.T) {
	p := RetryPolicy{BaseDelay: 100e6, MaxDelay: 1e9}.withDefaults()
	want := []int64{100e6, 200e6, 400e6, 800e6, 1e9, 1e9, 1e9}
	for i, w := range want {
		if got := p.backoff(i + 1); int64(got) != w {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
}
