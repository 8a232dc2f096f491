package feishu_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"testing"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
	larkcontact "github.com/larksuite/oapi-sdk-go/v3/service/contact/v3"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/feishu"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// The official Go SDK (github.com/larksuite/oapi-sdk-go/v3 v3.4.22) is the
// second implementation the crypto is checked against: its
// larkevent.EventDecrypt, larkcore.EncryptedEventMsg and
// larkevent.Signature, and its whole event dispatcher.

func randString(r *rand.Rand, max int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_+/=:. 飞书密钥"
	runes := []rune(alphabet)
	n := 1 + r.IntN(max)
	out := make([]rune, n)
	for i := range out {
		out[i] = runes[r.IntN(len(runes))]
	}
	return string(out)
}

// randJSON returns a random JSON object of 0 to ~300 bytes (the SDK cuts
// the plaintext at the outer braces, so it must be an object).
func randJSON(r *rand.Rand) []byte {
	m := map[string]any{}
	for range r.IntN(8) {
		m[randString(r, 12)] = randString(r, 40)
	}
	b, _ := json.Marshal(m)
	return b
}

func TestCryptoAgreesWithSDK(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	for i := range 300 {
		key := randString(r, 48)
		plain := randJSON(r)

		// Our sender's ciphertext opens with the SDK's decrypt.
		enc := cloudtest.FeishuEncrypt(plain, key)
		got, err := larkevent.EventDecrypt(enc, key)
		if err != nil || string(got) != string(plain) {
			t.Fatalf("case %d: SDK EventDecrypt(our encrypt) = %q, %v; want %q", i, got, err, plain)
		}
		// The SDK's ciphertext opens with our decrypt (PKCS#7 checked).
		sdkEnc, err := larkcore.EncryptedEventMsg(ctx, plain, key)
		if err != nil {
			t.Fatal(err)
		}
		got, err = feishu.Decrypt(sdkEnc, key)
		if err != nil || string(got) != string(plain) {
			t.Fatalf("case %d: Decrypt(SDK encrypt) = %q, %v; want %q", i, got, err, plain)
		}
		// Our decrypt of our own ciphertext.
		if got, err := feishu.Decrypt(enc, key); err != nil || string(got) != string(plain) {
			t.Fatalf("case %d: Decrypt(our encrypt) = %q, %v", i, got, err)
		}

		// Signatures: SDK, verifier and sender agree.
		ts := strconv.FormatInt(r.Int64N(1<<34), 10)
		nonce := randString(r, 16)
		body := fmt.Appendf(nil, `{"encrypt":%q}`, enc)
		want := larkevent.Signature(ts, nonce, key, string(body))
		if got := feishu.Signature(ts, nonce, key, body); got != want {
			t.Fatalf("case %d: Signature = %s, SDK %s", i, got, want)
		}
		if got := cloudtest.FeishuSignature(ts, nonce, key, body); got != want {
			t.Fatalf("case %d: cloudtest.FeishuSignature = %s, SDK %s", i, got, want)
		}
	}
}

// TestVerifierAcceptsSDKPushes: a push encrypted and signed by the SDK's
// functions opens with Open.
func TestVerifierAcceptsSDKPushes(t *testing.T) {
	ctx := context.Background()
	plain := testApp().Event(cloudtest.FeishuEvent{ID: "ev-sdk", Type: feishu.EventUserCreated, User: cloudtest.FeishuUser{UserID: "u7", Name: "Wang Fang"}})
	enc, err := larkcore.EncryptedEventMsg(ctx, plain, encKey)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(larkevent.EventEncryptMsg{Encrypt: enc})
	ts := strconv.FormatInt(now.Unix(), 10)
	h := http.Header{}
	h.Set(larkevent.EventRequestTimestamp, ts)
	h.Set(larkevent.EventRequestNonce, "sdk-nonce")
	h.Set(larkevent.EventSignature, larkevent.Signature(ts, "sdk-nonce", encKey, string(body)))
	p, err := open(h, body)
	if err != nil || len(p.Events) != 1 || p.Events[0].Employee.ID != "u7" || p.Events[0].ID != "ev-sdk" {
		t.Fatalf("Open(SDK push) = %+v, %v", p, err)
	}
}

