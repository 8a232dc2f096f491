package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/auth"
	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/secrets"
)

func source(t *testing.T, srv *cloudtest.Server, secret string) *auth.Source {
	t.Helper()
	o := srv.Options()
	s, err := auth.New(auth.Config{ClientID: o.ClientID, TokenURL: srv.TokenURL, SecretName: "app",
		Secrets: secrets.Static{"app": secrets.NewValue(secret)}, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenWithStringAndNumericExpiresIn(t *testing.T) {
	for _, numeric := range []bool{false, true} {
		srv := cloudtest.NewServer(cloudtest.Options{NumericExpiresIn: numeric})
		s := source(t, srv, srv.Options().ClientSecret)
		a, err := s.Token(context.Background())
		if err != nil || !strings.HasPrefix(a, "eyJ") {
			t.Fatalf("numeric %v: got a token: %v, %v", numeric, a != "", err)
		}
		b, _ := s.Token(context.Background())
		if a != b || s.Fetches() != 1 || srv.Counters()["oauth.token"] != 1 {
			t.Errorf("numeric %v: second call fetched again (%d fetches)", numeric, s.Fetches())
		}
		srv.Close()
	}
}

func TestInvalidateDropsOnlyTheCurrentToken(t *testing.T) {
	srv := cloudtest.NewServer(cloudtest.Options{})
	defer srv.Close()
	s := source(t, srv, srv.Options().ClientSecret)
	a, _ := s.Token(context.Background())
	s.Invalidate("some-older-token")
	if b, _ := s.Token(context.Background()); b != a {
		t.Error("invalidating an old token dropped the current one")
	}
	s.Invalidate(a)
	if b, _ := s.Token(context.Background()); b == a || s.Fetches() != 2 {
		t.Errorf("after Invalidate: same token %v, %d fetches", b == a, s.Fetches())
	}
}

func TestInvalidClientIsReadOnceMoreThenReported(t *testing.T) {
	srv := cloudtest.NewServer(cloudtest.Options{})
	defer srv.Close()
	const wrong = "not-the-secret-0123456789"
	s := source(t, srv, wrong)
	_, err := s.Token(context.Background())
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.Code != "invalid_client" || ae.Transient() {
		t.Fatalf("err = %v, want a final invalid_client *auth.Error", err)
	}
	if !strings.Contains(err.Error(), "check SCIM_CLIENT_ID and the app secret") || strings.Contains(err.Error(), wrong) {
		t.Errorf("message %q: want a hint and no secret", err)
	}
	// The secret source gave the same value again: no second try.
	if n := srv.Counters()["oauth.token"]; n != 1 {
		t.Errorf("token requests = %d, want 1", n)
	}
}

func TestTransientTokenErrors(t *testing.T) {
	srv := cloudtest.NewServer(cloudtest.Options{})
	defer srv.Close()
	s := source(t, srv, srv.Options().ClientSecret)
	srv.FailNext(cloudtest.OAuth, 1, cloudtest.Error5xx)
	_, err := s.Token(context.Background())
	var ae *auth.Error
	if !errors.As(err, &ae) || !ae.Transient() || ae.Status != 503 {
		t.Fatalf("err = %v, want a transient 503", err)
	}
	if _, err := s.Token(context.Background()); err != nil {
		t.Errorf("after the outage: %v", err)
	}
}

func TestTokenHonoursTheContext(t *testing.T) {
	srv := cloudtest.NewServer(cloudtest.Options{})
	defer srv.Close()
	srv.SetFaults(cloudtest.OAuth, cloudtest.Faults{Latency: 2 * time.Second})
	s := source(t, srv, srv.Options().ClientSecret)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's deadline", err)
	}
}

func TestConfigErrors(t *testing.T) {
	good := auth.Config{ClientID: "1", TokenURL: "https://oauth.aliyun.com/v1/token", SecretName: "x", Secrets: secrets.Static{}}
	for name, mutate := range map[string]func(*auth.Config){
		"no client id": func(c *auth.Config) { c.ClientID = "" },
		"bad URL":      func(c *auth.Config) { c.TokenURL = "oauth.aliyun.com" },
		"no secrets":   func(c *auth.Config) { c.Secrets = nil },
	} {
		c := good
		mutate(&c)
		if _, err := auth.New(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
