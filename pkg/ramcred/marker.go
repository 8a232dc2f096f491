package ramcred

import (
	"strings"
	"time"
)

// markerPrefix starts every suspension marker.
const markerPrefix = "ramsync:suspended:"

// markerTime is the marker's time layout: RFC 3339, UTC, whole seconds.
const markerTime = "2006-01-02T15:04:05Z"

// ClearedComments is what [Client.Resume] writes over the marker. RAM
// documents NewComments as 1–128 characters, so an empty value may be
// refused [ALIYUN.md §6.1]; this neutral value is not a marker.
const ClearedComments = "ramsync:active"

// Marker is a ramsync suspension marker, kept in the RAM user's Comments:
// exactly "ramsync:suspended:<time>:<ids>", <time> RFC 3339 UTC with
// seconds (e.g. 2026-11-27T09:00:00Z), <ids> the comma-separated AccessKey
// ids ramsync deactivated (empty if none), e.g.
// "ramsync:suspended:2026-11-27T09:00:00Z:LTAI5tA,LTAI5tB" or
// "ramsync:suspended:2026-11-27T09:00:00Z:" (SPEC rule 5b).
type Marker struct {
	At     time.Time // the termination time; String writes it in UTC, to the second
	KeyIDs []string  // the AccessKeys ramsync made Inactive, in the order it did
}

// String is the marker as Comments hold it. With RAM's 2 AccessKeys per
// user it is at most 18+20+1+2×30+1 characters, well within the 128 that
// Comments allow.
func (m Marker) String() string {
	return markerPrefix + m.At.UTC().Format(markerTime) + ":" + strings.Join(m.KeyIDs, ",")
}

// ParseMarker reads a marker from a RAM user's Comments. It reports false
// unless comments start with "ramsync:suspended:" and are exactly a marker:
// the time in UTC with whole seconds and a "Z", then ":", then nothing or
// AccessKey ids (letters, digits, ".", "_", "-") separated by single
// commas. Nothing is trimmed.
func ParseMarker(comments string) (Marker, bool) {
	rest, ok := strings.CutPrefix(comments, markerPrefix)
	if !ok || len(rest) < len(markerTime)+1 || rest[len(markerTime)] != ':' {
		return Marker{}, false
	}
	at, err := time.Parse(markerTime, rest[:len(markerTime)])
	if err != nil {
		return Marker{}, false
	}
	m := Marker{At: at}
	ids := rest[len(markerTime)+1:]
	if ids == "" {
		return m, true
	}
	for id := range strings.SplitSeq(ids, ",") {
		if !validKeyID(id) {
			return Marker{}, false
		}
		m.KeyIDs = append(m.KeyIDs, id)
	}
	return m, true
}

// validKeyID reports whether id looks like an AccessKey id.
func validKeyID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// UserInfo is RAM's view of a user (GetUser, ListUsers).
type UserInfo struct {
	Name, ID, DisplayName, Comments string
	Created, Updated                time.Time // UTC; zero if RAM sent none
}

// Marker returns the suspension marker in the user's Comments, if they
// hold one.
func (u UserInfo) Marker() (Marker, bool) { return ParseMarker(u.Comments) }
