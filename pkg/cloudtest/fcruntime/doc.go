// Package fcruntime is a local Alibaba Cloud Function Compute 3.0 runtime
// that runs the real compiled function binaries (runtime go1, built with
// github.com/aliyun/fc-runtime-go-sdk), for end-to-end tests, demos and
// benchmarks. It is shaped like net/http/httptest: New, Deploy, Invoke,
// Close.
//
// An instance is one OS process of a deployed binary. Each has its own
// runtime API listener on 127.0.0.1, passed as FC_RUNTIME_API, which is the
// only thing the SDK needs to run (fc/entry.go). The runtime API serves
//
//	GET  /2020-11-11/runtime/invocation/next          long poll; the event
//	POST /2020-11-11/runtime/invocation/{id}/response the handler's result
//	POST /2020-11-11/runtime/invocation/{id}/error    {"errorMessage","errorType"[,"stackTrace"]}
//
// with the x-fc-* headers the SDK reads (request id, deadline, timeout,
// credentials, function, region, account, qualifier, retry count). The
// facts it follows are in shared/ALIYUN.md §4 and the emulator checklist,
// items 17–25.
//
// # What it emulates
//
//   - The process environment FC gives a function: FC_RUNTIME_API,
//     FC_REGION, FC_ACCOUNT_ID, FC_FUNCTION_NAME, FC_FUNCTION_HANDLER,
//     FC_FUNCTION_MEMORY_SIZE, FC_INSTANCE_ID, FC_FUNC_CODE_PATH,
//     FC_FUNCTION_VERSION=LATEST, the role's STS credentials as
//     ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET/_SECURITY_TOKEN, the function's
//     environment variables, and PATH, HOME and TMPDIR from the parent. The
//     working directory is the binary's directory (the code directory).
//   - One invocation at a time per instance (instanceConcurrency 1): the
//     SDK asks for the next event before it has answered the current one,
//     and that request is held until the current one is answered and a new
//     one is assigned. Up to Function.MaxInstances instances; an
//     invocation takes an idle warm instance, else starts one, else queues.
//   - The deadline: an invocation without a result by its deadline (plus
//     a 200 ms grace) fails with ErrTimeout and its process is killed; a
//     fresh one starts for later invocations. A process that exits with an
//     invocation pending fails it with an *ExitError that carries the exit
//     code and the last lines of stderr.
//   - Synchronous (32 MB payload limit) and asynchronous (128 KB) invocation;
//     async retries on any failure with x-fc-retry-count 1, 2, 3 (default 3
//     retries, like maxAsyncRetryAttempts), keeping the request id, and
//     records the destination (onSuccess or onFailure).
//   - Triggers: HTTP (the v1 event, response mapping, methods, authType),
//     timer (the event; fired on demand), EventBridge (CloudEvents, one per
//     invocation or a batch as an array, a source/type filter) including an
//     MNS queue source.
//   - Logs: every stdout and stderr line of every process, kept per
//     function (the last MaxLogLines) and passed to Options.Log. When
//     Invoke returns, every line the function wrote before its result (or
//     before it was killed or exited) is there: at each result the runtime
//     writes a marker into the output pipes behind the function's output
//     and waits until it has been read, so tests can grep the logs of an
//     invocation right after it.
//   - Provisioned instances: Start starts one and waits for its first
//     GET /next, which is also how a test sees a bad configuration (an
//     *ExitError with the exit code and the stderr line).
//
// # What it does not emulate
//
//   - Freezing idle instances, billing, memory or CPU limits, instance
//     recycling, disk size, VPC, layers, custom runtimes or containers. A
//     kill ends the instance's process, not processes it started.
//   - Lifecycle hooks (initializer, preFreeze, preStop) and FC 2.0 HTTP
//     functions (x-fc-http-params).
//   - instanceConcurrency above 1, reservedConcurrency other than
//     MaxInstances, throttling (invocations queue instead of getting 429),
//     maxAsyncEventAgeInSeconds, and the real destinations (the outcome
//     only names one).
//   - Real authentication: authType "function" only requires an
//     Authorization header to be present; no signature is checked. "jwt"
//     is not supported.
//   - Cron parsing and scheduling: FireTimer fires a timer when the test
//     says so. EventBridge's RawData schema, batching windows, and filter
//     patterns beyond exact-match lists of source and type.
//   - The platform's own error bodies for throttling, 4xx and internal
//     errors, whose exact shape is not documented [ALIYUN.md §4.1 UNKNOWN];
//     the ones here are plain and say so.
//
// Inferences of ours, not documentation:
//
//   - The FC3 request id "1-<8 hex>-<24 hex>" starts with the epoch
//     seconds in hex (it matches the documented example's time).
//   - Async retries happen at once unless AsyncOptions.RetryDelay says
//     otherwise, and keep the request id.
//   - An HTTP trigger response that is not an object with a statusCode is
//     sent as a 200 with the payload as its JSON body.
//   - An HTTP trigger answers a timeout, an exit or a start timeout like a
//     function error (502, X-Fc-Error-Type: UnhandledInvocationError), with
//     a body of ours whose errorType is "FunctionTimeout", "ProcessExited"
//     or "InstanceStartTimeout".
//   - x-fc-function-timeout carries the timeout rounded up to whole
//     seconds (Function.Timeout may be shorter than a second, for tests);
//     the deadline header is exact to the millisecond.
//   - x-fc-retry-count is sent with every invocation, "0" when not a retry.
//
// # Use
//
//	rt := fcruntime.New(fcruntime.Options{Region: "cn-hangzhou"})
//	defer rt.Close()
//	err := rt.Deploy(fcruntime.Function{Name: "webhook", Binary: bin, Timeout: 10 * time.Second})
//	res, err := rt.Invoke(ctx, "webhook", []byte(`{"x":1}`))
//	url, err := rt.ServeHTTPTrigger("webhook", fcruntime.HTTPTrigger{Methods: []string{"POST"}})
//
// Everything is safe for concurrent use.
package fcruntime
