// Command demo runs ramsync whole on this machine and plays a short story:
// hires, a rename and a bad signature through the real webhook binary, a
// leaver suspended through the real offboarding binary, resumed by a
// rehire and suspended again, a nightly reconcile (dry run, then for real)
// and, once the grace is over, the deletes, through the real reconciler
// binary; then the operators' preflight, explain and an alert, and a
// Feishu and a DingTalk company (their pushes and a nightly directory
// pull), all against
// the cloud test double. It prints a timeline and the final RAM users.
//
//	go run ./scripts/demo          # the story (scripts/demo.sh)
//	go run ./scripts/demo -serve   # the story, then keep serving: call the webhook with curl
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/ramsync/ramsync/pkg/localrun"
)

// demoGrace is LEAVER_GRACE in the demo: short, so a leaver's delete after
// the grace happens while you watch.
const demoGrace = "3s"

var demoGraceDuration, _ = time.ParseDuration(demoGrace)

func main() {
	serve := flag.Bool("serve", false, "after the story, keep the functions and the test double running (Ctrl-C stops)")
	verbose := flag.Bool("v", false, "print every line the functions log")
	flag.Parse()
	if err := run(*serve, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(serve, verbose bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	tl := newTimeline()

	tl.say("building the three functions (CGO_ENABLED=0, the same code s.yaml deploys)…")
	dir, err := os.MkdirTemp("", "ramsync-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bins, err := localrun.Build(ctx, dir)
	if err != nil {
		return err
	}
	opts := localrun.Options{
		Binaries: bins,
		Dir:      dir,
		Env: map[string]string{
			"PROTECTED_USERS":  "root.ops",
			"SCIM_RPS":         "50",
			"LEAVER_GRACE":     demoGrace,
			"OFFBOARD_CLEANUP": "true",
		},
		FuncEnv: map[string]map[string]string{"reconciler": {"MAX_DELETE_PERCENT": "50"}},
	}
	defer demoAlerts(&opts)() // every function alerts to a signed DingTalk robot (the bots double)
	if verbose {
		opts.Log = func(fn string, _ int, _ string, line string) { fmt.Printf("            %-11s| %s\n", fn, line) }
	}
	l, err := localrun.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer l.Close()
	tl.say("cloud test double up: OAuth %s, SCIM %s, KMS %s, RAM %s", l.Cloud.TokenURL, l.Cloud.SCIMURL, l.Cloud.KMSEndpoint, l.Cloud.RAMEndpoint)
	tl.say("local FC runtime up: webhook HTTP trigger at %s", l.WebhookURL)

	if err := story(ctx, l, tl); err != nil {
		return err
	}
	if err := operatorsStory(ctx, l, tl); err != nil {
		return err
	}
	if err := vendorsStory(ctx, l, tl); err != nil {
		return err
	}
	printUsers(l)
	c := l.Cloud.Counters()
	tl.say("requests to the double: %d SCIM, %d token, %d KMS, %d RAM OpenAPI; instances started: webhook %d, reconciler %d, offboarding %d",
		c.SCIM(), c["oauth.token"], c["kms.GetSecretValue"], c.Service("ram"),
		len(l.Runtime.Instances("webhook")), len(l.Runtime.Instances("reconciler")), len(l.Runtime.Instances("offboarding")))
	tl.say("done in %s", time.Since(tl.start).Round(time.Millisecond))

	if serve {
		printCurl(l)
		<-ctx.Done()
	}
	return nil
}
