package api

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken/internal/testclock"
	"github.com/google/go-cmp/cmp"
)

type testClock = testclock.Clock

var login = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// startServer runs the API on a loopback port with a fake clock and a cheap
// password hash.
func startServer(t *testing.T) (*httptest.Server, *testClock) {
	t.Helper()
	return startServerWith(t, Config{})
}

// startServerWith is startServer with the other fields of cfg.
func startServerWith(t *testing.T, cfg Config) (*httptest.Server, *testClock) {
	t.Helper()
	clk := testclock.New(login)
	cfg.Key = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	cfg.Username, cfg.Password = "demo", "demo-password"
	cfg.Iterations = 1000
	cfg.Now = clk.Now
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, clk
}

// result is what the tests check of a response.
type result struct {
	Status    int
	Challenge string         // WWW-Authenticate
	Body      map[string]any // the JSON body; nil when empty
}

func call(t *testing.T, srv *httptest.Server, method, path, token string, body any) result {
	t.Helper()
	var in io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		in = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		in = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, srv.URL+path, in)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := result{Status: res.StatusCode, Challenge: res.Header.Get("WWW-Authenticate")}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &r.Body); err != nil {
			t.Fatalf("%s %s: body %q is not a JSON object: %v", method, path, data, err)
		}
	}
	return r
}

func tokens(t *testing.T, r result) (access, refresh string) {
	t.Helper()
	access, _ = r.Body["access_token"].(string)
	refresh, _ = r.Body["refresh_token"].(string)
	if r.Status != 200 || access == "" || refresh == "" || r.Body["token_type"] != "Bearer" {
		t.Fatalf("want a token response, got %+v", r)
	}
	return access, refresh
}

func errBody(code, desc string) map[string]any {
	return map[string]any{"error": code, "error_description": desc}
}

// TestFlow walks the README's session through the running API: login,
// ordinary and sensitive calls, expiry, refresh, the refused sensitive call
// with its RFC 9470 challenge, login again, and a logout that ends one
// session.
func TestFlow(t *testing.T) {
	srv, clk := startServer(t)
	creds := map[string]string{"username": "demo", "password": "demo-password"}
	access, refresh := tokens(t, call(t, srv, "POST", "/login", "", creds))
	var refreshed, relogin string

	profile := func(email string, fresh bool, loggedIn time.Time) result {
		return result{Status: 200, Body: map[string]any{"username": "demo", "email": email, "fresh": fresh, "logged_in_at": loggedIn.Format(time.RFC3339)}}
	}
	revoked := result{
		Status:    401,
		Challenge: `Bearer realm="example", error="invalid_token", error_description="The token was revoked"`,
		Body:      errBody("invalid_token", "The token was revoked"),
	}
	steps := []struct {
		name    string
		advance time.Duration
		method  string
		path    string
		token   *string
		body    any
		want    result
		reason  string
	}{
		{"profile", 0, "GET", "/profile", &access, nil, profile("demo@example.com", true, login), "a login token is fresh"},
		{"change email", 0, "POST", "/change-email", &access, map[string]string{"email": "new@example.com"}, result{Status: 200, Body: map[string]any{"email": "new@example.com"}}, "fresh right after login"},
		{"change email, bad address", 0, "POST", "/change-email", &access, map[string]string{"email": "Demo <x@example.com>"}, result{Status: 400, Body: errBody("invalid_request", "email must be a plain address such as name@example.com")}, ""},
		{"change email, unknown field", 0, "POST", "/change-email", &access, map[string]string{"mail": "x@example.com"}, result{Status: 400, Body: errBody("invalid_request", "the body must be a JSON object with the documented fields")}, ""},
		{
			"profile, expired", 16 * time.Minute, "GET", "/profile", &access, nil,
			result{Status: 401, Challenge: `Bearer realm="example", error="invalid_token", error_description="The token expired"`, Body: errBody("invalid_token", "The token expired")},
			"access tokens live 15 minutes",
		},
		{
			"access token at /refresh", 0, "POST", "/refresh", &access, nil,
			result{Status: 401, Challenge: `Bearer realm="example", error="invalid_token", error_description="The token is of the wrong type"`, Body: errBody("invalid_token", "The token is of the wrong type")},
			"only a refresh token refreshes",
		},
		{"refresh", 0, "POST", "/refresh", &refresh, nil, result{}, "checked below"},
		{"profile after refresh", 0, "GET", "/profile", &refreshed, nil, profile("new@example.com", false, login), "refreshed: valid, not fresh"},
		{
			"change email after refresh", 0, "POST", "/change-email", &refreshed, map[string]string{"email": "evil@example.com"},
			result{Status: 401, Challenge: `Bearer realm="example", error="insufficient_user_authentication", error_description="A fresh login is required"`, Body: errBody("insufficient_user_authentication", "A fresh login is required")},
			"RFC 9470: log in again",
		},
		{"login again", 0, "POST", "/login", nil, creds, result{}, "checked below"},
		{"change email after login", 0, "POST", "/change-email", &relogin, map[string]string{"email": "newer@example.com"}, result{Status: 200, Body: map[string]any{"email": "newer@example.com"}}, "fresh again"},
		{
			"logout with an access token", 0, "POST", "/logout", &relogin, nil,
			result{Status: 401, Challenge: `Bearer realm="example", error="invalid_token", error_description="The token is of the wrong type"`, Body: errBody("invalid_token", "The token is of the wrong type")},
			"logout takes the refresh token",
		},
		{"logout", 0, "POST", "/logout", &refresh, nil, result{Status: 204}, ""},
		{"logout again", 0, "POST", "/logout", &refresh, nil, revoked, "the refresh token is revoked"},
		{"refresh after logout", 0, "POST", "/refresh", &refresh, nil, revoked, "the session is over"},
		{"access token of the ended session", 0, "GET", "/profile", &refreshed, nil, revoked, "logout reaches the access tokens made from the refresh token"},
		{"another session", 0, "GET", "/profile", &relogin, nil, profile("newer@example.com", true, login.Add(16*time.Minute)), "logout ends one session only"},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		tok := ""
		if s.token != nil {
			tok = *s.token
		}
		got := call(t, srv, s.method, s.path, tok, s.body)
		switch s.name {
		case "refresh":
			var sameRefresh string
			refreshed, sameRefresh = tokens(t, got)
			if sameRefresh != refresh || got.Body["expires_in"] != 900.0 {
				t.Errorf("refresh: got %+v, want the same refresh token and expires_in 900", got.Body)
			}
			continue
		case "login again":
			relogin, _ = tokens(t, got)
			continue
		}
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Errorf("%s: got %+v, want %+v (-want +got):\n%s\n%s", s.name, got, s.want, diff, s.reason)
		}
	}
}

