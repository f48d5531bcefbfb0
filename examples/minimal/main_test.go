package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/internal/testclock"
)

// The README shows this program in full; a reader copies it from there, so
// the README's text must be this file's, byte for byte.
func TestREADMEShowsTheProgram(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	program, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	block := "```go\n" + string(program) + "```\n"
	if !bytes.Contains(readme, []byte(block)) {
		t.Errorf("README.md does not show examples/minimal/main.go as it is; copy the file into the README's \"A whole program\" section")
	}
}

// The key main loads is created on first start and the same key comes back
// on the next, so tokens survive a restart.
func TestKeyFileSurvivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "freshtoken-key.pem")
	first, err := freshtoken.LoadOrCreateKey(path, "EdDSA")
	if err != nil {
		t.Fatal(err)
	}
	m1, err := freshtoken.New(freshtoken.Config{Key: first})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := m1.Issue(context.Background(), "ann")
	if err != nil {
		t.Fatal(err)
	}
	again, err := freshtoken.LoadOrCreateKey(path, "EdDSA")
	if err != nil {
		t.Fatal(err)
	}
	m2, err := freshtoken.New(freshtoken.Config{Key: again})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m2.RequireAccess(context.Background(), pair.Access); err != nil {
		t.Errorf("a token from before the restart: %v", err)
	}
}

// client talks to the program's routes as curl would.
type client struct {
	t   *testing.T
	srv *httptest.Server
}

type reply struct {
	status    int
	challenge string
	body      string
	tokens    struct {
		Access    string `json:"access_token"`
		Type      string `json:"token_type"`
		ExpiresIn int    `json:"expires_in"`
		Refresh   string `json:"refresh_token"`
	}
}

func (c client) do(method, path, token string, form url.Values) reply {
	c.t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	r := reply{status: resp.StatusCode, challenge: resp.Header.Get("WWW-Authenticate"), body: string(b)}
	if resp.Header.Get("Content-Type") == "application/json" && strings.Contains(r.body, "access_token") {
		if err := json.Unmarshal(b, &r.tokens); err != nil {
			c.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return r
}

func (c client) login(user, password string) reply {
	return c.do("POST", "/login", "", url.Values{"user": {user}, "password": {password}})
}

// The walk a README reader takes: log in, call the protected and the
// fresh-only routes, refresh, be refused the fresh-only route, log in again,
// log out, and find the session's tokens dead and another session alive.
func TestFlow(t *testing.T) {
	clk := testclock.New(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	key, err := freshtoken.GenerateKey("EdDSA")
	if err != nil {
		t.Fatal(err)
	}
	m, err := freshtoken.New(freshtoken.Config{Key: key, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(routes(m))
	defer srv.Close()
	c := client{t, srv}

	if r := c.login("ann", "wrong"); r.status != http.StatusUnauthorized {
		t.Errorf("login with a wrong password: %d, want 401", r.status)
	}
	login := c.login("ann", "demo-password")
	if login.status != http.StatusOK || login.tokens.Type != "Bearer" || login.tokens.ExpiresIn != 900 || login.tokens.Refresh == "" {
		t.Fatalf("login: %d %s", login.status, login.body)
	}
	check := func(what string, r reply, status int, body string) {
		t.Helper()
		if r.status != status || !strings.Contains(r.body, body) {
			t.Errorf("%s: %d %q, want %d and %q", what, r.status, r.body, status, body)
		}
	}
	check("GET /me", c.do("GET", "/me", login.tokens.Access, nil), 200, "hello ann")
	check("GET /me without a token", c.do("GET", "/me", "", nil), 401, "missing_token")
	check("POST /password, fresh", c.do("POST", "/password", login.tokens.Access, nil), 200, "password changed")

	clk.Advance(20 * time.Minute) // the access token has expired
	check("GET /me, expired", c.do("GET", "/me", login.tokens.Access, nil), 401, "invalid_token")
	refreshed := c.do("POST", "/refresh", login.tokens.Refresh, nil)
	check("POST /refresh", refreshed, 200, "access_token")
	check("GET /me, refreshed", c.do("GET", "/me", refreshed.tokens.Access, nil), 200, "hello ann")
	notFresh := c.do("POST", "/password", refreshed.tokens.Access, nil)
	check("POST /password, refreshed", notFresh, 401, "insufficient_user_authentication")
	if !strings.Contains(notFresh.challenge, `error="insufficient_user_authentication"`) {
		t.Errorf("POST /password, refreshed: challenge %q, want RFC 9470's", notFresh.challenge)
	}
	check("POST /refresh with an access token", c.do("POST", "/refresh", refreshed.tokens.Access, nil), 401, "invalid_token")

	again := c.login("ann", "demo-password")
	check("POST /password after logging in again", c.do("POST", "/password", again.tokens.Access, nil), 200, "password changed")

	check("POST /logout", c.do("POST", "/logout", refreshed.tokens.Access, nil), 204, "")
	check("GET /me after logout", c.do("GET", "/me", refreshed.tokens.Access, nil), 401, "invalid_token")
	check("POST /refresh after logout", c.do("POST", "/refresh", login.tokens.Refresh, nil), 401, "invalid_token")
	check("the other session", c.do("GET", "/me", again.tokens.Access, nil), 200, "hello ann")
}
