package feishu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ramsync/ramsync/pkg/secrets"
)

// Secret is the app's three secrets, held in one Secrets Manager secret
// (FEISHU_SECRET_NAME) as {"appSecret", "encryptKey", "verificationToken"}.
type Secret struct {
	// AppSecret opens the tenant access token (the directory pull).
	AppSecret secrets.Value
	// EncryptKey is the event subscription's Encrypt Key: it decrypts and
	// signs the pushes.
	EncryptKey secrets.Value
	// VerificationToken is the event subscription's Verification Token,
	// carried inside every decrypted push.
	VerificationToken secrets.Value
}

// ParseSecret reads the secret's JSON. All three fields are required and
// must be non-empty strings: the error names the first field that is not,
// and never shows a value.
func ParseSecret(v secrets.Value) (Secret, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(v.Reveal()))
	if err := dec.Decode(&raw); err != nil || raw == nil || dec.More() {
		return Secret{}, fmt.Errorf("feishu: secret is not a JSON object {\"appSecret\", \"encryptKey\", \"verificationToken\"}")
	}
	var s Secret
	for _, f := range []struct {
		name string
		dst  *secrets.Value
	}{{"appSecret", &s.AppSecret}, {"encryptKey", &s.EncryptKey}, {"verificationToken", &s.VerificationToken}} {
		r, ok := raw[f.name]
		if !ok || bytes.Equal(r, []byte("null")) {
			return Secret{}, fmt.Errorf("feishu: secret has no %s: add it (the app's credentials page in the Feishu developer console)", f.name)
		}
		var str string
		if err := json.Unmarshal(r, &str); err != nil {
			return Secret{}, fmt.Errorf("feishu: secret's %s is not a string", f.name)
		}
		if strings.TrimSpace(str) == "" {
			return Secret{}, fmt.Errorf("feishu: secret's %s is empty", f.name)
		}
		*f.dst = secrets.NewValue(str)
	}
	return s, nil
}
