package cloudtest

import (
	"net/http"
	"strconv"
	"strings"
)

// routeSCIM maps a request to its SCIM operation [ALIYUN.md §1.2,
// checklist 6–12]. Resources live at the host root; /Groups, /Bulk, /Me and
// anything else are 404.
func (s *Server) routeSCIM(r *http.Request) (string, http.HandlerFunc) {
	path := r.URL.Path
	switch {
	case path == "/Users":
		switch r.Method {
		case http.MethodPost:
			return "create", s.authed(s.scimCreate)
		case http.MethodGet:
			if r.URL.Query().Get("filter") != "" {
				return "find", s.authed(s.scimList)
			}
			return "list", s.authed(s.scimList)
		}
		return "other", s.authed(s.methodNotAllowed("GET, POST"))
	case strings.HasPrefix(path, "/Users/") && len(path) > len("/Users/") && !strings.Contains(path[len("/Users/"):], "/"):
		switch r.Method {
		case http.MethodGet:
			return "get", s.authed(s.scimGet)
		case http.MethodPut:
			return "replace", s.authed(s.scimReplace)
		case http.MethodPatch:
			return "patch", s.authed(s.scimPatch)
		case http.MethodDelete:
			return "delete", s.authed(s.scimDelete)
		}
		return "other", s.authed(s.methodNotAllowed("GET, PUT, PATCH, DELETE"))
	case isDiscovery(path):
		return "discovery", s.scimDiscovery // no token needed, as documented
	}
	return "other", func(w http.ResponseWriter, r *http.Request) {
		s.writeSCIMError(w, http.StatusNotFound, "", "no such endpoint: "+r.URL.Path+" (RAM SCIM serves /Users, /ResourceTypes and /Schemas)")
	}
}

// authed requires a valid Bearer token before h.
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearerToken(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
			s.writeSCIMError(w, http.StatusUnauthorized, "", "missing Authorization: Bearer access token")
			return
		}
		if !s.oauth.valid(tok, s.opts.Now()) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="scim", error="invalid_token"`)
			s.writeSCIMError(w, http.StatusUnauthorized, "", "the access token is unknown or expired")
			return
		}
		h(w, r)
	}
}

func (s *Server) methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		s.writeSCIMError(w, http.StatusMethodNotAllowed, "", r.Method+" is not supported here")
	}
}

// userID is the {id} of /Users/{id}.
func userID(r *http.Request) string { return strings.TrimPrefix(r.URL.Path, "/Users/") }

// scimCreate is POST /Users.
func (s *Server) scimCreate(w http.ResponseWriter, r *http.Request) {
	u, serr := s.readUser(w, r)
	if serr != nil {
		s.writeSCIMError(w, serr.status, serr.scimType, serr.detail)
		return
	}
	u.Created = s.now()
	u.LastModified = u.Created
	s.users.mu.Lock()
	if attr := s.users.conflict(u, nil); attr != "" {
		s.users.mu.Unlock()
		s.writeConflict(w, attr, u)
		return
	}
	u = s.users.insert(u).User
	s.users.mu.Unlock()
	w.Header().Set("Location", s.location(u.ID))
	writeJSON(w, s.opts.CreateStatus, scimContentType, s.wire(u))
}

// scimGet is GET /Users/{id}.
func (s *Server) scimGet(w http.ResponseWriter, r *http.Request) {
	u, ok := s.User(userID(r))
	if !ok {
		s.writeNotFound(w, r)
		return
	}
	writeJSON(w, http.StatusOK, scimContentType, s.wire(u))
}

// scimReplace is PUT /Users/{id}: a full replace of userName, displayName
// and externalId. An externalId missing from the body is removed, as a full
// replace means (RFC 7644 §3.5.1).
func (s *Server) scimReplace(w http.ResponseWriter, r *http.Request) {
	u, serr := s.readUser(w, r)
	if serr != nil {
		s.writeSCIMError(w, serr.status, serr.scimType, serr.detail)
		return
	}
	s.users.mu.Lock()
	rec := s.users.byID[userID(r)]
	if rec == nil {
		s.users.mu.Unlock()
		s.writeNotFound(w, r)
		return
	}
	if attr := s.users.conflict(u, rec); attr != "" {
		s.users.mu.Unlock()
		s.writeConflict(w, attr, u)
		return
	}
	u.ID, u.Created, u.LastModified = rec.ID, rec.Created, s.now()
	s.users.update(rec, u)
	s.users.mu.Unlock()
	writeJSON(w, http.StatusOK, scimContentType, s.wire(u))
}

// scimPatch is PATCH /Users/{id}, which RAM does not document
// [ALIYUN.md §1.2, UNKNOWN]: Options.PatchStatus (501) whatever the body.
func (s *Server) scimPatch(w http.ResponseWriter, r *http.Request) {
	s.writeSCIMError(w, s.opts.PatchStatus, "", "PATCH is not supported: replace the user with PUT")
}

// scimDelete is DELETE /Users/{id}: 204, unless the RAM user still has
// AccessKeys, policies, an MFA device or groups [ALIYUN.md §1.2].
func (s *Server) scimDelete(w http.ResponseWriter, r *http.Request) {
	s.users.mu.Lock()
	rec := s.users.byID[userID(r)]
	if rec == nil {
		s.users.mu.Unlock()
		s.writeNotFound(w, r)
		return
	}
	if b := rec.ram.blocking(); len(b) > 0 {
		name := rec.UserName
		s.users.mu.Unlock()
		s.writeSCIMError(w, s.opts.DeleteRefusedStatus, "",
			"RAM user "+strconv.Quote(name)+" still has "+strings.Join(b, ", ")+"; remove them with the RAM API before deleting the user")
		return
	}
	s.users.remove(rec)
	s.users.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) writeNotFound(w http.ResponseWriter, r *http.Request) {
	s.writeSCIMError(w, http.StatusNotFound, "", "user "+strconv.Quote(userID(r))+" not found")
}

func (s *Server) writeConflict(w http.ResponseWriter, attr string, u User) {
	v := u.UserName
	if attr == "externalId" {
		v = u.ExternalID
	}
	s.writeSCIMError(w, http.StatusConflict, "uniqueness", attr+" "+strconv.Quote(v)+" is already used by another RAM user")
}

// writeSCIMError answers an RFC 7644 §3.12 error, or only the status when
// Options.BareErrors is set. RAM's real error bodies are undocumented
// [ALIYUN.md §1.5].
func (s *Server) writeSCIMError(w http.ResponseWriter, status int, scimType, detail string) {
	noteCode(w, scimType)
	if s.opts.BareErrors {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, scimContentType, struct {
		Schemas  []string `json:"schemas"`
		Status   string   `json:"status"`
		ScimType string   `json:"scimType,omitempty"`
		Detail   string   `json:"detail"`
	}{[]string{schemaError}, strconv.Itoa(status), scimType, detail})
}
