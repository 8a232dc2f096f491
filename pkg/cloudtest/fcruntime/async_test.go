package fcruntime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func waitAsync(t *testing.T, h *AsyncHandle) AsyncOutcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := h.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return out
}

func TestAsyncRetriesEndInOnFailure(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo"})
	h := rt.InvokeAsync("echo", []byte(`{"mode":"error","message":"boom"}`), AsyncOptions{})
	out := waitAsync(t, h)
	if out.Destination != OnFailure || len(out.Attempts) != 4 || out.RequestID != h.RequestID() {
		t.Fatalf("outcome = %+v", out)
	}
	for n, a := range out.Attempts {
		want := fmt.Sprintf("boom (retry %d)", n)
		if a.RetryCount != n || a.Err != nil || a.Result.Err == nil || a.Result.Err.Message != want ||
			a.Result.RequestID != h.RequestID() || !a.Failed() {
			t.Errorf("attempt %d = %+v (%+v)", n, a, a.Result)
		}
	}
	if c := rt.Counters("echo"); c != (Counters{Invocations: 4, ColdStarts: 1}) {
		t.Errorf("counters = %+v", c)
	}
}

func TestAsyncSucceedsOnARetry(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo"})
	var mu sync.Mutex
	var delays []int
	o := AsyncOptions{RetryDelay: func(n int) time.Duration {
		mu.Lock()
		defer mu.Unlock()
		delays = append(delays, n)
		return 10 * time.Millisecond
	}}
	out := waitAsync(t, rt.InvokeAsync("echo", []byte(`{"mode":"failUntil","retries":2}`), o))
	if out.Destination != OnSuccess || len(out.Attempts) != 3 || out.Attempts[2].Failed() {
		t.Fatalf("outcome = %+v", out)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(delays) != "[1 2]" {
		t.Errorf("RetryDelay called with %v", delays)
	}
}

func TestAsyncNoRetries(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo"})
	out := waitAsync(t, rt.InvokeAsync("echo", []byte(`{"mode":"error"}`), AsyncOptions{MaxRetries: NoRetries}))
	if out.Destination != OnFailure || len(out.Attempts) != 1 {
		t.Errorf("outcome = %+v", out)
	}
	out = waitAsync(t, rt.InvokeAsync("echo", []byte(`{}`), AsyncOptions{MaxRetries: NoRetries}))
	if out.Destination != OnSuccess || len(out.Attempts) != 1 {
		t.Errorf("outcome = %+v", out)
	}
}

func TestAsyncRetriesTimeouts(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo", Timeout: 300 * time.Millisecond})
	out := waitAsync(t, rt.InvokeAsync("echo", []byte(`{"mode":"sleep","sleepMs":5000}`), AsyncOptions{MaxRetries: 1}))
	if out.Destination != OnFailure || len(out.Attempts) != 2 {
		t.Fatalf("outcome = %+v", out)
	}
	for n, a := range out.Attempts {
		if !errors.Is(a.Err, ErrTimeout) || a.RetryCount != n || a.Result.Instance != n+1 {
			t.Errorf("attempt %d = %+v", n, a)
		}
	}
}

func TestAsyncWaitHonoursContext(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo"})
	h := rt.InvokeAsync("echo", []byte(`{"mode":"sleep","sleepMs":300}`), AsyncOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait: %v", err)
	}
	<-h.Done()
	if out := waitAsync(t, h); out.Destination != OnSuccess {
		t.Errorf("outcome = %+v", out)
	}
}
