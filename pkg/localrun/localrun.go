// Package localrun runs ramsync whole on one machine: it builds the three
// real function binaries, starts the cloud test double (OAuth, SCIM, KMS,
// RAM) and the local FC runtime API, and deploys the binaries there with
// the environment s.yaml gives them in the cloud, pointed at the double.
// The end-to-end tests, the demo and the benchmarks use it.
package localrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/cloudtest/fcruntime"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// Functions are ramsync's functions, as named under functions/.
var Functions = []string{"webhook", "reconciler", "offboarding"}

// Secret names the deployment uses in the double's Secrets Manager.
const (
	WebhookSecretName = "ramsync/webhook-signing-key"
)

// Options configure a [Local].
type Options struct {
	// Cloud configures the test double.
	Cloud cloudtest.Options
	// Binaries are prebuilt function binaries by function name; the
	// missing ones are built (see [Build]).
	Binaries map[string]string
	// Env is added to every function's environment (and wins over the
	// defaults); FuncEnv per function (and wins over Env).
	Env     map[string]string
	FuncEnv map[string]map[string]string
	// MaxInstances per function (default 1).
	MaxInstances map[string]int
	// Timeout per function (defaults: webhook 60 s, reconciler 900 s,
	// offboarding 120 s, as in s.yaml).
	Timeout map[string]time.Duration
	// Log receives every line the functions print.
	Log func(function string, instance int, stream, line string)
	// Dir holds the CA certificate, the roster and the binaries; empty
	// means a new temporary directory, removed by Close.
	Dir string
	// Feishu, when set, starts a Feishu/Lark open platform double with
	// these options, stores its app's secrets under FeishuSecretName and
	// gives the webhook and the reconciler FEISHU_APP_ID,
	// FEISHU_SECRET_NAME and FEISHU_ENDPOINT (its URL).
	Feishu *cloudtest.FeishuOptions
	// DingTalk, when set, starts a DingTalk double the same way
	// (DINGTALK_APP_KEY, DINGTALK_SECRET_NAME under DingTalkSecretName,
	// DINGTALK_ENDPOINT).
	DingTalk *cloudtest.DingTalkOptions
}

// Local is ramsync running locally.
type Local struct {
	Cloud      *cloudtest.Server
	Runtime    *fcruntime.Runtime
	WebhookURL string
	// SigningKey is the webhook HMAC key stored in the double's KMS.
	SigningKey secrets.Value
	// RosterPath is the file the reconciler's ROSTER_URL points at.
	RosterPath string
	// Feishu and DingTalk are the vendor doubles Options asked for (nil
	// otherwise); FeishuApp sends pushes signed and encrypted with the
	// secrets stored for the app (see PostFeishu, SendFeishu).
	Feishu    *cloudtest.Feishu
	FeishuApp cloudtest.FeishuApp
	DingTalk  *cloudtest.DingTalk
	bins      map[string]string
	dir       string
	ownDir    bool
}

var defaultTimeout = map[string]time.Duration{"webhook": 60 * time.Second, "reconciler": 900 * time.Second, "offboarding": 120 * time.Second}

// Start builds what is missing, starts the double and the runtime, and
// deploys the three functions.
func Start(ctx context.Context, o Options) (*Local, error) {
	l := &Local{dir: o.Dir}
	if l.dir == "" {
		d, err := os.MkdirTemp("", "ramsync-local-")
		if err != nil {
			return nil, err
		}
		l.dir, l.ownDir = d, true
	}
	bins := map[string]string{}
	for k, v := range o.Binaries {
		bins[k] = v
	}
	var missing []string
	for _, fn := range Functions {
		if bins[fn] == "" {
			missing = append(missing, fn)
		}
	}
	if len(missing) > 0 {
		built, err := Build(ctx, filepath.Join(l.dir, "bin"), missing...)
		if err != nil {
			l.Close()
			return nil, err
		}
		for k, v := range built {
			bins[k] = v
		}
	}

	l.SigningKey = secrets.NewValue("whsec_" + randomHex(24))
	co := o.Cloud
	vendorSecrets := map[string]string{}
	vendorEnv := l.startVendors(o, vendorSecrets)
	co.Secrets = merge(merge(co.Secrets, vendorSecrets), map[string]string{WebhookSecretName: l.SigningKey.Reveal()})
	l.Cloud = cloudtest.NewServer(co)
	cloud := l.Cloud.Options()
	ca := filepath.Join(l.dir, "cloudtest-ca.pem")
	if err := os.WriteFile(ca, l.Cloud.CACertPEM(), 0o644); err != nil {
		l.Close()
		return nil, err
	}
	l.RosterPath = filepath.Join(l.dir, "roster.json")

	l.Runtime = fcruntime.New(fcruntime.Options{
		Region: cloud.Region, AccountID: "1234567890123456", Log: o.Log,
		Credentials: fcruntime.Credentials{AccessKeyID: cloud.AccessKeyID, AccessKeySecret: cloud.AccessKeySecret, SecurityToken: cloud.SecurityToken},
	})
	common := map[string]string{
		"SCIM_ENDPOINT":    l.Cloud.SCIMURL,
		"OAUTH_TOKEN_URL":  l.Cloud.TokenURL,
		"SCIM_CLIENT_ID":   cloud.ClientID,
		"SCIM_SECRET_NAME": cloud.SecretName,
		"SECRETS_REGION":   cloud.Region,
		"SECRETS_ENDPOINT": l.Cloud.KMSEndpoint,
		"RAM_ENDPOINT":     l.Cloud.RAMEndpoint,
		"OFFBOARD_CLEANUP": "true",
		"LOG_LEVEL":        "info",
		// The functions trust the double's certificate as Go programs
		// trust any extra root: through SSL_CERT_FILE.
		"SSL_CERT_FILE": ca,
	}
	perFn := map[string]map[string]string{
		"webhook":     {"WEBHOOK_SECRET_NAME": WebhookSecretName},
		"reconciler":  {"ROSTER_URL": "file://" + l.RosterPath, "DRY_RUN": "false"},
		"offboarding": {"DRY_RUN": "false"},
	}
	for _, fn := range []string{"webhook", "reconciler"} {
		perFn[fn] = merge(vendorEnv, perFn[fn])
	}
	l.bins = bins
	for _, fn := range Functions {
		env := merge(merge(merge(common, perFn[fn]), o.Env), o.FuncEnv[fn])
		timeout := o.Timeout[fn]
		if timeout == 0 {
			timeout = defaultTimeout[fn]
		}
		err := l.Runtime.Deploy(fcruntime.Function{Name: fn, Binary: bins[fn], Handler: "main", MemoryMB: 128,
			Timeout: timeout, Env: env, MaxInstances: max(o.MaxInstances[fn], 1)})
		if err != nil {
			l.Close()
			return nil, err
		}
	}
	url, err := l.Runtime.ServeHTTPTrigger("webhook", fcruntime.HTTPTrigger{Methods: []string{http.MethodPost}, AuthType: "anonymous"})
	if err != nil {
		l.Close()
		return nil, err
	}
	l.WebhookURL = url
	return l, nil
}

