package hr

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/secrets"
)

func workers(n int) []cloudtest.Worker {
	w := make([]cloudtest.Worker, n)
	for i := range w {
		w[i] = cloudtest.Worker{ID: fmt.Sprintf("E%05d", i), FirstName: "First", LastName: fmt.Sprint("Last", i),
			Email: fmt.Sprintf("user%05d@example.com", i), Terminated: i%10 == 9, Department: "R&D", Phones: []string{"+86 10 5555 0100"}}
	}
	return w
}

func newHRIS(t *testing.T, n, pageSize int) *cloudtest.HRIS {
	h := cloudtest.NewHRIS(cloudtest.HRISOptions{Username: "ISU_ramsync@acme", Password: "pa55-w0rd", PageSize: pageSize, Workers: workers(n)})
	t.Cleanup(h.Close)
	return h
}

func basic(h *cloudtest.HRIS) func(context.Context) (secrets.Value, error) {
	return func(context.Context) (secrets.Value, error) { return secrets.NewValue(h.BasicAuth()), nil }
}

// Each vendor's export read from the double over HTTPS with Basic auth;
// SuccessFactors over three pages.
func TestLoadHRIS(t *testing.T) {
	h := newHRIS(t, 2500, 1000)
	for _, tt := range []struct {
		url, format string
		requests    int64
	}{
		{h.WorkdayURL, FormatWorkday, 1},
		{h.BambooHRURL, FormatBambooHR, 1},
		{h.SuccessFactorsURL, FormatSuccessFactors, 3},
	} {
		for _, format := range []string{"", tt.format} {
			t.Run(tt.format+"/"+format, func(t *testing.T) {
				before := h.Counters()["hris."+tt.format+".200"]
				l := &Loader{Format: format, HTTPClient: h.Client(), Credentials: basic(h), Now: func() time.Time { return fetchNow }}
				r, err := l.Load(context.Background(), tt.url)
				if err != nil {
					t.Fatal(err)
				}
				if r.Format != tt.format || len(r.Employees) != 2500 || len(r.Problems) != 0 {
					t.Fatalf("Format %q, %d employees, problems %q", r.Format, len(r.Employees), problems(r))
				}
				if got := h.Counters()["hris."+tt.format+".200"] - before; got != tt.requests {
					t.Errorf("%d requests answered 200, want %d", got, tt.requests)
				}
				wantSrc := strings.SplitN(tt.url, "?", 2)[0]
				if r.Source != wantSrc || !r.AsOf.Equal(fetchNow) || r.AsOfSource != AsOfFetchTime {
					t.Errorf("Source %q, AsOf %v (%s); want %q and the fetch time", r.Source, r.AsOf, r.AsOfSource, wantSrc)
				}
				e := r.Employees[2499]
				if e.ID != "E02499" || e.Email != "user02499@example.com" || e.DisplayName != "First Last2499" {
					t.Errorf("last employee %+v", e)
				}
				// BambooHR and SuccessFactors carry a status; Workday leaves it to a template.
				wantStatus := StatusTerminated
				if tt.format == FormatWorkday {
					wantStatus = StatusActive
				}
				if e.Status != wantStatus || r.Employees[0].Status != StatusActive {
					t.Errorf("statuses %s, %s", r.Employees[0].Status, e.Status)
				}
			})
		}
	}
	if c := h.Counters(); c["hris.workday.401"]+c["hris.bamboohr.401"]+c["hris.successfactors.401"] != 0 {
		t.Errorf("the credentials were refused: %v", c)
	}
	// Without credentials the double refuses, and so does the load.
	_, err := (&Loader{HTTPClient: h.Client()}).Load(context.Background(), h.SuccessFactorsURL)
	if err == nil || !strings.Contains(err.Error(), "GET: 401 Unauthorized") {
		t.Errorf("Load without credentials = %v", err)
	}
}

// Every page or none: a failing page aborts the whole load, and the pages
// after it are not asked for.
func TestLoadSuccessFactorsFailingPage(t *testing.T) {
	for _, page := range []int{1, 2, 3} {
		t.Run(fmt.Sprint("page ", page), func(t *testing.T) {
			h := newHRIS(t, 2500, 1000)
			h.FailPage(page)
			l := &Loader{HTTPClient: h.Client(), Credentials: basic(h)}
			r, err := l.Load(context.Background(), h.SuccessFactorsURL)
			if r != nil || err == nil {
				t.Fatalf("Load = %d employees, %v; want an error", len(r.Employees), err)
			}
			want := "GET: 500 Internal Server Error"
			if page > 1 {
				want = fmt.Sprintf("page %d (%s/odata/v2/User): GET: 500 Internal Server Error; no page of the export was used", page, h.URL)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q, want it to say %q", err, want)
			}
			c := h.Counters()
			for p := 1; p <= 3; p++ {
				if got, want := c[fmt.Sprintf("hris.successfactors.page%d", p)], int64(min(1, max(0, page-p+1))); got != want {
					t.Errorf("page %d asked for %d times, want %d", p, got, want)
				}
			}
		})
	}
}

