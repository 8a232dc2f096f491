package e2e

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/dingtalk"
	"github.com/ramsync/ramsync/pkg/feishu"
	"github.com/ramsync/ramsync/pkg/localrun"
)

// vendorHostileCase is one hostile push and the statuses it may get.
type vendorHostileCase struct {
	name string
	send func(ctx context.Context) (int, []byte, error)
	want []int
}

// runVendorHostile sends every case through the real webhook binary and
// checks each is answered with one of its statuses and the §4.2 error
// body, makes no SCIM write and leaves RAM as it was; accepted, when set,
// must refuse every answer (DingTalk: never the "success" reply). It logs
// the RELIABILITY line scripts/reliability.sh reads.
func runVendorHostile(t *testing.T, l *localrun.Local, cases []vendorHostileCase, accepted func([]byte) bool) {
	t.Helper()
	rejections := 0
	defer func() {
		t.Logf("RELIABILITY suite=%s cases=%d rejections=%d scim_writes=%d", t.Name(), len(cases), rejections, l.Cloud.Counters().SCIMWrites())
	}()
	ctx := context.Background()
	for _, tc := range cases {
		writes, before := l.Cloud.Counters().SCIMWrites(), len(l.Cloud.Users())
		status, body, err := tc.send(ctx)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var a answer
		ok := slices.Contains(tc.want, status) && json.Unmarshal(body, &a) == nil && a.Error != nil && a.Error.Code != "" && a.Error.Message != ""
		if !ok {
			t.Errorf("%s: %d %s, want one of %v with the error body", tc.name, status, body, tc.want)
		} else {
			rejections++
		}
		if accepted != nil && accepted(body) {
			t.Errorf("%s: answered with the vendor's success", tc.name)
		}
		if n := l.Cloud.Counters().SCIMWrites() - writes; n != 0 || len(l.Cloud.Users()) != before {
			t.Errorf("%s: %d SCIM writes", tc.name, n)
		}
	}
}

