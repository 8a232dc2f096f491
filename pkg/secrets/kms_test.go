package secrets_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/secrets"
)

func manager(t *testing.T, srv *cloudtest.Server, creds *secrets.Credentials) *secrets.Manager {
	t.Helper()
	m, err := secrets.NewManager(secrets.ManagerConfig{
		Region: srv.Options().Region, Endpoint: srv.KMSEndpoint,
		Credentials: func() secrets.Credentials { return *creds },
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func stsCreds(srv *cloudtest.Server) secrets.Credentials {
	o := srv.Options()
	return secrets.Credentials{AccessKeyID: o.AccessKeyID, AccessKeySecret: o.AccessKeySecret, SecurityToken: o.SecurityToken}
}

func TestManagerCachesAndRefreshes(t *testing.T) {
	srv := cloudtest.NewServer(cloudtest.Options{Secrets: map[string]string{"webhook-key": "k1"}})
	defer srv.Close()
	creds := stsCreds(srv)
	m := manager(t, srv, &creds)
	ctx := context.Background()

	for range 3 {
		v, err := m.Get(ctx, "webhook-key")
		if err != nil {
			t.Fatal(err)
		}
		if v.Reveal() != "k1" {
			t.Fatalf("Get = %q", v.Reveal())
		}
	}
	if n := srv.Counters()["kms.GetSecretValue"]; n != 1 {
		t.Errorf("3 reads made %d KMS requests, want 1", n)
	}
	srv.SetSecret("webhook-key", "k2")
	if v, _ := m.Get(ctx, "webhook-key"); v.Reveal() != "k1" {
		t.Errorf("cached read = %q, want the cached k1", v.Reveal())
	}
	if v, err := m.Refresh(ctx, "webhook-key"); err != nil || v.Reveal() != "k2" {
		t.Errorf("Refresh = %q, %v; want k2", v.Reveal(), err)
	}
	if v, _ := m.Get(ctx, "webhook-key"); v.Reveal() != "k2" {
		t.Errorf("read after refresh = %q, want k2", v.Reveal())
	}
	if n := srv.Counters()["kms.GetSecretValue"]; n != 2 {
		t.Errorf("KMS requests = %d, want 2", n)
	}
}

func TestManagerRebuildsOnNewCredentials(t *testing.T) {
	srv := cloudtest.NewServer(cloudtest.Options{Secrets: map[string]string{"s": "v"}})
	defer srv.Close()
	creds := secrets.Credentials{AccessKeyID: "STS.unknown", AccessKeySecret: "nope", SecurityToken: "nope"}
	m := manager(t, srv, &creds)
	_, err := m.Get(context.Background(), "s")
	var se *secrets.Error
	if !errors.As(err, &se) || se.Code != "InvalidAccessKeyId.NotFound" {
		t.Fatalf("with unknown credentials: err = %v", err)
	}
	if strings.Contains(err.Error(), "nope") {
		t.Errorf("error %q shows a credential", err)
	}
	creds = stsCreds(srv) // FC hands the invocation fresh credentials
	if v, err := m.Get(context.Background(), "s"); err != nil || v.Reveal() != "v" {
		t.Fatalf("after new credentials: %q, %v", v.Reveal(), err)
	}
}

func TestManagerErrors(t *testing.T) {
	srv := cloudtest.NewServer(cloudtest.Options{})
	defer srv.Close()
	creds := stsCreds(srv)
	m := manager(t, srv, &creds)
	ctx := context.Background()

	_, err := m.Get(ctx, "no/such/secret")
	var se *secrets.Error
	if !errors.As(err, &se) || se.Code != "Forbidden.ResourceNotFound" || se.Transient() {
		t.Fatalf("missing secret: err = %v", err)
	}
	if !strings.Contains(err.Error(), `"no/such/secret"`) || !strings.Contains(err.Error(), "check the secret name and SECRETS_REGION") {
		t.Errorf("message %q should name the secret and say what to check", err)
	}

	srv.FailNextError(cloudtest.KMS, 1, 403, "Forbidden.NoPermission")
	_, err = m.Get(ctx, srv.Options().SecretName)
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "needs kms:GetSecretValue") {
		t.Errorf("no permission: err = %v", err)
	}

	empty := secrets.Credentials{}
	m2 := manager(t, srv, &empty)
	_, err = m2.Get(ctx, "x")
	if err == nil || !strings.Contains(err.Error(), "needs a role") {
		t.Errorf("no credentials: err = %v", err)
	}
	if _, err := secrets.NewManager(secrets.ManagerConfig{Region: "cn hangzhou", Credentials: func() secrets.Credentials { return creds }}); err == nil {
		t.Error("a bad region was accepted")
	}
}

func TestManagerHonoursContext(t *testing.T) {
	srv := cloudtest.NewServer(cloudtest.Options{})
	defer srv.Close()
	srv.SetFaults(cloudtest.KMS, cloudtest.Faults{Latency: 2 * time.Second})
	creds := stsCreds(srv)
	m := manager(t, srv, &creds)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := m.Get(ctx, srv.Options().SecretName)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Errorf("err = %v after %s, want the deadline at once", err, time.Since(start))
	}
}

func TestStatic(t *testing.T) {
	s := secrets.Static{"a": secrets.NewValue("1")}
	if v, err := s.Get(context.Background(), "a"); err != nil || v.Reveal() != "1" {
		t.Errorf("Get = %v, %v", v, err)
	}
	if _, err := s.Refresh(context.Background(), "b"); err == nil {
		t.Error("missing name accepted")
	}
}

// TestManagerConcurrentReads: concurrent invocations of one instance read
// and refresh secrets together; under -race this fails if the SDK's KMS
// client is called concurrently (it sets its timeout on every request).
func TestManagerConcurrentReads(t *testing.T) {
	srv := cloudtest.NewServer(cloudtest.Options{Secrets: map[string]string{"a": "1", "b": "2"}})
	defer srv.Close()
	creds := stsCreds(srv)
	m := manager(t, srv, &creds)
	ctx := context.Background()
	errs := make(chan error, 16)
	for i := range 16 {
		go func() {
			name := []string{"a", "b"}[i%2]
			var err error
			if i%4 == 0 {
				_, err = m.Refresh(ctx, name)
			} else {
				_, err = m.Get(ctx, name)
			}
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
