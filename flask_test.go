package freshtoken_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/google/go-cmp/cmp"
)

// These tests run freshtoken's Flask profile against the real
// Flask-JWT-Extended (testdata/flaskapp/app.py): Flask's tokens through
// freshtoken's guards and freshtoken's tokens through Flask's endpoints.
// Flask reads the real clock, so the Go side does too here; tokens that must
// be expired or past their freshness window are issued that way (a negative
// expires_delta in Flask, a clock set in the past in Go), never waited for.

// flaskPython is the interpreter Debian installs python3-flask and
// python3-python-flask-jwt-extended for; another python3 may come first on PATH.
const flaskPython = "/usr/bin/python3"

// requireFlaskEnv, when set, turns a missing Flask into a failure (CI sets it).
const requireFlaskEnv = "FRESHTOKEN_REQUIRE_FLASK"

// flaskService is a running testdata/flaskapp.
type flaskService struct {
	base   string
	client *http.Client
}

// firstLine is an io.Writer that hands its first line to a channel and
// keeps at most 64 KiB of what follows, for failure messages.
type firstLine struct {
	mu   sync.Mutex
	buf  []byte
	sent bool
	line chan string
}

func (w *firstLine) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) < 64<<10 {
		w.buf = append(w.buf, p[:min(len(p), 64<<10-len(w.buf))]...)
	}
	if !w.sent {
		if i := bytes.IndexByte(w.buf, '\n'); i >= 0 {
			w.sent = true
			w.line <- string(w.buf[:i])
		}
	}
	return len(p), nil
}

func (w *firstLine) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}

// requireFlask skips the test when Flask-JWT-Extended is missing, unless
// FRESHTOKEN_REQUIRE_FLASK is set, which makes that a failure.
func requireFlask(t *testing.T) {
	t.Helper()
	probe := exec.Command(flaskPython, "-c", "import flask, flask_jwt_extended")
	probe.Env = pythonEnv(nil)
	if out, err := probe.CombinedOutput(); err != nil {
		if os.Getenv(requireFlaskEnv) == "" {
			t.Skipf("%s cannot import flask_jwt_extended (%v: %s); install python3-flask and python3-python-flask-jwt-extended, or set %s to fail instead", flaskPython, err, bytes.TrimSpace(out), requireFlaskEnv)
		}
		t.Fatalf("%s is set, but %s cannot import flask_jwt_extended: %v: %s", requireFlaskEnv, flaskPython, err, out)
	}
}