// TestHostileFeishuPushes: forged, stale, future, wrong-token, wrong-app,
// unencrypted, undecryptable and oversized pushes to /feishu answer 401
// or 400 (413 for the oversized one) and write nothing (SPEC §4.6).
func TestHostileFeishuPushes(t *testing.T) {
	l := startVendors(t, localrun.Options{Feishu: &cloudtest.FeishuOptions{}})
	app := l.FeishuApp
	plain := feishuEvent(l, feishu.EventUserCreated, time.Now(), cloudtest.FeishuUser{UserID: "H1", Name: "Hostile", EnterpriseEmail: "hostile@corp.example.com"})
	post := func(p cloudtest.FeishuPush) func(context.Context) (int, []byte, error) {
		return func(ctx context.Context) (int, []byte, error) { return l.PostFeishu(ctx, p) }
	}
	// signed signs body with the app's key now.
	signed := func(body []byte, at time.Time) cloudtest.FeishuPush {
		p := cloudtest.FeishuPush{Body: body, Timestamp: strconv.FormatInt(at.Unix(), 10), Nonce: "n0nce"}
		p.Signature = cloudtest.FeishuSignature(p.Timestamp, p.Nonce, app.EncryptKey, body)
		return p
	}
	enc := func(s string) []byte { b, _ := json.Marshal(map[string]string{"encrypt": s}); return b }
	now := time.Now()
	good := app.EncryptPush(plain, now)
	other := app
	other.EncryptKey = "not-the-encrypt-key"
	with := func(p cloudtest.FeishuPush, f func(*cloudtest.FeishuPush)) cloudtest.FeishuPush { f(&p); return p }
	u401 := []int{401}
	cases := []vendorHostileCase{
		{"unsigned event", post(with(good, func(p *cloudtest.FeishuPush) { p.Timestamp, p.Nonce, p.Signature = "", "", "" })), u401},
		{"forged signature", post(with(good, func(p *cloudtest.FeishuPush) { p.Signature = strings.Repeat("ab", 32) })), u401},
		{"signature of another push", post(with(good, func(p *cloudtest.FeishuPush) { p.Signature = app.EncryptPush(plain, now).Signature })), u401},
		{"signature without its nonce", post(with(good, func(p *cloudtest.FeishuPush) { p.Nonce = "" })), u401},
		{"timestamp not a number", post(with(good, func(p *cloudtest.FeishuPush) {
			p.Timestamp = "yesterday"
			p.Signature = cloudtest.FeishuSignature(p.Timestamp, p.Nonce, app.EncryptKey, p.Body)
		})), u401},
		{"stale (10 min)", post(app.EncryptPush(plain, now.Add(-10*time.Minute))), u401},
		{"future (10 min)", post(app.EncryptPush(plain, now.Add(10*time.Minute))), u401},
		{"replayed a day later", post(app.EncryptPush(plain, now.Add(-24*time.Hour))), u401},
		{"wrong verification token", post(app.EncryptPush(app.Event(cloudtest.FeishuEvent{Type: feishu.EventUserCreated, Token: "guessed-token",
			User: cloudtest.FeishuUser{UserID: "H1", EnterpriseEmail: "hostile@corp.example.com"}}), now)), u401},
		{"wrong app id", post(app.EncryptPush(app.Event(cloudtest.FeishuEvent{Type: feishu.EventUserCreated, AppID: "cli_someone_else",
			User: cloudtest.FeishuUser{UserID: "H1", EnterpriseEmail: "hostile@corp.example.com"}}), now)), u401},
		{"unencrypted event, signed", post(signed(plain, now)), u401},
		{"unencrypted URL check", post(signed(l.FeishuApp.URLVerification("c"), now)), u401},
		{"URL check with a wrong token, unsigned", post(with(other.EncryptPush(app.URLVerification("c"), now), func(p *cloudtest.FeishuPush) {
			p.Timestamp, p.Nonce, p.Signature = "", "", ""
		})), u401},
		{"encrypted with another key, signed with ours", post(signed(otherKeyBody(other, plain, app.EncryptKey, now), now)), u401},
		{"encrypt not base64", post(signed(enc("%%%not base64%%%"), now)), u401},
		{"ciphertext not whole blocks", post(signed(enc(base64.StdEncoding.EncodeToString(make([]byte, 16+17))), now)), u401},
		{"ciphertext shorter than the IV", post(signed(enc(base64.StdEncoding.EncodeToString(make([]byte, 8))), now)), u401},
		{"bad padding under the right key", post(signed(enc(feishuBadPadding(plain, app.EncryptKey)), now)), u401},
		{"encrypt a number", post(signed([]byte(`{"encrypt":42}`), now)), u401},
		{"empty body", post(signed(nil, now)), u401},
		{"schema 1.0 event under the right key", post(app.EncryptPush([]byte(`{"uuid":"1","token":"x","type":"event_callback","event":{"type":"user_add"}}`), now)), []int{400, 401}},
		{"oversized", post(signed(enc(strings.Repeat("A", 1<<20)), now)), []int{413}},
	}
	runVendorHostile(t, l, cases, nil)
	// The control: the forgeries' own machinery, used right, is accepted.
	status, body, err := l.PostFeishu(context.Background(), signed(app.EncryptPush(plain, now).Body, time.Now()))
	if a := decodeAnswer(t, body); err != nil || status != 200 || len(a.Results) != 1 || a.Results[0].Action != "created" {
		t.Errorf("control push: %d %s %v, want 200 created", status, body, err)
	}
}

// otherKeyBody is a push body encrypted by app other, drawn again until it
// does not decrypt under key: about one time in 256 a wrong key yields
// valid padding and garbage, which a push signed with the right key then
// answers 400 (authenticated, malformed) rather than 401.
func otherKeyBody(other cloudtest.FeishuApp, plain []byte, key string, now time.Time) []byte {
	for {
		body := other.EncryptPush(plain, now).Body
		var env struct{ Encrypt string }
		_ = json.Unmarshal(body, &env)
		if _, err := feishu.Decrypt(env.Encrypt, key); err != nil {
			return body
		}
	}
}

