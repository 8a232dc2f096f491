package cloudtest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

const (
	testClientID     = "app+id:1"
	testClientSecret = "s/e=c+r%t"
)

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

func TestTokenRequests(t *testing.T) {
	s := start(t, Options{ClientID: testClientID, ClientSecret: testClientSecret})
	escaped := basic(url.QueryEscape(testClientID), url.QueryEscape(testClientSecret))
	form := "application/x-www-form-urlencoded"
	tests := []struct {
		name        string
		method      string
		query, body string
		auth        string
		wantStatus  int
		wantError   string
	}{
		{"form body, escaped Basic", "POST", "", "grant_type=client_credentials", escaped, 200, ""},
		{"query string as documented", "POST", "grant_type=client_credentials&client_id=" + url.QueryEscape(testClientID), "", escaped, 200, ""},
		{"with the SCIM scope", "POST", "", "grant_type=client_credentials&scope=%2Facs%2Fscim", escaped, 200, ""},
		{"credentials in the body", "POST", "", "grant_type=client_credentials&client_id=" + url.QueryEscape(testClientID) + "&client_secret=" + url.QueryEscape(testClientSecret), "", 200, ""},
		{"unescaped Basic", "POST", "", "grant_type=client_credentials", basic(testClientID, testClientSecret), 401, "invalid_client"},
		{"wrong secret", "POST", "", "grant_type=client_credentials", basic(url.QueryEscape(testClientID), "nope"), 401, "invalid_client"},
		{"unknown client", "POST", "", "grant_type=client_credentials", basic("other", url.QueryEscape(testClientSecret)), 401, "invalid_client"},
		{"client_id differs from Basic", "POST", "grant_type=client_credentials&client_id=other", "", escaped, 401, "invalid_client"},
		{"no client authentication", "POST", "", "grant_type=client_credentials", "", 401, "invalid_client"},
		{"missing grant_type", "POST", "", "", escaped, 400, "invalid_request"},
		{"password grant", "POST", "", "grant_type=password&username=a&password=b", escaped, 400, "unsupported_grant_type"},
		{"other scope", "POST", "", "grant_type=client_credentials&scope=openid", escaped, 400, "invalid_scope"},
		{"GET", "GET", "grant_type=client_credentials", "", escaped, 405, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := s.TokenURL
			if tt.query != "" {
				u += "?" + tt.query
			}
			req, _ := http.NewRequest(tt.method, u, strings.NewReader(tt.body))
			if tt.body != "" {
				req.Header.Set("Content-Type", form)
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := s.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %v", resp.StatusCode, tt.wantStatus, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if tt.wantError != "" {
				if body["error"] != tt.wantError || body["error_description"] == "" {
					t.Errorf("body = %v, want error %q with a description", body, tt.wantError)
				}
				return
			}
			checkTokenBody(t, body, "3600")
		})
	}
	if got := s.Counters()["oauth.token"]; got != int64(len(tests)) {
		t.Errorf("oauth.token counter = %d, want %d", got, len(tests))
	}
}

