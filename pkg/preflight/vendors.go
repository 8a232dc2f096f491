package preflight

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/ramsync/ramsync/pkg/dingtalk"
	"github.com/ramsync/ramsync/pkg/feishu"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// The HR vendors' token checks (SPEC §4.6): one token request with the
// app's secret, as the directory pull makes it; nothing else is called.
// The token itself is dropped at once.

// FeishuToken checks that the Feishu/Lark app appID obtains a
// tenant_access_token at endpoint ("" means open.feishu.cn) with the
// app secret appSecret returns (FEISHU_SECRET_NAME's appSecret).
func FeishuToken(hc *http.Client, endpoint, appID string, appSecret func(ctx context.Context) (secrets.Value, error)) Check {
	if endpoint == "" {
		endpoint = feishu.DefaultEndpoint
	}
	return Check{
		Name: "Feishu/Lark token for app " + appID + " (FEISHU_APP_ID, FEISHU_SECRET_NAME)",
		Fix:  "check FEISHU_APP_ID, FEISHU_ENDPOINT (open.larksuite.com for Lark), and the appSecret in the secret FEISHU_SECRET_NAME names",
		Run: func(ctx context.Context) (string, error) {
			s, err := appSecret(ctx)
			if err != nil {
				return "", err
			}
			body, _ := json.Marshal(map[string]string{"app_id": appID, "app_secret": s.Reveal()})
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(endpoint, "/")+"/open-apis/auth/v3/tenant_access_token/internal", bytes.NewReader(body))
			if err != nil {
				return "", errors.New("FEISHU_ENDPOINT is not a URL")
			}
			req.Header.Set("Content-Type", "application/json; charset=utf-8")
			var out struct {
				Code  int    `json:"code"`
				Msg   string `json:"msg"`
				Token string `json:"tenant_access_token"`
			}
			status, err := doJSON(hc, req, s, &out)
			if err != nil {
				return "", err
			}
			if out.Code != 0 || out.Token == "" {
				return "", fmt.Errorf("HTTP %d, code %d: %s", status, out.Code, scrubbed(out.Msg, s))
			}
			return "obtained", nil
		},
	}
}

// DingTalkToken checks that the DingTalk app appKey obtains an access
// token at endpoint ("" means oapi.dingtalk.com) with the app secret
// appSecret returns (DINGTALK_SECRET_NAME's appSecret).
func DingTalkToken(hc *http.Client, endpoint, appKey string, appSecret func(ctx context.Context) (secrets.Value, error)) Check {
	if endpoint == "" {
		endpoint = dingtalk.DefaultEndpoint
	}
	return Check{
		Name: "DingTalk token for app " + appKey + " (DINGTALK_APP_KEY, DINGTALK_SECRET_NAME)",
		Fix:  "check DINGTALK_APP_KEY, DINGTALK_ENDPOINT, and the appSecret in the secret DINGTALK_SECRET_NAME names",
		Run: func(ctx context.Context) (string, error) {
			s, err := appSecret(ctx)
			if err != nil {
				return "", err
			}
			q := url.Values{"appkey": {appKey}, "appsecret": {s.Reveal()}}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(endpoint, "/")+"/gettoken?"+q.Encode(), nil)
			if err != nil {
				return "", errors.New("DINGTALK_ENDPOINT is not a URL")
			}
			var out struct {
				ErrCode int    `json:"errcode"`
				ErrMsg  string `json:"errmsg"`
				Token   string `json:"access_token"`
			}
			status, err := doJSON(hc, req, s, &out)
			if err != nil {
				return "", err
			}
			if out.ErrCode != 0 || out.Token == "" {
				return "", fmt.Errorf("HTTP %d, errcode %d: %s", status, out.ErrCode, scrubbed(out.ErrMsg, s))
			}
			return "obtained", nil
		},
	}
}

// doJSON sends req and decodes a JSON answer into out. Its errors never
// carry the URL's query (DingTalk's holds the secret) nor the secret.
func doJSON(hc *http.Client, req *http.Request, secret secrets.Value, out any) (int, error) {
	if hc == nil {
		hc = &http.Client{Timeout: Timeout}
	}
	// The request carries the secret: never follow a redirect with it.
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		return 0, errors.New(scrubbed(err.Error(), secret))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return resp.StatusCode, errors.New(scrubbed(err.Error(), secret))
	}
	if err := json.Unmarshal(b, out); err != nil {
		return resp.StatusCode, fmt.Errorf("HTTP %d, not a JSON answer", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// scrubbed removes query strings and the secret from s, and keeps it short.
func scrubbed(s string, secret secrets.Value) string {
	s = secrets.StripQuery(s)
	if v := secret.Reveal(); v != "" {
		s = strings.ReplaceAll(s, v, secrets.Redacted)
		s = strings.ReplaceAll(s, url.QueryEscape(v), secrets.Redacted)
	}
	return oneLine(s)
}
