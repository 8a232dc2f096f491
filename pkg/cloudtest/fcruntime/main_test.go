package fcruntime

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// echoBin is the test function (testdata/echo) built with the real SDK,
// named "main" as a go1 handler usually is.
var echoBin string

// TestMain builds the test function once for all tests.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fcruntime-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	echoBin = filepath.Join(dir, "main")
	cmd := exec.Command("go", "build", "-o", echoBin, "./testdata/echo")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building testdata/echo: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var testOptions = Options{
	Region:    "cn-shanghai",
	AccountID: "1357924680135792",
	Credentials: Credentials{
		AccessKeyID:     "STS.testAccessKeyID",
		AccessKeySecret: "testAccessKeySecret",
		SecurityToken:   "testSecurityToken",
	},
}

// newRuntime returns a runtime with fns deployed (Binary defaults to the
// echo function), closed when the test ends.
func newRuntime(t *testing.T, fns ...Function) *Runtime {
	t.Helper()
	rt := New(testOptions)
	t.Cleanup(rt.Close)
	for _, fn := range fns {
		if fn.Binary == "" {
			fn.Binary = echoBin
		}
		if err := rt.Deploy(fn); err != nil {
			t.Fatal(err)
		}
	}
	return rt
}

// reply is what the echo function returns.
type reply struct {
	RequestID       string            `json:"requestId"`
	Payload         json.RawMessage   `json:"payload"`
	HasDeadline     bool              `json:"hasDeadline"`
	DeadlineMS      int64             `json:"deadlineMs"`
	TimeoutS        int               `json:"timeoutS"`
	Function        string            `json:"function"`
	Handler         string            `json:"handler"`
	Memory          string            `json:"memory"`
	Qualifier       string            `json:"qualifier"`
	Region          string            `json:"region"`
	AccountID       string            `json:"accountId"`
	AccessKeyID     string            `json:"accessKeyId"`
	AccessKeySecret string            `json:"accessKeySecret"`
	SecurityToken   string            `json:"securityToken"`
	RetryCount      int               `json:"retryCount"`
	Env             map[string]string `json:"env"`
	PID             int               `json:"pid"`
	Cwd             string            `json:"cwd"`
	StartMS         int64             `json:"startMs"`
	EndMS           int64             `json:"endMs"`
}

// invokeEcho invokes function with payload and decodes a successful reply.
func invokeEcho(t *testing.T, rt *Runtime, function, payload string) (*Result, reply) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := rt.Invoke(ctx, function, []byte(payload))
	if err != nil {
		t.Fatalf("Invoke(%s): %v", payload, err)
	}
	if res.Err != nil {
		t.Fatalf("Invoke(%s): function error %v", payload, res.Err)
	}
	var r reply
	if err := json.Unmarshal(res.Payload, &r); err != nil {
		t.Fatalf("reply %s: %v", res.Payload, err)
	}
	return res, r
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