// sfServer serves SuccessFactors pages whose __next links are given, and
// counts requests and the Authorization headers it saw.
type sfServer struct {
	*httptest.Server
	hits  atomic.Int64
	auths atomic.Int64
}

func newSFServer(t *testing.T, next func(s *sfServer, r *http.Request) string) *sfServer {
	s := &sfServer{}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if r.Header.Get("Authorization") != "" {
			s.auths.Add(1)
		}
		n := s.hits.Load()
		body := fmt.Sprintf(`{"d":{"results":[{"userId":"u%d"}]`, n)
		if link := next(s, r); link != "" {
			body += fmt.Sprintf(`,"__next":%q`, link)
		}
		w.Write([]byte(body + "}}"))
	}))
	t.Cleanup(s.Close)
	return s
}

// __next is followed only on the roster's own scheme, host and port.
func TestLoadNextRefused(t *testing.T) {
	other := newSFServer(t, func(*sfServer, *http.Request) string { return "" })
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the plain-text server was called, Authorization %q", r.Header.Get("Authorization"))
	}))
	defer plain.Close()
	tests := []struct {
		name string
		next func(s *sfServer, r *http.Request) string
		err  string
	}{
		{"another port", func(*sfServer, *http.Request) string { return other.URL + "/odata/v2/User?$skiptoken=2" },
			"page 2: __next leads to " + other.URL + ", not the roster's"},
		{"another host name", func(s *sfServer, r *http.Request) string {
			return strings.Replace(other.URL, "127.0.0.1", "localhost", 1) + "/odata/v2/User"
		}, "refused (the credentials go only to the roster's own host)"},
		{"http", func(s *sfServer, r *http.Request) string { return plain.URL + "/odata/v2/User" }, "__next leads to http://"},
		{"a loop", func(s *sfServer, r *http.Request) string { return s.URL + "/odata/v2/User?$skiptoken=1" },
			"page 3 (https://" + "127.0.0.1"},
		{"not a URL", func(*sfServer, *http.Request) string { return "https://[::1" }, "page 2: __next is not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := other.hits.Load()
			s := newSFServer(t, tt.next)
			l := &Loader{HTTPClient: s.Client(), Credentials: bearer("Bearer s3cr3t")}
			_, err := l.Load(context.Background(), s.URL+"/odata/v2/User?$format=json")
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("Load = %v, want an error saying %q", err, tt.err)
			}
			if other.hits.Load() != before {
				t.Errorf("the other server was asked")
			}
			if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "skiptoken") {
				t.Errorf("error %q shows a credential or a query", err)
			}
		})
	}

	// A relative __next is resolved against the roster URL and followed
	// with the same credentials.
	s := newSFServer(t, func(s *sfServer, r *http.Request) string {
		if s.hits.Load() < 3 {
			return fmt.Sprintf("/odata/v2/User?$skiptoken=%d", s.hits.Load())
		}
		return ""
	})
	r, err := (&Loader{HTTPClient: s.Client(), Credentials: bearer("Bearer s3cr3t")}).Load(context.Background(), s.URL+"/odata/v2/User")
	if err != nil || len(r.Employees) != 3 || s.auths.Load() != 3 {
		t.Errorf("relative __next: %v, %d hits with credentials; want 3 employees, 3", err, s.auths.Load())
	}
}

