package fcruntime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
)

// HTTPTrigger configures an HTTP trigger (triggerType http).
type HTTPTrigger struct {
	// Methods are the methods allowed; others get 405 without an
	// invocation. Empty allows all.
	Methods []string
	// AuthType is "anonymous" (or empty): every request passes; or
	// "function": a request needs an Authorization header, else 403. The
	// signature is not checked. "jwt" is not supported.
	AuthType string
}

// httpTrigger is the http.Handler of one HTTP trigger.
type httpTrigger struct {
	rt           *Runtime
	function     string
	methods      []string // upper case
	auth         bool
	triggerID    string
	domainPrefix string
}

// HTTPHandler returns a handler that serves requests as an HTTP trigger of
// the function does: it checks the method and authType, converts the
// request into the v1 event (ALIYUN.md §4.2), invokes the function
// synchronously and maps its {statusCode, headers, isBase64Encoded, body}
// back to the response. A function error, timeout or exit answers 502
// with X-Fc-Error-Type: UnhandledInvocationError and the error body; a
// body over MaxSyncPayload 413. Every answer from an invocation carries
// X-Fc-Request-Id. It panics on an unsupported AuthType.
func (rt *Runtime) HTTPHandler(function string, t HTTPTrigger) http.Handler {
	h := &httpTrigger{
		rt:           rt,
		function:     function,
		triggerID:    newUUID(),
		domainPrefix: domainLabel(function) + "-" + randomHex(5),
	}
	for _, m := range t.Methods {
		h.methods = append(h.methods, strings.ToUpper(m))
	}
	switch t.AuthType {
	case "", "anonymous":
	case "function":
		h.auth = true
	default:
		panic(fmt.Sprintf("fcruntime: HTTP trigger authType %q is not supported", t.AuthType))
	}
	return h
}

func (h *httpTrigger) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if len(h.methods) > 0 && !slices.Contains(h.methods, r.Method) {
		w.Header().Set("Allow", strings.Join(h.methods, ", "))
		http.Error(w, "fcruntime: method not allowed by the HTTP trigger", http.StatusMethodNotAllowed)
		return
	}
	if h.auth && r.Header.Get("Authorization") == "" {
		http.Error(w, "fcruntime: the HTTP trigger requires a signed request (Authorization header)", http.StatusForbidden)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxSyncPayload))
	if err != nil {
		status := http.StatusBadRequest
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		http.Error(w, "fcruntime: request body: "+err.Error(), status)
		return
	}
	now := time.Now()
	id := newRequestID(now)
	payload, err := json.Marshal(h.newHTTPEvent(r, body, id, now))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	res, err := h.rt.invoke(r.Context(), h.function, payload, call{id: id, limit: MaxSyncPayload})
	w.Header().Set("X-Fc-Request-Id", id)
	var exit *ExitError
	switch {
	case err == nil && res.Err != nil:
		writeFunctionError(w, res.Err.Raw)
	case err == nil:
		writeHTTPResponse(w, res.Payload)
	case errors.Is(err, ErrTimeout):
		writeUnhandled(w, "FunctionTimeout", err.Error())
	case errors.Is(err, ErrStartTimeout):
		writeUnhandled(w, "InstanceStartTimeout", err.Error())
	case errors.As(err, &exit):
		writeUnhandled(w, "ProcessExited", err.Error())
	case errors.Is(err, ErrPayloadTooLarge):
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
	case errors.Is(err, ErrNotDeployed):
		http.Error(w, err.Error(), http.StatusNotFound)
	default: // closed, or the client went away
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
	}
}

// ServeHTTPTrigger serves HTTPHandler(function, t) on 127.0.0.1 at a new
// port until Close, and returns its base URL ("http://127.0.0.1:PORT"),
// for curl or another process.
func (rt *Runtime) ServeHTTPTrigger(function string, t HTTPTrigger) (string, error) {
	if _, err := rt.lookup(function); err != nil {
		return "", err
	}
	h := rt.HTTPHandler(function, t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return rt.ctx }}
	rt.mu.Lock()
	if rt.closed {
		rt.mu.Unlock()
		ln.Close()
		return "", ErrClosed
	}
	rt.servers = append(rt.servers, srv)
	rt.mu.Unlock()
	go func() { _ = srv.Serve(ln) }() // ErrServerClosed after Close
	return "http://" + ln.Addr().String(), nil
}
