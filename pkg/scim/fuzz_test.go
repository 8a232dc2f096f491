package scim_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/scim"
	"github.com/ramsync/ramsync/pkg/stacktest"
)

// The seed corpora are in testdata/fuzz/<FuzzName>/.

// fuzzStack is a real client and the double for a fuzz target; the double
// answers every list, find and get with the body in serve, when set.
func fuzzStack(f *testing.F, serve *atomic.Pointer[[]byte]) *stacktest.Stack {
	srv := cloudtest.NewServer(cloudtest.Options{})
	f.Cleanup(srv.Close)
	if serve != nil {
		srv.Intercept = func(svc cloudtest.Service, kind string, w http.ResponseWriter, _ *http.Request) bool {
			body := serve.Load()
			if svc != cloudtest.SCIM || body == nil || kind != "list" && kind != "find" && kind != "get" {
				return false
			}
			w.Header().Set("Content-Type", "application/scim+json")
			w.Write(*body)
			return true
		}
	}
	s, err := stacktest.New(srv)
	if err != nil {
		f.Fatal(err)
	}
	return s
}

// FuzzUserJSON feeds SCIM response bodies to the user and list decoding,
// directly and through the client's Get and List against the double.
func FuzzUserJSON(f *testing.F) {
	f.Add([]byte(`{"id":"2764849816527301","externalId":"E1","userName":"li.wei","displayName":"Li Wei","meta":{"created":"2026-11-27T09:00:00Z"}}`))
	var serve atomic.Pointer[[]byte]
	s := fuzzStack(f, &serve)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, body []byte) {
		// A decoded user re-encodes (always with externalId, so a PUT
		// keeps it owned) and decodes to the same value.
		var u scim.User
		if json.Unmarshal(body, &u) == nil {
			checkRoundTrip(t, u)
		}

		serve.Store(&body)
		defer serve.Store(nil)
		got, err := s.SCIM.Get(ctx, "1")
		if err == nil && (got.ID == "" || !cmp.Equal(got, u)) {
			t.Fatalf("Get = %+v, want %+v with an id", got, u)
		}
		if err != nil && !errors.Is(err, scim.ErrNotFound) && !strings.HasPrefix(err.Error(), "scim: get: ") {
			t.Fatalf("Get error %q does not name the operation", err)
		}

		// A list page: every user passed on has an id, none twice, and
		// each is one the page holds.
		var page struct{ Resources []scim.User }
		pageErr := json.Unmarshal(body, &page)
		users, err := s.SCIM.List(ctx)
		if pageErr != nil && err == nil {
			t.Fatalf("List read an unreadable page: %v", pageErr)
		}
		seen := map[string]bool{}
		for _, u := range users {
			if u.ID == "" || seen[u.ID] {
				t.Fatalf("List passed on a user with id %q (empty or twice)", u.ID)
			}
			seen[u.ID] = true
			checkRoundTrip(t, u)
			found := false
			for _, p := range page.Resources {
				found = found || cmp.Equal(p, u)
			}
			if !found {
				t.Fatalf("List made up %+v", u)
			}
		}
	})
}