func TestLoadPagedLimits(t *testing.T) {
	h := newHRIS(t, 50, 10)
	l := &Loader{HTTPClient: h.Client(), Credentials: basic(h), MaxPages: 4}
	_, err := l.Load(context.Background(), h.SuccessFactorsURL)
	if err == nil || !strings.Contains(err.Error(), "page 5 (") || !strings.Contains(err.Error(), "more than 4 pages") {
		t.Errorf("MaxPages 4: %v", err)
	}
	page := int64(len(cloudtest.SuccessFactorsPage(h.URL, workers(10), h.URL+"/odata/v2/User?x")))
	l = &Loader{HTTPClient: h.Client(), Credentials: basic(h), MaxBytes: 3 * page}
	_, err = l.Load(context.Background(), h.SuccessFactorsURL)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("the pages together are larger than the limit of %d bytes", 3*page)) {
		t.Errorf("MaxBytes of about 3 pages: %v", err)
	}
	// A file cannot follow __next.
	path := filepath.Join(t.TempDir(), "sf.json")
	os.WriteFile(path, cloudtest.SuccessFactorsPage(h.URL, workers(2), h.URL+"/odata/v2/User?$skiptoken=2"), 0o644)
	if _, err := (&Loader{}).Load(context.Background(), "file://"+path); err == nil || !strings.Contains(err.Error(), "which a file cannot follow") {
		t.Errorf("file with __next: %v", err)
	}
}

// With credentials (from the secret or the URL's userinfo), a redirect
// may not leave the roster's scheme, host and port; without, it may, and
// nothing is sent that was not asked for.
func TestLoadRedirects(t *testing.T) {
	var otherAuth atomic.Value
	otherAuth.Store("")
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherAuth.Store(r.Header.Get("Authorization") + "|")
		w.Write([]byte(`[{"id":"E1"}]`))
	}))
	defer other.Close()
	var sameAuth atomic.Value
	sameAuth.Store("")
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/r.json?sig=abc", http.StatusFound)
		case "/home":
			http.Redirect(w, r, "/r.json", http.StatusFound)
		default:
			sameAuth.Store(r.Header.Get("Authorization"))
			w.Write([]byte(`[{"id":"E1"}]`))
		}
	}))
	defer srv.Close()
	client := srv.Client() // trusts both: httptest servers share one certificate
	userinfo := strings.Replace(srv.URL, "https://", "https://hr:pw@", 1)
	tests := []struct {
		name, url string
		creds     func(context.Context) (secrets.Value, error)
		err       string
		otherAuth string // what the other host saw, "" for no request
		sameAuth  string
	}{
		{name: "credentials, another host", url: srv.URL + "/away", creds: bearer("Bearer s3cr3t"),
			err: "redirect from " + srv.URL + " to " + other.URL + " refused: the roster's credentials go only to its own host"},
		{name: "userinfo, another host", url: userinfo + "/away",
			err: "refused: the roster's credentials go only to its own host"},
		{name: "no credentials, another host", url: srv.URL + "/away", otherAuth: "|"},
		{name: "credentials, same host", url: srv.URL + "/home", creds: bearer("Bearer s3cr3t"), sameAuth: "Bearer s3cr3t"},
		{name: "userinfo, same host", url: userinfo + "/home", sameAuth: "Basic aHI6cHc="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			otherAuth.Store("")
			sameAuth.Store("")
			_, err := (&Loader{HTTPClient: client, Credentials: tt.creds}).Load(context.Background(), tt.url)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Load = %v, want an error saying %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "sig=") || strings.Contains(err.Error(), "pw") {
					t.Errorf("error %q shows a credential", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if got := otherAuth.Load(); got != tt.otherAuth {
				t.Errorf("the other host saw %q, want %q", got, tt.otherAuth)
			}
			if got := sameAuth.Load(); got != tt.sameAuth {
				t.Errorf("the roster host saw %q, want %q", got, tt.sameAuth)
			}
		})
	}
}

// A signed URL or ?token= is a credential: never in Source or an error.
func TestLoadQueryNeverShown(t *testing.T) {
	h := newHRIS(t, 30, 10)
	const secret = "s3cr3t-t0ken"
	srv := newRosterServer(t, map[string]file{
		"/r.json":   {body: `[{"id":"E1"}]`, contentType: "application/json"},
		"/bad.json": {body: `[{"id":`, contentType: "application/json"},
	})
	r, err := (&Loader{HTTPClient: srv.Client()}).Load(context.Background(), srv.URL+"/r.json?token="+secret+"#frag")
	if err != nil || r.Source != srv.URL+"/r.json" {
		t.Fatalf("Load = %v, Source %q; want %q", err, r.Source, srv.URL+"/r.json")
	}
	h.FailPage(2)
	for _, raw := range []string{
		srv.URL + "/missing?token=" + secret,
		srv.URL + "/bad.json?sig=" + secret,
		"http://hr.example.com/r.json?token=" + secret,
		"https://hr.example.com:port/r?token=" + secret,
		"https://127.0.0.1:1/r.json?token=" + secret,
		h.SuccessFactorsURL + "&token=" + secret, // the failing page 2's __next repeats the query
	} {
		_, err := (&Loader{HTTPClient: h.Client(), Credentials: basic(h)}).Load(context.Background(), raw)
		if err == nil || strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "?") {
			t.Errorf("Load(%q) = %v; want an error without the query", raw, err)
		}
	}
}

