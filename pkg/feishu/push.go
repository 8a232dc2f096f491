package feishu

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ramsync/ramsync/pkg/hr"
)

// The headers Feishu signs a push with [EVT-RECV].
const (
	HeaderTimestamp = "X-Lark-Request-Timestamp"
	HeaderNonce     = "X-Lark-Request-Nonce"
	HeaderSignature = "X-Lark-Signature"
)

// Push is an opened push: either a URL check (Challenge set, to be echoed
// as {"challenge": "…"} with 200) or a schema 2.0 event (Events holds zero
// or one hr.Event: zero for event types ramsync does not act on, which are
// answered 200 all the same).
type Push struct {
	Challenge string
	Events    []hr.Event
	// EventType is header.event_type, for logs ("" for a URL check).
	EventType string
}

// AuthError is a push that does not authenticate: answer 401 and process
// nothing. Reason says what failed and never contains a secret.
type AuthError struct {
	Reason string
}

func (e *AuthError) Error() string { return "feishu: push refused: " + e.Reason }

// FormatError is a push that authenticated but cannot be read: answer 400.
// Field is a JSON path into the decrypted body ("" for the body as a whole).
type FormatError struct {
	// EventID is header.event_id when the envelope gave one (so a refusal
	// can name its event).
	EventID string
	Field   string
	Reason  string
}

func (e *FormatError) Error() string {
	if e.Field == "" {
		return "feishu: malformed push: " + e.Reason
	}
	return "feishu: malformed push: " + e.Field + ": " + e.Reason
}

func authErr(format string, args ...any) error {
	return &AuthError{Reason: fmt.Sprintf(format, args...)}
}

