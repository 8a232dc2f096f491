package secrets

import (
	"os"
	"sync"
)

// Credentials are an Alibaba Cloud AccessKey pair, with the STS security
// token when they are temporary (as a Function Compute role's are).
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// IsZero reports whether no AccessKey is set.
func (c Credentials) IsZero() bool { return c.AccessKeyID == "" || c.AccessKeySecret == "" }

// String shows only the AccessKey id.
func (c Credentials) String() string {
	return "credentials(" + c.AccessKeyID + ", secret " + Redacted + ")"
}

// GoString is String, so %#v cannot print the secret either.
func (c Credentials) GoString() string { return c.String() }

// EnvCredentials reads ALIBABA_CLOUD_ACCESS_KEY_ID, _SECRET and
// ALIBABA_CLOUD_SECURITY_TOKEN, which Function Compute sets when the
// function has a role.
func EnvCredentials(getenv func(string) string) Credentials {
	if getenv == nil {
		getenv = os.Getenv
	}
	return Credentials{
		AccessKeyID:     getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"),
		AccessKeySecret: getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
		SecurityToken:   getenv("ALIBABA_CLOUD_SECURITY_TOKEN"),
	}
}

// CredentialStore holds the newest credentials seen. Function Compute hands
// fresh STS credentials to every invocation; the function's adapter Sets
// them, and long-lived clients (built once per instance, outside any
// invocation) read them when they next sign a request. It is safe for
// concurrent use.
type CredentialStore struct {
	mu       sync.RWMutex
	c        Credentials
	fallback Credentials
}

// NewCredentialStore returns a store that answers fallback (typically
// [EnvCredentials]) until Set is called.
func NewCredentialStore(fallback Credentials) *CredentialStore {
	return &CredentialStore{fallback: fallback}
}

// Set records c as the newest credentials, if it is complete.
func (s *CredentialStore) Set(c Credentials) {
	if c.IsZero() {
		return
	}
	s.mu.Lock()
	s.c = c
	s.mu.Unlock()
}

// Get returns the newest credentials, or the fallback.
func (s *CredentialStore) Get() Credentials {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.c.IsZero() {
		return s.c
	}
	return s.fallback
}
