package fcruntime

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var requestIDPattern = regexp.MustCompile(`^1-[0-9a-f]{8}-[0-9a-f]{24}$`)

func TestInvokeRoundTrip(t *testing.T) {
	t.Setenv("FCRUNTIME_PARENT_ONLY", "must not leak")
	rt := newRuntime(t, Function{Name: "echo", Timeout: 5 * time.Second, MemoryMB: 256,
		Env: map[string]string{"APP_MODE": "test", "cache_client_region_id": `[{"regionId":"cn-shanghai"}]`}})

	before := time.Now()
	res, r := invokeEcho(t, rt, "echo", `{"mode":"echo","n":1}`)
	after := time.Now()

	if !requestIDPattern.MatchString(res.RequestID) || r.RequestID != res.RequestID {
		t.Errorf("request id: result %q, handler saw %q", res.RequestID, r.RequestID)
	}
	if string(r.Payload) != `{"mode":"echo","n":1}` {
		t.Errorf("payload = %s", r.Payload)
	}
	lo, hi := before.Add(5*time.Second).UnixMilli(), after.Add(5*time.Second).UnixMilli()
	if !r.HasDeadline || r.DeadlineMS < lo || r.DeadlineMS > hi {
		t.Errorf("context deadline %d (set %v), want within [%d, %d]", r.DeadlineMS, r.HasDeadline, lo, hi)
	}
	type fcContext struct {
		TimeoutS, RetryCount                                  int
		Function, Handler, Memory, Qualifier, Region, Account string
		AccessKeyID, AccessKeySecret, SecurityToken           string
	}
	want := fcContext{5, 0, "echo", "main", "256", "LATEST", "cn-shanghai", "1357924680135792",
		"STS.testAccessKeyID", "testAccessKeySecret", "testSecurityToken"}
	got := fcContext{r.TimeoutS, r.RetryCount, r.Function, r.Handler, r.Memory, r.Qualifier, r.Region, r.AccountID,
		r.AccessKeyID, r.AccessKeySecret, r.SecurityToken}
	if got != want {
		t.Errorf("fccontext:\n got %+v\nwant %+v", got, want)
	}

	dir := filepath.Dir(echoBin)
	wantEnv := map[string]string{
		"FC_REGION": "cn-shanghai", "FC_ACCOUNT_ID": "1357924680135792", "FC_FUNCTION_NAME": "echo",
		"FC_FUNCTION_HANDLER": "main", "FC_FUNCTION_MEMORY_SIZE": "256", "FC_FUNC_CODE_PATH": dir,
		"FC_FUNCTION_VERSION": "LATEST", "ALIBABA_CLOUD_ACCESS_KEY_ID": "STS.testAccessKeyID",
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "testAccessKeySecret", "ALIBABA_CLOUD_SECURITY_TOKEN": "testSecurityToken",
		"APP_MODE": "test", "cache_client_region_id": `[{"regionId":"cn-shanghai"}]`,
		"PATH": os.Getenv("PATH"),
	}
	for k, v := range wantEnv {
		if r.Env[k] != v {
			t.Errorf("env %s = %q, want %q", k, r.Env[k], v)
		}
	}
	allowed := map[string]bool{"FC_RUNTIME_API": true, "FC_INSTANCE_ID": true, "HOME": true, "TMPDIR": true}
	for k := range r.Env {
		if _, ok := wantEnv[k]; !ok && !allowed[k] {
			t.Errorf("unexpected env %s=%q", k, r.Env[k])
		}
	}
	if !strings.HasPrefix(r.Env["FC_RUNTIME_API"], "127.0.0.1:") {
		t.Errorf("FC_RUNTIME_API = %q", r.Env["FC_RUNTIME_API"])
	}
	if cwd, _ := filepath.EvalSymlinks(r.Cwd); cwd != mustEvalSymlinks(t, dir) {
		t.Errorf("cwd = %q, want %q", r.Cwd, dir)
	}
	if res.Instance != 1 || res.Duration <= 0 {
		t.Errorf("instance %d, duration %v", res.Instance, res.Duration)
	}

	res2, r2 := invokeEcho(t, rt, "echo", `{}`)
	if r2.PID != r.PID || res2.RequestID == res.RequestID || res2.Instance != 1 {
		t.Errorf("second invocation: pid %d (first %d), id %s, instance %d", r2.PID, r.PID, res2.RequestID, res2.Instance)
	}
	infos := rt.Instances("echo")
	if len(infos) != 1 || infos[0].Invocations != 2 || infos[0].PID != r.PID ||
		infos[0].ID != r.Env["FC_INSTANCE_ID"] || infos[0].ColdStart() <= 0 || infos[0].Exited {
		t.Errorf("instances = %+v", infos)
	}
	if c := rt.Counters("echo"); c != (Counters{Invocations: 2, ColdStarts: 1}) {
		t.Errorf("counters = %+v", c)
	}
}

