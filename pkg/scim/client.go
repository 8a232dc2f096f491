package scim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// TokenSource supplies bearer tokens. It must be safe for concurrent use.
// Package auth implements it for Alibaba's OAuth client-credentials flow.
type TokenSource interface {
	// Token returns a token that is valid now.
	Token(ctx context.Context) (string, error)
	// Invalidate reports that the server refused token (HTTP 401), so the
	// next Token call must fetch a new one.
	Invalidate(token string)
}

// Client calls RAM's SCIM API. It is safe for concurrent use; build one per
// process and share it, so the token, the connection pool, the rate limit
// and the counters are shared too.
type Client struct {
	base     *url.URL
	tokens   TokenSource
	hc       *http.Client
	limiter  *rate.Limiter
	retry    RetryPolicy
	pageSize int
	// listConcurrency is how many list pages are fetched at once.
	listConcurrency int
	log             *slog.Logger
	counts          counters

	// test hooks
	sleep  func(ctx context.Context, d time.Duration) error
	jitter func(max time.Duration) time.Duration
}

// Option configures a [Client].
type Option func(*Client)

// WithHTTPClient sets the HTTP client. The default has a 30 s timeout per
// request and keeps up to 16 idle connections to the server.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithRateLimit caps the client at rps requests per second (every HTTP
// attempt counts, retries included), with bursts of up to burst requests.
// rps <= 0 means no limit. The default is no limit.
func WithRateLimit(rps float64, burst int) Option {
	return func(c *Client) {
		if rps <= 0 {
			c.limiter = rate.NewLimiter(rate.Inf, 1)
			return
		}
		c.limiter = rate.NewLimiter(rate.Limit(rps), max(burst, 1))
	}
}

// WithRetry sets the retry policy. See [RetryPolicy] for the defaults.
func WithRetry(p RetryPolicy) Option { return func(c *Client) { c.retry = p.withDefaults() } }

// WithPageSize sets the count asked for when listing (default 100). The
// server may return fewer per page, or ignore it; listing stays correct.
func WithPageSize(n int) Option {
	return func(c *Client) {
		if n > 0 {
			c.pageSize = n
		}
	}
}

// WithListConcurrency sets how many list pages are fetched at once after
// the first (default 4; 1 fetches page after page). Every request still
// goes through the rate limit.
func WithListConcurrency(n int) Option {
	return func(c *Client) {
		if n > 0 {
			c.listConcurrency = n
		}
	}
}

// WithLogger sets where retries and failures are logged, at debug and warn
// level. The default discards them.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// New returns a client for the SCIM service at baseURL (for RAM,
// https://scim.aliyun.com; resources are at baseURL + "/Users").
func New(baseURL string, tokens TokenSource, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("scim: endpoint %q is not an http(s) URL", baseURL)
	}
	if tokens == nil {
		return nil, errors.New("scim: no token source")
	}
	c := &Client{
		base:            u,
		tokens:          tokens,
		retry:           RetryPolicy{}.withDefaults(),
		pageSize:        100,
		listConcurrency: 4,
		limiter:         rate.NewLimiter(rate.Inf, 1),
		log:             slog.New(slog.DiscardHandler),
		sleep:           sleepCtx,
		jitter:          func(m time.Duration) time.Duration { return time.Duration(rand.Int64N(int64(m) + 1)) },
	}
	for _, o := range opts {
		o(c)
	}
	if c.hc == nil {
		c.hc = DefaultHTTPClient()
	}
	return c, nil
}

// DefaultHTTPClient is the HTTP client [New] uses when none is given.
func DefaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

// Counts returns how many HTTP requests the client has made so far, by
// operation and outcome.
func (c *Client) Counts() Counts { return c.counts.snapshot() }

// request is one SCIM operation as the retry loop sees it.
type request struct {
	op     string
	method string
	path   string
	query  url.Values
	body   []byte
	// settle, if set, marks the request as unsafe to repeat blindly. It
	// is called before a retry when the previous attempt's outcome is
	// unknown; done=true ends the operation with result (the earlier
	// attempt turned out to have worked).
	settle func(ctx context.Context) (result []byte, done bool, err error)
	// goneIsDone makes a 404 that answers a retry, after any attempt of
	// unknown outcome, a success: that attempt removed the resource.
	goneIsDone bool
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// maxBody bounds how much of a response is read.
const maxBody = 64 << 20

func (c *Client) url(path string, q url.Values) string {
	u := *c.base
	u.Path = c.base.Path + path
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// send makes one HTTP attempt. sent reports whether the request may have
// reached the server (false only when the connection was never made).
func (c *Client) send(ctx context.Context, r *request, token string) (status int, body []byte, header http.Header, sent bool, err error) {
	var rdr io.Reader
	if r.body != nil {
		rdr = strings.NewReader(string(r.body))
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.url(r.path, r.query), rdr)
	if err != nil {
		return 0, nil, nil, false, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/scim+json, application/json")
	req.Header.Set("User-Agent", "ramsync")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, nil, !dialError(err), err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, nil, nil, true, fmt.Errorf("reading the response: %w", err)
	}
	return resp.StatusCode, body, resp.Header, true, nil
}
