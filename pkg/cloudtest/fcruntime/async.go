package fcruntime

import (
	"context"
	"errors"
	"time"
)

// NoRetries, as AsyncOptions.MaxRetries, sends a failed asynchronous
// invocation to its failure destination without a retry.
const NoRetries = -1

// Destinations an asynchronous invocation ends in (destinationConfig).
const (
	OnSuccess = "onSuccess"
	OnFailure = "onFailure"
)

// AsyncOptions configure an asynchronous invocation (asyncInvokeConfig).
type AsyncOptions struct {
	// MaxRetries is how many times a failed attempt is retried, FC's
	// maxAsyncRetryAttempts. Zero means FC's default, 3; NoRetries means
	// none.
	MaxRetries int
	// RetryDelay returns the wait before retry n (1, 2, …). Nil means
	// retry at once (FC waits longer; its schedule is not documented).
	RetryDelay func(n int) time.Duration
}

func (o AsyncOptions) retries() int {
	switch {
	case o.MaxRetries == 0:
		return 3
	case o.MaxRetries < 0:
		return 0
	}
	return o.MaxRetries
}

// Attempt is one try of an asynchronous invocation.
type Attempt struct {
	RetryCount int     // x-fc-retry-count: 0 for the first try
	Result     *Result // as from Invoke; nil if it never reached an instance
	Err        error   // as from Invoke: ErrTimeout, *ExitError, …
}

// Failed reports whether the attempt ended in an error, the function's or
// the platform's.
func (a Attempt) Failed() bool {
	return a.Err != nil || a.Result == nil || a.Result.Err != nil
}

// AsyncOutcome is what became of an asynchronous invocation.
type AsyncOutcome struct {
	RequestID   string    // the same for every attempt, as in FC
	Attempts    []Attempt // in order
	Destination string    // OnSuccess or OnFailure
}

// AsyncHandle follows an asynchronous invocation running in the
// background.
type AsyncHandle struct {
	requestID string
	done      chan struct{}
	out       AsyncOutcome // written before done is closed
	err       error
}

// RequestID is the invocation's x-fc-request-id.
func (h *AsyncHandle) RequestID() string { return h.requestID }

// Done is closed when the invocation has ended.
func (h *AsyncHandle) Done() <-chan struct{} { return h.done }

// Wait waits for the invocation to end and returns its outcome. The error
// is the context's, or the reason it was refused (ErrNotDeployed,
// ErrPayloadTooLarge), or ErrClosed if the runtime closed first (with the
// attempts made so far); a function that keeps failing is not an error
// here but Destination OnFailure.
func (h *AsyncHandle) Wait(ctx context.Context) (AsyncOutcome, error) {
	select {
	case <-h.done:
		return h.out, h.err
	case <-ctx.Done():
		return AsyncOutcome{RequestID: h.requestID}, ctx.Err()
	}
}

// InvokeAsync runs payload (at most MaxAsyncPayload bytes) on the function
// in the background, as FC does for an asynchronous invocation
// (X-Fc-Invocation-Type: Async). An attempt that fails (a function error,
// a timeout, an exit) is retried up to o.MaxRetries times with the same
// request id and x-fc-retry-count 1, 2, 3 [ALIYUN.md §4.3 DOC].
func (rt *Runtime) InvokeAsync(function string, payload []byte, o AsyncOptions) *AsyncHandle {
	h := &AsyncHandle{requestID: newRequestID(time.Now()), done: make(chan struct{})}
	h.out.RequestID = h.requestID
	_, err := rt.lookup(function)
	if err == nil && len(payload) > MaxAsyncPayload {
		err = errorf(ErrPayloadTooLarge, "%d bytes, the async limit is %d", len(payload), MaxAsyncPayload)
	}
	if err == nil && !rt.track() {
		err = ErrClosed
	}
	if err != nil {
		h.err = err
		close(h.done)
		return h
	}
	go func() {
		defer rt.calls.Done()
		defer close(h.done)
		h.err = rt.runAsync(h, function, payload, o)
	}()
	return h
}

// runAsync makes the attempts, recording them in h.out.
func (rt *Runtime) runAsync(h *AsyncHandle, function string, payload []byte, o AsyncOptions) error {
	c := call{id: h.requestID, limit: MaxAsyncPayload}
	for ; ; c.retry++ {
		if c.retry > 0 && o.RetryDelay != nil {
			t := time.NewTimer(o.RetryDelay(c.retry))
			select {
			case <-t.C:
			case <-rt.ctx.Done():
				t.Stop()
				return ErrClosed
			}
		}
		res, err := rt.invoke(rt.ctx, function, payload, c)
		if errors.Is(err, ErrClosed) || rt.ctx.Err() != nil {
			return ErrClosed
		}
		a := Attempt{RetryCount: c.retry, Result: res, Err: err}
		h.out.Attempts = append(h.out.Attempts, a)
		switch {
		case !a.Failed():
			h.out.Destination = OnSuccess
			return nil
		case c.retry >= o.retries():
			h.out.Destination = OnFailure
			return nil
		}
	}
}
