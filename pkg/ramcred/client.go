package ramcred

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	sdkauth "github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

	"github.com/ramsync/ramsync/pkg/secrets"
)

// DefaultEndpoint is RAM's global OpenAPI endpoint.
const DefaultEndpoint = "ram.aliyuncs.com"

// DefaultIMSEndpoint is the global endpoint of IMS, RAM's newer user API,
// used when Endpoint is DefaultEndpoint.
const DefaultIMSEndpoint = "ims.aliyuncs.com"

// Config configures a [Client].
type Config struct {
	// Endpoint is host[:port], always HTTPS. Empty means DefaultEndpoint.
	Endpoint string
	// IMSEndpoint is the IMS API's host[:port], always HTTPS. Empty means
	// DefaultIMSEndpoint when Endpoint is DefaultEndpoint, else Endpoint
	// itself (a test double serving both APIs on one host).
	IMSEndpoint string
	// Credentials returns the credentials to sign with. Required.
	Credentials func() secrets.Credentials
	// Transport carries the requests; nil means the SDK's default (which
	// verifies TLS against the system roots).
	Transport *http.Transport
	// Attempts bounds each call's tries on throttling, 5xx and connection
	// failures. Zero means 4.
	Attempts int
	// BaseDelay is the first backoff step. Zero means 200 ms.
	BaseDelay time.Duration
	// Logger receives one debug line per call. Nil discards.
	Logger *slog.Logger
}

// Client is a RAM OpenAPI client for offboarding. It is safe for
// concurrent use; its calls are made one at a time (the SDK's client is
// not safe for concurrent calls, and offboarding is not a hot path).
type Client struct {
	cfg Config

	mu    sync.Mutex
	sdk   *ram.Client
	built secrets.Credentials

	// callMu serialises SDK calls: the SDK's Client mutates its HTTP
	// client's timeout on every call, so it is not safe for concurrent use.
	callMu sync.Mutex
}

// New checks cfg and returns a Client. No request is made until a call.
func New(cfg Config) (*Client, error) {
	if cfg.Credentials == nil {
		return nil, errors.New("ramcred: no credentials provider")
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultEndpoint
	}
	if cfg.IMSEndpoint == "" {
		cfg.IMSEndpoint = cfg.Endpoint
		if cfg.Endpoint == DefaultEndpoint {
			cfg.IMSEndpoint = DefaultIMSEndpoint
		}
	}
	for _, ep := range []string{cfg.Endpoint, cfg.IMSEndpoint} {
		if strings.Contains(ep, "/") {
			return nil, fmt.Errorf("ramcred: endpoint %q must be host[:port], without a scheme or path", ep)
		}
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 4
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = 200 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg}, nil
}

func (c *Client) client() (*ram.Client, error) {
	creds := c.cfg.Credentials()
	if creds.IsZero() {
		return nil, &Error{Action: "sign", Err: errors.New("no credentials: the function needs a role, or set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET")}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sdk != nil && c.built == creds {
		return c.sdk, nil
	}
	var cred sdkauth.Credential
	if creds.SecurityToken != "" {
		cred = credentials.NewStsTokenCredential(creds.AccessKeyID, creds.AccessKeySecret, creds.SecurityToken)
	} else {
		cred = credentials.NewAccessKeyCredential(creds.AccessKeyID, creds.AccessKeySecret)
	}
	config := sdk.NewConfig()
	config.Scheme = "HTTPS"
	config.Timeout = 10 * time.Second
	if c.cfg.Transport != nil {
		config.HttpTransport = c.cfg.Transport
	}
	// RAM is a global service; the region only seeds the SDK.
	rc, err := ram.NewClientWithOptions("cn-hangzhou", config, cred)
	if err != nil {
		return nil, &Error{Action: "init", Err: err}
	}
	rc.Domain = c.cfg.Endpoint
	if c.sdk != nil {
		c.sdk.Shutdown()
	}
	c.sdk, c.built = rc, creds
	return rc, nil
}

// call runs one action with retries. req must be an SDK request whose
// Scheme is set by the client config.
func (c *Client) call(ctx context.Context, action, userName string, req requests.AcsRequest, resp responses.AcsResponse) error {
	var last error
	for attempt := 1; attempt <= c.cfg.Attempts; attempt++ {
		if attempt > 1 {
			d := c.cfg.BaseDelay << (attempt - 2)
			wait := time.Duration(rand.Int64N(int64(d)) + 1)
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
				return last
			}
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return &Error{Action: action, UserName: userName, Err: ctx.Err()}
			}
		}
		if err := ctx.Err(); err != nil {
			return &Error{Action: action, UserName: userName, Err: err}
		}
		rc, err := c.client()
		if err != nil {
			return err
		}
		start := time.Now()
		c.callMu.Lock()
		err = rc.DoAction(req, resp)
		c.callMu.Unlock()
		c.cfg.Logger.DebugContext(ctx, "ram openapi call", "action", action, "userName", userName,
			"attempt", attempt, "durationMs", time.Since(start).Milliseconds(), "ok", err == nil)
		if err == nil {
			return nil
		}
		last = wrap(action, userName, err)
		var e *Error
		if errors.As(last, &e) && !e.Transient() {
			return last
		}
	}
	return last
}

// ramName is the RAM OpenAPI user name for a SCIM userName: the part
// before any @domain suffix.
func ramName(userName string) string {
	n, _, _ := strings.Cut(userName, "@")
	return n
}