// startFlask starts the app on a free loopback port, waits until it answers
// and stops it when the test ends.
func startFlask(t *testing.T, env []string) *flaskService {
	t.Helper()

	cmd := exec.Command(flaskPython, "testdata/flaskapp/app.py", "0") // 0: the app picks a free port and prints it
	cmd.Env = pythonEnv(env)
	stdout := &firstLine{line: make(chan string, 1)}
	stderr := &firstLine{line: make(chan string, 1)}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the Flask app: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	var port int
	select {
	case line := <-stdout.line:
		p, err := strconv.Atoi(strings.TrimPrefix(line, "port "))
		if err != nil || p <= 0 {
			t.Fatalf("the Flask app printed %q, want \"port N\"", line)
		}
		port = p
	case err := <-exited:
		t.Fatalf("the Flask app exited (%v):\n%s", err, stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("the Flask app printed no port within 30s:\n%s", stderr)
	}

	s := &flaskService{
		base:   "http://127.0.0.1:" + strconv.Itoa(port),
		client: &http.Client{Timeout: 10 * time.Second},
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := s.client.Get(s.base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Flask app does not answer on port %d (last error %v):\n%s", port, err, stderr)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// pythonEnv is the environment for the Debian interpreter: this process's
// own, without the variables that would point it at another Python's modules.
func pythonEnv(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PYTHONPATH=") && !strings.HasPrefix(kv, "PYTHONHOME=") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// flaskApp is one of the app's configurations and freshtoken's equivalent.
type flaskApp struct {
	prefix string // the Flask app's path
	cfg    freshtoken.Config
	cookie bool // tokens travel in cookies with CSRF double submit: Issue WithCSRF
}

// flaskReply is what the guarded endpoints answer.
type flaskReply struct {
	Msg      string                     `json:"msg"`
	Identity any                        `json:"identity"`
	Claims   map[string]json.RawMessage `json:"claims"`
	Header   map[string]json.RawMessage `json:"header"`
}

// post sends a JSON body (or a token as a bearer) and decodes the JSON answer.
func (s *flaskService) post(t *testing.T, path string, body any, bearer string, out any) int {
	t.Helper()
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(http.MethodPost, s.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return s.do(t, req, out)
}

func (s *flaskService) do(t *testing.T, req *http.Request, out any) int {
	t.Helper()
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s %s: HTTP %d, not JSON: %q", req.Method, req.URL.Path, resp.StatusCode, b)
	}
	return resp.StatusCode
}

type flaskTokens struct {
	Access  string `json:"access_token"`
	Refresh string `json:"refresh_token"`
	Msg     string `json:"msg"`
}

// login is Flask's login: a fresh pair. Options: expires_in, refresh_expires_in (seconds).
func (s *flaskService) login(t *testing.T, app *flaskApp, identity any, opts map[string]any) flaskTokens {
	t.Helper()
	return s.issue(t, app.prefix+"/login", identity, opts)
}

// loginWindow is Flask's login with fresh=timedelta(seconds=freshFor).
func (s *flaskService) loginWindow(t *testing.T, app *flaskApp, identity any, freshFor int) string {
	t.Helper()
	return s.issue(t, app.prefix+"/login/window", identity, map[string]any{"fresh_for": freshFor}).Access
}

func (s *flaskService) issue(t *testing.T, path string, identity any, opts map[string]any) flaskTokens {
	t.Helper()
	body := map[string]any{"identity": identity}
	for k, v := range opts {
		body[k] = v
	}
	var out flaskTokens
	if code := s.post(t, path, body, "", &out); code != http.StatusOK {
		t.Fatalf("POST %s: HTTP %d %q", path, code, out.Msg)
	}
	return out
}

// refresh is Flask's refresh endpoint: a non-fresh access token.
func (s *flaskService) refresh(t *testing.T, app *flaskApp, refreshToken string) string {
	t.Helper()
	var out flaskTokens
	if code := s.post(t, app.prefix+"/refresh", nil, refreshToken, &out); code != http.StatusOK {
		t.Fatalf("POST %s/refresh: HTTP %d %q", app.prefix, code, out.Msg)
	}
	return out.Access
}

// check presents tok to one of the app's guarded endpoints, as a bearer
// token or, for a cookie app, as a cookie with the CSRF header Flask wants.
func (s *flaskService) check(t *testing.T, app *flaskApp, endpoint, tok, csrf string) (verdict, *flaskReply) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.base+app.prefix+endpoint, http.NoBody)
	if err != nil {
		t.Fatal(err)
	}
	if app.cookie {
		name := "access_token_cookie"
		if endpoint == "/refresh-only" {
			name = "refresh_token_cookie"
		}
		req.AddCookie(&http.Cookie{Name: name, Value: tok})
		req.Header.Set("X-CSRF-TOKEN", csrf)
	} else {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	var reply flaskReply
	code := s.do(t, req, &reply)
	return flaskVerdict(code, reply.Msg), &reply
}

// verdict is how a side treats a token, in terms both sides share.
type verdict string

const (
	accepted  verdict = "accepted"
	expired   verdict = "expired"
	notFresh  verdict = "not fresh"
	wrongType verdict = "wrong type"
	invalid   verdict = "invalid"
)

// flaskVerdict reads Flask-JWT-Extended's default answers.
func flaskVerdict(code int, msg string) verdict {
	switch {
	case code == http.StatusOK:
		return accepted
	case code == http.StatusUnauthorized && msg == "Token has expired":
		return expired
	case code == http.StatusUnauthorized && msg == "Fresh token required":
		return notFresh
	case code == http.StatusUnprocessableEntity && (msg == "Only non-refresh tokens are allowed" || msg == "Only refresh tokens are allowed"):
		return wrongType
	case code == http.StatusUnprocessableEntity:
		return invalid
	}
	return verdict(fmt.Sprintf("HTTP %d %q", code, msg))
}

func goVerdict(err error) verdict {
	switch {
	case err == nil:
		return accepted
	case errors.Is(err, freshtoken.ErrExpired):
		return expired
	case errors.Is(err, freshtoken.ErrNotFresh):
		return notFresh
	case errors.Is(err, freshtoken.ErrWrongType):
		return wrongType
	case errors.Is(err, freshtoken.ErrSignature), errors.Is(err, freshtoken.ErrInvalidClaims),
		errors.Is(err, freshtoken.ErrMalformed), errors.Is(err, freshtoken.ErrUnknownKey):
		return invalid
	}
	return verdict(err.Error())
}

// endpointGuards pairs each of Flask's guarded endpoints with freshtoken's guard.
var endpointGuards = []struct {
	path  string
	guard guard
}{
	{"/protected", access},     // jwt_required()
	{"/fresh", fresh},          // jwt_required(fresh=True)
	{"/refresh-only", refresh}, // jwt_required(refresh=True)
}

// manager is freshtoken's side of app, its clock shifted by shift from the
// real one, with Config.FreshFor set to freshFor.
func (app *flaskApp) manager(t *testing.T, shift, freshFor time.Duration) *freshtoken.Manager {
	t.Helper()
	cfg := app.cfg
	opts := *cfg.Flask
	cfg.Flask = &opts
	cfg.FreshFor = freshFor
	cfg.Now = func() time.Time { return time.Now().Add(shift) }
	m, _ := newTestManager(t, cfg)
	return m
}

// issue is freshtoken's login on app's side.
func (app *flaskApp) issue(t *testing.T, shift, freshFor time.Duration) *freshtoken.Pair {
	t.Helper()
	var opts []freshtoken.IssueOption
	if app.cookie {
		opts = append(opts, freshtoken.WithCSRF())
	}
	p, err := app.manager(t, shift, freshFor).Issue(context.Background(), "alice", opts...)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return p
}

// goRefresh is freshtoken's refresh on app's side.
func (app *flaskApp) goRefresh(t *testing.T, refreshToken string) string {
	t.Helper()
	p, err := app.manager(t, 0, 0).Refresh(context.Background(), refreshToken)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	return p.Access
}

// unverifiedClaim reads one string claim without verifying the token: the
// client side of cookie CSRF, which copies the value into a header.
func unverifiedClaim(t *testing.T, tok, name string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	p, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(p, &claims); err != nil {
		t.Fatal(err)
	}
	s, _ := claims[name].(string)
	return s
}

// jsonKinds describes a JSON object by the kind of each member's value.
func jsonKinds(obj map[string]json.RawMessage) map[string]string {
	kinds := make(map[string]string, len(obj))
	for name, v := range obj {
		switch c := bytes.TrimSpace(v)[0]; {
		case c == '"':
			kinds[name] = "string"
		case c == 't' || c == 'f':
			kinds[name] = "boolean"
		case c == 'n':
			kinds[name] = "null"
		case c == '[':
			kinds[name] = "array"
		case c == '{':
			kinds[name] = "object"
		default:
			kinds[name] = "number"
		}
	}
	return kinds
}

func pemBlock(t *testing.T, typ string, der []byte, err error) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func randomSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func TestFlaskInterop(t *testing.T) {
	requireFlask(t)
	secret, otherSecret := randomSecret(t), randomSecret(t)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecPriv, err1 := x509.MarshalPKCS8PrivateKey(ec)
	ecPub, err2 := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	rsPriv, err3 := x509.MarshalPKCS8PrivateKey(rk)
	rsPub, err4 := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	svc := startFlask(t, []string{
		"FRESHTOKEN_TEST_SECRET=" + secret,
		"FRESHTOKEN_TEST_OTHER_SECRET=" + otherSecret,
		"FRESHTOKEN_TEST_EC_PRIVATE=" + pemBlock(t, "PRIVATE KEY", ecPriv, err1),
		"FRESHTOKEN_TEST_EC_PUBLIC=" + pemBlock(t, "PUBLIC KEY", ecPub, err2),
		"FRESHTOKEN_TEST_RSA_PRIVATE=" + pemBlock(t, "PRIVATE KEY", rsPriv, err3),
		"FRESHTOKEN_TEST_RSA_PUBLIC=" + pemBlock(t, "PUBLIC KEY", rsPub, err4),
	})

	flaskCfg := func(key any, edit func(*freshtoken.Config)) freshtoken.Config {
		cfg := freshtoken.Config{Key: key, Flask: &freshtoken.FlaskOptions{}}
		if edit != nil {
			edit(&cfg)
		}
		return cfg
	}
	var (
		hs    = &flaskApp{prefix: "/hs", cfg: flaskCfg([]byte(secret), nil)}
		other = &flaskApp{prefix: "/other", cfg: flaskCfg([]byte(otherSecret), nil)}
		id    = &flaskApp{prefix: "/id", cfg: flaskCfg([]byte(secret), func(c *freshtoken.Config) { c.Flask.IdentityClaim = "identity" })}
		iss   = &flaskApp{prefix: "/iss", cfg: flaskCfg([]byte(secret), func(c *freshtoken.Config) { c.Issuer, c.Audience = "auth", []string{"api"} })}
		ck    = &flaskApp{prefix: "/cookie", cfg: flaskCfg([]byte(secret), nil), cookie: true}
		rs    = &flaskApp{prefix: "/rs", cfg: flaskCfg(rk, nil)}
		es    = &flaskApp{prefix: "/es", cfg: flaskCfg(ec, nil)}
	)
	const (
		month = 31 * 24 * time.Hour
	)
	type want map[string]verdict // endpoint: verdict
	var (
		asFreshAccess = want{"/protected": accepted, "/fresh": accepted, "/refresh-only": wrongType}
		asStaleAccess = want{"/protected": accepted, "/fresh": notFresh, "/refresh-only": wrongType}
		asRefresh     = want{"/protected": wrongType, "/fresh": wrongType, "/refresh-only": accepted}
		asExpired     = want{"/protected": expired, "/fresh": expired, "/refresh-only": expired}
		asInvalid     = want{"/protected": invalid, "/fresh": invalid, "/refresh-only": invalid}
		flaskLogin    = func(app *flaskApp) func(*testing.T) string {
			return func(t *testing.T) string { return svc.login(t, app, "alice", nil).Access }
		}
		goLogin = func(app *flaskApp) func(*testing.T) string {
			return func(t *testing.T) string { return app.issue(t, 0, 0).Access }
		}
		flaskRefreshTok = func(app *flaskApp) func(*testing.T) string {
			return func(t *testing.T) string { return svc.login(t, app, "alice", nil).Refresh }
		}
		goRefreshTok = func(app *flaskApp) func(*testing.T) string {
			return func(t *testing.T) string { return app.issue(t, 0, 0).Refresh }
		}
	)
	tests := []struct {
		name   string
		reason string
		at     *flaskApp                 // the side that checks both tokens
		flask  func(t *testing.T) string // the token as Flask-JWT-Extended makes it
		gotok  func(t *testing.T) string // the same token as freshtoken makes it
		want   want
	}{
		{
			name: "fresh login", reason: "create_access_token(fresh=True) and Issue",
			at: hs, flask: flaskLogin(hs), gotok: goLogin(hs), want: asFreshAccess,
		},
		{
			name: "refreshed", reason: "the refresh endpoint and Refresh make non-fresh access tokens",
			at:    hs,
			flask: func(t *testing.T) string { return svc.refresh(t, hs, svc.login(t, hs, "alice", nil).Refresh) },
			gotok: func(t *testing.T) string { return hs.goRefresh(t, hs.issue(t, 0, 0).Refresh) },
			want:  asStaleAccess,
		},
		{
			name: "refreshed by the other side", reason: "each side refreshes the other's refresh token",
			at:    hs,
			flask: func(t *testing.T) string { return svc.refresh(t, hs, hs.issue(t, 0, 0).Refresh) },
			gotok: func(t *testing.T) string { return hs.goRefresh(t, svc.login(t, hs, "alice", nil).Refresh) },
			want:  asStaleAccess,
		},
		{
			name: "refresh token", reason: "refresh tokens pass only jwt_required(refresh=True)",
			at: hs, flask: flaskRefreshTok(hs), gotok: goRefreshTok(hs), want: asRefresh,
		},
		{
			name: "expired access token", reason: "expires_delta in the past; freshtoken's clock 20 minutes back",
			at:    hs,
			flask: func(t *testing.T) string { return svc.login(t, hs, "alice", map[string]any{"expires_in": -60}).Access },
			gotok: func(t *testing.T) string { return hs.issue(t, -20*time.Minute, 0).Access },
			want:  asExpired,
		},
		{
			name: "expired refresh token", reason: "expired wins over the wrong type, as in Flask",
			at: hs,
			flask: func(t *testing.T) string {
				return svc.login(t, hs, "alice", map[string]any{"refresh_expires_in": -60}).Refresh
			},
			gotok: func(t *testing.T) string { return hs.issue(t, -month, 0).Refresh },
			want:  asExpired,
		},
		{
			name: "inside a freshness window", reason: "fresh=timedelta(minutes=5) and FreshFor: 5 minutes",
			at:    hs,
			flask: func(t *testing.T) string { return svc.loginWindow(t, hs, "alice", 300) },
			gotok: func(t *testing.T) string { return hs.issue(t, 0, 5*time.Minute).Access },
			want:  asFreshAccess,
		},
		{
			name: "past a freshness window", reason: "the window ended a minute ago (Flask) or five (freshtoken)",
			at:    hs,
			flask: func(t *testing.T) string { return svc.loginWindow(t, hs, "alice", -60) },
			gotok: func(t *testing.T) string { return hs.issue(t, -10*time.Minute, 5*time.Minute).Access },
			want:  asStaleAccess,
		},
		{
			name: "signed with another secret", reason: "the signature must verify",
			at: hs, flask: flaskLogin(other), gotok: goLogin(other), want: asInvalid,
		},
		{
			name: "custom identity claim", reason: `JWT_IDENTITY_CLAIM="identity"`,
			at: id, flask: flaskLogin(id), gotok: goLogin(id), want: asFreshAccess,
		},
		{
			name: "sub where identity is expected", reason: `Flask: "Missing claim: identity"`,
			at: id, flask: flaskLogin(hs), gotok: goLogin(hs), want: asInvalid,
		},
		{
			name: "identity where sub is expected", reason: `Flask: "Missing claim: sub"`,
			at: hs, flask: flaskLogin(id), gotok: goLogin(id), want: asInvalid,
		},
		{
			name: "issuer and audience", reason: "JWT_ENCODE_ISSUER/AUDIENCE and JWT_DECODE_ISSUER/AUDIENCE",
			at: iss, flask: flaskLogin(iss), gotok: goLogin(iss), want: asFreshAccess,
		},
		{
			name: "no issuer where one is required", reason: "JWT_DECODE_ISSUER and Config.Issuer",
			at: iss, flask: flaskLogin(hs), gotok: goLogin(hs), want: asInvalid,
		},
		{
			name: "issuer and audience nobody checks", reason: "neither side checks what it is not configured for",
			at: hs, flask: flaskLogin(iss), gotok: goLogin(iss), want: asFreshAccess,
		},
		{
			name: "cookies with CSRF", reason: "JWT_TOKEN_LOCATION=cookies writes csrf; Issue WithCSRF",
			at: ck, flask: flaskLogin(ck), gotok: goLogin(ck), want: asFreshAccess,
		},
		{
			name: "refresh cookie with CSRF", reason: "the refresh token carries its own csrf",
			at: ck, flask: flaskRefreshTok(ck), gotok: goRefreshTok(ck), want: asRefresh,
		},
		{
			name: "RS256 login", reason: "JWT_ALGORITHM=RS256 with JWT_PRIVATE_KEY/JWT_PUBLIC_KEY",
			at: rs, flask: flaskLogin(rs), gotok: goLogin(rs), want: asFreshAccess,
		},
		{
			name: "RS256 refresh token", reason: "RS256 refresh tokens",
			at: rs, flask: flaskRefreshTok(rs), gotok: goRefreshTok(rs), want: asRefresh,
		},
		{
			name: "ES256 login", reason: "JWT_ALGORITHM=ES256",
			at: es, flask: flaskLogin(es), gotok: goLogin(es), want: asFreshAccess,
		},
		{
			name: "ES256 refreshed", reason: "ES256 refresh by the other side",
			at:    es,
			flask: func(t *testing.T) string { return svc.refresh(t, es, es.issue(t, 0, 0).Refresh) },
			gotok: func(t *testing.T) string { return es.goRefresh(t, svc.login(t, es, "alice", nil).Refresh) },
			want:  asStaleAccess,
		},
		{
			name: "ES256 token where HS256 is configured", reason: "the configuration fixes the algorithm",
			at: hs, flask: flaskLogin(es), gotok: goLogin(es), want: asInvalid,
		},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tokens := map[string]string{"Flask": tt.flask(t), "freshtoken": tt.gotok(t)}
			m := tt.at.manager(t, 0, 0)
			replies := map[string]*flaskReply{}
			for _, eg := range endpointGuards {
				want := tt.want[eg.path]
				for _, maker := range []string{"Flask", "freshtoken"} {
					tok := tokens[maker]
					got, reply := svc.check(t, tt.at, eg.path, tok, unverifiedClaim(t, tok, "csrf"))
					if got != want {
						t.Errorf("%s's token at Flask's %s%s: %s, want %s (%s)", maker, tt.at.prefix, eg.path, got, want, tt.reason)
					}
					c, err := eg.guard.run(ctx, m, tok)
					if got := goVerdict(err); got != want {
						t.Errorf("%s's token through %v: %s (%v), want %s (%s)", maker, eg.guard, got, err, want, tt.reason)
					}
					if err == nil && c.Subject != "alice" {
						t.Errorf("%s's token through %v: subject %q, want alice", maker, eg.guard, c.Subject)
					}
					if got == accepted && want == accepted {
						replies[maker] = reply
					}
				}
				// Where Flask accepts both, it must see the same kind of
				// token: the same header, the same claims of the same JSON
				// kinds, the same identity.
				if f, g := replies["Flask"], replies["freshtoken"]; f != nil && g != nil {
					if diff := cmp.Diff(f.Header, g.Header); diff != "" {
						t.Errorf("%s: header %s, Flask's own %s (-Flask +freshtoken):\n%s", eg.path, g.Header, f.Header, diff)
					}
					// freshtoken adds its session link, "sid", which
					// Flask-JWT-Extended reads and ignores.
					gk := jsonKinds(g.Claims)
					if gk["sid"] != "string" {
						t.Errorf("%s: freshtoken's token has sid of kind %q, want a string", eg.path, gk["sid"])
					}
					delete(gk, "sid")
					if diff := cmp.Diff(jsonKinds(f.Claims), gk); diff != "" {
						t.Errorf("%s: claims %v, Flask's own %v (-Flask +freshtoken):\n%s", eg.path, jsonKinds(g.Claims), jsonKinds(f.Claims), diff)
					}
					if f.Identity != "alice" || g.Identity != "alice" {
						t.Errorf("%s: identities %v (Flask's token), %v (freshtoken's), want alice", eg.path, f.Identity, g.Identity)
					}
				}
				clear(replies)
			}
		})
	}

	t.Run("cookie CSRF value", func(t *testing.T) {
		// Flask compares the X-CSRF-TOKEN header with the token's csrf
		// claim: freshtoken's WithCSRF value is the one it checks.
		tok := ck.issue(t, 0, 0).Access
		c, err := ck.manager(t, 0, 0).RequireAccess(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := svc.check(t, ck, "/protected", tok, c.CSRF); got != accepted {
			t.Errorf("with Claims.CSRF in the header: %s, want accepted", got)
		}
		var reply flaskReply
		req, _ := http.NewRequest(http.MethodPost, svc.base+ck.prefix+"/protected", http.NoBody)
		req.AddCookie(&http.Cookie{Name: "access_token_cookie", Value: tok})
		req.Header.Set("X-CSRF-TOKEN", "not-"+c.CSRF)
		if code := svc.do(t, req, &reply); code != http.StatusUnauthorized || reply.Msg != "CSRF double submit tokens do not match" {
			t.Errorf("with another value in the header: HTTP %d %q, want 401 CSRF mismatch", code, reply.Msg)
		}
		plain := hs.issue(t, 0, 0).Access // no WithCSRF
		if got, reply := svc.check(t, ck, "/protected", plain, "x"); got != invalid || reply.Msg != "Missing claim: csrf" {
			t.Errorf("a token issued without WithCSRF at a cookie app: %s %q, want invalid: Missing claim: csrf", got, reply.Msg)
		}
	})

	t.Run("integer identity", func(t *testing.T) {
		// Flask-JWT-Extended 4.4 writes and accepts "sub": 42; freshtoken
		// reads identities as strings only, as Flask-JWT-Extended 4.7 with
		// PyJWT 2.10 does, and says so in FlaskOptions.
		tok := svc.login(t, hs, 42, nil).Access
		if got, _ := svc.check(t, hs, "/fresh", tok, ""); got != accepted {
			t.Fatalf("Flask on its own integer-identity token: %s, want accepted", got)
		}
		if _, err := hs.manager(t, 0, 0).RequireFresh(ctx, tok); !errors.Is(err, freshtoken.ErrInvalidClaims) {
			t.Errorf("freshtoken on an integer identity: %v, want ErrInvalidClaims", err)
		}
	})
}
