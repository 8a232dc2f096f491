package cloudtest

import (
	"crypto/tls"
	"fmt"
	"log"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Server is a running emulation of the four Alibaba Cloud services ramsync
// talks to. Each service listens on its own 127.0.0.1 HTTPS port; all four
// share one self-signed certificate and one state (users, RAM credentials,
// secrets, tokens).
//
// All methods are safe for concurrent use, also while requests are served.
type Server struct {
	// TokenURL is the OAuth token endpoint, "https://127.0.0.1:PORT/v1/token".
	TokenURL string
	// SCIMURL is the SCIM base URL, "https://127.0.0.1:PORT" (no trailing
	// slash; resources are at SCIMURL+"/Users").
	SCIMURL string
	// KMSEndpoint is the KMS endpoint as the KMS SDK wants it: "127.0.0.1:PORT".
	KMSEndpoint string
	// RAMEndpoint is the RAM OpenAPI endpoint, "127.0.0.1:PORT". It also
	// serves the IMS API (Version 2019-08-15; see ims.go).
	RAMEndpoint string

	// Intercept, when set, is called for every request after it has been
	// counted and before anything else happens to it. kind is the operation
	// (the suffix of the counter key: "token", "create", "GetSecretValue"…).
	// If it returns true it has answered the request and the server does
	// nothing more. Set it before the first request is made.
	Intercept func(svc Service, kind string, w http.ResponseWriter, r *http.Request) bool

	opts     Options // effective options; the mutable parts live in the states below
	cert     *certBundle
	client   *http.Client
	servers  []*http.Server
	closeOne sync.Once

	users    *store
	oauth    *oauthState
	kms      *kmsState
	ramLog   *callLog
	nonces   *nonceCache
	faults   *faultSet
	counters *counterSet
	limiter  *tokenBucket // nil when Options.RateLimit is 0
}

// NewServer starts the four services and returns once they accept
// connections. Zero Options fields take the defaults documented on Options.
// Like httptest.NewServer it panics if it cannot listen.
func NewServer(opts Options) *Server {
	opts = opts.withDefaults()
	cert, err := newCertBundle()
	if err != nil {
		panic("cloudtest: generating the TLS certificate: " + err.Error())
	}
	s := &Server{
		opts:     opts,
		cert:     cert,
		users:    newStore(),
		oauth:    newOAuthState(opts),
		kms:      newKMSState(opts),
		ramLog:   &callLog{},
		nonces:   newNonceCache(),
		faults:   newFaultSet(),
		counters: newCounterSet(),
	}
	if opts.RateLimit > 0 {
		s.limiter = newTokenBucket(opts.RateLimit, opts.RateBurst)
	}
	s.client = &http.Client{Transport: &http.Transport{
		TLSClientConfig:     s.TLSConfig(),
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}}

	s.TokenURL = "https://" + s.serve(OAuth) + tokenPath
	s.SCIMURL = "https://" + s.serve(SCIM)
	s.KMSEndpoint = s.serve(KMS)
	s.RAMEndpoint = s.serve(RAM)
	return s
}

// serve starts the HTTPS listener of one service and returns its host:port.
func (s *Server) serve(svc Service) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("cloudtest: listening for %s: %v", svc, err))
	}
	hs := &http.Server{
		Handler:           s.Handler(svc),
		TLSConfig:         s.cert.serverConfig(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(logWriter{s.opts.Logf, string(svc)}, "", 0),
	}
	s.servers = append(s.servers, hs)
	go hs.Serve(tls.NewListener(ln, hs.TLSConfig)) //nolint:errcheck // Serve returns ErrServerClosed on Close
	return ln.Addr().String()
}

// Close stops all listeners and closes every open connection. It is safe to
// call more than once.
func (s *Server) Close() {
	s.closeOne.Do(func() {
		for _, hs := range s.servers {
			hs.Close()
		}
		s.client.CloseIdleConnections()
	})
}

// Client returns an HTTP client that trusts the server's certificate and
// speaks to every service. Like httptest.Server.Client it is the same client
// on every call and its idle connections are closed by Close.
func (s *Server) Client() *http.Client { return s.client }

// Options returns the effective options: defaults filled in, ClientSecret
// the one OAuth currently accepts (after RotateSecret) and TokenLifetime the
// current one. Secrets is a copy of the map given to NewServer.
func (s *Server) Options() Options {
	o := s.opts
	o.ClientSecret, o.TokenLifetime = s.oauth.current()
	o.Secrets = maps.Clone(o.Secrets)
	return o
}

// logf writes one line through Options.Logf, if set.
func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// logWriter sends the http.Server's own error log (TLS handshake failures
// from clients that do not trust the certificate, mostly) to Options.Logf,
// or nowhere.
type logWriter struct {
	logf func(format string, args ...any)
	svc  string
}

func (w logWriter) Write(p []byte) (int, error) {
	if w.logf != nil {
		w.logf("cloudtest: %s: %s", w.svc, strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}
