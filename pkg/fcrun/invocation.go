package fcrun

import (
	"context"
	"os"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"github.com/ramsync/ramsync/pkg/secrets"
)

// Invocation describes the current invocation.
type Invocation struct {
	RequestID  string
	RetryCount int
	Deadline   time.Time
}

// Begin records the invocation's STS credentials in store (the clients
// built once per instance sign with the newest ones) and describes it.
func Begin(ctx context.Context, store *secrets.CredentialStore) Invocation {
	var inv Invocation
	if f, ok := fccontext.FromContext(ctx); ok {
		inv.RequestID, inv.RetryCount = f.RequestID, f.RetryCount
		if store != nil {
			store.Set(secrets.Credentials{
				AccessKeyID:     f.Credentials.AccessKeyId,
				AccessKeySecret: f.Credentials.AccessKeySecret,
				SecurityToken:   f.Credentials.SecurityToken,
			})
		}
	}
	inv.Deadline, _ = ctx.Deadline()
	return inv
}

// Start runs handler under the FC runtime API (FC_RUNTIME_API); it never
// returns. handler has one of the forms fc.Start accepts, e.g.
// func(context.Context, Event) (Result, error).
func Start(handler any) {
	if os.Getenv("FC_RUNTIME_API") == "" {
		// fc.Start would log.Fatal with a message about FC internals.
		os.Stderr.WriteString("this is a Function Compute function: FC_RUNTIME_API is not set (run it with scripts/demo.sh or under FC)\n")
		os.Exit(2)
	}
	fc.Start(handler)
}
