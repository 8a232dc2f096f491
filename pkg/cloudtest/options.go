package cloudtest

import (
	"net/http"
	"time"
)

// Options configures a Server. The zero value of every field means the
// default given in its comment.
type Options struct {
	// ClientID and ClientSecret are the OAuth Server application's
	// credentials. Defaults: a random 19-digit id and a random 64-character
	// alphanumeric secret, the shapes seen in public code [ALIYUN.md §2.1].
	ClientID, ClientSecret string

	// SecretName is the KMS secret holding ClientSecret (default
	// "ramsync/scim-app-secret"). RotateSecret keeps the two in sync.
	SecretName string
	// Secrets are more KMS secrets (name → value), e.g. a webhook signing key.
	Secrets map[string]string

	// AccessKeyID, AccessKeySecret and SecurityToken are the STS credentials
	// KMS and RAM accept. Defaults: random values shaped like real STS ones
	// ("STS.NU…", 44 characters, "CAIS…"). If AccessKeyID is set and
	// SecurityToken is empty, the key is a plain AccessKey and requests need
	// no SecurityToken.
	AccessKeyID, AccessKeySecret, SecurityToken string

	// Region is the region reported in KMS/RAM host ids (default "cn-hangzhou").
	Region string
	// AccountAlias replaces the domain of an "name@domain" SCIM userName:
	// it is stored as "name@<alias>.onaliyun.com" (default "ramsync-test").
	AccountAlias string

	// TokenLifetime is the access-token lifetime (default 3600 s). Alibaba
	// allows 900–10 800 s per app; any positive value is accepted here so
	// that tests can use a few seconds.
	TokenLifetime time.Duration
	// NumericExpiresIn makes the token response carry "expires_in" as a
	// JSON number (3600) instead of the documented JSON string ("3600").
	NumericExpiresIn bool

	// PageSize is the SCIM list page size when the request has no count
	// (default 30, the documented itemsPerPage); MaxPageSize caps count
	// (default 100). IgnoreCount makes the server ignore count entirely and
	// always answer PageSize items.
	PageSize, MaxPageSize int
	IgnoreCount           bool

	// DisplayNameMax is the longest displayName accepted, in runes (default
	// 24, the IMS limit; the older RAM API allows 128).
	DisplayNameMax int

	// CreateStatus is the status of a successful SCIM POST (default 201).
	// DeleteRefusedStatus answers a DELETE of a user who still has
	// AccessKeys, policies, MFA or groups (default 409). PatchStatus answers
	// every PATCH (default 501, Not Implemented).
	CreateStatus, DeleteRefusedStatus, PatchStatus int

	// BareErrors makes SCIM errors carry a status and no body.
	BareErrors bool

	// RateLimit is how many SCIM requests per second the server accepts
	// (0, the default, means no limit). Above it requests are answered 429
	// with Retry-After, by a token bucket holding RateBurst tokens (default
	// max(1, RateLimit/10)).
	RateLimit float64
	RateBurst int

	// Latency is added to every SCIM request (default 0).
	Latency time.Duration

	// Now is the clock for SCIM meta times, RAM dates and token expiry
	// (default time.Now). RPC Timestamp freshness and rate limiting use the
	// wall clock, since the SDKs stamp requests with it.
	Now func() time.Time

	// Logf, when set, receives one line per request and the HTTP servers'
	// own error log.
	Logf func(format string, args ...any)
}

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	defInt := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&o.ClientID, "1"+randDigits(18))
	def(&o.ClientSecret, randString(alnum, 64))
	def(&o.SecretName, "ramsync/scim-app-secret")
	if o.AccessKeyID == "" {
		o.AccessKeyID = "STS.NU" + randString(alnum, 22)
		def(&o.SecurityToken, "CAIS"+randString(alnum+"+/", 300))
	}
	def(&o.AccessKeySecret, randString(alnum, 44))
	def(&o.Region, "cn-hangzhou")
	def(&o.AccountAlias, "ramsync-test")
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = time.Hour
	}
	defInt(&o.PageSize, 30)
	defInt(&o.MaxPageSize, 100)
	defInt(&o.DisplayNameMax, 24)
	defInt(&o.CreateStatus, http.StatusCreated)
	defInt(&o.DeleteRefusedStatus, http.StatusConflict)
	defInt(&o.PatchStatus, http.StatusNotImplemented)
	if o.RateBurst <= 0 {
		o.RateBurst = max(1, int(o.RateLimit/10))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
