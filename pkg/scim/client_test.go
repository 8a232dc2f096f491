package scim_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/scim"
	"github.com/ramsync/ramsync/pkg/stacktest"
)

func newStack(t *testing.T, o cloudtest.Options, opts ...scim.Option) *stacktest.Stack {
	t.Helper()
	srv := cloudtest.NewServer(o)
	t.Cleanup(srv.Close)
	s, err := stacktest.New(srv, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { assertNoSecrets(t, s) })
	return s
}

// assertNoSecrets checks that no secret value, token or credential made
// it into the captured logs.
func assertNoSecrets(t *testing.T, s *stacktest.Stack) {
	t.Helper()
	o := s.Server.Options()
	logs := s.Logs.String()
	for name, v := range map[string]string{"app secret": o.ClientSecret, "AccessKey secret": o.AccessKeySecret, "security token": o.SecurityToken} {
		if v != "" && strings.Contains(logs, v) {
			t.Errorf("the %s appears in the logs", name)
		}
	}
	if strings.Contains(logs, "eyJ") {
		t.Errorf("something token-shaped appears in the logs")
	}
}

func TestUserLifecycle(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	ctx := context.Background()
	c := s.SCIM

	created, err := c.Create(ctx, scim.User{ExternalID: "E1001", UserName: "li.wei", DisplayName: "Li Wei"})
	if err != nil {
		t.Fatal(err)
	}
	if len(created.ID) != 16 || created.Meta.Created.IsZero() || created.Meta.LastModified.IsZero() {
		t.Errorf("created = %+v: want a 16-digit id and meta times", created)
	}
	got, err := c.Get(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(created, got); diff != "" {
		t.Errorf("Get (-created +got):\n%s", diff)
	}
	byExt, ok, err := c.FindByExternalID(ctx, "E1001")
	if err != nil || !ok || byExt.ID != created.ID {
		t.Fatalf("FindByExternalID = %+v, %v, %v", byExt, ok, err)
	}
	byName, ok, err := c.FindByUserName(ctx, "LI.WEI") // RAM names are case-insensitive
	if err != nil || !ok || byName.ID != created.ID {
		t.Fatalf("FindByUserName = %+v, %v, %v", byName, ok, err)
	}

	renamed, err := c.Replace(ctx, scim.User{ID: created.ID, ExternalID: "E1001", UserName: "wei.li", DisplayName: "Wei Li"})
	if err != nil {
		t.Fatal(err)
	}
	if renamed.ID != created.ID || renamed.UserName != "wei.li" || renamed.ExternalID != "E1001" {
		t.Errorf("after rename: %+v", renamed)
	}
	if su, _ := s.Server.User(created.ID); su.ExternalID != "E1001" {
		t.Errorf("the PUT dropped the externalId: %+v", su)
	}

	if _, err := c.Create(ctx, scim.User{ExternalID: "E1002", UserName: "Wei.Li", DisplayName: "Other"}); !errors.Is(err, scim.ErrConflict) {
		t.Errorf("duplicate userName: err = %v, want ErrConflict", err)
	}
	if err := c.Delete(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, created.ID); !errors.Is(err, scim.ErrNotFound) {
		t.Errorf("second delete: err = %v, want ErrNotFound", err)
	}
	if _, err := c.Get(ctx, created.ID); !errors.Is(err, scim.ErrNotFound) {
		t.Errorf("get after delete: err = %v, want ErrNotFound", err)
	}
	if _, ok, err := c.FindByExternalID(ctx, "E1001"); ok || err != nil {
		t.Errorf("find after delete: ok=%v err=%v", ok, err)
	}
}

func TestInvalidInputIsRefusedBeforeSending(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	ctx := context.Background()
	c := s.SCIM
	for name, err := range map[string]error{
		"create without userName": func() error { _, err := c.Create(ctx, scim.User{ExternalID: "E"}); return err }(),
		"get without id":          func() error { _, err := c.Get(ctx, ""); return err }(),
		"replace without id":      func() error { _, err := c.Replace(ctx, scim.User{UserName: "a"}); return err }(),
		"delete without id":       c.Delete(ctx, ""),
		"find on displayName":     func() error { _, err := c.Find(ctx, scim.Eq("displayName", "x")); return err }(),
		"find empty filter":       func() error { _, err := c.Find(ctx, scim.Filter{}); return err }(),
	} {
		if !errors.Is(err, scim.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if n := s.Server.Counters().SCIM(); n != 0 {
		t.Errorf("%d SCIM requests were sent for refused calls", n)
	}
	// The server's own 400 is typed the same way.
	if _, err := c.Create(ctx, scim.User{ExternalID: "E1", UserName: "bad name", DisplayName: "x"}); !errors.Is(err, scim.ErrInvalid) {
		t.Errorf("server 400: err = %v, want ErrInvalid", err)
	}
}

func TestListPaging(t *testing.T) {
	tests := []struct {
		name   string
		opts   cloudtest.Options
		client []scim.Option
		wantAt int // requests
	}{
		{"server pages of 30, client asks 100", cloudtest.Options{MaxPageSize: 30}, nil, 34},
		{"server ignores count (30 per page)", cloudtest.Options{IgnoreCount: true}, nil, 34},
		{"server honours 100", cloudtest.Options{}, nil, 10},
		{"short pages of 7", cloudtest.Options{PageSize: 7, MaxPageSize: 7}, []scim.Option{scim.WithPageSize(50)}, 143},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, tt.opts, tt.client...)
			s.Server.SeedUsers(1000, func(i int) cloudtest.User {
				return cloudtest.User{ExternalID: fmt.Sprintf("E%04d", i), UserName: fmt.Sprintf("u%04d", i), DisplayName: "U"}
			})
			users, err := s.SCIM.List(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(users) != 1000 {
				t.Fatalf("listed %d users, want 1000", len(users))
			}
			seen := map[string]bool{}
			for i, u := range users {
				if seen[u.ID] {
					t.Fatalf("user %s listed twice", u.ID)
				}
				seen[u.ID] = true
				if want := fmt.Sprintf("E%04d", i); u.ExternalID != want {
					t.Fatalf("users[%d].ExternalID = %s, want %s (order lost)", i, u.ExternalID, want)
				}
			}
			if got := s.SCIM.Counts()["list.ok"]; got != int64(tt.wantAt) {
				t.Errorf("list requests = %d, want %d", got, tt.wantAt)
			}
		})
	}
}

func TestListEmpty(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	users, err := s.SCIM.List(context.Background())
	if err != nil || len(users) != 0 {
		t.Fatalf("List = %v, %v", users, err)
	}
}

func TestHostileFilterValues(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	ctx := context.Background()
	for _, u := range []scim.User{
		{ExternalID: "ADMIN", UserName: "admin", DisplayName: "Admin"},
		{ExternalID: `E"1`, UserName: "quote", DisplayName: "Q"},
		{ExternalID: `E\2`, UserName: "backslash", DisplayName: "B"},
		{ExternalID: `x" or userName eq "admin`, UserName: "inject", DisplayName: "I"},
	} {
		if _, err := s.SCIM.Create(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		value string
		want  string // userName found, "" for none
	}{
		{`E"1`, "quote"},
		{`E\2`, "backslash"},
		{`x" or userName eq "admin`, "inject"},
		{`" or userName eq "admin`, ""},
		{`nobody" or externalId eq "ADMIN`, ""},
		{`E\`, ""},
		{`") or (userName eq "admin`, ""},
		{"E1\x00", ""},
	}
	for _, tt := range tests {
		u, ok, err := s.SCIM.FindByExternalID(ctx, tt.value)
		if err != nil {
			t.Errorf("FindByExternalID(%q): %v", tt.value, err)
			continue
		}
		if got := map[bool]string{true: u.UserName}[ok]; got != tt.want {
			t.Errorf("FindByExternalID(%q) found %q, want %q", tt.value, got, tt.want)
		}
	}
}

func TestTokenAndSecretReuse(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	ctx := context.Background()
	for i := range 100 {
		if _, _, err := s.SCIM.FindByExternalID(ctx, fmt.Sprint("E", i)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := s.SCIM.FindByUserName(ctx, fmt.Sprint("u", i))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	c := s.Server.Counters()
	if c["oauth.token"] != 1 || c["kms.GetSecretValue"] != 1 {
		t.Errorf("150 calls made %d token and %d KMS requests, want 1 and 1", c["oauth.token"], c["kms.GetSecretValue"])
	}
	if c.SCIM() != 150 {
		t.Errorf("SCIM requests = %d, want 150", c.SCIM())
	}
}

func TestConcurrentFirstCallsShareOneRefresh(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := s.SCIM.FindByUserName(context.Background(), fmt.Sprint("u", i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	c := s.Server.Counters()
	if c["oauth.token"] != 1 || c["kms.GetSecretValue"] != 1 {
		t.Errorf("50 concurrent first calls made %d token and %d KMS requests, want 1 and 1", c["oauth.token"], c["kms.GetSecretValue"])
	}
}

func TestShortTokenLifetime(t *testing.T) {
	s := newStack(t, cloudtest.Options{TokenLifetime: 2 * time.Second})
	ctx := context.Background()
	deadline := time.Now().Add(5 * time.Second)
	calls := 0
	for time.Now().Before(deadline) {
		if _, _, err := s.SCIM.FindByExternalID(ctx, "E1"); err != nil {
			t.Fatal(err)
		}
		calls++
		time.Sleep(20 * time.Millisecond)
	}
	c := s.Server.Counters()
	// 5 s of calls with 2 s tokens refreshed a little early: 3 or 4
	// tokens, never one per call; the secret is read once.
	if tok := c["oauth.token"]; tok < 2 || tok > 5 {
		t.Errorf("%d calls over 5 s made %d token requests, want 2 to 5", calls, tok)
	}
	if c["kms.GetSecretValue"] != 1 {
		t.Errorf("KMS requests = %d, want 1", c["kms.GetSecretValue"])
	}
	if n := c["scim.find.401"]; n != 0 {
		t.Logf("note: %d calls met an expired token and retried", n)
	}
}

func TestRotatedSecretPickedUp(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	ctx := context.Background()
	if _, _, err := s.SCIM.FindByExternalID(ctx, "E1"); err != nil {
		t.Fatal(err)
	}
	// The operator rotates the app secret (the old one stops working)
	// and the current token is revoked.
	s.Server.RotateSecret("rotated-"+strings.Repeat("x", 56), false)
	s.Server.ExpireTokens()
	if _, _, err := s.SCIM.FindByExternalID(ctx, "E1"); err != nil {
		t.Fatalf("the call after rotation failed: %v", err)
	}
	c := s.Server.Counters()
	if c["kms.GetSecretValue"] != 2 {
		t.Errorf("KMS requests = %d, want 2 (initial read, re-read after invalid_client)", c["kms.GetSecretValue"])
	}
	if c["oauth.token"] != 3 {
		t.Errorf("token requests = %d, want 3 (first, refused with the old secret, with the new)", c["oauth.token"])
	}
}

func TestRetriesSurviveFaults(t *testing.T) {
	tests := []struct {
		name  string
		kind  cloudtest.FaultKind
		n     int
		retry time.Duration // Retry-After, for throttling
	}{
		{"429 with Retry-After", cloudtest.Throttle, 2, time.Second},
		{"503 burst", cloudtest.Error5xx, 4, 0},
		{"dropped connections before processing", cloudtest.DropBefore, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, cloudtest.Options{})
			s.Server.SetFaults(cloudtest.SCIM, cloudtest.Faults{RetryAfter: tt.retry})
			ctx := context.Background()
			warm(t, s)
			s.Server.FailNext(cloudtest.SCIM, tt.n, tt.kind)
			start := time.Now()
			u, err := s.SCIM.Create(ctx, scim.User{ExternalID: "E1", UserName: "a", DisplayName: "A"})
			if err != nil {
				t.Fatalf("create under %d faults: %v", tt.n, err)
			}
			if tt.retry > 0 && time.Since(start) < time.Duration(tt.n)*tt.retry {
				t.Errorf("retried after %s, before the Retry-After of %s ×%d", time.Since(start), tt.retry, tt.n)
			}
			if got := len(s.Server.Users()); got != 1 || u.ID == "" {
				t.Errorf("users = %d, want exactly 1", got)
			}
		})
	}
}

// warm fetches the token and secret so faults hit SCIM calls only.
func warm(t *testing.T, s *stacktest.Stack) {
	t.Helper()
	if _, _, err := s.SCIM.FindByExternalID(context.Background(), "warm-up"); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownCreateOutcomeIsLookedUpNotRepeated(t *testing.T) {
	for _, kind := range []cloudtest.FaultKind{cloudtest.ErrorAfter, cloudtest.DropAfter} {
		t.Run(fmt.Sprint(kind), func(t *testing.T) {
			s := newStack(t, cloudtest.Options{})
			warm(t, s)
			s.Server.FailNext(cloudtest.SCIM, 1, kind)
			u, err := s.SCIM.Create(context.Background(), scim.User{ExternalID: "E1", UserName: "a", DisplayName: "A"})
			if err != nil {
				t.Fatal(err)
			}
			c := s.Server.Counters()
			if c["scim.create"] != 1 {
				t.Errorf("POSTs = %d, want 1: the create was applied, a lookup should have found it", c["scim.create"])
			}
			if users := s.Server.Users(); len(users) != 1 || users[0].ID != u.ID {
				t.Errorf("users = %+v, want exactly the one created", users)
			}
		})
	}
	t.Run("absent after the lookup: sent again", func(t *testing.T) {
		s := newStack(t, cloudtest.Options{})
		warm(t, s)
		s.Server.FailNext(cloudtest.SCIM, 1, cloudtest.Error5xx) // refused before processing
		if _, err := s.SCIM.Create(context.Background(), scim.User{ExternalID: "E1", UserName: "a", DisplayName: "A"}); err != nil {
			t.Fatal(err)
		}
		c := s.Server.Counters()
		if c["scim.create"] != 2 || c["scim.find"] != 2 || len(s.Server.Users()) != 1 {
			t.Errorf("creates=%d finds=%d users=%d, want 2, 2 (warm-up + lookup), 1", c["scim.create"], c["scim.find"], len(s.Server.Users()))
		}
	})
}

func TestBeyondTheRetryBound(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	warm(t, s)
	s.Server.FailNext(cloudtest.SCIM, 100, cloudtest.Error5xx)
	_, err := s.SCIM.Get(context.Background(), "1234567890123456")
	var se *scim.Error
	if !errors.As(err, &se) || !errors.Is(err, scim.ErrServer) || !scim.Transient(err) {
		t.Fatalf("err = %v, want a transient *scim.Error matching ErrServer", err)
	}
	if se.Op != "get" || se.Attempts != stacktest.FastRetry.MaxAttempts || !strings.Contains(err.Error(), "scim: get: 503") {
		t.Errorf("err = %q (op %q, %d attempts): want it to name the operation and the attempts", err, se.Op, se.Attempts)
	}
	if got := s.SCIM.Counts()["get.server_error"]; got != int64(stacktest.FastRetry.MaxAttempts) {
		t.Errorf("counted %d server errors, want %d", got, stacktest.FastRetry.MaxAttempts)
	}
}

func TestDeadlineStopsRetries(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	s.Server.SetFaults(cloudtest.SCIM, cloudtest.Faults{RetryAfter: 3 * time.Second})
	warm(t, s)
	s.Server.FailNext(cloudtest.SCIM, 5, cloudtest.Throttle)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_, err := s.SCIM.Get(ctx, "1234567890123456")
	if !errors.Is(err, scim.ErrThrottled) || !strings.Contains(err.Error(), "no time left before the deadline") {
		t.Fatalf("err = %v, want a throttled error saying the deadline stopped it", err)
	}
	if time.Since(start) > 900*time.Millisecond {
		t.Errorf("gave up after %s: it should not wait for a Retry-After past the deadline", time.Since(start))
	}
}

func TestUnauthorizedDropsTokenAndRetriesOnce(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	warm(t, s)
	s.Server.ExpireTokens()
	if _, _, err := s.SCIM.FindByExternalID(context.Background(), "E1"); err != nil {
		t.Fatalf("after a revoked token: %v", err)
	}
	c := s.Server.Counters()
	if c["oauth.token"] != 2 {
		t.Errorf("token requests = %d, want 2", c["oauth.token"])
	}
	if got := s.SCIM.Counts()["find.unauthorized"]; got != 1 {
		t.Errorf("401s = %d, want 1", got)
	}
}

func TestBareErrorsStayReadable(t *testing.T) {
	s := newStack(t, cloudtest.Options{BareErrors: true})
	ctx := context.Background()
	if _, err := s.SCIM.Create(ctx, scim.User{ExternalID: "E1", UserName: "a", DisplayName: "A"}); err != nil {
		t.Fatal(err)
	}
	_, err := s.SCIM.Create(ctx, scim.User{ExternalID: "E2", UserName: "a", DisplayName: "A"})
	if !errors.Is(err, scim.ErrConflict) || err.Error() != "scim: create: 409 Conflict (no error body)" {
		t.Errorf("err = %q", err)
	}
}

func TestErrorsCarryNoSecrets(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	o := s.Server.Options()
	ctx := context.Background()
	var errs []error
	s.Server.FailNext(cloudtest.OAuth, stacktest.FastRetry.MaxAttempts, cloudtest.Error5xx)
	_, err := s.SCIM.Get(ctx, "1")
	errs = append(errs, err)
	s.Server.RotateSecret("another-"+strings.Repeat("y", 56), false)
	s.Server.SetSecret(o.SecretName, "wrong-"+strings.Repeat("z", 58)) // KMS now holds a secret OAuth refuses
	s.Server.ExpireTokens()
	_, err = s.SCIM.Get(ctx, "1")
	errs = append(errs, err)
	for _, err := range errs {
		if err == nil {
			t.Fatal("want an error")
		}
		msg := fmt.Sprintf("%v %+v %#v", err, err, err)
		for _, secret := range []string{o.ClientSecret, "another-" + strings.Repeat("y", 56), "wrong-" + strings.Repeat("z", 58), o.AccessKeySecret, o.SecurityToken} {
			if strings.Contains(msg, secret) {
				t.Errorf("error %q contains a secret", err)
			}
		}
	}
	if !strings.Contains(errs[1].Error(), "invalid_client") || !errors.Is(errs[1], scim.ErrUnauthorized) || scim.Transient(errs[1]) {
		t.Errorf("err = %v, want a final ErrUnauthorized saying invalid_client", errs[1])
	}
	if !scim.Transient(errs[0]) {
		t.Errorf("err = %v, want transient (the token endpoint answered 503)", errs[0])
	}
}

func TestListSequentialAndParallelAgree(t *testing.T) {
	for _, n := range []int{1, 2, 8} {
		s := newStack(t, cloudtest.Options{}, scim.WithListConcurrency(n), scim.WithPageSize(37))
		s.Server.SeedUsers(1000, func(i int) cloudtest.User {
			return cloudtest.User{ExternalID: fmt.Sprintf("E%04d", i), UserName: fmt.Sprintf("u%04d", i), DisplayName: "U"}
		})
		users, err := s.SCIM.List(context.Background())
		if err != nil || len(users) != 1000 {
			t.Fatalf("concurrency %d: %d users, %v", n, len(users), err)
		}
		for i, u := range users {
			if want := fmt.Sprintf("E%04d", i); u.ExternalID != want {
				t.Fatalf("concurrency %d: users[%d] = %s, want %s", n, i, u.ExternalID, want)
			}
		}
		if got := s.SCIM.Counts()["list.ok"]; got != 28 { // ⌈1000/37⌉
			t.Errorf("concurrency %d: %d list requests, want 28", n, got)
		}
	}
}

// Users deleted while the list is being read shift the offsets; no user
// that was there throughout may be missed.
func TestListSurvivesDeletesDuringListing(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	s.Server.SeedUsers(1000, func(i int) cloudtest.User {
		return cloudtest.User{ExternalID: fmt.Sprintf("E%04d", i), UserName: fmt.Sprintf("u%04d", i), DisplayName: "U"}
	})
	first := s.Server.Users()[:50]
	var once sync.Once
	s.Server.Intercept = func(svc cloudtest.Service, kind string, w http.ResponseWriter, r *http.Request) bool {
		if svc == cloudtest.SCIM && kind == "list" && r.URL.Query().Get("startIndex") == "501" {
			once.Do(func() {
				for _, u := range first {
					s.Server.RemoveUser(u.ID)
				}
			})
		}
		return false
	}
	users, err := s.SCIM.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, u := range users {
		got[u.ExternalID] = true
	}
	for _, u := range s.Server.Users() {
		if !got[u.ExternalID] {
			t.Errorf("user %s existed throughout but was not listed", u.ExternalID)
		}
	}
}

// A server that ignores startIndex would make a naive client loop forever.
func TestListDetectsAServerThatIgnoresStartIndex(t *testing.T) {
	for _, n := range []int{1, 4} {
		s := newStack(t, cloudtest.Options{}, scim.WithListConcurrency(n))
		s.Server.SeedUsers(250, func(i int) cloudtest.User {
			return cloudtest.User{ExternalID: fmt.Sprintf("E%04d", i), UserName: fmt.Sprintf("u%04d", i), DisplayName: "U"}
		})
		s.Server.Intercept = func(svc cloudtest.Service, kind string, w http.ResponseWriter, r *http.Request) bool {
			if svc == cloudtest.SCIM && kind == "list" {
				q := r.URL.Query()
				q.Set("startIndex", "1")
				r.URL.RawQuery = q.Encode()
			}
			return false
		}
		_, err := s.SCIM.List(context.Background())
		if err == nil || !strings.Contains(err.Error(), "paging does not advance") {
			t.Errorf("concurrency %d: err = %v, want paging does not advance", n, err)
		}
	}
}

// Tokens can be revoked more than once while one operation retries (an
// expiry, then a rotation): each fresh token gets its chance.
func TestUnauthorizedTwiceWithFreshTokens(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	warm(t, s)
	s.Server.FailNextError(cloudtest.SCIM, 2, 401, "")
	if _, _, err := s.SCIM.FindByExternalID(context.Background(), "E1"); err != nil {
		t.Fatalf("after two 401s: %v", err)
	}
	if got := s.Server.Counters()["oauth.token"]; got != 3 {
		t.Errorf("token requests = %d, want 3 (the first, and one after each 401)", got)
	}
	// A server that refuses every token ends with ErrUnauthorized, within
	// the retry bound.
	s.Server.FailNextError(cloudtest.SCIM, 100, 401, "")
	_, _, err := s.SCIM.FindByExternalID(context.Background(), "E1")
	if !errors.Is(err, scim.ErrUnauthorized) || scim.Transient(err) {
		t.Errorf("err = %v, want a final ErrUnauthorized", err)
	}
}

// TestAnswerForAnotherUserIsRefused: a GET or PUT of /Users/{id} answered
// with another user (a misrouting proxy, a stale cache, a hostile
// SCIM_ENDPOINT) is refused with ErrWrongUser and not retried, so the
// caller never acts on the wrong person.
func TestAnswerForAnotherUserIsRefused(t *testing.T) {
	refused := 0
	t.Cleanup(func() { t.Logf("RELIABILITY suite=wrong-user ops=2 refused=%d retried=0", refused) })
	for _, op := range []string{"get", "replace"} {
		t.Run(op, func(t *testing.T) {
			s := newStack(t, cloudtest.Options{})
			ctx := context.Background()
			a, err := s.SCIM.Create(ctx, scim.User{ExternalID: "E1", UserName: "li.wei", DisplayName: "Li Wei"})
			if err != nil {
				t.Fatal(err)
			}
			b, err := s.SCIM.Create(ctx, scim.User{ExternalID: "E2", UserName: "wang.fang", DisplayName: "Wang Fang"})
			if err != nil {
				t.Fatal(err)
			}
			s.Server.Intercept = func(svc cloudtest.Service, kind string, w http.ResponseWriter, r *http.Request) bool {
				if svc != cloudtest.SCIM || kind != op {
					return false
				}
				w.Header().Set("Content-Type", "application/scim+json")
				fmt.Fprintf(w, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":%q,"externalId":"E2","userName":"wang.fang","displayName":"Wang Fang"}`, b.ID)
				return true
			}
			before := s.Server.Counters()[`scim.`+op]
			var got scim.User
			if op == "get" {
				got, err = s.SCIM.Get(ctx, a.ID)
			} else {
				got, err = s.SCIM.Replace(ctx, scim.User{ID: a.ID, ExternalID: "E1", UserName: "li.wei", DisplayName: "Li W."})
			}
			if !errors.Is(err, scim.ErrWrongUser) || got.ID != "" {
				t.Fatalf("answer for %s: user %+v, err %v; want ErrWrongUser", b.ID, got, err)
			}
			if scim.Transient(err) {
				t.Errorf("ErrWrongUser is transient: %v", err)
			}
			if !strings.Contains(err.Error(), a.ID) || !strings.Contains(err.Error(), b.ID) {
				t.Errorf("message %q names neither id", err)
			}
			if n := s.Server.Counters()[`scim.`+op] - before; n != 1 {
				t.Errorf("%d %s requests, want 1 (not retried)", n, op)
			} else {
				refused++
			}
		})
	}
}
