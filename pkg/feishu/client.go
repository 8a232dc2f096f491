package feishu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultEndpoint is the Feishu open platform; Lark (international) is
// https://open.larksuite.com.
const DefaultEndpoint = "https://open.feishu.cn"

// The API names used in errors, logs and Stats.
const (
	APIToken            = "tenant_access_token"
	APIChildren         = "departments.children"
	APIFindByDepartment = "users.find_by_department"
)

// Config configures a Client. AppID and Secret are required.
type Config struct {
	// AppID is the self-built app's App ID (FEISHU_APP_ID).
	AppID string
	// Endpoint is the open platform's base URL. Empty means
	// DefaultEndpoint.
	Endpoint string
	// Secret returns the app's secrets; it is called for every token
	// request, so that a rotated app secret is picked up.
	Secret func(ctx context.Context) (Secret, error)
	// RefreshSecret, when set, re-reads the secrets bypassing any cache
	// (secrets.Manager.Refresh). It is called once when the token endpoint
	// refuses the app's credentials (codes 10003, 10014), in case the app
	// secret was rotated, and the token request is tried once more (SPEC
	// rule 9).
	RefreshSecret func(ctx context.Context) (Secret, error)
	// HTTPClient sends the requests. Nil means http.DefaultClient.
	HTTPClient *http.Client
	// Logger receives retries at Debug and rate-limit waits at Warn. Nil
	// means no logging.
	Logger *slog.Logger
	// RPS is the most requests a second sent to each API (the token
	// endpoint, the children walk, find_by_department). Zero means 50,
	// the contact APIs' documented limit [RATE].
	RPS float64
	// MaxAttempts is the number of requests per call, the first included,
	// on 429 / code 99991400, 5xx and network errors. Zero means 6.
	MaxAttempts int
	// Concurrency is the number of departments whose users are fetched at
	// once. Zero means 4.
	Concurrency int
	// Now is the clock, for token expiry and the roster's as-of time. Nil
	// means time.Now.
	Now func() time.Time
}

// Client reads the Feishu directory as a tenant_access_token app. Build it
// once per instance: it caches the token. It is safe for concurrent use.
type Client struct {
	cfg      Config
	endpoint string
	hc       *http.Client
	log      *slog.Logger
	limits   map[string]*rate.Limiter

	mu     sync.Mutex // held during a token request: callers share it
	token  string
	expiry time.Time

	statsMu sync.Mutex
	stats   Stats
}

// Stats counts a Client's HTTP requests.
type Stats struct {
	// Requests counts requests sent, per API name (APIToken, …).
	Requests map[string]int
	// Retries counts requests that were repeats of a failed one;
	// RateLimited the answers that were 429 or code 99991400.
	Retries, RateLimited int
}

