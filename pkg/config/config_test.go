package config

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

var base = []string{"SCIM_CLIENT_ID", "4637905686741830000", "SCIM_SECRET_NAME", "ramsync/scim", "FC_REGION", "cn-hangzhou"}

func TestWebhookDefaults(t *testing.T) {
	c, _, err := LoadWebhook(env(append(base, "WEBHOOK_SECRET_NAME", "ramsync/webhook")...))
	if err != nil {
		t.Fatal(err)
	}
	if c.SCIMEndpoint != DefaultSCIMEndpoint || c.TokenURL != DefaultTokenURL || c.RAMEndpoint != DefaultRAMEndpoint ||
		c.SecretsRegion != "cn-hangzhou" || c.RPS != 10 || c.Tolerance != 5*time.Minute || c.LogLevel != slog.LevelInfo ||
		c.Mapping.DisplayNameMax() != 24 || c.OffboardCleanup || c.Rules.AdoptExisting {
		t.Errorf("defaults: %+v", c)
	}
}

func TestReconcilerSettings(t *testing.T) {
	c, _, err := LoadReconciler(env(append(base,
		"ROSTER_URL", "https://hr.example.com/roster.csv", "DRY_RUN", "true", "MAX_DELETES", "5",
		"MAX_DELETE_PERCENT", "2.5", "SCIM_CONCURRENCY", "8", "PROTECTED_USERS", "Admin, root ",
		"ADOPT_EXISTING", "yes", "OFFBOARD_CLEANUP", "true", "LOG_LEVEL", "debug", "SECRETS_ENDPOINT", "127.0.0.1:8443",
		"MAPPING", `{"userName": "{{ .login | lower }}"}`, "DISPLAY_NAME_MAX", "128")...))
	if err != nil {
		t.Fatal(err)
	}
	if !c.DryRun || c.Rules.MaxDeletes != 5 || c.Rules.MaxDeletePercent != 2.5 || c.Concurrency != 8 ||
		!c.Rules.IsProtected("admin") || !c.Rules.IsProtected("ROOT") || !c.Rules.AdoptExisting || !c.OffboardCleanup ||
		c.LogLevel != slog.LevelDebug || c.SecretsEndpoint != "127.0.0.1:8443" || c.Mapping.DisplayNameMax() != 128 {
		t.Errorf("settings: %+v", c)
	}
}

func TestBadConfigurationNamesTheVariable(t *testing.T) {
	tests := []struct {
		load func(func(string) string) error
		env  []string
		want string
	}{
		{webhook, nil, "SCIM_CLIENT_ID: is required"},
		{webhook, []string{"SCIM_CLIENT_ID", "x", "WEBHOOK_SECRET", "k"}, "SCIM_SECRET_NAME: is required"},
		{webhook, append(base, "WEBHOOK_SECRET", "k", "SCIM_RPS", "fast"), `SCIM_RPS: "fast" is not a number`},
		{webhook, append(base, "WEBHOOK_SECRET", "k", "SCIM_RPS", "0"), "SCIM_RPS: 0 is out of range"},
		{webhook, append(base, "WEBHOOK_SECRET", "k", "WEBHOOK_TOLERANCE", "5"), `WEBHOOK_TOLERANCE: "5" is not a duration`},
		{webhook, base, "WEBHOOK_SECRET_NAME: is required"},
		{webhook, append(base, "WEBHOOK_SECRET", "k", "SCIM_ENDPOINT", "scim.aliyun.com"), `SCIM_ENDPOINT: "scim.aliyun.com" is not an absolute URL`},
		{webhook, append(base, "WEBHOOK_SECRET", "k", "SECRETS_ENDPOINT", "https://kms.x"), "SECRETS_ENDPOINT: \"https://kms.x\" must be host[:port]"},
		{webhook, append(base, "WEBHOOK_SECRET", "k", "RAM_ENDPOINT", "ram:99999"), "RAM_ENDPOINT: \"ram:99999\" has a bad port"},
		{webhook, append(base, "WEBHOOK_SECRET", "k", "ADOPT_EXISTING", "maybe"), `ADOPT_EXISTING: "maybe" is not true or false`},
		{webhook, append(base, "WEBHOOK_SECRET", "k", "LOG_LEVEL", "loud"), `LOG_LEVEL: "loud" is not debug, info, warn or error`},
		{webhook, append(base, "WEBHOOK_SECRET", "k", "MAPPING", `{"email": "x"}`), `MAPPING: unknown attribute "email"`},
		{webhook, append(base, "WEBHOOK_SECRET", "k", "DISPLAY_NAME_MAX", "500"), "DISPLAY_NAME_MAX: 500 is out of range (1 to 128)"},
		{webhook, []string{"SCIM_CLIENT_ID", "x", "SCIM_SECRET_NAME", "s", "WEBHOOK_SECRET", "k"}, "SECRETS_REGION: is required outside Function Compute"},
		{reconciler, base, "ROSTER_URL: is required"},
		{reconciler, append(base, "ROSTER_URL", "http://hr/roster.json"), `ROSTER_URL: "http://hr/roster.json" must use https or file`},
		{reconciler, append(base, "ROSTER_URL", "file:///r.json", "MAX_DELETE_PERCENT", "150"), "MAX_DELETE_PERCENT: 150 is out of range"},
		{reconciler, append(base, "ROSTER_URL", "file:///r.json", "MAX_DELETES", "-1"), "MAX_DELETES: -1 is out of range"},
		{offboarding, append(base, "DRY_RUN", "sometimes"), `DRY_RUN: "sometimes" is not true or false`},
		{offboarding, append(base, "EVENT_MAX_AGE", "0"), "EVENT_MAX_AGE: 0s is out of range (1s to "},
		{webhook, append(base, "WEBHOOK_SECRET", "k", "EVENT_MAX_AGE", "-1h"), "EVENT_MAX_AGE: -1h0m0s is out of range (1s to "},
	}
	for _, tt := range tests {
		err := tt.load(env(tt.env...))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("env %v: err = %v, want one line starting %q", tt.env, err, tt.want)
		}
	}
}

