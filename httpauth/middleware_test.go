package httpauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/google/go-cmp/cmp"
)

// newGuardedServer serves each guard of mw on its own path; /refresh swaps
// the refresh token for a new access token.
func newGuardedServer(t *testing.T, m *freshtoken.Manager, mw *Middleware) *httptest.Server {
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
	m, clk := newTestManager(t, freshtoken.Config{FreshFor: 10 * time.Minute})
	mw := newWebMiddleware(t, m, Config{Realm: "api"})
	srv := newGuardedServer(t, m, mw)
	c := srv.Client()

	login := mustIssue(t, m, "user-1")
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

	again := mustIssue(t, m, "user-1")
	if got := send(t, c, "POST", srv.URL+"/fresh", bearer(again.Access)); got.Status != 200 {
		t.Errorf("after logging in again: got %+v, want status 200", got)
	}
}

// TestMiddlewareAuthorizationHeader sends missing, foreign and mangled
// Authorization headers over real HTTP and checks the exact RFC 6750 answers.
func TestMiddlewareAuthorizationHeader(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{})
	srv := newGuardedServer(t, m, newWebMiddleware(t, m, Config{Realm: "api"}))
	tok := mustIssue(t, m, "user-1").Access

	none := answer{Status: 401, Challenge: `Bearer realm="api"`, Body: errorBody("missing_token", "No token was sent")}
	wrongScheme := answer{Status: 401, Challenge: `Bearer realm="api"`, Body: errorBody("missing_token", "The Authorization header does not use the Bearer scheme")}
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
		{"basic scheme", []string{"Basic dXNlcjpwYXNz"}, wrongScheme, "another scheme is no bearer token"},
		{"jwt scheme", []string{"JWT " + tok}, wrongScheme, "still no bearer token, but the body says why"},
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

// TestMiddlewareErrorWriter replaces the error writer and checks it gets the
// guard's error.
func TestMiddlewareErrorWriter(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{})
	var got error
	mw := newWebMiddleware(t, m, Config{ErrorWriter: func(w http.ResponseWriter, r *http.Request, err error) {
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
	m, _ := newTestManager(t, freshtoken.Config{})
	alice, bob := mustIssue(t, m, "alice").Access, mustIssue(t, m, "bob").Access
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
		mw := newWebMiddleware(t, m, Config{Sources: tt.sources})
		srv := httptest.NewServer(mw.RequireAccess(whoami))
		got := send(t, srv.Client(), "GET", srv.URL, tt.header)
		srv.Close()
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: got %+v, want %+v (-want +got):\n%s\n%s", tt.name, got, tt.want, diff, tt.reason)
		}
	}
}

