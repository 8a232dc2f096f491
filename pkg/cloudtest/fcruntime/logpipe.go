package fcruntime

import (
	"bytes"
	"os"
	"sync"
	"time"
)

// syncMarker is written into a process's output pipe, behind what the
// process wrote, to learn when all of that has been read. The reader
// removes it from the stream.
var syncMarker = []byte("\x00fcruntime:sync\x00")

// logSyncTimeout bounds the wait for a process's output to be read.
const logSyncTimeout = time.Second

// logPipe carries one output stream of a process to a lineWriter. Its
// write end is the process's stdout or stderr; the runtime keeps a copy
// open to write sync markers, so that when an invocation ends, every line
// the function wrote before its result is in the logs.
type logPipe struct {
	r, w *os.File
	out  *lineWriter
	done chan struct{} // closed when the reader has stopped

	mu      sync.Mutex // orders markers; guards the fields below
	closed  bool       // w is closed
	written uint64     // markers written
	seen    uint64     // markers read
	changed chan struct{}
}

func (fn *function) newLogPipe(instance int, stream string, keep int) (*logPipe, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	return &logPipe{
		r: r, w: w,
		out:     fn.newLineWriter(instance, stream, keep),
		done:    make(chan struct{}),
		changed: make(chan struct{}),
	}, nil
}

// read copies the stream to the lineWriter until the pipe is closed.
func (p *logPipe) read() {
	defer close(p.done)
	defer p.r.Close()
	buf := make([]byte, 32<<10)
	var pending []byte
	for {
		n, err := p.r.Read(buf)
		if n > 0 {
			pending = p.scan(append(pending, buf[:n]...))
		}
		if err != nil {
			_, _ = p.out.Write(pending)
			p.out.flush()
			return
		}
	}
}

// scan passes b on up to each marker, counts the markers, and returns the
// end of b that may be the start of a marker.
func (p *logPipe) scan(b []byte) []byte {
	for {
		i := bytes.Index(b, syncMarker)
		if i < 0 {
			break
		}
		_, _ = p.out.Write(b[:i])
		b = b[i+len(syncMarker):]
		p.mu.Lock()
		p.seen++
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
	}
	keep := 0
	for k := min(len(syncMarker)-1, len(b)); k > 0; k-- {
		if bytes.HasSuffix(b, syncMarker[:k]) {
			keep = k
			break
		}
	}
	_, _ = p.out.Write(b[:len(b)-keep])
	return append([]byte(nil), b[len(b)-keep:]...)
}

// sync returns once everything written to the pipe before the call has
// been passed to the lineWriter, or after logSyncTimeout.
func (p *logPipe) sync() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.written++
	target := p.written
	_, err := p.w.Write(syncMarker) // atomic: shorter than PIPE_BUF
	p.mu.Unlock()
	if err != nil {
		return
	}
	timer := time.NewTimer(logSyncTimeout)
	defer timer.Stop()
	for {
		p.mu.Lock()
		seen, changed := p.seen, p.changed
		p.mu.Unlock()
		if seen >= target {
			return
		}
		select {
		case <-changed:
		case <-p.done:
			return
		case <-timer.C:
			return
		}
	}
}

// closeWriter closes the runtime's write end. Once the process (and any
// child holding the pipe) has exited too, the reader sees the end.
func (p *logPipe) closeWriter() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.closed = true
		p.w.Close()
	}
}

// wait waits for the reader to stop, at most d; then it stops it by
// closing the read end (a child process may keep the pipe open).
func (p *logPipe) wait(d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		p.r.Close()
		<-p.done
	}
}
