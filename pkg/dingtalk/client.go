package dingtalk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultEndpoint is DingTalk's open platform host for the legacy (oapi)
// APIs this package calls.
const DefaultEndpoint = "https://oapi.dingtalk.com"

// The APIs the client calls, as named in errors, logs and rate limits.
const (
	APIToken       = "gettoken"
	APIUserGet     = "topapi/v2/user/get"
	APIListSubDept = "topapi/v2/department/listsubid"
	APIUserList    = "topapi/v2/user/list"
)

// Config configures a Client. Only AppKey and Secret are required.
type Config struct {
	// AppKey is the app's Client ID (DINGTALK_APP_KEY).
	AppKey string
	// Endpoint is the API host; "" means DefaultEndpoint.
	Endpoint string
	// Secret returns the app's secret. It is called for every token
	// request, so a rotated secret is picked up on the next renewal.
	Secret func(ctx context.Context) (Secret, error)
	// HTTPClient makes the requests; nil means a client with a 10-second
	// timeout that follows no redirect (the query holds the token). A
	// client given here should refuse redirects too.
	HTTPClient *http.Client
	// Logger gets retries and token renewals at debug level and give-ups
	// at warn; nil discards. Access tokens and secrets are never logged.
	Logger *slog.Logger
	// RPS is the most requests a second sent to each API; 0 means 20, the
	// limit of a standard org per app per API [DOC
	// how-to-process-api-throttling-on-the-dingtalk-server].
	RPS float64
	// Retries is how often a throttled (90018, 90002), timed-out (88, 15),
	// busy (-1) or failed (5xx, 429, network) call is retried; 0 means 4,
	// negative means never.
	Retries int
	// RetryWait is the first wait before a retry, doubled each time (with
	// jitter, at most 8 times the first); 0 means 1 s, DingTalk's advice
	// for 90018.
	RetryWait time.Duration
	// Concurrency is how many requests a roster pull keeps in flight; 0
	// means 8.
	Concurrency int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Client calls DingTalk's address-book APIs for one internal app. It
// caches the access token (renewed ten minutes before it expires, and once
// on errcode 40001, 40014 or 42001) and rate-limits each API on its own.
// It is safe for concurrent use; build one per instance.
type Client struct {
	cfg      Config
	endpoint string
	hc       *http.Client
	log      *slog.Logger

	mu      sync.Mutex // guards the token; held during a token fetch
	token   string
	expires time.Time

	limMu    sync.Mutex
	limiters map[string]*rate.Limiter

	statsMu sync.Mutex
	stats   Stats
}

// Stats counts a Client's HTTP requests.
type Stats struct {
	// Requests counts requests sent, per API (APIToken, APIUserGet, …).
	Requests map[string]int
	// Retries counts requests that repeated a failed one; RateLimited the
	// answers that were errcode 90018 or 90002.
	Retries, RateLimited int
}

// Stats returns a copy of the request counts so far.
func (c *Client) Stats() Stats {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	s := c.stats
	s.Requests = maps.Clone(c.stats.Requests)
	if s.Requests == nil {
		s.Requests = map[string]int{}
	}
	return s
}

// count records one request of api: a retry when attempt > 0.
func (c *Client) count(api string, attempt int) {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	if c.stats.Requests == nil {
		c.stats.Requests = map[string]int{}
	}
	c.stats.Requests[api]++
	if attempt > 0 {
		c.stats.Retries++
	}
}

func (c *Client) countRateLimited() {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	c.stats.RateLimited++
}

// tokenMargin is how long before its expiry a token is renewed [DOC
// server-api-calling-guide: ten minutes].
const tokenMargin = 10 * time.Minute

// NewClient returns a Client. It makes no request.
func NewClient(cfg Config) (*Client, error) {
	if cfg.AppKey == "" {
		return nil, errors.New("dingtalk: Config.AppKey is required (DINGTALK_APP_KEY)")
	}
	if cfg.Secret == nil {
		return nil, errors.New("dingtalk: Config.Secret is required")
	}
	c := &Client{cfg: cfg, limiters: map[string]*rate.Limiter{}}
	c.endpoint = strings.TrimRight(cfg.Endpoint, "/")
	if c.endpoint == "" {
		c.endpoint = DefaultEndpoint
	}
	if _, err := url.Parse(c.endpoint); err != nil {
		return nil, fmt.Errorf("dingtalk: Config.Endpoint: %v", err)
	}
	c.hc = cfg.HTTPClient
	if c.hc == nil {
		c.hc = &http.Client{
			Timeout: 10 * time.Second,
			// A redirect would carry the access token (or the app
			// secret) in its query to wherever it points: refuse it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	c.log = cfg.Logger
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.cfg.RPS <= 0 {
		c.cfg.RPS = 20
	}
	if c.cfg.Retries == 0 {
		c.cfg.Retries = 4
	} else if c.cfg.Retries < 0 {
		c.cfg.Retries = 0
	}
	if c.cfg.RetryWait <= 0 {
		c.cfg.RetryWait = time.Second
	}
	if c.cfg.Concurrency <= 0 {
		c.cfg.Concurrency = 8
	}
	if c.cfg.Now == nil {
		c.cfg.Now = time.Now
	}
	return c, nil
}

// APIError is a DingTalk API call that failed: a non-zero errcode, an
// HTTP status other than 200, or an answer that cannot be read. Its text
// names the API and never holds the access token or the app secret.
type APIError struct {
	API     string // APIUserGet, …
	Status  int    // HTTP status; 200 when DingTalk answered with an errcode
	ErrCode int    // DingTalk's errcode; 0 when there is none
	ErrMsg  string // DingTalk's errmsg, or what could not be read
	// Attempts is how many times the call was made.
	Attempts int
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dingtalk: %s: ", e.API)
	switch {
	case e.ErrCode != 0:
		fmt.Fprintf(&b, "errcode %d", e.ErrCode)
		if e.ErrMsg != "" {
			fmt.Fprintf(&b, " %s", quote(e.ErrMsg))
		}
	case e.Status != http.StatusOK:
		fmt.Fprintf(&b, "HTTP %d", e.Status)
		if e.ErrMsg != "" {
			fmt.Fprintf(&b, ": %s", e.ErrMsg)
		}
	default:
		b.WriteString(e.ErrMsg)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	if hint := errHint(e.ErrCode); hint != "" {
		b.WriteString("; " + hint)
	}
	return b.String()
}

// errHint says what to do about the errcodes an operator can fix.
func errHint(code int) string {
	switch code {
	case 40089, 40001, 40002, 40013:
		return "check DINGTALK_APP_KEY and the appSecret of the DingTalk secret"
	case 60011, 50002:
		return "grant the app the address-book permissions (qyapi_get_member, qyapi_get_department_list, qyapi_get_department_member) and set its scope to the whole org"
	case 60020:
		return "add the function's egress IP to the app's IP allow-list"
	}
	return ""
}

// Errcodes that mean the user is gone or out of the app's reach for good
// [DOC query-user-details]: 33012 invalid userid, 60121 no such user,
// 50002 outside the app's scope.
var goneCodes = map[int]bool{33012: true, 60121: true, 50002: true}

// ErrUserGone matches (errors.Is) an APIError saying the user does not
// exist or is outside the app's scope: a permanent answer, not worth a
// retry.
var ErrUserGone = errors.New("dingtalk: the user does not exist or is outside the app's scope")

// Is makes errors.Is(err, ErrUserGone) work.
func (e *APIError) Is(target error) bool {
	return target == ErrUserGone && goneCodes[e.ErrCode]
}

// Transient reports whether the same call may succeed later: everything
// but a gone user (ErrUserGone) and an answer that cannot be read. A
// refused permission or a bad app secret counts as transient: once the
// operator fixes it, a redelivery succeeds.
func (e *APIError) Transient() bool {
	if goneCodes[e.ErrCode] {
		return false
	}
	return !(e.Status == http.StatusOK && e.ErrCode == 0) // unreadable answers are not transient
}

// IsTransient reports whether err is worth retrying later (answer 503 to
// DingTalk so it redelivers): a network error, a 5xx, throttling, an
// expired deadline, a token that could not be had. A user that no longer
// exists (ErrUserGone) is not.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Transient()
	}
	var fe *FetchError
	if errors.As(err, &fe) {
		return IsTransient(fe.Err)
	}
	return !errors.Is(err, context.Canceled)
}

// retryable errcodes: throttled (90018 per app and API, 90002 global),
// timeouts (88, 15), system busy (-1) [DOC server-api-error-codes-1;
// SRC developerpedia retry.md].
var retryCodes = map[int]bool{90018: true, 90002: true, 88: true, 15: true, -1: true}

// tokenCodes mean the access token is invalid or expired: renew once.
var tokenCodes = map[int]bool{40001: true, 40014: true, 42001: true}

// limiter returns the rate limiter of one API.
func (c *Client) limiter(api string) *rate.Limiter {
	c.limMu.Lock()
	defer c.limMu.Unlock()
	l, ok := c.limiters[api]
	if !ok {
		l = rate.NewLimiter(rate.Limit(c.cfg.RPS), 1)
		c.limiters[api] = l
	}
	return l
}

// accessToken returns the cached token, fetching one when there is none or
// it has less than tokenMargin left. Concurrent callers share one fetch.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.cfg.Now().Before(c.expires.Add(-tokenMargin)) {
		return c.token, nil
	}
	s, err := c.cfg.Secret(ctx)
	if err != nil {
		return "", fmt.Errorf("dingtalk: reading the app secret: %w", err)
	}
	q := url.Values{"appkey": {c.cfg.AppKey}, "appsecret": {s.AppSecret.Reveal()}}
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := c.do(ctx, APIToken, http.MethodGet, "/gettoken", q, nil, &out); err != nil {
		return "", err
	}
	if out.AccessToken == "" {
		return "", &APIError{API: APIToken, Status: http.StatusOK, ErrMsg: "the answer has no access_token"}
	}
	if out.ExpiresIn <= 0 {
		out.ExpiresIn = 7200
	}
	c.token = out.AccessToken
	c.expires = c.cfg.Now().Add(time.Duration(out.ExpiresIn) * time.Second)
	c.log.DebugContext(ctx, "dingtalk: access token renewed", "expiresIn", out.ExpiresIn)
	return c.token, nil
}

