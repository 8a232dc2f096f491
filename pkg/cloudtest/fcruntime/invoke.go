package fcruntime

import (
	"bytes"
	"context"
	"time"
)

// Invoke runs payload as an event on the function synchronously and
// returns its result. It waits for an instance when all MaxInstances are
// busy, starting one if needed.
//
// A function error (the handler returned an error or panicked) is not an
// error here: it is in Result.Err. The error is non-nil when the function
// gave no result: it matches ErrTimeout (its instance was killed),
// ErrStartTimeout, or is an *ExitError (the process exited; its exit code
// and stderr); then the Result still carries the RequestID and Instance.
// Otherwise the error is ErrNotDeployed, ErrPayloadTooLarge (over
// MaxSyncPayload), ErrClosed or the context's error, with a nil Result,
// except that a context that ends after the event was handed to an
// instance leaves the invocation running and returns a Result with its
// RequestID.
func (rt *Runtime) Invoke(ctx context.Context, function string, payload []byte) (*Result, error) {
	return rt.invoke(ctx, function, payload, call{limit: MaxSyncPayload})
}

// call describes how one invocation is made.
type call struct {
	id    string // request id; empty means a new one
	retry int    // x-fc-retry-count
	limit int    // payload limit
}

func (rt *Runtime) invoke(ctx context.Context, function string, payload []byte, c call) (*Result, error) {
	fn, err := rt.lookup(function)
	if err != nil {
		return nil, err
	}
	if len(payload) > c.limit {
		return nil, errorf(ErrPayloadTooLarge, "%d bytes, the limit is %d", len(payload), c.limit)
	}
	if !rt.track() {
		return nil, ErrClosed
	}
	defer rt.calls.Done()
	if c.id == "" {
		c.id = newRequestID(time.Now())
	}
	inv := newInvocation(c.id, bytes.Clone(payload), c.retry)
	inst, err := fn.dispatch(ctx, inv)
	if err != nil {
		return nil, err
	}
	select {
	case <-inv.done:
		return inv.outcome()
	case <-ctx.Done():
		return &Result{RequestID: inv.id, Instance: inst.index}, ctx.Err()
	}
}
