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
}

// Webhook is the webhook function's configuration.
type Webhook struct {
	Common
	// SigningSecretName names the HMAC key in Secrets Manager; SigningKey
	// is the key itself for local runs.
	SigningSecretName string
	SigningKey        secrets.Value
	Tolerance         time.Duration
}

// Reconciler is the reconciler function's configuration.
type Reconciler struct {
	Common
	RosterURL            string
	RosterAuthSecretName string
	DryRun               bool
	Concurrency          int
}

// Offboarding is the offboarding function's configuration.
type Offboarding struct {
	Common
	DryRun bool
}

func readCommon(r *Reader, brakes bool) Common {
	c := Common{
		SCIMEndpoint: r.URL("SCIM_ENDPOINT", DefaultSCIMEndpoint, "https", "http"),
		TokenURL:     r.URL("OAUTH_TOKEN_URL", DefaultTokenURL, "https", "http"),
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
	if brakes {
		c.Rules.MaxDeletes = r.Int("MAX_DELETES", 25, 0, 1_000_000)
		c.Rules.MaxDeletePercent = r.Float("MAX_DELETE_PERCENT", 10, 0, 100)
	}
	return c
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
	return c, r.Read(), r.Err()
}

// LoadReconciler reads the reconciler function's configuration.
func LoadReconciler(getenv func(string) string) (Reconciler, []string, error) {
	r := NewReader(getenv)
	c := Reconciler{Common: readCommon(r, true)}
	c.RosterURL = r.URL("ROSTER_URL", "", "https", "file")
	if c.RosterURL == "" {
		r.fail("ROSTER_URL", "is required (https://… or file://…, JSON or CSV)")
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
	return c, r.Read(), r.Err()
}

// LocalOnly are variables meant for local runs only, never for s.yaml:
// secrets in plain text.
var LocalOnly = []string{"SCIM_CLIENT_SECRET", "WEBHOOK_SECRET"}

// Platform reports whether a variable is set by Function Compute itself.
func Platform(name string) bool {
	return strings.HasPrefix(name, "FC_") || strings.HasPrefix(name, "ALIBABA_CLOUD_")
}

// ErrLocalSecret is the warning logged when a *_SECRET variable holds a
// secret in plain text.
var ErrLocalSecret = errors.New("a secret is set in plain text in the environment: for local runs only; in Function Compute use Secrets Manager")
