package secrets_test

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/ramsync/ramsync/pkg/secrets"
)

func ExampleValue() {
	key := secrets.NewValue("whsec_0123456789")
	fmt.Println(key, fmt.Sprintf("%q %#v", key, key))
	slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})).Info("signing", "key", key)
	fmt.Println(len(key.Reveal()))
	// Output:
	// REDACTED REDACTED secrets.Value(REDACTED)
	// level=INFO msg=signing key=REDACTED
	// 16
}
