package dingtalk

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ramsync/ramsync/pkg/hr"
)

const (
	// MaxBodyBytes is the largest push body read (1 MiB, as for ramsync's
	// own webhook); a larger one is refused with hr.ErrBodyTooLarge (413).
	MaxBodyBytes = hr.MaxBodyBytes
	// DefaultTolerance is the timestamp window Open uses when given none:
	// WEBHOOK_TOLERANCE's default.
	DefaultTolerance = 5 * time.Minute
	// maxUserIDLength bounds a userid, as hr bounds an employee id.
	maxUserIDLength = hr.MaxIDLength
)

// The DingTalk event types this package understands [DOC, dingtalk.md §2].
const (
	TypeCheckURL   = "check_url"
	TypeUserAdd    = "user_add_org"
	TypeUserActive = "user_active_org"
	TypeUserModify = "user_modify_org"
	TypeUserLeave  = "user_leave_org"
)

// Push is an authenticated, decrypted DingTalk push.
type Push struct {
	// Type is the DingTalk EventType as sent ("user_add_org", …).
	Type string
	// CheckURL is true for the console's URL check (check_url): answer
	// Reply and nothing else.
	CheckURL bool
	// EventID is the eventId, when the push carries one (current payloads
	// do, older ones do not); DingTalk asks receivers to deduplicate on it.
	EventID string
	// OccurredAt is EventTime, else TimeStamp (epoch milliseconds, a
	// number or a string); zero when the push carries neither.
	OccurredAt time.Time
	// Events is one Ref per user id of an address-book event, in order,
	// each id once; empty for check_url and for types ramsync ignores.
	Events []Ref
}

// Ref is what a push says about one user: the hr event type and the user's
// DingTalk userid. Hires and updates need the user fetched (Client.User);
// a termination has the id alone, since a leaver can no longer be fetched.
type Ref struct {
	Type   string // hr.EventHired, hr.EventUpdated or hr.EventTerminated
	UserID string
}

// NeedsFetch reports whether the user's record must be fetched to build
// the event: true for hires and updates.
func (r Ref) NeedsFetch() bool { return r.Type != hr.EventTerminated }

// AuthError is a push that cannot be authenticated: a missing or wrong
// signature, a timestamp outside the tolerance, a body that is not
// {"encrypt": "…"}, a ciphertext that does not open with the aesKey, or a
// message sealed for another app key. Answer 401, never the "success"
// reply, and write nothing.
type AuthError struct {
	Reason string
}

func (e *AuthError) Error() string { return "dingtalk: push not authenticated: " + e.Reason }

// FormatError is an authentic push whose message is not what DingTalk
// sends: not a JSON object, no EventType, a user list or time of the wrong
// type. Answer 400 (DingTalk retries twice, then lists it as failed).
type FormatError struct {
	Field  string // the message field at fault, "" for the whole message
	Reason string
}

func (e *FormatError) Error() string {
	if e.Field == "" {
		return "dingtalk: push message: " + e.Reason
	}
	return "dingtalk: push message: " + e.Field + ": " + e.Reason
}

// Open authenticates and decrypts a push: q is the request's query, body
// the raw request body, appKey the app's key (DINGTALK_APP_KEY), which the
// plaintext must end with. The signature (msg_signature, else signature)
// must match token, timestamp, nonce and encrypt, compared in constant time,
// and the timestamp (milliseconds) be within tolerance of now in either
// direction (DefaultTolerance when tolerance ≤ 0).
//
// Errors: a body over MaxBodyBytes wraps hr.ErrBodyTooLarge (413);
// *AuthError (401); *FormatError (400); any other error is the secret's
// fault (no token or aesKey; 500). Only a nil error may be answered with
// Reply.
func Open(q url.Values, body []byte, s Secret, appKey string, now time.Time, tolerance time.Duration) (Push, error) {
	if len(body) > MaxBodyBytes {
		return Push{}, fmt.Errorf("dingtalk: push: %w: %d bytes", hr.ErrBodyTooLarge, len(body))
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if s.Token.IsZero() || s.AESKey.IsZero() {
		// With an empty token anyone could sign: refuse to check at all.
		return Push{}, errors.New("dingtalk: push: the secret has no token or aesKey (read it with ParseSecret)")
	}
	sig, err := querySignature(q)
	if err != nil {
		return Push{}, err
	}
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	switch {
	case ts == "":
		return Push{}, &AuthError{Reason: "the query has no timestamp"}
	case nonce == "":
		return Push{}, &AuthError{Reason: "the query has no nonce"}
	}
	encrypt, err := bodyEncrypt(body)
	if err != nil {
		return Push{}, err
	}
	if !signatureOK(sig, s.Token.Reveal(), ts, nonce, encrypt) {
		return Push{}, &AuthError{Reason: "signature does not match (check the token of the HTTP push settings)"}
	}
	sent, err := parseMillis(ts)
	if err != nil {
		return Push{}, &AuthError{Reason: "timestamp " + err.Error()}
	}
	if d := now.Sub(sent); d > tolerance || d < -tolerance {
		return Push{}, &AuthError{Reason: fmt.Sprintf("timestamp %s is %s from now, outside the tolerance of %s", sent.UTC().Format(time.RFC3339), d.Round(time.Second), tolerance)}
	}
	key, err := aesKeyBytes(s.AESKey.Reveal())
	if err != nil {
		return Push{}, fmt.Errorf("dingtalk: secret aesKey %v", err)
	}
	msg, owner, err := open(key, encrypt)
	if err != nil {
		return Push{}, &AuthError{Reason: "encrypt: " + err.Error()}
	}
	if owner != appKey {
		return Push{}, &AuthError{Reason: fmt.Sprintf("the message is sealed for %s, not the app key %s (a subscription made with register_call_back uses the corpId)", quote(owner), quote(appKey))}
	}
	p, ferr := parseMessage(msg)
	if ferr != nil {
		return Push{}, ferr
	}
	return p, nil
}

// querySignature returns msg_signature, else signature; when both are
// given they must agree (DingTalk sends both, equal).
func querySignature(q url.Values) (string, error) {
	ms, s := q.Get("msg_signature"), q.Get("signature")
	switch {
	case ms == "" && s == "":
		return "", &AuthError{Reason: "the query has no signature (msg_signature or signature)"}
	case ms != "" && s != "" && ms != s:
		return "", &AuthError{Reason: "signature and msg_signature differ"}
	case ms != "":
		return ms, nil
	}
	return s, nil
}

// bodyEncrypt reads {"encrypt": "…"}. Without it nothing authenticates
// the request, so every fault is an *AuthError.
func bodyEncrypt(body []byte) (string, error) {
	var b map[string]json.RawMessage
	if err := json.Unmarshal(body, &b); err != nil || b == nil {
		return "", &AuthError{Reason: "the body is not a JSON object {\"encrypt\": \"…\"}"}
	}
	raw, ok := b["encrypt"]
	if !ok {
		return "", &AuthError{Reason: "the body has no encrypt field"}
	}
	var enc string
	if err := json.Unmarshal(raw, &enc); err != nil || enc == "" {
		return "", &AuthError{Reason: "encrypt is not a non-empty string"}
	}
	return enc, nil
}

// parseMillis reads epoch milliseconds: 1 to 15 digits, nothing else.
func parseMillis(s string) (time.Time, error) {
	if len(s) == 0 || len(s) > 15 || strings.TrimLeft(s, "0123456789") != "" {
		return time.Time{}, fmt.Errorf("%s is not epoch milliseconds", quote(s))
	}
	ms, _ := strconv.ParseInt(s, 10, 64)
	return time.UnixMilli(ms), nil
}
