package cloudtest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// serviceError answers an injected fault or a rate-limit refusal in the
// service's own error shape. An empty code takes the service's usual code
// for status. A 429 carries Retry-After in whole seconds (at least 1).
func (s *Server) serviceError(svc Service, w http.ResponseWriter, status int, code string, retryAfter time.Duration) {
	if status == http.StatusTooManyRequests {
		secs := int((retryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(max(1, secs)))
	}
	msg := faultMessage(status)
	switch svc {
	case OAuth:
		if code == "" {
			code = "temporarily_unavailable"
			if status == http.StatusInternalServerError {
				code = "server_error"
			}
		}
		writeOAuthError(w, status, code, msg)
	case SCIM:
		s.writeSCIMError(w, status, code, msg)
	default:
		if code == "" {
			code = rpcFaultCode(svc, status)
		}
		s.writeRPCError(svc, w, status, code, msg)
	}
}

// faultMessage is the message of a fault answer, in the words Alibaba's
// POP gateway uses for these statuses.
func faultMessage(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "Request was denied due to request throttling."
	case http.StatusServiceUnavailable:
		return "The request has failed due to a temporary failure of the server."
	case http.StatusInternalServerError:
		return "The request processing has failed due to some unknown error."
	}
	return http.StatusText(status)
}

// rpcFaultCode is the error code KMS or RAM gives with status. The KMS
// codes are documented [ALIYUN.md §3.6]; the RAM ones are the POP gateway's
// common codes [INFER].
func rpcFaultCode(svc Service, status int) string {
	kms := svc == KMS
	switch {
	case status == http.StatusTooManyRequests && kms:
		return "Rejected.Throttling"
	case status == http.StatusTooManyRequests:
		return "Throttling.User"
	case status == http.StatusServiceUnavailable && kms:
		return "ServiceUnavailableTemporary"
	case status == http.StatusServiceUnavailable:
		return "ServiceUnavailable"
	case kms:
		return "InternalFailure"
	}
	return "InternalError"
}

// writeJSON answers status with v encoded as JSON.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		panic("cloudtest: encoding a response: " + err.Error()) // a bug here, not in the client
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
