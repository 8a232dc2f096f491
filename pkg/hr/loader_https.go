package hr

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ramsync/ramsync/pkg/secrets"
)

// getter fetches the pages of one https:// roster with one Authorization
// header: Credentials, else the URL's userinfo as Basic, else none.
type getter struct {
	client *http.Client
	auth   string
}

func (l *Loader) newGetter(ctx context.Context, u *url.URL) (*getter, error) {
	g := &getter{}
	switch {
	case l.Credentials != nil:
		v, err := l.Credentials(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading the credentials: %w", err)
		}
		if g.auth, err = authorization(v); err != nil {
			return nil, err
		}
	case u.User != nil:
		pw, _ := u.User.Password()
		g.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pw))
	}
	g.client = l.client(u, g.auth != "")
	return g, nil
}

// get fetches u (its userinfo dropped: it travels in the header) and reads
// at most limit bytes.
func (g *getter) get(ctx context.Context, u *url.URL, limit int64) (*fetch, error) {
	c := *u
	c.User = nil
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.String(), nil)
	if err != nil {
		return nil, errors.New("cannot make a request for the URL")
	}
	req.Header.Set("Accept", "application/json, text/csv;q=0.9, */*;q=0.1")
	if g.auth != "" {
		req.Header.Set("Authorization", g.auth)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		// *url.Error repeats the URL, with its query; say it once, without.
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
	if resp.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	data, err := readAll(resp.Body, limit)
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

// follow reads the pages of a SuccessFactors export after the first, whose
// __next link is next and which was size bytes long. Every page must come
// from the roster's own origin and parse as SuccessFactors; the first that
// does not ends the load.
func (l *Loader) follow(ctx context.Context, g *getter, first *url.URL, next string, b *builder, size int64) error {
	maxPages := l.MaxPages
	if maxPages <= 0 {
		maxPages = DefaultMaxRosterPages
	}
	visited := map[string]bool{first.String(): true}
	for page := 2; next != ""; page++ {
		u, err := nextPage(first, next)
		if err != nil {
			return fmt.Errorf("page %d: %w; no page of the export was used", page, err)
		}
		at := fmt.Sprintf("page %d (%s)", page, redactURL(u))
		if page > maxPages {
			return fmt.Errorf("%s: more than %d pages; no page of the export was used", at, maxPages)
		}
		if visited[u.String()] {
			return fmt.Errorf("%s: __next points back to a page already read; no page of the export was used", at)
		}
		visited[u.String()] = true
		f, err := g.get(ctx, u, l.maxBytes()-size)
		if errors.Is(err, errTooLarge) {
			err = fmt.Errorf("the pages together are %w", tooLarge(l.maxBytes()))
		}
		if err != nil {
			return fmt.Errorf("%s: %w; no page of the export was used", at, err)
		}
		size += int64(len(f.data))
		if next, err = b.parse(f.data, FormatSuccessFactors, ""); err != nil {
			return fmt.Errorf("%s: %w; no page of the export was used", at, err)
		}
	}
	return nil
}

// nextPage resolves a __next link against the roster URL and refuses one
// that leaves the roster's scheme, host and port: the credentials go with
// it.
func nextPage(first *url.URL, next string) (*url.URL, error) {
	ref, err := url.Parse(next)
	if err != nil {
		return nil, errors.New("__next is not a URL")
	}
	u := first.ResolveReference(ref)
	if !sameOrigin(u, first) {
		return nil, fmt.Errorf("__next leads to %s, not the roster's %s: refused (the credentials go only to the roster's own host)", origin(u), origin(first))
	}
	u.User = first.User
	return u, nil
}

// sameOrigin reports whether a and b have the same scheme, host and port.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// origin prints scheme://host[:port] of u.
func origin(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
}

// client returns the HTTP client to use: the Loader's, or a default, made to
// refuse redirects to anything but https://, and with credentials redirects
// that leave the roster's origin (from is the roster URL).
func (l *Loader) client(from *url.URL, credentials bool) *http.Client {
	c := http.Client{Timeout: 30 * time.Second}
	if l.HTTPClient != nil {
		c = *l.HTTPClient
	}
	next := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" {
			return errors.New("redirect to a non-https URL refused")
		}
		if !sameOrigin(req.URL, via[0].URL) {
			if credentials {
				return fmt.Errorf("redirect from %s to %s refused: the roster's credentials go only to its own host", origin(via[0].URL), origin(req.URL))
			}
			req.Header.Del("Authorization")
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
