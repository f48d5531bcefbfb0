package freshtoken

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// webKey returns a fixed Ed25519 key; seed selects which.
func webKey(seed byte) ed25519.PrivateKey {
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	return ed25519.NewKeyFromSeed(s)
}

func newWebManager(t testing.TB, cfg Config) *Manager {
	t.Helper()
	if cfg.Key == nil {
		cfg.Key = webKey(1)
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func newWebMiddleware(t testing.TB, m *Manager, cfg MiddlewareConfig) *Middleware {
	t.Helper()
	mw, err := NewMiddleware(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return mw
}

func issue(t testing.TB, m *Manager, subject string, opts ...IssueOption) *Pair {
	t.Helper()
	p, err := m.Issue(context.Background(), subject, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// answer is what a test checks of an HTTP response.
type answer struct {
	Status    int
	Challenge string // WWW-Authenticate
	Body      string
}

// errorBody is the JSON body of a refused request, as Body.
func errorBody(code, desc string) string {
	b, _ := json.Marshal(ErrorResponse{Code: code, Description: desc})
	return string(b) + "\n"
}

// send makes one request and reads the answer.
func send(t *testing.T, c *http.Client, method, url string, header http.Header) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, values := range header {
		req.Header[name] = values
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{Status: res.StatusCode, Challenge: res.Header.Get("WWW-Authenticate"), Body: string(body)}
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

// whoami answers with the claims the middleware put in the context.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c := ClaimsFromContext(r.Context())
	fmt.Fprintf(w, "%s %s fresh=%t", c.Type, c.Subject, c.Fresh)
})

// newGuardedServer serves each guard of mw on its own path; /refresh swaps
// the refresh token for a new access token.
func newGuardedServer(t *testing.T, m *Manager, mw *Middleware) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/access", mw.RequireAccess(whoami))
	mux.Handle("/fresh", mw.RequireFresh(whoami))
	mux.Handle("/within", mw.RequireLoginWithin(5*time.Minute)(whoami))
	mux.Handle("/refresh", mw.RequireRefresh(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := m.Refresh(r.Context(), TokenFromContext(r.Context()))
		if err != nil {
			mw.WriteError(w, r, err)
			return
		}
		io.WriteString(w, p.Access)
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestMiddlewareFlow walks a session through every guard over real HTTP:
// login, the freshness window, expiry, refresh, the refused sensitive call
// and the new login, checking each answer's status, challenge and body.
func TestMiddlewareFlow(t *testing.T) {
	clk := newFakeClock()
	m := newWebManager(t, Config{Now: clk.Now, FreshFor: 10 * time.Minute})
	mw := newWebMiddleware(t, m, MiddlewareConfig{Realm: "api"})
	srv := newGuardedServer(t, m, mw)
	c := srv.Client()

	login := issue(t, m, "user-1")
	var refreshed string
	ok := func(body string) answer { return answer{Status: 200, Body: body} }
	invalid := func(desc string) answer {
		return answer{
			Status:    401,
			Challenge: `Bearer realm="api", error="invalid_token", error_description="` + desc + `"`,
			Body:      errorBody("invalid_token", desc),
		}
	}
	stepUp := func(desc, maxAge string) answer {
		ch := `Bearer realm="api", error="insufficient_user_authentication", error_description="` + desc + `"`
		if maxAge != "" {
			ch += `, max_age="` + maxAge + `"`
		}
		return answer{Status: 401, Challenge: ch, Body: errorBody("insufficient_user_authentication", desc)}
	}
	steps := []struct {
		name    string
		advance time.Duration
		method  string
		path    string
		token   func() string
		want    answer
		reason  string
	}{
		{"access after login", 0, "GET", "/access", func() string { return login.Access }, ok("access user-1 fresh=true"), "a login token is an access token"},
		{"fresh after login", 0, "POST", "/fresh", func() string { return login.Access }, ok("access user-1 fresh=true"), "a login token is fresh"},
		{"within after login", 0, "POST", "/within", func() string { return login.Access }, ok("access user-1 fresh=true"), "the login was just now"},
		{"refresh token as access", 0, "GET", "/access", func() string { return login.Refresh }, invalid("The token is of the wrong type"), "a refresh token never passes as an access token"},
		{"access token as refresh", 0, "POST", "/refresh", func() string { return login.Access }, invalid("The token is of the wrong type"), "an access token never buys a new one"},
		{"within too old", 6 * time.Minute, "POST", "/within", func() string { return login.Access }, stepUp("More recent authentication is required", "300"), "RFC 9470: the login is 6 minutes old, 5 allowed"},
		{"fresh inside FreshFor", 0, "POST", "/fresh", func() string { return login.Access }, ok("access user-1 fresh=true"), "FreshFor is 10 minutes"},
		{"fresh past FreshFor", 5 * time.Minute, "POST", "/fresh", func() string { return login.Access }, stepUp("More recent authentication is required", "600"), "max_age is FreshFor in seconds"},
		{"expired", 5 * time.Minute, "GET", "/access", func() string { return login.Access }, invalid("The token expired"), "16 minutes after login, AccessTTL 15"},
		{"refresh", 0, "POST", "/refresh", func() string { return login.Refresh }, answer{Status: 200}, "the refresh token lives 30 days"},
		{"access after refresh", 0, "GET", "/access", func() string { return refreshed }, ok("access user-1 fresh=false"), "a refreshed token works for ordinary calls"},
		{"fresh after refresh", 0, "POST", "/fresh", func() string { return refreshed }, stepUp("A fresh login is required", ""), "a refreshed token is never fresh; no max_age can help"},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		got := send(t, c, s.method, srv.URL+s.path, bearer(s.token()))
		if s.name == "refresh" {
			refreshed, got.Body = got.Body, ""
		}
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Errorf("%s: got %+v, want %+v (-want +got):\n%s\n%s", s.name, got, s.want, diff, s.reason)
		}
	}

	again := issue(t, m, "user-1")
	if got := send(t, c, "POST", srv.URL+"/fresh", bearer(again.Access)); got.Status != 200 {
		t.Errorf("after logging in again: got %+v, want status 200", got)
	}
}

// TestMiddlewareAuthorizationHeader sends missing, foreign and mangled
// Authorization headers over real HTTP and checks the exact RFC 6750 answers.
func TestMiddlewareAuthorizationHeader(t *testing.T) {
	m := newWebManager(t, Config{})
	srv := newGuardedServer(t, m, newWebMiddleware(t, m, MiddlewareConfig{Realm: "api"}))
	tok := issue(t, m, "user-1").Access

	none := answer{Status: 401, Challenge: `Bearer realm="api"`, Body: errorBody("missing_token", "No token was sent")}
	malformed := answer{
		Status:    401,
		Challenge: `Bearer realm="api", error="invalid_token", error_description="The token is malformed"`,
		Body:      errorBody("invalid_token", "The token is malformed"),
	}
	ok := answer{Status: 200, Body: "access user-1 fresh=true"}
	tests := []struct {
		name   string
		header []string // Authorization values; nil: none
		want   answer
		reason string
	}{
		{"missing", nil, none, "RFC 6750 §3.1: no token, no error code"},
		{"basic scheme", []string{"Basic dXNlcjpwYXNz"}, none, "another scheme is no bearer token"},
		{"bearer", []string{"Bearer " + tok}, ok, ""},
		{"lower-case scheme", []string{"bearer " + tok}, ok, "the scheme is case-insensitive"},
		{"upper-case scheme", []string{"BEARER " + tok}, ok, "the scheme is case-insensitive"},
		{"several spaces", []string{"Bearer   " + tok}, ok, "RFC 6750: 1*SP"},
		{"empty", []string{""}, malformed, "a header without credentials"},
		{"scheme only", []string{"Bearer"}, malformed, "no token after the scheme"},
		{"scheme and space", []string{"Bearer "}, malformed, "the trailing space is trimmed: no token"},
		{"two tokens", []string{"Bearer " + tok + " " + tok}, malformed, "exactly one token"},
		{"tab separator", []string{"Bearer\t" + tok}, malformed, "only spaces separate scheme and token"},
		{"comma", []string{"Bearer " + tok + ",x"}, malformed, "a comma is not in b64token"},
		{"two headers", []string{"Bearer " + tok, "Bearer " + tok}, malformed, "which one would count?"},
		{"garbage token", []string{"Bearer abc"}, malformed, "passes the header rules, fails the token's"},
	}
	for _, tt := range tests {
		var h http.Header
		if tt.header != nil {
			h = http.Header{"Authorization": tt.header}
		}
		got := send(t, srv.Client(), "GET", srv.URL+"/access", h)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: got %+v, want %+v (-want +got):\n%s\n%s", tt.name, got, tt.want, diff, tt.reason)
		}
	}
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		name    string
		header  []string
		want    string
		wantErr error
	}{
		{"none", nil, "", ErrNoToken},
		{"digest", []string{`Digest username="x"`}, "", ErrNoToken},
		{"token", []string{"Bearer a.b.c"}, "a.b.c", nil},
		{"padding", []string{"Bearer abc=="}, "abc==", nil},
		{"only padding", []string{"Bearer =="}, "", ErrMalformed},
		{"non-token scheme", []string{"Bear(er) abc"}, "", ErrMalformed},
		{"quote in token", []string{`Bearer "abc"`}, "", ErrMalformed},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		if tt.header != nil {
			r.Header["Authorization"] = tt.header
		}
		got, err := BearerToken(r)
		if got != tt.want || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
			t.Errorf("%s: BearerToken = %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestResponseFor(t *testing.T) {
	tests := []struct {
		name   string
		realm  string
		err    error
		want   ErrorResponse
		reason string
	}{
		{
			"no token", "api", errNoToken,
			ErrorResponse{401, `Bearer realm="api"`, "missing_token", "No token was sent"},
			"RFC 6750 §3.1",
		},
		{
			"no token, no realm", "", errNoToken,
			ErrorResponse{401, `Bearer`, "missing_token", "No token was sent"},
			"a challenge may be the scheme alone",
		},
		{
			"expired", "api", errorf(ErrExpired, "at noon"),
			ErrorResponse{401, `Bearer realm="api", error="invalid_token", error_description="The token expired"`, "invalid_token", "The token expired"},
			"RFC 6750 §3",
		},
		{
			"revoked", "api", errorf(ErrRevoked, "logged out"),
			ErrorResponse{401, `Bearer realm="api", error="invalid_token", error_description="The token was revoked"`, "invalid_token", "The token was revoked"},
			"RFC 6750 §3.1: revoked is an invalid_token",
		},
		{
			"wrapped twice", "", fmt.Errorf("handler: %w", errorf(ErrSignature, "x")),
			ErrorResponse{401, `Bearer error="invalid_token", error_description="The token signature is invalid"`, "invalid_token", "The token signature is invalid"},
			"matched with errors.Is",
		},
		{
			"max age", "api", &FreshnessError{MaxAge: 90 * time.Second},
			ErrorResponse{401, `Bearer realm="api", error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="90"`, "insufficient_user_authentication", "More recent authentication is required"},
			"RFC 9470 §3",
		},
		{
			"max age in whole seconds", "", &FreshnessError{MaxAge: 1500 * time.Millisecond},
			ErrorResponse{401, `Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="1"`, "insufficient_user_authentication", "More recent authentication is required"},
			"a login 1.2 s ago would pass a 1 s max_age too",
		},
		{
			"refreshed", "", &FreshnessError{Refreshed: true},
			ErrorResponse{401, `Bearer error="insufficient_user_authentication", error_description="A fresh login is required"`, "insufficient_user_authentication", "A fresh login is required"},
			"no max age was demanded",
		},
		{
			"not fresh without details", "", ErrNotFresh,
			ErrorResponse{401, `Bearer error="insufficient_user_authentication", error_description="A fresh login is required"`, "insufficient_user_authentication", "A fresh login is required"},
			"the bare sentinel",
		},
		{
			"csrf", "api", errCSRFMismatch,
			ErrorResponse{403, "", "csrf_failed", "The CSRF header is missing or does not match the token"},
			"the token is fine; a new login would not help",
		},
		{
			"store", "api", fmt.Errorf("%w: redis: connection refused", ErrStoreUnavailable),
			ErrorResponse{503, "", "temporarily_unavailable", "The token cannot be checked right now; try again later"},
			"not the client's fault",
		},
		{
			"config", "api", errorf(ErrInvalidConfig, "x"),
			ErrorResponse{500, "", "server_error", "The server is misconfigured"},
			"",
		},
		{
			"foreign error", "api", errors.New("something else"),
			ErrorResponse{401, `Bearer realm="api", error="invalid_token", error_description="The token is invalid"`, "invalid_token", "The token is invalid"},
			"refuse what is not understood",
		},
		{
			"realm quoting", `a "b" \c`, errNoToken,
			ErrorResponse{401, `Bearer realm="a \"b\" \\c"`, "missing_token", "No token was sent"},
			"quoted-pair escapes",
		},
	}
	for _, tt := range tests {
		got := ResponseFor(tt.realm, tt.err)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: got %+v, want %+v (-want +got):\n%s\n%s", tt.name, got, tt.want, diff, tt.reason)
		}
	}
}

func TestErrorResponseWrite(t *testing.T) {
	rec := httptest.NewRecorder()
	ResponseFor("api", errorf(ErrExpired, "x")).Write(rec)
	got := map[string]any{
		"status":           rec.Code,
		"www-authenticate": rec.Header().Get("WWW-Authenticate"),
		"content-type":     rec.Header().Get("Content-Type"),
		"cache-control":    rec.Header().Get("Cache-Control"),
		"body":             rec.Body.String(),
	}
	want := map[string]any{
		"status":           401,
		"www-authenticate": `Bearer realm="api", error="invalid_token", error_description="The token expired"`,
		"content-type":     "application/json",
		"cache-control":    "no-store",
		"body":             `{"error":"invalid_token","error_description":"The token expired"}` + "\n",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("got %v, want %v (-want +got):\n%s", got, want, diff)
	}
}

// TestMiddlewareErrorWriter replaces the error writer and checks it gets the
// guard's error.
func TestMiddlewareErrorWriter(t *testing.T) {
	m := newWebManager(t, Config{})
	var got error
	mw := newWebMiddleware(t, m, MiddlewareConfig{ErrorWriter: func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		w.WriteHeader(http.StatusTeapot)
	}})
	srv := httptest.NewServer(mw.RequireAccess(whoami))
	defer srv.Close()

	if a := send(t, srv.Client(), "GET", srv.URL, nil); a.Status != http.StatusTeapot {
		t.Errorf("status %d, want %d from the replaced writer", a.Status, http.StatusTeapot)
	}
	if !errors.Is(got, ErrNoToken) {
		t.Errorf("the writer got %v, want an error matching ErrNoToken", got)
	}
}

// TestMiddlewareSources checks that the first place holding a token decides.
func TestMiddlewareSources(t *testing.T) {
	m := newWebManager(t, Config{})
	alice, bob := issue(t, m, "alice").Access, issue(t, m, "bob").Access
	cookie := func(tok string) string { return "access_token_cookie=" + tok }
	tests := []struct {
		name    string
		sources []Source
		header  http.Header
		want    answer
		reason  string
	}{
		{"header first, both", []Source{FromHeader, FromCookie}, http.Header{"Authorization": {"Bearer " + alice}, "Cookie": {cookie(bob)}}, answer{Status: 200, Body: "access alice fresh=true"}, "the header comes first"},
		{"cookie first, both", []Source{FromCookie, FromHeader}, http.Header{"Authorization": {"Bearer " + alice}, "Cookie": {cookie(bob)}}, answer{Status: 200, Body: "access bob fresh=true"}, "the cookie comes first"},
		{"cookie first, header only", []Source{FromCookie, FromHeader}, bearer(alice), answer{Status: 200, Body: "access alice fresh=true"}, "no cookie: the header is next"},
		{"header only ignores cookies", nil, http.Header{"Cookie": {cookie(bob)}}, answer{Status: 401, Challenge: "Bearer", Body: errorBody("missing_token", "No token was sent")}, "the default is FromHeader alone"},
		{"mangled header stops", []Source{FromHeader, FromCookie}, http.Header{"Authorization": {"Bearer"}, "Cookie": {cookie(bob)}}, answer{Status: 401, Challenge: `Bearer error="invalid_token", error_description="The token is malformed"`, Body: errorBody("invalid_token", "The token is malformed")}, "a broken header is an answer, not an absence"},
		{"two cookies", []Source{FromCookie}, http.Header{"Cookie": {cookie(alice) + "; " + cookie(bob)}}, answer{Status: 401, Challenge: `Bearer error="invalid_token", error_description="The token is malformed"`, Body: errorBody("invalid_token", "The token is malformed")}, "cookie tossing: no telling which is real"},
		{"empty cookie", []Source{FromCookie}, http.Header{"Cookie": {"access_token_cookie="}}, answer{Status: 401, Challenge: "Bearer", Body: errorBody("missing_token", "No token was sent")}, "an emptied cookie holds no token"},
	}
	for _, tt := range tests {
		mw := newWebMiddleware(t, m, MiddlewareConfig{Sources: tt.sources})
		srv := httptest.NewServer(mw.RequireAccess(whoami))
		got := send(t, srv.Client(), "GET", srv.URL, tt.header)
		srv.Close()
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: got %+v, want %+v (-want +got):\n%s\n%s", tt.name, got, tt.want, diff, tt.reason)
		}
	}
}

func TestNewMiddlewareErrors(t *testing.T) {
	m := newWebManager(t, Config{})
	tests := []struct {
		name   string
		cfg    MiddlewareConfig
		reason string
	}{
		{"realm with newline", MiddlewareConfig{Realm: "a\nb"}, "it goes into a header"},
		{"unknown source", MiddlewareConfig{Sources: []Source{FromHeader, 7}}, ""},
		{"source twice", MiddlewareConfig{Sources: []Source{FromCookie, FromCookie}}, ""},
		{"bad cookie name", MiddlewareConfig{Cookies: CookieConfig{AccessName: "a b"}}, "net/http would drop the cookie silently"},
		{"same cookie names", MiddlewareConfig{Cookies: CookieConfig{AccessName: "t", RefreshName: "t"}}, ""},
		{"relative refresh path", MiddlewareConfig{Cookies: CookieConfig{RefreshPath: "auth"}}, ""},
		{"bad refresh path", MiddlewareConfig{Cookies: CookieConfig{RefreshPath: "/a;b"}}, "a semicolon ends the attribute"},
		{"bad csrf header", MiddlewareConfig{Cookies: CookieConfig{CSRFHeader: "X CSRF"}}, ""},
		{"samesite none over http", MiddlewareConfig{Cookies: CookieConfig{SameSite: http.SameSiteNoneMode, Insecure: true}}, "browsers refuse it"},
	}
	for _, tt := range tests {
		mw, err := NewMiddleware(m, tt.cfg)
		if mw != nil || !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: NewMiddleware = %v, %v; want nil, ErrInvalidConfig (%s)", tt.name, mw, err, tt.reason)
		}
	}
}

func TestMiddlewarePanics(t *testing.T) {
	m := newWebManager(t, Config{})
	mw := newWebMiddleware(t, m, MiddlewareConfig{})
	for name, f := range map[string]func(){
		"nil manager":         func() { NewMiddleware(nil, MiddlewareConfig{}) },
		"zero max age":        func() { mw.RequireLoginWithin(0) },
		"nil handler":         func() { mw.RequireAccess(nil) },
		"nil refresh handler": func() { mw.RequireRefresh(nil) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "freshtoken: ") {
					t.Errorf("%s: recovered %v, want a freshtoken panic naming the fix", name, r)
				}
			}()
			f()
		}()
	}
}