// TestNewErrors checks that New refuses each mistake with ErrInvalidConfig
// and a text that names the field, so the fix needs no guessing.
func TestNewErrors(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{})
	tests := []struct {
		name    string
		cfg     Config
		mention []string // in the error text
		reason  string
	}{
		{"realm with newline", Config{Realm: "a\nb"}, []string{"Realm"}, "it goes into a header"},
		{"bad cookie name", Config{Cookies: CookieConfig{AccessName: "a b"}}, []string{"Cookies.AccessName", `"a b"`}, "net/http would drop the cookie silently"},
		{"same cookie names", Config{Cookies: CookieConfig{AccessName: "t", RefreshName: "t"}}, []string{"Cookies.AccessName", "Cookies.RefreshName", `"t"`}, ""},
		{"relative refresh path", Config{Cookies: CookieConfig{RefreshPath: "auth"}}, []string{"Cookies.RefreshPath", `"auth"`}, ""},
		{"bad refresh path", Config{Cookies: CookieConfig{RefreshPath: "/a;b"}}, []string{"Cookies.RefreshPath"}, "a semicolon ends the attribute"},
		{"bad domain", Config{Cookies: CookieConfig{Domain: "a b"}}, []string{"Cookies.Domain"}, ""},
		{"bad csrf header", Config{Cookies: CookieConfig{CSRFHeader: "X CSRF"}}, []string{"Cookies.CSRFHeader", `"X CSRF"`}, ""},
		{"samesite none over http", Config{Cookies: CookieConfig{SameSite: http.SameSiteNoneMode, Insecure: true}}, []string{"Cookies.SameSite", "Cookies.Insecure"}, "browsers refuse it"},
		{"samesite out of range", Config{Cookies: CookieConfig{SameSite: http.SameSite(99)}}, []string{"Cookies.SameSite", "99"}, "net/http would drop the attribute with a log line"},
		{"samesite negative", Config{Cookies: CookieConfig{SameSite: http.SameSite(-1)}}, []string{"Cookies.SameSite", "-1"}, ""},
		{"zero source", Config{Sources: []Source{FromHeader, {}}}, []string{"Sources[1]", "zero Source"}, "a Source{} literal reads nothing"},
		{"source twice", Config{Sources: []Source{FromCookie, FromCookie}}, []string{"Sources[0]", "Sources[1]", `"cookie"`}, ""},
		{"two sources of one name", Config{Sources: []Source{FromFunc("q", noToken), FromHeader, FromFunc("q", noToken)}}, []string{"Sources[0]", "Sources[2]", `"q"`}, "error texts name the source; two of one name would be ambiguous"},
	}
	for _, tt := range tests {
		mw, err := New(m, tt.cfg)
		if mw != nil || !errors.Is(err, freshtoken.ErrInvalidConfig) {
			t.Errorf("%s: New = %v, %v; want nil, ErrInvalidConfig (%s)", tt.name, mw, err, tt.reason)
			continue
		}
		for _, s := range tt.mention {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: New: %v; want the text to name %s (%s)", tt.name, err, s, tt.reason)
			}
		}
	}
}

func TestMiddlewarePanics(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{})
	mw := newWebMiddleware(t, m, Config{})
	for name, f := range map[string]func(){
		"nil guard":           func() { New(nil, Config{}) },
		"zero max age":        func() { mw.RequireLoginWithin(0) },
		"nil handler":         func() { mw.RequireAccess(nil) },
		"nil refresh handler": func() { mw.RequireRefresh(nil) },
		"nil optional":        func() { mw.OptionalAccess(nil) },
		"nil extract":         func() { FromFunc("query", nil) },
		"unnamed source":      func() { FromFunc("", noToken) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "httpauth: ") {
					t.Errorf("%s: recovered %v, want an httpauth panic naming the fix", name, r)
				}
			}()
			f()
		}()
	}
}

// TestMiddlewareStoreDown checks over real HTTP that a guard whose store
// fails answers 503 without a challenge: the token is not known to be bad.
func TestMiddlewareStoreDown(t *testing.T) {
	issuer, _ := newTestManager(t, freshtoken.Config{})
	login := mustIssue(t, issuer, "alice")
	m, _ := newTestManager(t, freshtoken.Config{Store: brokenStore{}})
	srv := httptest.NewServer(newWebMiddleware(t, m, Config{Realm: "api"}).RequireAccess(http.NotFoundHandler()))
	defer srv.Close()

	req, err := http.NewRequest("GET", srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+login.Access)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	got := answer{Status: res.StatusCode, Challenge: res.Header.Get("WWW-Authenticate"), Body: string(body)}
	want := answer{Status: 503, Body: errorBody("temporarily_unavailable", "The token cannot be checked right now; try again later")}
	if got != want || res.Header.Get("Retry-After") != "5" {
		t.Errorf("got %+v with Retry-After %q, want %+v with Retry-After 5", got, res.Header.Get("Retry-After"), want)
	}
}