func TestLoadFormat(t *testing.T) {
	h := newHRIS(t, 3, 10)
	l := &Loader{Format: FormatWorkday, HTTPClient: h.Client(), Credentials: basic(h)}
	_, err := l.Load(context.Background(), h.BambooHRURL)
	if err == nil || !strings.Contains(err.Error(), "ROSTER_FORMAT is workday, but the data looks like a BambooHR custom report") {
		t.Errorf("workday forced on BambooHR: %v", err)
	}
	l.Format = "xml"
	_, err = l.Load(context.Background(), h.WorkdayURL)
	if err == nil || !strings.Contains(err.Error(), `unknown format "xml" (want auto, json, csv, workday, bamboohr, successfactors)`) {
		t.Errorf("unknown format: %v", err)
	}
}

// 64 MiB is read; 64 MiB and one byte is refused before parsing.
func TestLoadHRISSizeLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 128 MiB")
	}
	dir := t.TempDir()
	doc := []byte(`{"Report_Entry":[{"Employee_ID":"21001","Email":"a@x"}]}`)
	for _, size := range []int{DefaultMaxRosterBytes, DefaultMaxRosterBytes + 1} {
		data := make([]byte, size)
		copy(data, doc)
		for i := len(doc); i < size; i++ {
			data[i] = ' '
		}
		path := filepath.Join(dir, fmt.Sprint(size))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := (&Loader{}).Load(context.Background(), "file://"+path)
		if size == DefaultMaxRosterBytes && (err != nil || r.Format != FormatWorkday) {
			t.Errorf("64 MiB: %v", err)
		}
		if size > DefaultMaxRosterBytes && (err == nil || !strings.Contains(err.Error(), "larger than the limit of 67108864 bytes")) {
			t.Errorf("64 MiB + 1: %v", err)
		}
	}
}

// A Loader keeping the standard fields only skips the others unread; it
// must find the same employees and problems as one that keeps them all.
func TestLoadStandardFieldsOnlySame(t *testing.T) {
	dir := t.TempDir()
	docs := map[string][]byte{
		"array records": []byte(`{"Report_Entry":[{"Employee_ID":"1","x":[[1,{"a":[]}]]},[1,[2,{"b":3}]],[],{"Employee_ID":"2","Email":null,"Full_Name":"B","n":{"d":{"e":1}}},{"Employee_ID":"2"},"s",7,null,{"Employee_ID":"3","Email":"a","Email":"b"}]}`),
		"ramsync json":  []byte(`[{"id":"E1","email":"a@x","extra":{"k":[1,2]},"status":"terminated"},{"id":"E2","status":"retired"},[{"id":"E3"}],{"id":"E4","id":"E5"}]`),
	}
	for _, name := range []string{"workday_raas.json", "bamboohr_report.json", "successfactors_user.json", "roster.json", "roster_wrapped.json"} {
		docs[name] = readTestdata(t, name)
	}
	for name, data := range docs {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		full, err1 := (&Loader{}).Load(context.Background(), "file://"+path)
		slim, err2 := (&Loader{StandardFieldsOnly: true}).Load(context.Background(), "file://"+path)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v, %v", name, err1, err2)
		}
		if strings.Join(ids(full), " ") != strings.Join(ids(slim), " ") || strings.Join(problems(full), "\n") != strings.Join(problems(slim), "\n") {
			t.Errorf("%s:\nfull %q %q\nslim %q %q", name, ids(full), problems(full), ids(slim), problems(slim))
		}
		for i, e := range slim.Employees {
			f := full.Employees[i]
			if e.Fields != nil || e.Email != f.Email || e.DisplayName != f.DisplayName {
				t.Errorf("%s: slim %+v, full %+v", name, e, f)
			}
		}
	}
	// Nesting is bounded while skipping, too.
	deep := `{"Report_Entry":[` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `]}`
	path := filepath.Join(dir, "deep")
	os.WriteFile(path, []byte(deep), 0o644)
	if _, err := (&Loader{StandardFieldsOnly: true}).Load(context.Background(), "file://"+path); err == nil || !strings.Contains(err.Error(), "nested deeper than 64 levels") {
		t.Errorf("deep nesting: %v", err)
	}
}
