package wire

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/ramsync/ramsync/pkg/alert"
	"github.com/ramsync/ramsync/pkg/auth"
	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/config"
	"github.com/ramsync/ramsync/pkg/secrets"
)

func TestNotifyAndTokenRefused(t *testing.T) {
	srv := cloudtest.NewServer(cloudtest.Options{})
	defer srv.Close()
	bots := cloudtest.NewBots(cloudtest.BotsOptions{})
	defer bots.Close()
	o := srv.Options()
	src, err := auth.New(auth.Config{ClientID: o.ClientID, TokenURL: srv.TokenURL, SecretName: "app",
		Secrets: secrets.Static{"app": secrets.NewValue(o.ClientSecret)}, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	n, err := alert.New(alert.Config{URL: bots.SlackURL(), HTTPClient: bots.Client()})
	if err != nil {
		t.Fatal(err)
	}
	cl := &Clients{Alerts: n, config: config.Common{ClientID: o.ClientID}, watched: &watchedTokens{Source: src}}
	ctx := context.Background()

	// Nothing to say: nothing posted.
	cl.Notify(ctx, "webhook", "req-1", nil)
	if len(bots.Posts()) != 0 {
		t.Fatalf("%d posts for no alert", len(bots.Posts()))
	}

	// The token endpoint refuses the app secret once: the next Notify
	// says so, once, beside its own messages.
	srv.FailNextError(cloudtest.OAuth, 1, http.StatusUnauthorized, "invalid_client")
	if _, err := cl.watched.Token(ctx); err == nil {
		t.Fatal("the refused token request succeeded")
	}
	cl.Notify(ctx, "offboarding", "req-2", []alert.Message{alert.BlockedMessage([]string{"li.wei"})})
	posts := bots.Posts()
	if len(posts) != 2 {
		t.Fatalf("%d posts, want blocked and token refused", len(posts))
	}
	for i, want := range []string{"ramsync offboarding: leaver blocked (run req-2)", "ramsync offboarding: token endpoint refused the app secret (run req-2)"} {
		if !strings.HasPrefix(posts[i].Text, want) {
			t.Errorf("post %d: %q, want prefix %q", i, posts[i].Text, want)
		}
	}
	if !strings.Contains(posts[1].Text, o.ClientID) || strings.Contains(posts[1].Text, o.ClientSecret) {
		t.Errorf("token alert: %q", posts[1].Text)
	}
	// Said once: the flag is cleared, and a good token does not set it.
	if _, err := cl.watched.Token(ctx); err != nil {
		t.Fatal(err)
	}
	if cl.TokenRefused() {
		t.Error("TokenRefused is still set after the alert")
	}

	// A disabled notifier drops the messages, and never fails.
	off := &Clients{watched: &watchedTokens{Source: src}}
	off.Notify(ctx, "reconciler", "run-3", []alert.Message{alert.BlockedMessage([]string{"x"})})
	if len(bots.Posts()) != 2 {
		t.Error("a disabled notifier posted")
	}
}
