package fcruntime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLogsCaptureBothStreams(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	opts := testOptions
	opts.Log = func(function string, instance int, stream, line string) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, fmt.Sprintf("%s/%d/%s: %s", function, instance, stream, line))
	}
	rt := New(opts)
	t.Cleanup(rt.Close)
	if err := rt.Deploy(Function{Name: "echo", Binary: echoBin}); err != nil {
		t.Fatal(err)
	}
	res, _ := invokeEcho(t, rt, "echo", `{"mode":"echo"}`)

	var jsonLine, stderrLine, sdkStart bool
	for _, l := range rt.Logs("echo") {
		var entry struct{ Level, RequestID, Msg string }
		switch {
		case l.Stream == "stdout" && json.Unmarshal([]byte(l.Line), &entry) == nil:
			jsonLine = entry.RequestID == res.RequestID && entry.Msg == "echo" && l.Instance == 1 && !l.Time.IsZero()
		case l.Stream == "stderr" && l.Line == "echo: stderr line for "+res.RequestID:
			stderrLine = true
		case l.Stream == "stdout" && l.Line == "FC Invoke Start RequestId: "+res.RequestID:
			sdkStart = true
		}
	}
	if !jsonLine || !stderrLine || !sdkStart {
		t.Errorf("json %v, stderr %v, SDK start line %v in %+v", jsonLine, stderrLine, sdkStart, rt.Logs("echo"))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != len(rt.Logs("echo")) || !strings.HasPrefix(seen[0], "echo/1/") {
		t.Errorf("Log saw %d lines, Logs has %d: %q", len(seen), len(rt.Logs("echo")), seen)
	}
	if rt.Logs("nope") != nil {
		t.Error("Logs of an unknown function")
	}
}

// TestLogsAreCompleteWhenInvokeReturns checks that every line a function
// wrote before its result is in Logs when Invoke returns, even from an
// invocation that failed or timed out.
func TestLogsAreCompleteWhenInvokeReturns(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo", MaxInstances: 2, Timeout: 300 * time.Millisecond})
	has := func(line string) bool {
		return slices.ContainsFunc(rt.Logs("echo"), func(l LogLine) bool { return l.Line == line })
	}
	for i := range 30 {
		payload := `{}`
		switch i % 3 {
		case 1:
			payload = `{"mode":"error","message":"x"}`
		case 2:
			payload = `{"mode":"panic","message":"x"}`
		}
		res, err := rt.Invoke(context.Background(), "echo", []byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		if !has("echo: stderr line for "+res.RequestID) || !has("FC Invoke End RequestId: "+res.RequestID+
			map[bool]string{true: ", Error: Unhandled function error"}[res.Err != nil]) {
			t.Fatalf("invocation %d: logs incomplete when Invoke returned", i)
		}
	}
	res, err := rt.Invoke(context.Background(), "echo", []byte(`{"mode":"sleep","sleepMs":5000}`))
	if !errors.Is(err, ErrTimeout) || !has("echo: stderr line for "+res.RequestID) {
		t.Errorf("timeout: %v; logs incomplete", err)
	}
	res, err = rt.Invoke(context.Background(), "echo", []byte(`{"mode":"exit"}`))
	if !has("echo: exiting mid-invocation") || !has("echo: stderr line for "+res.RequestID) {
		t.Errorf("exit: %v; logs incomplete", err)
	}
}

func TestLineWriter(t *testing.T) {
	fn := newFunction(New(Options{}), Function{Name: "f"})
	w := fn.newLineWriter(1, "stderr", 2)
	for _, chunk := range []string{"one\r\ntw", "o\n", "", "three\nfour"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	w.flush()
	w.Write([]byte(strings.Repeat("x", maxLineBytes+1)))
	w.flush()
	var got []string
	for _, l := range fn.logs.snapshot() {
		got = append(got, fmt.Sprintf("%.8s(%d)", l.Line, len(l.Line)))
	}
	want := []string{"one(3)", "two(3)", "three(5)", "four(4)", "xxxxxxxx(65536)", "x(1)"}
	if !slices.Equal(got, want) {
		t.Errorf("lines %q, want %q", got, want)
	}
	if tail := w.tail(); len(tail) != 2 || tail[1] != "x" {
		t.Errorf("tail = %.20q", tail)
	}
}

func TestLogBufferKeepsTheLast(t *testing.T) {
	b := newLogBuffer(3)
	for i := range 5 {
		b.add(LogLine{Line: fmt.Sprint(i)})
	}
	var got []string
	for _, l := range b.snapshot() {
		got = append(got, l.Line)
	}
	if !slices.Equal(got, []string{"2", "3", "4"}) {
		t.Errorf("kept %v", got)
	}
}

func TestLogPipeRemovesSplitMarkers(t *testing.T) {
	fn := newFunction(New(Options{}), Function{Name: "f"})
	p, err := fn.newLogPipe(1, "stdout", 0)
	if err != nil {
		t.Fatal(err)
	}
	closePipes(p)
	m := string(syncMarker)
	var pending []byte
	for _, chunk := range []string{"ab" + m[:4], m[4:] + "cd\nx\x00", "y" + m + m[:3]} {
		pending = p.scan(append(pending, chunk...))
	}
	if string(pending) != m[:3] || p.seen != 2 {
		t.Errorf("pending %q, seen %d", pending, p.seen)
	}
	pending = p.scan(append(pending, "z\n"...))
	var got []string
	for _, l := range fn.logs.snapshot() {
		got = append(got, l.Line)
	}
	if want := []string{"abcd", "x\x00y" + m[:3] + "z"}; !slices.Equal(got, want) || len(pending) != 0 {
		t.Errorf("lines %q, want %q (pending %q)", got, want, pending)
	}
}
