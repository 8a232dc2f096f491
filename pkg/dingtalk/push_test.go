package dingtalk

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// now is the receiver's clock in the push tests.
var now = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

// secretOf returns the Secret the double's app has.
func secretOf(o cloudtest.DingTalkOptions) Secret {
	return Secret{AppSecret: secrets.NewValue(o.AppSecret), AESKey: secrets.NewValue(o.AESKey), Token: secrets.NewValue(o.Token)}
}

// handler is what the webhook does with a push, reduced to this package:
// Open, then Reply only when Open succeeded.
func handler(s Secret, appKey string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := make([]byte, MaxBodyBytes+1)
		n, _ := readFull(r, body)
		_, err := Open(r.URL.Query(), body[:n], s, appKey, now, 5*time.Minute)
		var ae *AuthError
		var fe *FormatError
		switch {
		case errors.Is(err, hr.ErrBodyTooLarge):
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		case errors.As(err, &ae):
			http.Error(w, err.Error(), http.StatusUnauthorized)
		case errors.As(err, &fe):
			http.Error(w, err.Error(), http.StatusBadRequest)
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		default:
			b, err := Reply(s, appKey, now)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(b)
		}
	})
}

func readFull(r *http.Request, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Body.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// rawSeal encrypts plain exactly as given (no length, key or padding
// added), for hand-made hostile plaintexts.
func rawSeal(t *testing.T, aesKey string, plain []byte) string {
	t.Helper()
	key, err := aesKeyBytes(aesKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(plain)%16 != 0 {
		t.Fatalf("raw plaintext of %d bytes", len(plain))
	}
	out := make([]byte, len(plain))
	block, _ := aes.NewCipher(key)
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, plain)
	return base64.StdEncoding.EncodeToString(out)
}

// signed returns a query and body for encrypt, signed with token at `at`.
func signed(token, encrypt string, at time.Time) (url.Values, []byte) {
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	sig := Signature(token, ts, "n0nce123", encrypt)
	body, _ := json.Marshal(map[string]string{"encrypt": encrypt})
	return url.Values{"signature": {sig}, "msg_signature": {sig}, "timestamp": {ts}, "nonce": {"n0nce123"}}, body
}

// plaintext builds random16 + length + msg + owner, padded with pad bytes
// of value padVal (pad ≤ 0: correct padding to 32).
func plaintext(msg []byte, lenField int, owner string, padVal, padLen int) []byte {
	p := append(bytes.Repeat([]byte{7}, 16), binary.BigEndian.AppendUint32(nil, uint32(lenField))...)
	p = append(p, msg...)
	p = append(p, owner...)
	if padLen <= 0 {
		padLen = 32 - len(p)%32
		padVal = padLen
	}
	return append(p, bytes.Repeat([]byte{byte(padVal)}, padLen)...)
}

// TestHostilePushes sends pushes DingTalk would never send: each is
// refused with its error type and status, and never answered "success".
func TestHostilePushes(t *testing.T) {
	dt := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{})
	defer dt.Close()
	o := dt.Options()
	s := secretOf(o)
	msg := dt.EventMessage(TypeUserLeave, now, "u1")
	otherKey := "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210abcdefg"

	type push struct {
		q    url.Values
		body []byte
	}
	good := func() push { q, b := dt.SealPush(msg, now); return push{q, b} }
	sealedAt := func(at time.Time) push { q, b := dt.SealPush(msg, at); return push{q, b} }
	withQuery := func(p push, k, v string) push {
		q := url.Values{}
		for kk, vv := range p.q {
			q[kk] = append([]string(nil), vv...)
		}
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return push{q, p.body}
	}
	signedEnc := func(enc string) push { q, b := signed(o.Token, enc, now); return push{q, b} }
	ownerPlain := func(m []byte) string { return rawSeal(t, o.AESKey, plaintext(m, len(m), o.AppKey, 0, 0)) }

	const (
		auth   = http.StatusUnauthorized
		format = http.StatusBadRequest
		large  = http.StatusRequestEntityTooLarge
	)
	tests := []struct {
		name   string
		p      push
		status int
	}{
		{"forged signature", withQuery(withQuery(good(), "signature", strings.Repeat("ab", 20)), "msg_signature", strings.Repeat("ab", 20)), auth},
		{"signed with another token", func() push {
			q, b := signed("not-the-token", mustEncrypt(t, o.AESKey, o.AppKey, msg), now)
			return push{q, b}
		}(), auth},
		{"no signature", withQuery(withQuery(good(), "signature", ""), "msg_signature", ""), auth},
		{"signature and msg_signature differ", withQuery(good(), "signature", strings.Repeat("0", 40)), auth},
		{"no timestamp", withQuery(good(), "timestamp", ""), auth},
		{"no nonce", withQuery(good(), "nonce", ""), auth},
		{"stale by 10 minutes", sealedAt(now.Add(-10 * time.Minute)), auth},
		{"10 minutes in the future", sealedAt(now.Add(10 * time.Minute)), auth},
		{"replayed body, new timestamp", withQuery(sealedAt(now.Add(-time.Hour)), "timestamp", strconv.FormatInt(now.UnixMilli(), 10)), auth},
		{"another push's body", push{good().q, good().body}, auth},
		{"timestamp in seconds, signed", func() push {
			enc := mustEncrypt(t, o.AESKey, o.AppKey, msg)
			ts := strconv.FormatInt(now.Unix(), 10)
			sig := Signature(o.Token, ts, "n", enc)
			b, _ := json.Marshal(map[string]string{"encrypt": enc})
			return push{url.Values{"signature": {sig}, "timestamp": {ts}, "nonce": {"n"}}, b}
		}(), auth},
		{"timestamp not a number, signed", func() push {
			enc := mustEncrypt(t, o.AESKey, o.AppKey, msg)
			sig := Signature(o.Token, "2026-11-30", "n", enc)
			b, _ := json.Marshal(map[string]string{"encrypt": enc})
			return push{url.Values{"signature": {sig}, "timestamp": {"2026-11-30"}, "nonce": {"n"}}, b}
		}(), auth},
		{"sealed for the corpId", func() push { q, b := dt.SealPushFor(o.CorpID, msg, now); return push{q, b} }(), auth},
		{"sealed for nobody", func() push { q, b := dt.SealPushFor("", msg, now); return push{q, b} }(), auth},
		{"wrong aesKey", signedEnc(mustEncrypt(t, otherKey, o.AppKey, msg)), auth},
		{"pad byte 0", signedEnc(rawSeal(t, o.AESKey, plaintext(msg, len(msg), o.AppKey, 0, 32-(20+len(msg)+len(o.AppKey))%32))), auth},
		{"pad byte 33", signedEnc(rawSeal(t, o.AESKey, plaintext([]byte(`{"EventType":"x"}`+strings.Repeat(" ", 27)), 44, o.AppKey, 33, 32-(20+44+len(o.AppKey))%32))), auth},
		{"pad bytes unequal", signedEnc(func() string {
			p := plaintext(msg, len(msg), o.AppKey, 0, 0)
			if p[len(p)-1] < 2 {
				t.Skip("pad of 1")
			}
			p[len(p)-2] ^= 0xff
			return rawSeal(t, o.AESKey, p)
		}()), auth},
		{"length beyond the plaintext", signedEnc(rawSeal(t, o.AESKey, plaintext(msg, 1<<30, o.AppKey, 0, 0))), auth},
		{"truncated ciphertext", signedEnc(func() string {
			ct, _ := base64.StdEncoding.DecodeString(mustEncrypt(t, o.AESKey, o.AppKey, msg))
			return base64.StdEncoding.EncodeToString(ct[:len(ct)-16])
		}()), auth},
		{"one AES block", signedEnc(base64.StdEncoding.EncodeToString(make([]byte, 32))), auth},
		{"encrypt not base64", signedEnc("this is not base64!"), auth},
		{"encrypt empty", signedEnc(""), auth},
		{"body not JSON", push{good().q, []byte("encrypt=abc")}, auth},
		{"body without encrypt", push{good().q, []byte(`{"Encrypt2":"x"}`)}, auth},
		{"encrypt a number", push{good().q, []byte(`{"encrypt":12}`)}, auth},
		{"body over 1 MiB", push{good().q, append([]byte(`{"encrypt":"`), bytes.Repeat([]byte("A"), MaxBodyBytes)...)}, large},
		{"message not JSON", signedEnc(ownerPlain([]byte("EventType=user_leave_org"))), format},
		{"message without EventType", signedEnc(ownerPlain([]byte(`{"UserId":["u1"]}`))), format},
		{"UserId not an array", signedEnc(ownerPlain([]byte(`{"EventType":"user_leave_org","UserId":"u1"}`))), format},
		{"UserId empty", signedEnc(ownerPlain([]byte(`{"EventType":"user_add_org","UserId":[]}`))), format},
		{"user id with a control character", signedEnc(ownerPlain([]byte(`{"EventType":"user_leave_org","UserId":["u\u0007"]}`))), format},
		{"UserId and userId both", signedEnc(ownerPlain([]byte(`{"EventType":"user_leave_org","UserId":["u1"],"userId":["u2"]}`))), format},
		{"TimeStamp not milliseconds", signedEnc(ownerPlain([]byte(`{"EventType":"user_leave_org","UserId":["u1"],"TimeStamp":"yesterday"}`))), format},
		{"message not UTF-8", signedEnc(ownerPlain([]byte("{\"EventType\":\"\xff\"}"))), format},
	}
	if len(tests) < 15 {
		t.Fatalf("only %d hostile pushes", len(tests))
	}
	h := handler(s, o.AppKey)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Open itself: the error type.
			_, err := Open(tt.p.q, tt.p.body, s, o.AppKey, now, 5*time.Minute)
			var ae *AuthError
			var fe *FormatError
			switch tt.status {
			case auth:
				if !errors.As(err, &ae) {
					t.Errorf("Open error %v (%T), want *AuthError", err, err)
				}
			case format:
				if !errors.As(err, &fe) {
					t.Errorf("Open error %v (%T), want *FormatError", err, err)
				}
			case large:
				if !errors.Is(err, hr.ErrBodyTooLarge) {
					t.Errorf("Open error %v, want hr.ErrBodyTooLarge", err)
				}
			}
			// Through a handler: the status, and never "success".
			req := httptest.NewRequest(http.MethodPost, "/dingtalk?"+tt.p.q.Encode(), bytes.NewReader(tt.p.body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d (%s)", rec.Code, tt.status, rec.Body.String())
			}
			if dt.CheckReply(rec.Body.Bytes()) == nil {
				t.Error("answered success")
			}
			for _, leak := range []string{o.Token, o.AESKey, o.AppSecret} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error %q leaks a secret", err)
				}
			}
		})
	}

	// The genuine push is answered "success", which DingTalk accepts.
	p := good()
	req := httptest.NewRequest(http.MethodPost, "/dingtalk?"+p.q.Encode(), bytes.NewReader(p.body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("genuine push: status %d: %s", rec.Code, rec.Body.String())
	}
	if err := dt.CheckReply(rec.Body.Bytes()); err != nil {
		t.Errorf("genuine push: DingTalk refuses the reply: %v", err)
	}
}

