package alert_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/ramsync/ramsync/pkg/alert"
	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// The reconciler's brakes fired and a leaver is blocked: one message per
// kind reaches a signed DingTalk robot.
func Example() {
	bots := cloudtest.NewBots(cloudtest.BotsOptions{Secret: "SECexample"})
	defer bots.Close()

	n, err := alert.New(alert.Config{
		URL:        bots.DingTalkURL("robot-token"), // ALERT_WEBHOOK_URL
		Secret:     func(context.Context) (secrets.Value, error) { return secrets.NewValue("SECexample"), nil },
		HTTPClient: bots.Client(),
		Logger:     slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: dropTime})),
	})
	if err != nil {
		panic(err)
	}
	brakes := alert.BrakesMessage("deletion threshold exceeded: 30 planned removals > MAX_DELETES 25", "7d1e9a04",
		[]string{"li.wei", "wang.wu"})
	brakes.Function, brakes.RunID = "reconciler", "1-6745a1b2"
	n.SendAll(context.Background(), []alert.Message{brakes, alert.BlockedMessage([]string{"chen.liu"})})

	p := bots.Posts()[0]
	fmt.Println(len(bots.Posts()), p.Bot, p.SignatureValid)
	fmt.Println(p.Text)
	// Output:
	// level=INFO msg="alert sent" kind="brakes fired" bot=dingtalk host=127.0.0.1
	// level=INFO msg="alert sent" kind="leaver blocked" bot=dingtalk host=127.0.0.1
	// 2 dingtalk true
	// ramsync reconciler: deletion brakes fired (run 1-6745a1b2)
	// The deletion brakes held 2 removals: deletion threshold exceeded: 30 planned removals > MAX_DELETES 25. No removal was applied; creates, updates and resumes went ahead.
	// Who: li.wei, wang.wu
	// Next: check the roster first (a partial export is the usual cause). If these removals are right, approve exactly them: s reconciler invoke -e '{"approve":"7d1e9a04"}'
}

// dropTime keeps the example's log output stable: no time, and the host
// without its port.
func dropTime(_ []string, a slog.Attr) slog.Attr {
	switch a.Key {
	case slog.TimeKey:
		return slog.Attr{}
	case "host":
		h := a.Value.String()
		for i := range h {
			if h[i] == ':' {
				return slog.String("host", h[:i])
			}
		}
	}
	return a
}
