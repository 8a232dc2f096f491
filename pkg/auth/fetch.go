package auth

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/ramsync/ramsync/pkg/secrets"
)

// fetcher is the uncached token source under the reuse cache.
type fetcher struct{ s *Source }

func (f fetcher) Token() (*oauth2.Token, error) {
	s := f.s
	secret, err := s.cfg.Secrets.Get(s.ctx, s.cfg.SecretName)
	if err != nil {
		return nil, &Error{TokenURL: s.cfg.TokenURL, Detail: "reading the app secret", Err: err}
	}
	tok, err := s.fetch(secret)
	var e *Error
	if errors.As(err, &e) && e.Code == "invalid_client" {
		// The secret may have been rotated: read it again, past the
		// cache, and try once more.
		s.cfg.Logger.Warn("oauth token endpoint refused the app secret; re-reading it from Secrets Manager",
			"secretName", s.cfg.SecretName)
		fresh, rerr := s.cfg.Secrets.Refresh(s.ctx, s.cfg.SecretName)
		if rerr != nil {
			return nil, &Error{TokenURL: s.cfg.TokenURL, Detail: "re-reading the app secret after invalid_client", Err: rerr}
		}
		if fresh.Equal(secret) {
			return nil, err
		}
		tok, err = s.fetch(fresh)
	}
	if err != nil {
		return nil, err
	}
	if !tok.Expiry.IsZero() {
		life := time.Until(tok.Expiry)
		tok.Expiry = tok.Expiry.Add(-min(s.cfg.EarlyExpiry, life/5))
	}
	s.cfg.Logger.Debug("oauth token fetched", "expiresIn", time.Until(tok.Expiry).Round(time.Second).String())
	return tok, nil
}

func (s *Source) fetch(secret secrets.Value) (*oauth2.Token, error) {
	s.fetches.Add(1)
	cc := &clientcredentials.Config{
		ClientID:     s.cfg.ClientID,
		ClientSecret: secret.Reveal(),
		TokenURL:     s.cfg.TokenURL,
		Scopes:       s.cfg.Scopes,
		// Explicit: auto-detection would send a second request after
		// any failure.
		AuthStyle: oauth2.AuthStyleInHeader,
		// Alibaba's documented request names the client in a parameter
		// as well as in the Basic header.
		EndpointParams: url.Values{"client_id": {s.cfg.ClientID}},
	}
	tok, err := cc.Token(s.ctx)
	if err != nil {
		return nil, s.wrap(err, secret)
	}
	return tok, nil
}

// Error is a failed token request.
type Error struct {
	TokenURL string
	// Status is the HTTP status of the token endpoint's answer, 0 if none.
	Status int
	// Code and Description are the RFC 6749 error fields, when sent.
	Code, Description string
	Detail            string
	Err               error

	network bool // no answer came from the endpoint
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("auth: token request to " + e.TokenURL)
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, ": %d", e.Status)
	}
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	if e.Code == "invalid_client" {
		b.WriteString(" (check SCIM_CLIENT_ID and the app secret in Secrets Manager)")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Transient reports whether asking again later may work: the endpoint or
// Secrets Manager was unreachable, throttling or failing.
func (e *Error) Transient() bool {
	if e.Status != 0 {
		return e.Status == 429 || e.Status >= 500
	}
	var t interface{ Transient() bool }
	if errors.As(e.Err, &t) {
		return t.Transient()
	}
	return e.network
}

// wrap turns an x/oauth2 error into an *Error, keeping the endpoint's raw
// body and the request (with its Authorization header) out of it.
func (s *Source) wrap(err error, secret secrets.Value) error {
	e := &Error{TokenURL: s.cfg.TokenURL}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.Response != nil {
			e.Status = re.Response.StatusCode
		}
		e.Code = scrub(re.ErrorCode, secret)
		e.Description = scrub(re.ErrorDescription, secret)
		if e.Code == "" && e.Description == "" {
			e.Detail = "unexpected answer"
		}
		return e
	}
	e.Err = errors.New(scrub(err.Error(), secret))
	e.network = true
	return e
}

func scrub(s string, secret secrets.Value) string {
	if v := secret.Reveal(); v != "" {
		s = strings.ReplaceAll(s, v, secrets.Redacted)
		s = strings.ReplaceAll(s, url.QueryEscape(v), secrets.Redacted)
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