// Close stops the functions and the double and removes a temporary Dir.
func (l *Local) Close() {
	if l.Runtime != nil {
		l.Runtime.Close()
	}
	if l.Cloud != nil {
		l.Cloud.Close()
	}
	l.closeVendors()
	if l.ownDir {
		os.RemoveAll(l.dir)
	}
}

// Sign returns the signature header value for body, signed now.
func (l *Local) Sign(body []byte) string { return hr.Sign(l.SigningKey, time.Now(), body) }

// Post sends body to the webhook's HTTP trigger, signed unless header
// sets the signature itself; header may add or change headers.
func (l *Local) Post(ctx context.Context, body []byte, header func(http.Header)) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(hr.SignatureHeader, l.Sign(body))
	if header != nil {
		header(req.Header)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// WriteRoster writes the reconciler's roster: {"asOf": …, "employees": …}.
func (l *Local) WriteRoster(asOf time.Time, employees []map[string]any) error {
	b, err := json.MarshalIndent(map[string]any{"asOf": asOf.UTC().Format(time.RFC3339), "employees": employees}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(l.RosterPath, b, 0o644)
}

// Reconcile invokes the reconciler synchronously with a timer event whose
// payload is payload, and decodes its report. A function error is
// returned as an error (with the report, when the function logged one).
func (l *Local) Reconcile(ctx context.Context, payload string) (json.RawMessage, *fcruntime.Result, error) {
	res, err := l.Runtime.Invoke(ctx, "reconciler", fcruntime.TimerEvent("nightly", payload, time.Now()))
	if err != nil {
		return nil, res, err
	}
	if res.Err != nil {
		return nil, res, res.Err
	}
	return json.RawMessage(res.Payload), res, nil
}

// Lines returns the lines a function printed on stream ("stdout" or
// "stderr"; "" for both).
func (l *Local) Lines(function, stream string) []string {
	var out []string
	for _, ln := range l.Runtime.Logs(function) {
		if stream == "" || ln.Stream == stream {
			out = append(out, ln.Line)
		}
	}
	return out
}

// Build compiles the functions (all when none are named) as static
// binaries into dir/<fn>/main and returns their paths. It runs the go
// command in the module's root, found from the working directory.
func Build(ctx context.Context, dir string, functions ...string) (map[string]string, error) {
	return BuildWith(ctx, BuildOptions{Dir: dir}, functions...)
}

// BuildOptions configure [BuildWith].
type BuildOptions struct {
	// Dir receives dir/<fn>/main.
	Dir string
	// Race builds with the race detector (-race, which needs cgo and a C
	// compiler), so the end-to-end tests find data races inside the
	// function binaries too. Without it the binaries are static
	// (CGO_ENABLED=0), as scripts/build.sh makes them for Function Compute.
	Race bool
}

// BuildWith is Build with options.
func BuildWith(ctx context.Context, o BuildOptions, functions ...string) (map[string]string, error) {
	if len(functions) == 0 {
		functions = Functions
	}
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, fn := range functions {
		bin := filepath.Join(o.Dir, fn, "main")
		args := []string{"build", "-trimpath", "-o", bin}
		env := append(os.Environ(), "CGO_ENABLED=0")
		if o.Race {
			args = append(args, "-race")
			env = append(os.Environ(), "CGO_ENABLED=1")
		}
		cmd := exec.CommandContext(ctx, "go", append(args, "./functions/"+fn)...)
		cmd.Dir = root
		cmd.Env = env
		if b, err := cmd.CombinedOutput(); err != nil {
			hint := ""
			if o.Race {
				hint = " (-race needs cgo and a C compiler such as gcc)"
			}
			return nil, fmt.Errorf("localrun: building %s%s: %v\n%s", fn, hint, err, b)
		}
		out[fn] = bin
	}
	return out, nil
}

// ModuleRoot finds ramsync's module root from the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module github.com/ramsync/ramsync\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("localrun: not inside the ramsync module (no go.mod found above the working directory)")
		}
		dir = parent
	}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
