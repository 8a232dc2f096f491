package secrets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"time"

	sdkauth "github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerr "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	smsdk "github.com/aliyun/aliyun-secretsmanager-client-go/sdk"
	"github.com/aliyun/aliyun-secretsmanager-client-go/sdk/models"
	"github.com/aliyun/aliyun-secretsmanager-client-go/sdk/service"
)

// ManagerConfig configures a [Manager].
type ManagerConfig struct {
	// Region is the Secrets Manager region, e.g. "cn-hangzhou". Required.
	Region string
	// Endpoint overrides the KMS endpoint (host[:port], always HTTPS).
	// Empty means the regional default, kms.<region>.aliyuncs.com.
	Endpoint string
	// Credentials returns the credentials to sign with, called before
	// each read; when they differ from the ones the KMS client was built
	// with, the client is rebuilt. Required.
	Credentials func() Credentials
	// Logger receives the KMS client's own log lines at debug level, with
	// credentials removed. Nil discards them.
	Logger *slog.Logger
	// Attempts bounds reads that fail to connect (the KMS client retries
	// throttling and 5xx by itself). Zero means 3.
	Attempts int
}

// Manager reads secrets from KMS Secrets Manager and caches them per
// instance (the cache of aliyun-secretsmanager-client-go: an hour per
// secret). It is safe for concurrent use.
type Manager struct {
	cfg ManagerConfig

	mu     sync.Mutex
	client *smsdk.SecretManagerCacheClient
	built  Credentials

	// callMu serialises the SDK's calls: its KMS client sets its HTTP
	// timeout on every request, so it is not safe for concurrent use
	// (concurrent invocations of one instance read secrets together).
	callMu sync.Mutex
}

var regionRE = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// NewManager checks cfg and returns a Manager. No request is made until
// the first read.
func NewManager(cfg ManagerConfig) (*Manager, error) {
	if !regionRE.MatchString(cfg.Region) {
		return nil, fmt.Errorf("secrets: region %q is not a region id like cn-hangzhou", cfg.Region)
	}
	if cfg.Credentials == nil {
		return nil, errors.New("secrets: no credentials provider")
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	sdkLogger.set(cfg.Logger)
	return &Manager{cfg: cfg}, nil
}

// Get returns the secret's current value (stage ACSCurrent), from the cache
// when it holds one.
func (m *Manager) Get(ctx context.Context, name string) (Value, error) {
	return m.read(ctx, name, false)
}

// Refresh reads the secret from KMS, bypassing the cache, and caches the
// new value. Call it when the cached value was refused (a rotated secret).
func (m *Manager) Refresh(ctx context.Context, name string) (Value, error) {
	return m.read(ctx, name, true)
}

func (m *Manager) read(ctx context.Context, name string, fresh bool) (Value, error) {
	if name == "" {
		return Value{}, errors.New("secrets: no secret name")
	}
	type result struct {
		v   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		var r result
		for attempt := 1; ; attempt++ {
			r.v, r.err = m.readOnce(name, fresh)
			if r.err == nil || !retryable(r.err) || attempt >= m.cfg.Attempts {
				break
			}
			time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
		}
		ch <- r
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return Value{}, m.wrap(name, r.err)
		}
		return NewValue(r.v), nil
	case <-ctx.Done():
		return Value{}, &Error{Name: name, Region: m.cfg.Region, Err: ctx.Err()}
	}
}

func (m *Manager) readOnce(name string, fresh bool) (string, error) {
	c, err := m.clientFor(m.cfg.Credentials())
	if err != nil {
		return "", err
	}
	m.callMu.Lock()
	defer m.callMu.Unlock()
	if fresh {
		if _, err := c.RefreshNow(name); err != nil {
			return "", err
		}
	}
	return c.GetStringValue(name)
}

// clientFor returns the cache client for creds, rebuilding it when the
// credentials changed since it was built (the SDK keeps the credential it
// was built with forever).
func (m *Manager) clientFor(creds Credentials) (*smsdk.SecretManagerCacheClient, error) {
	if creds.IsZero() {
		return nil, errNoCredentials
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.client != nil && m.built == creds {
		return m.client, nil
	}
	sdkLogger.redact(creds)
	var cred sdkauth.Credential
	if creds.SecurityToken != "" {
		cred = credentials.NewStsTokenCredential(creds.AccessKeyID, creds.AccessKeySecret, creds.SecurityToken)
	} else {
		cred = credentials.NewAccessKeyCredential(creds.AccessKeyID, creds.AccessKeySecret)
	}
	smc := service.NewDefaultSecretManagerClientBuilder().Standard().
		WithCredentials(cred).
		AddRegionInfo(&models.RegionInfo{RegionId: m.cfg.Region, Endpoint: m.cfg.Endpoint}).
		// Throttling and 5xx: 4 more tries over 7.5 s, not the SDK's 44 s,
		// so a read fits in a webhook's time.
		WithBackoffStrategy(service.NewFullJitterBackoffStrategy(3, 500, 4000)).
		Build()
	c, err := smsdk.NewSecretCacheClientBuilder(smc).
		WithLogger(sdkLogger).
		// Our secrets are plain strings, not JSON with a "ttl" field; an
		// empty property name stops the SDK from trying (and logging the
		// parse error, which quotes the secret's first character).
		WithParseJSONTTL("").
		Build()
	if err != nil {
		return nil, err
	}
	if m.client != nil {
		_ = m.client.Close()
	}
	m.client, m.built = c, creds
	return c, nil
}

var errNoCredentials = errors.New("no credentials: the function needs a role (FC passes its STS credentials), or set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET")

// retryable reports errors where the request probably never got an answer.
func retryable(err error) bool {
	var se *sdkerr.ServerError
	if errors.As(err, &se) {
		return false
	}
	return !errors.Is(err, errNoCredentials)
}
