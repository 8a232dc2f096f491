package cloudtest

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"
)

// list GETs /Users with the query and decodes the ListResponse.
func list(t *testing.T, s *Server, tok string, q url.Values) (listResponse, []map[string]any, response) {
	t.Helper()
	r := do(t, s, "GET", s.SCIMURL+"/Users?"+q.Encode(), tok, nil)
	if r.status != 200 {
		return listResponse{}, nil, r
	}
	m := r.json(t)
	lr := listResponse{
		TotalResults: int(m["totalResults"].(float64)),
		StartIndex:   int(m["startIndex"].(float64)),
		ItemsPerPage: int(m["itemsPerPage"].(float64)),
	}
	if schemas := m["schemas"].([]any); len(schemas) != 1 || schemas[0] != schemaListResponse {
		t.Errorf("schemas = %v", schemas)
	}
	res, ok := m["Resources"].([]any)
	if !ok {
		t.Fatalf("Resources missing or not an array: %s", r.body)
	}
	var users []map[string]any
	for _, x := range res {
		users = append(users, x.(map[string]any))
	}
	return lr, users, r
}

func TestFilter(t *testing.T) {
	s := start(t, Options{})
	tok := token(t, s)
	ids := map[string]string{}
	for _, u := range []struct{ name, ext string }{
		{"admin", "emp-admin"},
		{"olga", `ext "quoted" \ back`},
		{"pat", "emp-été"},
		{"quinn", ""},
	} {
		ids[u.name] = create(t, s, tok, u.name, u.name, u.ext)["id"].(string)
	}
	tests := []struct {
		filter string
		want   []string // userNames; nil with bad = true means 400
		bad    bool
	}{
		{filter: `userName eq "admin"`, want: []string{"admin"}},
		{filter: `USERNAME EQ "ADMIN"`, want: []string{"admin"}},
		{filter: `userName eq "admin@elsewhere.com"`, want: []string{"admin"}},
		{filter: `externalId eq "emp-admin"`, want: []string{"admin"}},
		{filter: `externalid Eq "EMP-ADMIN"`, want: nil}, // externalId is case-exact
		{filter: `id eq "` + ids["pat"] + `"`, want: []string{"pat"}},
		{filter: `externalId eq "ext \"quoted\" \\ back"`, want: []string{"olga"}},
		{filter: `externalId eq "emp-\u00e9t\u00E9"`, want: []string{"pat"}},
		{filter: `userName eq "pat" and externalId eq "emp-été"`, want: []string{"pat"}},
		{filter: `userName eq "pat"   AND   id eq "` + ids["pat"] + `"`, want: []string{"pat"}},
		{filter: `userName eq "pat" and userName eq "quinn"`, want: nil},
		{filter: `urn:ietf:params:scim:schemas:core:2.0:User:userName eq "quinn"`, want: []string{"quinn"}},
		{filter: `userName eq "nobody"`, want: nil},
		{filter: `userName eq ""`, want: nil},
		// A hostile value, quoted properly, is only a value.
		{filter: `userName eq "\" or userName eq \"admin"`, want: nil},
		{filter: `userName eq "x\" or \"1\"=\"1"`, want: nil},
		{filter: `externalId eq "\" or userName eq \"admin"`, want: nil},
		// The same, unquoted by a careless client, is a syntax error.
		{filter: `userName eq "" or userName eq "admin"`, bad: true},
		{filter: `userName eq admin`, bad: true},
		{filter: `userName eq 'admin'`, bad: true},
		{filter: `userName eq null`, bad: true},
		{filter: `userName ne "admin"`, bad: true},
		{filter: `userName co "adm"`, bad: true},
		{filter: `userName sw "a"`, bad: true},
		{filter: `userName pr`, bad: true},
		{filter: `displayName eq "admin"`, bad: true},
		{filter: `emails.value eq "a@b.c"`, bad: true},
		{filter: `(userName eq "admin")`, bad: true},
		{filter: `not (userName eq "admin")`, bad: true},
		{filter: `userName eq "admin" and`, bad: true},
		{filter: `userName eq "admin" userName eq "pat"`, bad: true},
		{filter: `userName eq"admin"`, bad: true},
		{filter: `userName eq "admin"and id eq "1"`, bad: true},
		{filter: `userName eq "adm`, bad: true},
		{filter: `userName eq "a\qb"`, bad: true},
		{filter: `userName eq "\u12"`, bad: true},
		{filter: `userName`, bad: true},
		{filter: `   `, bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			lr, users, r := list(t, s, tok, url.Values{"filter": {tt.filter}})
			if tt.bad {
				checkSCIMError(t, r, 400, "invalidFilter")
				return
			}
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			var got []string
			for _, u := range users {
				got = append(got, u["userName"].(string))
			}
			if !slices.Equal(got, tt.want) || lr.TotalResults != len(tt.want) || lr.ItemsPerPage != 30 || lr.StartIndex != 1 {
				t.Errorf("got %v (total %d, itemsPerPage %d), want %v", got, lr.TotalResults, lr.ItemsPerPage, tt.want)
			}
		})
	}
	if c := s.Counters(); c["scim.find"] != int64(len(tests)) || c["scim.find.400"] == 0 {
		t.Errorf("counters: %v", c)
	}
}

