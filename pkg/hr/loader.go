package hr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/ramsync/ramsync/pkg/secrets"
)

// DefaultMaxRosterBytes is the largest roster a Loader reads when MaxBytes
// is zero.
const DefaultMaxRosterBytes = 64 << 20

// DefaultMaxRosterPages is the most pages of a SuccessFactors export a
// Loader follows.
const DefaultMaxRosterPages = 10000

// Loader reads rosters from https:// and file:// URLs. Its zero value is
// ready to use. A Loader is safe for concurrent use if its fields are not
// changed.
type Loader struct {
	// Format is ROSTER_FORMAT: one of Formats. "" or FormatAuto reads the
	// Content-Type, the file extension and the content (see Load); a named
	// format forces that parser.
	Format string
	// HTTPClient fetches https:// rosters. Nil means a client with a 30 s
	// timeout. Redirects to anything but https:// are refused, and with
	// credentials (Credentials or the URL's userinfo) so are redirects to
	// another scheme, host or port: the Authorization header goes only to
	// the roster's own origin.
	HTTPClient *http.Client
	// Credentials, if set, returns the whole Authorization header value for
	// https:// rosters, "Bearer …" or "Basic …" (read from Secrets Manager
	// by the caller). It is called once per Load.
	Credentials func(ctx context.Context) (secrets.Value, error)
	// MaxBytes is the largest roster read, all pages of a paged export
	// together. Zero means DefaultMaxRosterBytes.
	MaxBytes int64
	// MaxPages is the most pages of a SuccessFactors export followed. Zero
	// means DefaultMaxRosterPages.
	MaxPages int
	// Now is the clock for AsOf when the roster has no time of its own. Nil
	// means time.Now.
	Now func() time.Time
	// StandardFieldsOnly leaves Employee.Fields nil: for a mapping that
	// reads only id, email, displayName and status, a large roster then
	// takes a fraction of the memory.
	StandardFieldsOnly bool
}

// Load reads the roster at rawURL, https:// or file://. Unless Format names
// one, the format comes from the Content-Type or the file extension (.json,
// .csv) when they say CSV, else from the content (see Parse); Roster.Format
// says which was read. A SuccessFactors export's __next links are followed,
// on the roster's own scheme, host and port with the same credentials:
// every page or none, so a page that fails fails the load. AsOf is the
// roster's asOf field, else the Last-Modified header or the file's
// modification time (of a single-document roster), else the time the fetch
// of the first page started.
//
// Errors and Roster.Source name the URL as scheme://host/path only: no
// userinfo, no query string (a signed URL or ?token= is a credential), no
// fragment. http:// is refused: credentials must never travel in clear
// text.
func (l *Loader) Load(ctx context.Context, rawURL string) (*Roster, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		detail := ""
		var ue *url.Error
		if errors.As(err, &ue) && !strings.Contains(rawURL, "@") && !strings.Contains(rawURL, "?") {
			detail = ": " + ue.Err.Error()
		}
		return nil, fmt.Errorf("hr: roster URL cannot be parsed%s", detail)
	}
	src := redactURL(u)
	fail := func(err error) (*Roster, error) { return nil, fmt.Errorf("hr: roster %s: %w", src, err) }
	format, err := checkFormat(l.Format)
	if err != nil {
		return fail(err)
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	fetched := now() // before the fetch: an earlier AsOf protects more users

	var f *fetch
	var g *getter
	switch u.Scheme {
	case "https":
		g, err = l.newGetter(ctx, u)
		if err == nil {
			f, err = g.get(ctx, u, l.maxBytes())
		}
	case "file":
		f, err = l.readFile(u)
	case "http":
		err = errors.New("http:// is not allowed, use https:// (credentials must never travel in clear text)")
	case "":
		err = errors.New("no scheme: use https:// or file://")
	default:
		err = fmt.Errorf("scheme %s is not supported: use https:// or file://", quote(u.Scheme))
	}
	if err != nil {
		return fail(err)
	}
	b := newBuilder(parseOptions{standardFieldsOnly: l.StandardFieldsOnly})
	next, err := b.parse(f.data, format, f.format)
	if err != nil {
		return fail(err)
	}
	if next != "" {
		if g == nil {
			return fail(errors.New("successfactors: the export has more pages (__next), which a file cannot follow: save every page in one file, or read it from its https:// URL"))
		}
		if err := l.follow(ctx, g, u, next, b, int64(len(f.data))); err != nil {
			return fail(err)
		}
		f.modTime = time.Time{} // a paged export is as of its first page
	}
	if err := b.r.check(); err != nil {
		return fail(err)
	}
	r := b.r
	r.Source = src
	switch {
	case r.AsOfSource != "":
	case !f.modTime.IsZero():
		r.AsOf, r.AsOfSource = f.modTime, f.modSource
	default:
		r.AsOf, r.AsOfSource = fetched, AsOfFetchTime
	}
	return r, nil
}

// fetch is a roster's bytes and what the transport said about them.
type fetch struct {
	data      []byte
	format    string // "" to sniff
	modTime   time.Time
	modSource string
}

func (l *Loader) maxBytes() int64 {
	if l.MaxBytes > 0 {
		return l.MaxBytes
	}
	return DefaultMaxRosterBytes
}

// readAll reads at most limit bytes from rd.
func readAll(rd io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(rd, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(limit)
	}
	return data, nil
}

var errTooLarge = errors.New("larger than the limit")

func tooLarge(limit int64) error {
	return fmt.Errorf("%w of %d bytes", errTooLarge, limit)
}

func (l *Loader) readFile(u *url.URL) (*fetch, error) {
	if u.Host != "" && u.Host != "localhost" {
		return nil, fmt.Errorf("file URLs name a local file, file:///path, not host %s", quote(u.Host))
	}
	if u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return nil, errors.New("file URLs need an absolute path, file:///path")
	}
	fh, err := os.Open(u.Path)
	if err != nil {
		return nil, unwrapPath(err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, unwrapPath(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if fi.Size() > l.maxBytes() {
		return nil, tooLarge(l.maxBytes())
	}
	data, err := readAll(fh, l.maxBytes())
	if err != nil {
		return nil, unwrapPath(err)
	}
	return &fetch{data: data, format: formatByExt(u.Path), modTime: fi.ModTime(), modSource: AsOfFileTime}, nil
}

// unwrapPath drops the path an *os.PathError repeats: the message names the
// URL already.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func formatByExt(p string) string {
	switch strings.ToLower(path.Ext(p)) {
	case ".json":
		return "json"
	case ".csv":
		return "csv"
	}
	return ""
}

// formatByType reads a Content-Type: application/json (or any +json) is
// JSON, text/csv is CSV, anything else is "".
func formatByType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return "json"
	case mt == "text/csv":
		return "csv"
	}
	return ""
}

// redactURL prints u as scheme://host/path: no userinfo, query or
// fragment, any of which can carry a credential.
func redactURL(u *url.URL) string {
	c := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath, Opaque: u.Opaque}
	if c.Opaque != "" {
		// file:roster.csv or mailto-like forms: the opaque part may hold
		// anything; keep it only up to a '?'.
		c.Opaque, _, _ = strings.Cut(c.Opaque, "?")
	}
	return c.String()
}
