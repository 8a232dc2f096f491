package cloudtest

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"unicode/utf8"
)

// The RAM user object's Comments, as the RAM OpenAPI reads and writes it
// (GetUser, UpdateUser, ListUsers) [ALIYUN.md §6.1]. ramsync keeps its
// suspension marker there.
//
// [INFER] A RAM OpenAPI write is not a SCIM write: UpdateUser changes the
// user's UpdateDate but not SCIM meta.lastModified, which only a SCIM PUT
// bumps. Conversely a SCIM PUT keeps the Comments.

// maxComments is the longest NewComments UpdateUser accepts, in characters
// [ALIYUN.md §6.1 DOC]; the shortest is 1.
const maxComments = 128

// ramUpdateUser changes the user's Comments. Only NewComments is emulated:
// the other New* parameters are refused, so that a client relying on them
// notices. The error codes follow the pattern of RAM's documented
// InvalidParameter.<Param>.Length codes [DOC RAM error list; INFER for
// NewComments].
func (s *Server) ramUpdateUser(r *record, p url.Values) (map[string]any, *rpcError) {
	for _, k := range []string{"NewUserName", "NewDisplayName", "NewMobilePhone", "NewEmail"} {
		if p.Has(k) {
			return nil, errRPC(http.StatusBadRequest, "InvalidParameter."+k,
				`cloudtest emulates only NewComments in UpdateUser, not "`+k+`".`)
		}
	}
	if p.Has("NewComments") {
		c := p.Get("NewComments")
		if n := utf8.RuneCountInString(c); n < 1 || n > maxComments {
			return nil, errRPC(http.StatusBadRequest, "InvalidParameter.NewComments.Length",
				fmt.Sprintf(`The parameter - "NewComments" beyond the length limit (1 to %d characters).`, maxComments))
		}
		r.comments, r.ramUpdated = c, s.now()
	}
	return map[string]any{"User": ramUserJSON(r)}, nil
}

// ListUsers page sizes [ALIYUN.md §6.1 DOC].
const (
	listUsersDefault = 100
	listUsersMax     = 1000
)

// ramListUsers lists users in creation order, MaxItems at a time. The
// Marker is an opaque cursor (the position key of the next user), so that
// paging stays stable while users are added or removed.
func (s *Server) ramListUsers(p url.Values) (map[string]any, *rpcError) {
	limit := listUsersDefault
	if p.Has("MaxItems") {
		n, err := strconv.Atoi(p.Get("MaxItems"))
		if err != nil || n < 1 || n > listUsersMax {
			return nil, errRPC(http.StatusBadRequest, "InvalidParameter.MaxItems",
				fmt.Sprintf(`The parameter - "MaxItems" must be a number from 1 to %d.`, listUsersMax))
		}
		limit = n
	}
	var from uint64
	if m := p.Get("Marker"); m != "" {
		n, err := strconv.ParseUint(m, 36, 64)
		if err != nil || n == 0 {
			return nil, errRPC(http.StatusBadRequest, "InvalidParameter.Marker", `The parameter - "Marker" is not valid.`)
		}
		from = n
	}
	s.users.mu.RLock()
	defer s.users.mu.RUnlock()
	order := s.users.order
	i := sort.Search(len(order), func(i int) bool { return order[i].seq >= from })
	end := min(len(order), i+limit)
	users := make([]map[string]any, 0, end-i)
	for _, r := range order[i:end] {
		users = append(users, ramUserJSON(r))
	}
	body := map[string]any{"IsTruncated": end < len(order), "Users": map[string]any{"User": users}}
	if end < len(order) {
		body["Marker"] = strconv.FormatUint(order[end].seq, 36)
	}
	return body, nil
}

// Comments returns the RAM Comments of the user named userName
// (case-insensitive, "@domain" ignored), "" if there is no such user.
func (s *Server) Comments(userName string) string {
	s.users.mu.RLock()
	defer s.users.mu.RUnlock()
	if r := s.users.byName[nameKey(userName)]; r != nil {
		return r.comments
	}
	return ""
}

// SetComments sets the RAM Comments of the user named userName directly,
// as if written before the test: no call is logged and neither UpdateDate
// nor meta.lastModified moves. Any length is accepted, to seed states RAM
// itself would refuse. It panics if there is no such user.
func (s *Server) SetComments(userName, comments string) {
	s.users.mu.Lock()
	defer s.users.mu.Unlock()
	r := s.users.byName[nameKey(userName)]
	if r == nil {
		panic(fmt.Sprintf("cloudtest: SetComments: no user named %q", userName))
	}
	r.comments = comments
}

// LoginStatus returns the Status of the console login profile of the user
// named userName: "Active", "Inactive", or "" when the user has no login
// profile or does not exist.
func (s *Server) LoginStatus(userName string) string {
	s.users.mu.RLock()
	defer s.users.mu.RUnlock()
	if r := s.users.byName[nameKey(userName)]; r != nil && r.ram.LoginProfile {
		return r.ram.LoginStatus
	}
	return ""
}