// feishuBadPadding encrypts plaintext under key with a last block whose
// padding bytes disagree.
func feishuBadPadding(plaintext []byte, key string) string {
	k := sha256.Sum256([]byte(key))
	block, _ := aes.NewCipher(k[:])
	n := aes.BlockSize - len(plaintext)%aes.BlockSize
	padded := append(append([]byte(nil), plaintext...), bytes.Repeat([]byte{byte(n)}, n)...)
	padded[len(padded)-1] = 0x11 // 17: larger than a block
	iv := make([]byte, aes.BlockSize)
	_, _ = rand.Read(iv)
	out := append([]byte(nil), iv...)
	ct := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, padded)
	return base64.StdEncoding.EncodeToString(append(out, ct...))
}

// dtCrypto seals and signs DingTalk pushes by hand, for forgeries the
// double does not make: its own copy of the documented scheme.
type dtCrypto struct{ aesKey, token, appKey string }

// seal encrypts msg for owner with PKCS#7 padding to 32 bytes; pad, when
// set, changes the padded plaintext before encryption; lenDelta is added
// to the length field.
func (c dtCrypto) seal(msg []byte, owner string, lenDelta int, pad func([]byte) []byte) string {
	key, _ := base64.StdEncoding.DecodeString(c.aesKey + "=")
	var buf bytes.Buffer
	r := make([]byte, 16)
	_, _ = rand.Read(r)
	buf.Write(r)
	_ = binary.Write(&buf, binary.BigEndian, uint32(len(msg)+lenDelta))
	buf.Write(msg)
	buf.WriteString(owner)
	n := 32 - buf.Len()%32
	buf.Write(bytes.Repeat([]byte{byte(n)}, n))
	p := buf.Bytes()
	if pad != nil {
		p = pad(p)
	}
	block, _ := aes.NewCipher(key)
	ct := make([]byte, len(p))
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(ct, p)
	return base64.StdEncoding.EncodeToString(ct)
}

