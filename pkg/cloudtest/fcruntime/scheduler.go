package fcruntime

import (
	"context"
	"slices"
	"sync"
)

// function is a deployed function and its instances. Its mutex guards the
// scheduling state below and the fields of its instances marked so.
type function struct {
	rt   *Runtime
	cfg  Function
	logs *logBuffer

	mu       sync.Mutex
	closed   bool
	all      []*instance // every instance ever made, by index
	idle     []*instance // started or startable, no invocation
	live     int         // instances not yet gone (idle, busy or starting)
	waiters  []*waiter   // invocations queued for an instance, oldest first
	counters Counters
}

// waiter is an invocation queued for an instance. The instance, already
// assigned to inv, arrives on ch; nil means the function closed.
type waiter struct {
	inv *invocation
	ch  chan *instance
}

func newFunction(rt *Runtime, cfg Function) *function {
	return &function{rt: rt, cfg: cfg, logs: newLogBuffer(MaxLogLines)}
}

// dispatch finds inv an instance (an idle one, else a new one while under
// MaxInstances, else the first to become free) and hands inv to it. After
// a nil error, every outcome arrives through inv.
func (fn *function) dispatch(ctx context.Context, inv *invocation) (*instance, error) {
	fn.mu.Lock()
	if fn.closed {
		fn.mu.Unlock()
		return nil, ErrClosed
	}
	fn.counters.Invocations++
	if inst := fn.takeLocked(); inst != nil {
		inst.assignLocked(inv)
		fn.mu.Unlock()
		fn.deliver(inst, inv)
		return inst, nil
	}
	w := &waiter{inv: inv, ch: make(chan *instance, 1)}
	fn.waiters = append(fn.waiters, w)
	fn.mu.Unlock()

	select {
	case inst := <-w.ch:
		if inst == nil {
			return nil, ErrClosed
		}
		fn.deliver(inst, inv)
		return inst, nil
	case <-ctx.Done():
		fn.mu.Lock()
		i := slices.Index(fn.waiters, w)
		if i >= 0 {
			fn.waiters = slices.Delete(fn.waiters, i, i+1)
		}
		fn.mu.Unlock()
		if i < 0 { // an instance was handed over meanwhile: pass it on
			if inst := <-w.ch; inst != nil {
				fn.release(inst)
			}
		}
		return nil, ctx.Err()
	}
}

// takeLocked returns the most recently used idle instance, else a new
// one if the function is under its limit, else nil.
func (fn *function) takeLocked() *instance {
	if n := len(fn.idle); n > 0 {
		inst := fn.idle[n-1]
		fn.idle = fn.idle[:n-1]
		return inst
	}
	if fn.live < fn.cfg.MaxInstances {
		return fn.newInstanceLocked()
	}
	return nil
}

// deliver starts inst if it is not running yet and queues inv for its
// next GET /next, which must come within StartTimeout.
func (fn *function) deliver(inst *instance, inv *invocation) {
	if err := inst.start(); err != nil {
		fn.gone(inst, err)
		return
	}
	inv.arm(fn.rt.opts.StartTimeout, func() {
		inst.abort(inv, errorf(ErrStartTimeout, "%s instance %d: no GET /next within %v; killed",
			fn.cfg.Name, inst.index, fn.rt.opts.StartTimeout))
	})
	inst.assign <- inv
}

// release makes inst available again after its invocation finished: it
// goes to the oldest waiter, or to the idle list.
func (fn *function) release(inst *instance) {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	inst.current = nil
	if inst.exited || fn.closed {
		return
	}
	if w := fn.popWaiterLocked(); w != nil {
		inst.assignLocked(w.inv)
		w.ch <- inst
		return
	}
	fn.idle = append(fn.idle, inst)
}

// gone retires inst, whose process exited or could not start, failing its
// pending invocation with err (ErrClosed once the function is closed). The
// freed slot goes to the oldest waiter as a new instance.
func (fn *function) gone(inst *instance, err error) {
	fn.mu.Lock()
	if inst.exited {
		fn.mu.Unlock()
		return
	}
	inst.exited = true
	fn.live--
	if i := slices.Index(fn.idle, inst); i >= 0 {
		fn.idle = slices.Delete(fn.idle, i, i+1)
	}
	cur := inst.current
	inst.current = nil
	if fn.closed {
		err = ErrClosed
	} else if w := fn.popWaiterLocked(); w != nil {
		next := fn.newInstanceLocked()
		next.assignLocked(w.inv)
		w.ch <- next
	}
	fn.mu.Unlock()
	if cur != nil {
		cur.finish(nil, nil, err)
	}
}

// popWaiterLocked removes and returns the oldest waiter, or nil.
func (fn *function) popWaiterLocked() *waiter {
	if len(fn.waiters) == 0 {
		return nil
	}
	w := fn.waiters[0]
	fn.waiters = fn.waiters[1:]
	return w
}

// close fails the queued invocations, kills every instance and waits for
// the processes to be reaped.
func (fn *function) close() {
	fn.mu.Lock()
	fn.closed = true
	waiters := fn.waiters
	fn.waiters = nil
	all := slices.Clone(fn.all)
	fn.mu.Unlock()
	for _, w := range waiters {
		w.ch <- nil
	}
	for _, inst := range all {
		inst.stop()
	}
}
