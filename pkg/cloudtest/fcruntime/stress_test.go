package fcruntime

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestConcurrentMixedLoad runs many goroutines of mixed invocations
// (successes, function errors, timeouts, crashes, async, HTTP) against a
// few instances, for the race detector and the scheduler's bookkeeping.
func TestConcurrentMixedLoad(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo", MaxInstances: 4, Timeout: 400 * time.Millisecond})
	h := rt.HTTPHandler("echo", HTTPTrigger{})
	payloads := []string{
		`{}`, `{"mode":"error","message":"x"}`, `{"mode":"sleep","sleepMs":20}`,
		`{"mode":"panic","message":"p"}`, `{"mode":"exit"}`, `{"mode":"sleep","sleepMs":2000}`,
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	count := map[string]int{}
	note := func(what string) {
		mu.Lock()
		defer mu.Unlock()
		count[what]++
	}
	for i := range 48 {
		wg.Go(func() {
			p := payloads[i%len(payloads)]
			switch i % 8 {
			case 6:
				out, err := rt.InvokeAsync("echo", []byte(p), AsyncOptions{MaxRetries: 1}).Wait(context.Background())
				if err != nil {
					t.Errorf("async %s: %v", p, err)
				}
				note("async " + out.Destination)
				return
			case 7:
				if w := serve(h, http.MethodGet, "/", nil, nil); w.Code != http.StatusOK {
					t.Errorf("HTTP: %d %s", w.Code, w.Body)
				}
				note("http")
				return
			}
			res, err := rt.Invoke(context.Background(), "echo", []byte(p))
			var exit *ExitError
			switch {
			case err == nil && res.Err == nil:
				note("ok")
			case err == nil:
				note("function error")
			case errors.Is(err, ErrTimeout):
				note("timeout")
			case errors.As(err, &exit):
				note("exit")
			default:
				t.Errorf("%s: %v", p, err)
			}
		})
	}
	wg.Wait()
	t.Logf("outcomes %v, counters %+v", count, rt.Counters("echo"))
	live := 0
	for _, info := range rt.Instances("echo") {
		if !info.Exited {
			live++
		}
	}
	if live > 4 {
		t.Errorf("%d live instances, limit 4", live)
	}
	if res, _ := invokeEcho(t, rt, "echo", `{}`); res.Err != nil {
		t.Errorf("after the load: %+v", res)
	}
}
