package cloudtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// start runs a Server for the test.
func start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := NewServer(opts)
	t.Cleanup(s.Close)
	return s
}

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value.
func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

// do sends a request through the server's client. body may be nil, a
// string or a value to encode as JSON.
func do(t testing.TB, s *Server, method, rawURL, token string, body any) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, rawURL, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

// token gets an access token with the default client credentials.
func token(t testing.TB, s *Server) string {
	t.Helper()
	o := s.Options()
	req, _ := http.NewRequest(http.MethodPost, s.TokenURL, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(o.ClientID), url.QueryEscape(o.ClientSecret))
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 {
		t.Fatalf("token: status %d, %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

// userBody is a SCIM User request body.
func userBody(userName, displayName, externalID string) map[string]any {
	m := map[string]any{
		"schemas":     []string{schemaUser},
		"userName":    userName,
		"displayName": displayName,
	}
	if externalID != "" {
		m["externalId"] = externalID
	}
	return m
}

// create POSTs a user and fails the test unless it is created.
func create(t testing.TB, s *Server, tok, userName, displayName, externalID string) map[string]any {
	t.Helper()
	r := do(t, s, http.MethodPost, s.SCIMURL+"/Users", tok, userBody(userName, displayName, externalID))
	if r.status != http.StatusCreated {
		t.Fatalf("create %s: status %d, body %s", userName, r.status, r.body)
	}
	return r.json(t)
}

// rpcRequest builds a signed RPC query as the SDKs do; edit may change the
// parameters before signing.
func rpcRequest(s *Server, method, action, version string, params map[string]string, edit func(url.Values)) url.Values {
	o := s.Options()
	v := url.Values{
		"Action":           {action},
		"Version":          {version},
		"Format":           {"JSON"},
		"RegionId":         {"cn-hangzhou"},
		"AccessKeyId":      {o.AccessKeyID},
		"SecurityToken":    {o.SecurityToken},
		"SignatureMethod":  {"HMAC-SHA1"},
		"SignatureVersion": {"1.0"},
		"SignatureType":    {""},
		"SignatureNonce":   {fmt.Sprintf("%016x%016x", time.Now().UnixNano(), nonceSeq.Add(1))},
		"Timestamp":        {time.Now().UTC().Format("2006-01-02T15:04:05Z")},
	}
	for k, val := range params {
		v.Set(k, val)
	}
	if edit != nil {
		edit(v)
	}
	SignRPC(method, v, o.AccessKeySecret)
	return v
}

var nonceSeq atomic.Int64

// callRPC sends a signed query to endpoint (host:port) with POST.
func callRPC(t testing.TB, s *Server, endpoint string, q url.Values) response {
	t.Helper()
	return do(t, s, http.MethodPost, "https://"+endpoint+"/?"+q.Encode(), "", nil)
}
