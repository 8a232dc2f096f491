package alert_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/alert"
	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/secrets"
)

const (
	testSecret = "SECb0t-s1gning-0123456789"
	testToken  = "acc3ss-t0ken-abcdef0123456789"
)

var testNow = time.Date(2026, 11, 30, 2, 0, 8, 0, time.UTC)

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type setup struct {
	bots *cloudtest.Bots
	n    *alert.Notifier
	log  *syncBuffer
	url  string
}

// botURL is the URL of the format's bot on b.
func botURL(b *cloudtest.Bots, f alert.Format, token string) string {
	switch f {
	case alert.FormatDingTalk:
		return b.DingTalkURL(token)
	case alert.FormatFeishu:
		return b.FeishuURL(token)
	case alert.FormatWeCom:
		return b.WeComURL(token)
	}
	return b.SlackURL()
}

// newSetup starts bots with botSecret and a Notifier for format f signing
// with secret (none when empty).
func newSetup(t *testing.T, f alert.Format, botSecret, secret string) *setup {
	t.Helper()
	bots := cloudtest.NewBots(cloudtest.BotsOptions{Secret: botSecret, Token: testToken, Now: func() time.Time { return testNow }})
	t.Cleanup(bots.Close)
	s := &setup{bots: bots, log: &syncBuffer{}, url: botURL(bots, f, testToken)}
	cfg := alert.Config{URL: s.url, HTTPClient: bots.Client(), Now: func() time.Time { return testNow },
		Logger: slog.New(slog.NewJSONHandler(s.log, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if secret != "" {
		cfg.Secret = func(context.Context) (secrets.Value, error) { return secrets.NewValue(secret), nil }
	}
	n, err := alert.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n.Format() != f {
		t.Fatalf("format %q detected for %s, want %q", n.Format(), f, f)
	}
	alert.SetRetryDelay(n, time.Millisecond)
	s.n = n
	return s
}

// assertNoLeak checks that no secret, token or URL query reached the bot or
// the log.
func (s *setup) assertNoLeak(t *testing.T) {
	t.Helper()
	for _, p := range s.bots.Posts() {
		for _, bad := range []string{testSecret, testToken} {
			if strings.Contains(string(p.Body), bad) {
				t.Errorf("a %s message carries %q: %s", p.Bot, bad, p.Body)
			}
		}
	}
	logs := s.log.String()
	for _, bad := range []string{testSecret, testToken, "access_token", "key=", "/hook/", "/services/"} {
		if strings.Contains(logs, bad) {
			t.Errorf("the log carries %q:\n%s", bad, logs)
		}
	}
}

var formats = []alert.Format{alert.FormatDingTalk, alert.FormatFeishu, alert.FormatWeCom, alert.FormatSlack}

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%02d", prefix, i+1)
	}
	return out
}

// Each bot gets one message per kind, signed when there is a secret (and
// the bot checks it as the vendor does), with the names cut at 10 and the
// approval payload in the brakes message.
func TestSendAllEachFormat(t *testing.T) {
	for _, f := range formats {
		for _, signed := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s signed=%v", f, signed), func(t *testing.T) {
				secret := ""
				if signed && (f == alert.FormatDingTalk || f == alert.FormatFeishu) {
					secret = testSecret
				} else if signed {
					t.Skip("WeCom and Slack hooks have no signing")
				}
				s := newSetup(t, f, secret, secret)
				brakes := alert.BrakesMessage("deletion threshold exceeded: 30 planned removals > MAX_DELETES 25", "9f2c4e1a", names("leaver", 12))
				brakes.Function, brakes.RunID = "reconciler", "1-6745a1b2"
				more := alert.BrakesMessage("deletion threshold exceeded", "9f2c4e1a", append(names("leaver", 2), "late.leaver"))
				msgs := []alert.Message{
					brakes,
					alert.BlockedMessage([]string{"chen.liu"}),
					more,
					alert.RejectedMessage(25, []string{"E1009", "E1012", "E1013"}),
					alert.BlockedMessage([]string{"chen.liu", "wang.wu"}),
				}
				s.n.SendAll(context.Background(), msgs)

				posts := s.bots.Posts()
				if len(posts) != 3 {
					t.Fatalf("the bot got %d messages, want 3 (one per kind): %+v", len(posts), posts)
				}
				for i, want := range []string{"deletion brakes fired", "leaver blocked", "records rejected"} {
					p := posts[i]
					if !p.Accepted || p.Bot != cloudtest.BotKind(f) {
						t.Errorf("message %d: %s bot, accepted %v (code %d), want the %s bot to take it", i, p.Bot, p.Accepted, p.Code, f)
					}
					if p.Signed != (secret != "") || p.SignatureValid != (secret != "") {
						t.Errorf("message %d: signed %v, valid %v; want both %v", i, p.Signed, p.SignatureValid, secret != "")
					}
					if !strings.HasPrefix(p.Text, "ramsync") || !strings.Contains(p.Text, want) {
						t.Errorf("message %d does not start with ramsync or say %q:\n%s", i, want, p.Text)
					}
				}
				b := posts[0].Text
				if f == alert.FormatSlack {
					b = strings.NewReplacer("&gt;", ">", "&lt;", "<", "&amp;", "&").Replace(b)
				}
				for _, want := range []string{
					"ramsync reconciler: deletion brakes fired (run 1-6745a1b2)",
					`s reconciler invoke -e '{"approve":"9f2c4e1a"}'`,
					"leaver01, leaver02, leaver03, leaver04, leaver05, leaver06, leaver07, leaver08, leaver09, leaver10 and 3 more",
					"deletion threshold exceeded: 30 planned removals > MAX_DELETES 25",
				} {
					if !strings.Contains(b, want) {
						t.Errorf("the brakes message lacks %q:\n%s", want, b)
					}
				}
				if strings.Contains(b, "leaver11") || strings.Contains(b, "late.leaver") {
					t.Errorf("the brakes message shows more than 10 names:\n%s", b)
				}
				if !strings.Contains(posts[1].Text, "Who: chen.liu, wang.wu\n") {
					t.Errorf("the blocked message does not merge the names once each:\n%s", posts[1].Text)
				}
				if !strings.Contains(posts[2].Text, "Who: E1009, E1012, E1013 and 22 more") {
					t.Errorf("the rejected message does not count the rest:\n%s", posts[2].Text)
				}
				if got := strings.Count(s.log.String(), `"msg":"alert sent"`); got != 3 {
					t.Errorf("%d 'alert sent' log lines, want 3:\n%s", got, s.log)
				}
				s.assertNoLeak(t)
			})
		}
	}
}

