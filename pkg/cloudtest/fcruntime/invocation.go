package fcruntime

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// Result is the outcome of one invocation.
type Result struct {
	// RequestID is the x-fc-request-id the function saw.
	RequestID string
	// Payload is the body the function posted to /response: its handler's
	// JSON-encoded return value.
	Payload []byte
	// Err is set when the function posted to /error instead (an error
	// returned by the handler, or a recovered panic).
	Err *FunctionError
	// Duration is the execution time: from the event's delivery (GET /next
	// answered) to the result. Queueing and cold start are not included.
	Duration time.Duration
	// Instance is the InstanceInfo.Index of the instance that ran it.
	Instance int
}

// FunctionError is an unhandled function error, as posted to /error
// [ALIYUN.md §4.1 SRC].
type FunctionError struct {
	Message    string          `json:"errorMessage"`
	Type       string          `json:"errorType"`
	StackTrace json.RawMessage `json:"stackTrace,omitempty"` // set for a panic
	Raw        []byte          `json:"-"`                    // the body as posted
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("fcruntime: unhandled function error (%s): %s", e.Type, e.Message)
}

// parseFunctionError reads an /error body; a body that is not the SDK's
// JSON becomes the message.
func parseFunctionError(body []byte) *FunctionError {
	e := &FunctionError{}
	if json.Unmarshal(body, e) != nil {
		e = &FunctionError{Message: string(body)}
	}
	e.Raw = body
	return e
}

// ExitError reports an instance process that exited while an invocation
// was pending (or, for Start, before it asked for work).
type ExitError struct {
	Function string
	Instance int
	Code     int      // the exit code; -1 if killed by a signal
	Stderr   []string // the last lines it wrote to stderr, oldest first
}

func (e *ExitError) Error() string {
	s := fmt.Sprintf("fcruntime: %s instance %d exited with code %d", e.Function, e.Instance, e.Code)
	if e.Code < 0 {
		s = fmt.Sprintf("fcruntime: %s instance %d was killed", e.Function, e.Instance)
	}
	if n := len(e.Stderr); n > 0 {
		s += ": " + e.Stderr[n-1]
	}
	return s
}

// errorf returns an error that wraps sentinel, with more detail.
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)
}

// invocation is one attempt to run an event on an instance. Exactly one of
// the result (/response, /error), the deadline, the start timeout or the
// instance's end finishes it.
type invocation struct {
	id       string
	payload  []byte
	retry    int
	instance int // index of its instance; set under fn.mu when assigned

	done chan struct{} // closed by finish

	mu        sync.Mutex
	finished  bool
	timer     *time.Timer
	delivered time.Time
	res       *Result
	err       error
}

func newInvocation(id string, payload []byte, retry int) *invocation {
	return &invocation{id: id, payload: payload, retry: retry, done: make(chan struct{})}
}

// arm replaces the invocation's timer by one that runs f after d, unless
// the invocation has finished.
func (inv *invocation) arm(d time.Duration, f func()) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.finished {
		return
	}
	if inv.timer != nil {
		inv.timer.Stop()
	}
	inv.timer = time.AfterFunc(d, f)
}

// markDelivered records the time the instance took the event.
func (inv *invocation) markDelivered(t time.Time) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.delivered = t
}

// finish records the outcome; it reports false if another came first.
func (inv *invocation) finish(payload []byte, ferr *FunctionError, err error) bool {
	if !inv.claim() {
		return false
	}
	inv.complete(payload, ferr, err)
	return true
}

// claim makes the caller the one to finish the invocation, which it does
// with complete; it reports false if another came first.
func (inv *invocation) claim() bool {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.finished {
		return false
	}
	inv.finished = true
	if inv.timer != nil {
		inv.timer.Stop()
	}
	return true
}

// complete records the outcome of a claimed invocation.
func (inv *invocation) complete(payload []byte, ferr *FunctionError, err error) {
	now := time.Now()
	inv.mu.Lock()
	inv.res = &Result{RequestID: inv.id, Payload: payload, Err: ferr, Instance: inv.instance}
	if !inv.delivered.IsZero() {
		inv.res.Duration = now.Sub(inv.delivered)
	}
	inv.err = err
	inv.mu.Unlock()
	close(inv.done)
}

// outcome returns the result after done is closed.
func (inv *invocation) outcome() (*Result, error) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.res, inv.err
}
