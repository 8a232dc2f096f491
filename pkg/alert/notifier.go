package alert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ramsync/ramsync/pkg/secrets"
)

// Timeout bounds each attempt to post a message or reach the bot.
const Timeout = 5 * time.Second

// Config configures a Notifier (ALERT_WEBHOOK_URL, ALERT_FORMAT,
// ALERT_SECRET_NAME).
type Config struct {
	// URL is the bot's webhook URL. Empty: the Notifier sends nothing.
	URL string
	// Format is "auto" (or empty: told apart by the URL's path),
	// "dingtalk", "feishu", "wecom" or "slack".
	Format string
	// Secret returns the bot's signing secret; it is called at each send
	// to a DingTalk or Feishu bot (WeCom and Slack hooks have no signing),
	// so a rotated secret is picked up and an unreadable one fails only
	// the send. Nil, or an empty value: messages are not signed.
	Secret func(ctx context.Context) (secrets.Value, error)
	// HTTPClient posts the messages. Nil: a client with a Timeout of 5 s.
	HTTPClient *http.Client
	// Logger gets one line per message sent or failed in SendAll. Nil:
	// nothing is logged.
	Logger *slog.Logger
	// Now is the clock used for signing. Nil: time.Now.
	Now func() time.Time
}

// Notifier posts alerts to one chat bot. A nil *Notifier, or one built
// with an empty URL, sends nothing and reports no error. It is safe for
// concurrent use.
type Notifier struct {
	u          *url.URL
	format     Format
	secret     func(ctx context.Context) (secrets.Value, error)
	hc         *http.Client
	log        *slog.Logger
	now        func() time.Time
	retryDelay time.Duration
}

