package dingtalk

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/secrets"
)

// vector is one of DingTalk's published test vectors (testdata/vectors.json).
type vector struct {
	Name, Token, AESKey, OwnerKey string
	Signature, Timestamp, Nonce   string
	Encrypt, Plaintext            string
	Pad                           int
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	data, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Vectors []vector }
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors) != 3 {
		t.Fatalf("%d vectors, want 3", len(f.Vectors))
	}
	return f.Vectors
}

func (v vector) secret() Secret {
	return Secret{AppSecret: secrets.NewValue("unused"), AESKey: secrets.NewValue(v.AESKey), Token: secrets.NewValue(v.Token)}
}

// TestVectors runs DingTalk's three published vectors through the
// signature, the decryption (pads of 17, 22 and 27: a 16-byte PKCS#7
// check would refuse all three) and the reply check.
func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			if got := Signature(v.Token, v.Timestamp, v.Nonce, v.Encrypt); got != v.Signature {
				t.Errorf("Signature = %s, want %s", got, v.Signature)
			}
			msg, owner, err := Decrypt(v.AESKey, v.Encrypt)
			if err != nil {
				t.Fatalf("Decrypt: %v", err)
			}
			if string(msg) != v.Plaintext || owner != v.OwnerKey {
				t.Errorf("Decrypt = %q, %q; want %q, %q", msg, owner, v.Plaintext, v.OwnerKey)
			}
			if pad := padOf(t, v.AESKey, v.Encrypt); pad != v.Pad {
				t.Errorf("pad %d, want %d", pad, v.Pad)
			}
			if v.Plaintext == replyMessage {
				// A and C are "success" answers: VerifyReply accepts them.
				body, _ := json.Marshal(replyBody{MsgSignature: v.Signature, TimeStamp: v.Timestamp, Nonce: v.Nonce, Encrypt: v.Encrypt})
				if err := VerifyReply(body, v.secret(), v.OwnerKey); err != nil {
					t.Errorf("VerifyReply: %v", err)
				}
				if err := VerifyReply(body, v.secret(), "another-app-key"); err == nil {
					t.Error("VerifyReply accepted another app key")
				}
				return
			}
			// B is a push: Open accepts it at its own time (timestamp in
			// milliseconds) and ignores its event type.
			q := url.Values{"signature": {v.Signature}, "timestamp": {v.Timestamp}, "nonce": {v.Nonce}}
			body, _ := json.Marshal(map[string]string{"encrypt": v.Encrypt})
			ms, _ := strconv.ParseInt(v.Timestamp, 10, 64)
			p, err := Open(q, body, v.secret(), v.OwnerKey, time.UnixMilli(ms), time.Minute)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if p.Type != "check_create_suite_url" || p.CheckURL || len(p.Events) != 0 {
				t.Errorf("Open = %+v, want an ignored check_create_suite_url", p)
			}
		})
	}
}

// padOf decrypts without unpadding and returns the pad byte.
func padOf(t *testing.T, aesKey, enc string) int {
	key, err := aesKeyBytes(aesKey)
	if err != nil {
		t.Fatal(err)
	}
	ct, _ := base64.StdEncoding.DecodeString(enc)
	block, _ := aes.NewCipher(key)
	cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(ct, ct)
	return int(ct[len(ct)-1])
}

// TestEncryptRoundTrip seals messages of every length modulo 32 and opens
// them again; the pad is always 1…32.
func TestEncryptRoundTrip(t *testing.T) {
	const key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	for n := range 70 {
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = byte('a' + i%26)
		}
		enc, err := Encrypt(key, "dingappkey", msg)
		if err != nil {
			t.Fatal(err)
		}
		got, owner, err := Decrypt(key, enc)
		if err != nil || string(got) != string(msg) || owner != "dingappkey" {
			t.Fatalf("len %d: Decrypt = %q, %q, %v", n, got, owner, err)
		}
		if pad := padOf(t, key, enc); pad < 1 || pad > 32 {
			t.Fatalf("len %d: pad %d", n, pad)
		}
	}
}

func TestParseSecret(t *testing.T) {
	const key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	good := `{"appSecret":"s3cr3t-app","aesKey":"` + key + `","token":"tok3n"}`
	s, err := ParseSecret(secrets.NewValue(good))
	if err != nil {
		t.Fatal(err)
	}
	if s.AppSecret.Reveal() != "s3cr3t-app" || s.AESKey.Reveal() != key || s.Token.Reveal() != "tok3n" {
		t.Errorf("ParseSecret = %#v", s)
	}
	for _, tt := range []struct{ name, in, field string }{
		{"not JSON", `s3cr3t-app`, "JSON"},
		{"no appSecret", `{"aesKey":"` + key + `","token":"tok3n"}`, "appSecret"},
		{"no aesKey", `{"appSecret":"s3cr3t-app","token":"tok3n"}`, "aesKey"},
		{"no token", `{"appSecret":"s3cr3t-app","aesKey":"` + key + `"}`, "token"},
		{"short aesKey", `{"appSecret":"s3cr3t-app","aesKey":"s3cr3t-short","token":"tok3n"}`, "aesKey"},
		{"aesKey not base64", `{"appSecret":"s3cr3t-app","aesKey":"` + key[:42] + `!","token":"tok3n"}`, "aesKey"},
		{"number", `{"appSecret":12345,"aesKey":"` + key + `","token":"tok3n"}`, "appSecret"},
		{"trailing", good + `{"x":"s3cr3t-app"}`, "after"},
		{"array", `["s3cr3t-app"]`, "not an object"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSecret(secrets.NewValue(tt.in))
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !contains(msg, tt.field) {
				t.Errorf("error %q does not name %s", msg, tt.field)
			}
			for _, leak := range []string{"s3cr3t", "tok3n", key[:20]} {
				if contains(msg, leak) {
					t.Errorf("error %q leaks %q", msg, leak)
				}
			}
		})
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