func mustEvalSymlinks(t *testing.T, p string) string {
	t.Helper()
	q, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestFunctionErrorAndPanic(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo"})
	ctx := context.Background()

	res, err := rt.Invoke(ctx, "echo", []byte(`{"mode":"error","message":"boom"}`))
	if err != nil || res.Err == nil {
		t.Fatalf("error mode: %v, %+v", err, res)
	}
	if res.Err.Type != "errorString" || res.Err.Message != "boom (retry 0)" || res.Payload != nil {
		t.Errorf("function error = %+v, payload %q", res.Err, res.Payload)
	}

	res, err = rt.Invoke(ctx, "echo", []byte(`{"mode":"panic","message":"kaboom"}`))
	if err != nil || res.Err == nil {
		t.Fatalf("panic mode: %v, %+v", err, res)
	}
	if res.Err.Type != "string" || res.Err.Message != "kaboom" || len(res.Err.StackTrace) < 3 ||
		!bytes.Contains(res.Err.Raw, []byte(`"stackTrace"`)) {
		t.Errorf("panic error = %+v, raw %s", res.Err, res.Err.Raw)
	}
	// A panic does not end the process in SDK v0.3.1: the instance serves on.
	res, _ = invokeEcho(t, rt, "echo", `{}`)
	if res.Instance != 1 || rt.Counters("echo").ColdStarts != 1 {
		t.Errorf("after the panic: instance %d, counters %+v", res.Instance, rt.Counters("echo"))
	}
}

func TestHandlerHonouringDeadlineIsAFunctionError(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo", Timeout: 300 * time.Millisecond})
	res, err := rt.Invoke(context.Background(), "echo", []byte(`{"mode":"untilDeadline"}`))
	if err != nil || res.Err == nil || res.Err.Type != "deadlineExceededError" {
		t.Fatalf("got %v, %+v", err, res)
	}
	if infos := rt.Instances("echo"); len(infos) != 1 || infos[0].Exited {
		t.Errorf("the instance should live on: %+v", infos)
	}
}

func TestPayloadLimits(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo"})
	_, err := rt.Invoke(context.Background(), "echo", make([]byte, MaxSyncPayload+1))
	if !errors.Is(err, ErrPayloadTooLarge) {
		t.Errorf("sync over 32 MB: %v", err)
	}
	_, err = rt.InvokeAsync("echo", make([]byte, MaxAsyncPayload+1), AsyncOptions{}).Wait(context.Background())
	if !errors.Is(err, ErrPayloadTooLarge) {
		t.Errorf("async over 128 KB: %v", err)
	}
	if c := rt.Counters("echo"); c != (Counters{}) {
		t.Errorf("rejected payloads reached the function: %+v", c)
	}

	prefix, suffix := `{"mode":"echo","pad":"`, `"}`
	exact := prefix + strings.Repeat("x", MaxAsyncPayload-len(prefix)-len(suffix)) + suffix
	out, err := rt.InvokeAsync("echo", []byte(exact), AsyncOptions{}).Wait(context.Background())
	if err != nil || out.Destination != OnSuccess {
		t.Errorf("async of exactly 128 KB: %v, %+v", err, out)
	}
}

func TestNotDeployedAndDeployChecks(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo"})
	if _, err := rt.Invoke(context.Background(), "nope", nil); !errors.Is(err, ErrNotDeployed) {
		t.Errorf("Invoke(nope): %v", err)
	}
	if _, err := rt.InvokeAsync("nope", nil, AsyncOptions{}).Wait(context.Background()); !errors.Is(err, ErrNotDeployed) {
		t.Errorf("InvokeAsync(nope): %v", err)
	}
	bad := map[string]Function{
		"duplicate":    {Name: "echo", Binary: echoBin},
		"name":         {Name: "9lives", Binary: echoBin},
		"no binary":    {Name: "f", Binary: filepath.Join(t.TempDir(), "missing")},
		"not exec":     {Name: "f", Binary: "invoke_test.go"},
		"memory":       {Name: "f", Binary: echoBin, MemoryMB: 100},
		"timeout":      {Name: "f", Binary: echoBin, Timeout: 25 * time.Hour},
		"instances":    {Name: "f", Binary: echoBin, MaxInstances: -1},
		"reserved env": {Name: "f", Binary: echoBin, Env: map[string]string{"FC_X": "1"}},
		"env name":     {Name: "f", Binary: echoBin, Env: map[string]string{"1X": "1"}},
		"env size":     {Name: "f", Binary: echoBin, Env: map[string]string{"X": strings.Repeat("v", 4096)}},
	}
	for name, fn := range bad {
		if err := rt.Deploy(fn); err == nil {
			t.Errorf("Deploy %s: no error", name)
		}
	}
}
