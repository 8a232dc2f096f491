package cloudtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SCIM URNs and media type (RFC 7643, RFC 7644).
const (
	schemaUser         = "urn:ietf:params:scim:schemas:core:2.0:User"
	schemaListResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	schemaError        = "urn:ietf:params:scim:api:messages:2.0:Error"
	scimContentType    = "application/scim+json"
)

// scimUser is the User resource on the wire: exactly the attributes RAM
// returns [ALIYUN.md §1.2, DOC example].
type scimUser struct {
	Schemas     []string `json:"schemas"`
	ID          string   `json:"id"`
	ExternalID  string   `json:"externalId,omitempty"`
	UserName    string   `json:"userName"`
	DisplayName string   `json:"displayName"`
	Meta        scimMeta `json:"meta"`
}

type scimMeta struct {
	ResourceType string `json:"resourceType"`
	Created      string `json:"created"`
	LastModified string `json:"lastModified"`
	Location     string `json:"location"`
}

// wire converts u for a response.
func (s *Server) wire(u User) scimUser {
	return scimUser{
		Schemas:     []string{schemaUser},
		ID:          u.ID,
		ExternalID:  u.ExternalID,
		UserName:    u.UserName,
		DisplayName: u.DisplayName,
		Meta: scimMeta{
			ResourceType: "User",
			Created:      apiTime(u.Created),
			LastModified: apiTime(u.LastModified),
			Location:     s.location(u.ID),
		},
	}
}

// location is the absolute URL of a user, as meta.location has it.
func (s *Server) location(id string) string { return s.SCIMURL + "/Users/" + id }

// scimError is a SCIM error answer: HTTP status, RFC 7644 §3.12 scimType
// (may be empty) and a human detail.
type scimError struct {
	status   int
	scimType string
	detail   string
}

// readUser decodes and validates the body of a POST or PUT. Attributes
// other than userName, displayName and externalId are ignored, as are
// "schemas" and "id" [INFER: RAM's handling is undocumented].
func (s *Server) readUser(w http.ResponseWriter, r *http.Request) (User, *scimError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		return User{}, &scimError{http.StatusBadRequest, "invalidSyntax", "the body cannot be read: " + err.Error()}
	}
	var in struct {
		UserName    string `json:"userName"`
		DisplayName string `json:"displayName"`
		ExternalID  string `json:"externalId"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return User{}, &scimError{http.StatusBadRequest, "invalidSyntax", "the body is not a JSON User: " + err.Error()}
	}
	userName, err := s.normalizeUserName(in.UserName)
	if err != nil {
		return User{}, &scimError{http.StatusBadRequest, "invalidValue", err.Error()}
	}
	n := utf8.RuneCountInString(in.DisplayName)
	if n == 0 || n > s.opts.DisplayNameMax {
		return User{}, &scimError{http.StatusBadRequest, "invalidValue",
			fmt.Sprintf("displayName must be 1 to %d characters, not %d", s.opts.DisplayNameMax, n)}
	}
	return User{UserName: userName, DisplayName: in.DisplayName, ExternalID: in.ExternalID}, nil
}

// normalizeUserName checks a SCIM userName against the RAM rules
// [ALIYUN.md §1.4]: a name of 1–64 letters, digits, ".", "_" or "-",
// optionally followed by "@domain", which is rewritten to the account's
// "@<alias>.onaliyun.com"; the whole logon name at most 128 characters.
func (s *Server) normalizeUserName(v string) (string, error) {
	name, domain, hasDomain := strings.Cut(v, "@")
	if len(name) == 0 || len(name) > 64 || !allBytes(name, isNameByte) {
		return "", fmt.Errorf("userName %s must be 1 to 64 letters, digits, '.', '_' or '-', optionally followed by @domain", strconv.Quote(v))
	}
	if !hasDomain {
		return name, nil
	}
	if domain == "" || !allBytes(domain, isDomainByte) {
		return "", fmt.Errorf("userName %s has an invalid @domain suffix", strconv.Quote(v))
	}
	upn := name + "@" + s.opts.AccountAlias + ".onaliyun.com"
	if len(upn) > 128 {
		return "", fmt.Errorf("the logon name %s is longer than 128 characters", strconv.Quote(upn))
	}
	return upn, nil
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
}

func isDomainByte(c byte) bool { return isNameByte(c) && c != '_' }
