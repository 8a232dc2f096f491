package scim

import (
	"encoding/json"
	"time"
)

// Schema URNs used on the wire.
const (
	SchemaUser  = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaList  = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	SchemaError = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// User is a RAM user as SCIM sees it: the four attributes RAM supports,
// plus the server's metadata.
type User struct {
	// ID is the RAM user id (a numeric string), set by the server.
	ID string
	// ExternalID links the user to its HR record. Users made in the RAM
	// console have none; ramsync only changes users that have one.
	ExternalID string
	// UserName is the RAM user name (case-insensitive, unique).
	UserName string
	// DisplayName is the RAM display name.
	DisplayName string
	// Meta is set by the server; it is ignored when sending.
	Meta Meta
}

// Meta is the server-maintained metadata of a [User]. A timestamp the
// server did not send, or sent in a form that cannot be read, is zero.
type Meta struct {
	Created      time.Time
	LastModified time.Time
	Location     string
	ResourceType string
}

// Owned reports whether the user carries an externalId, that is, whether it
// was provisioned from an HR record rather than made by hand.
func (u User) Owned() bool { return u.ExternalID != "" }

// wireUser is the JSON form of a user. externalId is always sent on writes:
// PUT replaces the whole resource, so leaving it out would silently make the
// user unowned.
type wireUser struct {
	Schemas     []string  `json:"schemas"`
	ID          string    `json:"id,omitempty"`
	ExternalID  string    `json:"externalId"`
	UserName    string    `json:"userName"`
	DisplayName string    `json:"displayName"`
	Meta        *wireMeta `json:"meta,omitempty"`
}

type wireMeta struct {
	Created      string `json:"created,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
	Location     string `json:"location,omitempty"`
	ResourceType string `json:"resourceType,omitempty"`
}

// MarshalJSON encodes u as a SCIM User resource.
func (u User) MarshalJSON() ([]byte, error) {
	w := wireUser{
		Schemas:     []string{SchemaUser},
		ID:          u.ID,
		ExternalID:  u.ExternalID,
		UserName:    u.UserName,
		DisplayName: u.DisplayName,
	}
	if !u.Meta.Created.IsZero() || !u.Meta.LastModified.IsZero() || u.Meta.Location != "" || u.Meta.ResourceType != "" {
		w.Meta = &wireMeta{
			Created:      formatTime(u.Meta.Created),
			LastModified: formatTime(u.Meta.LastModified),
			Location:     u.Meta.Location,
			ResourceType: u.Meta.ResourceType,
		}
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes a SCIM User resource. Unknown attributes are
// ignored; unreadable timestamps are left zero rather than failing the
// whole response.
func (u *User) UnmarshalJSON(b []byte) error {
	var w struct {
		ID          string   `json:"id"`
		ExternalID  string   `json:"externalId"`
		UserName    string   `json:"userName"`
		DisplayName string   `json:"displayName"`
		Meta        wireMeta `json:"meta"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*u = User{
		ID:          w.ID,
		ExternalID:  w.ExternalID,
		UserName:    w.UserName,
		DisplayName: w.DisplayName,
		Meta: Meta{
			Created:      parseTime(w.Meta.Created),
			LastModified: parseTime(w.Meta.LastModified),
			Location:     w.Meta.Location,
			ResourceType: w.Meta.ResourceType,
		},
	}
	return nil
}

// formatTime writes t so that parseTime reads back the same instant: in
// UTC unless that would leave the years RFC 3339 can write (0000–9999),
// and with its fraction of a second, if any.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if u := t.UTC(); u.Year() >= 0 && u.Year() <= 9999 {
		t = u
	}
	return t.Format(time.RFC3339Nano)
}

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// listResponse is RFC 7644 §3.4.2's ListResponse.
type listResponse struct {
	TotalResults int    `json:"totalResults"`
	StartIndex   int    `json:"startIndex"`
	ItemsPerPage int    `json:"itemsPerPage"`
	Resources    []User `json:"Resources"`
}
