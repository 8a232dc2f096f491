// Package stacktest wires ramsync's real clients (Secrets Manager reader,
// OAuth token source, SCIM client, RAM OpenAPI client, provisioning
// engine) to a cloudtest.Server, for tests and benchmarks. Nothing in it
// is a stand-in: every request crosses real HTTPS to the test double.
package stacktest

import (
	"bytes"
	"crypto/tls"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/ramsync/ramsync/pkg/auth"
	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/provision"
	"github.com/ramsync/ramsync/pkg/ramcred"
	"github.com/ramsync/ramsync/pkg/scim"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// Stack is a set of real clients pointed at a test double.
type Stack struct {
	Server  *cloudtest.Server
	Creds   secrets.Credentials
	Secrets *secrets.Manager
	Tokens  *auth.Source
	SCIM    *scim.Client
	RAM     *ramcred.Client
	Engine  provision.Engine
	Log     *slog.Logger
	Logs    *Buffer
}

// FastRetry is a retry policy for tests: same shape, short waits.
var FastRetry = scim.RetryPolicy{MaxAttempts: 6, BaseDelay: 5 * time.Millisecond, MaxDelay: 50 * time.Millisecond}

// New wires clients to srv. Extra SCIM options go after the defaults
// (FastRetry, no rate limit), so they win.
func New(srv *cloudtest.Server, opts ...scim.Option) (*Stack, error) {
	o := srv.Options()
	s := &Stack{Server: srv, Logs: &Buffer{}}
	s.Log = slog.New(slog.NewJSONHandler(s.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s.Creds = secrets.Credentials{AccessKeyID: o.AccessKeyID, AccessKeySecret: o.AccessKeySecret, SecurityToken: o.SecurityToken}
	var err error
	s.Secrets, err = secrets.NewManager(secrets.ManagerConfig{
		Region: o.Region, Endpoint: srv.KMSEndpoint, Credentials: func() secrets.Credentials { return s.Creds }, Logger: s.Log,
	})
	if err != nil {
		return nil, err
	}
	s.Tokens, err = auth.New(auth.Config{
		ClientID: o.ClientID, TokenURL: srv.TokenURL, SecretName: o.SecretName, Secrets: s.Secrets,
		HTTPClient: srv.Client(), Logger: s.Log,
	})
	if err != nil {
		return nil, err
	}
	all := append([]scim.Option{scim.WithHTTPClient(srv.Client()), scim.WithRetry(FastRetry), scim.WithLogger(s.Log)}, opts...)
	s.SCIM, err = scim.New(srv.SCIMURL, s.Tokens, all...)
	if err != nil {
		return nil, err
	}
	s.RAM, err = ramcred.New(ramcred.Config{
		Endpoint: srv.RAMEndpoint, Credentials: func() secrets.Credentials { return s.Creds },
		Transport: &http.Transport{TLSClientConfig: srv.TLSConfig().Clone()}, BaseDelay: 5 * time.Millisecond, Logger: s.Log,
	})
	if err != nil {
		return nil, err
	}
	mapping, err := provision.ParseMapping("", 0)
	if err != nil {
		return nil, err
	}
	s.Engine = provision.Engine{Dir: s.SCIM, Revoker: s.RAM, Mapping: mapping, Cleanup: true, Log: s.Log,
		Rules: provision.Rules{MaxDeletes: 25, MaxDeletePercent: 10}}
	return s, nil
}

// Buffer is a concurrency-safe bytes.Buffer for captured logs.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TLSConfig is a client TLS config trusting srv.
func TLSConfig(srv *cloudtest.Server) *tls.Config { return srv.TLSConfig().Clone() }