// New checks cfg and returns a Notifier. Its errors name the variable at
// fault and never quote the URL.
func New(cfg Config) (*Notifier, error) {
	n := &Notifier{secret: cfg.Secret, hc: cfg.HTTPClient, log: cfg.Logger, now: cfg.Now, retryDelay: time.Second}
	if n.hc == nil {
		n.hc = &http.Client{Timeout: Timeout}
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	if n.now == nil {
		n.now = time.Now
	}
	if cfg.URL == "" {
		return n, nil
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("alert: ALERT_WEBHOOK_URL is not an http(s) URL with a host (the bot's webhook URL as the chat app shows it)")
	}
	n.u = u
	switch f := Format(strings.ToLower(cfg.Format)); f {
	case "", FormatAuto:
		n.format = Detect(u)
	case FormatDingTalk, FormatFeishu, FormatWeCom, FormatSlack:
		n.format = f
	default:
		return nil, fmt.Errorf("alert: ALERT_FORMAT %q is not auto, dingtalk, feishu, wecom or slack", cfg.Format)
	}
	return n, nil
}

// Enabled reports whether the Notifier has a bot to post to.
func (n *Notifier) Enabled() bool { return n != nil && n.u != nil }

// Format is the bot's format, after auto-detection; empty when disabled.
func (n *Notifier) Format() Format {
	if !n.Enabled() {
		return ""
	}
	return n.format
}

// Host is the bot's host, which logs may name (the rest of the URL holds
// its token); empty when disabled.
func (n *Notifier) Host() string {
	if !n.Enabled() {
		return ""
	}
	return n.u.Host
}

// Send posts m once (and once more if the bot did not answer, or answered
// 429 or 5xx). It returns an *Error when the bot did not take it, or the
// error reading the signing secret.
func (n *Notifier) Send(ctx context.Context, m Message) error {
	if !n.Enabled() {
		return nil
	}
	var secret string
	if n.secret != nil && (n.format == FormatDingTalk || n.format == FormatFeishu) {
		v, err := n.secret(ctx)
		if err != nil {
			return fmt.Errorf("alert: reading the %s bot's signing secret (ALERT_SECRET_NAME): %w", n.format, err)
		}
		secret = v.Reveal()
	}
	text := m.Text()
	if secret != "" {
		// A message must never carry the secret, whatever its fields say.
		text = strings.ReplaceAll(text, secret, secrets.Redacted)
	}
	err := n.post(ctx, text, secret)
	var e *Error
	if errors.As(err, &e) && e.transient() && ctx.Err() == nil {
		t := time.NewTimer(n.retryDelay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		err = n.post(ctx, text, secret) // a fresh signature and timestamp
	}
	return err
}

// post makes one attempt.
func (n *Notifier) post(ctx context.Context, text, secret string) error {
	sc := scrubber{u: n.u, secret: secret}
	fail := func(status int, err error) *Error {
		return &Error{Format: n.format, Host: n.u.Host, Status: status, Err: err}
	}
	req, err := request(n.format, n.u, text, secret, n.now())
	if err != nil {
		return fail(0, sc.transportError(err))
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	resp, err := n.hc.Do(req.WithContext(ctx))
	if err != nil {
		return fail(0, sc.transportError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fail(resp.StatusCode, sc.transportError(err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Feishu's errors may come with a 4xx and a JSON body: keep its code.
		if code, msg, err := vendorAnswer(n.format, body); err == nil && code != 0 {
			return &Error{Format: n.format, Host: n.u.Host, Status: resp.StatusCode, Code: code, Message: sc.scrub(cut(msg, 200))}
		}
		return fail(resp.StatusCode, bodyError(sc, body))
	}
	code, msg, err := vendorAnswer(n.format, body)
	if err != nil {
		return fail(resp.StatusCode, err)
	}
	if code != 0 {
		return &Error{Format: n.format, Host: n.u.Host, Status: resp.StatusCode, Code: code, Message: sc.scrub(cut(msg, 200))}
	}
	return nil
}

// bodyError is the first line of an error answer, short and scrubbed; nil
// when the body is empty.
func bodyError(sc scrubber, body []byte) error {
	line, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
	if line == "" {
		return nil
	}
	return errors.New(sc.scrub(cut(line, 200)))
}

// SendAll posts at most one message per Kind, in the order the kinds first
// appear, merging the names (and summaries and next steps) of messages of
// one kind. Failures are logged at WARN, never returned: a bot that fails
// must not fail the run. The log lines name the kind, the bot and its host,
// never the URL.
func (n *Notifier) SendAll(ctx context.Context, msgs []Message) {
	if !n.Enabled() || len(msgs) == 0 {
		return
	}
	byKind := map[Kind][]Message{}
	var order []Kind
	for _, m := range msgs {
		if _, ok := byKind[m.Kind]; !ok {
			order = append(order, m.Kind)
		}
		byKind[m.Kind] = append(byKind[m.Kind], m)
	}
	for _, k := range order {
		m := merge(byKind[k])
		attrs := []any{"kind", string(k), "bot", string(n.format), "host", n.u.Host}
		if err := n.Send(ctx, m); err != nil {
			n.log.WarnContext(ctx, "alert not sent", append(attrs, "error", err.Error())...)
			continue
		}
		n.log.InfoContext(ctx, "alert sent", attrs...)
	}
}

// Reachable is the preflight check: it sends one HEAD request to the bot
// and counts any HTTP answer as reachable; nothing is posted. A nil or
// disabled Notifier is reachable.
func (n *Notifier) Reachable(ctx context.Context) error {
	if !n.Enabled() {
		return nil
	}
	sc := scrubber{u: n.u}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, n.u.String(), nil)
	if err != nil {
		return &Error{Format: n.format, Host: n.u.Host, Err: sc.transportError(err)}
	}
	resp, err := n.hc.Do(req)
	if err != nil {
		return &Error{Format: n.format, Host: n.u.Host,
			Err: fmt.Errorf("%w (check ALERT_WEBHOOK_URL and that the function can reach the internet)", sc.transportError(err))}
	}
	resp.Body.Close()
	return nil
}