// TestEventMaxAge: the default is 72h; any positive duration from a
// second up is taken, on both event functions.
func TestEventMaxAge(t *testing.T) {
	o, _, err := LoadOffboarding(env(base...))
	if err != nil || o.EventMaxAge != 72*time.Hour || o.Rules.EventMaxAge != 72*time.Hour {
		t.Errorf("default: %v, %v", o.EventMaxAge, err)
	}
	o, _, err = LoadOffboarding(env(append(base, "EVENT_MAX_AGE", "30s")...))
	if err != nil || o.Rules.EventMaxAge != 30*time.Second {
		t.Errorf("30s offboarding: %v, %v", o.Rules.EventMaxAge, err)
	}
	w, _, err := LoadWebhook(env(append(base, "WEBHOOK_SECRET", "k", "EVENT_MAX_AGE", "1s")...))
	if err != nil || w.Rules.EventMaxAge != time.Second {
		t.Errorf("1s webhook: %v, %v", w.Rules.EventMaxAge, err)
	}
}

func webhook(g func(string) string) error     { _, _, err := LoadWebhook(g); return err }
func reconciler(g func(string) string) error  { _, _, err := LoadReconciler(g); return err }
func offboarding(g func(string) string) error { _, _, err := LoadOffboarding(g); return err }

func TestLocalSecrets(t *testing.T) {
	c, _, err := LoadWebhook(env("SCIM_CLIENT_ID", "x", "SCIM_CLIENT_SECRET", "s3cret", "WEBHOOK_SECRET", "k3y"))
	if err != nil {
		t.Fatal(err)
	}
	if c.ClientSecret.Reveal() != "s3cret" || c.SigningKey.Reveal() != "k3y" || c.SecretName != "" {
		t.Errorf("local secrets not read: %+v", c)
	}
	// And never printed.
	if s := strings.Join([]string{c.ClientSecret.String(), c.SigningKey.String()}, ""); strings.Contains(s, "s3cret") || strings.Contains(s, "k3y") {
		t.Error("a local secret printed")
	}
}

func TestNamesReadAreRecorded(t *testing.T) {
	_, names, _ := LoadOffboarding(env(base...))
	for _, want := range []string{"SCIM_ENDPOINT", "SCIM_CLIENT_ID", "DRY_RUN", "OFFBOARD_CLEANUP", "LOG_LEVEL"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("%s not recorded in %v", want, names)
		}
	}
	for _, n := range names {
		if n == "MAX_DELETES" || n == "ROSTER_URL" {
			t.Errorf("offboarding reads %s, which is the reconciler's", n)
		}
	}
}

