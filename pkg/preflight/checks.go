package preflight

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ramsync/ramsync/pkg/alert"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/scim"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// Secret checks that the secret called name (the value of variable) can
// be read; its value is never shown, only its length being non-zero.
func Secret(variable, name string, get func(ctx context.Context, name string) (secrets.Value, error)) Check {
	return Check{
		Name: fmt.Sprintf("secret %s (%s)", name, variable),
		Fix: fmt.Sprintf("create the secret %q in Secrets Manager in SECRETS_REGION, or correct %s; the function's role needs kms:GetSecretValue on it",
			name, variable),
		Run: func(ctx context.Context) (string, error) {
			v, err := get(ctx, name)
			if err != nil {
				return "", err
			}
			if v.IsZero() {
				return "", fmt.Errorf("the secret %q is empty", name)
			}
			return "readable", nil
		},
	}
}

// Tokens is what the token check needs; *auth.Source implements it.
type Tokens interface {
	Token(ctx context.Context) (string, error)
}

// Token checks that the OAuth token endpoint gives a token for the app.
func Token(t Tokens) Check {
	return Check{
		Name: "OAuth token (SCIM_CLIENT_ID, OAUTH_TOKEN_URL)",
		Fix:  "check SCIM_CLIENT_ID and OAUTH_TOKEN_URL, and that the secret SCIM_SECRET_NAME names holds the OAuth application's current secret",
		Run: func(ctx context.Context) (string, error) {
			tok, err := t.Token(ctx)
			if err != nil {
				return "", err
			}
			if tok == "" {
				return "", errors.New("the token endpoint gave an empty token")
			}
			return "obtained", nil
		},
	}
}

// Lister is what the SCIM check needs; *scim.Client implements it.
type Lister interface {
	Each(ctx context.Context, fn func(scim.User) error) error
}

var errEnough = errors.New("preflight: one page is enough")

// SCIMPage checks that SCIM lists users: it reads the first page only.
func SCIMPage(l Lister) Check {
	return Check{
		Name: "SCIM list of one page (SCIM_ENDPOINT)",
		Fix:  "check SCIM_ENDPOINT, and that the OAuth application has the /acs/scim scope and SCIM is enabled for the account",
		Run: func(ctx context.Context) (string, error) {
			n := 0
			err := l.Each(ctx, func(scim.User) error { n++; return errEnough })
			if err != nil && !errors.Is(err, errEnough) {
				return "", err
			}
			if n == 0 {
				return "listed: no users yet", nil
			}
			return "listed", nil
		},
	}
}

// Roster checks that the roster is fetched and parsed: load is the
// reconciler's own loader for ROSTER_URL.
func Roster(load func(ctx context.Context) (*hr.Roster, error)) Check {
	return Check{
		Name: "roster (ROSTER_URL)",
		Fix:  "check ROSTER_URL, ROSTER_FORMAT and ROSTER_AUTH_SECRET_NAME, and that the export is there and complete",
		Run: func(ctx context.Context) (string, error) {
			r, err := load(ctx)
			if err != nil {
				return "", err
			}
			if r == nil || len(r.Employees) == 0 {
				return "", errors.New("the roster has no employees (a run would abort)")
			}
			s := fmt.Sprintf("%d records (%d usable, %d unreadable), format %s", len(r.Employees)+len(r.Problems), len(r.Employees), len(r.Problems), r.Format)
			if !r.AsOf.IsZero() {
				s += ", as of " + r.AsOf.UTC().Format(time.RFC3339) + " (" + r.AsOfSource + ")"
			}
			return s, nil
		},
	}
}

// AlertBot checks that the alert bot answers (any HTTP answer counts;
// nothing is posted). A disabled notifier is reported as not configured.
func AlertBot(n *alert.Notifier) Check {
	return Check{
		Name: "alert bot (ALERT_WEBHOOK_URL)",
		Fix:  "check ALERT_WEBHOOK_URL, and that the function can reach the bot's host (a VPC without NAT cannot)",
		Run: func(ctx context.Context) (string, error) {
			if !n.Enabled() {
				return "not configured: no alerts are sent", nil
			}
			if err := n.Reachable(ctx); err != nil {
				return "", err
			}
			return fmt.Sprintf("%s bot at %s answers", n.Format(), n.Host()), nil
		},
	}
}
