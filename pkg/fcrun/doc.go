// Package fcrun runs ramsync's handlers on Function Compute 3.0 (runtime
// go1) and is the only package that imports the FC runtime SDK
// (github.com/aliyun/fc-runtime-go-sdk).
//
// It provides:
//
//   - [HTTPEvent] and [HTTPResponse], the HTTP trigger's event and answer
//     (the SDK's own types use pointers everywhere and a misnamed field; see
//     https://www.alibabacloud.com/help/en/functioncompute/fc/http-trigger-invoking-function),
//     and [ServeHTTP], which runs a plain http.Handler on such an event;
//   - [NewLogger], a log/slog JSON handler on stdout that adds "function"
//     and the invocation's "requestId" to every line;
//   - [Invocation], which records the invocation's STS credentials for the
//     clients built once per instance, and puts a logger on the context.
package fcrun
