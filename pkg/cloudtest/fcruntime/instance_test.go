package fcruntime

import (
	"context"
	"errors"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// invokeAll runs n invocations of payload at once and returns their
// replies.
func invokeAll(t *testing.T, rt *Runtime, function, payload string, n int) []reply {
	t.Helper()
	replies := make([]reply, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, replies[i] = invokeEcho(t, rt, function, payload) })
	}
	wg.Wait()
	return replies
}

func TestOneInvocationAtATimePerInstance(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo"})
	replies := invokeAll(t, rt, "echo", `{"mode":"sleep","sleepMs":300}`, 3)
	sort.Slice(replies, func(i, j int) bool { return replies[i].StartMS < replies[j].StartMS })
	for i := 1; i < len(replies); i++ {
		if replies[i].PID != replies[0].PID {
			t.Errorf("invocation %d ran in another process", i)
		}
		if replies[i].StartMS < replies[i-1].EndMS {
			t.Errorf("invocation %d started at %d, before %d ended at %d", i, replies[i].StartMS, i-1, replies[i-1].EndMS)
		}
	}
	if n := len(rt.Instances("echo")); n != 1 {
		t.Errorf("%d instances, want 1", n)
	}
}

func TestMaxInstancesSpreadAndWarmReuse(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo", MaxInstances: 3})
	pids := map[int]bool{}
	for _, r := range invokeAll(t, rt, "echo", `{"mode":"sleep","sleepMs":300}`, 9) {
		pids[r.PID] = true
	}
	if len(pids) != 3 {
		t.Errorf("9 concurrent invocations ran in %d processes, want 3", len(pids))
	}
	for _, r := range invokeAll(t, rt, "echo", `{}`, 12) {
		pids[r.PID] = true
	}
	if len(pids) != 3 {
		t.Errorf("warm instances were not reused: %d processes", len(pids))
	}
	total := 0
	for _, info := range rt.Instances("echo") {
		total += info.Invocations
		if info.Exited {
			t.Errorf("instance %d exited", info.Index)
		}
	}
	if c := rt.Counters("echo"); total != 21 || c != (Counters{Invocations: 21, ColdStarts: 3}) {
		t.Errorf("invocations on instances %d, counters %+v", total, c)
	}
}

