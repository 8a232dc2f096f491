package hr

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/secrets"
)

var fetchNow = time.Date(2026, 11, 27, 2, 30, 0, 0, time.UTC)

// rosterServer serves files by path over TLS and records the Authorization
// header of the last request.
type rosterServer struct {
	*httptest.Server
	mu   sync.Mutex
	auth string
}

type file struct {
	body         string
	contentType  string
	lastModified string
	status       int
}

func newRosterServer(t *testing.T, files map[string]file) *rosterServer {
	s := &rosterServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.auth = r.Header.Get("Authorization")
		s.mu.Unlock()
		f, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if f.contentType != "" {
			w.Header().Set("Content-Type", f.contentType)
		} else {
			w.Header()["Content-Type"] = nil // no sniffing by net/http
		}
		if f.lastModified != "" {
			w.Header().Set("Last-Modified", f.lastModified)
		}
		if f.status != 0 {
			w.WriteHeader(f.status)
		}
		w.Write([]byte(f.body))
	}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // TLS handshake errors are expected
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *rosterServer) lastAuth() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.auth
}

func bearer(v string) func(context.Context) (secrets.Value, error) {
	return func(context.Context) (secrets.Value, error) { return secrets.NewValue(v), nil }
}

func TestLoadHTTPS(t *testing.T) {
	const csvBody = "id,email\nE1,a@example.com\n"
	const jsonBody = `[{"id":"E1"}]`
	lm := "Thu, 26 Nov 2026 18:00:00 GMT"
	lmTime := time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)
	srv := newRosterServer(t, map[string]file{
		"/roster.json":        {body: jsonBody, contentType: "application/json; charset=utf-8", lastModified: lm},
		"/wrapped":            {body: `{"asOf":"2026-11-27T00:00:00Z","employees":[{"id":"E1"}]}`, contentType: "application/json", lastModified: lm},
		"/csv-as-json.json":   {body: csvBody, contentType: "text/csv"},
		"/export.csv":         {body: csvBody, contentType: "application/octet-stream"},
		"/export":             {body: csvBody, contentType: "text/plain"},
		"/sniff-json":         {body: jsonBody},
		"/vendor":             {body: jsonBody, contentType: "application/vnd.hr+json"},
		"/bad-last-modified":  {body: jsonBody, lastModified: "yesterday"},
		"/empty.json":         {body: `[]`, contentType: "application/json"},
		"/broken.json":        {body: `[{"id":`, contentType: "application/json"},
		"/unavailable":        {body: "down for maintenance", status: http.StatusServiceUnavailable},
		"/forbidden.json":     {body: `{"error":"bad token"}`, status: http.StatusForbidden},
		"/roster-created.csv": {body: csvBody, status: http.StatusCreated},
	})
	tests := []struct {
		path       string
		format     string
		asOf       time.Time
		asOfSource string
		err        string
	}{
		{path: "/roster.json", format: "json", asOf: lmTime, asOfSource: AsOfLastModified},
		{path: "/wrapped", format: "json", asOf: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), asOfSource: AsOfField},
		{path: "/csv-as-json.json", format: "csv", asOf: fetchNow, asOfSource: AsOfFetchTime},
		{path: "/export.csv", format: "csv", asOf: fetchNow, asOfSource: AsOfFetchTime},
		{path: "/export", format: "csv", asOf: fetchNow, asOfSource: AsOfFetchTime},
		{path: "/sniff-json", format: "json", asOf: fetchNow, asOfSource: AsOfFetchTime},
		{path: "/vendor", format: "json", asOf: fetchNow, asOfSource: AsOfFetchTime},
		{path: "/bad-last-modified", format: "json", asOf: fetchNow, asOfSource: AsOfFetchTime},
		{path: "/roster-created.csv", format: "csv", asOf: fetchNow, asOfSource: AsOfFetchTime},
		{path: "/empty.json", err: "empty roster: no employee records"},
		{path: "/broken.json", err: "not valid JSON"},
		{path: "/unavailable", err: "GET: 503 Service Unavailable"},
		{path: "/forbidden.json", err: "GET: 403 Forbidden"},
		{path: "/missing", err: "GET: 404 Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			l := &Loader{HTTPClient: srv.Client(), Credentials: bearer("Bearer tok-123"), Now: func() time.Time { return fetchNow }}
			r, err := l.Load(context.Background(), srv.URL+tt.path)
			if srv.lastAuth() != "Bearer tok-123" {
				t.Errorf("Authorization = %q, want the credentials", srv.lastAuth())
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Load = %v, want an error saying %q", err, tt.err)
				}
				if want := "hr: roster " + srv.URL + tt.path + ": "; !strings.HasPrefix(err.Error(), want) {
					t.Errorf("error %q does not start with %q", err, want)
				}
				if strings.Contains(err.Error(), "tok-123") {
					t.Errorf("error %q leaks the credentials", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Format != tt.format || !r.AsOf.Equal(tt.asOf) || r.AsOfSource != tt.asOfSource || r.Source != srv.URL+tt.path {
				t.Errorf("Format %q, AsOf %v (%s), Source %q; want %q, %v (%s), %q", r.Format, r.AsOf, r.AsOfSource, r.Source, tt.format, tt.asOf, tt.asOfSource, srv.URL+tt.path)
			}
			if len(r.Employees) != 1 || r.Employees[0].ID != "E1" {
				t.Errorf("employees %+v", r.Employees)
			}
		})
	}
}

