package fcrun

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// HTTPEvent is the event an FC 3.0 HTTP trigger delivers. Multi-valued
// headers and query parameters arrive joined with ",".
type HTTPEvent struct {
	Version         string            `json:"version"`
	RawPath         string            `json:"rawPath"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	Headers         map[string]string `json:"headers"`
	QueryParameters map[string]string `json:"queryParameters"`
	RequestContext  RequestContext    `json:"requestContext"`
}

// RequestContext is the HTTP trigger's requestContext.
type RequestContext struct {
	AccountID    string      `json:"accountId"`
	DomainName   string      `json:"domainName"`
	DomainPrefix string      `json:"domainPrefix"`
	HTTP         HTTPContext `json:"http"`
	RequestID    string      `json:"requestId"`
	Time         string      `json:"time"`
	// TimeEpoch is milliseconds since the epoch, as a string.
	TimeEpoch string `json:"timeEpoch"`
	TriggerID string `json:"triggerId,omitempty"`
}

// HTTPContext describes the HTTP request.
type HTTPContext struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// HTTPResponse is what the function returns for an HTTP trigger.
type HTTPResponse struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	Body            string            `json:"body"`
}

// Request turns the event into an *http.Request. A base64 body is decoded.
func (ev HTTPEvent) Request(ctx context.Context) (*http.Request, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return nil, err
		}
		body = b
	}
	method := ev.RequestContext.HTTP.Method
	if method == "" {
		method = http.MethodGet
	}
	path := ev.RawPath
	if path == "" {
		path = ev.RequestContext.HTTP.Path
	}
	if path == "" {
		path = "/"
	}
	u := &url.URL{Path: path}
	if p, err := url.PathUnescape(path); err == nil {
		u.Path, u.RawPath = p, path
	}
	q := url.Values{}
	for k, v := range ev.QueryParameters {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range ev.Headers {
		// The map may hold one header under two spellings; Add keeps both.
		req.Header.Add(k, v)
	}
	req.Host = ev.RequestContext.DomainName
	req.RemoteAddr = ev.RequestContext.HTTP.SourceIP
	return req, nil
}

// ServeHTTP runs h on an HTTP trigger event and returns its answer. Text
// bodies are returned as they are; others are base64-encoded.
func ServeHTTP(ctx context.Context, h http.Handler, ev HTTPEvent) HTTPResponse {
	req, err := ev.Request(ctx)
	if err != nil {
		return HTTPResponse{StatusCode: http.StatusBadRequest, Headers: map[string]string{"Content-Type": "application/json"},
			Body: `{"error":{"code":"bad_request","message":"the body is marked base64 but is not valid base64"}}`}
	}
	rec := &recorder{header: http.Header{}}
	h.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	body := rec.body.Bytes()
	out := HTTPResponse{StatusCode: rec.status, Headers: map[string]string{}}
	for k, v := range rec.header {
		out.Headers[k] = strings.Join(v, ",")
	}
	if utf8.Valid(body) {
		out.Body = string(body)
	} else {
		out.Body, out.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return out
}

// recorder is a minimal http.ResponseWriter.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
