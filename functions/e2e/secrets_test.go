package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/localrun"
)

// Known secret values, each long and distinctive enough that finding one
// in an output cannot be chance.
const (
	knownAppSecret = "APPSECRET0known0app0secret0value0abcdefghijklmnopqrstuvwxyz012345"
	knownAKSecret  = "AKSECRET0known0accesskey0secret0abcdefghij"
	knownSTSToken  = "CAISknown0security0token0value0ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	knownRotated   = "ROTATED0known0new0app0secret0value0abcdefghijklmnopqrstuvwxyz0123"
	knownWrongKMS  = "WRONGKMS0known0stale0app0secret0in0kms0abcdefghijklmnopqrstuvwxyz"
)

// outputs collects everything ramsync showed the outside world.
type outputs struct {
	mu    sync.Mutex
	items []string // "what: text"
}

func (o *outputs) add(what string, v ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.items = append(o.items, what+": "+fmt.Sprint(v...))
}

// TestNoSecretAnywhere runs hires, updates, terminations with credentials
// revoked, reconciles, a bad signature, SCIM and KMS failures and a
// rotated-away app secret through all three binaries, and holds every log
// line, answer, header, report and function error to SPEC rule 10.
func TestNoSecretAnywhere(t *testing.T) {
	l := start(t, localrun.Options{Cloud: cloudtest.Options{
		ClientSecret: knownAppSecret, AccessKeySecret: knownAKSecret, SecurityToken: knownSTSToken}})
	ctx := context.Background()
	out := &outputs{}

	// Every access token the double issues, read off the wire.
	var tokens []string
	oauth := l.Cloud.Handler(cloudtest.OAuth)
	l.Cloud.Intercept = func(svc cloudtest.Service, _ string, w http.ResponseWriter, r *http.Request) bool {
		if svc != cloudtest.OAuth || r.Header.Get("X-Secrets-Test") != "" {
			return false
		}
		r.Header.Set("X-Secrets-Test", "inner")
		rec := httptest.NewRecorder()
		oauth.ServeHTTP(rec, r)
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if json.Unmarshal(rec.Body.Bytes(), &tok) == nil && tok.AccessToken != "" {
			out.mu.Lock()
			tokens = append(tokens, tok.AccessToken)
			out.mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return true
	}
	var macs []string
	post := func(what, body string, sig string) int {
		if sig == "" {
			sig = l.Sign([]byte(body))
		}
		macs = append(macs, sig[strings.LastIndex(sig, "=")+1:])
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, l.WebhookURL, strings.NewReader(body))
		req.Header.Set(hr.SignatureHeader, sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		out.add("webhook "+what+" answer", resp.Status, " ", resp.Header, " ", string(b))
		return resp.StatusCode
	}
	invoke := func(what, payload string) {
		res, err := l.Runtime.Invoke(ctx, "offboarding", []byte(payload))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		out.add("offboarding "+what+" result", string(res.Payload))
		if res.Err != nil {
			out.add("offboarding "+what+" error", res.Err.Message, " ", string(res.Err.Raw))
		}
	}
	reconcile := func(what, payload string) {
		raw, res, err := l.Reconcile(ctx, payload)
		out.add("reconciler "+what+" report", string(raw), " ", err)
		if res != nil {
			out.add("reconciler "+what+" payload", string(res.Payload))
		}
	}
	engineer(l.Cloud) // E1 li.wei: AccessKeys, MFA, groups, policies

	// KMS refuses the first read: the first offboarding fails, the next works.
	l.Cloud.FailNextError(cloudtest.KMS, 1, http.StatusForbidden, "Forbidden.NoPermission")
	invoke("KMS refused", `{"externalId":"E1"}`)
	invoke("leaver with credentials", `{"externalId":"E1"}`)

	// Hires, an update, a bad signature, and a termination that revokes.
	post("hires", `{"events":[`+event("hired", "E10", "a10@example.com")+`,`+event("hired", "E11", "a11@example.com")+`]}`, "")
	post("update", event("updated", "E10", "a10.new@example.com"), "")
	post("bad signature", event("hired", "E12", "a12@example.com"), hr.Sign(l.SigningKey, time.Now().Add(-time.Hour), []byte("other")))
	l.Cloud.SetRAM("a11", cloudtest.Blockers{AccessKeys: []cloudtest.AccessKey{{ID: "LTAI5tA11", Status: "Active"}}, LoginProfile: true})
	post("termination", event("terminated", "E11", "a11@example.com"), "")

	// The reconciler, dry and real.
	if err := l.WriteRoster(time.Now().Add(-time.Hour), []map[string]any{emp("E10", "a10.new@example.com", "Li Wei"), emp("E13", "a13@example.com", "A13")}); err != nil {
		t.Fatal(err)
	}
	reconcile("dry run", `{"dryRun": true}`)
	reconcile("real run", `{"dryRun": false}`)

	// SCIM down: a 503 to the HR system, a function error to FC; a SCIM
	// refusal ends the reconciler's run.
	l.Cloud.SetFaults(cloudtest.SCIM, cloudtest.Faults{ErrorRate: 1})
	post("SCIM down", event("hired", "E14", "a14@example.com"), "")
	invoke("SCIM down", `{"externalId":"E10"}`)
	l.Cloud.SetFaults(cloudtest.SCIM, cloudtest.Faults{})
	l.Cloud.FailNextError(cloudtest.SCIM, 1, http.StatusBadRequest, "invalidValue")
	reconcile("SCIM refuses", `{}`)

	// The app secret is rotated away and KMS holds a wrong one: every
	// function meets invalid_client twice (cached, then re-read).
	l.Cloud.RotateSecret(knownRotated, false)
	l.Cloud.SetSecret(l.Cloud.Options().SecretName, knownWrongKMS)
	l.Cloud.ExpireTokens()
	post("invalid_client", event("hired", "E15", "a15@example.com"), "")
	invoke("invalid_client", `{"externalId":"E10"}`)
	reconcile("invalid_client", `{}`)

	// The scenario went where it should, or the checks below prove little.
	c := l.Cloud.Counters()
	out.mu.Lock()
	issued := len(tokens)
	out.mu.Unlock()
	if c["kms.GetSecretValue.403"] != 1 || c["oauth.token.401"] < 3 || c["scim.find.503"] == 0 || issued < 3 {
		t.Errorf("scenario: counters %v, %d tokens issued", c, issued)
	}
	all := strings.Join(out.items, "\n")
	for _, want := range []string{"401 Unauthorized", "503 Service Unavailable", "\"deleted\"", "invalid_client", "Forbidden.NoPermission", "UpdateAccessKey"} {
		if !strings.Contains(all, want) {
			t.Errorf("no output mentions %q; the scenario did not run as planned:\n%s", want, all)
		}
	}

	known := map[string]string{
		"app secret": knownAppSecret, "rotated app secret": knownRotated, "wrong secret in KMS": knownWrongKMS,
		"AccessKey secret": knownAKSecret, "security token": knownSTSToken, "webhook signing key": l.SigningKey.Reveal(),
	}
	out.mu.Lock()
	for i, tok := range tokens {
		known[fmt.Sprintf("access token %d", i)] = tok
	}
	out.mu.Unlock()
	for i, m := range macs {
		known[fmt.Sprintf("signature %d", i)] = m
	}
	texts := out.items
	for _, fn := range localrun.Functions {
		for _, line := range l.Lines(fn, "") {
			texts = append(texts, fn+" log: "+line)
		}
	}
	for _, text := range texts {
		for name, v := range known {
			if part := leaked(text, v); part != "" {
				t.Errorf("the %s (%q…) appears in %.300s", name, part[:6], text)
			}
		}
		if strings.Contains(text, "eyJ") {
			t.Errorf("something token-shaped appears in %.300s", text)
		}
	}
}

// leaked returns the first 16-character piece of secret that text holds,
// or "": a secret printed in part, cut or wrapped, is printed.
func leaked(text, secret string) string {
	const piece = 16
	for i := 0; i+piece <= len(secret); i++ {
		if strings.Contains(text, secret[i:i+piece]) {
			return secret[i : i+piece]
		}
	}
	return ""
}