func checkRoundTrip(t *testing.T, u scim.User) {
	t.Helper()
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatalf("encoding %+v: %v", u, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw["externalId"] == nil || raw["userName"] == nil || raw["schemas"] == nil {
		t.Fatalf("encoded %+v as %s: want schemas, externalId and userName always", u, b)
	}
	var again scim.User
	if err := json.Unmarshal(b, &again); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	if diff := cmp.Diff(u, again); diff != "" {
		t.Fatalf("round trip through %s (-want +got):\n%s", b, diff)
	}
}

var fuzzAttrs = []string{scim.AttrID, scim.AttrUserName, scim.AttrExternalID, "displayName", "userName or 1", ""}

// FuzzFilter builds filters from any attribute and value and holds them
// to the filter grammar RAM takes: a reference parser reads back exactly
// one `attr eq "value"` per And with the value given, so no value can add
// a term, an or, or a bracket; the query string carries the filter
// unchanged; and the double finds only users matching every term.
func FuzzFilter(f *testing.F) {
	f.Add(uint8(2), `" or userName eq "admin`, uint8(1), "admin", true)
	s := fuzzStack(f, nil)
	s.Server.SeedUser(cloudtest.User{UserName: "admin", DisplayName: "Admin"})
	s.Server.SeedUser(cloudtest.User{ExternalID: "E1", UserName: "li.wei", DisplayName: "Li Wei"})
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, a1 uint8, v1 string, a2 uint8, v2 string, and bool) {
		want := []fuzzTerm{{fuzzAttrs[int(a1)%len(fuzzAttrs)], v1}}
		flt := scim.Eq(want[0].attr, v1)
		if and {
			want = append(want, fuzzTerm{fuzzAttrs[int(a2)%len(fuzzAttrs)], v2})
			flt = flt.And(want[1].attr, v2)
		}
		valid := true
		for _, w := range want {
			valid = valid && (w.attr == scim.AttrID || w.attr == scim.AttrUserName || w.attr == scim.AttrExternalID) &&
				utf8.ValidString(w.value) // a bad byte would become U+FFFD: another value than asked
		}
		before := s.Server.Counters()["scim.find"]
		found, err := s.SCIM.Find(ctx, flt)
		if !valid {
			if flt.Err() == nil || !errors.Is(err, scim.ErrInvalid) || s.Server.Counters()["scim.find"] != before {
				t.Fatalf("filter on %v: Err %v, Find %v; want it refused before sending", want, flt.Err(), err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Find(%s): %v", flt, err)
		}
		got, perr := parseRefFilter(flt.String())
		if perr != nil {
			t.Fatalf("filter %s: %v", flt, perr)
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(fuzzTerm{})); diff != "" {
			t.Fatalf("filter %s reads back (-want +got):\n%s", flt, diff)
		}
		q, err := url.ParseQuery(url.Values{"filter": {flt.String()}}.Encode())
		if err != nil || q.Get("filter") != flt.String() {
			t.Fatalf("filter %s does not survive the query string: %q, %v", flt, q.Get("filter"), err)
		}
		for _, u := range found {
			for _, w := range want {
				v := map[string]string{scim.AttrID: u.ID, scim.AttrExternalID: u.ExternalID}[w.attr]
				if w.attr == scim.AttrUserName && !strings.EqualFold(u.UserName, w.value) || w.attr != scim.AttrUserName && v != w.value {
					t.Fatalf("filter %s found %+v", flt, u)
				}
			}
		}
	})
}

type fuzzTerm struct{ attr, value string }

// parseRefFilter is a reference parser for the filters the client may
// send, written from RFC 7644 §3.4.2.2 and RAM's subset, independently of
// the client and of the double:
//
//	filter = term *(" and " term)
//	term   = ("id" / "userName" / "externalId") " eq " json-string
func parseRefFilter(s string) ([]fuzzTerm, error) {
	var out []fuzzTerm
	for {
		attr, rest, ok := strings.Cut(s, " eq ")
		if !ok || attr != scim.AttrID && attr != scim.AttrUserName && attr != scim.AttrExternalID {
			return nil, errors.New("expected id, userName or externalId then eq at " + strconvQuote(s))
		}
		if !strings.HasPrefix(rest, `"`) {
			return nil, errors.New("expected a quoted value at " + strconvQuote(rest))
		}
		end := -1
		for i := 1; i < len(rest) && end < 0; i++ {
			switch rest[i] {
			case '\\':
				i++
			case '"':
				end = i
			}
		}
		if end < 0 {
			return nil, errors.New("unterminated value at " + strconvQuote(rest))
		}
		var v string
		if err := json.Unmarshal([]byte(rest[:end+1]), &v); err != nil {
			return nil, errors.New("value " + rest[:end+1] + " is not a JSON string: " + err.Error())
		}
		out = append(out, fuzzTerm{attr, v})
		s = rest[end+1:]
		if s == "" {
			return out, nil
		}
		if s, ok = strings.CutPrefix(s, " and "); !ok {
			return nil, errors.New("expected end or \" and \" at " + strconvQuote(s))
		}
	}
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }
