package feishu_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/feishu"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/secrets"
)

const (
	appID     = "cli_a1b2c3"
	encKey    = "ek-3f9a1c0d"
	verifyTok = "vt-77e1b2"
	tolerance = 5 * time.Minute
)

var now = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

func testApp() cloudtest.FeishuApp {
	return cloudtest.FeishuApp{AppID: appID, TenantKey: "tk-1", EncryptKey: encKey, VerificationToken: verifyTok}
}

func testSecret() feishu.Secret {
	return feishu.Secret{AppSecret: secrets.NewValue("as-1"), EncryptKey: secrets.NewValue(encKey), VerificationToken: secrets.NewValue(verifyTok)}
}

func open(h http.Header, body []byte) (feishu.Push, error) {
	return feishu.Open(h, body, testSecret(), appID, now, tolerance)
}

type docVector struct {
	Decrypt struct {
		EncryptKey, Encrypt, Plaintext string
	}
	Signature struct {
		Timestamp, Nonce, EncryptKey, Body, Signature string
	}
}

func readVector(t *testing.T) docVector {
	t.Helper()
	raw, err := os.ReadFile("testdata/doc_vector.json")
	if err != nil {
		t.Fatal(err)
	}
	var v docVector
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestDocumentedVector runs Feishu's published test vector through Decrypt
// and through Open's whole path (signature, then decryption), and the
// signature vector through Signature.
func TestDocumentedVector(t *testing.T) {
	v := readVector(t)
	got, err := feishu.Decrypt(v.Decrypt.Encrypt, v.Decrypt.EncryptKey)
	if err != nil || string(got) != v.Decrypt.Plaintext {
		t.Fatalf("Decrypt(doc vector) = %q, %v; want %q", got, err, v.Decrypt.Plaintext)
	}
	if _, err := feishu.Decrypt(v.Decrypt.Encrypt, "other key"); err == nil {
		t.Fatal("the doc vector decrypted under another key")
	}
	s := v.Signature
	if got := feishu.Signature(s.Timestamp, s.Nonce, s.EncryptKey, []byte(s.Body)); got != s.Signature {
		t.Fatalf("Signature = %s, want %s", got, s.Signature)
	}
	if got := cloudtest.FeishuSignature(s.Timestamp, s.Nonce, s.EncryptKey, []byte(s.Body)); got != s.Signature {
		t.Fatalf("cloudtest.FeishuSignature = %s, want %s", got, s.Signature)
	}

	// Through Open: the signature passes, then decryption yields "hello
	// world", which is not JSON: authenticated but malformed.
	h := http.Header{}
	h.Set(feishu.HeaderTimestamp, s.Timestamp)
	h.Set(feishu.HeaderNonce, s.Nonce)
	h.Set(feishu.HeaderSignature, s.Signature)
	sec := feishu.Secret{EncryptKey: secrets.NewValue(s.EncryptKey), VerificationToken: secrets.NewValue("x")}
	at, _ := strconv.ParseInt(s.Timestamp, 10, 64)
	_, err = feishu.Open(h, []byte(s.Body), sec, appID, time.Unix(at, 0), time.Minute)
	var fe *feishu.FormatError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "not JSON") {
		t.Fatalf("Open(doc vector) = %v, want a FormatError about JSON", err)
	}
}

func TestParseSecret(t *testing.T) {
	s, err := feishu.ParseSecret(secrets.NewValue(`{"appSecret":"a-1","encryptKey":"e-2","verificationToken":"v-3"}`))
	if err != nil || s.AppSecret.Reveal() != "a-1" || s.EncryptKey.Reveal() != "e-2" || s.VerificationToken.Reveal() != "v-3" {
		t.Fatalf("ParseSecret = %v, %v", s, err)
	}
	for _, tc := range []struct{ in, want string }{
		{`{"encryptKey":"sekrit-e","verificationToken":"sekrit-v"}`, "no appSecret"},
		{`{"appSecret":"sekrit-a","verificationToken":"sekrit-v"}`, "no encryptKey"},
		{`{"appSecret":"sekrit-a","encryptKey":"sekrit-e"}`, "no verificationToken"},
		{`{"appSecret":"sekrit-a","encryptKey":"","verificationToken":"sekrit-v"}`, "encryptKey is empty"},
		{`{"appSecret":7,"encryptKey":"sekrit-e","verificationToken":"sekrit-v"}`, "appSecret is not a string"},
		{`sekrit-raw`, "not a JSON object"},
		{`{"appSecret":"sekrit-a"} {}`, "not a JSON object"},
	} {
		_, err := feishu.ParseSecret(secrets.NewValue(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseSecret(%s) = %v, want %q", tc.in, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "sekrit") {
			t.Errorf("ParseSecret error shows a value: %v", err)
		}
	}
}

// signed returns the headers of a push signed over body at time at.
func signed(body []byte, key string, at time.Time) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	h := http.Header{}
	h.Set(feishu.HeaderTimestamp, ts)
	h.Set(feishu.HeaderNonce, "n-1")
	h.Set(feishu.HeaderSignature, cloudtest.FeishuSignature(ts, "n-1", key, body))
	return h
}

func envelope(encrypt string) []byte {
	b, _ := json.Marshal(map[string]string{"encrypt": encrypt})
	return b
}

// rawCBC encrypts padded (already a multiple of 16) without adding padding.
func rawCBC(key string, padded []byte) string {
	k := sha256.Sum256([]byte(key))
	block, _ := aes.NewCipher(k[:])
	out := make([]byte, 16+len(padded))
	copy(out, "0123456789abcdef")
	cipher.NewCBCEncrypter(block, out[:16]).CryptBlocks(out[16:], padded)
	return base64.StdEncoding.EncodeToString(out)
}

func userEvent(typ string) []byte {
	return testApp().Event(cloudtest.FeishuEvent{ID: "ev-1", Type: typ, CreateTime: now.Add(-time.Minute),
		User: cloudtest.FeishuUser{UserID: "u1", Name: "Li Wei", EnterpriseEmail: "li.wei@corp.example.com", Status: &cloudtest.FeishuUserStatus{IsActivated: true}}})
}

