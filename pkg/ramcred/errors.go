package ramcred

import (
	"context"
	"errors"
	"fmt"
	"strings"

	sdkerr "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"

	"github.com/ramsync/ramsync/pkg/secrets"
)

// Error is a failed RAM OpenAPI call. It names the action, the user and
// RAM's error code; it never carries RAM's message text, which for
// signature errors quotes the signed request.
type Error struct {
	Action    string
	UserName  string
	Status    int
	Code      string
	RequestID string
	Err       error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("ram: " + e.Action)
	if e.UserName != "" {
		fmt.Fprintf(&b, " for %q", e.UserName)
	}
	b.WriteString(": ")
	switch {
	case e.Code != "":
		fmt.Fprintf(&b, "%d %s", e.Status, e.Code)
		if errors.Is(e.Err, ErrNoSuchUser) {
			b.WriteString(" (" + ErrNoSuchUser.Error() + ")")
		}
		if h := hint(e.Code); h != "" {
			b.WriteString(" (" + h + ")")
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

// Transient reports whether the call may work later: throttling, a 5xx, or
// no answer at all.
func (e *Error) Transient() bool {
	switch {
	case strings.HasPrefix(e.Code, "Throttling"), e.Code == "ServiceUnavailable", e.Code == "InternalError":
		return true
	case e.Code != "":
		return e.Status == 429 || e.Status >= 500
	case errors.Is(e.Err, context.Canceled), errors.Is(e.Err, errNoTime), errors.Is(e.Err, errNoPrincipal):
		return false
	}
	if e.Err == nil {
		return false
	}
	return e.Action != "sign" && e.Action != "init"
}

// NotExist reports whether RAM said the thing acted on is not there.
func (e *Error) NotExist() bool { return strings.HasPrefix(e.Code, "EntityNotExist") }

func hint(code string) string {
	switch {
	case strings.HasPrefix(code, "NoPermission"), code == "Forbidden.NoPermission":
		return "the function's role lacks this RAM action; see the policy in README"
	case strings.HasPrefix(code, "Throttling"):
		return "RAM is throttling; try again later"
	case code == "SignatureDoesNotMatch", code == "InvalidAccessKeyId.NotFound":
		return "the credentials are wrong"
	}
	return ""
}

func wrap(action, userName string, err error) error {
	e := &Error{Action: action, UserName: userName}
	var se *sdkerr.ServerError
	if errors.As(err, &se) {
		e.Status, e.Code, e.RequestID = se.HttpStatus(), se.ErrorCode(), se.RequestId()
		return e
	}
	// Client errors (connection, timeout) may quote the URL, whose
	// query holds the signature and security token: keep only the kind.
	var ce *sdkerr.ClientError
	if errors.As(err, &ce) {
		e.Err = fmt.Errorf("%s: %s", ce.ErrorCode(), firstLine(secrets.StripQuery(ce.Message())))
		return e
	}
	e.Err = errors.New(firstLine(secrets.StripQuery(err.Error())))
	return e
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
