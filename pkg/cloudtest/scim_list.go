package cloudtest

import (
	"net/http"
	"strconv"
	"strings"
)

// listResponse is an RFC 7644 §3.4.2 ListResponse.
type listResponse struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	StartIndex   int      `json:"startIndex"`
	ItemsPerPage int      `json:"itemsPerPage"`
	Resources    []any    `json:"Resources"`
}

// scimList is GET /Users, with or without a filter. Paging uses startIndex
// (1-based, values below 1 mean 1) and count (default Options.PageSize,
// capped at Options.MaxPageSize, negative means 0; ignored entirely with
// Options.IgnoreCount). Users come in creation order.
//
// itemsPerPage is the page size in effect, not the number of Resources:
// the documented answer to a one-user filter says "itemsPerPage":30
// [ALIYUN.md §1.2, DOC example]; RFC 7644 would say 1.
func (s *Server) scimList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	start, err := intParam(q.Get("startIndex"), 1)
	if err != nil {
		s.writeSCIMError(w, http.StatusBadRequest, "invalidValue", "startIndex must be an integer")
		return
	}
	start = max(start, 1)
	count := s.opts.PageSize
	if !s.opts.IgnoreCount {
		if count, err = intParam(q.Get("count"), s.opts.PageSize); err != nil {
			s.writeSCIMError(w, http.StatusBadRequest, "invalidValue", "count must be an integer")
			return
		}
		count = min(max(count, 0), max(s.opts.MaxPageSize, s.opts.PageSize))
	}

	var users []User
	var total int
	if filter := q.Get("filter"); filter != "" {
		terms, err := parseFilter(filter)
		if err != nil {
			s.writeSCIMError(w, http.StatusBadRequest, "invalidFilter", err.Error())
			return
		}
		all := s.find(terms)
		total = len(all)
		if start-1 < total {
			users = all[start-1 : min(total, start-1+count)]
		}
	} else {
		users, total = s.users.page(start-1, count)
	}

	resources := make([]any, len(users))
	for i, u := range users {
		resources[i] = s.wire(u)
	}
	writeJSON(w, http.StatusOK, scimContentType, listResponse{
		Schemas:      []string{schemaListResponse},
		TotalResults: total,
		StartIndex:   start,
		ItemsPerPage: count,
		Resources:    resources,
	})
}

// intParam parses an optional integer query parameter.
func intParam(v string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	return strconv.Atoi(v)
}

// The discovery documents. RAM documents that the endpoints exist and are
// called without a token, not their content [ALIYUN.md §1.1]; these are
// the RFC 7643 documents for a User with RAM's four attributes.
const (
	schemaResourceType = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	schemaSchema       = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

func isDiscovery(path string) bool {
	return path == "/ResourceTypes" || path == "/Schemas" ||
		path == "/ResourceTypes/User" || path == "/Schemas/"+schemaUser
}

// scimDiscovery is GET /ResourceTypes, /Schemas and their one entry.
func (s *Server) scimDiscovery(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		s.methodNotAllowed("GET")(w, r)
		return
	}
	var doc map[string]any
	if strings.HasPrefix(r.URL.Path, "/ResourceTypes") {
		doc = map[string]any{
			"schemas":     []string{schemaResourceType},
			"id":          "User",
			"name":        "User",
			"endpoint":    "/Users",
			"description": "RAM user",
			"schema":      schemaUser,
			"meta":        map[string]any{"resourceType": "ResourceType", "location": s.SCIMURL + "/ResourceTypes/User"},
		}
	} else {
		attr := func(name string, required bool, uniqueness string, caseExact bool) map[string]any {
			return map[string]any{
				"name": name, "type": "string", "multiValued": false, "required": required,
				"caseExact": caseExact, "mutability": "readWrite", "returned": "default", "uniqueness": uniqueness,
			}
		}
		doc = map[string]any{
			"schemas":     []string{schemaSchema},
			"id":          schemaUser,
			"name":        "User",
			"description": "RAM user",
			"attributes": []any{
				attr("userName", true, "server", false),
				attr("displayName", true, "none", false),
				attr("externalId", false, "server", true),
			},
			"meta": map[string]any{"resourceType": "Schema", "location": s.SCIMURL + "/Schemas/" + schemaUser},
		}
	}
	if r.URL.Path == "/ResourceTypes/User" || strings.HasPrefix(r.URL.Path, "/Schemas/") {
		writeJSON(w, http.StatusOK, scimContentType, doc)
		return
	}
	writeJSON(w, http.StatusOK, scimContentType, listResponse{
		Schemas: []string{schemaListResponse}, TotalResults: 1, StartIndex: 1, ItemsPerPage: 1, Resources: []any{doc},
	})
}
