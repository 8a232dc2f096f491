package cloudtest

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// EventMessage is the decrypted message of an address-book push in the
// shape captured from real traffic (PascalCase, TimeStamp a string of
// epoch milliseconds) [dingtalk.md §2]: {"CorpId", "EventType",
// "UserId": […], "TimeStamp"}. check_url is {"EventType": "check_url"}.
func (d *DingTalk) EventMessage(eventType string, at time.Time, userIDs ...string) []byte {
	if eventType == "check_url" {
		return []byte(`{"EventType":"check_url"}`)
	}
	m := map[string]any{
		"CorpId":    d.opts.CorpID,
		"EventType": eventType,
		"UserId":    slices.Clone(userIDs),
		"TimeStamp": strconv.FormatInt(at.UnixMilli(), 10),
	}
	b, _ := json.Marshal(m)
	return b
}

// SealPush encrypts msg and signs it as DingTalk does for a push sent at
// `at`: msg is sealed for the app key with the AESKey (random 16 bytes,
// big-endian length, msg, app key, PKCS#7 to 32 bytes, AES-256-CBC, IV =
// the key's first 16 bytes), the body is {"encrypt": "…"}, and the query
// carries signature and msg_signature (equal), timestamp in milliseconds
// and an 8-character nonce.
func (d *DingTalk) SealPush(msg []byte, at time.Time) (url.Values, []byte) {
	return d.SealPushFor(d.opts.AppKey, msg, at)
}

// SealPushFor is SealPush with another owner key in the plaintext (a
// corpId, another app's key), for tests of refusals.
func (d *DingTalk) SealPushFor(ownerKey string, msg []byte, at time.Time) (url.Values, []byte) {
	enc := dtSeal(d.opts.AESKey, ownerKey, msg)
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	nonce := dtNonce()
	sig := dtSign(d.opts.Token, ts, nonce, enc)
	q := url.Values{"signature": {sig}, "msg_signature": {sig}, "timestamp": {ts}, "nonce": {nonce}}
	body, _ := json.Marshal(map[string]string{"encrypt": enc})
	return q, body
}

// NewPushRequest returns the POST DingTalk would send to target (the
// webhook's /dingtalk URL) for msg at `at`.
func (d *DingTalk) NewPushRequest(ctx context.Context, target string, msg []byte, at time.Time) (*http.Request, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("cloudtest: push target: %w", err)
	}
	q, body := d.SealPush(msg, at)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

// CheckReply checks an answer to a push as DingTalk does: a JSON object
// with the strings msg_signature, timeStamp, nonce and encrypt; the
// signature over token, timeStamp, nonce and encrypt; encrypt opening to
// "success" followed by the app key.
func (d *DingTalk) CheckReply(body []byte) error {
	var r map[string]any
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("cloudtest: dingtalk reply is not a JSON object: %v", err)
	}
	get := func(k string) (string, error) {
		s, ok := r[k].(string)
		if !ok || s == "" {
			return "", fmt.Errorf("cloudtest: dingtalk reply: %s is missing or not a non-empty string", k)
		}
		return s, nil
	}
	var v [4]string
	for i, k := range []string{"msg_signature", "timeStamp", "nonce", "encrypt"} {
		s, err := get(k)
		if err != nil {
			return err
		}
		v[i] = s
	}
	if len(r) != 4 {
		return fmt.Errorf("cloudtest: dingtalk reply has %d fields, want exactly 4", len(r))
	}
	if dtSign(d.opts.Token, v[1], v[2], v[3]) != v[0] {
		return errors.New("cloudtest: dingtalk reply: msg_signature does not match")
	}
	msg, owner, err := dtOpen(d.opts.AESKey, v[3])
	if err != nil {
		return fmt.Errorf("cloudtest: dingtalk reply: %w", err)
	}
	if owner != d.opts.AppKey {
		return fmt.Errorf("cloudtest: dingtalk reply sealed for %q, not the app key %q", owner, d.opts.AppKey)
	}
	if string(msg) != "success" {
		return fmt.Errorf("cloudtest: dingtalk reply says %q, not \"success\"", msg)
	}
	return nil
}

// dtSign is DingTalk's signature: hex SHA-1 of the four strings sorted
// and joined.
func dtSign(parts ...string) string {
	s := slices.Clone(parts)
	slices.Sort(s)
	return fmt.Sprintf("%x", sha1.Sum([]byte(strings.Join(s, ""))))
}

func dtKey(aesKey string) []byte {
	k, err := base64.StdEncoding.DecodeString(aesKey + "=")
	if err != nil || len(k) != 32 {
		panic("cloudtest: the DingTalk AESKey is not a 43-character EncodingAESKey")
	}
	return k
}

// dtSeal is DingTalk's encryption, as the Java reference does it
// (DingCallbackCrypto.java, PKCS7Padding.BLOCK_SIZE = 32).
func dtSeal(aesKey, owner string, msg []byte) string {
	key := dtKey(aesKey)
	var buf bytes.Buffer
	prefix := make([]byte, 16)
	_, _ = rand.Read(prefix)
	buf.Write(prefix)
	_ = binary.Write(&buf, binary.BigEndian, int32(len(msg)))
	buf.Write(msg)
	buf.WriteString(owner)
	n := 32 - buf.Len()%32
	for range n {
		buf.WriteByte(byte(n))
	}
	block, _ := aes.NewCipher(key)
	out := buf.Bytes()
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, out)
	return base64.StdEncoding.EncodeToString(out)
}

// dtOpen reverses dtSeal, accepting pads 1…32.
func dtOpen(aesKey, enc string) ([]byte, string, error) {
	key := dtKey(aesKey)
	ct, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, "", errors.New("encrypt is not base64 of whole AES blocks")
	}
	block, _ := aes.NewCipher(key)
	cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(ct, ct)
	pad := int(ct[len(ct)-1])
	if pad < 1 || pad > 32 || pad > len(ct) || !bytes.Equal(ct[len(ct)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, "", errors.New("bad padding")
	}
	ct = ct[:len(ct)-pad]
	if len(ct) < 20 {
		return nil, "", errors.New("too short")
	}
	n := int(binary.BigEndian.Uint32(ct[16:20]))
	if n > len(ct)-20 {
		return nil, "", errors.New("length out of range")
	}
	return ct[20 : 20+n], string(ct[20+n:]), nil
}

// dtNonce is 8 random letters and digits.
func dtNonce() string {
	const a = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = a[int(b[i])%len(a)]
	}
	return string(b)
}