// A bot that fails makes Send return an error and SendAll log it; neither
// panics, and nothing secret is in the error or the log.
func TestFailures(t *testing.T) {
	cases := []struct {
		name      string
		f         alert.Format
		botSecret string
		secret    string
		fail      int
		token     string
		posts     int // attempts the bot sees: one retry for 5xx only
		status    int
		code      int
	}{
		{"dingtalk 500", alert.FormatDingTalk, "", "", 500, testToken, 2, 500, 0},
		{"feishu 500", alert.FormatFeishu, "", "", 500, testToken, 2, 500, 0},
		{"wecom 503", alert.FormatWeCom, "", "", 503, testToken, 2, 503, 0},
		{"slack 500", alert.FormatSlack, "", "", 500, testToken, 2, 500, 0},
		{"dingtalk wrong secret", alert.FormatDingTalk, testSecret, "SECwrong-secret-000", 0, testToken, 1, 200, 310000},
		{"dingtalk unsigned", alert.FormatDingTalk, testSecret, "", 0, testToken, 1, 200, 310000},
		{"dingtalk wrong token", alert.FormatDingTalk, "", "", 0, "wrong-token-0123456789", 1, 200, 300001},
		{"feishu wrong secret", alert.FormatFeishu, testSecret, "wrong-secret-000", 0, testToken, 1, 200, 19021},
		{"feishu wrong token", alert.FormatFeishu, "", "", 0, "wrong-token-0123456789", 1, 200, 19001},
		{"wecom wrong key", alert.FormatWeCom, "", "", 0, "wrong-key-0123456789", 1, 200, 93000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSetup(t, c.f, c.botSecret, c.secret)
			if c.token != testToken {
				n, err := alert.New(alert.Config{URL: botURL(s.bots, c.f, c.token), HTTPClient: s.bots.Client(),
					Logger: slog.New(slog.NewJSONHandler(s.log, nil))})
				if err != nil {
					t.Fatal(err)
				}
				s.n = n
			}
			s.bots.SetFailure(c.fail)
			err := s.n.Send(context.Background(), alert.FailedMessage("run 1-6745a1b2", nil))
			var e *alert.Error
			if !errors.As(err, &e) || e.Status != c.status || e.Code != c.code {
				t.Fatalf("Send: %v (%#v); want an *alert.Error with status %d, code %d", err, e, c.status, c.code)
			}
			if got := len(s.bots.Posts()); got != c.posts {
				t.Errorf("the bot saw %d attempts, want %d", got, c.posts)
			}
			for _, bad := range []string{testSecret, c.secret, testToken, c.token} {
				if bad != "" && strings.Contains(err.Error(), bad) {
					t.Errorf("the error carries %q: %v", bad, err)
				}
			}
			if !strings.Contains(err.Error(), s.bots.URL[len("http://"):]) || !strings.Contains(err.Error(), string(c.f)) {
				t.Errorf("the error does not name the bot and its host: %v", err)
			}

			s.bots.Reset()
			s.n.SendAll(context.Background(), []alert.Message{alert.FailedMessage("run 1-6745a1b2", nil), alert.PreflightMessage([]string{"bot"})})
			logs := s.log.String()
			if got := strings.Count(logs, `"msg":"alert not sent"`); got != 2 {
				t.Errorf("%d 'alert not sent' lines, want 2 (one per kind):\n%s", got, logs)
			}
			if !strings.Contains(logs, `"level":"WARN"`) || !strings.Contains(logs, `"kind":"preflight failed"`) {
				t.Errorf("the failures are not logged at WARN with their kind:\n%s", logs)
			}
			s.assertNoLeak(t)
			for _, bad := range []string{c.secret, c.token} {
				if bad != "" && strings.Contains(logs, bad) {
					t.Errorf("the log carries %q:\n%s", bad, logs)
				}
			}
		})
	}
}