func TestPaging(t *testing.T) {
	s := start(t, Options{})
	tok := token(t, s)
	s.SeedUsers(1000, func(i int) User {
		return User{UserName: fmt.Sprintf("user%04d", i), DisplayName: "U", ExternalID: "e" + strconv.Itoa(i)}
	})
	want := s.Users()

	var got []string
	for start := 1; ; start += 30 {
		lr, users, r := list(t, s, tok, url.Values{"startIndex": {strconv.Itoa(start)}, "count": {"30"}})
		if r.status != 200 {
			t.Fatalf("page at %d: %d %s", start, r.status, r.body)
		}
		if lr.TotalResults != 1000 || lr.StartIndex != start || lr.ItemsPerPage != 30 {
			t.Fatalf("page at %d: %+v", start, lr)
		}
		if len(users) == 0 {
			break
		}
		for _, u := range users {
			got = append(got, u["id"].(string))
		}
	}
	if len(got) != 1000 {
		t.Fatalf("paged %d users, want 1000", len(got))
	}
	for i, u := range want {
		if got[i] != u.ID {
			t.Fatalf("user %d: %s, want %s (creation order)", i, got[i], u.ID)
		}
	}

	for _, tt := range []struct {
		q         url.Values
		wantN     int
		wantPage  int
		wantStart int
	}{
		{url.Values{}, 30, 30, 1},
		{url.Values{"count": {"500"}}, 100, 100, 1},
		{url.Values{"count": {"0"}}, 0, 0, 1},
		{url.Values{"count": {"-5"}}, 0, 0, 1},
		{url.Values{"startIndex": {"0"}, "count": {"10"}}, 10, 10, 1},
		{url.Values{"startIndex": {"995"}, "count": {"10"}}, 6, 10, 995},
		{url.Values{"startIndex": {"5000"}}, 0, 30, 5000},
	} {
		lr, users, _ := list(t, s, tok, tt.q)
		if len(users) != tt.wantN || lr.ItemsPerPage != tt.wantPage || lr.StartIndex != tt.wantStart || lr.TotalResults != 1000 {
			t.Errorf("%v: %d users, %+v", tt.q, len(users), lr)
		}
	}
	_, _, r := list(t, s, tok, url.Values{"count": {"ten"}})
	checkSCIMError(t, r, 400, "invalidValue")

	ign := start(t, Options{IgnoreCount: true, PageSize: 25})
	ign.SeedUsers(60, func(i int) User { return User{UserName: fmt.Sprintf("u%d", i), DisplayName: "U"} })
	lr, users, _ := list(t, ign, token(t, ign), url.Values{"count": {"100"}})
	if len(users) != 25 || lr.ItemsPerPage != 25 {
		t.Errorf("IgnoreCount: %d users, %+v", len(users), lr)
	}
}

func TestSeed(t *testing.T) {
	clk := newFakeClock()
	s := start(t, Options{Now: clk.Now})
	u := s.SeedUser(User{UserName: "console.made", DisplayName: "C"})
	if len(u.ID) != 16 || u.ExternalID != "" || !u.Created.Equal(clk.Now()) || !u.LastModified.Equal(u.Created) {
		t.Errorf("seeded %+v", u)
	}
	if c := s.Counters(); len(c) != 0 {
		t.Errorf("seeding moved counters: %v", c)
	}
	for _, dup := range []User{{UserName: "CONSOLE.MADE"}, {ID: u.ID, UserName: "other"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SeedUser(%+v) did not panic", dup)
				}
			}()
			s.SeedUser(dup)
		}()
	}
	if got, ok := s.UserByName("Console.Made@whatever.com"); !ok || got.ID != u.ID {
		t.Errorf("UserByName = %+v, %v", got, ok)
	}
	s.RemoveUser(u.ID)
	if _, ok := s.User(u.ID); ok || len(s.Users()) != 0 {
		t.Error("RemoveUser left the user")
	}

	const n = 100_000
	begin := time.Now()
	s.SeedUsers(n, func(i int) User {
		return User{UserName: "bulk" + strconv.Itoa(i), DisplayName: "B", ExternalID: "x" + strconv.Itoa(i)}
	})
	took := time.Since(begin)
	t.Logf("seeded %d users in %v", n, took)
	if took > 5*time.Second { // well under a second without -race; BenchmarkSeedUsers100k measures it
		t.Errorf("seeding %d users took %v", n, took)
	}
	if len(s.Users()) != n {
		t.Fatalf("%d users", len(s.Users()))
	}
	tok := token(t, s)
	lr, users, _ := list(t, s, tok, url.Values{"startIndex": {"99951"}, "count": {"100"}})
	if lr.TotalResults != n || len(users) != 50 || users[49]["userName"] != "bulk99999" {
		t.Errorf("last page: %+v, %d users", lr, len(users))
	}
}
