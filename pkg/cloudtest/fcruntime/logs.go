package fcruntime

import (
	"bytes"
	"strings"
	"sync"
	"time"
)

// MaxLogLines is how many log lines are kept per function; older ones are
// dropped.
const MaxLogLines = 100_000

const (
	stderrTail   = 20       // stderr lines an *ExitError carries
	maxLineBytes = 64 << 10 // longer lines are split
)

// LogLine is one line a function's process wrote.
type LogLine struct {
	Instance int    // InstanceInfo.Index
	Stream   string // "stdout" or "stderr"
	Line     string // without the newline
	Time     time.Time
}

// Logs returns the function's kept log lines (the last MaxLogLines), in
// the order they were written; nil for an unknown function.
func (rt *Runtime) Logs(function string) []LogLine {
	fn := rt.find(function)
	if fn == nil {
		return nil
	}
	return fn.logs.snapshot()
}

// logBuffer keeps the last limit lines.
type logBuffer struct {
	mu    sync.Mutex
	limit int
	lines []LogLine // a ring once full
	next  int       // where the next line goes once full
}

func newLogBuffer(limit int) *logBuffer { return &logBuffer{limit: limit} }

func (b *logBuffer) add(l LogLine) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.lines) < b.limit {
		b.lines = append(b.lines, l)
		return
	}
	b.lines[b.next] = l
	b.next = (b.next + 1) % b.limit
}

func (b *logBuffer) snapshot() []LogLine {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]LogLine, 0, len(b.lines))
	out = append(out, b.lines[b.next:]...)
	return append(out, b.lines[:b.next]...)
}

// lineWriter splits a process's output stream into lines for the
// function's log buffer and Options.Log, keeping the last few if asked.
type lineWriter struct {
	fn       *function
	instance int
	stream   string

	mu      sync.Mutex
	partial []byte
	keep    int
	last    []string
}

func (fn *function) newLineWriter(instance int, stream string, keep int) *lineWriter {
	return &lineWriter{fn: fn, instance: instance, stream: stream, keep: keep}
}

// Write never fails: a process must not block on its logs.
func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.partial = append(w.partial, p...)
			for len(w.partial) >= maxLineBytes {
				w.emit(w.partial[:maxLineBytes])
				w.partial = append([]byte(nil), w.partial[maxLineBytes:]...)
			}
			break
		}
		w.partial = append(w.partial, p[:i]...)
		w.emit(w.partial)
		w.partial = w.partial[:0]
		p = p[i+1:]
	}
	return n, nil
}

// flush emits an unterminated last line.
func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.emit(w.partial)
		w.partial = nil
	}
}

// tail returns the last lines kept.
func (w *lineWriter) tail() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.last...)
}

func (w *lineWriter) emit(b []byte) {
	line := strings.TrimSuffix(string(b), "\r")
	w.fn.logs.add(LogLine{Instance: w.instance, Stream: w.stream, Line: line, Time: time.Now()})
	if w.keep > 0 {
		if len(w.last) == w.keep {
			w.last = w.last[1:]
		}
		w.last = append(w.last, line)
	}
	if log := w.fn.rt.opts.Log; log != nil {
		log(w.fn.cfg.Name, w.instance, w.stream, line)
	}
}
