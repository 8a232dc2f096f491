package scim

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// RetryPolicy bounds the retries of one operation. Retries happen on 429,
// 5xx and network errors; never on other 4xx. The wait before retry n
// (n = 1, 2, …) is a random duration in [0, min(MaxDelay, BaseDelay·2^(n-1))]
// ("full jitter"), or the server's Retry-After when it sent one (capped at
// MaxRetryAfter). A retry whose wait would pass the context's deadline is
// not attempted: the operation fails at once with the last error.
type RetryPolicy struct {
	// MaxAttempts is the number of HTTP requests per operation,
	// the first included. Zero means 6.
	MaxAttempts int
	// BaseDelay is the first backoff step. Zero means 200 ms.
	BaseDelay time.Duration
	// MaxDelay caps one backoff wait. Zero means 10 s.
	MaxDelay time.Duration
	// MaxRetryAfter caps a server's Retry-After. Zero means 2 min.
	MaxRetryAfter time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 6
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 200 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 10 * time.Second
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = 2 * time.Minute
	}
	return p
}

// backoff is the upper bound of the wait before retry n (n >= 1).
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// do runs r with rate limiting, token handling and retries, and returns the
// body of the 2xx answer.
func (c *Client) do(ctx context.Context, r *request) ([]byte, error) {
	var (
		last    *Error
		refused map[string]bool // tokens the server answered 401 to
		unknown bool            // the last attempt may have been applied
		applied bool            // some attempt may have been applied
		again   bool            // retry at once, outside the budget (after a 401)
	)
	for attempt := 1; ; attempt++ {
		if again {
			again = false
		} else if attempt > 1 {
			if unknown && r.settle != nil {
				res, done, err := r.settle(ctx)
				if err != nil {
					last.Detail = joinDetail(last.Detail, "outcome unknown and the lookup failed: "+err.Error())
					return nil, last
				}
				if done {
					return res, nil
				}
			}
			if attempt > c.retry.MaxAttempts {
				return nil, last
			}
			wait := c.jitter(c.retry.backoff(attempt - 1))
			if last.RetryAfter > 0 {
				wait = min(last.RetryAfter, c.retry.MaxRetryAfter)
			}
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
				last.Detail = joinDetail(last.Detail, fmt.Sprintf("no time left before the deadline to retry in %s", wait.Round(time.Millisecond)))
				return nil, last
			}
			c.log.DebugContext(ctx, "scim retry", "scimOp", r.op, "attempt", attempt, "wait", wait.Round(time.Millisecond), "after", last.Error())
			if err := c.sleep(ctx, wait); err != nil {
				return nil, c.ctxError(r.op, attempt-1, err, last)
			}
		}
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, c.ctxError(r.op, attempt-1, err, last)
		}
		token, err := c.tokens.Token(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, c.ctxError(r.op, attempt-1, ctx.Err(), last)
			}
			last = &Error{Op: r.op, Attempts: attempt - 1, Detail: "getting a token", Err: authError{err}}
			if !Transient(err) {
				return nil, last
			}
			unknown = false
			continue
		}
		status, body, header, sent, err := c.send(ctx, r, token)
		if err != nil {
			if ctx.Err() != nil {
				c.counts.add(r.op, "canceled")
				return nil, c.ctxError(r.op, attempt, ctx.Err(), last)
			}
			c.counts.add(r.op, "network_error")
			last = &Error{Op: r.op, Attempts: attempt, Detail: "request failed", Err: netError{err}}
			unknown = sent
			applied = applied || sent
			continue
		}
		c.counts.add(r.op, outcome(status))
		if status >= 200 && status < 300 {
			return body, nil
		}
		last = httpError(r.op, status, body, retryAfter(header))
		last.Attempts = attempt
		switch {
		case status == http.StatusUnauthorized && !refused[token]:
			// The token expired or was revoked early: drop it and try
			// again with a fresh one; the first time outside the retry
			// budget. The same token refused twice means dropping it
			// did not help: that is the answer.
			c.tokens.Invalidate(token)
			if refused == nil {
				refused = map[string]bool{}
				again = true
				attempt--
			}
			refused[token] = true
			unknown = false
			continue
		case status == http.StatusTooManyRequests:
			unknown = false
			continue
		case status >= 500:
			unknown, applied = true, true
			continue
		case status == http.StatusNotFound && applied && r.goneIsDone:
			return nil, nil
		}
		return nil, last
	}
}

func (c *Client) ctxError(op string, attempts int, err error, last *Error) *Error {
	e := &Error{Op: op, Attempts: attempts, Detail: "gave up", Err: err}
	if last != nil {
		e.Detail = "gave up after: " + last.Error()
	}
	return e
}

func joinDetail(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// retryAfter reads a Retry-After header in seconds or as an HTTP date.
func retryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// dialError reports whether err happened before the request could be
// written: the connection was never established.
func dialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var rec tls.RecordHeaderError
	if errors.As(err, &rec) {
		return true
	}
	var cv *tls.CertificateVerificationError
	return errors.As(err, &cv)
}

func outcome(status int) string {
	switch {
	case status >= 200 && status < 300:
		return "ok"
	case status == http.StatusNotFound:
		return "not_found"
	case status == http.StatusConflict:
		return "conflict"
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return "unauthorized"
	case status == http.StatusTooManyRequests:
		return "throttled"
	case status >= 500:
		return "server_error"
	default:
		return "invalid"
	}
}
