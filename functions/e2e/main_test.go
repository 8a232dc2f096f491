package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/localrun"
	"github.com/ramsync/ramsync/pkg/secrets"
)

var binaries map[string]string

// signatureRE matches a signature value (the test double's tokens start
// with eyJ).
var signatureRE = regexp.MustCompile(`v1=[0-9a-fA-F]{8}`)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ramsync-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	// A race-enabled test run (scripts/test.sh: go test -race) builds the
	// function binaries with -race too, so races inside them fail the
	// tests (the race detector exits the process with status 66 and a
	// report on stderr).
	race := raceEnabled()
	if race {
		fmt.Fprintln(os.Stderr, "e2e: building the function binaries with -race")
	}
	binaries, err = localrun.BuildWith(ctx, localrun.BuildOptions{Dir: dir, Race: race})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// raceReport returns the first race detector report in lines (at most 80
// lines of it), or "".
func raceReport(lines []string) string {
	for i, line := range lines {
		if !strings.Contains(line, "WARNING: DATA RACE") {
			continue
		}
		end := min(len(lines), i+80)
		for j := i + 1; j < end; j++ {
			if strings.HasPrefix(lines[j], "==================") {
				end = j
				break
			}
		}
		return strings.Join(lines[i:end], "\n")
	}
	return ""
}

// raceEnabled reports whether this test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, st := range bi.Settings {
		if st.Key == "-race" && st.Value == "true" {
			return true
		}
	}
	return false
}

// start runs ramsync locally for one test.
func start(t *testing.T, o localrun.Options) *localrun.Local {
	t.Helper()
	o.Binaries = binaries
	if o.Env["SCIM_RPS"] == "" {
		// The default (10/s) is for production; tests go faster.
		env := map[string]string{"SCIM_RPS": "500"}
		for k, v := range o.Env {
			env[k] = v
		}
		o.Env = env
	}
	l, err := localrun.Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		checkLogs(t, l)
		l.Close()
	})
	return l
}

// checkLogs holds every function's output to SPEC §4.5: one JSON object a
// line with time, level, msg, function and (inside an invocation)
// requestId; and no secret, token or signature value anywhere.
func checkLogs(t *testing.T, l *localrun.Local) {
	t.Helper()
	o := l.Cloud.Options()
	secretsList := map[string]string{
		"app secret": o.ClientSecret, "AccessKey secret": o.AccessKeySecret, "security token": o.SecurityToken,
		"webhook key": l.SigningKey.Reveal(),
	}
	for _, fn := range localrun.Functions {
		if r := raceReport(l.Lines(fn, "stderr")); r != "" {
			t.Errorf("%s (built with -race) reported a data race:\n%s", fn, r)
		}
		for _, line := range l.Lines(fn, "") {
			for name, v := range secretsList {
				if v != "" && strings.Contains(line, v) {
					t.Errorf("%s printed the %s: %s", fn, name, line)
				}
			}
			if strings.Contains(line, "eyJ") || signatureRE.MatchString(line) {
				t.Errorf("%s printed something token- or signature-shaped: %s", fn, line)
			}
		}
		// stdout is what goes to Log Service as our log; stderr carries
		// the FC SDK's own error dumps and our one-line start-up failure.
		for _, line := range l.Lines(fn, "stdout") {
			if strings.HasPrefix(line, "FC Invoke ") {
				continue // the FC SDK's own start/end lines
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Errorf("%s printed a line that is not JSON: %s", fn, line)
				continue
			}
			for _, k := range []string{"time", "level", "msg", "function"} {
				if _, ok := m[k]; !ok {
					t.Errorf("%s log line lacks %q: %s", fn, k, line)
				}
			}
			if m["function"] != fn {
				t.Errorf("%s log line says function %v", fn, m["function"])
			}
			if _, ok := m["op"]; ok {
				for _, k := range []string{"requestId", "externalId", "outcome", "durationMs"} {
					if _, ok := m[k]; !ok {
						t.Errorf("%s operation line lacks %q: %s", fn, k, line)
					}
				}
			}
		}
	}
}

// users returns the double's users by userName.
func users(srv *cloudtest.Server) map[string]cloudtest.User {
	m := map[string]cloudtest.User{}
	for _, u := range srv.Users() {
		m[u.UserName] = u
	}
	return m
}

// TestForgedRequestsReadTheKeyOnce (issue 12 item 3) sends 100 forged
// requests (well-formed header, fresh t, HMAC under a wrong key) to a
// fresh instance of the real webhook binary, and counts what reached the
// cloud: the instance reads the signing key once, plus at most one re-read
// per full minute the burst lasted (none in practice: it takes well under
// a second), and nothing reaches OAuth or SCIM. Before the fix the first
// forgery forced a second read at once.
func TestForgedRequestsReadTheKeyOnce(t *testing.T) {
	l := start(t, localrun.Options{})
	ctx := context.Background()
	began := time.Now()
	body := []byte(`{"id":"evt-forged","type":"employee.hired","employee":{"id":"E1","email":"a@example.com"}}`)
	forger := secrets.NewValue("whsec_guess")
	for i := range 100 {
		status, answer, err := l.Post(ctx, body, func(h http.Header) {
			h.Set(hr.SignatureHeader, hr.Sign(forger, time.Now(), body))
		})
		if err != nil || status != http.StatusUnauthorized {
			t.Fatalf("forgery %d: %d %s %v; want 401", i, status, answer, err)
		}
	}
	c := l.Cloud.Counters()
	allowed := 1 + int64(time.Since(began)/time.Minute)
	if n := c["kms.GetSecretValue"]; n < 1 || n > allowed {
		t.Errorf("KMS reads = %d after 100 forgeries on a fresh instance, want 1 (the first read), at most %d", n, allowed)
	}
	if n := c.Service(cloudtest.OAuth) + c.SCIM(); n != 0 {
		t.Errorf("forgeries reached OAuth or SCIM: %d requests", n)
	}
	t.Logf("RELIABILITY suite=forged-binary forgeries=100 kms_reads=%d max_kms_reads=%d scim_requests=%d scim_writes=%d",
		c["kms.GetSecretValue"], allowed, c.SCIM(), c.SCIMWrites())
}