func formatErr(field, format string, args ...any) error {
	return &FormatError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// errUnsignedPush is the one answer to every unsigned push that is not a
// valid URL check. It deliberately does not say whether decryption,
// padding, JSON or the token failed: an unsigned request can be forged at
// will, and distinct answers would make the receiver a padding oracle for
// captured ciphertexts.
const errUnsignedPush = "no " + HeaderSignature + " header, and the body is not a URL check that decrypts with the Encrypt Key and carries the Verification Token"

// Open authenticates, decrypts and reads a push to the /feishu route (SPEC
// §4.6): h are the request headers (names matched without case), body the
// raw request body (base64-decoded already when the trigger says so), s the
// app's secrets, appID FEISHU_APP_ID, and now and tolerance bound the
// signature timestamp in either direction.
//
// The steps, in order:
//
//  1. A body over hr.MaxBodyBytes returns hr.ErrBodyTooLarge (413).
//  2. When any X-Lark-* signature header is present, all three must be, the
//     signature must be the lowercase hex SHA-256 of timestamp + nonce +
//     encrypt key + raw body (compared in constant time), and the
//     timestamp (Unix seconds) within tolerance of now.
//  3. The body must be {"encrypt": "…"}: base64 of a 16-byte IV and the
//     AES-256-CBC ciphertext under SHA-256(encrypt key), PKCS#7 padded
//     (checked strictly).
//  4. A decrypted {"type": "url_verification"} must carry the Verification
//     Token (constant time) and a challenge; it alone may come unsigned.
//  5. Anything else must be signed and schema 2.0, with header.token equal
//     to the Verification Token and header.app_id to appID; the contact
//     user events become hr.Events (see [Events]).
//
// A push that fails 2–5 before it is authenticated returns *AuthError
// (401); one that authenticated but cannot be read, *FormatError (400).
func Open(h http.Header, body []byte, s Secret, appID string, now time.Time, tolerance time.Duration) (Push, error) {
	if len(body) > hr.MaxBodyBytes {
		return Push{}, hr.ErrBodyTooLarge
	}
	if s.EncryptKey.IsZero() || s.VerificationToken.IsZero() {
		// The operator's fault, not the sender's: neither type, so 500.
		return Push{}, errors.New("feishu: no Encrypt Key or Verification Token configured (FEISHU secret)")
	}
	key := s.EncryptKey.Reveal()
	signed, sigErr := verifySignature(h, body, key, now, tolerance)
	if sigErr != nil {
		// A URL check is answered with or without signature headers:
		// decrypting with the key and carrying the token are its proof
		// (SPEC §4.6). Anything else with a bad signature is refused.
		if ch, ok := urlCheck(body, key, s); ok {
			return Push{Challenge: ch}, nil
		}
		return Push{}, sigErr
	}
	refuse := func(reason string) error {
		if signed {
			return &AuthError{Reason: reason}
		}
		return &AuthError{Reason: errUnsignedPush}
	}

	var env struct {
		Encrypt *string `json:"encrypt"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Encrypt == nil || *env.Encrypt == "" {
		return Push{}, refuse(`body has no "encrypt" field: the app must have an Encrypt Key (Events and Callbacks > Encryption Strategy)`)
	}
	plain, err := Decrypt(*env.Encrypt, key)
	if err != nil {
		return Push{}, refuse(err.Error())
	}
	doc, err := decodeObject(plain)
	if err != nil {
		if signed {
			return Push{}, formatErr("", "decrypted body: %v", err)
		}
		return Push{}, refuse("")
	}

	if doc["type"] == "url_verification" {
		tok, _ := doc["token"].(string)
		if !equal(tok, s.VerificationToken.Reveal()) {
			return Push{}, refuse("URL check token is not the Verification Token")
		}
		ch, ok := doc["challenge"].(string)
		if !ok || ch == "" {
			return Push{}, formatErr("challenge", "missing or not a string")
		}
		return Push{Challenge: ch}, nil
	}
	if !signed {
		return Push{}, refuse("")
	}
	return openEvent(doc, s, appID)
}

// urlCheck reports whether body decrypts to a URL check carrying the
// Verification Token, and its challenge.
func urlCheck(body []byte, key string, s Secret) (string, bool) {
	var env struct {
		Encrypt string `json:"encrypt"`
	}
	if json.Unmarshal(body, &env) != nil || env.Encrypt == "" {
		return "", false
	}
	plain, err := Decrypt(env.Encrypt, key)
	if err != nil {
		return "", false
	}
	doc, err := decodeObject(plain)
	if err != nil || doc["type"] != "url_verification" {
		return "", false
	}
	tok, _ := doc["token"].(string)
	ch, _ := doc["challenge"].(string)
	if !equal(tok, s.VerificationToken.Reveal()) || ch == "" {
		return "", false
	}
	return ch, true
}

// openEvent reads a decrypted, signed event envelope. The token and app
// are checked before anything else: whatever does not carry them did not
// authenticate (401), whatever does but is malformed is a 400.
func openEvent(doc map[string]any, s Secret, appID string) (Push, error) {
	hdr, ok := doc["header"].(map[string]any)
	if !ok {
		return Push{}, authErr("no header carrying the Verification Token (header.token)")
	}
	tok, _ := hdr["token"].(string)
	if !equal(tok, s.VerificationToken.Reveal()) {
		return Push{}, authErr("header.token is not the Verification Token")
	}
	gotApp, _ := hdr["app_id"].(string)
	if appID == "" || !equal(gotApp, appID) {
		return Push{}, authErr("header.app_id %s is not FEISHU_APP_ID %s", quote(gotApp), quote(appID))
	}
	if schema, _ := doc["schema"].(string); schema != "2.0" {
		return Push{}, formatErr("schema", "want \"2.0\": subscribe to the v2.0 contact events, not v1.0")
	}
	var ev envelope
	ev.eventType, _ = hdr["event_type"].(string)
	if ev.eventType == "" {
		return Push{}, formatErr("header.event_type", "missing or not a string")
	}
	ev.eventID, _ = hdr["event_id"].(string)
	if ev.eventID == "" {
		return Push{}, formatErr("header.event_id", "missing or not a string")
	}
	t, err := createTime(hdr["create_time"])
	if err != nil {
		return Push{}, formatErr("header.create_time", "%v", err)
	}
	ev.createTime = t
	ev.event = doc["event"]
	events, err := ev.toEvents()
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			fe.EventID = ev.eventID
		}
		return Push{}, err
	}
	return Push{Events: events, EventType: ev.eventType}, nil
}

// verifySignature checks the X-Lark-* headers. No header at all is not an
// error (signed is false); anything else wrong is an *AuthError.
func verifySignature(h http.Header, body []byte, key string, now time.Time, tolerance time.Duration) (signed bool, err error) {
	ts, hasTS := header(h, HeaderTimestamp)
	nonce, hasNonce := header(h, HeaderNonce)
	sig, hasSig := header(h, HeaderSignature)
	if !hasTS && !hasNonce && !hasSig {
		return false, nil
	}
	switch {
	case !hasSig:
		return false, authErr("missing %s header", HeaderSignature)
	case !hasTS:
		return false, authErr("missing %s header", HeaderTimestamp)
	case !hasNonce:
		return false, authErr("missing %s header", HeaderNonce)
	}
	want := Signature(ts, nonce, key, body)
	if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(sig)), []byte(want)) != 1 {
		return false, authErr("%s does not match (wrong Encrypt Key, or the body was altered)", HeaderSignature)
	}
	sec, perr := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
	if perr != nil {
		return false, authErr("%s %s is not Unix seconds", HeaderTimestamp, quote(ts))
	}
	at := time.Unix(sec, 0)
	switch d := now.Sub(at); {
	case d > tolerance:
		return false, authErr("%s is %s old, beyond the tolerance of %s (a replay, or a clock off)", HeaderTimestamp, d.Round(time.Second), tolerance)
	case d < -tolerance:
		return false, authErr("%s is %s in the future, beyond the tolerance of %s (a clock off)", HeaderTimestamp, (-d).Round(time.Second), tolerance)
	}
	return true, nil
}

// Signature is the push signature [EVT-RECV]: the lowercase hex SHA-256 of
// timestamp + nonce + encryptKey + body (plain SHA-256, not an HMAC).
func Signature(timestamp, nonce, encryptKey string, body []byte) string {
	d := sha256.New()
	d.Write([]byte(timestamp))
	d.Write([]byte(nonce))
	d.Write([]byte(encryptKey))
	d.Write(body)
	return hex.EncodeToString(d.Sum(nil))
}

// Decrypt opens the encrypt field of a push [EVT-SEND]: base64 of a 16-byte
// IV followed by AES-256-CBC ciphertext, key SHA-256(encryptKey), PKCS#7
// padding (checked strictly: a wrong key fails here with high probability).
// Errors say what is wrong and contain nothing of the key or the plaintext.
func Decrypt(encrypt, encryptKey string) ([]byte, error) {
	buf, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encrypt))
	if err != nil {
		return nil, errors.New("encrypt is not base64")
	}
	if len(buf) < 2*aes.BlockSize || len(buf)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("encrypt is %d bytes, not a 16-byte IV and whole 16-byte blocks", len(buf))
	}
	k := sha256.Sum256([]byte(encryptKey))
	block, _ := aes.NewCipher(k[:]) // a 32-byte key never fails
	iv, ct := buf[:aes.BlockSize], buf[aes.BlockSize:]
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, ct)
	n, ok := pkcs7(plain)
	if !ok {
		return nil, errors.New("encrypt does not decrypt with the Encrypt Key (bad padding)")
	}
	return plain[:len(plain)-n], nil
}

// pkcs7 checks PKCS#7 padding in constant time and returns its length.
func pkcs7(b []byte) (int, bool) {
	n := int(b[len(b)-1])
	good := subtle.ConstantTimeLessOrEq(1, n) & subtle.ConstantTimeLessOrEq(n, aes.BlockSize)
	for i := 1; i <= aes.BlockSize; i++ {
		inPad := subtle.ConstantTimeLessOrEq(i, n)
		same := subtle.ConstantTimeByteEq(b[len(b)-i], byte(n))
		// Where i is inside the padding, the byte must equal n.
		good &= same | (inPad ^ 1)
	}
	return n, good == 1
}

// header returns the first value of name in h, matching the name without
// case (an FC trigger event carries headers as a plain, often lower-case,
// map).
func header(h http.Header, name string) (string, bool) {
	if v, ok := h[name]; ok && len(v) > 0 {
		return v[0], true
	}
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}

func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// decodeObject reads a JSON object with numbers as json.Number, as pkg/hr
// does, and nothing after it.
func decodeObject(data []byte) (map[string]any, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("invalid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("data after the JSON object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

// createTime reads header.create_time: milliseconds since 1970, as a
// string or a number [U-CREATED]. Values of 16 digits or more are read as
// microseconds, as in the overview page's example [EVT-OVERVIEW; INFER].
// Absent or empty gives the zero time (the event is then applied without a
// time, SPEC rule 5d).
func createTime(v any) (time.Time, error) {
	var s string
	switch x := v.(type) {
	case nil:
		return time.Time{}, nil
	case string:
		s = strings.TrimSpace(x)
	case json.Number:
		s = x.String()
	default:
		return time.Time{}, errors.New("not a string or a number")
	}
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, fmt.Errorf("%s is not milliseconds since 1970", quote(s))
	}
	if n >= 1e15 {
		return time.UnixMicro(n).UTC(), nil
	}
	return time.UnixMilli(n).UTC(), nil
}

// quote quotes s for a message, cut to 64 bytes so that a hostile value
// cannot blow up an error or a log line.
func quote(s string) string {
	if len(s) > 64 {
		s = strings.ToValidUTF8(s[:64], "") + "…"
	}
	return strconv.Quote(s)
}
