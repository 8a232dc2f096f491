package cloudtest_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
)

const botSecret = "SECtest0123456789abcdef"

var botNow = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

// hmacB64 is computed here independently of the double.
func hmacB64(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func dingSigned(u string, ts time.Time, secret string) string {
	ms := strconv.FormatInt(ts.UnixMilli(), 10)
	return u + "&timestamp=" + ms + "&sign=" + url.QueryEscape(hmacB64(secret, ms+"\n"+secret))
}

func feishuBody(ts time.Time, secret, text string) string {
	s := strconv.FormatInt(ts.Unix(), 10)
	b, _ := json.Marshal(map[string]any{"timestamp": s, "sign": hmacB64(s+"\n"+secret, ""),
		"msg_type": "text", "content": map[string]string{"text": text}})
	return string(b)
}

func botPost(t *testing.T, b *cloudtest.Bots, u, body string) (int, map[string]any, string) {
	t.Helper()
	resp, err := b.Client().Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m, string(raw)
}

func TestBotsVendors(t *testing.T) {
	b := cloudtest.NewBots(cloudtest.BotsOptions{Secret: botSecret, Token: "tok", Now: func() time.Time { return botNow }})
	defer b.Close()
	dingText := `{"msgtype":"text","text":{"content":"hello"}}`
	wecomText := `{"msgtype":"markdown","markdown":{"content":"hello"}}`
	cases := []struct {
		name      string
		url, body string
		codeKey   string
		code      float64 // vendor code; Slack: HTTP status
		kind      cloudtest.BotKind
		valid     bool
	}{
		{"dingtalk signed", dingSigned(b.DingTalkURL("tok"), botNow.Add(-59*time.Minute), botSecret), dingText, "errcode", 0, cloudtest.BotDingTalk, true},
		{"dingtalk wrong secret", dingSigned(b.DingTalkURL("tok"), botNow, "SECother"), dingText, "errcode", 310000, cloudtest.BotDingTalk, false},
		{"dingtalk stale timestamp", dingSigned(b.DingTalkURL("tok"), botNow.Add(-61*time.Minute), botSecret), dingText, "errcode", 310000, cloudtest.BotDingTalk, false},
		{"dingtalk future timestamp", dingSigned(b.DingTalkURL("tok"), botNow.Add(61*time.Minute), botSecret), dingText, "errcode", 310000, cloudtest.BotDingTalk, false},
		{"dingtalk unsigned", b.DingTalkURL("tok"), dingText, "errcode", 310000, cloudtest.BotDingTalk, false},
		{"dingtalk unknown token", dingSigned(b.DingTalkURL("nope"), botNow, botSecret), dingText, "errcode", 300001, cloudtest.BotDingTalk, false},
		{"dingtalk bad msgtype", dingSigned(b.DingTalkURL("tok"), botNow, botSecret), `{"msgtype":"card"}`, "errcode", 40035, cloudtest.BotDingTalk, true},
		{"feishu signed", b.FeishuURL("tok"), feishuBody(botNow.Add(59*time.Minute), botSecret, "hello"), "code", 0, cloudtest.BotFeishu, true},
		{"feishu wrong secret", b.FeishuURL("tok"), feishuBody(botNow, "other", "hello"), "code", 19021, cloudtest.BotFeishu, false},
		{"feishu stale timestamp", b.FeishuURL("tok"), feishuBody(botNow.Add(-2*time.Hour), botSecret, "hello"), "code", 19021, cloudtest.BotFeishu, false},
		{"feishu unsigned", b.FeishuURL("tok"), `{"msg_type":"text","content":{"text":"hello"}}`, "code", 19021, cloudtest.BotFeishu, false},
		{"feishu unknown token", b.FeishuURL("nope"), feishuBody(botNow, botSecret, "hello"), "code", 19001, cloudtest.BotFeishu, false},
		{"feishu not json", b.FeishuURL("tok"), `{`, "code", 9499, cloudtest.BotFeishu, false},
		{"wecom", b.WeComURL("tok"), wecomText, "errcode", 0, cloudtest.BotWeCom, false},
		{"wecom unknown key", b.WeComURL("nope"), wecomText, "errcode", 93000, cloudtest.BotWeCom, false},
		{"wecom empty", b.WeComURL("tok"), `{"msgtype":"text","text":{"content":""}}`, "errcode", 44004, cloudtest.BotWeCom, false},
		{"wecom too long", b.WeComURL("tok"), `{"msgtype":"text","text":{"content":"` + strings.Repeat("x", 2049) + `"}}`, "errcode", 40058, cloudtest.BotWeCom, false},
		{"slack", b.SlackURL(), `{"text":"hello"}`, "", 200, cloudtest.BotSlack, false},
		{"slack no text", b.SlackURL(), `{"blocks":[]}`, "", 400, cloudtest.BotSlack, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b.Reset()
			status, m, raw := botPost(t, b, c.url, c.body)
			got := float64(status)
			if c.codeKey != "" {
				if status != http.StatusOK {
					t.Fatalf("HTTP %d %s, want 200 with a vendor code", status, raw)
				}
				got, _ = m[c.codeKey].(float64)
			}
			if got != c.code {
				t.Errorf("answer %s, want %s %v", raw, c.codeKey, c.code)
			}
			posts := b.Posts()
			if len(posts) != 1 {
				t.Fatalf("recorded %d posts, want 1", len(posts))
			}
			p := posts[0]
			if p.Bot != c.kind || p.SignatureValid != c.valid || p.Accepted != (c.code == 0 || c.code == 200) {
				t.Errorf("recorded %+v, want bot %s, signature valid %v", p, c.kind, c.valid)
			}
			if p.Accepted && p.Text != "hello" {
				t.Errorf("recorded text %q, want hello", p.Text)
			}
		})
	}
}

