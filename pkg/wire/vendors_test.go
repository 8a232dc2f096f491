package wire

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ramsync/ramsync/pkg/config"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// countingSecrets is a Secrets that counts cached and fresh reads.
type countingSecrets struct {
	values      map[string]string
	gets, fresh int
}

func (c *countingSecrets) Get(_ context.Context, name string) (secrets.Value, error) {
	c.gets++
	return c.value(name)
}

func (c *countingSecrets) Refresh(_ context.Context, name string) (secrets.Value, error) {
	c.fresh++
	return c.value(name)
}

func (c *countingSecrets) value(name string) (secrets.Value, error) {
	v, ok := c.values[name]
	if !ok {
		return secrets.Value{}, errors.New("secrets: " + name + " not found")
	}
	return secrets.NewValue(v), nil
}

func TestVendorSecrets(t *testing.T) {
	ctx := context.Background()
	sm := &countingSecrets{values: map[string]string{
		"ramsync/feishu":   `{"appSecret":"a","encryptKey":"k","verificationToken":"v"}`,
		"ramsync/dingtalk": `{"appSecret":"a","aesKey":"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG","token":"t"}`,
		"ramsync/broken":   `{"appSecret":"a"}`,
	}}
	cl := &Clients{Secrets: sm}

	fs := cl.FeishuSecret(config.Feishu{AppID: "cli_x", SecretName: "ramsync/feishu"})
	if s, err := fs(ctx, false); err != nil || s.EncryptKey.Reveal() != "k" {
		t.Fatalf("feishu secret: %v", err)
	}
	if _, err := fs(ctx, true); err != nil || sm.gets != 1 || sm.fresh != 1 {
		t.Errorf("fresh read: %v; %d cached and %d fresh reads, want 1 and 1", err, sm.gets, sm.fresh)
	}
	if s, err := cl.DingTalkSecret(config.DingTalk{AppKey: "ding", SecretName: "ramsync/dingtalk"})(ctx, false); err != nil || s.Token.Reveal() != "t" {
		t.Errorf("dingtalk secret: %v", err)
	}
	_, err := cl.FeishuSecret(config.Feishu{SecretName: "ramsync/broken"})(ctx, false)
	if err == nil || strings.Contains(err.Error(), `"a"`) {
		t.Errorf("a secret missing fields: %v, want an error naming the field and no value", err)
	}
	// A local value wins, and is never "refreshed" from Secrets Manager.
	local := secrets.NewValue(`{"appSecret":"l","encryptKey":"lk","verificationToken":"lv"}`)
	before := sm.gets + sm.fresh
	s, err := cl.FeishuSecret(config.Feishu{SecretName: "ramsync/feishu", Secret: local})(ctx, true)
	if err != nil || s.EncryptKey.Reveal() != "lk" || sm.gets+sm.fresh != before {
		t.Errorf("local secret: %v, %q", err, s.EncryptKey.Reveal())
	}
	// Without SECRETS_REGION the error says so.
	if _, err := (&Clients{}).VendorSecret("ramsync/feishu", secrets.Value{})(ctx, false); err == nil || !strings.Contains(err.Error(), "SECRETS_REGION") {
		t.Errorf("no Secrets Manager: %v", err)
	}
	// The clients are built without a request.
	if _, err := cl.Feishu(config.Feishu{AppID: "cli_x", SecretName: "ramsync/feishu"}, nil); err != nil {
		t.Errorf("feishu client: %v", err)
	}
	if _, err := cl.DingTalk(config.DingTalk{AppKey: "ding", SecretName: "ramsync/dingtalk"}, nil); err != nil {
		t.Errorf("dingtalk client: %v", err)
	}
	if sm.gets+sm.fresh != before {
		t.Error("building a client read a secret")
	}
}