// dropToken forgets tok if it is still the cached token.
func (c *Client) dropToken(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}

// post calls a topapi API with the access token, renewing the token once
// if DingTalk says it is invalid or expired.
func (c *Client) post(ctx context.Context, api string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("dingtalk: %s: encoding the request: %w", api, err)
	}
	for renewed := false; ; renewed = true {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		err = c.do(ctx, api, http.MethodPost, "/"+api, url.Values{"access_token": {tok}}, body, out)
		var ae *APIError
		if !renewed && errors.As(err, &ae) && tokenCodes[ae.ErrCode] {
			c.log.DebugContext(ctx, "dingtalk: access token refused, renewing", "api", api, "errcode", ae.ErrCode)
			c.dropToken(tok)
			continue
		}
		return err
	}
}

// maxAnswerBytes bounds an answer read (a page of 100 users is ~100 KB).
const maxAnswerBytes = 16 << 20

// do makes one API call with rate limiting and bounded retries, and
// decodes result (or, for gettoken, the whole answer) into out.
func (c *Client) do(ctx context.Context, api, method, path string, q url.Values, body []byte, out any) error {
	lim := c.limiter(api)
	var last *APIError
	for attempt := 0; ; attempt++ {
		if err := lim.Wait(ctx); err != nil {
			return fmt.Errorf("dingtalk: %s: %w", api, ctxErr(ctx, err))
		}
		c.count(api, attempt)
		err := c.once(ctx, api, method, path, q, body, out)
		if err == nil {
			return nil
		}
		var ae *APIError
		if !errors.As(err, &ae) {
			return err
		}
		if ae.ErrCode == 90018 || ae.ErrCode == 90002 {
			c.countRateLimited()
		}
		ae.Attempts = attempt + 1
		last = ae
		if !c.retryable(ae) || attempt >= c.cfg.Retries {
			if attempt > 0 {
				c.log.WarnContext(ctx, "dingtalk: giving up", "api", api, "attempts", attempt+1, "err", ae.Error())
			}
			return last
		}
		wait := c.cfg.RetryWait << min(attempt, 3)
		wait = wait/2 + rand.N(wait/2+1)
		c.log.DebugContext(ctx, "dingtalk: retrying", "api", api, "attempt", attempt+1, "wait", wait, "err", ae.Error())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (then %w)", last, ctx.Err())
		case <-t.C:
		}
	}
}

