package fcruntime

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Errors a caller can match with errors.Is.
var (
	// ErrClosed is returned by calls made on, or cut short by, a closed
	// Runtime.
	ErrClosed = errors.New("fcruntime: runtime closed")
	// ErrNotDeployed is returned for a function name that was not deployed.
	ErrNotDeployed = errors.New("fcruntime: function not deployed")
	// ErrPayloadTooLarge is returned for a payload over MaxSyncPayload
	// (synchronous) or MaxAsyncPayload (asynchronous) bytes.
	ErrPayloadTooLarge = errors.New("fcruntime: payload too large")
	// ErrTimeout is matched by the error of an invocation that got no
	// result by its deadline. Its instance has been killed.
	ErrTimeout = errors.New("fcruntime: function timed out")
	// ErrStartTimeout is matched by the error of an invocation whose
	// instance did not ask for it (GET /next) within Options.StartTimeout.
	// The instance has been killed.
	ErrStartTimeout = errors.New("fcruntime: instance did not ask for the invocation in time")
	// ErrInstanceLimit is returned by Start when the function already has
	// MaxInstances instances.
	ErrInstanceLimit = errors.New("fcruntime: instance limit reached")
)

// Payload limits of FC 3.0 [ALIYUN.md §4.3 DOC].
const (
	MaxSyncPayload  = 32 << 20
	MaxAsyncPayload = 128 << 10
)

// Credentials are the function role's STS credentials, given to every
// instance in its environment and with every invocation.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// Options configure a Runtime. The zero value works.
type Options struct {
	// Region is FC_REGION and x-fc-region; empty means "cn-hangzhou".
	Region string
	// AccountID is FC_ACCOUNT_ID and x-fc-account-id; empty means
	// "1234567890123456".
	AccountID string
	// Credentials are the role's credentials. Empty fields are neither set
	// in the environment nor sent as headers, like a function without a
	// role.
	Credentials Credentials
	// Log, if set, receives every line a process writes, stream being
	// "stdout" or "stderr", as it is written. It is called from several
	// goroutines at once and holds up the process's output while it runs.
	Log func(function string, instance int, stream, line string)
	// StartTimeout bounds how long an invocation waits for its instance to
	// ask for it (GET /next), which includes the process start; zero means
	// 10 s. An instance that misses it is killed.
	StartTimeout time.Duration
}

// Runtime runs deployed functions. Create it with New and release it with
// Close. All methods are safe for concurrent use.
type Runtime struct {
	opts   Options
	ctx    context.Context // canceled by Close; the lifetime of async work
	cancel context.CancelFunc

	mu      sync.Mutex
	closed  bool
	fns     map[string]*function
	servers []*http.Server
	calls   sync.WaitGroup // invocations and async work in flight
}

// New returns a Runtime with no functions deployed.
func New(opts Options) *Runtime {
	if opts.Region == "" {
		opts.Region = "cn-hangzhou"
	}
	if opts.AccountID == "" {
		opts.AccountID = "1234567890123456"
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 10 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Runtime{opts: opts, ctx: ctx, cancel: cancel, fns: map[string]*function{}}
}

// Options returns the options with defaults filled in.
func (rt *Runtime) Options() Options { return rt.opts }

// Close stops the HTTP trigger servers, kills every instance, fails what
// is pending with ErrClosed, and returns when every process has been
// reaped and every call in flight has returned. Calling it again does
// nothing.
func (rt *Runtime) Close() {
	rt.mu.Lock()
	if rt.closed {
		rt.mu.Unlock()
		return
	}
	rt.closed = true
	servers := rt.servers
	fns := make([]*function, 0, len(rt.fns))
	for _, fn := range rt.fns {
		fns = append(fns, fn)
	}
	rt.mu.Unlock()

	rt.cancel()
	for _, srv := range servers {
		srv.Close()
	}
	for _, fn := range fns {
		fn.close()
	}
	rt.calls.Wait()
}

// track registers a call in flight; it reports false once the runtime is
// closed. A true result must be matched by rt.calls.Done.
func (rt *Runtime) track() bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed {
		return false
	}
	rt.calls.Add(1)
	return true
}

// lookup returns the deployed function called name.
func (rt *Runtime) lookup(name string) (*function, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed {
		return nil, ErrClosed
	}
	fn, ok := rt.fns[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotDeployed, name)
	}
	return fn, nil
}

// Counters counts what happened to one function.
type Counters struct {
	// Invocations is the number of invocations accepted (each async retry
	// counts as one).
	Invocations int
	// ColdStarts is the number of instance processes started.
	ColdStarts int
}

// Counters returns the function's counters; zero for an unknown function.
func (rt *Runtime) Counters(function string) Counters {
	fn := rt.find(function)
	if fn == nil {
		return Counters{}
	}
	fn.mu.Lock()
	defer fn.mu.Unlock()
	return fn.counters
}

// find returns the function called name, closed runtime or not, or nil.
func (rt *Runtime) find(name string) *function {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.fns[name]
}
