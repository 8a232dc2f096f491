package fcruntime

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// serve runs one request through h.
func serve(h http.Handler, method, target string, body []byte, header http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// echoedEvent decodes the event the echo function sent back as its body.
func echoedEvent(t *testing.T, w *httptest.ResponseRecorder) httpEvent {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var ev httpEvent
	if err := json.Unmarshal(w.Body.Bytes(), &ev); err != nil {
		t.Fatalf("event %s: %v", w.Body, err)
	}
	return ev
}

func TestHTTPTriggerMethods(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo"})
	h := rt.HTTPHandler("echo", HTTPTrigger{Methods: []string{"GET", "post"}})
	w := serve(h, http.MethodDelete, "/x", nil, nil)
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, POST" {
		t.Errorf("DELETE: %d, Allow %q", w.Code, w.Header().Get("Allow"))
	}
	if c := rt.Counters("echo"); c != (Counters{}) {
		t.Errorf("a refused method invoked the function: %+v", c)
	}
	if w := serve(h, http.MethodPost, "/x", nil, nil); w.Code != http.StatusOK {
		t.Errorf("POST: %d %s", w.Code, w.Body)
	}
}

func TestHTTPTriggerEvent(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo"})
	h := rt.HTTPHandler("echo", HTTPTrigger{})
	before := time.Now()
	w := serve(h, http.MethodPost, "/hook/a%20b?x=1&x=2&y=3", []byte("hello"), http.Header{
		"X-Multi":    {"a", "b"},
		"User-Agent": {"curl/8.0"},
	})
	ev := echoedEvent(t, w)

	id := w.Header().Get("X-Fc-Request-Id")
	if !requestIDPattern.MatchString(id) || ev.RequestContext.RequestID != id {
		t.Errorf("request id: header %q, event %q", id, ev.RequestContext.RequestID)
	}
	if w.Header().Get("X-Echo") != "yes" || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("response headers = %v", w.Header())
	}
	if ev.Version != "v1" || ev.RawPath != "/hook/a%20b" || ev.RequestContext.HTTP.Path != "/hook/a b" {
		t.Errorf("version %q, rawPath %q, path %q", ev.Version, ev.RawPath, ev.RequestContext.HTTP.Path)
	}
	if ev.Body != "hello" || ev.IsBase64Encoded {
		t.Errorf("body %q, base64 %v", ev.Body, ev.IsBase64Encoded)
	}
	if ev.Headers["X-Multi"] != "a,b" || ev.Headers["User-Agent"] != "curl/8.0" {
		t.Errorf("headers = %v", ev.Headers)
	}
	if ev.QueryParameters["x"] != "1,2" || ev.QueryParameters["y"] != "3" || len(ev.QueryParameters) != 2 {
		t.Errorf("queryParameters = %v", ev.QueryParameters)
	}
	rc := ev.RequestContext
	if rc.AccountID != "1357924680135792" || !strings.HasSuffix(rc.DomainName, ".cn-shanghai.fcapp.run") ||
		!strings.HasPrefix(rc.DomainName, rc.DomainPrefix+".") || !strings.HasPrefix(rc.DomainPrefix, "echo-") ||
		rc.TriggerID == "" {
		t.Errorf("requestContext = %+v", rc)
	}
	if d := rc.HTTP; d.Method != "POST" || d.Protocol != "HTTP/1.1" || d.SourceIP != "192.0.2.1" || d.UserAgent != "curl/8.0" {
		t.Errorf("requestContext.http = %+v", d)
	}
	tm, err := time.Parse(time.RFC3339, rc.Time)
	if err != nil || tm.Before(before.Truncate(time.Second)) || !strings.HasSuffix(rc.Time, "Z") {
		t.Errorf("time %q: %v", rc.Time, err)
	}
	if !regexp.MustCompile(`^\d{13}$`).MatchString(rc.TimeEpoch) {
		t.Errorf("timeEpoch %q", rc.TimeEpoch)
	}
	// timeEpoch is a JSON string, and the fields are those of the fc3 template.
	var raw map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["requestContext"].(map[string]any)["timeEpoch"].(string); !ok {
		t.Errorf("timeEpoch is not a JSON string")
	}
	// The fc3 component's own template, from the shared vendor data when
	// it is around (it is not part of this repository).
	template, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "shared", "vendor-data", "fc3", "http-event-template.json"))
	if err != nil {
		t.Skip("no ../shared/vendor-data/fc3/http-event-template.json to compare with:", err)
	}
	if got, want := jsonPaths(t, w.Body.Bytes()), jsonPaths(t, template); !slices.Equal(got, want) {
		t.Errorf("event fields differ from the fc3 template:\n got %v\nwant %v", got, want)
	}
}

// jsonPaths lists the object keys of a JSON document as dotted paths,
// sorted, without descending into headers and queryParameters.
func jsonPaths(t *testing.T, doc []byte) []string {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	var paths []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			paths = append(paths, prefix+k)
			if sub, ok := v.(map[string]any); ok && k != "headers" && k != "queryParameters" {
				walk(prefix+k+".", sub)
			}
		}
	}
	walk("", v)
	slices.Sort(paths)
	return paths
}

