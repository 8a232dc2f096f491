package cloudtest

import (
	"fmt"
	"time"
)

// Users returns a snapshot of every user, in creation order.
func (s *Server) Users() []User {
	s.users.mu.RLock()
	defer s.users.mu.RUnlock()
	out := make([]User, len(s.users.order))
	for i, r := range s.users.order {
		out[i] = r.User
	}
	return out
}

// User returns the user with the given id.
func (s *Server) User(id string) (User, bool) {
	s.users.mu.RLock()
	defer s.users.mu.RUnlock()
	if r := s.users.byID[id]; r != nil {
		return r.User, true
	}
	return User{}, false
}

// UserByName returns the user whose userName names the same RAM user as
// userName (case-insensitive; any "@domain" is ignored).
func (s *Server) UserByName(userName string) (User, bool) {
	s.users.mu.RLock()
	defer s.users.mu.RUnlock()
	if r := s.users.byName[nameKey(userName)]; r != nil {
		return r.User, true
	}
	return User{}, false
}

// SeedUser inserts u directly, as if it had been made before the test: no
// counter moves, no validation or @domain rewrite happens. An empty
// ExternalID makes a console-made user. An empty ID gets a fresh one; zero
// times become now. It returns the stored user.
//
// SeedUser panics if u's id, userName or externalId is already taken: RAM
// cannot hold such a state, so it is a mistake in the test.
func (s *Server) SeedUser(u User) User {
	s.users.mu.Lock()
	defer s.users.mu.Unlock()
	return s.seedLocked(u, s.now())
}

// SeedUsers inserts n users made by f(0) … f(n-1) under one lock, for large
// fixtures (100 000 users take well under a second). The rules of SeedUser
// apply to each.
func (s *Server) SeedUsers(n int, f func(i int) User) {
	now := s.now()
	s.users.mu.Lock()
	defer s.users.mu.Unlock()
	s.users.grow(n)
	for i := range n {
		s.seedLocked(f(i), now)
	}
}

// seedLocked is SeedUser with s.users.mu held.
func (s *Server) seedLocked(u User, now time.Time) User {
	if u.ID != "" && s.users.byID[u.ID] != nil {
		panic(fmt.Sprintf("cloudtest: SeedUser: id %q is taken", u.ID))
	}
	if attr := s.users.conflict(u, nil); attr != "" {
		panic(fmt.Sprintf("cloudtest: SeedUser: %s of %q is taken", attr, u.UserName))
	}
	if u.Created.IsZero() {
		u.Created = now
	}
	if u.LastModified.IsZero() {
		u.LastModified = u.Created
	}
	u.Created, u.LastModified = u.Created.UTC().Truncate(time.Second), u.LastModified.UTC().Truncate(time.Second)
	return s.users.insert(u).User
}

// RemoveUser deletes the user with the given id, with its RAM state,
// whatever blocks a SCIM DELETE. Unknown ids are ignored.
func (s *Server) RemoveUser(id string) {
	s.users.mu.Lock()
	defer s.users.mu.Unlock()
	if r := s.users.byID[id]; r != nil {
		s.users.remove(r)
	}
}

// now returns the server clock, UTC, to the second (the precision of every
// time the APIs show).
func (s *Server) now() time.Time { return s.opts.Now().UTC().Truncate(time.Second) }
