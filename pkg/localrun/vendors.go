package localrun

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
)

// Secret names of the vendor apps in the double's Secrets Manager.
const (
	FeishuSecretName   = "ramsync/feishu-app"
	DingTalkSecretName = "ramsync/dingtalk-app"
)

// The Feishu app's push secrets stored under FeishuSecretName.
const (
	feishuEncryptKey        = "ramsync-local-encrypt-key"
	feishuVerificationToken = "ramsync-local-verification-token"
)

// startVendors starts the vendor doubles o asks for, stores their apps'
// secrets in the cloud double's Secrets Manager (the secrets map) and
// returns the environment that points both webhook and reconciler at
// them, as s.yaml does in the cloud.
func (l *Local) startVendors(o Options, secretsMap map[string]string) map[string]string {
	env := map[string]string{}
	if o.Feishu != nil {
		l.Feishu = cloudtest.NewFeishu(*o.Feishu)
		fo := l.Feishu.Options()
		l.FeishuApp = l.Feishu.App(feishuEncryptKey, feishuVerificationToken)
		b, _ := json.Marshal(map[string]string{"appSecret": fo.AppSecret, "encryptKey": feishuEncryptKey, "verificationToken": feishuVerificationToken})
		secretsMap[FeishuSecretName] = string(b)
		env["FEISHU_APP_ID"] = fo.AppID
		env["FEISHU_SECRET_NAME"] = FeishuSecretName
		env["FEISHU_ENDPOINT"] = l.Feishu.URL
	}
	if o.DingTalk != nil {
		l.DingTalk = cloudtest.NewDingTalk(*o.DingTalk)
		do := l.DingTalk.Options()
		b, _ := json.Marshal(map[string]string{"appSecret": do.AppSecret, "aesKey": do.AESKey, "token": do.Token})
		secretsMap[DingTalkSecretName] = string(b)
		env["DINGTALK_APP_KEY"] = do.AppKey
		env["DINGTALK_SECRET_NAME"] = DingTalkSecretName
		env["DINGTALK_ENDPOINT"] = l.DingTalk.URL
	}
	return env
}

// Binaries returns the function binaries this Local runs, by function
// name: give them to another Start (a second tenant, a vendor's) to skip
// the build.
func (l *Local) Binaries() map[string]string {
	out := map[string]string{}
	for k, v := range l.bins {
		out[k] = v
	}
	return out
}

// closeVendors stops the vendor doubles.
func (l *Local) closeVendors() {
	if l.Feishu != nil {
		l.Feishu.Close()
	}
	if l.DingTalk != nil {
		l.DingTalk.Close()
	}
}

// FeishuSecrets returns the Feishu app's push secrets (for tests that
// check the functions never print them).
func (l *Local) FeishuSecrets() []string {
	if l.Feishu == nil {
		return nil
	}
	return []string{feishuEncryptKey, feishuVerificationToken, l.Feishu.Options().AppSecret}
}

// DingTalkSecrets returns the DingTalk app's secrets (for tests that
// check the functions never print them).
func (l *Local) DingTalkSecrets() []string {
	if l.DingTalk == nil {
		return nil
	}
	o := l.DingTalk.Options()
	return []string{o.AppSecret, o.AESKey}
}

// PostFeishu sends a Feishu push (as cloudtest.FeishuApp.EncryptPush makes
// it) to the webhook's /feishu route, headers included.
func (l *Local) PostFeishu(ctx context.Context, p cloudtest.FeishuPush) (int, []byte, error) {
	req, err := p.SignedRequest(ctx, l.WebhookURL+"/feishu")
	if err != nil {
		return 0, nil, err
	}
	return do(req)
}

// SendFeishu encrypts and signs plaintext (an event or a URL check of
// l.FeishuApp) now, and posts it to /feishu.
func (l *Local) SendFeishu(ctx context.Context, plaintext []byte) (int, []byte, error) {
	return l.PostFeishu(ctx, l.FeishuApp.EncryptPush(plaintext, time.Now()))
}

// PostDingTalk sends a DingTalk push (query and body as
// cloudtest.DingTalk.SealPush makes them) to the webhook's /dingtalk route.
func (l *Local) PostDingTalk(ctx context.Context, q url.Values, body []byte) (int, []byte, error) {
	target := l.WebhookURL + "/dingtalk"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return do(req)
}

// SendDingTalk seals msg (an event message of l.DingTalk) now, as DingTalk
// does, and posts it to /dingtalk.
func (l *Local) SendDingTalk(ctx context.Context, msg []byte) (int, []byte, error) {
	q, body := l.DingTalk.SealPush(msg, time.Now())
	return l.PostDingTalk(ctx, q, body)
}

func do(req *http.Request) (int, []byte, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}
