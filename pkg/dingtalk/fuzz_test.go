package dingtalk

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
)

// FuzzOpenMessage seals arbitrary messages correctly: Open must never
// panic, and whatever it accepts is well-formed.
func FuzzOpenMessage(f *testing.F) {
	dt := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{})
	defer dt.Close()
	o := dt.Options()
	for _, seed := range []string{`{"EventType":"check_url"}`, `{"EventType":"user_add_org","UserId":["a","b"],"TimeStamp":"1"}`,
		`{"eventtype":"user_leave_org","userid":[1],"EventTime":1685501863357}`, `[]`, `{"EventType":"user_modify_org","UserId":[null]}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		q, body := dt.SealPush(msg, now)
		p, err := Open(q, body, secretOf(o), o.AppKey, now, time.Minute)
		if err != nil {
			if _, ok := err.(*FormatError); !ok {
				t.Fatalf("a genuine push refused with %T: %v", err, err)
			}
			return
		}
		if p.Type == "" {
			t.Fatal("accepted without a type")
		}
		for _, r := range p.Events {
			if checkUserID(r.UserID) != "" {
				t.Fatalf("accepted user id %q", r.UserID)
			}
		}
	})
}

// FuzzOpenRaw sends arbitrary queries and bodies: never a panic, never
// accepted without the token.
func FuzzOpenRaw(f *testing.F) {
	dt := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{})
	defer dt.Close()
	o := dt.Options()
	q, body := dt.SealPush(dt.EventMessage(TypeUserAdd, now, "u1"), now)
	f.Add(q.Encode(), body)
	f.Add("signature=x&timestamp=1&nonce=n", []byte(`{"encrypt":"AAAA"}`))
	f.Fuzz(func(t *testing.T, query string, body []byte) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		s := secretOf(o)
		if _, err := Open(q, body, s, o.AppKey, now, time.Minute); err != nil {
			return
		}
		// Accepted: the signature must be the token's over this body.
		enc, err := bodyEncrypt(body)
		if err != nil {
			t.Fatalf("accepted a body without encrypt: %v", err)
		}
		sig := q.Get("msg_signature")
		if sig == "" {
			sig = q.Get("signature")
		}
		// Hex is read without case: upper-case digits are the same MAC.
		if !strings.EqualFold(sig, Signature(s.Token.Reveal(), q.Get("timestamp"), q.Get("nonce"), enc)) {
			t.Fatal("accepted with a signature that is not the token's")
		}
	})
}
