package cloudtest

import (
	"errors"
	"io"
	"log"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	secretsmanager "github.com/aliyun/aliyun-secretsmanager-client-go/sdk"
	"github.com/aliyun/aliyun-secretsmanager-client-go/sdk/logger"
	"github.com/aliyun/aliyun-secretsmanager-client-go/sdk/models"
	"github.com/aliyun/aliyun-secretsmanager-client-go/sdk/service"
)

const kmsVersion = "2016-01-20"

// kmsCall signs and sends GetSecretValue (or another action) by hand.
func kmsCall(t *testing.T, s *Server, params map[string]string, edit func(url.Values)) response {
	t.Helper()
	action := "GetSecretValue"
	if a, ok := params["Action"]; ok {
		action = a
	}
	return callRPC(t, s, s.KMSEndpoint, rpcRequest(s, "POST", action, kmsVersion, params, edit))
}

func TestKMSGetSecretValue(t *testing.T) {
	clk := newFakeClock()
	s := start(t, Options{ClientSecret: "app-secret", Secrets: map[string]string{"ramsync/webhook-key": "whk"}, Now: clk.Now})

	r := kmsCall(t, s, map[string]string{"SecretName": "ramsync/scim-app-secret", "VersionStage": "ACSCurrent", "FetchExtendedConfig": "true"}, nil)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	got := r.json(t)
	want := map[string]any{
		"SecretName": "ramsync/scim-app-secret", "SecretData": "app-secret", "SecretDataType": "text",
		"SecretType": "Generic", "VersionId": "00000000000000000000000000000001", "CreateTime": "2026-03-01T09:00:00Z",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if st := got["VersionStages"].(map[string]any)["VersionStage"].([]any); len(st) != 1 || st[0] != "ACSCurrent" {
		t.Errorf("VersionStages = %v", got["VersionStages"])
	}
	if id, _ := got["RequestId"].(string); len(id) != 36 {
		t.Errorf("RequestId = %v", got["RequestId"])
	}
	if r := kmsCall(t, s, map[string]string{"SecretName": "ramsync/webhook-key"}, nil); r.json(t)["SecretData"] != "whk" {
		t.Errorf("Options.Secrets: %s", r.body)
	}

	s.RotateSecret("app-secret-2", false)
	s.SetSecret("ramsync/webhook-key", "whk-2")
	for _, tt := range []struct {
		params  map[string]string
		data    string
		version string
	}{
		{map[string]string{"SecretName": "ramsync/scim-app-secret"}, "app-secret-2", "00000000000000000000000000000002"},
		{map[string]string{"SecretName": "ramsync/scim-app-secret", "VersionStage": "ACSPrevious"}, "app-secret", "00000000000000000000000000000001"},
		{map[string]string{"SecretName": "ramsync/scim-app-secret", "VersionId": "00000000000000000000000000000001"}, "app-secret", "00000000000000000000000000000001"},
		{map[string]string{"SecretName": "ramsync/webhook-key"}, "whk-2", "00000000000000000000000000000002"},
	} {
		got := kmsCall(t, s, tt.params, nil).json(t)
		if got["SecretData"] != tt.data || got["VersionId"] != tt.version {
			t.Errorf("%v: got %v %v, want %s %s", tt.params, got["SecretData"], got["VersionId"], tt.data, tt.version)
		}
	}
}

func TestKMSErrors(t *testing.T) {
	s := start(t, Options{})
	o := s.Options()
	name := map[string]string{"SecretName": o.SecretName}
	old := time.Now().Add(-20 * time.Minute).UTC().Format("2006-01-02T15:04:05Z")
	tests := []struct {
		name   string
		params map[string]string
		edit   func(url.Values)
		status int
		code   string
	}{
		{"unknown secret", map[string]string{"SecretName": "nope"}, nil, 404, "Forbidden.ResourceNotFound"},
		{"unknown stage", map[string]string{"SecretName": o.SecretName, "VersionStage": "ACSPending"}, nil, 404, "Forbidden.ResourceNotFound"},
		{"no SecretName", nil, nil, 400, "MissingParameter"},
		{"unknown action", map[string]string{"Action": "Encrypt"}, nil, 400, "InvalidAction.NotFound"},
		{"wrong version", name, func(v url.Values) { v.Set("Version", "2015-05-01") }, 400, "InvalidVersion"},
		{"XML format", name, func(v url.Values) { v.Set("Format", "XML") }, 400, "InvalidParameter.Format"},
		{"unknown AccessKeyId", name, func(v url.Values) { v.Set("AccessKeyId", "STS.other") }, 404, "InvalidAccessKeyId.NotFound"},
		{"wrong SecurityToken", name, func(v url.Values) { v.Set("SecurityToken", "CAISother") }, 403, "InvalidSecurityToken.Mismatch"},
		{"no SecurityToken", name, func(v url.Values) { v.Del("SecurityToken") }, 400, "MissingSecurityToken"},
		{"stale Timestamp", name, func(v url.Values) { v.Set("Timestamp", old) }, 400, "IllegalTimestamp"},
		{"bad Timestamp", name, func(v url.Values) { v.Set("Timestamp", "yesterday") }, 400, "IllegalTimestamp"},
		{"SHA256", name, func(v url.Values) { v.Set("SignatureMethod", "HMAC-SHA256") }, 400, "InvalidParameter.SignatureMethod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRPCError(t, KMS, kmsCall(t, s, tt.params, tt.edit), tt.status, tt.code)
		})
	}

	t.Run("bad signature", func(t *testing.T) {
		q := rpcRequest(s, "POST", "GetSecretValue", kmsVersion, name, nil)
		q.Set("SecretName", "tampered") // after signing
		r := callRPC(t, s, s.KMSEndpoint, q)
		checkRPCError(t, KMS, r, 400, "SignatureDoesNotMatch")
		for _, leak := range []string{o.AccessKeySecret, o.SecurityToken, "GET&", "POST&", "%2F"} {
			if strings.Contains(string(r.body), leak) {
				t.Errorf("the error leaks %q: %s", leak, r.body)
			}
		}
	})
	t.Run("signed for GET, sent with POST", func(t *testing.T) {
		q := rpcRequest(s, "GET", "GetSecretValue", kmsVersion, name, nil)
		checkRPCError(t, KMS, callRPC(t, s, s.KMSEndpoint, q), 400, "SignatureDoesNotMatch")
		q = rpcRequest(s, "GET", "GetSecretValue", kmsVersion, name, nil)
		if r := do(t, s, "GET", "https://"+s.KMSEndpoint+"/?"+q.Encode(), "", nil); r.status != 200 {
			t.Errorf("signed and sent with GET: %d %s", r.status, r.body)
		}
	})
	t.Run("replayed nonce", func(t *testing.T) {
		q := rpcRequest(s, "POST", "GetSecretValue", kmsVersion, name, nil)
		if r := callRPC(t, s, s.KMSEndpoint, q); r.status != 200 {
			t.Fatalf("first: %d %s", r.status, r.body)
		}
		checkRPCError(t, KMS, callRPC(t, s, s.KMSEndpoint, q), 400, "SignatureNonceUsed")
	})
	t.Run("plain AccessKey needs no token", func(t *testing.T) {
		ak := start(t, Options{AccessKeyID: "LTAI5tPlainKey", AccessKeySecret: "sk"})
		q := rpcRequest(ak, "POST", "GetSecretValue", kmsVersion, map[string]string{"SecretName": ak.Options().SecretName},
			func(v url.Values) { v.Del("SecurityToken") })
		if r := callRPC(t, ak, ak.KMSEndpoint, q); r.status != 200 {
			t.Errorf("%d %s", r.status, r.body)
		}
	})
	if c := s.Counters(); c["kms.GetSecretValue"] == 0 || c["kms.unknown"] != 1 {
		t.Errorf("counters: %v", c)
	}
}