// An unreachable bot: the error names the host, not the URL's token.
func TestUnreachable(t *testing.T) {
	bots := cloudtest.NewBots(cloudtest.BotsOptions{})
	u := bots.DingTalkURL(testToken)
	bots.Close()
	var logs syncBuffer
	n, err := alert.New(alert.Config{URL: u, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	alert.SetRetryDelay(n, time.Millisecond)
	for name, err := range map[string]error{
		"Send":      n.Send(context.Background(), alert.TokenRefusedMessage("app-1")),
		"Reachable": n.Reachable(context.Background()),
	} {
		if err == nil {
			t.Fatalf("%s to a closed server: no error", name)
		}
		if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), "access_token") || !strings.Contains(err.Error(), n.Host()) {
			t.Errorf("%s: the error leaks the URL or does not name the host: %v", name, err)
		}
	}
	n.SendAll(context.Background(), []alert.Message{alert.TokenRefusedMessage("app-1")})
	if l := logs.String(); !strings.Contains(l, "alert not sent") || strings.Contains(l, testToken) {
		t.Errorf("log: %s", l)
	}
}

// Reachable answers nil for any HTTP answer and posts nothing.
func TestReachable(t *testing.T) {
	for _, f := range formats {
		s := newSetup(t, f, "", "")
		if err := s.n.Reachable(context.Background()); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		s.bots.SetFailure(500)
		if err := s.n.Reachable(context.Background()); err != nil {
			t.Errorf("%s answering 500: %v (any answer counts)", f, err)
		}
		if r, p := s.bots.Requests(), len(s.bots.Posts()); r != 2 || p != 0 {
			t.Errorf("%s: %d requests, %d posts; want 2 requests and nothing posted", f, r, p)
		}
	}
}

