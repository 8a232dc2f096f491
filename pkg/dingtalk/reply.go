package dingtalk

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

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