// NewClient checks cfg and returns a Client.
func NewClient(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.AppID) == "" {
		return nil, errors.New("feishu: no app id: set FEISHU_APP_ID")
	}
	if cfg.Secret == nil {
		return nil, errors.New("feishu: no secret source for app " + cfg.AppID)
	}
	ep := strings.TrimRight(cfg.Endpoint, "/")
	if ep == "" {
		ep = DefaultEndpoint
	}
	if u, err := url.Parse(ep); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("feishu: endpoint %s is not an http(s) URL", quote(ep))
	}
	if cfg.RPS <= 0 {
		cfg.RPS = 50
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 6
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Client{cfg: cfg, endpoint: ep, hc: cfg.HTTPClient, log: cfg.Logger, limits: map[string]*rate.Limiter{}}
	if c.hc == nil {
		c.hc = http.DefaultClient
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	for _, api := range []string{APIToken, APIChildren, APIFindByDepartment} {
		c.limits[api] = rate.NewLimiter(rate.Limit(cfg.RPS), 1)
	}
	return c, nil
}

// Stats returns a copy of the request counts so far.
func (c *Client) Stats() Stats {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	s := c.stats
	s.Requests = map[string]int{}
	for k, v := range c.stats.Requests {
		s.Requests[k] = v
	}
	return s
}

func (c *Client) count(api string, retry, limited bool) {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	if c.stats.Requests == nil {
		c.stats.Requests = map[string]int{}
	}
	c.stats.Requests[api]++
	if retry {
		c.stats.Retries++
	}
	if limited {
		c.stats.RateLimited++
	}
}

// APIError is a call that failed for good: an answer with a non-zero code,
// or a retryable failure that outlasted the retries. Call names the
// request ("GET departments/0/children page 3"); Code and Msg are the
// platform's (Code 0 when the answer had none), Status the HTTP status (0
// for a network error, then in Err).
type APIError struct {
	Call     string
	Status   int
	Code     int
	Msg      string
	Attempts int
	Err      error
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "feishu: %s", e.Call)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Code != 0 {
		fmt.Fprintf(&b, ", code %d", e.Code)
	}
	if e.Msg != "" {
		fmt.Fprintf(&b, ": %s", e.Msg)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	if hint := codeHint(e.Code); hint != "" {
		b.WriteString(": " + hint)
	}
	return b.String()
}

func (e *APIError) Unwrap() error { return e.Err }

// codeHint says what to do about the documented codes.
func codeHint(code int) string {
	switch code {
	case 40004, 41050:
		return "widen the app's contact data range (通讯录权限范围) to everyone, or name a department inside it"
	case 10003, 10014:
		return "check FEISHU_APP_ID and the appSecret in the FEISHU secret"
	case 99991400:
		return "rate limited: try later"
	case 99991672, 99991679:
		return "grant the app the contact scopes (see the package documentation)"
	}
	return ""
}

// Codes of an invalid or expired tenant_access_token [SRC core/httptransport.go].
func badToken(code int) bool {
	return code == 99991661 || code == 99991663 || code == 99991664 || code == 99991671
}

// answer is the platform's envelope.
type answer struct {
	Code  int             `json:"code"`
	Msg   string          `json:"msg"`
	Data  json.RawMessage `json:"data"`
	Token string          `json:"tenant_access_token"`
	// Expire is the token's remaining life in seconds.
	Expire int64 `json:"expire"`
}

// call runs one API request with rate limiting, token handling and retries.
// build returns the request for an attempt (token is "" for APIToken).
func (c *Client) call(ctx context.Context, api, name string, build func(ctx context.Context, token string) (*http.Request, error)) (*answer, error) {
	var last *retryable
	tokenRetried := false
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			if attempt > c.cfg.MaxAttempts {
				return nil, last.APIError
			}
			wait := last.wait
			if wait <= 0 {
				// Full jitter, 200 ms doubling, capped at 10 s.
				wait = time.Duration(rand.Int64N(int64(min(10*time.Second, 200*time.Millisecond<<(attempt-2))) + 1))
			}
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
				return nil, last.err(fmt.Sprintf("no time left before the deadline to retry in %s", wait.Round(time.Millisecond)))
			}
			if last.limited {
				c.log.WarnContext(ctx, "feishu rate limited: waiting", "call", name, "wait", wait)
			} else {
				c.log.DebugContext(ctx, "feishu retry", "call", name, "attempt", attempt, "wait", wait.Round(time.Millisecond), "after", last.APIError.Error())
			}
			if err := sleep(ctx, wait); err != nil {
				return nil, &APIError{Call: name, Attempts: attempt - 1, Err: err}
			}
		}
		if err := c.limits[api].Wait(ctx); err != nil {
			return nil, &APIError{Call: name, Attempts: attempt - 1, Err: err}
		}
		tok := ""
		if api != APIToken {
			var err error
			if tok, err = c.tenantToken(ctx); err != nil {
				return nil, err
			}
		}
		req, err := build(ctx, tok)
		if err != nil {
			return nil, &APIError{Call: name, Err: err}
		}
		res, err := c.hc.Do(req)
		if err != nil {
			c.count(api, attempt > 1, false)
			if ctx.Err() != nil {
				return nil, &APIError{Call: name, Attempts: attempt, Err: ctx.Err()}
			}
			last = &retryable{APIError: &APIError{Call: name, Attempts: attempt, Err: errors.New(stripURL(err))}}
			continue
		}
		body, rerr := io.ReadAll(io.LimitReader(res.Body, 32<<20))
		res.Body.Close()
		var a answer
		jerr := json.Unmarshal(body, &a)
		limited := res.StatusCode == http.StatusTooManyRequests || (jerr == nil && a.Code == 99991400)
		c.count(api, attempt > 1, limited)
		e := &APIError{Call: name, Status: res.StatusCode, Code: a.Code, Msg: cut(a.Msg), Attempts: attempt}
		switch {
		case limited:
			last = &retryable{APIError: e, limited: true, wait: resetWait(res.Header)}
			continue
		case res.StatusCode >= 500 || rerr != nil:
			if rerr != nil {
				e.Err = rerr
			}
			last = &retryable{APIError: e}
			continue
		case jerr != nil:
			e.Err = errors.New("answer is not JSON")
			return nil, e
		case api != APIToken && badToken(a.Code) && !tokenRetried:
			// The token was revoked or expired early: drop it and try
			// once more with a new one, outside the retry budget.
			tokenRetried = true
			c.dropToken(tok)
			attempt--
			last = &retryable{APIError: e}
			continue
		case a.Code != 0 || res.StatusCode != http.StatusOK:
			return nil, e
		}
		return &a, nil
	}
}

