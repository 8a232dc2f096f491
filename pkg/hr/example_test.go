package hr_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// The HR system signs the raw body; the webhook checks the signature before
// it parses anything, then decodes the events.
func Example() {
	key := secrets.NewValue("whsec-example")
	body := []byte(`{"id":"evt-8c1f","type":"employee.hired","employee":{"id":"E1001","email":"li.wei@example.com"}}`)
	sentAt := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

	// The sender.
	header := hr.Sign(key, sentAt, body)

	// The receiver, 30 seconds later.
	now := sentAt.Add(30 * time.Second)
	if err := hr.VerifySignature(header, body, []secrets.Value{key}, now, 5*time.Minute); err != nil {
		fmt.Println("401:", err)
		return
	}
	d, err := hr.DecodeWebhook(body)
	if err != nil {
		fmt.Println("400:", err)
		return
	}
	for _, r := range d.Events {
		fmt.Println(r.Event.ID, r.Event.Type, r.Event.Employee.ID, r.Event.Employee.Status)
	}

	// The same request replayed an hour later, or with another body.
	err = hr.VerifySignature(header, body, []secrets.Value{key}, sentAt.Add(time.Hour), 5*time.Minute)
	fmt.Println(errors.Is(err, hr.ErrStaleSignature), err)
	err = hr.VerifySignature(header, []byte(`{}`), []secrets.Value{key}, now, 5*time.Minute)
	fmt.Println(errors.Is(err, hr.ErrSignatureMismatch), err)
	// Output:
	// evt-8c1f employee.hired E1001 active
	// true signature timestamp outside the accepted tolerance: t is 1h0m0s in the past (tolerance 5m0s)
	// true signature does not match
}

func ExampleSign() {
	key := secrets.NewValue("whsec-example")
	body := []byte(`{"type":"employee.terminated","employee":{"id":"E0999"}}`)
	fmt.Println(hr.SignatureHeader + ": " + hr.Sign(key, time.Unix(1795770000, 0), body))
	// Output:
	// X-Ramsync-Signature: t=1795770000,v1=d37b5f860af913a3daf606897cf060f908ab51f7807eb60182df7f7e9b8a3783
}