// TestSDKDispatcherAcceptsOurPushes: the SDK's own event dispatcher (which
// verifies the signature, decrypts and routes) takes our sender's pushes,
// URL check included, and reads the user object we put in.
func TestSDKDispatcherAcceptsOurPushes(t *testing.T) {
	app := testApp()
	var created *larkcontact.P2UserCreatedV3
	var deleted *larkcontact.P2UserDeletedV3
	d := dispatcher.NewEventDispatcher(verifyTok, encKey).
		OnP2UserCreatedV3(func(_ context.Context, e *larkcontact.P2UserCreatedV3) error { created = e; return nil }).
		OnP2UserDeletedV3(func(_ context.Context, e *larkcontact.P2UserDeletedV3) error { deleted = e; return nil })
	d.InitConfig(larkevent.WithLogLevel(larkcore.LogLevelError))
	ctx := context.Background()

	p := app.EncryptPush(app.Event(cloudtest.FeishuEvent{ID: "ev-1", Type: feishu.EventUserCreated, CreateTime: now,
		User: cloudtest.FeishuUser{UserID: "u1", Name: "Li Wei", EnterpriseEmail: "li.wei@corp.example.com", Status: &cloudtest.FeishuUserStatus{IsActivated: true}}}), now)
	resp := d.Handle(ctx, &larkevent.EventReq{Header: p.Header(), Body: p.Body})
	if resp.StatusCode != http.StatusOK || created == nil {
		t.Fatalf("SDK answered %d %s", resp.StatusCode, resp.Body)
	}
	o := created.Event.Object
	if *o.UserId != "u1" || *o.EnterpriseEmail != "li.wei@corp.example.com" || !*o.Status.IsActivated || created.EventV2Base.Header.EventID != "ev-1" {
		t.Fatalf("SDK read %+v", o)
	}

	p = app.EncryptPush(app.Event(cloudtest.FeishuEvent{Type: feishu.EventUserDeleted, User: cloudtest.FeishuUser{UserID: "u2"}}), now)
	if resp := d.Handle(ctx, &larkevent.EventReq{Header: p.Header(), Body: p.Body}); resp.StatusCode != http.StatusOK || deleted == nil || *deleted.Event.Object.UserId != "u2" {
		t.Fatalf("SDK answered %d %s to a deletion", resp.StatusCode, resp.Body)
	}

	// A signature under another key is refused by the SDK as by Open.
	p = app.EncryptPush(app.Event(cloudtest.FeishuEvent{Type: feishu.EventUserCreated, User: cloudtest.FeishuUser{UserID: "u3"}}), now)
	h := p.Header()
	h.Set(feishu.HeaderSignature, cloudtest.FeishuSignature(p.Timestamp, p.Nonce, "other", p.Body))
	if resp := d.Handle(ctx, &larkevent.EventReq{Header: h, Body: p.Body}); resp.StatusCode == http.StatusOK {
		t.Fatal("SDK accepted a forged signature: the cross-check proves nothing")
	}

	// The URL check, unsigned as Feishu sends it.
	p = app.EncryptPush(app.URLVerification("ch-9"), now)
	resp = d.Handle(ctx, &larkevent.EventReq{Header: http.Header{}, Body: p.Body})
	if resp.StatusCode != http.StatusOK || string(resp.Body) != `{"challenge":"ch-9"}` {
		t.Fatalf("SDK answered the URL check %d %s", resp.StatusCode, resp.Body)
	}
	got, err := feishu.Open(nil, p.Body, feishu.Secret{EncryptKey: secrets.NewValue(encKey), VerificationToken: secrets.NewValue(verifyTok)}, appID, now, tolerance)
	if err != nil || got.Challenge != "ch-9" {
		t.Fatalf("Open(URL check) = %+v, %v", got, err)
	}
}