// TestEndpointsOverTLSOnly: every endpoint that carries tokens, secrets or
// employee records refuses http:// at start-up, unless its host is a
// loopback address (a local run against the test double).
func TestEndpointsOverTLSOnly(t *testing.T) {
	wh := append(base, "WEBHOOK_SECRET", "k")
	rec := append(base, "ROSTER_URL", "file:///r.json")
	tests := []struct {
		load  func(func(string) string) error
		env   []string
		name  string
		value string
		ok    bool
	}{
		{webhook, wh, "SCIM_ENDPOINT", "http://scim.aliyun.com", false},
		{webhook, wh, "SCIM_ENDPOINT", "http://10.0.0.8:8080/scim", false},
		{webhook, wh, "SCIM_ENDPOINT", "http://127.0.0.2.example.com", false},
		{webhook, wh, "SCIM_ENDPOINT", "http://[::ffff:10.0.0.1]:80", false},
		{webhook, wh, "SCIM_ENDPOINT", "http://127.0.0.1:8443", true},
		{webhook, wh, "SCIM_ENDPOINT", "http://[::1]:8443/scim", true},
		{webhook, wh, "SCIM_ENDPOINT", "http://localhost:8443", true},
		{webhook, wh, "SCIM_ENDPOINT", "https://scim.aliyun.com", true},
		{offboarding, base, "OAUTH_TOKEN_URL", "http://oauth.aliyun.com/v1/token", false},
		{offboarding, base, "OAUTH_TOKEN_URL", "http://127.0.0.1:9000/v1/token", true},
		{webhook, wh, "FEISHU_ENDPOINT", "http://open.feishu.cn", false},
		{reconciler, rec, "FEISHU_ENDPOINT", "http://open.larksuite.com", false},
		{webhook, wh, "FEISHU_ENDPOINT", "http://127.0.0.1:7000", true},
		{webhook, wh, "DINGTALK_ENDPOINT", "http://oapi.dingtalk.com", false},
		{reconciler, rec, "DINGTALK_ENDPOINT", "http://localhost:7001", true},
		{reconciler, base, "ROSTER_URL", "http://hr.example.com/roster.json", false},
		{reconciler, base, "ROSTER_URL", "http://127.0.0.1:8000/roster.json", false}, // the loader speaks only https
		{reconciler, base, "ROSTER_URL", "https://hr.example.com/roster.json", true},
	}
	refused, plain := 0, 0
	for _, tt := range tests {
		err := tt.load(env(append(tt.env, tt.name, tt.value)...))
		if !tt.ok {
			plain++
			if err != nil {
				refused++
			}
		}
		if tt.ok && err != nil {
			t.Errorf("%s=%s: %v, want accepted", tt.name, tt.value, err)
		}
		if !tt.ok && (err == nil || !strings.HasPrefix(err.Error(), tt.name+": ")) {
			t.Errorf("%s=%s: err = %v, want it refused, naming %s", tt.name, tt.value, err, tt.name)
		}
	}
	t.Logf("RELIABILITY suite=plain-http cases=%d refused=%d", plain, refused)
}

// TestURLErrorsHideCredentials: a bad URL's error never shows its query or
// user info (issue 12 item 5).
func TestURLErrorsHideCredentials(t *testing.T) {
	for _, v := range []string{
		"ftp://user:pa55word@hr.example.com/roster.json?token=s3cr3t",
		"http://user:pa55word@hr.example.com/roster.json?token=s3cr3t",
		"hr.example.com/roster.json?token=s3cr3t",
	} {
		env := map[string]string{"SCIM_CLIENT_ID": "c", "SCIM_CLIENT_SECRET": "s", "ROSTER_URL": v}
		_, _, err := LoadReconciler(func(k string) string { return env[k] })
		if err == nil || !strings.Contains(err.Error(), "ROSTER_URL") {
			t.Fatalf("%s: err %v", v, err)
		}
		if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "pa55word") {
			t.Errorf("the error shows a credential: %v", err)
		}
	}
}