// Without a secret, unsigned messages are accepted, and a signature that
// comes anyway is recorded but not checked.
func TestBotsNoSecret(t *testing.T) {
	b := cloudtest.NewBots(cloudtest.BotsOptions{})
	defer b.Close()
	botPost(t, b, b.DingTalkURL("any"), `{"msgtype":"markdown","markdown":{"title":"t","text":"hi"}}`)
	botPost(t, b, b.FeishuURL("any"), feishuBody(time.Now(), "whatever", "hi"))
	posts := b.Posts()
	if len(posts) != 2 || !posts[0].Accepted || posts[0].Signed || !posts[1].Accepted || !posts[1].Signed || posts[1].SignatureValid {
		t.Errorf("posts %+v: want both accepted, the second signed but not checked", posts)
	}
}

func TestBotsFailureAndMethods(t *testing.T) {
	b := cloudtest.NewBots(cloudtest.BotsOptions{})
	defer b.Close()
	b.SetFailure(http.StatusInternalServerError)
	if status, _, _ := botPost(t, b, b.SlackURL(), `{"text":"x"}`); status != 500 {
		t.Errorf("status %d, want 500", status)
	}
	b.SetFailure(0)
	if status, _, _ := botPost(t, b, b.SlackURL(), `{"text":"x"}`); status != 200 {
		t.Errorf("status %d after SetFailure(0), want 200", status)
	}
	resp, err := b.Client().Head(b.DingTalkURL("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("HEAD: %d, want 405", resp.StatusCode)
	}
	if n, posts := b.Requests(), b.Posts(); n != 3 || len(posts) != 2 || posts[0].Accepted || !posts[1].Accepted {
		t.Errorf("requests %d, posts %+v: want 3 requests, 2 posts, the first refused", n, posts)
	}
	if got := len(b.Accepted()); got != 1 {
		t.Errorf("Accepted: %d, want 1", got)
	}
}

func TestBotsFeishuPost(t *testing.T) {
	b := cloudtest.NewBots(cloudtest.BotsOptions{})
	defer b.Close()
	body := `{"msg_type":"post","content":{"post":{"zh_cn":{"title":"ramsync","content":[[{"tag":"text","text":"a "},{"tag":"text","text":"b"}],[{"tag":"text","text":"c"}]]}}}}`
	botPost(t, b, b.FeishuURL("x"), body)
	if p := b.Posts()[0]; !p.Accepted || p.Text != "ramsync\na b\nc" {
		t.Errorf("post recorded as %q (accepted %v)", p.Text, p.Accepted)
	}
}