// checkRPCError checks a POP error body: every value a string, except KMS's
// numeric HttpStatus.
func checkRPCError(t *testing.T, svc Service, r response, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	e := r.json(t)
	if e["Code"] != code {
		t.Errorf("Code = %v, want %s", e["Code"], code)
	}
	for _, k := range []string{"RequestId", "HostId", "Code", "Message", "Recommend"} {
		if v, ok := e[k].(string); !ok || v == "" {
			t.Errorf("%s = %#v, want a non-empty string", k, e[k])
		}
	}
	if svc == KMS && e["HttpStatus"] != float64(status) {
		t.Errorf("HttpStatus = %#v, want %d", e["HttpStatus"], status)
	}
}

// quietLogger keeps the secrets-manager client's log out of the test output.
func quietLogger() logger.Wrapper { return logger.NewDefaultLogger(log.New(io.Discard, "", 0)) }

// TestKMSThroughSDK proves the signature check accepts the real
// secrets-manager client, built as ALIYUN.md §3.4 says.
func TestKMSThroughSDK(t *testing.T) {
	s := start(t, Options{ClientSecret: "first"})
	o := s.Options()
	cred := credentials.NewStsTokenCredential(o.AccessKeyID, o.AccessKeySecret, o.SecurityToken)
	smc := service.NewDefaultSecretManagerClientBuilder().Standard().WithCredentials(cred).
		AddRegionInfo(&models.RegionInfo{RegionId: o.Region, Endpoint: s.KMSEndpoint}).Build()
	cli, err := secretsmanager.NewSecretCacheClientBuilder(smc).WithLogger(quietLogger()).Build()
	if err != nil {
		t.Fatal(err)
	}
	v, err := cli.GetStringValue(o.SecretName)
	if err != nil || v != "first" {
		t.Fatalf("GetStringValue = %q, %v", v, err)
	}

	s.RotateSecret("second", true)
	if _, err := cli.RefreshNow(o.SecretName); err != nil {
		t.Fatal(err)
	}
	if v, _ := cli.GetStringValue(o.SecretName); v != "second" {
		t.Errorf("after rotation: %q", v)
	}

	req := kms.CreateGetSecretValueRequest()
	req.Scheme = "https"
	req.SecretName = o.SecretName
	req.VersionStage = "ACSPrevious"
	resp, err := smc.GetSecretValue(req)
	if err != nil || resp.SecretData != "first" || resp.VersionStages.VersionStage[0] != "ACSPrevious" {
		t.Errorf("ACSPrevious: %+v, %v", resp, err)
	}

	_, err = cli.GetStringValue("missing")
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) || se.ErrorCode() != "Forbidden.ResourceNotFound" || se.HttpStatus() != 404 {
		t.Errorf("missing secret: %T %v", err, err)
	}
	if c := s.Counters(); c["kms.GetSecretValue.200"] != 3 || c["kms.GetSecretValue.404"] != 1 {
		t.Errorf("counters: %v", c)
	}
}
