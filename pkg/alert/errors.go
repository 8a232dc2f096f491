package alert

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Error is a message a bot did not take. Its text names the bot and the
// host, never the URL's path or query (they carry the bot's token) nor
// the signing secret.
type Error struct {
	Format Format
	Host   string
	// Status is the HTTP status when the bot answered; 0 when it did not.
	Status int
	// Code and Message are the vendor's error (DingTalk and WeCom errcode
	// and errmsg, Feishu code and msg) in a 2xx answer.
	Code    int
	Message string
	// Err is the cause: the transport's error (scrubbed of the URL), the
	// body of a non-2xx answer, or an answer that could not be read.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "alert: %s bot at %s: ", e.Format, e.Host)
	switch {
	case e.Code != 0:
		fmt.Fprintf(&b, "error %d %s", e.Code, e.Message)
		if h := hints[e.Format][e.Code]; h != "" {
			b.WriteString(" (" + h + ")")
		} else if shapeCodes[e.Code] {
			b.WriteString(" (the bot refused the message's shape: check that ALERT_FORMAT, or the URL's path, matches the bot)")
		}
	case e.Status != 0 && e.Err != nil:
		fmt.Fprintf(&b, "HTTP %d: %v", e.Status, e.Err)
	case e.Status != 0:
		fmt.Fprintf(&b, "HTTP %d", e.Status)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	}
	if e.Code == 0 && e.Status >= 400 && e.Status < 500 && e.Status != 429 {
		b.WriteString(" (the bot refused the request: check that ALERT_WEBHOOK_URL is the bot's current URL and ALERT_FORMAT, or its path, matches the bot)")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// transient reports whether one more try may work: no answer, 429 or 5xx.
func (e *Error) transient() bool {
	return e.Code == 0 && (e.Status == 0 || e.Status == 429 || e.Status >= 500)
}

// scrubber removes the webhook URL's secrets (the query, the path) and
// the signing secret from texts that may quote them: transport errors,
// vendor messages, answer bodies.
type scrubber struct {
	u      *url.URL
	secret string
}

func (s scrubber) scrub(text string) string {
	var pairs []string
	add := func(v string) {
		if len(v) >= 4 && strings.Contains(text, v) {
			pairs = append(pairs, v, "[redacted]")
		}
	}
	add(s.secret)
	add(s.u.String())
	add(s.u.RawQuery)
	for _, vs := range s.u.Query() {
		for _, v := range vs {
			add(v)
			add(url.QueryEscape(v))
		}
	}
	// Feishu's and Slack's tokens are path elements: long ones that are
	// not the vendors' own words.
	for _, seg := range strings.Split(s.u.Path, "/") {
		if len(seg) >= 8 && !pathWords[seg] {
			add(seg)
		}
	}
	if len(pairs) == 0 {
		return text
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

var pathWords = map[string]bool{"open-apis": true, "services": true, "webhooks": true}

// transportError rewrites an *url.Error so that it names the host only.
func (s scrubber) transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		what := "the request failed"
		if ue.Timeout() {
			what = "no answer in time"
		}
		return fmt.Errorf("%s %s: %s: %s", ue.Op, s.u.Host, what, s.scrub(ue.Err.Error()))
	}
	return errors.New(s.scrub(err.Error()))
}
