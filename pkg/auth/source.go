package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/ramsync/ramsync/pkg/secrets"
)

// Secrets reads the OAuth app secret. *secrets.Manager and secrets.Static
// implement it.
type Secrets interface {
	// Get returns the secret, from a cache when there is one.
	Get(ctx context.Context, name string) (secrets.Value, error)
	// Refresh reads the secret again, bypassing any cache.
	Refresh(ctx context.Context, name string) (secrets.Value, error)
}

// Config configures a [Source].
type Config struct {
	// ClientID is the OAuth application's id. Required.
	ClientID string
	// TokenURL is the token endpoint. Required.
	TokenURL string
	// SecretName names the app secret in Secrets. Required.
	SecretName string
	// Secrets reads the app secret. Required.
	Secrets Secrets
	// HTTPClient calls the token endpoint. Nil means a client with a 10 s
	// timeout.
	HTTPClient *http.Client
	// EarlyExpiry is how long before its expiry a token is replaced.
	// Zero means 60 s. It is capped at a fifth of the token's lifetime, so
	// short-lived tokens are still reused.
	EarlyExpiry time.Duration
	// Scopes are sent as the scope parameter when set. Alibaba's example
	// sends none (the app's scope, /acs/scim, applies).
	Scopes []string
	// Logger receives one line per token fetch and per secret re-read.
	// Nil discards them.
	Logger *slog.Logger
}

// Source is a cached client-credentials token source. It implements the
// scim package's TokenSource and is safe for concurrent use.
type Source struct {
	cfg     Config
	ctx     context.Context // background, never canceled
	fetches atomic.Int64

	mu    sync.Mutex
	reuse oauth2.TokenSource
	last  string // the token reuse handed out last
}

// New checks cfg and returns a Source. No request is made until the first
// call to Token.
func New(cfg Config) (*Source, error) {
	if cfg.ClientID == "" {
		return nil, errors.New("auth: no client id")
	}
	if u, err := url.Parse(cfg.TokenURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("auth: token URL %q is not an http(s) URL", cfg.TokenURL)
	}
	if cfg.Secrets == nil || cfg.SecretName == "" {
		return nil, errors.New("auth: no app secret source")
	}
	if cfg.EarlyExpiry <= 0 {
		cfg.EarlyExpiry = 60 * time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Source{cfg: cfg}
	// Built once on a background context: x/oauth2 uses this context for
	// every refresh, long after the invocation that first asked is over.
	s.ctx = context.WithValue(context.Background(), oauth2.HTTPClient, cfg.HTTPClient)
	s.reuse = s.newReuse()
	return s, nil
}

func (s *Source) newReuse() oauth2.TokenSource {
	// fetcher shortens each token's Expiry itself (by EarlyExpiry, capped
	// for short lifetimes), so reuse's own margin is kept negligible.
	return oauth2.ReuseTokenSourceWithExpiry(nil, fetcher{s}, time.Nanosecond)
}

// Token returns a valid access token, fetching one when the cached one is
// missing or about to expire. It returns early with ctx's error when ctx
// ends first; the fetch itself goes on for the next caller.
func (s *Source) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	ts := s.reuse
	s.mu.Unlock()
	type result struct {
		t   *oauth2.Token
		err error
	}
	ch := make(chan result, 1)
	go func() {
		t, err := ts.Token()
		ch <- result{t, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return "", r.err
		}
		s.mu.Lock()
		if s.reuse == ts {
			s.last = r.t.AccessToken
		}
		s.mu.Unlock()
		return r.t.AccessToken, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Invalidate drops token if it is the cached one, so the next Token call
// fetches a new one. Many callers refused with the same token cause one
// refresh, not many.
func (s *Source) Invalidate(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if token != "" && token == s.last {
		s.reuse = s.newReuse()
		s.last = ""
	}
}

// Fetches is the number of token requests made (successful or not).
func (s *Source) Fetches() int64 { return s.fetches.Load() }