// nopWriter is a ResponseWriter that keeps nothing, so benchmarks measure
// the middleware rather than a recorder.
type nopWriter http.Header

func (w nopWriter) Header() http.Header       { return http.Header(w) }
func (nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (nopWriter) WriteHeader(int)             {}

// BenchmarkMiddleware compares the guard alone with the same guard behind
// the middleware, and measures a refusal and a verifier's remote key lookup.
func BenchmarkMiddleware(b *testing.B) {
	m := newWebManager(b, Config{})
	mw := newWebMiddleware(b, m, MiddlewareConfig{Realm: "api"})
	p := issue(b, m, "user-1")
	ctx := context.Background()
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	serve := func(b *testing.B, h http.Handler, r *http.Request) {
		b.ReportAllocs()
		w := nopWriter{}
		for b.Loop() {
			clear(w)
			h.ServeHTTP(w, r)
		}
	}
	b.Run("guard", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.RequireFresh(ctx, p.Access); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("middleware", func(b *testing.B) {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("Authorization", "Bearer "+p.Access)
		serve(b, mw.RequireFresh(ok), r)
	})
	b.Run("refused", func(b *testing.B) {
		serve(b, mw.RequireFresh(ok), httptest.NewRequest("POST", "/", nil))
	})
	b.Run("verifier", func(b *testing.B) {
		vctx, cancel := context.WithCancel(ctx)
		defer cancel()
		jwks := httptest.NewServer(m.JWKSHandler())
		defer jwks.Close()
		v, err := NewVerifier(vctx, VerifierConfig{JWKSURL: jwks.URL})
		if err != nil {
			b.Fatal(err)
		}
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("Authorization", "Bearer "+p.Access)
		serve(b, newWebMiddleware(b, v, MiddlewareConfig{}).RequireFresh(ok), r)
	})
}
