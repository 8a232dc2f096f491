package secrets

import (
	"errors"
	"fmt"
	"strings"

	sdkerr "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
)

// Error is a failed secret read. Its message names the secret, the region,
// the KMS error code and what to do about it; it never includes the KMS
// message text, which for signature errors quotes the signed request.
type Error struct {
	Name   string
	Region string
	// Status and Code are KMS's answer, when there was one.
	Status int
	Code   string
	// RequestID is KMS's request id, for support tickets.
	RequestID string
	// Err is the cause when KMS did not answer.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "secrets: reading %q from Secrets Manager in %s: ", e.Name, e.Region)
	switch {
	case e.Code != "":
		fmt.Fprintf(&b, "%d %s", e.Status, e.Code)
		if hint := hints[e.Code]; hint != "" {
			b.WriteString(" (" + hint + ")")
		}
		if e.RequestID != "" {
			b.WriteString(", request id " + e.RequestID)
		}
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Transient reports whether reading again later may work.
func (e *Error) Transient() bool {
	switch e.Code {
	case "Rejected.Throttling", "InternalFailure", "ServiceUnavailableTemporary":
		return true
	case "":
		return !errors.Is(e.Err, errNoCredentials)
	}
	return e.Status >= 500
}

var hints = map[string]string{
	"Forbidden.ResourceNotFound":  "no such secret in this region: check the secret name and SECRETS_REGION",
	"Forbidden.NoPermission":      "the function's role needs kms:GetSecretValue on this secret",
	"Rejected.Throttling":         "KMS is throttling; try again later",
	"InvalidAccessKeyId.NotFound": "the AccessKey is unknown to KMS",
	"SignatureDoesNotMatch":       "the AccessKey secret is wrong",
	"IllegalTimestamp":            "the clock is off by more than 15 minutes",
	"InternalFailure":             "KMS failed; try again later",
	"ServiceUnavailableTemporary": "KMS is unavailable; try again later",
}

func (m *Manager) wrap(name string, err error) error {
	e := &Error{Name: name, Region: m.cfg.Region}
	var se *sdkerr.ServerError
	if errors.As(err, &se) {
		e.Status, e.Code, e.RequestID = se.HttpStatus(), se.ErrorCode(), se.RequestId()
		return e
	}
	// The SDK's own errors ("Times limit exceeded" after its retries,
	// client errors) carry no credentials; connection errors may carry
	// the URL, whose query has the AccessKeyId and the signature but not
	// the secret. Drop the query to be safe.
	e.Err = errors.New(StripQuery(err.Error()))
	return e
}

// StripQuery removes URL query strings from a text (an SDK's error or log
// line): signed Alibaba Cloud requests carry the AccessKeyId, the
// signature and the STS security token in the query.
func StripQuery(s string) string {
	for {
		i := strings.Index(s, "?")
		if i < 0 {
			return s
		}
		j := strings.IndexAny(s[i:], "\" ")
		if j < 0 {
			return s[:i]
		}
		s = s[:i] + s[i+j:]
	}
}
