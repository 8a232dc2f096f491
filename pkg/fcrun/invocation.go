package fcrun

import (
	"context"
	"os"
	"runtime/debug"
	"strconv"
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
// func(context.Context, Event) (Result, error). It first fits the Go heap
// to the function's memory (see [FitMemory]).
func Start(handler any) {
	if os.Getenv("FC_RUNTIME_API") == "" {
		// fc.Start would log.Fatal with a message about FC internals.
		os.Stderr.WriteString("this is a Function Compute function: FC_RUNTIME_API is not set (run it with scripts/demo.sh or under FC)\n")
		os.Exit(2)
	}
	FitMemory(os.Getenv)
	fc.Start(handler)
}

// FitMemory sets the Go runtime's soft memory limit to 80% of the
// function's memory (FC_FUNCTION_MEMORY_SIZE, in MB), so the garbage
// collector works harder before the instance would be killed for using too
// much, instead of letting the heap grow to twice what is live. The limit
// covers only what the Go runtime manages: the binary's mapped code and
// data, and what is allocated while a collection runs, come on top (at 90%
// a 100,000-record SuccessFactors export peaked at 131 MB of RSS in a
// 128 MB function; scripts/bench.sh measures it). A GOMEMLIMIT in the
// environment wins. It returns the limit set, 0 if none.
func FitMemory(getenv func(string) string) int64 {
	if getenv("GOMEMLIMIT") != "" {
		return 0
	}
	mb, err := strconv.Atoi(getenv("FC_FUNCTION_MEMORY_SIZE"))
	if err != nil || mb <= 0 {
		return 0
	}
	limit := int64(mb) << 20 * 8 / 10
	debug.SetMemoryLimit(limit)
	return limit
}
