package fcruntime

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// apiPrefix is where the SDK finds the runtime API
// (http://$FC_RUNTIME_API/2020-11-11/runtime/invocation/…).
const apiPrefix = "/2020-11-11/runtime/invocation/"

// timeoutGrace is how long past its deadline an invocation may still post
// its result: a handler that honours its context's deadline returns right
// at it.
const timeoutGrace = 200 * time.Millisecond

// routes is the runtime API of one instance [ALIYUN.md §4.1].
func (inst *instance) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+apiPrefix+"next", inst.serveNext)
	mux.HandleFunc("POST "+apiPrefix+"{id}/response", inst.serveResult)
	mux.HandleFunc("POST "+apiPrefix+"{id}/error", inst.serveResult)
	return mux
}

// serveNext long-polls until the instance has an invocation, then sends
// its event. It never answers with another status: the SDK would retry at
// once, in a tight loop. The SDK asks again before it has answered the
// current invocation; that request waits here until the current one is
// answered and the scheduler assigns a new one.
func (inst *instance) serveNext(w http.ResponseWriter, r *http.Request) {
	fn := inst.fn
	fn.mu.Lock()
	if inst.firstNext.IsZero() {
		inst.firstNext = time.Now()
		close(inst.ready)
	}
	fn.mu.Unlock()

	var inv *invocation
	select {
	case inv = <-inst.assign:
	case <-r.Context().Done():
		return
	case <-inst.gone:
		return
	}
	now := time.Now()
	deadline := now.Add(fn.cfg.Timeout)
	inv.markDelivered(now)
	inv.arm(fn.cfg.Timeout+timeoutGrace, func() {
		inst.abort(inv, errorf(ErrTimeout, "%s request %s after %v; instance %d killed",
			fn.cfg.Name, inv.id, fn.cfg.Timeout, inst.index))
	})
	fn.mu.Lock()
	inst.invocations++
	fn.mu.Unlock()

	fn.rt.invokeHeaders(w.Header(), &fn.cfg, inv, deadline)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.payload) // a failed write shows as a timeout
}

// invokeHeaders are the headers of a GET /next answer
// [ALIYUN.md §4.1 SRC, emulator checklist 19].
func (rt *Runtime) invokeHeaders(h http.Header, fn *Function, inv *invocation, deadline time.Time) {
	c := rt.opts.Credentials
	h.Set("x-fc-request-id", inv.id)
	h.Set("x-fc-function-deadline", strconv.FormatInt(deadline.UnixMilli(), 10))
	h.Set("x-fc-function-timeout", strconv.Itoa(fn.timeoutSeconds()))
	setHeaderIf(h, "x-fc-access-key-id", c.AccessKeyID)
	setHeaderIf(h, "x-fc-access-key-secret", c.AccessKeySecret)
	setHeaderIf(h, "x-fc-security-token", c.SecurityToken)
	h.Set("x-fc-function-name", fn.Name)
	h.Set("x-fc-function-handler", fn.Handler)
	h.Set("x-fc-function-memory", strconv.Itoa(fn.MemoryMB))
	h.Set("x-fc-region", rt.opts.Region)
	h.Set("x-fc-account-id", rt.opts.AccountID)
	h.Set("x-fc-qualifier", "LATEST")
	h.Set("x-fc-retry-count", strconv.Itoa(inv.retry))
}

func setHeaderIf(h http.Header, k, v string) {
	if v != "" {
		h.Set(k, v)
	}
}

// serveResult takes the current invocation's /response or /error and
// frees the instance for the next one.
func (inst *instance) serveResult(w http.ResponseWriter, r *http.Request) {
	fn := inst.fn
	fn.mu.Lock()
	inv := inst.current
	fn.mu.Unlock()
	if inv == nil || inv.id != r.PathValue("id") {
		http.Error(w, "fcruntime: no such invocation in progress on this instance", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxSyncPayload))
	var tooLarge *http.MaxBytesError
	if err != nil && !errors.As(err, &tooLarge) {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !inv.claim() { // too late: the deadline passed
		w.WriteHeader(http.StatusOK)
		return
	}
	inst.syncLogs()
	fn.release(inst) // before the caller hears of it, so that it finds the instance idle
	switch {
	case err != nil:
		err = errorf(ErrPayloadTooLarge, "%s request %s: response over %d bytes", fn.cfg.Name, inv.id, MaxSyncPayload)
		inv.complete(nil, nil, err)
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
	case strings.HasSuffix(r.URL.Path, "/error"):
		inv.complete(nil, parseFunctionError(body), nil)
		w.WriteHeader(http.StatusOK)
	default:
		inv.complete(body, nil, nil)
		w.WriteHeader(http.StatusOK)
	}
}