// A nil Notifier, or one without a URL, sends nothing and never fails.
func TestDisabled(t *testing.T) {
	var nilN *alert.Notifier
	empty, err := alert.New(alert.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for name, n := range map[string]*alert.Notifier{"nil": nilN, "empty URL": empty} {
		if n.Enabled() || n.Format() != "" || n.Host() != "" {
			t.Errorf("%s: enabled", name)
		}
		if err := n.Send(context.Background(), alert.BlockedMessage([]string{"x"})); err != nil {
			t.Errorf("%s: Send: %v", name, err)
		}
		if err := n.Reachable(context.Background()); err != nil {
			t.Errorf("%s: Reachable: %v", name, err)
		}
		n.SendAll(context.Background(), []alert.Message{alert.BlockedMessage([]string{"x"})})
	}
}

// The secret is read at each send; an unreadable one fails the send and
// nothing is posted. A secret in a message's fields never reaches the bot.
func TestSecret(t *testing.T) {
	s := newSetup(t, alert.FormatFeishu, testSecret, testSecret)
	calls := 0
	n, err := alert.New(alert.Config{URL: s.url, HTTPClient: s.bots.Client(), Now: func() time.Time { return testNow },
		Secret: func(context.Context) (secrets.Value, error) {
			calls++
			if calls == 1 {
				return secrets.Value{}, errors.New(`secrets: reading "ramsync/alert-bot": 403 Forbidden.NoPermission`)
			}
			return secrets.NewValue(testSecret), nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	err = n.Send(context.Background(), alert.BlockedMessage([]string{"x"}))
	if err == nil || !strings.Contains(err.Error(), "ALERT_SECRET_NAME") || !strings.Contains(err.Error(), "ramsync/alert-bot") {
		t.Errorf("Send with an unreadable secret: %v; want an error naming ALERT_SECRET_NAME and the secret", err)
	}
	if len(s.bots.Posts()) != 0 {
		t.Errorf("posted without a secret: %+v", s.bots.Posts())
	}
	m := alert.FailedMessage("event evt-1 (signed with "+testSecret+")", nil)
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if p := s.bots.Posts(); len(p) != 1 || !p[0].SignatureValid || strings.Contains(p[0].Text, testSecret) || !strings.Contains(p[0].Text, secrets.Redacted) {
		t.Errorf("posts %+v: want one signed post with the secret redacted", p)
	}
	if calls != 2 {
		t.Errorf("the secret was read %d times, want once per send (2)", calls)
	}
}

// WeCom and Slack hooks have no signing: the secret is not read for them.
func TestSecretOnlyForSigningBots(t *testing.T) {
	for _, f := range []alert.Format{alert.FormatWeCom, alert.FormatSlack} {
		bots := cloudtest.NewBots(cloudtest.BotsOptions{Token: testToken})
		defer bots.Close()
		n, err := alert.New(alert.Config{URL: botURL(bots, f, testToken), HTTPClient: bots.Client(),
			Secret: func(context.Context) (secrets.Value, error) {
				t.Errorf("%s: the secret was read", f)
				return secrets.Value{}, errors.New("unreadable")
			}})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Send(context.Background(), alert.BlockedMessage([]string{"x"})); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// The signing time is the Notifier's clock: two hours off, the vendors
// refuse it.
func TestClockSkew(t *testing.T) {
	for _, f := range []alert.Format{alert.FormatDingTalk, alert.FormatFeishu} {
		s := newSetup(t, f, testSecret, testSecret)
		n, err := alert.New(alert.Config{URL: s.url, HTTPClient: s.bots.Client(),
			Now:    func() time.Time { return testNow.Add(-2 * time.Hour) },
			Secret: func(context.Context) (secrets.Value, error) { return secrets.NewValue(testSecret), nil }})
		if err != nil {
			t.Fatal(err)
		}
		var e *alert.Error
		if err := n.Send(context.Background(), alert.BlockedMessage(nil)); !errors.As(err, &e) || e.Code == 0 {
			t.Errorf("%s: a signature two hours old: %v, want the vendor's refusal", f, err)
		}
	}
}

// A long message is cut to what the bot takes (WeCom: 2048 bytes).
func TestLongMessage(t *testing.T) {
	for _, f := range formats {
		s := newSetup(t, f, "", "")
		m := alert.FailedMessage(strings.Repeat("长", 15000), nil)
		if err := s.n.Send(context.Background(), m); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if p := s.bots.Posts(); len(p) != 1 || !strings.HasSuffix(p[0].Text, "…") {
			t.Errorf("%s: the text was not cut: %d bytes", f, len(p[0].Text))
		}
	}
}

// Slack-compatible text escapes &, < and >, as Slack asks.
func TestSlackEscapes(t *testing.T) {
	s := newSetup(t, alert.FormatSlack, "", "")
	if err := s.n.Send(context.Background(), alert.FailedMessage("run <b> & co", nil)); err != nil {
		t.Fatal(err)
	}
	if txt := s.bots.Posts()[0].Text; !strings.Contains(txt, "run &lt;b&gt; &amp; co") {
		t.Errorf("Slack text not escaped: %s", txt)
	}
}

// A forced format that does not match the bot: the bot refuses the
// message, and the error says to check ALERT_FORMAT.
func TestWrongFormat(t *testing.T) {
	bots := cloudtest.NewBots(cloudtest.BotsOptions{})
	defer bots.Close()
	for _, c := range []struct{ url, format string }{
		{bots.SlackURL(), "DingTalk"},
		{bots.DingTalkURL("tok"), "slack"},
		{bots.FeishuURL("tok"), "wecom"},
	} {
		n, err := alert.New(alert.Config{URL: c.url, Format: c.format, HTTPClient: bots.Client()})
		if err != nil {
			t.Fatal(err)
		}
		if string(n.Format()) != strings.ToLower(c.format) {
			t.Fatalf("format %q, want the forced %s", n.Format(), c.format)
		}
		err = n.Send(context.Background(), alert.BlockedMessage([]string{"x"}))
		if err == nil || !strings.Contains(err.Error(), "ALERT_FORMAT") {
			t.Errorf("%s to %s: %v; want an error pointing at ALERT_FORMAT", c.format, c.url, err)
		}
	}
	if got := len(bots.Accepted()); got != 0 {
		t.Errorf("%d messages accepted, want none", got)
	}
}

// DingTalk's sign goes in the query URL-encoded: a base64 '+' sent bare
// reads as a space and the robot refuses it. Many timestamps make sure
// some signatures hold a '+'.
func TestDingTalkSignEncoding(t *testing.T) {
	bots := cloudtest.NewBots(cloudtest.BotsOptions{Secret: testSecret, Now: func() time.Time { return testNow }})
	defer bots.Close()
	for i := range 64 {
		at := testNow.Add(time.Duration(i) * time.Millisecond)
		n, err := alert.New(alert.Config{URL: bots.DingTalkURL(testToken), HTTPClient: bots.Client(), Now: func() time.Time { return at },
			Secret: func(context.Context) (secrets.Value, error) { return secrets.NewValue(testSecret), nil }})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Send(context.Background(), alert.BlockedMessage([]string{"x"})); err != nil {
			t.Fatalf("signed at %v: %v", at, err)
		}
	}
	for _, p := range bots.Posts() {
		if !p.SignatureValid {
			t.Errorf("a post with an invalid signature: %+v", p)
		}
	}
}
