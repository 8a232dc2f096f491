package dingtalk

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/ramsync/ramsync/pkg/secrets"
)

// Secret is what a DingTalk internal app needs kept secret: the app secret
// (Client Secret, for gettoken) and the two values of its HTTP push
// subscription, the EncodingAESKey and the signing token. Each prints as
// REDACTED.
type Secret struct {
	AppSecret secrets.Value
	// AESKey is the 43-character EncodingAESKey of the console ("加密
	// aes_key"), not the 32 bytes it decodes to.
	AESKey secrets.Value
	// Token is the signing token ("签名 token").
	Token secrets.Value
}

// aesKeyLength is the length of an EncodingAESKey [DOC
// callback-event-message-body-encryption-and-decryption].
const aesKeyLength = 43

// ParseSecret reads the Secrets Manager secret of a DingTalk app, the JSON
// object {"appSecret": "…", "aesKey": "…", "token": "…"}. All three are
// required and aesKey must be a 43-character EncodingAESKey. Errors name the
// field at fault, never a value.
func ParseSecret(v secrets.Value) (Secret, error) {
	var raw struct {
		AppSecret *string `json:"appSecret"`
		AESKey    *string `json:"aesKey"`
		Token     *string `json:"token"`
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(v.Reveal())))
	if err := dec.Decode(&raw); err != nil {
		// The decoder's message may quote part of the input: say only
		// what kind of fault it is.
		return Secret{}, fmt.Errorf("dingtalk: secret: not a JSON object {\"appSecret\", \"aesKey\", \"token\"} (%s)", jsonFault(err))
	}
	if dec.More() {
		return Secret{}, fmt.Errorf("dingtalk: secret: unexpected data after the JSON object")
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"appSecret", raw.AppSecret}, {"aesKey", raw.AESKey}, {"token", raw.Token}} {
		if f.v == nil || *f.v == "" {
			return Secret{}, fmt.Errorf("dingtalk: secret: %s is required (copy it from the app's page in the DingTalk developer console)", f.name)
		}
	}
	if err := checkAESKey(*raw.AESKey); err != nil {
		return Secret{}, fmt.Errorf("dingtalk: secret: aesKey %v", err)
	}
	return Secret{
		AppSecret: secrets.NewValue(*raw.AppSecret),
		AESKey:    secrets.NewValue(*raw.AESKey),
		Token:     secrets.NewValue(*raw.Token),
	}, nil
}

// checkAESKey says what is wrong with an EncodingAESKey without quoting it.
func checkAESKey(k string) error {
	if len(k) != aesKeyLength {
		return fmt.Errorf("is %d characters long, want %d (the EncodingAESKey of the HTTP push settings)", len(k), aesKeyLength)
	}
	if _, err := aesKeyBytes(k); err != nil {
		return err
	}
	return nil
}

// aesKeyBytes decodes an EncodingAESKey: base64(k + "=") gives 32 bytes.
// The decoding is not strict: DingTalk's own sample key has non-zero
// trailing bits (dingtalk.md §1.6).
func aesKeyBytes(k string) ([]byte, error) {
	if len(k) != aesKeyLength {
		return nil, fmt.Errorf("is %d characters long, want %d", len(k), aesKeyLength)
	}
	key, err := base64.StdEncoding.DecodeString(k + "=")
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("is not base64 (want 43 characters of A–Z, a–z, 0–9)")
	}
	return key, nil
}

// jsonFault names the kind of a JSON decoding error without its text.
func jsonFault(err error) string {
	switch err := err.(type) {
	case *json.SyntaxError:
		return "syntax error"
	case *json.UnmarshalTypeError:
		if err.Field == "" {
			return "not an object"
		}
		return err.Field + " is not a string"
	}
	return "unreadable"
}
