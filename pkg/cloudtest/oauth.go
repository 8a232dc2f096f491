package cloudtest

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	tokenPath = "/v1/token"
	scimScope = "/acs/scim"
)

// oauthState is the OAuth application: its id, the secrets it accepts (at
// most two, as Alibaba allows [ALIYUN.md §1.6]) and the tokens it issued.
type oauthState struct {
	mu       sync.Mutex
	clientID string
	secrets  []string // secrets[0] is the current one
	lifetime time.Duration
	numeric  bool
	tokens   map[string]time.Time // token → expiry
}

func newOAuthState(o Options) *oauthState {
	return &oauthState{
		clientID: o.ClientID,
		secrets:  []string{o.ClientSecret},
		lifetime: o.TokenLifetime,
		numeric:  o.NumericExpiresIn,
		tokens:   map[string]time.Time{},
	}
}

// current returns the current secret and token lifetime.
func (o *oauthState) current() (string, time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.secrets[0], o.lifetime
}

// authenticate reports whether id and secret are the app's credentials.
func (o *oauthState) authenticate(id, secret string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	ok := subtle.ConstantTimeCompare([]byte(id), []byte(o.clientID)) == 1
	match := false
	for _, s := range o.secrets {
		if subtle.ConstantTimeCompare([]byte(secret), []byte(s)) == 1 {
			match = true
		}
	}
	return ok && match
}

// issue makes a token valid until now+lifetime and returns it with the
// lifetime.
func (o *oauthState) issue(now time.Time) (string, time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.tokens) > 4096 {
		for t, exp := range o.tokens {
			if !now.Before(exp) {
				delete(o.tokens, t)
			}
		}
	}
	tok := newAccessToken()
	o.tokens[tok] = now.Add(o.lifetime)
	return tok, o.lifetime
}

// valid reports whether tok was issued and has not expired at now.
func (o *oauthState) valid(tok string, now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	exp, ok := o.tokens[tok]
	return ok && now.Before(exp)
}

func (s *Server) routeOAuth(r *http.Request) (string, http.HandlerFunc) {
	if r.URL.Path != tokenPath {
		return "other", func(w http.ResponseWriter, r *http.Request) {
			writeOAuthError(w, http.StatusNotFound, "invalid_request", "no such endpoint: "+r.URL.Path)
		}
	}
	return "token", s.serveToken
}

// serveToken is POST /v1/token with grant_type=client_credentials
// [ALIYUN.md §2, checklist 1–5].
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "the token endpoint takes POST")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil { // query string and form body
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "unreadable parameters: "+err.Error())
		return
	}
	id, secret, basic, err := clientCredentials(r)
	if err != nil {
		if basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="oauth"`)
		}
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", err.Error())
		return
	}
	if !s.oauth.authenticate(id, secret) {
		if basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="oauth"`)
		}
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed: unknown client_id or wrong client_secret")
		return
	}
	switch grant := r.Form.Get("grant_type"); grant {
	case "client_credentials":
	case "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "grant_type is missing")
		return
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type "+strconv.Quote(grant)+" is not supported; use client_credentials")
		return
	}
	if scope := r.Form.Get("scope"); scope != "" && !containsField(scope, scimScope) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_scope", "the application is only granted "+scimScope)
		return
	}

	tok, lifetime := s.oauth.issue(s.opts.Now())
	secs := max(1, int64((lifetime+time.Second-1)/time.Second)) // 0 would mean "no expiry" to x/oauth2
	var expiresIn any = strconv.FormatInt(secs, 10)
	if s.oauth.numeric {
		expiresIn = secs
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, "application/json", struct {
		Scope       string `json:"scope"`
		RequestID   string `json:"request_id"`
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   any    `json:"expires_in"`
	}{scimScope, newUUID(), tok, "Bearer", expiresIn})
}

// clientCredentials extracts the client id and secret: from Basic auth,
// both halves URL-decoded as RFC 6749 §2.3.1 (and golang.org/x/oauth2)
// encode them, or else from client_id/client_secret parameters. A
// client_id parameter next to Basic auth must name the same client.
func clientCredentials(r *http.Request) (id, secret string, basic bool, err error) {
	rawID, rawSecret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.Form.Get("client_id"), r.Form.Get("client_secret")
		if id == "" || secret == "" {
			return "", "", false, errorString("no client authentication: send Authorization: Basic, or client_id and client_secret")
		}
		return id, secret, false, nil
	}
	if id, err = url.QueryUnescape(rawID); err != nil {
		return "", "", true, errorString("the Basic user is not URL-encoded properly")
	}
	if secret, err = url.QueryUnescape(rawSecret); err != nil {
		return "", "", true, errorString("the Basic password is not URL-encoded properly")
	}
	if p := r.Form.Get("client_id"); p != "" && p != id {
		return "", "", true, errorString("the client_id parameter does not match the Basic credentials")
	}
	return id, secret, true, nil
}

// writeOAuthError answers an RFC 6749 §5.2 error. Alibaba's own error shape
// is not documented [ALIYUN.md §2.2, UNKNOWN].
func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	noteCode(w, code)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, "application/json", struct {
		Error       string `json:"error"`
		Description string `json:"error_description,omitempty"`
	}{code, desc})
}

// containsField reports whether the space-separated list has field.
func containsField(list, field string) bool {
	for _, f := range strings.Fields(list) {
		if f == field {
			return true
		}
	}
	return false
}

// errorString is a constant error message.
type errorString string

func (e errorString) Error() string { return string(e) }

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// RotateSecret gives the OAuth app a new secret and stores it as a new
// version of the KMS secret Options.SecretName (the old version becomes
// ACSPrevious). OAuth then accepts newValue, and the previous secret too
// only if keepOld (Alibaba allows two secrets per app). Issued tokens stay
// valid.
func (s *Server) RotateSecret(newValue string, keepOld bool) {
	s.oauth.mu.Lock()
	old := s.oauth.secrets[0]
	s.oauth.secrets = []string{newValue}
	if keepOld {
		s.oauth.secrets = append(s.oauth.secrets, old)
	}
	s.oauth.mu.Unlock()
	s.kms.put(s.opts.SecretName, newValue, s.now())
}

// ExpireTokens makes every token issued so far invalid now.
func (s *Server) ExpireTokens() {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	clear(s.oauth.tokens)
}

// SetTokenLifetime changes the lifetime of the tokens issued from now on.
func (s *Server) SetTokenLifetime(d time.Duration) {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	s.oauth.lifetime = d
}