func (c *Client) retryable(e *APIError) bool {
	if e.Status == 0 { // network error
		return true
	}
	if e.Status != http.StatusOK {
		return e.Status >= 500 || e.Status == http.StatusTooManyRequests
	}
	return retryCodes[e.ErrCode]
}

func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// once makes one HTTP request. Network failures are an *APIError with
// Status 0 whose message has the URL's query (token, secret) removed.
func (c *Client) once(ctx context.Context, api, method, path string, q url.Values, body []byte, out any) error {
	u := c.endpoint + path + "?" + q.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("dingtalk: %s: %v", api, stripQuery(err))
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("dingtalk: %s: %w", api, ctx.Err())
		}
		return &APIError{API: api, ErrMsg: stripQuery(err).Error()}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return &APIError{API: api, ErrMsg: "reading the answer: " + stripQuery(err).Error()}
	}
	if resp.StatusCode != http.StatusOK {
		return &APIError{API: api, Status: resp.StatusCode, ErrMsg: snippet(data)}
	}
	if len(data) > maxAnswerBytes {
		return &APIError{API: api, Status: http.StatusOK, ErrMsg: fmt.Sprintf("the answer is larger than %d bytes", maxAnswerBytes)}
	}
	var env struct {
		ErrCode *int            `json:"errcode"`
		ErrMsg  string          `json:"errmsg"`
		Result  json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &env); err != nil || env.ErrCode == nil {
		// The per-IP ban answers HTML or {"status":1111,…} without an
		// errcode [DOC how-to-process-api-throttling…]: retry as a 503.
		return &APIError{API: api, Status: http.StatusServiceUnavailable, ErrMsg: "the answer has no errcode: " + snippet(data)}
	}
	if *env.ErrCode != 0 {
		return &APIError{API: api, Status: http.StatusOK, ErrCode: *env.ErrCode, ErrMsg: env.ErrMsg}
	}
	src := env.Result
	if api == APIToken {
		src = data
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return &APIError{API: api, Status: http.StatusOK, ErrMsg: "the answer's result cannot be read: " + err.Error()}
	}
	return nil
}

// stripQuery removes the query (access_token, appsecret) from the URL in
// a transport error.
func stripQuery(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery, u.Fragment = "", ""
			ue.URL = u.String()
		} else {
			ue.URL = "(url)"
		}
	}
	return err
}

// snippet is the start of an answer, for a message; it cannot hold the
// token (answers never echo it) and is cut to 200 bytes.
func snippet(data []byte) string {
	s := strings.ToValidUTF8(strings.TrimSpace(string(data)), "?")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return quote(s)
}