// TestHostilePushes: each refused with the error type that says what to
// answer (*AuthError 401, *FormatError 400, hr.ErrBodyTooLarge 413), and
// no message carries a secret.
func TestHostilePushes(t *testing.T) {
	app := testApp()
	good := userEvent(feishu.EventUserCreated)
	goodPush := app.EncryptPush(good, now)
	enc := func(plain []byte) []byte { return envelope(cloudtest.FeishuEncrypt(plain, encKey)) }
	sign := func(body []byte) (http.Header, []byte) { return signed(body, encKey, now), body }
	withHeader := func(edit func(http.Header)) func() (http.Header, []byte) {
		return func() (http.Header, []byte) { h := goodPush.Header(); edit(h); return h, goodPush.Body }
	}
	push := func(plain []byte, at time.Time) func() (http.Header, []byte) {
		return func() (http.Header, []byte) { p := app.EncryptPush(plain, at); return p.Header(), p.Body }
	}
	raw, _ := base64.StdEncoding.DecodeString(cloudtest.FeishuEncrypt(good, encKey))
	b64 := base64.StdEncoding.EncodeToString
	event := func(e cloudtest.FeishuEvent) []byte {
		if e.Type == "" {
			e.Type = feishu.EventUserCreated
		}
		return app.Event(e)
	}
	var noID map[string]any
	_ = json.Unmarshal(event(cloudtest.FeishuEvent{User: cloudtest.FeishuUser{UserID: "u1"}}), &noID)
	delete(noID["header"].(map[string]any), "event_id")
	noIDBody, _ := json.Marshal(noID)
	schema1 := []byte(`{"uuid":"x","token":"` + verifyTok + `","ts":"1","type":"event_callback","event":{"type":"user_add"}}`)

	cases := []struct {
		name  string
		build func() (http.Header, []byte)
		want  string // "auth", "format", "large"
	}{
		{"forged signature", withHeader(func(h http.Header) { h.Set(feishu.HeaderSignature, strings.Repeat("ab", 32)) }), "auth"},
		{"signature under another key", func() (http.Header, []byte) { return signed(goodPush.Body, "other-key", now), goodPush.Body }, "auth"},
		{"signature signed with the verification token", func() (http.Header, []byte) { return signed(goodPush.Body, verifyTok, now), goodPush.Body }, "auth"},
		{"upper-case signature hex", withHeader(func(h http.Header) { h.Set(feishu.HeaderSignature, strings.ToUpper(goodPush.Signature)) }), "auth"},
		{"body altered after signing", func() (http.Header, []byte) {
			return goodPush.Header(), append(bytes.TrimSuffix(goodPush.Body, []byte("}")), []byte(`,"x":1}`)...)
		}, "auth"},
		{"signature without timestamp", withHeader(func(h http.Header) { h.Del(feishu.HeaderTimestamp) }), "auth"},
		{"signature without nonce", withHeader(func(h http.Header) { h.Del(feishu.HeaderNonce) }), "auth"},
		{"timestamp without signature", withHeader(func(h http.Header) { h.Del(feishu.HeaderSignature) }), "auth"},
		{"stale timestamp", push(good, now.Add(-tolerance-time.Second)), "auth"},
		{"future timestamp", push(good, now.Add(tolerance+time.Second)), "auth"},
		{"timestamp not Unix seconds", func() (http.Header, []byte) {
			h := http.Header{}
			ts := now.Format(time.RFC3339)
			h.Set(feishu.HeaderTimestamp, ts)
			h.Set(feishu.HeaderNonce, "n")
			h.Set(feishu.HeaderSignature, cloudtest.FeishuSignature(ts, "n", encKey, goodPush.Body))
			return h, goodPush.Body
		}, "auth"},
		{"wrong verification token", push(event(cloudtest.FeishuEvent{Token: "vt-guess", User: cloudtest.FeishuUser{UserID: "u1"}}), now), "auth"},
		{"wrong app id", push(event(cloudtest.FeishuEvent{AppID: "cli_other", User: cloudtest.FeishuUser{UserID: "u1"}}), now), "auth"},
		{"unencrypted event, signed", func() (http.Header, []byte) { return sign(good) }, "auth"},
		{"unencrypted URL check, unsigned", func() (http.Header, []byte) { return nil, app.URLVerification("c-1") }, "auth"},
		{"empty encrypt", func() (http.Header, []byte) { return sign(envelope("")) }, "auth"},
		{"encrypt not a string", func() (http.Header, []byte) { return sign([]byte(`{"encrypt":42}`)) }, "auth"},
		{"encrypt not base64", func() (http.Header, []byte) { return sign(envelope("not*base64!")) }, "auth"},
		{"bad padding", func() (http.Header, []byte) {
			return sign(envelope(rawCBC(encKey, append([]byte(`{"a":1}`), 9, 9, 9, 9, 9, 9, 9, 9, 8))))
		}, "auth"},
		{"zero padding byte", func() (http.Header, []byte) {
			return sign(envelope(rawCBC(encKey, append([]byte(`{"a":1}`), 0, 0, 0, 0, 0, 0, 0, 0, 0))))
		}, "auth"},
		{"padding longer than a block", func() (http.Header, []byte) {
			return sign(envelope(rawCBC(encKey, append([]byte(`{"a":1}`), 17, 17, 17, 17, 17, 17, 17, 17, 17))))
		}, "auth"},
		{"encrypted under another key", func() (http.Header, []byte) {
			// Drawn again until the wrong key fails the padding check: about
			// one time in 256 it yields garbage instead, which a push signed
			// with the right key answers as malformed (400).
			for {
				ct := cloudtest.FeishuEncrypt(good, "other-key")
				if _, err := feishu.Decrypt(ct, encKey); err != nil {
					return sign(envelope(ct))
				}
			}
		}, "auth"},
		{"truncated ciphertext", func() (http.Header, []byte) { return sign(envelope(b64(raw[:len(raw)-5]))) }, "auth"},
		{"last block cut off", func() (http.Header, []byte) { return sign(envelope(b64(raw[:len(raw)-16]))) }, "auth"},
		{"IV only", func() (http.Header, []byte) { return sign(envelope(b64(raw[:16]))) }, "auth"},
		{"body not JSON", func() (http.Header, []byte) { return sign([]byte("encrypt=abc")) }, "auth"},
		{"unsigned event", func() (http.Header, []byte) { return nil, enc(good) }, "auth"},
		{"unsigned URL check, wrong token", func() (http.Header, []byte) {
			return nil, enc([]byte(`{"type":"url_verification","challenge":"c","token":"guess"}`))
		}, "auth"},
		{"signed URL check, wrong token", func() (http.Header, []byte) {
			return sign(enc([]byte(`{"type":"url_verification","challenge":"c","token":"guess"}`)))
		}, "auth"},
		{"oversized body", func() (http.Header, []byte) {
			return sign(envelope(b64(bytes.Repeat([]byte{1}, hr.MaxBodyBytes))))
		}, "large"},
		{"signed, decrypts, not JSON", func() (http.Header, []byte) { return sign(enc([]byte("hello world"))) }, "format"},
		{"signed, decrypts to an array", func() (http.Header, []byte) { return sign(enc([]byte(`[1]`))) }, "format"},
		{"signed, schema 1.0 (no header.token)", func() (http.Header, []byte) { return sign(enc(schema1)) }, "auth"},
		{"signed, no event_id", func() (http.Header, []byte) { return sign(enc(noIDBody)) }, "format"},
		{"signed, bad create_time", func() (http.Header, []byte) {
			return sign(enc(bytes.Replace(userEvent(feishu.EventUserCreated), []byte(`"create_time":"`), []byte(`"create_time":"x`), 1)))
		}, "format"},
		{"signed, no user_id", func() (http.Header, []byte) {
			return sign(enc(event(cloudtest.FeishuEvent{User: cloudtest.FeishuUser{OpenID: "ou_1", Name: "x"}})))
		}, "format"},
		{"signed, is_resigned not a boolean", func() (http.Header, []byte) {
			return sign(enc(event(cloudtest.FeishuEvent{Type: feishu.EventUserUpdated, User: cloudtest.FeishuUser{UserID: "u1", Extra: map[string]any{"status": map[string]any{"is_resigned": "yes"}}}})))
		}, "format"},
		{"signed, URL check without challenge", func() (http.Header, []byte) {
			return sign(enc([]byte(`{"type":"url_verification","token":"` + verifyTok + `"}`)))
		}, "format"},
	}
	if len(cases) < 15 {
		t.Fatalf("only %d hostile pushes", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, body := tc.build()
			p, err := open(h, body)
			t.Log(err)
			var ae *feishu.AuthError
			var fe *feishu.FormatError
			switch tc.want {
			case "auth":
				if !errors.As(err, &ae) {
					t.Fatalf("Open = %+v, %v; want *AuthError", p, err)
				}
			case "format":
				if !errors.As(err, &fe) {
					t.Fatalf("Open = %+v, %v; want *FormatError", p, err)
				}
			case "large":
				if !errors.Is(err, hr.ErrBodyTooLarge) {
					t.Fatalf("Open = %v, want hr.ErrBodyTooLarge", err)
				}
			}
			if p.Challenge != "" || p.Events != nil {
				t.Fatalf("refused push returned %+v", p)
			}
			for _, s := range []string{encKey, verifyTok, "as-1"} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error %q shows a secret", err)
				}
			}
		})
	}
}