// retryable is a failed attempt worth repeating.
type retryable struct {
	*APIError
	limited bool
	wait    time.Duration // from x-ogw-ratelimit-reset
}

func (r *retryable) err(detail string) *APIError {
	e := *r.APIError
	e.Msg = strings.TrimPrefix(e.Msg+"; "+detail, "; ")
	return &e
}

// resetWait reads x-ogw-ratelimit-reset (seconds to wait) [RATE]; absent
// or unreadable means one second. It is capped at a minute.
func resetWait(h http.Header) time.Duration {
	s, err := strconv.ParseFloat(strings.TrimSpace(h.Get("x-ogw-ratelimit-reset")), 64)
	if err != nil || s < 0 {
		return time.Second
	}
	return min(time.Duration(s*float64(time.Second)), time.Minute)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// tenantToken returns the cached tenant_access_token, requesting a new one
// when there is none or it has under 30 minutes left (the platform then
// issues a new one [TAT]). Concurrent callers share one request.
func (c *Client) tenantToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.cfg.Now()
	if c.token != "" && c.expiry.Sub(now) >= 30*time.Minute {
		return c.token, nil
	}
	s, err := c.cfg.Secret(ctx)
	if err != nil {
		return "", fmt.Errorf("feishu: reading the app secret of app %s: %w", c.cfg.AppID, err)
	}
	a, err := c.requestToken(ctx, s)
	var ae *APIError
	if errors.As(err, &ae) && (ae.Code == 10003 || ae.Code == 10014) && c.cfg.RefreshSecret != nil {
		c.log.InfoContext(ctx, "feishu app credentials refused: re-reading the secret", "appId", c.cfg.AppID, "code", ae.Code)
		if s, err = c.cfg.RefreshSecret(ctx); err != nil {
			return "", fmt.Errorf("feishu: re-reading the app secret of app %s after code %d: %w", c.cfg.AppID, ae.Code, err)
		}
		a, err = c.requestToken(ctx, s)
	}
	if err != nil {
		return "", err
	}
	name := tokenCall + c.cfg.AppID
	if a.Token == "" || a.Expire <= 0 {
		return "", &APIError{Call: name, Status: http.StatusOK, Msg: "answer has no tenant_access_token or expire"}
	}
	c.token, c.expiry = a.Token, now.Add(time.Duration(a.Expire)*time.Second)
	return c.token, nil
}

const tokenCall = "POST auth/v3/tenant_access_token/internal for app "

// requestToken asks the platform for a tenant_access_token.
func (c *Client) requestToken(ctx context.Context, s Secret) (*answer, error) {
	body, _ := json.Marshal(map[string]string{"app_id": c.cfg.AppID, "app_secret": s.AppSecret.Reveal()})
	return c.call(ctx, APIToken, tokenCall+c.cfg.AppID, func(ctx context.Context, _ string) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+"/open-apis/auth/v3/tenant_access_token/internal", bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json; charset=utf-8")
		}
		return req, err
	})
}

func (c *Client) dropToken(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}

// get is a GET of an API path with query q and the bearer token.
func (c *Client) get(ctx context.Context, api, name, path string, q url.Values) (*answer, error) {
	return c.call(ctx, api, name, func(ctx context.Context, tok string) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint+path+"?"+q.Encode(), nil)
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		return req, err
	})
}

// stripURL drops the query from a *url.Error's message (page tokens).
func stripURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}

// cut bounds a platform message for an error.
func cut(s string) string {
	if len(s) > 200 {
		return strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}
