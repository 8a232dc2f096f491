package fcrun

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
	"github.com/google/go-cmp/cmp"

	"github.com/ramsync/ramsync/pkg/secrets"
)

// seen records what the handler got.
type seen struct {
	Method, Path, Query, Body, Sig, Accept, Host string
}

func echo(got *seen) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		*got = seen{r.Method, r.URL.Path, r.URL.RawQuery, string(b), r.Header.Get("x-ramsync-signature"), r.Header.Get("Accept"), r.Host}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte(`{"ok":true}`))
	})
}

func TestServeHTTPWithARealEventShape(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "http-event.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev HTTPEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	var got seen
	res := ServeHTTP(context.Background(), echo(&got), ev)
	want := seen{"POST", "/hr/events", "source=workday", `{"id":"evt-8c1f","type":"employee.hired"}`, "t=1764234000,v1=00ff",
		"application/json,text/plain", "ramsync-webhook-abcdefghij.cn-hangzhou.fcapp.run"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	if res.StatusCode != 202 || res.Body != `{"ok":true}` || res.Headers["Content-Type"] != "application/json" || res.IsBase64Encoded {
		t.Errorf("response = %+v", res)
	}
	// The answer has the keys FC maps back to HTTP.
	b, _ := json.Marshal(res)
	for _, k := range []string{`"statusCode":202`, `"headers":`, `"isBase64Encoded":false`, `"body":`} {
		if !bytes.Contains(b, []byte(k)) {
			t.Errorf("response JSON %s lacks %s", b, k)
		}
	}
}

// The fc3 component's own HTTP event template, when the shared vendor
// data is around.
func TestServeHTTPWithTheFC3Template(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "vendor-data", "fc3", "http-event-template.json"))
	if err != nil {
		t.Skip("no ../shared/vendor-data (only needed for this cross-check):", err)
	}
	var ev HTTPEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("the fc3 template does not decode into HTTPEvent: %v", err)
	}
	var got seen
	res := ServeHTTP(context.Background(), echo(&got), ev)
	if res.StatusCode != 202 || got.Method != ev.RequestContext.HTTP.Method {
		t.Errorf("template: got %+v, response %+v", got, res)
	}
}

func TestServeHTTPBodies(t *testing.T) {
	var got seen
	ev := HTTPEvent{Body: base64.StdEncoding.EncodeToString([]byte("\xff\x00bin")), IsBase64Encoded: true,
		RequestContext: RequestContext{HTTP: HTTPContext{Method: "POST"}}}
	ServeHTTP(context.Background(), echo(&got), ev)
	if got.Body != "\xff\x00bin" {
		t.Errorf("base64 body = %q", got.Body)
	}
	ev.Body = "not base64!"
	res := ServeHTTP(context.Background(), echo(&got), ev)
	if res.StatusCode != 400 {
		t.Errorf("bad base64: %+v", res)
	}
	bin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte{0xff, 0xfe}) })
	res = ServeHTTP(context.Background(), bin, HTTPEvent{})
	if !res.IsBase64Encoded || res.Body != base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe}) || res.StatusCode != 200 {
		t.Errorf("binary answer = %+v", res)
	}
}

func TestTwoSpellingsOfOneHeaderAreBothSeen(t *testing.T) {
	var vals []string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { vals = r.Header.Values("X-Ramsync-Signature") })
	ServeHTTP(context.Background(), h, HTTPEvent{Headers: map[string]string{"x-ramsync-signature": "a", "X-Ramsync-Signature": "b"}})
	if len(vals) != 2 {
		t.Errorf("values = %v, want both", vals)
	}
}

func TestLoggerAddsFunctionAndRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := NewLogger(&buf, "webhook", slog.LevelInfo)
	ctx := fccontext.NewContext(context.Background(), &fccontext.FcContext{RequestID: "1-abc-def"})
	log.InfoContext(ctx, "hello", "k", 1)
	log.Debug("hidden")
	log.With("a", "b").InfoContext(ctx, "with")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines = %q", lines)
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		if m["function"] != "webhook" || m["requestId"] != "1-abc-def" || m["time"] == nil || m["level"] != "INFO" {
			t.Errorf("line %s lacks function/requestId/time/level", l)
		}
	}
}

func TestBeginRecordsCredentials(t *testing.T) {
	store := secrets.NewCredentialStore(secrets.Credentials{AccessKeyID: "env", AccessKeySecret: "env"})
	ctx := fccontext.NewContext(context.Background(), &fccontext.FcContext{RequestID: "r1", RetryCount: 2,
		Credentials: fccontext.Credentials{AccessKeyId: "STS.a", AccessKeySecret: "b", SecurityToken: "c"}})
	inv := Begin(ctx, store)
	if inv.RequestID != "r1" || inv.RetryCount != 2 {
		t.Errorf("invocation = %+v", inv)
	}
	if c := store.Get(); c.AccessKeyID != "STS.a" || c.SecurityToken != "c" {
		t.Errorf("credentials = %v", c)
	}
}

func TestFitMemory(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	defer debug.SetMemoryLimit(math.MaxInt64)
	if got := FitMemory(env(map[string]string{"FC_FUNCTION_MEMORY_SIZE": "128"})); got != 128<<20*8/10 || debug.SetMemoryLimit(-1) != got {
		t.Errorf("limit = %d", got)
	}
	if got := FitMemory(env(map[string]string{"FC_FUNCTION_MEMORY_SIZE": "128", "GOMEMLIMIT": "1GiB"})); got != 0 {
		t.Errorf("GOMEMLIMIT should win, got %d", got)
	}
	if got := FitMemory(env(nil)); got != 0 {
		t.Errorf("outside FC: %d", got)
	}
}