func TestQueuedInvocationGivesUpWithItsContext(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo"})
	done := make(chan struct{})
	go func() {
		defer close(done)
		invokeEcho(t, rt, "echo", `{"mode":"sleep","sleepMs":400}`)
	}()
	waitFor(t, "the first invocation to run", 10*time.Second, func() bool {
		infos := rt.Instances("echo")
		return len(infos) == 1 && infos[0].Invocations == 1
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if res, err := rt.Invoke(ctx, "echo", []byte(`{}`)); !errors.Is(err, context.DeadlineExceeded) || res != nil {
		t.Errorf("queued invocation: %v, %+v", err, res)
	}
	<-done
	if res, _ := invokeEcho(t, rt, "echo", `{}`); res.Instance != 1 {
		t.Errorf("instance %d, want the warm 1", res.Instance)
	}
}

func TestTimeoutKillsAndReplacesInstance(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo", Timeout: 500 * time.Millisecond})
	start := time.Now()
	res, err := rt.Invoke(context.Background(), "echo", []byte(`{"mode":"sleep","sleepMs":5000}`))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d < 500*time.Millisecond || d > 2*time.Second {
		t.Errorf("timed out after %v", d)
	}
	if res == nil || res.Instance != 1 || !requestIDPattern.MatchString(res.RequestID) {
		t.Errorf("result = %+v", res)
	}
	waitFor(t, "the instance to be reaped", 5*time.Second, func() bool { return rt.Instances("echo")[0].Exited })
	if info := rt.Instances("echo")[0]; info.ExitCode != -1 {
		t.Errorf("killed instance: %+v", info)
	}
	res, _ = invokeEcho(t, rt, "echo", `{}`)
	if res.Instance != 2 || rt.Counters("echo").ColdStarts != 2 {
		t.Errorf("after the timeout: instance %d, counters %+v", res.Instance, rt.Counters("echo"))
	}
}

func TestBadConfigurationAtStart(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo", MaxInstances: 2, Env: map[string]string{"ECHO_FAIL_AT_START": "1"}})
	const line = "echo: bad configuration: ECHO_FAIL_AT_START=1"

	res, err := rt.Invoke(context.Background(), "echo", []byte(`{}`))
	var exit *ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("Invoke: %v, want an *ExitError", err)
	}
	if exit.Code != 2 || len(exit.Stderr) != 1 || exit.Stderr[0] != line || !strings.HasSuffix(err.Error(), line) {
		t.Errorf("exit error = %+v (%v)", exit, err)
	}
	if res == nil || res.RequestID == "" {
		t.Errorf("result = %+v", res)
	}
	logs := rt.Logs("echo")
	if len(logs) != 1 || logs[0].Stream != "stderr" || logs[0].Line != line || logs[0].Instance != 1 {
		t.Errorf("logs = %+v, want the one line", logs)
	}

	info, err := rt.Start(context.Background(), "echo")
	if !errors.As(err, &exit) || exit.Code != 2 || exit.Instance != 2 {
		t.Errorf("Start: %+v, %v", info, err)
	}
	if !info.Exited || info.ExitCode != 2 || !info.FirstNext.IsZero() {
		t.Errorf("Start info = %+v", info)
	}
}

func TestCrashMidInvocation(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo"})
	_, err := rt.Invoke(context.Background(), "echo", []byte(`{"mode":"exit"}`))
	var exit *ExitError
	if !errors.As(err, &exit) || exit.Code != 3 || exit.Stderr[len(exit.Stderr)-1] != "echo: exiting mid-invocation" {
		t.Fatalf("got %v (%+v)", err, exit)
	}
	if res, _ := invokeEcho(t, rt, "echo", `{}`); res.Instance != 2 {
		t.Errorf("instance %d, want a new one", res.Instance)
	}
}

func TestStartWarmsAnInstance(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo"})
	info, err := rt.Start(context.Background(), "echo")
	if err != nil || info.Index != 1 || info.ColdStart() <= 0 || info.PID == 0 {
		t.Fatalf("Start: %+v, %v", info, err)
	}
	if _, err := rt.Start(context.Background(), "echo"); !errors.Is(err, ErrInstanceLimit) {
		t.Errorf("second Start: %v", err)
	}
	if res, r := invokeEcho(t, rt, "echo", `{}`); res.Instance != 1 || r.PID != info.PID {
		t.Errorf("invocation went to instance %d", res.Instance)
	}
	if c := rt.Counters("echo"); c.ColdStarts != 1 {
		t.Errorf("counters = %+v", c)
	}
}

func TestCloseLeavesNoProcesses(t *testing.T) {
	goroutines := runtime.NumGoroutine()
	rt := New(testOptions)
	if err := rt.Deploy(Function{Name: "echo", Binary: echoBin, MaxInstances: 2, Timeout: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	invokeEcho(t, rt, "echo", `{}`)
	errs := make(chan error, 3)
	for range 3 { // two run, one queues
		go func() {
			_, err := rt.Invoke(context.Background(), "echo", []byte(`{"mode":"sleep","sleepMs":20000}`))
			errs <- err
		}()
	}
	async := rt.InvokeAsync("echo", []byte(`{"mode":"sleep","sleepMs":20000}`), AsyncOptions{})
	waitFor(t, "two invocations running", 10*time.Second, func() bool {
		busy := 0
		for _, info := range rt.Instances("echo") {
			busy += info.Invocations
		}
		return busy == 3
	})

	start := time.Now()
	rt.Close()
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Close took %v", d)
	}
	for range 3 {
		if err := <-errs; !errors.Is(err, ErrClosed) {
			t.Errorf("pending invocation: %v, want ErrClosed", err)
		}
	}
	if _, err := async.Wait(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("async invocation: %v, want ErrClosed", err)
	}
	for _, info := range rt.Instances("echo") {
		if !info.Exited || processAlive(info.PID) {
			t.Errorf("instance %d (pid %d) still there: %+v", info.Index, info.PID, info)
		}
	}
	if _, err := rt.Invoke(context.Background(), "echo", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Invoke after Close: %v", err)
	}
	rt.Close() // again: nothing
	waitFor(t, "goroutines to end", 5*time.Second, func() bool { return runtime.NumGoroutine() <= goroutines })
}

// processAlive reports whether a process with this pid exists.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil
}
