package cloudtest

import (
	"net/http"
	"net/url"
	"time"
)

// rpcAction serves one RPC action. p holds the request's parameters; the
// answer is the JSON body without RequestId (added by the caller), or an
// error.
type rpcAction func(p url.Values) (map[string]any, *rpcError)

// rpcError is a POP error answer.
type rpcError struct {
	status        int
	code, message string
}

func errRPC(status int, code, message string) *rpcError {
	return &rpcError{status, code, message}
}

func errMissing(param string) *rpcError {
	return errRPC(http.StatusBadRequest, "MissingParameter",
		`The input parameter "`+param+`" that is mandatory for processing this request is not supplied.`)
}

// rpcService describes one RPC-style service.
type rpcService struct {
	svc     Service
	version string
	action  func(name string) rpcAction // nil for an unknown action
}

// routeRPC names the operation after the Action parameter, if the service
// knows it.
func (s *Server) routeRPC(rs rpcService, r *http.Request) (string, http.HandlerFunc) {
	r.Body = http.MaxBytesReader(nil, r.Body, 1<<20)
	r.ParseForm() // errors are reported by serveRPC
	op := "unknown"
	if name := r.Form.Get("Action"); rs.action(name) != nil {
		op = name
	}
	return op, func(w http.ResponseWriter, r *http.Request) { s.serveRPC(rs, w, r) }
}

// serveRPC checks a signed RPC request [ALIYUN.md §3.1, checklist 14] and
// runs its action.
func (s *Server) serveRPC(rs rpcService, w http.ResponseWriter, r *http.Request) {
	if err := s.checkRPC(rs, r); err != nil {
		s.writeRPCError(rs.svc, w, err.status, err.code, err.message)
		return
	}
	body, err := rs.action(r.Form.Get("Action"))(r.Form)
	if err != nil {
		s.writeRPCError(rs.svc, w, err.status, err.code, err.message)
		return
	}
	if body == nil {
		body = map[string]any{}
	}
	body["RequestId"] = s.requestID(rs.svc)
	writeJSON(w, http.StatusOK, "application/json;charset=utf-8", body)
}

// checkRPC validates everything but the action's own parameters, in the
// order a POP gateway would: the API, then the credentials.
func (s *Server) checkRPC(rs rpcService, r *http.Request) *rpcError {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		return errRPC(http.StatusMethodNotAllowed, "UnsupportedHTTPMethod", "RPC APIs take POST or GET.")
	}
	if err := r.ParseForm(); err != nil {
		return errRPC(http.StatusBadRequest, "InvalidParameter", "The request parameters cannot be parsed.")
	}
	p := r.Form
	switch {
	case r.URL.Path != "/":
		return errRPC(http.StatusNotFound, "InvalidAction.NotFound", "RPC APIs are served at /, not "+r.URL.Path+".")
	case p.Get("Action") == "":
		return errMissing("Action")
	case rs.action(p.Get("Action")) == nil:
		return errRPC(http.StatusBadRequest, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
	case p.Get("Version") != rs.version:
		return errRPC(http.StatusBadRequest, "InvalidVersion", "Specified parameter Version is not valid: this API is version "+rs.version+".")
	case p.Get("Format") != "JSON":
		return errRPC(http.StatusBadRequest, "InvalidParameter.Format", "Specified parameter Format is not valid: only JSON is emulated.")
	case p.Get("SignatureMethod") != "HMAC-SHA1":
		return errRPC(http.StatusBadRequest, "InvalidParameter.SignatureMethod", "Specified parameter SignatureMethod is not valid: use HMAC-SHA1.")
	case p.Get("SignatureVersion") != "1.0":
		return errRPC(http.StatusBadRequest, "InvalidParameter.SignatureVersion", "Specified parameter SignatureVersion is not valid: use 1.0.")
	case p.Get("AccessKeyId") == "":
		return errMissing("AccessKeyId")
	case p.Get("AccessKeyId") != s.opts.AccessKeyID:
		return errRPC(http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	case p.Get("Signature") == "":
		return errRPC(http.StatusBadRequest, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
	case !verifySignature(r.Method, p, s.opts.AccessKeySecret):
		// Real POP appends the server's string-to-sign; it is left out so
		// that no log of a client ever holds it.
		return errRPC(http.StatusBadRequest, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
	}
	now := time.Now()
	ts, err := time.Parse("2006-01-02T15:04:05Z", p.Get("Timestamp"))
	switch {
	case p.Get("Timestamp") == "":
		return errMissing("Timestamp")
	case err != nil:
		return errRPC(http.StatusBadRequest, "IllegalTimestamp", `The input parameter "Timestamp" does not match the format yyyy-MM-ddTHH:mm:ssZ.`)
	case ts.Before(now.Add(-timestampSkew)) || ts.After(now.Add(timestampSkew)):
		return errRPC(http.StatusBadRequest, "IllegalTimestamp", "Specified time stamp or date value is expired.")
	case p.Get("SignatureNonce") == "":
		return errMissing("SignatureNonce")
	case !s.nonces.use(p.Get("SignatureNonce"), now):
		return errRPC(http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already.")
	}
	if want := s.opts.SecurityToken; want != "" {
		switch got := p.Get("SecurityToken"); {
		case got == "":
			return errRPC(http.StatusBadRequest, "MissingSecurityToken", "The SecurityToken of this STS AccessKey is not supplied.")
		case got != want:
			return errRPC(http.StatusForbidden, "InvalidSecurityToken.Mismatch", "Specified SecurityToken mismatch with the AccessKey.")
		}
	}
	return nil
}

// writeRPCError answers a POP error [ALIYUN.md §3.6]. Every value is a
// string except KMS's HttpStatus, because the SDK type-asserts RequestId,
// HostId, Code, Recommend and Message to string.
func (s *Server) writeRPCError(svc Service, w http.ResponseWriter, status int, code, message string) {
	noteCode(w, code)
	product := "Ram"
	if svc == KMS {
		product = "Kms"
	}
	body := map[string]any{
		"RequestId": s.requestID(svc),
		"HostId":    s.hostID(svc),
		"Code":      code,
		"Message":   message,
		"Recommend": "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(code) + "&product=" + product,
	}
	if svc == KMS {
		body["HttpStatus"] = status
	}
	writeJSON(w, status, "application/json;charset=utf-8", body)
}

// requestID is a KMS (lower case, as documented) or RAM (upper case) id.
func (s *Server) requestID(svc Service) string {
	if svc == KMS {
		return newUUID()
	}
	return newRequestID()
}

// hostID is the public host name of the service.
func (s *Server) hostID(svc Service) string {
	if svc == KMS {
		return "kms." + s.opts.Region + ".aliyuncs.com"
	}
	return "ram.aliyuncs.com"
}

// commonRPCParams are the parameters every signed request has; the RAM log
// leaves them out.
var commonRPCParams = map[string]bool{
	"Action": true, "Version": true, "Format": true, "RegionId": true, "AccessKeyId": true,
	"SecurityToken": true, "Signature": true, "SignatureMethod": true, "SignatureVersion": true,
	"SignatureNonce": true, "SignatureType": true, "Timestamp": true,
}
