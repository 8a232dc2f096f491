package cloudtest

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strconv"
	"time"
)

// route finds the operation a request asks for and the function that
// serves it. The operation names the counter ("scim.create").
type route func(r *http.Request) (op string, serve http.HandlerFunc)

// Handler returns the complete handler of one service, as its listener
// runs it: counting, logging, Intercept, latency, rate limit, faults, then
// the service itself. It lets a test drive a service through
// httptest.NewRecorder. (The drop faults need a real connection: with a
// recorder they abort the handler with http.ErrAbortHandler.)
func (s *Server) Handler(svc Service) http.Handler {
	var rt route
	switch svc {
	case OAuth:
		rt = s.routeOAuth
	case SCIM:
		rt = s.routeSCIM
	case KMS:
		rt = s.routeKMS
	case RAM:
		rt = s.routeRAM
	default:
		panic("cloudtest: unknown service " + string(svc))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.handle(svc, rt, w, r)
	})
}

// handle runs one request through the pipeline and accounts for it.
func (s *Server) handle(svc Service, rt route, w http.ResponseWriter, r *http.Request) {
	start, received := time.Now(), s.opts.Now()
	op, serve := rt(r)
	key := string(svc) + "." + op
	s.counters.add(key)
	// Answers are held until the call is counted and logged, so a client
	// that has read its answer always finds it in Counters and RAMLog (a
	// large answer sent with Content-Length, such as a full ListUsers
	// page, would otherwise reach the client before the handler returns).
	sw := &statusWriter{ResponseWriter: w, hold: true}
	defer func() {
		outcome := "dropped"
		if !sw.dropped {
			outcome = strconv.Itoa(sw.statusCode())
		}
		s.counters.add(key + "." + outcome)
		if svc == RAM {
			s.logRAMCall(received, r, sw)
		}
		sw.release()
		s.logf("cloudtest: %s %s %s %s -> %s in %s", svc, op, r.Method, r.URL.Path, outcome, time.Since(start).Round(time.Microsecond))
	}()
	s.dispatch(svc, op, serve, sw, r)
}

// dispatch applies Intercept, latency, the rate limit and faults, then
// serves the request.
func (s *Server) dispatch(svc Service, op string, serve http.HandlerFunc, w *statusWriter, r *http.Request) {
	if ic := s.Intercept; ic != nil && ic(svc, op, w, r) {
		return
	}
	// A request refused by the rate limit does not use up a fault.
	var f fault
	limited, wait := false, time.Duration(0)
	if svc == SCIM && s.limiter != nil {
		var ok bool
		ok, wait = s.limiter.take()
		limited = !ok
	}
	if !limited {
		f = s.faults.decide(svc)
	}
	if svc == SCIM {
		f.latency += s.opts.Latency
	}
	if f.latency > 0 && !sleep(r.Context(), f.latency) {
		w.dropped = true // the client went away
		return
	}
	if limited {
		s.serviceError(svc, w, http.StatusTooManyRequests, "", wait)
		return
	}
	switch f.kind {
	case DropBefore:
		w.drop()
		return
	case Error5xx:
		s.serviceError(svc, w, http.StatusServiceUnavailable, "", 0)
		return
	case Throttle:
		s.serviceError(svc, w, http.StatusTooManyRequests, "", f.retryAfter)
		return
	case faultError:
		s.serviceError(svc, w, f.status, f.code, f.retryAfter)
		return
	case ErrorAfter, DropAfter:
		serve(&bufferWriter{header: http.Header{}}, r) // the outcome is thrown away
		if f.kind == DropAfter {
			w.drop()
		} else {
			s.serviceError(svc, w, http.StatusInternalServerError, "", 0)
		}
		return
	}
	serve(w, r)
}

// sleep waits d, or until ctx ends; it reports whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// codeNoter is implemented by the response writers that remember the
// service error code of the answer, for the RAM call log.
type codeNoter interface{ noteCode(code string) }

// noteCode tells w (if it listens) which error code the answer carries.
func noteCode(w http.ResponseWriter, code string) {
	if n, ok := w.(codeNoter); ok {
		n.noteCode(code)
	}
}

// statusWriter records the status and error code of an answer, and can
// drop the connection instead of answering. With hold set it keeps the
// answer until release.
type statusWriter struct {
	http.ResponseWriter
	status  int
	code    string
	dropped bool
	hold    bool
	held    bytes.Buffer
	conn    net.Conn // a dropped connection, closed by release
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	if !w.hold {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.hold {
		return w.held.Write(p)
	}
	return w.ResponseWriter.Write(p)
}

// release sends a held answer, or closes a dropped connection.
func (w *statusWriter) release() {
	if w.dropped {
		if w.conn != nil {
			w.conn.Close()
		}
		return
	}
	if !w.hold {
		return
	}
	w.hold = false
	w.ResponseWriter.WriteHeader(w.statusCode())
	w.ResponseWriter.Write(w.held.Bytes())
}

func (w *statusWriter) noteCode(code string) { w.code = code }

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) statusCode() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Flush sends what was written, unless the answer is held.
func (w *statusWriter) Flush() {
	if !w.hold {
		http.NewResponseController(w.ResponseWriter).Flush()
	}
}

// drop closes the connection without writing anything, once the call is
// accounted for (release). Without a hijackable connection it aborts the
// handler, which has the same effect on a real server.
func (w *statusWriter) drop() {
	w.dropped = true
	conn, _, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	w.conn = conn
}

// bufferWriter is a throw-away http.ResponseWriter for the "After" faults.
type bufferWriter struct {
	header http.Header
	body   bytes.Buffer
}

func (b *bufferWriter) Header() http.Header         { return b.header }
func (b *bufferWriter) WriteHeader(int)             {}
func (b *bufferWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
