package fcruntime

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// httpEvent is the FC 3.0 HTTP trigger event, version v1 [ALIYUN.md §4.2
// DOC; vendor-data/fc3/http-event-template.json].
type httpEvent struct {
	Version         string             `json:"version"`
	RawPath         string             `json:"rawPath"`
	Headers         map[string]string  `json:"headers"`
	QueryParameters map[string]string  `json:"queryParameters"`
	Body            string             `json:"body"`
	IsBase64Encoded bool               `json:"isBase64Encoded"`
	RequestContext  httpRequestContext `json:"requestContext"`
}

type httpRequestContext struct {
	AccountID    string          `json:"accountId"`
	DomainName   string          `json:"domainName"`
	DomainPrefix string          `json:"domainPrefix"`
	HTTP         httpDescription `json:"http"`
	RequestID    string          `json:"requestId"`
	Time         string          `json:"time"`      // RFC 3339, seconds, UTC
	TimeEpoch    string          `json:"timeEpoch"` // epoch ms as a string
	TriggerID    string          `json:"triggerId"`
}

type httpDescription struct {
	Method    string `json:"method"`
	Path      string `json:"path"` // decoded; rawPath is as sent
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// newHTTPEvent converts a request and its body into the event. Header
// names are as net/http received them (canonical); values of a repeated
// header or query parameter are joined with ",". A body that is not
// UTF-8 is sent in base64 with isBase64Encoded.
func (t *httpTrigger) newHTTPEvent(r *http.Request, body []byte, requestID string, now time.Time) httpEvent {
	ev := httpEvent{
		Version:         "v1",
		RawPath:         r.URL.EscapedPath(),
		Headers:         joinValues(r.Header),
		QueryParameters: joinValues(r.URL.Query()),
		Body:            string(body),
		RequestContext: httpRequestContext{
			AccountID:    t.rt.opts.AccountID,
			DomainName:   t.domainPrefix + "." + t.rt.opts.Region + ".fcapp.run",
			DomainPrefix: t.domainPrefix,
			HTTP: httpDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP(r.RemoteAddr),
				UserAgent: r.UserAgent(),
			},
			RequestID: requestID,
			Time:      now.UTC().Format(time.RFC3339),
			TimeEpoch: strconv.FormatInt(now.UnixMilli(), 10),
			TriggerID: t.triggerID,
		},
	}
	if !utf8.Valid(body) {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return ev
}

func joinValues(m map[string][]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = strings.Join(v, ",")
	}
	return out
}

func sourceIP(remoteAddr string) string {
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return host
	}
	return remoteAddr
}

// httpResponse is what a function returns for an HTTP trigger.
type httpResponse struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	Body            string            `json:"body"`
}

// writeHTTPResponse maps the function's result to the HTTP response. An
// object with a statusCode is {statusCode, headers, isBase64Encoded,
// body}; anything else is sent as a 200 JSON body [ALIYUN.md §4.2 INFER].
func writeHTTPResponse(w http.ResponseWriter, payload []byte) {
	var probe map[string]json.RawMessage
	if json.Unmarshal(payload, &probe) != nil || probe["statusCode"] == nil {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(payload)
		return
	}
	var resp httpResponse
	if err := json.Unmarshal(payload, &resp); err != nil {
		writeUnhandled(w, "InvalidResponse", fmt.Sprintf("fcruntime: HTTP trigger response: %v", err))
		return
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			writeUnhandled(w, "InvalidResponse", fmt.Sprintf("fcruntime: HTTP trigger response body: %v", err))
			return
		}
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	if status < 100 || status > 999 {
		writeUnhandled(w, "InvalidResponse", fmt.Sprintf("fcruntime: HTTP trigger response: status %d", status))
		return
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeFunctionError answers a function error as FC does for a synchronous
// caller: 502 with X-Fc-Error-Type and the error body [ALIYUN.md §4.1 DOC].
func writeFunctionError(w http.ResponseWriter, raw []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Fc-Error-Type", "UnhandledInvocationError")
	w.WriteHeader(http.StatusBadGateway)
	_, _ = w.Write(raw)
}

// writeUnhandled answers a failure without a function error body (a
// timeout, an exit) like a function error with a body of our own.
func writeUnhandled(w http.ResponseWriter, errorType, message string) {
	raw, _ := json.Marshal(FunctionError{Message: message, Type: errorType})
	writeFunctionError(w, raw)
}