func TestLogin(t *testing.T) {
	t.Parallel() // after the too-large body, net/http lingers 500 ms on close
	srv, _ := startServer(t)
	wrong := result{Status: 400, Body: errBody("invalid_grant", "Wrong user name or password")}
	bad := result{Status: 400, Body: errBody("invalid_request", "the body must be a JSON object with the documented fields")}
	tests := []struct {
		name string
		body any
		want result
	}{
		{"wrong password", map[string]string{"username": "demo", "password": "demo-passwort"}, wrong},
		{"unknown user", map[string]string{"username": "admin", "password": "demo-password"}, wrong},
		{"user name case", map[string]string{"username": "Demo", "password": "demo-password"}, wrong},
		{"empty", map[string]string{}, wrong},
		{"not JSON", "username=demo&password=demo-password", bad},
		{"too large", `{"username":"` + strings.Repeat("a", maxBody) + `"}`, bad},
	}
	for _, tt := range tests {
		got := call(t, srv, "POST", "/login", "", tt.body)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: got %+v, want %+v (-want +got):\n%s", tt.name, got, tt.want, diff)
		}
	}
	got := call(t, srv, "POST", "/login", "", map[string]string{"username": "demo", "password": "demo-password"})
	tokens(t, got)
	if got.Body["expires_in"] != 900.0 {
		t.Errorf("login: expires_in %v, want 900", got.Body["expires_in"])
	}
}

// TestRefused checks the answers without a usable token, with the exact
// RFC 6750 challenges.
func TestRefused(t *testing.T) {
	srv, _ := startServer(t)
	malformed := result{
		Status:    401,
		Challenge: `Bearer realm="example", error="invalid_token", error_description="The token is malformed"`,
		Body:      errBody("invalid_token", "The token is malformed"),
	}
	tests := []struct {
		name   string
		header string // Authorization; empty: none
		want   result
	}{
		{"no header", "", result{Status: 401, Challenge: `Bearer realm="example"`, Body: errBody("missing_token", "No token was sent")}},
		{"basic", "Basic ZGVtbzpkZW1vLXBhc3N3b3Jk", result{Status: 401, Challenge: `Bearer realm="example"`, Body: errBody("missing_token", "The Authorization header does not use the Bearer scheme")}},
		{"no token", "Bearer", malformed},
		{"two tokens", "Bearer a.b.c d.e.f", malformed},
		{"not a token", "Bearer not-a-token", malformed},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", srv.URL+"/profile", nil)
		if tt.header != "" {
			req.Header.Set("Authorization", tt.header)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got := result{Status: res.StatusCode, Challenge: res.Header.Get("WWW-Authenticate")}
		json.NewDecoder(res.Body).Decode(&got.Body)
		res.Body.Close()
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: got %+v, want %+v (-want +got):\n%s", tt.name, got, tt.want, diff)
		}
	}
	res, err := srv.Client().Get(srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /login: status %d, want 405", res.StatusCode)
	}
}

// TestJWKS checks that the published key is the one in the tokens' header.
func TestJWKS(t *testing.T) {
	srv, _ := startServer(t)
	access, _ := tokens(t, call(t, srv, "POST", "/login", "", map[string]string{"username": "demo", "password": "demo-password"}))
	var header struct{ Kid string }
	raw, err := jsonSegment(access)
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(raw, &header)

	got := call(t, srv, "GET", "/.well-known/jwks.json", "", nil)
	keys, _ := got.Body["keys"].([]any)
	if got.Status != 200 || len(keys) != 1 {
		t.Fatalf("JWKS: %+v, want one key", got)
	}
	if kid := keys[0].(map[string]any)["kid"]; kid != header.Kid || header.Kid == "" {
		t.Errorf("published kid %v, tokens carry %q", kid, header.Kid)
	}
}

func jsonSegment(tok string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
}