// TestUnsignedRefusalsLookAlike: an unsigned push can be forged at will, so
// its refusals must not tell bad padding from bad JSON (a padding oracle).
func TestUnsignedRefusalsLookAlike(t *testing.T) {
	bodies := [][]byte{
		envelope(rawCBC(encKey, append([]byte(`{"a":1}`), 9, 9, 9, 9, 9, 9, 9, 9, 8))),
		envelope(cloudtest.FeishuEncrypt([]byte("not json"), encKey)),
		envelope(cloudtest.FeishuEncrypt([]byte(`{"type":"url_verification","challenge":"c","token":"x"}`), encKey)),
		envelope(cloudtest.FeishuEncrypt(userEvent(feishu.EventUserCreated), encKey)),
		envelope("!!"),
	}
	var first string
	for i, b := range bodies {
		_, err := open(nil, b)
		if err == nil {
			t.Fatalf("body %d accepted", i)
		}
		if i == 0 {
			first = err.Error()
		} else if err.Error() != first {
			t.Fatalf("body %d refused as %q, body 0 as %q", i, err, first)
		}
	}
}

func TestURLVerification(t *testing.T) {
	app := testApp()
	p := app.EncryptPush(app.URLVerification("ajls384kdjxxxx"), now)
	lower := http.Header{}
	for k, v := range p.Header() {
		lower[strings.ToLower(k)] = v
	}
	for name, h := range map[string]http.Header{"unsigned": nil, "signed": p.Header(), "lower-case header names": lower} {
		got, err := open(h, p.Body)
		if err != nil || got.Challenge != "ajls384kdjxxxx" || got.Events != nil {
			t.Errorf("%s: Open = %+v, %v", name, got, err)
		}
	}
}

