// Command echo is a Function Compute function for the fcruntime tests,
// built with the real SDK. It reports what it saw of its invocation.
//
// A payload {"mode": …} selects what it does:
//
//	"" or "echo"  return a reply (below)
//	"sleep"       sleep sleepMs, ignoring the deadline, then reply
//	"untilDeadline" wait for the context's deadline, return its error
//	"error"       return an error "<message> (retry N)"
//	"failUntil"   return an error while the retry count is below retries
//	"panic"       panic with message
//	"exit"        exit with code 3 in the middle of the invocation
//
// An HTTP trigger event (version "v1") gets an HTTP response whose body is
// the event as received; its query selects ?status=N, ?binary=1 (a
// base64 body), ?error=1 (a function error), ?sleepMs=N (sleep first). An environment variable
// ECHO_FAIL_AT_START makes it print one line to stderr and exit 2 before
// serving, as a bad configuration does.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
)

type request struct {
	Mode    string `json:"mode"`
	SleepMS int    `json:"sleepMs"`
	Message string `json:"message"`
	Retries int    `json:"retries"`
	Version string `json:"version"`
	Query   struct {
		Status string `json:"status"`
		Binary string `json:"binary"`
		Error  string `json:"error"`
		Sleep  string `json:"sleepMs"`
	} `json:"queryParameters"`
}

// reply is what the echo mode returns.
type reply struct {
	RequestID       string            `json:"requestId"`
	Payload         json.RawMessage   `json:"payload"`
	HasDeadline     bool              `json:"hasDeadline"`
	DeadlineMS      int64             `json:"deadlineMs"`
	TimeoutS        int               `json:"timeoutS"`
	Function        string            `json:"function"`
	Handler         string            `json:"handler"`
	Memory          string            `json:"memory"`
	Qualifier       string            `json:"qualifier"`
	Region          string            `json:"region"`
	AccountID       string            `json:"accountId"`
	AccessKeyID     string            `json:"accessKeyId"`
	AccessKeySecret string            `json:"accessKeySecret"`
	SecurityToken   string            `json:"securityToken"`
	RetryCount      int               `json:"retryCount"`
	Env             map[string]string `json:"env"`
	PID             int               `json:"pid"`
	Cwd             string            `json:"cwd"`
	StartMS         int64             `json:"startMs"`
	EndMS           int64             `json:"endMs"`
}

type httpResponse struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	Body            string            `json:"body"`
}

func handle(ctx context.Context, payload json.RawMessage) (any, error) {
	start := time.Now()
	fctx, _ := fccontext.FromContext(ctx)
	var req request
	_ = json.Unmarshal(payload, &req)
	fmt.Printf("{\"level\":\"INFO\",\"requestId\":%q,\"msg\":\"echo\",\"mode\":%q}\n", fctx.RequestID, req.Mode)
	fmt.Fprintf(os.Stderr, "echo: stderr line for %s\n", fctx.RequestID)

	if req.Version == "v1" {
		return httpReply(payload, req)
	}
	switch req.Mode {
	case "sleep":
		time.Sleep(time.Duration(req.SleepMS) * time.Millisecond)
	case "untilDeadline":
		<-ctx.Done()
		return nil, ctx.Err()
	case "error":
		return nil, fmt.Errorf("%s (retry %d)", req.Message, fctx.RetryCount)
	case "failUntil":
		if fctx.RetryCount < req.Retries {
			return nil, fmt.Errorf("not yet (retry %d)", fctx.RetryCount)
		}
	case "panic":
		panic(req.Message)
	case "exit":
		fmt.Fprintln(os.Stderr, "echo: exiting mid-invocation")
		os.Exit(3)
	}
	r := reply{
		RequestID:       fctx.RequestID,
		Payload:         payload,
		TimeoutS:        fctx.Function.Timeout,
		Function:        fctx.Function.Name,
		Handler:         fctx.Function.Handler,
		Memory:          fctx.Function.Memory,
		Qualifier:       fctx.Service.Qualifier,
		Region:          fctx.Region,
		AccountID:       fctx.AccountId,
		AccessKeyID:     fctx.Credentials.AccessKeyId,
		AccessKeySecret: fctx.Credentials.AccessKeySecret,
		SecurityToken:   fctx.Credentials.SecurityToken,
		RetryCount:      fctx.RetryCount,
		Env:             map[string]string{},
		PID:             os.Getpid(),
		StartMS:         start.UnixMilli(),
		EndMS:           time.Now().UnixMilli(),
	}
	if d, ok := ctx.Deadline(); ok {
		r.HasDeadline, r.DeadlineMS = true, d.UnixMilli()
	}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		r.Env[k] = v
	}
	r.Cwd, _ = os.Getwd()
	return r, nil
}

// httpReply answers an HTTP trigger event with the event as the body.
func httpReply(event json.RawMessage, req request) (any, error) {
	if req.Query.Sleep != "" {
		var ms int
		_, _ = fmt.Sscan(req.Query.Sleep, &ms)
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	if req.Query.Error != "" {
		return nil, errors.New("http handler failed")
	}
	resp := httpResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json", "X-Echo": "yes"},
		Body:       string(event),
	}
	if req.Query.Status != "" {
		_, _ = fmt.Sscan(req.Query.Status, &resp.StatusCode)
	}
	if req.Query.Binary != "" {
		resp.Headers["Content-Type"] = "application/octet-stream"
		resp.Body = base64.StdEncoding.EncodeToString([]byte{0xff, 0x00, 0xfe})
		resp.IsBase64Encoded = true
	}
	return resp, nil
}

func main() {
	if v := os.Getenv("ECHO_FAIL_AT_START"); v != "" {
		fmt.Fprintf(os.Stderr, "echo: bad configuration: ECHO_FAIL_AT_START=%s\n", v)
		os.Exit(2)
	}
	fc.Start(handle)
}