// TestMiddlewareVerifier puts a verifier, which holds no signing key, behind
// the middleware over real HTTP: it takes the issuer's tokens, refuses a key
// the issuer does not publish, and refuses a session logged out at the
// issuer when they share the revocation store.
func TestMiddlewareVerifier(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // ends the verifier's background refresh
	store := freshtoken.NewMemoryStore()
	issuer, clk := newTestManager(t, freshtoken.Config{Store: store})
	jwks := httptest.NewServer(issuer.JWKSHandler())
	defer jwks.Close()
	v, err := freshtoken.NewVerifier(ctx, freshtoken.VerifierConfig{JWKSURL: jwks.URL, Config: freshtoken.Config{Store: store, Now: clk.Now}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newWebMiddleware(t, v, Config{Realm: "api"}).RequireAccess(whoami))
	defer srv.Close()

	login := mustIssue(t, issuer, "user-1")
	outsider, _ := newTestManager(t, freshtoken.Config{Key: webKey(3), Now: clk.Now})
	stranger := mustIssue(t, outsider, "user-1")
	invalid := func(desc string) answer {
		return answer{
			Status:    401,
			Challenge: `Bearer realm="api", error="invalid_token", error_description="` + desc + `"`,
			Body:      errorBody("invalid_token", desc),
		}
	}
	steps := []struct {
		name   string
		token  string
		logout bool // log the login out at the issuer first
		want   answer
	}{
		{"issuer's token", login.Access, false, answer{Status: 200, Body: "access user-1 fresh=true"}},
		{"unpublished key", stranger.Access, false, invalid("The token is signed with an unknown key")},
		{"after logout at the issuer", login.Access, true, invalid("The token was revoked")},
	}
	for _, s := range steps {
		if s.logout {
			if err := issuer.Logout(ctx, login.Refresh); err != nil {
				t.Fatal(err)
			}
		}
		got := send(t, srv.Client(), "GET", srv.URL, bearer(s.token))
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Errorf("%s: got %+v, want %+v (-want +got):\n%s", s.name, got, s.want, diff)
		}
	}
}

// nilGuard breaks the Guard contract: it returns neither claims nor an error.
type nilGuard struct{}

func (nilGuard) RequireAccess(context.Context, string) (*freshtoken.Claims, error)  { return nil, nil }
func (nilGuard) RequireFresh(context.Context, string) (*freshtoken.Claims, error)   { return nil, nil }
func (nilGuard) RequireRefresh(context.Context, string) (*freshtoken.Claims, error) { return nil, nil }
func (nilGuard) RequireLoginWithin(context.Context, string, time.Duration) (*freshtoken.Claims, error) {
	return nil, nil
}

// TestMiddlewareGuardWithoutClaims checks that a Guard returning no claims
// and no error refuses the request (500) instead of running the handler
// with nil claims, for a bearer token and for a cookie that needs the CSRF
// check.
func TestMiddlewareGuardWithoutClaims(t *testing.T) {
	mw := newWebMiddleware(t, nilGuard{}, Config{Sources: []Source{FromHeader, FromCookie}})
	want := answer{Status: 500, Body: errorBody("server_error", "The server is misconfigured")}
	for _, h := range []http.Header{bearer("abc"), {"Cookie": {"access_token_cookie=abc"}}} {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/", nil)
		r.Header = h
		mw.RequireFresh(whoami).ServeHTTP(rec, r)
		got := answer{Status: rec.Code, Challenge: rec.Header().Get("WWW-Authenticate"), Body: rec.Body.String()}
		if got != want {
			t.Errorf("%v: got %+v, want %+v", h, got, want)
		}
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
	m, clk := newTestManager(b, freshtoken.Config{})
	mw := newWebMiddleware(b, m, Config{Realm: "api"})
	p := mustIssue(b, m, "user-1")
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
		v, err := freshtoken.NewVerifier(vctx, freshtoken.VerifierConfig{JWKSURL: jwks.URL, Config: freshtoken.Config{Now: clk.Now}})
		if err != nil {
			b.Fatal(err)
		}
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("Authorization", "Bearer "+p.Access)
		serve(b, newWebMiddleware(b, v, Config{}).RequireFresh(ok), r)
	})
}

