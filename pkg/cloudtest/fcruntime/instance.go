package fcruntime

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// instance is one process of a function's binary with its own runtime API
// listener. It serves one invocation at a time.
type instance struct {
	fn     *function
	index  int // 1-based, in order of creation
	id     string
	assign chan *invocation // the invocation for the next GET /next
	ready  chan struct{}    // closed at the first GET /next
	gone   chan struct{}    // closed once the process is reaped or will never run

	startOnce sync.Once
	startErr  error // why the process did not start
	exitErr   error // why the instance is gone; written before gone is closed

	// Guarded by fn.mu.
	current     *invocation // assigned, not yet finished
	proc        *os.Process
	stdout      *logPipe
	stderr      *logPipe
	started     time.Time
	firstNext   time.Time
	invocations int
	exited      bool
	exitCode    int
}

// newInstanceLocked reserves a slot for a new, not yet started instance.
func (fn *function) newInstanceLocked() *instance {
	inst := &instance{
		fn:     fn,
		index:  len(fn.all) + 1,
		id:     newInstanceID(),
		assign: make(chan *invocation, 1),
		ready:  make(chan struct{}),
		gone:   make(chan struct{}),
	}
	fn.all = append(fn.all, inst)
	fn.live++
	return inst
}

// assignLocked makes inv the instance's current invocation.
func (inst *instance) assignLocked(inv *invocation) {
	inst.current = inv
	inv.instance = inst.index
}

// start starts the process unless it was started (or stopped) before, and
// returns why it did not start.
func (inst *instance) start() error {
	inst.startOnce.Do(func() {
		if err := inst.launch(); err != nil {
			inst.startErr, inst.exitErr = err, err
			close(inst.gone)
		}
	})
	return inst.startErr
}

// launch opens the runtime API listener and starts the process.
func (inst *instance) launch() error {
	fn := inst.fn
	fn.mu.Lock()
	closed := fn.closed
	fn.mu.Unlock()
	if closed {
		return ErrClosed
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("fcruntime: runtime API listener: %w", err)
	}
	srv := &http.Server{Handler: inst.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }() // ErrServerClosed after Close

	cmd := exec.Command(fn.cfg.Binary)
	cmd.Dir = filepath.Dir(fn.cfg.Binary)
	cmd.Env = fn.rt.environ(&fn.cfg, inst.id, ln.Addr().String())
	stdout, err := fn.newLogPipe(inst.index, "stdout", 0)
	if err != nil {
		srv.Close()
		return err
	}
	stderr, err := fn.newLogPipe(inst.index, "stderr", stderrTail)
	if err != nil {
		srv.Close()
		closePipes(stdout)
		return err
	}
	cmd.Stdout, cmd.Stderr = stdout.w, stderr.w
	started := time.Now()
	if err := cmd.Start(); err != nil {
		srv.Close()
		closePipes(stdout, stderr)
		return fmt.Errorf("fcruntime: start %s: %w", fn.cfg.Name, err)
	}
	go stdout.read()
	go stderr.read()
	fn.mu.Lock()
	inst.proc = cmd.Process
	inst.stdout, inst.stderr = stdout, stderr
	inst.started = started
	fn.counters.ColdStarts++
	fn.mu.Unlock()
	go inst.wait(cmd, srv, stdout, stderr)
	return nil
}

func closePipes(pipes ...*logPipe) {
	for _, p := range pipes {
		p.r.Close()
		p.w.Close()
	}
}

// wait reaps the process, reads the rest of its output, then retires the
// instance.
func (inst *instance) wait(cmd *exec.Cmd, srv *http.Server, stdout, stderr *logPipe) {
	_ = cmd.Wait() // the exit status is in ProcessState
	stdout.closeWriter()
	stderr.closeWriter()
	stdout.wait(time.Second)
	stderr.wait(time.Second)
	srv.Close()
	code := -1
	if cmd.ProcessState != nil {
		code = cmd.ProcessState.ExitCode()
	}
	fn := inst.fn
	fn.mu.Lock()
	inst.exitCode = code
	fn.mu.Unlock()
	err := &ExitError{Function: fn.cfg.Name, Instance: inst.index, Code: code, Stderr: stderr.out.tail()}
	inst.exitErr = err
	fn.gone(inst, err)
	close(inst.gone)
}

// syncLogs returns once everything the process wrote so far is in the
// logs.
func (inst *instance) syncLogs() {
	inst.fn.mu.Lock()
	stdout, stderr := inst.stdout, inst.stderr
	inst.fn.mu.Unlock()
	if stdout != nil {
		stdout.sync()
		stderr.sync()
	}
}

// abort ends inv with err, unless it has ended: it kills the process and
// returns once it has been reaped and its output read.
func (inst *instance) abort(inv *invocation, err error) {
	if !inv.claim() {
		return
	}
	inst.kill()
	<-inst.gone
	inv.complete(nil, nil, err)
}

// kill kills the process, if it runs. The instance goes once it is reaped.
func (inst *instance) kill() {
	inst.fn.mu.Lock()
	p := inst.proc
	inst.fn.mu.Unlock()
	if p != nil {
		_ = p.Kill() // fails only if it already exited
	}
}

// stop kills the process, or keeps it from starting, and waits until it
// is reaped.
func (inst *instance) stop() {
	inst.startOnce.Do(func() {
		inst.startErr, inst.exitErr = ErrClosed, ErrClosed
		close(inst.gone)
	})
	inst.kill()
	<-inst.gone
}
