package preflight_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ramsync/ramsync/pkg/preflight"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// A preflight of two secrets, one of them missing: one line per check,
// and the failures for the alert.
func Example() {
	store := secrets.Static{"ramsync/scim-app-secret": secrets.NewValue("never shown")}
	get := func(ctx context.Context, name string) (secrets.Value, error) {
		v, err := store.Get(ctx, name)
		if err != nil {
			return v, errors.New("404 Forbidden.ResourceNotFound")
		}
		return v, nil
	}
	rep := preflight.Run(context.Background(), []preflight.Check{
		preflight.Secret("SCIM_SECRET_NAME", "ramsync/scim-app-secret", get),
		preflight.Secret("ROSTER_AUTH_SECRET_NAME", "ramsync/roster-token", get),
	})
	for _, line := range rep.Lines {
		fmt.Println(line)
	}
	fmt.Println(rep.OK, len(rep.Failed()))
	// Output:
	// ok: secret ramsync/scim-app-secret (SCIM_SECRET_NAME): readable
	// FAILED: secret ramsync/roster-token (ROSTER_AUTH_SECRET_NAME): 404 Forbidden.ResourceNotFound; fix: create the secret "ramsync/roster-token" in Secrets Manager in SECRETS_REGION, or correct ROSTER_AUTH_SECRET_NAME; the function's role needs kms:GetSecretValue on it
	// false 1
}