// checkTokenBody checks a successful token response [ALIYUN.md §2.2].
func checkTokenBody(t *testing.T, body map[string]any, expiresIn any) {
	t.Helper()
	if body["scope"] != "/acs/scim" || body["token_type"] != "Bearer" || body["expires_in"] != expiresIn {
		t.Errorf("body = %v, want scope /acs/scim, token_type Bearer, expires_in %#v", body, expiresIn)
	}
	if tok, _ := body["access_token"].(string); !strings.HasPrefix(tok, "eyJ") || len(tok) < 40 {
		t.Errorf("access_token = %q, want an opaque eyJ… string", tok)
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if id, _ := body["request_id"].(string); !uuid.MatchString(id) {
		t.Errorf("request_id = %q, want a lower-case UUID", id)
	}
}

func TestTokenNumericExpiresIn(t *testing.T) {
	s := start(t, Options{NumericExpiresIn: true, TokenLifetime: 900 * time.Second})
	o := s.Options()
	req, _ := http.NewRequest("POST", s.TokenURL+"?grant_type=client_credentials", nil)
	req.SetBasicAuth(o.ClientID, o.ClientSecret)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	checkTokenBody(t, body, float64(900))
}

// TestTokenThroughOAuth2 uses the client ramsync uses, golang.org/x/oauth2,
// with credentials that need URL-escaping in the Basic header.
func TestTokenThroughOAuth2(t *testing.T) {
	for _, numeric := range []bool{false, true} {
		s := start(t, Options{ClientID: testClientID, ClientSecret: testClientSecret, NumericExpiresIn: numeric})
		cfg := clientcredentials.Config{
			ClientID: testClientID, ClientSecret: testClientSecret, TokenURL: s.TokenURL,
			Scopes: []string{"/acs/scim"}, AuthStyle: oauth2.AuthStyleInHeader,
		}
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, s.Client())
		tok, err := cfg.Token(ctx)
		if err != nil {
			t.Fatalf("numeric=%v: %v", numeric, err)
		}
		if left := time.Until(tok.Expiry); left < 59*time.Minute || left > 61*time.Minute {
			t.Errorf("numeric=%v: expiry in %v, want about an hour", numeric, left)
		}
		r := do(t, s, "GET", s.SCIMURL+"/Users", tok.AccessToken, nil)
		if r.status != 200 {
			t.Errorf("SCIM with the token: %d %s", r.status, r.body)
		}

		cfg.ClientSecret = "wrong"
		_, err = cfg.Token(ctx)
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
			t.Errorf("wrong secret: err = %v, want a RetrieveError invalid_client", err)
		}
	}
}

func TestTokenExpiry(t *testing.T) {
	clk := newFakeClock()
	s := start(t, Options{TokenLifetime: 2 * time.Second, Now: clk.Now})
	tok := token(t, s)
	if r := do(t, s, "GET", s.SCIMURL+"/Users", tok, nil); r.status != 200 {
		t.Fatalf("fresh token: %d %s", r.status, r.body)
	}
	clk.Add(2 * time.Second)
	r := do(t, s, "GET", s.SCIMURL+"/Users", tok, nil)
	if r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), "invalid_token") {
		t.Fatalf("expired token: %d %v", r.status, r.header)
	}

	tok = token(t, s)
	s.ExpireTokens()
	if r := do(t, s, "GET", s.SCIMURL+"/Users", tok, nil); r.status != 401 {
		t.Errorf("after ExpireTokens: %d", r.status)
	}

	s.SetTokenLifetime(time.Hour)
	tok = token(t, s)
	clk.Add(59 * time.Minute)
	if r := do(t, s, "GET", s.SCIMURL+"/Users", tok, nil); r.status != 200 {
		t.Errorf("after SetTokenLifetime(1h), 59 min later: %d", r.status)
	}
	for name, auth := range map[string]string{"no header": "", "unknown token": "Bearer eyJnope", "Basic": "Basic eA=="} {
		req, _ := http.NewRequest("GET", s.SCIMURL+"/Users", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("%s: status %d, want 401", name, resp.StatusCode)
		}
	}
}

func TestRotateSecret(t *testing.T) {
	s := start(t, Options{ClientSecret: "old"})
	try := func(secret string) int {
		req, _ := http.NewRequest("POST", s.TokenURL+"?grant_type=client_credentials", nil)
		req.SetBasicAuth(s.Options().ClientID, secret)
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	s.RotateSecret("new", true)
	if try("new") != 200 || try("old") != 200 {
		t.Error("keepOld: both secrets must work")
	}
	s.RotateSecret("newer", false)
	if try("newer") != 200 || try("new") != 401 || try("old") != 401 {
		t.Error("without keepOld only the newest secret may work")
	}
	if got := s.Options().ClientSecret; got != "newer" {
		t.Errorf("Options().ClientSecret = %q", got)
	}
}
