package cloudtest

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestAddressesAndTLS(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	s := start(t, Options{Logf: func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, format)
	}})
	for name, addr := range map[string]string{"TokenURL": s.TokenURL, "SCIMURL": s.SCIMURL} {
		if !strings.HasPrefix(addr, "https://127.0.0.1:") || strings.HasSuffix(addr, "/") && name == "SCIMURL" {
			t.Errorf("%s = %q", name, addr)
		}
	}
	if !strings.HasSuffix(s.TokenURL, "/v1/token") || !strings.HasPrefix(s.KMSEndpoint, "127.0.0.1:") || !strings.HasPrefix(s.RAMEndpoint, "127.0.0.1:") {
		t.Errorf("addresses: %s %s %s", s.TokenURL, s.KMSEndpoint, s.RAMEndpoint)
	}

	// Another process would trust the server through CACertPEM; so does a
	// client built from it, by IP and by the name localhost.
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CACertPEM()) {
		t.Fatal("CACertPEM is not a PEM certificate")
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer hc.CloseIdleConnections()
	for _, u := range []string{s.SCIMURL + "/Schemas", strings.Replace(s.SCIMURL, "127.0.0.1", "localhost", 1) + "/Schemas"} {
		resp, err := hc.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Proto != "HTTP/1.1" {
			t.Errorf("%s: %d %s", u, resp.StatusCode, resp.Proto)
		}
	}

	// A client that does not trust it fails the handshake.
	if _, err := http.Get(s.SCIMURL + "/Schemas"); err == nil {
		t.Error("an untrusting client connected")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lines) < 2 {
		t.Errorf("Logf got %d lines", len(lines))
	}
}

func TestCloseTwice(t *testing.T) {
	s := NewServer(Options{})
	s.Close()
	s.Close()
	if _, err := s.Client().Get(s.SCIMURL + "/Schemas"); err == nil {
		t.Error("served after Close")
	}
}
