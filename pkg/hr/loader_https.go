package hr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ramsync/ramsync/pkg/secrets"
)

func (l *Loader) fetchHTTPS(ctx context.Context, u *url.URL) (*fetch, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, errors.New("cannot make a request for the URL")
	}
	req.Header.Set("Accept", "application/json, text/csv;q=0.9, */*;q=0.1")
	if l.Credentials != nil {
		v, err := l.Credentials(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading the credentials: %w", err)
		}
		auth, err := authorization(v)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", auth)
	}
	resp, err := l.client().Do(req)
	if err != nil {
		// *url.Error repeats the URL, with the user name; say it once, without.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("GET: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("GET: %s", resp.Status)
	}
	limit := l.maxBytes()
	if resp.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	data, err := l.readAll(resp.Body)
	if err != nil {
		if !errors.Is(err, errTooLarge) {
			err = fmt.Errorf("reading the body: %w", err)
		}
		return nil, err
	}
	f := &fetch{data: data, format: formatByType(resp.Header.Get("Content-Type"))}
	if f.format == "" {
		f.format = formatByExt(u.Path)
	}
	if lm := resp.Header.Get("Last-Modified"); lm != "" {
		if t, err := http.ParseTime(lm); err == nil {
			f.modTime, f.modSource = t, AsOfLastModified
		}
	}
	return f, nil
}

// client returns the HTTP client to use: the Loader's, or a default, made to
// refuse redirects to anything but https://.
func (l *Loader) client() *http.Client {
	c := http.Client{Timeout: 30 * time.Second}
	if l.HTTPClient != nil {
		c = *l.HTTPClient
	}
	next := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" {
			return errors.New("redirect to a non-https URL refused")
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &c
}

// authorization checks a credentials value: an Authorization header value
// with the Bearer or Basic scheme. Errors never echo the value.
func authorization(v secrets.Value) (string, error) {
	s := strings.TrimSpace(v.Reveal()) // secrets often end in a newline
	scheme, rest, _ := strings.Cut(s, " ")
	if !strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "Basic") || strings.TrimSpace(rest) == "" {
		return "", errors.New(`the credentials must be an Authorization header value, "Bearer <token>" or "Basic <base64>"`)
	}
	if strings.ContainsAny(s, "\r\n\x00") {
		return "", errors.New("the credentials contain a line break")
	}
	return s, nil
}