func TestLowerCaseHeadersOnEvents(t *testing.T) {
	p := testApp().EncryptPush(userEvent(feishu.EventUserCreated), now)
	h := http.Header{}
	for k, v := range p.Header() {
		h[strings.ToLower(k)] = v
	}
	got, err := open(h, p.Body)
	if err != nil || len(got.Events) != 1 {
		t.Fatalf("Open with lower-case headers = %+v, %v", got, err)
	}
}

func TestNoKeyConfigured(t *testing.T) {
	p := testApp().EncryptPush(userEvent(feishu.EventUserCreated), now)
	_, err := feishu.Open(p.Header(), p.Body, feishu.Secret{}, appID, now, tolerance)
	var ae *feishu.AuthError
	var fe *feishu.FormatError
	if err == nil || errors.As(err, &ae) || errors.As(err, &fe) {
		t.Fatalf("Open without keys = %v, want a configuration error (500)", err)
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// TestURLCheckWithBadSignatureHeaders: the URL check is answered with or
// without signature headers, even stale or wrong ones (SPEC §4.6: decrypting
// with the key and carrying the token are its proof); an event with the same
// headers is refused.
func TestURLCheckWithBadSignatureHeaders(t *testing.T) {
	app := testApp()
	body := envelope(cloudtest.FeishuEncrypt([]byte(`{"type":"url_verification","challenge":"chal-9","token":"`+verifyTok+`"}`), encKey))
	stale := signed(body, encKey, now.Add(-time.Hour))
	p, err := feishu.Open(stale, body, testSecret(), appID, now, 5*time.Minute)
	if err != nil || p.Challenge != "chal-9" {
		t.Fatalf("URL check with stale headers: %+v, %v", p, err)
	}
	wrong := signed(body, "other-key", now)
	if p, err := feishu.Open(wrong, body, testSecret(), appID, now, 5*time.Minute); err != nil || p.Challenge != "chal-9" {
		t.Fatalf("URL check with a wrong signature: %+v, %v", p, err)
	}
	ev := app.EncryptPush(userEvent(feishu.EventUserCreated), now)
	var ae *feishu.AuthError
	if _, err := feishu.Open(signed(ev.Body, encKey, now.Add(-time.Hour)), ev.Body, testSecret(), appID, now, 5*time.Minute); !errors.As(err, &ae) {
		t.Fatalf("an event with stale headers: %v, want *AuthError", err)
	}
}