// TestOptionalAccess sends every kind of token, and none, to OptionalAccess
// over headers and cookies: no token passes without claims, a good one
// passes with them, and a bad one is refused exactly as RequireAccess
// refuses it, never let through anonymously.
func TestOptionalAccess(t *testing.T) {
	m, clk := newTestManager(t, freshtoken.Config{Store: freshtoken.NewMemoryStore()})
	mw := newWebMiddleware(t, m, Config{Sources: []Source{FromCookie, FromHeader}})
	login := mustIssue(t, m, "alice", freshtoken.WithCSRF())
	claims, err := m.RequireAccess(context.Background(), login.Access)
	if err != nil {
		t.Fatal(err)
	}
	stranger, _ := newTestManager(t, freshtoken.Config{Key: webKey(3)})
	forged := mustIssue(t, stranger, "alice").Access
	loggedOut := mustIssue(t, m, "alice")
	if err := m.Logout(context.Background(), loggedOut.Refresh); err != nil {
		t.Fatal(err)
	}
	expiring := mustIssue(t, m, "alice")
	cookie := func(v string) string { return "access_token_cookie=" + v }

	anonymous := answer{Status: 200, Body: `anonymous source=none token=""`}
	malformed := invalidAnswer("The token is malformed")
	csrfFailed := answer{Status: 403, Body: errorBody("csrf_failed", "The CSRF header is missing or does not match the token")}
	tests := []struct {
		name    string
		method  string
		header  http.Header
		advance time.Duration
		want    answer
		reason  string
	}{
		{"nothing", "GET", nil, 0, anonymous, "the page serves everyone"},
		{"nothing, unsafe method", "POST", nil, 0, anonymous, "no cookie, no CSRF to check"},
		{"basic scheme", "GET", http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}, 0, anonymous, "a proxy's Basic credentials are no bearer token"},
		{"empty cookie", "GET", http.Header{"Cookie": {cookie("")}}, 0, anonymous, "a cleared cookie holds no token"},
		{"bearer", "GET", bearer(login.Access), 0, answer{Status: 200, Body: "access alice source=header"}, ""},
		{"cookie", "GET", http.Header{"Cookie": {cookie(login.Access)}}, 0, answer{Status: 200, Body: "access alice source=cookie"}, "safe method: no CSRF header needed"},
		{"cookie with csrf", "POST", http.Header{"Cookie": {cookie(login.Access)}, "X-Csrf-Token": {claims.CSRF}}, 0, answer{Status: 200, Body: "access alice source=cookie"}, "double submit"},
		{"cookie without csrf", "POST", http.Header{"Cookie": {cookie(login.Access)}}, 0, csrfFailed, "a forged cross-site form must not post as anyone, not even anonymously"},
		{"cookie with wrong csrf", "DELETE", http.Header{"Cookie": {cookie(login.Access)}, "X-Csrf-Token": {tamper(claims.CSRF)}}, 0, csrfFailed, ""},
		{"garbage bearer", "GET", bearer("abc"), 0, malformed, "a token that is no JWT is a bad token, not an absent one"},
		{"garbage cookie", "GET", http.Header{"Cookie": {cookie("abc")}}, 0, malformed, ""},
		{"scheme only", "GET", http.Header{"Authorization": {"Bearer"}}, 0, malformed, "a broken header is an answer, not an absence"},
		{"two cookies", "GET", http.Header{"Cookie": {cookie(login.Access) + "; " + cookie(login.Access)}}, 0, malformed, "cookie tossing"},
		{"tampered", "GET", bearer(tamper(login.Access)), 0, invalidAnswer("The token is malformed"), "the header no longer decodes"},
		{"foreign key", "GET", bearer(forged), 0, invalidAnswer("The token is signed with an unknown key"), "a forged token never passes"},
		{"refresh token", "GET", bearer(login.Refresh), 0, invalidAnswer("The token is of the wrong type"), "OptionalAccess takes access tokens only"},
		{"revoked", "GET", bearer(loggedOut.Access), 0, invalidAnswer("The token was revoked"), "a logged-out session is told so"},
		{"expired", "GET", bearer(expiring.Access), 16 * time.Minute, invalidAnswer("The token expired"), "the client should refresh, not browse as a stranger"},
	}
	for _, tt := range tests {
		clk.Advance(tt.advance)
		r := httptest.NewRequest(tt.method, "/", nil)
		for k, v := range tt.header {
			r.Header[k] = v
		}
		got := record(mw.OptionalAccess(whoamiOrAnonymous), r)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: got %+v, want %+v (-want +got):\n%s\n%s", tt.name, got, tt.want, diff, tt.reason)
		}
		if tt.want.Status != 200 {
			if req := record(mw.RequireAccess(whoamiOrAnonymous), r); req != got {
				t.Errorf("%s: OptionalAccess answered %+v, RequireAccess %+v; want the same refusal", tt.name, got, req)
			}
		}
	}
}