func TestLoadCredentials(t *testing.T) {
	srv := newRosterServer(t, map[string]file{"/r.json": {body: `[{"id":"E1"}]`, contentType: "application/json"}})
	tests := []struct {
		name  string
		creds func(context.Context) (secrets.Value, error)
		auth  string // sent, when no error
		err   string
	}{
		{name: "none", creds: nil, auth: ""},
		{name: "bearer", creds: bearer("Bearer s3cr3t-token"), auth: "Bearer s3cr3t-token"},
		{name: "basic", creds: bearer("Basic czNjcjN0OnB3"), auth: "Basic czNjcjN0OnB3"},
		{name: "trailing newline trimmed", creds: bearer("Bearer s3cr3t-token\n"), auth: "Bearer s3cr3t-token"},
		{name: "scheme case-insensitive", creds: bearer("bearer s3cr3t-token"), auth: "bearer s3cr3t-token"},
		{name: "bare token", creds: bearer("s3cr3t-token"), err: `"Bearer <token>" or "Basic <base64>"`},
		{name: "other scheme", creds: bearer("Token s3cr3t-token"), err: `"Bearer <token>" or "Basic <base64>"`},
		{name: "scheme only", creds: bearer("Bearer "), err: `"Bearer <token>" or "Basic <base64>"`},
		{name: "line break", creds: bearer("Bearer s3cr3t\r\nX-Evil: 1"), err: "contain a line break"},
		{name: "secret store fails", creds: func(context.Context) (secrets.Value, error) {
			return secrets.Value{}, errors.New("kms: throttled")
		}, err: "reading the credentials: kms: throttled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &Loader{HTTPClient: srv.Client(), Credentials: tt.creds}
			_, err := l.Load(context.Background(), srv.URL+"/r.json")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Load = %v, want an error saying %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "s3cr3t") {
					t.Errorf("error %q leaks the credentials", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := srv.lastAuth(); got != tt.auth {
				t.Errorf("Authorization = %q, want %q", got, tt.auth)
			}
		})
	}
}

func TestLoadUserinfoNeverShown(t *testing.T) {
	srv := newRosterServer(t, map[string]file{"/r.json": {body: `[{"id":"E1"}]`, contentType: "application/json"}})
	u := strings.Replace(srv.URL, "https://", "https://hruser:pa55word@", 1)
	l := &Loader{HTTPClient: srv.Client()}
	r, err := l.Load(context.Background(), u+"/r.json")
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != srv.URL+"/r.json" {
		t.Errorf("Source = %q, want %q", r.Source, srv.URL+"/r.json")
	}
	if got := srv.lastAuth(); got != "Basic aHJ1c2VyOnBhNTV3b3Jk" {
		t.Errorf("Authorization = %q, want the URL's userinfo as Basic", got)
	}
	for _, raw := range []string{u + "/missing", "http://hruser:pa55word@example.com/r.json", "https://hruser:pa55word@[::1/r.json", "https://hruser:pa55word@127.0.0.1:1/r.json"} {
		_, err := l.Load(context.Background(), raw)
		if err == nil || strings.Contains(err.Error(), "pa55word") || strings.Contains(err.Error(), "hruser") {
			t.Errorf("Load(%q) = %v; want an error without the userinfo", raw, err)
		}
	}
}

func TestLoadRefusedURLs(t *testing.T) {
	tests := []struct{ url, err string }{
		{"http://hr.example.com/roster.json", "http:// is not allowed, use https:// (credentials must never travel in clear text)"},
		{"HTTP://hr.example.com/roster.json", "http:// is not allowed"},
		{"ftp://hr.example.com/roster.csv", `scheme "ftp" is not supported`},
		{"/srv/roster.csv", "no scheme: use https:// or file://"},
		{"file://fileserver/share/roster.csv", `not host "fileserver"`},
		{"file:roster.csv", "absolute path"},
		{"https://hr.example.com:port/r", "URL cannot be parsed: invalid port"},
	}
	for _, tt := range tests {
		_, err := (&Loader{}).Load(context.Background(), tt.url)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("Load(%q) = %v, want an error saying %q", tt.url, err, tt.err)
		}
	}
}

func TestLoadRedirectToHTTPRefused(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the plain-text server was called, Authorization %q", r.Header.Get("Authorization"))
	}))
	defer plain.Close()
	tls := httptest.NewTLSServer(http.RedirectHandler(plain.URL+"/r.json", http.StatusFound))
	defer tls.Close()
	l := &Loader{HTTPClient: tls.Client(), Credentials: bearer("Bearer s3cr3t")}
	_, err := l.Load(context.Background(), tls.URL+"/r.json")
	if err == nil || !strings.Contains(err.Error(), "redirect to a non-https URL refused") {
		t.Errorf("Load = %v, want the redirect refused", err)
	}
}

func TestLoadCancelled(t *testing.T) {
	srv := newRosterServer(t, map[string]file{"/r.json": {body: `[{"id":"E1"}]`}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := (&Loader{HTTPClient: srv.Client()}).Load(ctx, srv.URL+"/r.json")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Load with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestLoadDefaultClientRejectsUnknownCA(t *testing.T) {
	srv := newRosterServer(t, map[string]file{"/r.json": {body: `[{"id":"E1"}]`}})
	_, err := (&Loader{}).Load(context.Background(), srv.URL+"/r.json")
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("Load from a self-signed server = %v, want a certificate error", err)
	}
}