func TestHTTPTriggerBinaryBodies(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo"})
	h := rt.HTTPHandler("echo", HTTPTrigger{})
	bin := []byte{0xff, 0xfe, 0x00, 'a'}
	ev := echoedEvent(t, serve(h, http.MethodPut, "/", bin, nil))
	if !ev.IsBase64Encoded || ev.Body != base64.StdEncoding.EncodeToString(bin) {
		t.Errorf("binary request body: %q, base64 %v", ev.Body, ev.IsBase64Encoded)
	}
	w := serve(h, http.MethodGet, "/?binary=1", nil, nil)
	if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), []byte{0xff, 0x00, 0xfe}) ||
		w.Header().Get("Content-Type") != "application/octet-stream" {
		t.Errorf("binary response: %d %q %v", w.Code, w.Body.Bytes(), w.Header())
	}
}

func TestHTTPTriggerResponseMapping(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo", Timeout: 300 * time.Millisecond})
	h := rt.HTTPHandler("echo", HTTPTrigger{})
	if w := serve(h, http.MethodGet, "/?status=201", nil, nil); w.Code != http.StatusCreated {
		t.Errorf("status=201: %d", w.Code)
	}

	w := serve(h, http.MethodGet, "/?error=1", nil, nil)
	var fe FunctionError
	if w.Code != http.StatusBadGateway || w.Header().Get("X-Fc-Error-Type") != "UnhandledInvocationError" ||
		json.Unmarshal(w.Body.Bytes(), &fe) != nil || fe.Message != "http handler failed" || fe.Type != "errorString" {
		t.Errorf("function error: %d %v %s", w.Code, w.Header(), w.Body)
	}

	w = serve(h, http.MethodGet, "/?sleepMs=3000", nil, nil)
	fe = FunctionError{}
	if w.Code != http.StatusBadGateway || w.Header().Get("X-Fc-Error-Type") != "UnhandledInvocationError" ||
		json.Unmarshal(w.Body.Bytes(), &fe) != nil || fe.Type != "FunctionTimeout" {
		t.Errorf("timeout: %d %v %s", w.Code, w.Header(), w.Body)
	}
}

func TestWriteHTTPResponse(t *testing.T) {
	for _, tc := range []struct {
		payload, body, contentType string
		status                     int
	}{
		{`{"statusCode":204,"headers":{"Content-Type":"text/plain"},"body":""}`, "", "text/plain", 204},
		{`{"statusCode":0,"body":"x"}`, "x", "", 200},
		{`{"statusCode":200,"isBase64Encoded":true,"body":"aGk="}`, "hi", "", 200},
		{`{"ok":true}`, `{"ok":true}`, "application/json", 200},
		{`"just a string"`, `"just a string"`, "application/json", 200},
	} {
		w := httptest.NewRecorder()
		writeHTTPResponse(w, []byte(tc.payload))
		if w.Code != tc.status || w.Body.String() != tc.body || w.Header().Get("Content-Type") != tc.contentType {
			t.Errorf("%s: %d %q %q", tc.payload, w.Code, w.Body, w.Header().Get("Content-Type"))
		}
	}
	w := httptest.NewRecorder()
	writeHTTPResponse(w, []byte(`{"statusCode":200,"isBase64Encoded":true,"body":"!!"}`))
	if w.Code != http.StatusBadGateway {
		t.Errorf("bad base64: %d", w.Code)
	}
}

func TestHTTPTriggerAuthTypeFunction(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo"})
	h := rt.HTTPHandler("echo", HTTPTrigger{AuthType: "function"})
	if w := serve(h, http.MethodGet, "/", nil, nil); w.Code != http.StatusForbidden {
		t.Errorf("unsigned: %d", w.Code)
	}
	if c := rt.Counters("echo"); c.Invocations != 0 {
		t.Errorf("an unsigned request invoked the function")
	}
	w := serve(h, http.MethodGet, "/", nil, http.Header{"Authorization": {"ACS3-HMAC-SHA256 Credential=x"}})
	if w.Code != http.StatusOK {
		t.Errorf("signed: %d %s", w.Code, w.Body)
	}
	defer func() {
		if recover() == nil {
			t.Error("authType jwt did not panic")
		}
	}()
	rt.HTTPHandler("echo", HTTPTrigger{AuthType: "jwt"})
}

func TestServeHTTPTrigger(t *testing.T) {
	rt := newRuntime(t, Function{Name: "echo"})
	if _, err := rt.ServeHTTPTrigger("nope", HTTPTrigger{}); err == nil {
		t.Error("ServeHTTPTrigger of an unknown function: no error")
	}
	url, err := rt.ServeHTTPTrigger("echo", HTTPTrigger{Methods: []string{"POST"}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url+"/webhook?src=hr", "application/json", strings.NewReader(`{"event":"hire"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var ev httpEvent
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &ev) != nil ||
		ev.Body != `{"event":"hire"}` || ev.RequestContext.HTTP.SourceIP != "127.0.0.1" || ev.RawPath != "/webhook" {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
	resp, err = http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	http.DefaultClient.CloseIdleConnections()
}
