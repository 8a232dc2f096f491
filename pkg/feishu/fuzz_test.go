package feishu_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/feishu"
	"github.com/ramsync/ramsync/pkg/hr"
)

// FuzzOpen feeds Open arbitrary bodies (mode 0), arbitrary plaintexts
// encrypted and signed (mode 1) and the same unsigned (mode 2). It must
// never panic, fail only with the three documented kinds, and accept an
// unsigned push only as a URL check.
func FuzzOpen(f *testing.F) {
	f.Add(userEvent(feishu.EventUserUpdated), uint8(1))
	f.Add(testApp().URLVerification("c"), uint8(2))
	f.Add([]byte(`{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}`), uint8(0))
	f.Add([]byte(`{"schema":"2.0","header":{"token":"`+verifyTok+`","app_id":"`+appID+`","event_type":"contact.user.created_v3","event_id":"e"},"event":{"object":{"user_id":1e400}}}`), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		body := data
		if mode%3 != 0 {
			body = envelope(cloudtest.FeishuEncrypt(data, encKey))
		}
		var h http.Header
		if mode%3 != 2 {
			h = signed(body, encKey, now)
		}
		p, err := open(h, body)
		if err != nil {
			var ae *feishu.AuthError
			var fe *feishu.FormatError
			if !errors.As(err, &ae) && !errors.As(err, &fe) && !errors.Is(err, hr.ErrBodyTooLarge) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if h == nil && p.Challenge == "" {
			t.Fatalf("unsigned push accepted as %+v", p)
		}
		for _, e := range p.Events {
			if e.Employee.ID == "" || e.Source != feishu.Source {
				t.Fatalf("event %+v", e)
			}
		}
	})
}
