package hr

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLoadSizeLimit(t *testing.T) {
	body := `[{"id":"E1","pad":"` + strings.Repeat("x", 2000) + `"}]`
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			w.Write([]byte(body[:10]))
			w.(http.Flusher).Flush() // no Content-Length
			w.Write([]byte(body[10:]))
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write([]byte(body))
	}))
	defer srv.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "big.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{srv.URL + "/length", srv.URL + "/chunked", "file://" + path} {
		l := &Loader{HTTPClient: srv.Client(), MaxBytes: 1000}
		if _, err := l.Load(context.Background(), u); err == nil || !strings.Contains(err.Error(), "larger than the limit of 1000 bytes") {
			t.Errorf("Load(%s) = %v, want the limit named", u, err)
		}
		l.MaxBytes = int64(len(body))
		if _, err := l.Load(context.Background(), u); err != nil {
			t.Errorf("Load(%s) at the limit: %v", u, err)
		}
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	mtime := time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	csvPath := write("roster.csv", string(readTestdata(t, "roster.csv")))
	jsonPath := write("roster data.json", string(readTestdata(t, "roster_wrapped.json")))
	noExt := write("roster", `[{"id":"E1"}]`)
	l := &Loader{Now: func() time.Time { return fetchNow }}
	tests := []struct {
		url, format, source string
		asOf                time.Time
		n                   int
	}{
		{"file://" + csvPath, "csv", AsOfFileTime, mtime, 3},
		{"file://localhost" + csvPath, "csv", AsOfFileTime, mtime, 3},
		{"file://" + strings.ReplaceAll(jsonPath, " ", "%20"), "json", AsOfField, time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC), 2},
		{"file://" + noExt, "json", AsOfFileTime, mtime, 1},
	}
	for _, tt := range tests {
		r, err := l.Load(context.Background(), tt.url)
		if err != nil {
			t.Errorf("Load(%s): %v", tt.url, err)
			continue
		}
		if r.Format != tt.format || r.AsOfSource != tt.source || !r.AsOf.Equal(tt.asOf) || len(r.Employees) != tt.n {
			t.Errorf("Load(%s) = %s, %s %v, %d employees; want %s, %s %v, %d", tt.url, r.Format, r.AsOfSource, r.AsOf, len(r.Employees), tt.format, tt.source, tt.asOf, tt.n)
		}
	}
	for u, want := range map[string]string{
		"file://" + filepath.Join(dir, "missing.csv"): "no such file or directory",
		"file://" + dir:                    "not a regular file",
		"file://" + write("empty.csv", ""): "empty roster",
	} {
		_, err := l.Load(context.Background(), u)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "hr: roster "+u+": ") {
			t.Errorf("Load(%s) = %v, want an error saying %q", u, err, want)
		}
	}
}
