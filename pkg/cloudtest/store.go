package cloudtest

import (
	"sort"
	"strings"
	"sync"
	"time"
)

// User is a RAM user as SCIM shows it.
type User struct {
	ID          string // 16-digit numeric RAM user id
	ExternalID  string // empty for users made in the console
	UserName    string // as stored, after the @domain rewrite
	DisplayName string
	Created     time.Time
	// LastModified is meta.lastModified, bumped by every PUT.
	LastModified time.Time
}

// record is one user in the store: the SCIM view plus the RAM state that
// hangs off the same user, so that the two cannot disagree.
type record struct {
	User
	seq      uint64    // insertion order, the position key in store.order
	ram      Blockers  // credentials and memberships; see SetRAM
	ramSince time.Time // when SetRAM gave them: group join and policy attach dates
	// comments and ramUpdated are the RAM user's Comments and the time of
	// its last RAM OpenAPI write (UpdateUser); see ram_user.go.
	comments   string
	ramUpdated time.Time
}

// store holds the users with an index per unique key and a creation-ordered
// slice for paging. Every lookup is a map access and a page is a slice of
// the order, so requests cost O(page) whatever the number of users.
// Removing a user is a binary search plus one memmove of the order slice.
type store struct {
	mu      sync.RWMutex
	byID    map[string]*record
	byName  map[string]*record // key: nameKey(UserName)
	byExtID map[string]*record // only users with an ExternalID
	order   []*record          // ascending seq
	nextSeq uint64
}

func newStore() *store {
	return &store{
		byID:    map[string]*record{},
		byName:  map[string]*record{},
		byExtID: map[string]*record{},
	}
}

// nameKey is the identity of a RAM user name: the part before any "@",
// lower-cased. RAM user names are case-insensitive [ALIYUN.md §1.4, DOC],
// and "x", "x@okta.com" and "x@alias.onaliyun.com" all name the one RAM
// user x [INFER: the logon suffix is per account].
func nameKey(userName string) string {
	if i := strings.IndexByte(userName, '@'); i >= 0 {
		userName = userName[:i]
	}
	return strings.ToLower(userName)
}

// grow makes room for n more users, so that a bulk seed does not rehash
// the indexes again and again. Callers hold s.mu for writing.
func (s *store) grow(n int) {
	size := len(s.order) + n
	regrow := func(m map[string]*record) map[string]*record {
		out := make(map[string]*record, size)
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	s.byID, s.byName, s.byExtID = regrow(s.byID), regrow(s.byName), regrow(s.byExtID)
	s.order = append(make([]*record, 0, size), s.order...)
}

// conflict reports which unique attribute of u is already used by another
// user than self ("" if none). Callers hold s.mu.
func (s *store) conflict(u User, self *record) string {
	if r := s.byName[nameKey(u.UserName)]; r != nil && r != self {
		return "userName"
	}
	if u.ExternalID != "" {
		if r := s.byExtID[u.ExternalID]; r != nil && r != self {
			return "externalId"
		}
	}
	return ""
}

// freshID returns an unused user id. Callers hold s.mu for writing.
func (s *store) freshID() string {
	for {
		if id := newUserID(); s.byID[id] == nil {
			return id
		}
	}
}

// insert adds u, which must not conflict, giving it an id if it has none.
// Callers hold s.mu for writing.
func (s *store) insert(u User) *record {
	if u.ID == "" {
		u.ID = s.freshID()
	}
	s.nextSeq++
	r := &record{User: u, seq: s.nextSeq}
	s.byID[u.ID] = r
	s.byName[nameKey(u.UserName)] = r
	if u.ExternalID != "" {
		s.byExtID[u.ExternalID] = r
	}
	s.order = append(s.order, r)
	return r
}

// update re-indexes r after its user changed to u. Callers hold s.mu for
// writing and have checked conflicts.
func (s *store) update(r *record, u User) {
	delete(s.byName, nameKey(r.UserName))
	if r.ExternalID != "" {
		delete(s.byExtID, r.ExternalID)
	}
	r.User = u
	s.byName[nameKey(u.UserName)] = r
	if u.ExternalID != "" {
		s.byExtID[u.ExternalID] = r
	}
}

// remove deletes r. Callers hold s.mu for writing.
func (s *store) remove(r *record) {
	delete(s.byID, r.ID)
	delete(s.byName, nameKey(r.UserName))
	if r.ExternalID != "" {
		delete(s.byExtID, r.ExternalID)
	}
	i := sort.Search(len(s.order), func(i int) bool { return s.order[i].seq >= r.seq })
	if i < len(s.order) && s.order[i] == r {
		copy(s.order[i:], s.order[i+1:])
		s.order[len(s.order)-1] = nil
		s.order = s.order[:len(s.order)-1]
	}
}

// page returns copies of up to count users starting at the 0-based offset,
// and the total number of users.
func (s *store) page(offset, count int) ([]User, int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	total := len(s.order)
	if offset >= total || count <= 0 {
		return nil, total
	}
	end := min(total, offset+count)
	out := make([]User, 0, end-offset)
	for _, r := range s.order[offset:end] {
		out = append(out, r.User)
	}
	return out, total
}
