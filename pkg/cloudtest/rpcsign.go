package cloudtest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"strings"
	"sync"
	"time"
)

// POP RPC signature version 1.0 [ALIYUN.md §3.1; SRC
// alibaba-cloud-sdk-go sdk/auth/rpc_signature_composer.go]:
//
//	canonical    = every parameter but Signature, sorted by name, each name
//	               and value percent-encoded, joined as k=v with "&"
//	StringToSign = METHOD + "&%2F&" + percentEncode(canonical)
//	Signature    = base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))

// percentEncode is url.QueryEscape with the three POP exceptions: space is
// %20 (not +), * is %2A, and ~ stays as it is.
func percentEncode(s string) string {
	s = url.QueryEscape(s)
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(s)
}

// stringToSign rebuilds what the client signed from the parameters it sent
// and the request's actual method.
func stringToSign(method string, params url.Values) string {
	signed := url.Values{}
	for k, vs := range params {
		if k != "Signature" {
			signed[k] = vs
		}
	}
	// Values.Encode sorts by name and QueryEscapes names and values, as
	// the SDK does; the replacements then make it percentEncode.
	canonical := strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(signed.Encode())
	return method + "&%2F&" + percentEncode(canonical)
}

// sign computes the signature of stringToSign with accessKeySecret.
func sign(stringToSign, accessKeySecret string) string {
	mac := hmac.New(sha1.New, []byte(accessKeySecret+"&"))
	mac.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SignRPC signs params for method the way the Alibaba Cloud SDKs do and
// sets params["Signature"]. It is exported for tests that build RPC
// requests by hand (e.g. to send a bad one on purpose); the real clients
// must use the SDK.
func SignRPC(method string, params url.Values, accessKeySecret string) {
	params.Set("Signature", sign(stringToSign(method, params), accessKeySecret))
}

// verifySignature reports whether params carry the right signature for
// method and accessKeySecret, comparing in constant time.
func verifySignature(method string, params url.Values, accessKeySecret string) bool {
	want := sign(stringToSign(method, params), accessKeySecret)
	return hmac.Equal([]byte(want), []byte(params.Get("Signature")))
}

// timestampSkew is how far an RPC Timestamp may be from the wall clock.
const timestampSkew = 15 * time.Minute

// nonceCache remembers the SignatureNonces of recent signed requests, to
// refuse a replay as POP does (SignatureNonceUsed).
type nonceCache struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func newNonceCache() *nonceCache { return &nonceCache{seen: map[string]time.Time{}} }

// use records nonce and reports whether it was new. Nonces older than the
// timestamp window are forgotten, since their requests would be refused
// for their Timestamp anyway.
func (c *nonceCache) use(nonce string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.seen[nonce]; dup {
		return false
	}
	if len(c.seen) >= 10000 {
		for n, t := range c.seen {
			if now.Sub(t) > 2*timestampSkew {
				delete(c.seen, n)
			}
		}
		if len(c.seen) >= 100000 { // a benchmark's worth: forget, rather than grow
			clear(c.seen)
		}
	}
	c.seen[nonce] = now
	return true
}