// TestOptionalAccessStoreDown checks that OptionalAccess fails closed: when
// the revocation store cannot be asked, a token is answered 503, not taken
// as absent.
func TestOptionalAccessStoreDown(t *testing.T) {
	issuer, _ := newTestManager(t, freshtoken.Config{})
	m, _ := newTestManager(t, freshtoken.Config{Store: brokenStore{}})
	mw := newWebMiddleware(t, m, Config{})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+mustIssue(t, issuer, "alice").Access)
	want := answer{Status: 503, Body: errorBody("temporarily_unavailable", "The token cannot be checked right now; try again later")}
	if got := record(mw.OptionalAccess(whoamiOrAnonymous), r); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestPassPreflight checks that a CORS preflight passes every guard only
// with Config.PassPreflight, that it then reaches the handler without
// claims, and that nothing else looking like one passes.
func TestPassPreflight(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{})
	preflight := http.Header{"Origin": {"https://app.example"}, "Access-Control-Request-Method": {"POST"}}
	missing := answer{Status: 401, Challenge: "Bearer", Body: errorBody("missing_token", "No token was sent")}
	passed := answer{Status: 200, Body: `anonymous source=none token=""`}
	tests := []struct {
		name   string
		pass   bool
		method string
		header http.Header
		want   answer
		reason string
	}{
		{"preflight, option off", false, "OPTIONS", preflight, missing, "off by default: the handler would run for anyone"},
		{"preflight, option on", true, "OPTIONS", preflight, passed, "to the CORS handler inside the guard"},
		{"plain OPTIONS", true, "OPTIONS", http.Header{"Origin": {"https://app.example"}}, missing, "no Access-Control-Request-Method: not a preflight"},
		{"empty request method", true, "OPTIONS", http.Header{"Access-Control-Request-Method": {""}}, missing, "an empty header is no preflight"},
		{"preflight headers on POST", true, "POST", preflight, missing, "only OPTIONS is a preflight"},
		{"preflight with a bad token", true, "OPTIONS", http.Header{"Access-Control-Request-Method": {"GET"}, "Authorization": {"Bearer abc"}}, passed, "untouched: the token is not read, and never reaches the context"},
	}
	for _, tt := range tests {
		mw := newWebMiddleware(t, m, Config{PassPreflight: tt.pass})
		guards := map[string]http.Handler{
			"RequireAccess":      mw.RequireAccess(whoamiOrAnonymous),
			"RequireFresh":       mw.RequireFresh(whoamiOrAnonymous),
			"RequireLoginWithin": mw.RequireLoginWithin(time.Minute)(whoamiOrAnonymous),
			"RequireRefresh":     mw.RequireRefresh(whoamiOrAnonymous),
		}
		for name, h := range guards {
			r := httptest.NewRequest(tt.method, "/", nil)
			for k, v := range tt.header {
				r.Header[k] = v
			}
			if got := record(h, r); got != tt.want {
				t.Errorf("%s, %s: got %+v, want %+v (%s)", tt.name, name, got, tt.want, tt.reason)
			}
		}
	}
}
