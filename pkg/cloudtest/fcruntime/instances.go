package fcruntime

import (
	"context"
	"fmt"
	"time"
)

// InstanceInfo describes one instance (process) of a function.
type InstanceInfo struct {
	Index int    // 1-based, in order of creation; Result.Instance
	ID    string // FC_INSTANCE_ID
	PID   int
	// Started is when the process was started, FirstNext when it first
	// asked for an invocation; their difference is the cold start.
	Started, FirstNext time.Time
	Invocations        int // invocations delivered to it
	Exited             bool
	ExitCode           int // when Exited; -1 if killed by a signal
}

// ColdStart is the time from process start to its first GET /next, zero
// if it never asked.
func (i InstanceInfo) ColdStart() time.Duration {
	if i.FirstNext.IsZero() {
		return 0
	}
	return i.FirstNext.Sub(i.Started)
}

// infoLocked describes inst.
func (inst *instance) infoLocked() InstanceInfo {
	info := InstanceInfo{
		Index: inst.index, ID: inst.id,
		Started: inst.started, FirstNext: inst.firstNext,
		Invocations: inst.invocations, Exited: inst.exited, ExitCode: inst.exitCode,
	}
	if inst.proc != nil {
		info.PID = inst.proc.Pid
	}
	return info
}

// Instances describes the function's instances whose process was started,
// running or exited, by index; nil for an unknown function.
func (rt *Runtime) Instances(function string) []InstanceInfo {
	fn := rt.find(function)
	if fn == nil {
		return nil
	}
	fn.mu.Lock()
	defer fn.mu.Unlock()
	var infos []InstanceInfo
	for _, inst := range fn.all {
		if !inst.started.IsZero() {
			infos = append(infos, inst.infoLocked())
		}
	}
	return infos
}

// Start starts one more instance of the function, as FC does for a
// provisioned instance, and waits until it asks for work (its first GET
// /next). If the process exits first, the error is an *ExitError with its
// exit code and stderr: how a bad configuration shows. It returns
// ErrInstanceLimit when the function already has MaxInstances instances.
// The instance then serves invocations like any other.
func (rt *Runtime) Start(ctx context.Context, function string) (InstanceInfo, error) {
	fn, err := rt.lookup(function)
	if err != nil {
		return InstanceInfo{}, err
	}
	if !rt.track() {
		return InstanceInfo{}, ErrClosed
	}
	defer rt.calls.Done()
	fn.mu.Lock()
	if fn.closed || fn.live >= fn.cfg.MaxInstances {
		closed := fn.closed
		fn.mu.Unlock()
		if closed {
			return InstanceInfo{}, ErrClosed
		}
		return InstanceInfo{}, fmt.Errorf("%w: %s has %d", ErrInstanceLimit, function, fn.cfg.MaxInstances)
	}
	inst := fn.newInstanceLocked()
	fn.mu.Unlock()
	if err := inst.start(); err != nil {
		fn.gone(inst, err)
		return InstanceInfo{}, err
	}
	fn.release(inst)
	select {
	case <-inst.ready:
		err = nil
	case <-inst.gone:
		err = inst.exitErr
	case <-ctx.Done():
		err = ctx.Err()
	}
	fn.mu.Lock()
	defer fn.mu.Unlock()
	return inst.infoLocked(), err
}
