package preflight_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/preflight"
	"github.com/ramsync/ramsync/pkg/secrets"
)

func TestVendorTokens(t *testing.T) {
	fs := cloudtest.NewFeishu(cloudtest.FeishuOptions{AppSecret: "feishu-app-secret-1"})
	defer fs.Close()
	dt := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{AppSecret: "dingtalk-app-secret-1"})
	defer dt.Close()
	secret := func(v string) func(context.Context) (secrets.Value, error) {
		return func(context.Context) (secrets.Value, error) { return secrets.NewValue(v), nil }
	}
	unreadable := func(context.Context) (secrets.Value, error) {
		return secrets.Value{}, errors.New(`secrets: reading "ramsync/feishu-app" from Secrets Manager in cn-hangzhou: 404 Forbidden.ResourceNotFound`)
	}
	appKey := dt.Options().AppKey
	tests := []struct {
		name  string
		check preflight.Check
		want  string
		leak  string
	}{
		{"feishu ok", preflight.FeishuToken(fs.Client(), fs.URL, "cli_test", secret("feishu-app-secret-1")), "ok: Feishu/Lark token for app cli_test", ""},
		{"feishu wrong secret", preflight.FeishuToken(fs.Client(), fs.URL, "cli_test", secret("wrong-feishu-secret")), "FAILED: Feishu/Lark token for app cli_test (FEISHU_APP_ID, FEISHU_SECRET_NAME): HTTP 400, code 10014", "wrong-feishu-secret"},
		{"feishu unreadable secret", preflight.FeishuToken(fs.Client(), fs.URL, "cli_test", unreadable), `FAILED: Feishu/Lark token for app cli_test (FEISHU_APP_ID, FEISHU_SECRET_NAME): secrets: reading "ramsync/feishu-app"`, ""},
		{"dingtalk ok", preflight.DingTalkToken(dt.Client(), dt.URL, appKey, secret("dingtalk-app-secret-1")), "ok: DingTalk token for app " + appKey, ""},
		{"dingtalk wrong secret", preflight.DingTalkToken(dt.Client(), dt.URL, appKey, secret("wrong-dingtalk-secret")), "FAILED: DingTalk token for app " + appKey, "wrong-dingtalk-secret"},
		{"dingtalk unreachable", preflight.DingTalkToken(nil, "http://127.0.0.1:1", appKey, secret("dingtalk-app-secret-1")), "FAILED: DingTalk token", "dingtalk-app-secret-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := preflight.Run(context.Background(), []preflight.Check{tt.check}).Lines[0]
			if !strings.HasPrefix(line, tt.want) {
				t.Errorf("%q\nwant prefix %q", line, tt.want)
			}
			if tt.leak != "" && strings.Contains(line, tt.leak) {
				t.Errorf("the line carries the secret: %q", line)
			}
			if strings.Contains(line, "appsecret=") {
				t.Errorf("the line carries the token URL's query: %q", line)
			}
		})
	}
}
