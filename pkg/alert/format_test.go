package alert_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/ramsync/ramsync/pkg/alert"
)

func TestDetect(t *testing.T) {
	cases := []struct {
		url  string
		want alert.Format
	}{
		{"https://oapi.dingtalk.com/robot/send?access_token=abc", alert.FormatDingTalk},
		{"http://127.0.0.1:8080/robot/send?access_token=abc", alert.FormatDingTalk},
		{"https://open.feishu.cn/open-apis/bot/v2/hook/0f1e2d3c-aaaa", alert.FormatFeishu},
		{"https://open.larksuite.com/open-apis/bot/v2/hook/0f1e2d3c-aaaa", alert.FormatFeishu},
		{"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6", alert.FormatWeCom},
		{"https://hooks.slack.com/services/T000/B000/XXXX", alert.FormatSlack},
		{"https://chat.example.com/hooks/xyz", alert.FormatSlack}, // Mattermost
		{"https://example.com/", alert.FormatSlack},
		{"https://example.com/robot/send/more", alert.FormatSlack},
		{"https://example.com/open-apis/bot/v2/hook", alert.FormatSlack},
	}
	for _, c := range cases {
		u, err := url.Parse(c.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := alert.Detect(u); got != c.want {
			t.Errorf("Detect(%s) = %q, want %q", c.url, got, c.want)
		}
	}
}

func TestNew(t *testing.T) {
	cases := []struct {
		url, format string
		want        alert.Format
		wantErr     string
	}{
		{"https://oapi.dingtalk.com/robot/send?access_token=secret-token", "", alert.FormatDingTalk, ""},
		{"https://oapi.dingtalk.com/robot/send?access_token=secret-token", "auto", alert.FormatDingTalk, ""},
		{"https://bots.example.com/anything", "FeiShu", alert.FormatFeishu, ""},
		{"https://bots.example.com/anything", "wecom", alert.FormatWeCom, ""},
		{"https://oapi.dingtalk.com/robot/send?access_token=secret-token", "slack", alert.FormatSlack, ""},
		{"https://oapi.dingtalk.com/robot/send?access_token=secret-token", "teams", "", "ALERT_FORMAT"},
		{"ftp://example.com/robot/send?access_token=secret-token", "", "", "ALERT_WEBHOOK_URL"},
		{"oapi.dingtalk.com/robot/send?access_token=secret-token", "", "", "ALERT_WEBHOOK_URL"},
		{"https://%zz/robot/send?access_token=secret-token", "", "", "ALERT_WEBHOOK_URL"},
	}
	for _, c := range cases {
		n, err := alert.New(alert.Config{URL: c.url, Format: c.format})
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) || strings.Contains(err.Error(), "secret-token") {
				t.Errorf("New(%s, %q): %v; want an error naming %s, without the URL", c.url, c.format, err, c.wantErr)
			}
			continue
		}
		if err != nil || n.Format() != c.want || !n.Enabled() {
			t.Errorf("New(%s, %q) = %v, %v; want format %q", c.url, c.format, n.Format(), err, c.want)
		}
	}
}