// push signs encrypt with token at ts (a string, as sent).
func (c dtCrypto) push(token, ts, encrypt string) (url.Values, []byte) {
	nonce := "abcd1234"
	parts := []string{token, ts, nonce, encrypt}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	sig := hex.EncodeToString(sum[:])
	body, _ := json.Marshal(map[string]string{"encrypt": encrypt})
	return url.Values{"signature": {sig}, "msg_signature": {sig}, "timestamp": {ts}, "nonce": {nonce}}, body
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// TestHostileDingTalkPushes: forged, stale, wrong-app-key, bad-padding,
// wrong-key, replayed and oversized pushes to /dingtalk never get the
// success reply, answer 401 (413 oversized) with the error body, fetch
// no user and write nothing (SPEC §4.6).
func TestHostileDingTalkPushes(t *testing.T) {
	l := startVendors(t, localrun.Options{DingTalk: &cloudtest.DingTalkOptions{}})
	dt := l.DingTalk
	o := dt.Options()
	dt.AddUser(cloudtest.DingTalkUser{UserID: "H2", Name: "Hostile", OrgEmail: "hostile2@corp.example.com", DeptIDs: []int64{1}})
	msg := dt.EventMessage(dingtalk.TypeUserAdd, time.Now(), "H2")
	c := dtCrypto{aesKey: o.AESKey, token: o.Token, appKey: o.AppKey}
	now := time.Now()
	send := func(q url.Values, body []byte) func(context.Context) (int, []byte, error) {
		return func(ctx context.Context) (int, []byte, error) { return l.PostDingTalk(ctx, q, body) }
	}
	goodQ, goodBody := dt.SealPush(msg, now)
	edit := func(f func(url.Values)) url.Values {
		q := url.Values{}
		for k, v := range goodQ {
			q[k] = slices.Clone(v)
		}
		f(q)
		return q
	}
	oldQ, oldBody := dt.SealPush(msg, now.Add(-10*time.Minute))
	wrongKey := dtCrypto{aesKey: "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut", appKey: o.AppKey}
	u401 := []int{401}
	cases := []vendorHostileCase{
		{"no query", send(nil, goodBody), u401},
		{"no signature", send(edit(func(q url.Values) { q.Del("signature"); q.Del("msg_signature") }), goodBody), u401},
		{"forged signature", send(edit(func(q url.Values) {
			q.Set("signature", strings.Repeat("0", 40))
			q.Set("msg_signature", strings.Repeat("0", 40))
		}), goodBody), u401},
		{"signature of another body", send(goodQ, func() []byte { _, b := dt.SealPush(msg, now); return b }()), u401},
		{"timestamp changed after signing", send(edit(func(q url.Values) { q.Set("timestamp", ms(now.Add(time.Second))) }), goodBody), u401},
		{"stale (10 min)", send(oldQ, oldBody), u401},
		{"future (10 min)", send(dt.SealPush(msg, now.Add(10*time.Minute))), u401},
		{"timestamp in seconds", send(c.push(o.Token, strconv.FormatInt(now.Unix(), 10), c.seal(msg, o.AppKey, 0, nil))), u401},
		{"replayed with a fresh timestamp", send(edit(func(q url.Values) { q.Set("timestamp", ms(time.Now())) }), oldBody), u401},
		{"signed with a guessed token", send(c.push("guessed-token", ms(now), c.seal(msg, o.AppKey, 0, nil))), u401},
		{"sealed for another app key", send(dt.SealPushFor("dingsomeoneelse0001", msg, now)), u401},
		{"sealed for the corp id", send(dt.SealPushFor(o.CorpID, msg, now)), u401},
		{"sealed with another aes key", send(c.push(o.Token, ms(now), wrongKey.seal(msg, o.AppKey, 0, nil))), u401},
		{"bad padding (33)", send(c.push(o.Token, ms(now), c.seal(msg, o.AppKey, 0, func(p []byte) []byte { p[len(p)-1] = 33; return p }))), u401},
		{"bad padding (bytes differ)", send(c.push(o.Token, ms(now), c.seal(msg, o.AppKey, 0, func(p []byte) []byte {
			if n := int(p[len(p)-1]); n > 1 {
				p[len(p)-2] ^= 0xff
			} else {
				p[len(p)-1] = 0
			}
			return p
		}))), u401},
		{"length field past the end", send(c.push(o.Token, ms(now), c.seal(msg, o.AppKey, 1<<20, nil))), u401},
		{"ciphertext not whole blocks", send(c.push(o.Token, ms(now), base64.StdEncoding.EncodeToString(make([]byte, 40)))), u401},
		{"encrypt not base64", send(c.push(o.Token, ms(now), "@@not-base64@@")), u401},
		{"body not JSON", send(goodQ, []byte("encrypt=abc")), u401},
		{"oversized", send(goodQ, []byte(`{"encrypt":"`+strings.Repeat("A", 1<<20)+`"}`)), []int{413}},
	}
	runVendorHostile(t, l, cases, func(b []byte) bool { return dt.CheckReply(b) == nil })
	if n := dt.Calls(dingtalk.APIUserGet); n != 0 {
		t.Errorf("hostile pushes fetched %d users", n)
	}
	// The control: the forgeries' own sealing, used right, is accepted.
	q, b := c.push(o.Token, ms(time.Now()), c.seal(msg, o.AppKey, 0, nil))
	status, body, err := l.PostDingTalk(context.Background(), q, b)
	if err != nil || status != 200 || dt.CheckReply(body) != nil || len(l.Cloud.Users()) != 1 {
		t.Errorf("control push: %d %s %v, want the success reply and one user", status, body, err)
	}
}
