package dingtalk

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
// *AuthError (401); *FormatError (400). Only a nil error may be answered
// with Reply.
func Open(q url.Values, body []byte, s Secret, appKey string, now time.Time, tolerance time.Duration) (Push, error) {
	if len(body) > MaxBodyBytes {
		return Push{}, fmt.Errorf("dingtalk: push: %w: %d bytes", hr.ErrBodyTooLarge, len(body))
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
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

// parseMessage reads a decrypted message. Keys are matched without case
// (UserId and userId, TimeStamp and timeStamp); two keys equal but for case
// are refused, since which one was meant cannot be known.
func parseMessage(msg []byte) (Push, *FormatError) {
	if !utf8.Valid(msg) {
		return Push{}, &FormatError{Reason: "invalid UTF-8"}
	}
	dec := json.NewDecoder(bytes.NewReader(msg))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return Push{}, &FormatError{Reason: "not a JSON object"}
	}
	if dec.More() {
		return Push{}, &FormatError{Reason: "unexpected data after the JSON object"}
	}
	f := make(map[string]any, len(m))
	for k, v := range m {
		lk := strings.ToLower(k)
		if _, dup := f[lk]; dup {
			return Push{}, &FormatError{Field: k, Reason: "given twice (keys are matched without case)"}
		}
		f[lk] = v
	}

	var p Push
	typ, ok := f["eventtype"].(string)
	if !ok || typ == "" {
		return Push{}, &FormatError{Field: "EventType", Reason: "required, a non-empty string"}
	}
	p.Type = typ
	if v, ok := f["eventid"]; ok {
		id, ok := v.(string)
		if !ok {
			return Push{}, &FormatError{Field: "eventId", Reason: "must be a string"}
		}
		p.EventID = id
	}
	for _, name := range []string{"EventTime", "TimeStamp"} {
		v, ok := f[strings.ToLower(name)]
		if !ok || v == nil {
			continue
		}
		var s string
		switch v := v.(type) {
		case json.Number:
			s = v.String()
		case string:
			s = v
		default:
			return Push{}, &FormatError{Field: name, Reason: "must be epoch milliseconds, a number or a string"}
		}
		t, err := parseMillis(s)
		if err != nil {
			return Push{}, &FormatError{Field: name, Reason: err.Error()}
		}
		p.OccurredAt = t
		break
	}

	var hrType string
	switch typ {
	case TypeCheckURL:
		p.CheckURL = true
		return p, nil
	case TypeUserAdd, TypeUserActive:
		hrType = hr.EventHired
	case TypeUserModify:
		hrType = hr.EventUpdated
	case TypeUserLeave:
		hrType = hr.EventTerminated
	default:
		return p, nil // answered "success", changes nothing
	}
	ids, ferr := userIDs(f["userid"])
	if ferr != nil {
		return Push{}, ferr
	}
	for _, id := range ids {
		p.Events = append(p.Events, Ref{Type: hrType, UserID: id})
	}
	return p, nil
}

// userIDs reads the UserId list: a non-empty array of ids (strings, or
// numbers kept as their text), duplicates dropped.
func userIDs(v any) ([]string, *FormatError) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return nil, &FormatError{Field: "UserId", Reason: "required, a non-empty array of user ids"}
	}
	seen := make(map[string]bool, len(arr))
	ids := make([]string, 0, len(arr))
	for i, e := range arr {
		var id string
		switch e := e.(type) {
		case string:
			id = strings.TrimSpace(e)
		case json.Number:
			id = e.String()
		default:
			return nil, &FormatError{Field: fmt.Sprintf("UserId[%d]", i), Reason: "must be a string"}
		}
		if reason := checkUserID(id); reason != "" {
			return nil, &FormatError{Field: fmt.Sprintf("UserId[%d]", i), Reason: reason}
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// checkUserID applies hr's rules for an employee id to a userid.
func checkUserID(id string) string {
	if id == "" {
		return "empty user id"
	}
	if n := utf8.RuneCountInString(id); n > maxUserIDLength {
		return fmt.Sprintf("user id is %d characters long, at most %d allowed", n, maxUserIDLength)
	}
	for _, r := range id {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Sprintf("user id contains the control character %U", r)
		}
	}
	return ""
}

// replyBody is the answer DingTalk expects: four strings [DOC
// http-callback-overview; SRC DingCallbackCrypto.java getEncryptedMap].
type replyBody struct {
	MsgSignature string `json:"msg_signature"`
	TimeStamp    string `json:"timeStamp"`
	Nonce        string `json:"nonce"`
	Encrypt      string `json:"encrypt"`
}

// replyMessage is what DingTalk expects to decrypt from a reply.
const replyMessage = "success"

// Reply returns the body of the answer to an opened push (check_url
// included), to send with status 200 and Content-Type application/json:
// {"msg_signature", "timeStamp", "nonce", "encrypt"}, where encrypt is
// "success" sealed for appKey and msg_signature signs it with timeStamp
// (now, in milliseconds) and a fresh nonce. The error is a bad aesKey or a
// failing random source.
func Reply(s Secret, appKey string, now time.Time) ([]byte, error) {
	enc, err := Encrypt(s.AESKey.Reveal(), appKey, []byte(replyMessage))
	if err != nil {
		return nil, err
	}
	nonce, err := newNonce()
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	return json.Marshal(replyBody{
		MsgSignature: Signature(s.Token.Reveal(), ts, nonce, enc),
		TimeStamp:    ts,
		Nonce:        nonce,
		Encrypt:      enc,
	})
}

// VerifyReply checks a reply as DingTalk does: the four fields present,
// msg_signature right, encrypt opening to "success" sealed for appKey.
// ramsync's tests use it; the timestamp is not checked for freshness
// (dingtalk.md §1.3).
func VerifyReply(body []byte, s Secret, appKey string) error {
	var r replyBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return fmt.Errorf("dingtalk: reply: not {\"msg_signature\", \"timeStamp\", \"nonce\", \"encrypt\"}: %v", err)
	}
	if r.MsgSignature == "" || r.TimeStamp == "" || r.Nonce == "" || r.Encrypt == "" {
		return errors.New("dingtalk: reply: a field is missing or empty")
	}
	if !signatureOK(r.MsgSignature, s.Token.Reveal(), r.TimeStamp, r.Nonce, r.Encrypt) {
		return errors.New("dingtalk: reply: msg_signature does not match")
	}
	msg, owner, err := Decrypt(s.AESKey.Reveal(), r.Encrypt)
	if err != nil {
		return fmt.Errorf("dingtalk: reply: %w", err)
	}
	if owner != appKey {
		return fmt.Errorf("dingtalk: reply: sealed for %s, not %s", quote(owner), quote(appKey))
	}
	if string(msg) != replyMessage {
		return fmt.Errorf("dingtalk: reply: the message is %s, not %q", quote(string(msg)), replyMessage)
	}
	return nil
}

// newNonce returns 8 random letters and digits, like DingTalk's nonces.
func newNonce() (string, error) {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("dingtalk: random nonce: %w", err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:]), nil
}

// quote quotes s for a message, cut to 64 characters.
func quote(s string) string {
	const limit = 64
	if utf8.RuneCountInString(s) <= limit {
		return strconv.Quote(s)
	}
	n := 0
	for i := range s {
		if n == limit {
			return strconv.Quote(s[:i]) + "…"
		}
		n++
	}
	return strconv.Quote(s)
}
