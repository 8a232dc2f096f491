package config

import (
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/ramsync/ramsync/pkg/provision"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// Defaults from SPEC §4.1.
const (
	DefaultSCIMEndpoint = "https://scim.aliyun.com"
	DefaultTokenURL     = "https://oauth.aliyun.com/v1/token"
	DefaultRAMEndpoint  = "ram.aliyuncs.com"
)

// Common is what all three functions read.
type Common struct {
	SCIMEndpoint string
	TokenURL     string
	ClientID     string
	// SecretName names the app secret in Secrets Manager; ClientSecret is
	// the secret itself for local runs (set only when SCIM_CLIENT_SECRET is).
	SecretName   string
	ClientSecret secrets.Value

	SecretsRegion   string
	SecretsEndpoint string
	RPS             float64
	Rules           provision.Rules
	Mapping         *provision.Mapping
	OffboardCleanup bool
	RAMEndpoint     string
	LogLevel        slog.Level
	// Region is FC_REGION, set by Function Compute.
	Region string
	// Alert is the chat bot for alerts (SPEC §4.8); zero when unset.
	Alert Alert
}

// Alert configures the chat bot alerts (ALERT_WEBHOOK_URL, ALERT_SECRET_NAME,
// ALERT_FORMAT).
type Alert struct {
	URL        string
	SecretName string
	// Format is "auto" (told by the URL's path), "dingtalk", "feishu",
	// "wecom" or "slack".
	Format string
}

// Feishu is a Feishu/Lark self-built app (FEISHU_*); zero AppID when unset.
type Feishu struct {
	AppID string
	// SecretName names the Secrets Manager secret holding
	// {"appSecret", "encryptKey", "verificationToken"}; Secret is that JSON
	// itself for local runs (FEISHU_SECRET).
	SecretName string
	Secret     secrets.Value
	Endpoint   string
}

// DingTalk is a DingTalk internal app (DINGTALK_*); zero AppKey when unset.
type DingTalk struct {
	AppKey string
	// SecretName names the Secrets Manager secret holding
	// {"appSecret", "aesKey", "token"}; Secret is that JSON itself for local
	// runs (DINGTALK_SECRET).
	SecretName string
	Secret     secrets.Value
	Endpoint   string
}

// Defaults of the vendor endpoints (SPEC §4.1).
const (
	DefaultFeishuEndpoint   = "https://open.feishu.cn"
	DefaultDingTalkEndpoint = "https://oapi.dingtalk.com"
)

// Webhook is the webhook function's configuration.
type Webhook struct {
	Common
	// SigningSecretName names the HMAC key in Secrets Manager; SigningKey
	// is the key itself for local runs.
	SigningSecretName string
	SigningKey        secrets.Value
	Tolerance         time.Duration
	// EventMaxAge is EVENT_MAX_AGE (also in Rules.EventMaxAge).
	EventMaxAge time.Duration
	Feishu      Feishu
	DingTalk    DingTalk
}

// Reconciler is the reconciler function's configuration.
type Reconciler struct {
	Common
	RosterURL            string
	RosterAuthSecretName string
	DryRun               bool
	Concurrency          int
	// RosterFormat is ROSTER_FORMAT: auto, json, csv, workday, bamboohr,
	// successfactors.
	RosterFormat string
	Feishu       Feishu
	DingTalk     DingTalk
}

// Offboarding is the offboarding function's configuration.
type Offboarding struct {
	Common
	DryRun bool
	// EventMaxAge is EVENT_MAX_AGE (also in Rules.EventMaxAge).
	EventMaxAge time.Duration
	// EventSources are the CloudEvents sources accepted (EVENT_SOURCES);
	// empty accepts any.
	EventSources []string
}

func readCommon(r *Reader, brakes bool) Common {
	c := Common{
		SCIMEndpoint: r.TLSURL("SCIM_ENDPOINT", DefaultSCIMEndpoint),
		TokenURL:     r.TLSURL("OAUTH_TOKEN_URL", DefaultTokenURL),
		ClientID:     r.Required("SCIM_CLIENT_ID", "the OAuth application's client id"),
	}
	c.SecretName = r.String("SCIM_SECRET_NAME", "")
	if s := r.String("SCIM_CLIENT_SECRET", ""); s != "" {
		c.ClientSecret = secrets.NewValue(s)
	}
	if c.SecretName == "" && c.ClientSecret.IsZero() {
		r.fail("SCIM_SECRET_NAME", "is required (the Secrets Manager secret holding the OAuth app secret; SCIM_CLIENT_SECRET is for local runs)")
	}
	c.Region = r.String("FC_REGION", "")
	c.SecretsRegion = r.String("SECRETS_REGION", c.Region)
	needRegion(r, c.SecretsRegion, c.SecretName)
	c.SecretsEndpoint = r.HostPort("SECRETS_ENDPOINT")
	c.RPS = r.Float("SCIM_RPS", 10, 0.1, 10000)
	c.Rules.Protected = provision.ParseProtected(r.String("PROTECTED_USERS", ""))
	c.Rules.AdoptExisting = r.Bool("ADOPT_EXISTING", false)
	dnMax := r.Int("DISPLAY_NAME_MAX", provision.DefaultDisplayNameMax, 1, 128)
	mapping := r.String("MAPPING", "")
	m, err := provision.ParseMapping(mapping, dnMax)
	if err != nil {
		r.fail("MAPPING", "%s", strings.TrimPrefix(err.Error(), "mapping: "))
	}
	c.Mapping = m
	c.OffboardCleanup = r.Bool("OFFBOARD_CLEANUP", false)
	c.RAMEndpoint = r.HostPort("RAM_ENDPOINT")
	if c.RAMEndpoint == "" {
		c.RAMEndpoint = DefaultRAMEndpoint
	}
	c.LogLevel = readLevel(r)
	c.Rules.Grace = r.Duration("LEAVER_GRACE", 0, 0, 10*365*24*time.Hour)
	if c.Rules.Grace > 0 && !c.OffboardCleanup {
		r.fail("LEAVER_GRACE", "is %s, but OFFBOARD_CLEANUP is off: suspending a leaver needs OFFBOARD_CLEANUP=true (the RAM OpenAPI); set OFFBOARD_CLEANUP=true or LEAVER_GRACE=0", c.Rules.Grace)
	}
	c.Alert = readAlert(r)
	if brakes {
		c.Rules.MaxDeletes = r.Int("MAX_DELETES", 25, 0, 1_000_000)
		c.Rules.MaxDeletePercent = r.Float("MAX_DELETE_PERCENT", 10, 0, 100)
	}
	return c
}

func readAlert(r *Reader) Alert {
	a := Alert{URL: r.URL("ALERT_WEBHOOK_URL", "", "https", "http")}
	a.SecretName = r.String("ALERT_SECRET_NAME", "")
	a.Format = strings.ToLower(r.String("ALERT_FORMAT", "auto"))
	switch a.Format {
	case "auto", "dingtalk", "feishu", "wecom", "slack":
	default:
		r.fail("ALERT_FORMAT", "%q is not auto, dingtalk, feishu, wecom or slack", a.Format)
	}
	if a.SecretName != "" && a.URL == "" {
		r.fail("ALERT_SECRET_NAME", "is set, but ALERT_WEBHOOK_URL is not")
	}
	return a
}

func readFeishu(r *Reader, region string) Feishu {
	return readApp(r, region, "FEISHU", "APP_ID", DefaultFeishuEndpoint, `{"appSecret", "encryptKey", "verificationToken"}`)
}

func readDingTalk(r *Reader, region string) DingTalk {
	a := readApp(r, region, "DINGTALK", "APP_KEY", DefaultDingTalkEndpoint, `{"appSecret", "aesKey", "token"}`)
	return DingTalk{AppKey: a.AppID, SecretName: a.SecretName, Secret: a.Secret, Endpoint: a.Endpoint}
}

// readApp reads an HR vendor's app: <vendor>_<idVar>, <vendor>_SECRET_NAME
// (or <vendor>_SECRET for local runs) holding the JSON shape, and
// <vendor>_ENDPOINT (TLS only, unless loopback).
func readApp(r *Reader, region, vendor, idVar, endpoint, shape string) Feishu {
	a := Feishu{AppID: r.String(vendor+"_"+idVar, "")}
	a.SecretName = r.String(vendor+"_SECRET_NAME", "")
	if s := r.String(vendor+"_SECRET", ""); s != "" {
		a.Secret = secrets.NewValue(s)
	}
	a.Endpoint = strings.TrimRight(r.TLSURL(vendor+"_ENDPOINT", endpoint), "/")
	if a.AppID != "" && a.SecretName == "" && a.Secret.IsZero() {
		r.fail(vendor+"_SECRET_NAME", "is required with %s_%s (the Secrets Manager secret holding %s; %s_SECRET is for local runs)", vendor, idVar, shape, vendor)
	}
	needRegion(r, region, a.SecretName)
	return a
}

// needRegion fails when a secret is named but no region is known.
func needRegion(r *Reader, region, secretName string) {
	if region == "" && secretName != "" {
		r.fail("SECRETS_REGION", "is required outside Function Compute (FC_REGION is not set) to read secret %q", secretName)
	}
}

func readLevel(r *Reader) slog.Level {
	v := strings.ToLower(r.String("LOG_LEVEL", "info"))
	switch v {
	case "debug":
		return slog.LevelDebug
	case "info":
		return slog.LevelInfo
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	r.fail("LOG_LEVEL", "%q is not debug, info, warn or error", v)
	return slog.LevelInfo
}

// LoadWebhook reads the webhook function's configuration.
func LoadWebhook(getenv func(string) string) (Webhook, []string, error) {
	r := NewReader(getenv)
	c := Webhook{Common: readCommon(r, false)}
	c.SigningSecretName = r.String("WEBHOOK_SECRET_NAME", "")
	if k := r.String("WEBHOOK_SECRET", ""); k != "" {
		c.SigningKey = secrets.NewValue(k)
	}
	if c.SigningSecretName == "" && c.SigningKey.IsZero() {
		r.fail("WEBHOOK_SECRET_NAME", "is required (the Secrets Manager secret holding the HMAC signing key; WEBHOOK_SECRET is for local runs)")
	}
	needRegion(r, c.SecretsRegion, c.SigningSecretName)
	c.Tolerance = r.Duration("WEBHOOK_TOLERANCE", 5*time.Minute, time.Second, 24*time.Hour)
	c.EventMaxAge = r.Duration("EVENT_MAX_AGE", DefaultEventMaxAge, time.Second, 10*365*24*time.Hour)
	c.Rules.EventMaxAge = c.EventMaxAge
	c.Feishu = readFeishu(r, c.SecretsRegion)
	c.DingTalk = readDingTalk(r, c.SecretsRegion)
	return c, r.Read(), r.Err()
}

// LoadReconciler reads the reconciler function's configuration.
func LoadReconciler(getenv func(string) string) (Reconciler, []string, error) {
	r := NewReader(getenv)
	c := Reconciler{Common: readCommon(r, true)}
	// http:// is refused even on a loopback host: the roster loader speaks
	// only https:// (the roster and its credentials never go in clear text).
	c.RosterURL = r.URL("ROSTER_URL", "", "https", "file", "feishu", "dingtalk")
	if c.RosterURL == "" {
		r.fail("ROSTER_URL", "is required (https://…, file://…, feishu:// or dingtalk://)")
	}
	c.RosterFormat = strings.ToLower(r.String("ROSTER_FORMAT", "auto"))
	switch c.RosterFormat {
	case "auto", "json", "csv", "workday", "bamboohr", "successfactors":
	default:
		r.fail("ROSTER_FORMAT", "%q is not auto, json, csv, workday, bamboohr or successfactors", c.RosterFormat)
	}
	c.Feishu = readFeishu(r, c.SecretsRegion)
	c.DingTalk = readDingTalk(r, c.SecretsRegion)
	switch {
	case strings.HasPrefix(c.RosterURL, "feishu:") && c.Feishu.AppID == "":
		r.fail("ROSTER_URL", "is a feishu:// roster, but FEISHU_APP_ID is not set")
	case strings.HasPrefix(c.RosterURL, "dingtalk:") && c.DingTalk.AppKey == "":
		r.fail("ROSTER_URL", "is a dingtalk:// roster, but DINGTALK_APP_KEY is not set")
	}
	c.RosterAuthSecretName = r.String("ROSTER_AUTH_SECRET_NAME", "")
	needRegion(r, c.SecretsRegion, c.RosterAuthSecretName)
	c.DryRun = r.Bool("DRY_RUN", false)
	c.Concurrency = r.Int("SCIM_CONCURRENCY", 4, 1, 64)
	return c, r.Read(), r.Err()
}

// LoadOffboarding reads the offboarding function's configuration.
func LoadOffboarding(getenv func(string) string) (Offboarding, []string, error) {
	r := NewReader(getenv)
	c := Offboarding{Common: readCommon(r, false)}
	c.DryRun = r.Bool("DRY_RUN", false)
	c.EventMaxAge = r.Duration("EVENT_MAX_AGE", DefaultEventMaxAge, time.Second, 10*365*24*time.Hour)
	c.Rules.EventMaxAge = c.EventMaxAge
	for _, s := range strings.Split(r.String("EVENT_SOURCES", ""), ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.EventSources = append(c.EventSources, s)
		}
	}
	return c, r.Read(), r.Err()
}

// LocalOnly are variables meant for local runs only, never for s.yaml:
// secrets in plain text.
var LocalOnly = []string{"SCIM_CLIENT_SECRET", "WEBHOOK_SECRET", "FEISHU_SECRET", "DINGTALK_SECRET"}

// DefaultEventMaxAge is EVENT_MAX_AGE's default.
const DefaultEventMaxAge = 72 * time.Hour

// Platform reports whether a variable is set by Function Compute itself.
func Platform(name string) bool {
	return strings.HasPrefix(name, "FC_") || strings.HasPrefix(name, "ALIBABA_CLOUD_")
}

// ErrLocalSecret is the warning logged when a *_SECRET variable holds a
// secret in plain text.
var ErrLocalSecret = errors.New("a secret is set in plain text in the environment: for local runs only; in Function Compute use Secrets Manager")
