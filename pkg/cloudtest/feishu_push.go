package cloudtest

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// FeishuApp sends pushes the way the Feishu open platform does to an app's
// request URL [EVT-SEND, EVT-RECV]: a schema 2.0 envelope (or a URL check),
// AES-256-CBC encrypted under SHA-256(EncryptKey) with a random IV and
// PKCS#7 padding, base64 in {"encrypt": "…"}, signed with
// X-Lark-Request-Timestamp (Unix seconds), X-Lark-Request-Nonce and
// X-Lark-Signature = hex SHA-256(timestamp + nonce + EncryptKey + body).
type FeishuApp struct {
	AppID, TenantKey              string
	EncryptKey, VerificationToken string
}

// FeishuEvent is one event to send.
type FeishuEvent struct {
	// ID is header.event_id; empty makes a random one.
	ID string
	// Type is header.event_type, e.g. "contact.user.created_v3".
	Type string
	// CreateTime is header.create_time (sent as a string of milliseconds);
	// zero leaves it out.
	CreateTime time.Time
	// User is event.object; OldObject, when set, event.old_object.
	User      FeishuUser
	OldObject map[string]any
	// Token and AppID override the app's in the header (to forge).
	Token, AppID string
}

// Event returns the plaintext schema 2.0 envelope of e.
func (a FeishuApp) Event(e FeishuEvent) []byte {
	if e.ID == "" {
		e.ID = larkRandomHex(16)
	}
	tok, app := a.VerificationToken, a.AppID
	if e.Token != "" {
		tok = e.Token
	}
	if e.AppID != "" {
		app = e.AppID
	}
	hdr := map[string]any{"event_id": e.ID, "event_type": e.Type, "token": tok, "app_id": app, "tenant_key": a.TenantKey}
	if !e.CreateTime.IsZero() {
		hdr["create_time"] = strconv.FormatInt(e.CreateTime.UnixMilli(), 10)
	}
	ev := map[string]any{"object": e.User.Object()}
	if e.OldObject != nil {
		ev["old_object"] = e.OldObject
	}
	b, _ := json.Marshal(map[string]any{"schema": "2.0", "header": hdr, "event": ev})
	return b
}

// URLVerification returns the plaintext URL check carrying the app's
// Verification Token.
func (a FeishuApp) URLVerification(challenge string) []byte {
	b, _ := json.Marshal(map[string]string{"challenge": challenge, "token": a.VerificationToken, "type": "url_verification"})
	return b
}

// FeishuPush is a push as it goes on the wire.
type FeishuPush struct {
	// Body is {"encrypt": "…"}.
	Body []byte
	// Timestamp (Unix seconds), Nonce and Signature are the X-Lark-*
	// header values.
	Timestamp, Nonce, Signature string
}

// EncryptPush encrypts plaintext with the app's Encrypt Key and signs the
// resulting body for time at with a random nonce.
func (a FeishuApp) EncryptPush(plaintext []byte, at time.Time) FeishuPush {
	body, _ := json.Marshal(map[string]string{"encrypt": FeishuEncrypt(plaintext, a.EncryptKey)})
	p := FeishuPush{Body: body, Timestamp: strconv.FormatInt(at.Unix(), 10), Nonce: larkRandomHex(8)}
	p.Signature = FeishuSignature(p.Timestamp, p.Nonce, a.EncryptKey, body)
	return p
}

// Header returns the push's headers, as Feishu sends them.
func (p FeishuPush) Header() http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Lark-Request-Timestamp", p.Timestamp)
	h.Set("X-Lark-Request-Nonce", p.Nonce)
	h.Set("X-Lark-Signature", p.Signature)
	return h
}

// SignedRequest returns the POST of the push to url, headers included.
func (p FeishuPush) SignedRequest(ctx context.Context, url string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(p.Body))
	if err != nil {
		return nil, err
	}
	req.Header = p.Header()
	return req, nil
}

// FeishuEncrypt returns base64(iv + AES-256-CBC(SHA-256(key), iv,
// PKCS#7(plaintext))) with a random IV [EVT-SEND].
func FeishuEncrypt(plaintext []byte, key string) string {
	return FeishuEncryptIV(plaintext, key, nil)
}

// FeishuEncryptIV is FeishuEncrypt with a given 16-byte IV (nil: random).
func FeishuEncryptIV(plaintext []byte, key string, iv []byte) string {
	k := sha256.Sum256([]byte(key))
	block, _ := aes.NewCipher(k[:])
	if iv == nil {
		iv = make([]byte, aes.BlockSize)
		_, _ = rand.Read(iv)
	}
	n := aes.BlockSize - len(plaintext)%aes.BlockSize
	padded := append(append([]byte(nil), plaintext...), bytes.Repeat([]byte{byte(n)}, n)...)
	out := make([]byte, aes.BlockSize+len(padded))
	copy(out, iv)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out[aes.BlockSize:], padded)
	return base64.StdEncoding.EncodeToString(out)
}

// FeishuSignature is hex SHA-256(timestamp + nonce + key + body)
// [EVT-RECV].
func FeishuSignature(timestamp, nonce, key string, body []byte) string {
	d := sha256.New()
	d.Write([]byte(timestamp + nonce + key))
	d.Write(body)
	return hex.EncodeToString(d.Sum(nil))
}

func larkRandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
