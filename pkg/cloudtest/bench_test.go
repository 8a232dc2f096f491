package cloudtest

import (
	"fmt"
	"net/url"
	"strconv"
	"testing"
)

// seeded starts a server holding n users.
func seeded(b *testing.B, n int) (*Server, string) {
	s := start(b, Options{})
	s.SeedUsers(n, func(i int) User {
		return User{UserName: "user" + strconv.Itoa(i), DisplayName: "U", ExternalID: "emp-" + strconv.Itoa(i)}
	})
	return s, token(b, s)
}

func BenchmarkSeedUsers100k(b *testing.B) {
	for b.Loop() {
		s := NewServer(Options{})
		s.SeedUsers(100_000, func(i int) User { return User{UserName: "user" + strconv.Itoa(i), DisplayName: "U"} })
		s.Close()
	}
}

// BenchmarkListPage lists 100/page deep inside 100 000 users: the cost must
// not depend on the number of users.
func BenchmarkListPage(b *testing.B) {
	s, tok := seeded(b, 100_000)
	q := url.Values{"startIndex": {"90001"}, "count": {"100"}}
	for b.Loop() {
		if r := do(b, s, "GET", s.SCIMURL+"/Users?"+q.Encode(), tok, nil); r.status != 200 {
			b.Fatal(r.status)
		}
	}
}

func BenchmarkFindByExternalID(b *testing.B) {
	s, tok := seeded(b, 100_000)
	i := 0
	for b.Loop() {
		q := url.Values{"filter": {fmt.Sprintf(`externalId eq "emp-%d"`, i%100_000)}}
		if r := do(b, s, "GET", s.SCIMURL+"/Users?"+q.Encode(), tok, nil); r.status != 200 {
			b.Fatal(r.status)
		}
		i++
	}
}