// TestOpenNeedsSecret: a secret without a token or key checks nothing.
func TestOpenNeedsSecret(t *testing.T) {
	dt := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{})
	defer dt.Close()
	o := dt.Options()
	q, body := dt.SealPush(dt.EventMessage(TypeUserLeave, now, "u1"), now)
	for _, s := range []Secret{{}, {AESKey: secrets.NewValue(o.AESKey)}, {Token: secrets.NewValue(o.Token)}} {
		_, err := Open(q, body, s, o.AppKey, now, time.Minute)
		var ae *AuthError
		if err == nil || errors.As(err, &ae) {
			t.Errorf("Open with secret %v: %v, want a configuration error", s, err)
		}
	}
}

func mustEncrypt(t *testing.T, aesKey, owner string, msg []byte) string {
	t.Helper()
	enc, err := Encrypt(aesKey, owner, msg)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// TestOpenEvents is the event table: what each type of push becomes,
// with field names in either case and the time from EventTime or
// TimeStamp.
func TestOpenEvents(t *testing.T) {
	dt := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{})
	defer dt.Close()
	o := dt.Options()
	at := now.Add(-30 * time.Second).Truncate(time.Millisecond)
	ms := strconv.FormatInt(at.UnixMilli(), 10)

	tests := []struct {
		name string
		msg  string
		want Push
	}{
		{"add (captured shape)", string(dt.EventMessage(TypeUserAdd, at, "u1", "u2")),
			Push{Type: TypeUserAdd, OccurredAt: at, Events: []Ref{{hr.EventHired, "u1"}, {hr.EventHired, "u2"}}}},
		{"active", `{"EventType":"user_active_org","UserId":["u3"],"TimeStamp":` + ms + `}`,
			Push{Type: TypeUserActive, OccurredAt: at, Events: []Ref{{hr.EventHired, "u3"}}}},
		{"modify (current docs shape)", `{"EventType":"user_modify_org","EventTime":` + ms + `,"CorpId":"ding1","BizId":"b","eventId":"ev-9","timeStamp":"1685501863357","userId":["u4"],"diffInfo":[{"userid":"u4","prev":{"name":"A"},"curr":{"name":"B"}}]}`,
			Push{Type: TypeUserModify, EventID: "ev-9", OccurredAt: at, Events: []Ref{{hr.EventUpdated, "u4"}}}},
		{"leave", `{"CorpId":"ding1","EventType":"user_leave_org","UserId":["u5","u5","u6"],"OptStaffId":"x","TimeStamp":"` + ms + `"}`,
			Push{Type: TypeUserLeave, OccurredAt: at, Events: []Ref{{hr.EventTerminated, "u5"}, {hr.EventTerminated, "u6"}}}},
		{"lower-case keys", `{"eventtype":"user_leave_org","userid":["u7"],"timestamp":"` + ms + `"}`,
			Push{Type: TypeUserLeave, OccurredAt: at, Events: []Ref{{hr.EventTerminated, "u7"}}}},
		{"numeric user id", `{"EventType":"user_leave_org","UserId":[1001]}`,
			Push{Type: TypeUserLeave, Events: []Ref{{hr.EventTerminated, "1001"}}}},
		{"check_url", `{"EventType":"check_url"}`, Push{Type: TypeCheckURL, CheckURL: true}},
		{"department event", `{"EventType":"org_dept_create","DeptId":[600582447],"TimeStamp":"` + ms + `"}`,
			Push{Type: "org_dept_create", OccurredAt: at}},
		{"unknown type", `{"EventType":"bpms_task_change"}`, Push{Type: "bpms_task_change"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, body := dt.SealPush([]byte(tt.msg), now)
			got, err := Open(q, body, secretOf(o), o.AppKey, now, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if !samePush(got, tt.want) {
				t.Errorf("Open = %+v\nwant   %+v", got, tt.want)
			}
		})
	}
}

func samePush(a, b Push) bool {
	if a.Type != b.Type || a.CheckURL != b.CheckURL || a.EventID != b.EventID || !a.OccurredAt.Equal(b.OccurredAt) || len(a.Events) != len(b.Events) {
		return false
	}
	for i := range a.Events {
		if a.Events[i] != b.Events[i] {
			return false
		}
	}
	return true
}

// TestReplyAcceptedByDingTalk checks Reply with the double's independent
// implementation of DingTalk's check, and with VerifyReply.
func TestReplyAcceptedByDingTalk(t *testing.T) {
	dt := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{})
	defer dt.Close()
	o := dt.Options()
	for range 40 { // random prefixes and nonces: every pad length shows up
		b, err := Reply(secretOf(o), o.AppKey, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := dt.CheckReply(b); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		if err := VerifyReply(b, secretOf(o), o.AppKey); err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil || len(m) != 4 || m["timeStamp"] != strconv.FormatInt(now.UnixMilli(), 10) {
			t.Fatalf("reply %s", b)
		}
	}
	other := secretOf(o)
	other.Token = secrets.NewValue("another-token")
	b, _ := Reply(other, o.AppKey, now)
	if dt.CheckReply(b) == nil {
		t.Error("a reply signed with another token was accepted")
	}
}
