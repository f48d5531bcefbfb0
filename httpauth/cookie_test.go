package httpauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// newCookieServer is a browser-facing API over TLS (the cookies are Secure):
// POST /login sets the cookies, POST /auth/refresh swaps the refresh cookie
// for new access cookies, POST /auth/logout clears them, GET /profile and
// POST /email are guarded, GET /seen lists the cookies the browser sent.
func newCookieServer(t *testing.T, m *freshtoken.Manager, mw *Middleware, opts ...freshtoken.IssueOption) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if err := mw.SetCookies(w, mustIssue(t, m, "user-1", opts...)); err != nil {
			mw.WriteError(w, r, err)
		}
	})
	mux.Handle("POST /auth/refresh", mw.RequireRefresh(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := m.Refresh(r.Context(), TokenFromContext(r.Context()))
		if err == nil {
			err = mw.SetCookies(w, p)
		}
		if err != nil {
			mw.WriteError(w, r, err)
		}
	})))
	mux.Handle("POST /auth/logout", mw.RequireRefresh(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mw.ClearCookies(w)
	})))
	mux.Handle("GET /profile", mw.RequireAccess(whoami))
	mux.Handle("POST /email", mw.RequireFresh(whoami))
	mux.HandleFunc("GET /seen", func(w http.ResponseWriter, r *http.Request) {
		var names []string
		for _, c := range r.Cookies() {
			names = append(names, c.Name)
		}
		slices.Sort(names)
		io.WriteString(w, strings.Join(names, " "))
	})
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// browser returns a client that keeps cookies, as a browser does.
func browser(t *testing.T, srv *httptest.Server) (*http.Client, func(name string) string) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := srv.Client()
	c.Jar = jar
	u, _ := url.Parse(srv.URL)
	// cookie reads a cookie as page script would: CSRF cookies live at "/".
	cookie := func(name string) string {
		for _, ck := range jar.Cookies(u) {
			if ck.Name == name {
				return ck.Value
			}
		}
		return ""
	}
	return c, cookie
}

// TestCookiesCSRF runs a browser session over real HTTPS: login into
// cookies, guarded calls with and without the double-submit header, refresh
// through the path-scoped refresh cookie, and logout.
func TestCookiesCSRF(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{Now: time.Now}) // the cookie jar reads the real clock
	mw := newWebMiddleware(t, m, Config{
		Realm:   "api",
		Sources: []Source{FromCookie, FromHeader},
		Cookies: CookieConfig{RefreshPath: "/auth/"},
	})
	srv := newCookieServer(t, m, mw, freshtoken.WithCSRF())
	c, cookie := browser(t, srv)

	if a := send(t, c, "POST", srv.URL+"/login", nil); a.Status != 200 {
		t.Fatalf("login: %+v", a)
	}
	accessCSRF, refreshCSRF := cookie("csrf_access_token"), cookie("csrf_refresh_token")
	if accessCSRF == "" || refreshCSRF == "" || accessCSRF == refreshCSRF {
		t.Fatalf("CSRF cookies %q and %q, want two different values", accessCSRF, refreshCSRF)
	}
	csrf := func(v string) http.Header { return http.Header{"X-Csrf-Token": {v}} }
	refused := answer{Status: 403, Body: errorBody("csrf_failed", "The CSRF header is missing or does not match the token")}
	ok := answer{Status: 200, Body: "access user-1 fresh=true"}
	steps := []struct {
		name   string
		method string
		path   string
		header http.Header
		want   answer
		reason string
	}{
		{"seen at /", "GET", "/seen", nil, answer{Status: 200, Body: "access_token_cookie csrf_access_token csrf_refresh_token"}, "the refresh cookie stays under /auth/"},
		{"safe method", "GET", "/profile", nil, answer{Status: 200, Body: "access user-1 fresh=true"}, "GET needs no CSRF header"},
		{"header matches", "POST", "/email", csrf(accessCSRF), ok, "double submit"},
		{"no header", "POST", "/email", nil, refused, "what a forged cross-site form sends"},
		{"wrong header", "POST", "/email", csrf(tamper(accessCSRF)), refused, "compared in full"},
		{"refresh value for access", "POST", "/email", csrf(refreshCSRF), refused, "each token has its own value"},
		{"header twice", "POST", "/email", http.Header{"X-Csrf-Token": {accessCSRF, accessCSRF}}, refused, "exactly one header"},
		{"refresh without header", "POST", "/auth/refresh", nil, refused, "refresh changes state too"},
		{"refresh", "POST", "/auth/refresh", csrf(refreshCSRF), answer{Status: 200}, "the refresh cookie is sent under /auth/"},
	}
	for _, s := range steps {
		got := send(t, c, s.method, srv.URL+s.path, s.header)
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Errorf("%s: got %+v, want %+v (-want +got):\n%s\n%s", s.name, got, s.want, diff, s.reason)
		}
	}

	// The refresh replaced the access cookies: new token, new CSRF value, not fresh.
	if got := cookie("csrf_access_token"); got == accessCSRF || got == "" {
		t.Errorf("after refresh the access CSRF cookie is %q, want a new value", got)
	}
	want := answer{Status: 200, Body: "access user-1 fresh=false"}
	if got := send(t, c, "GET", srv.URL+"/profile", nil); got != want {
		t.Errorf("profile after refresh: got %+v, want %+v", got, want)
	}
	want = answer{
		Status:    401,
		Challenge: `Bearer realm="api", error="insufficient_user_authentication", error_description="A fresh login is required"`,
		Body:      errorBody("insufficient_user_authentication", "A fresh login is required"),
	}
	if got := send(t, c, "POST", srv.URL+"/email", csrf(cookie("csrf_access_token"))); got != want {
		t.Errorf("email after refresh: got %+v, want %+v", got, want)
	}

	if a := send(t, c, "POST", srv.URL+"/auth/logout", csrf(refreshCSRF)); a.Status != 200 {
		t.Fatalf("logout: %+v", a)
	}
	want = answer{Status: 200, Body: ""}
	if got := send(t, c, "GET", srv.URL+"/seen", nil); got != want {
		t.Errorf("cookies after logout: got %+v, want none", got)
	}
	want = answer{Status: 401, Challenge: `Bearer realm="api"`, Body: errorBody("missing_token", "No token was sent")}
	if got := send(t, c, "GET", srv.URL+"/profile", nil); got != want {
		t.Errorf("profile after logout: got %+v, want %+v", got, want)
	}
}

// TestCookiesCSRFOnlyForCookies checks that a bearer token needs no CSRF
// header (a browser never adds an Authorization header by itself), and that
// a cookie token without a "csrf" claim is refused on unsafe methods.
func TestCookiesCSRFOnlyForCookies(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{})
	mw := newWebMiddleware(t, m, Config{Sources: []Source{FromCookie, FromHeader}})
	srv := newCookieServer(t, m, mw)
	plain := mustIssue(t, m, "user-1") // no WithCSRF

	got := send(t, srv.Client(), "POST", srv.URL+"/email", bearer(plain.Access))
	if want := (answer{Status: 200, Body: "access user-1 fresh=true"}); got != want {
		t.Errorf("bearer without CSRF header: got %+v, want %+v", got, want)
	}
	got = send(t, srv.Client(), "POST", srv.URL+"/email", http.Header{"Cookie": {"access_token_cookie=" + plain.Access}})
	if want := (answer{Status: 403, Body: errorBody("csrf_failed", "The CSRF header is missing or does not match the token")}); got != want {
		t.Errorf("cookie token without csrf claim: got %+v, want %+v", got, want)
	}
	got = send(t, srv.Client(), "GET", srv.URL+"/profile", http.Header{"Cookie": {"access_token_cookie=" + plain.Access}})
	if want := (answer{Status: 200, Body: "access user-1 fresh=true"}); got != want {
		t.Errorf("safe method with a cookie token without csrf claim: got %+v, want %+v", got, want)
	}
	// And the login of this server, which issues without WithCSRF, cannot set cookies.
	got = send(t, srv.Client(), "POST", srv.URL+"/login", nil)
	if want := (answer{Status: 500, Body: errorBody("server_error", "The server is misconfigured")}); got != want {
		t.Errorf("SetCookies with a token without csrf claim: got %+v, want %+v", got, want)
	}
}

func TestSetCookiesAttributes(t *testing.T) {
	m, clk := newTestManager(t, freshtoken.Config{})
	p := mustIssue(t, m, "user-1", freshtoken.WithCSRF())
	accessExp, refreshExp := clk.Now().Add(15*time.Minute), clk.Now().Add(30*24*time.Hour)
	ignoreValues := cmpopts.IgnoreFields(http.Cookie{}, "Value", "Raw", "RawExpires")

	tests := []struct {
		name string
		cfg  CookieConfig
		want []http.Cookie
	}{
		{
			"defaults", CookieConfig{},
			[]http.Cookie{
				{Name: "access_token_cookie", Path: "/", Expires: accessExp, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode},
				{Name: "csrf_access_token", Path: "/", Expires: accessExp, Secure: true, SameSite: http.SameSiteLaxMode},
				{Name: "refresh_token_cookie", Path: "/", Expires: refreshExp, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode},
				{Name: "csrf_refresh_token", Path: "/", Expires: refreshExp, Secure: true, SameSite: http.SameSiteLaxMode},
			},
		},
		{
			"configured", CookieConfig{AccessName: "at", RefreshName: "rt", AccessCSRFName: "ac", RefreshCSRFName: "rc", RefreshPath: "/auth/", Domain: "example.com", SameSite: http.SameSiteStrictMode, Insecure: true},
			[]http.Cookie{
				{Name: "at", Path: "/", Domain: "example.com", Expires: accessExp, HttpOnly: true, SameSite: http.SameSiteStrictMode},
				{Name: "ac", Path: "/", Domain: "example.com", Expires: accessExp, SameSite: http.SameSiteStrictMode},
				{Name: "rt", Path: "/auth/", Domain: "example.com", Expires: refreshExp, HttpOnly: true, SameSite: http.SameSiteStrictMode},
				{Name: "rc", Path: "/", Domain: "example.com", Expires: refreshExp, SameSite: http.SameSiteStrictMode},
			},
		},
		{
			"host prefix", CookieConfig{AccessName: "at", HostPrefix: true, SameSite: http.SameSiteStrictMode},
			[]http.Cookie{
				{Name: "__Host-at", Path: "/", Expires: accessExp, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode},
				{Name: "__Host-csrf_access_token", Path: "/", Expires: accessExp, Secure: true, SameSite: http.SameSiteStrictMode},
				{Name: "__Host-refresh_token_cookie", Path: "/", Expires: refreshExp, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode},
				{Name: "__Host-csrf_refresh_token", Path: "/", Expires: refreshExp, Secure: true, SameSite: http.SameSiteStrictMode},
			},
		},
		{
			"session cookies", CookieConfig{SessionCookies: true},
			[]http.Cookie{
				{Name: "access_token_cookie", Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode},
				{Name: "csrf_access_token", Path: "/", Secure: true, SameSite: http.SameSiteLaxMode},
				{Name: "refresh_token_cookie", Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode},
				{Name: "csrf_refresh_token", Path: "/", Secure: true, SameSite: http.SameSiteLaxMode},
			},
		},
	}
	for _, tt := range tests {
		mw := newWebMiddleware(t, m, Config{Sources: []Source{FromCookie}, Cookies: tt.cfg})
		rec := httptest.NewRecorder()
		if err := mw.SetCookies(rec, p); err != nil {
			t.Fatal(err)
		}
		got := derefCookies(rec.Result().Cookies())
		if diff := cmp.Diff(tt.want, got, ignoreValues); diff != "" {
			t.Errorf("%s: got %v, want %v (-want +got):\n%s", tt.name, got, tt.want, diff)
		}
		if got[0].Value != p.Access || got[2].Value != p.Refresh {
			t.Errorf("%s: the token cookies do not hold the tokens", tt.name)
		}

		rec = httptest.NewRecorder()
		mw.ClearCookies(rec)
		cleared := derefCookies(rec.Result().Cookies())
		for i := range cleared {
			// A browser deletes a cookie only through a Set-Cookie with the
			// same name, path and domain, and drops a "__Host-" one that is
			// not Secure, so the deletion must carry them all.
			want, got := tt.want[i], cleared[i]
			if got.Name != want.Name || got.Path != want.Path || got.Domain != want.Domain || got.Secure != want.Secure || got.MaxAge != -1 || got.Value != "" {
				t.Errorf("%s: ClearCookies sent %v, want %s at %s (domain %q, secure %t) deleted", tt.name, got, want.Name, want.Path, want.Domain, want.Secure)
			}
		}
	}
}

// tamper changes the first character of s.
func tamper(s string) string {
	if s[0] == 'x' {
		return "y" + s[1:]
	}
	return "x" + s[1:]
}

func derefCookies(cs []*http.Cookie) []http.Cookie {
	out := make([]http.Cookie, len(cs))
	for i, c := range cs {
		out[i] = *c
	}
	return out
}

// TestSetCookiesPairs checks which Pairs SetCookies takes. It does not
// verify the tokens (the Pair is the Manager's own); it needs an access
// token and the CSRF value of every token it keeps, all fit for a cookie,
// and sets nothing when one is missing.
func TestSetCookiesPairs(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{})
	mw := newWebMiddleware(t, m, Config{Sources: []Source{FromCookie}})
	p := mustIssue(t, m, "user-1", freshtoken.WithCSRF())
	tests := []struct {
		name    string
		pair    freshtoken.Pair
		wantErr error
		want    int // cookies set
		reason  string
	}{
		{"login", *p, nil, 4, ""},
		{"access token only", freshtoken.Pair{Access: p.Access, AccessCSRF: p.AccessCSRF, AccessExpiresAt: p.AccessExpiresAt}, nil, 2, "the refresh cookies are left as they are"},
		{"no csrf values", *mustIssue(t, m, "user-1"), freshtoken.ErrInvalidConfig, 0, "issued without WithCSRF"},
		{"no refresh csrf value", freshtoken.Pair{Access: p.Access, AccessCSRF: p.AccessCSRF, Refresh: p.Refresh}, freshtoken.ErrInvalidConfig, 0, "the refresh cookie would go without its CSRF cookie"},
		{"no access token", freshtoken.Pair{AccessCSRF: p.AccessCSRF}, freshtoken.ErrInvalidConfig, 0, ""},
		{"not a cookie value", freshtoken.Pair{Access: p.Access, AccessCSRF: "a;b"}, freshtoken.ErrInvalidConfig, 0, "net/http would drop the semicolon and set the rest"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		err := mw.SetCookies(rec, &tt.pair)
		if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
			t.Errorf("%s: SetCookies = %v, want %v (%s)", tt.name, err, tt.wantErr, tt.reason)
		}
		if n := len(rec.Result().Cookies()); n != tt.want {
			t.Errorf("%s: %d cookies set, want %d (%s)", tt.name, n, tt.want, tt.reason)
		}
	}
}

// TestCookiesFlaskProfile keeps Flask-profile tokens in cookies: the names
// and the CSRF values are the ones Flask-JWT-Extended reads, so a Flask
// app on the same site sees the same browser session.
func TestCookiesFlaskProfile(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{
		Key: []byte("0123456789abcdef0123456789abcdef"), Flask: &freshtoken.FlaskOptions{},
		Now: time.Now, // the cookie jar reads the real clock
	})
	mw := newWebMiddleware(t, m, Config{Sources: []Source{FromCookie}})
	srv := newCookieServer(t, m, mw, freshtoken.WithCSRF())
	c, cookie := browser(t, srv)
	if a := send(t, c, "POST", srv.URL+"/login", nil); a.Status != 200 {
		t.Fatalf("login: %+v", a)
	}
	claims, err := m.RequireAccess(context.Background(), cookie("access_token_cookie"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cookie("csrf_access_token"); got != claims.CSRF {
		t.Errorf("csrf_access_token is %q, the token's csrf claim %q", got, claims.CSRF)
	}
	tests := []struct {
		name   string
		header http.Header
		want   answer
	}{
		{"matching header", http.Header{"X-Csrf-Token": {claims.CSRF}}, answer{Status: 200, Body: "access user-1 fresh=true"}},
		{"no header", nil, answer{Status: 403, Body: errorBody("csrf_failed", "The CSRF header is missing or does not match the token")}},
	}
	for _, tt := range tests {
		got := send(t, c, "POST", srv.URL+"/email", tt.header)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: got %+v, want %+v (-want +got):\n%s", tt.name, got, tt.want, diff)
		}
	}
}

// tossed returns the cookies an attacker would plant in a victim's browser
// from a sibling subdomain ("cookie tossing"): the attacker's own tokens and
// CSRF values under the default names, which the attacker's page can set
// with Domain=<parent> or over plain http. The browser then sends them to
// this host like its own.
func tossed(t *testing.T, m *freshtoken.Manager) []*http.Cookie {
	t.Helper()
	p := mustIssue(t, m, "attacker", freshtoken.WithCSRF())
	return []*http.Cookie{
		{Name: "access_token_cookie", Value: p.Access, Path: "/"},
		{Name: "csrf_access_token", Value: p.AccessCSRF, Path: "/"},
		{Name: "refresh_token_cookie", Value: p.Refresh, Path: "/"},
		{Name: "csrf_refresh_token", Value: p.RefreshCSRF, Path: "/"},
	}
}

// TestCookiesTossedLogin is the login CSRF that HostPrefix exists for: a
// victim with no session of their own carries the attacker's planted
// cookies. With the default names the middleware takes them, and the page,
// reading the planted CSRF cookie, passes the CSRF check too; with
// HostPrefix the request holds no token.
func TestCookiesTossedLogin(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{})
	plant := tossed(t, m)
	csrf := func(c *http.Cookie) http.Header { return http.Header{"X-Csrf-Token": {c.Value}} }
	missing := answer{Status: 401, Challenge: "Bearer", Body: errorBody("missing_token", "No token was sent")}
	tests := []struct {
		name   string
		cfg    CookieConfig
		method string
		path   string
		header http.Header
		want   answer
		reason string
	}{
		{"default names", CookieConfig{}, "POST", "/email", csrf(plant[1]), answer{Status: 200, Body: "access attacker fresh=true"},
			"the flaw, kept by default for Flask-JWT-Extended: the victim acts in the attacker's account"},
		{"host prefix, safe method", CookieConfig{HostPrefix: true}, "GET", "/profile", nil, missing,
			"the plain access cookie is never read"},
		{"host prefix, with the planted CSRF value", CookieConfig{HostPrefix: true}, "POST", "/email", csrf(plant[1]), missing,
			"no token: not even the CSRF check is reached"},
		{"host prefix, refresh", CookieConfig{HostPrefix: true}, "POST", "/auth/refresh", csrf(plant[3]), missing,
			"the plain refresh cookie is never read either"},
	}
	for _, tt := range tests {
		mw := newWebMiddleware(t, m, Config{Sources: []Source{FromCookie}, Cookies: tt.cfg})
		srv := newCookieServer(t, m, mw, freshtoken.WithCSRF())
		c, _ := browser(t, srv)
		u, _ := url.Parse(srv.URL)
		c.Jar.SetCookies(u, plant)
		got := send(t, c, tt.method, srv.URL+tt.path, tt.header)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: got %+v, want %+v (-want +got):\n%s\n%s", tt.name, got, tt.want, diff, tt.reason)
		}
	}
}

// TestCookiesHostPrefix runs a browser session with HostPrefix over real
// HTTPS while the attacker's planted cookies sit beside the real ones: the
// middleware reads only the "__Host-" cookies, and the double-submit check
// works with the "__Host-" CSRF cookies.
func TestCookiesHostPrefix(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{Now: time.Now}) // the cookie jar reads the real clock
	mw := newWebMiddleware(t, m, Config{
		Realm:   "api",
		Sources: []Source{FromCookie},
		Cookies: CookieConfig{HostPrefix: true},
	})
	srv := newCookieServer(t, m, mw, freshtoken.WithCSRF())
	c, cookie := browser(t, srv)
	u, _ := url.Parse(srv.URL)
	plant := tossed(t, m)
	c.Jar.SetCookies(u, plant)

	if a := send(t, c, "POST", srv.URL+"/login", nil); a.Status != 200 {
		t.Fatalf("login: %+v", a)
	}
	accessCSRF, refreshCSRF := cookie("__Host-csrf_access_token"), cookie("__Host-csrf_refresh_token")
	if accessCSRF == "" || refreshCSRF == "" {
		t.Fatalf("CSRF cookies %q and %q, want both set", accessCSRF, refreshCSRF)
	}
	csrf := func(v string) http.Header { return http.Header{"X-Csrf-Token": {v}} }
	planted := "access_token_cookie csrf_access_token csrf_refresh_token refresh_token_cookie"
	refused := answer{Status: 403, Body: errorBody("csrf_failed", "The CSRF header is missing or does not match the token")}
	ok := answer{Status: 200, Body: "access user-1 fresh=true"}
	steps := []struct {
		name   string
		method string
		path   string
		header http.Header
		want   answer
		reason string
	}{
		{"seen", "GET", "/seen", nil, answer{Status: 200, Body: "__Host-access_token_cookie __Host-csrf_access_token __Host-csrf_refresh_token __Host-refresh_token_cookie " + planted},
			"the browser sends both sets; the refresh cookie is at / under __Host-"},
		{"safe method", "GET", "/profile", nil, ok, "the planted access cookie is ignored"},
		{"prefixed CSRF value", "POST", "/email", csrf(accessCSRF), ok, "double submit with __Host-csrf_access_token"},
		{"planted CSRF value", "POST", "/email", csrf(plant[1].Value), refused, "the attacker's value is not the victim's token's"},
		{"no header", "POST", "/email", nil, refused, "what a forged cross-site form sends"},
		{"refresh", "POST", "/auth/refresh", csrf(refreshCSRF), answer{Status: 200}, "double submit with __Host-csrf_refresh_token"},
		{"logout", "POST", "/auth/logout", csrf(refreshCSRF), answer{Status: 200}, ""},
		{"seen after logout", "GET", "/seen", nil, answer{Status: 200, Body: planted}, "ClearCookies deleted the __Host- cookies, and only those"},
		{"profile after logout", "GET", "/profile", nil, answer{Status: 401, Challenge: `Bearer realm="api"`, Body: errorBody("missing_token", "No token was sent")},
			"the planted cookies are left, and still not read"},
	}
	for _, s := range steps {
		got := send(t, c, s.method, srv.URL+s.path, s.header)
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Errorf("%s: got %+v, want %+v (-want +got):\n%s\n%s", s.name, got, s.want, diff, s.reason)
		}
	}
}

// TestCookieConfigPrefixes checks that New refuses cookies that
// browsers would drop for their "__Host-" or "__Secure-" name (RFC 6265bis
// §4.1.3), naming what to change, and accepts the ones they keep.
func TestCookieConfigPrefixes(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{})
	tests := []struct {
		name    string
		cfg     CookieConfig
		mention []string // in the error; nil: the config is accepted
		reason  string
	}{
		{"host prefix, insecure", CookieConfig{HostPrefix: true, Insecure: true}, []string{"HostPrefix", "Insecure"}, "__Host- needs Secure"},
		{"host prefix, domain", CookieConfig{HostPrefix: true, Domain: "example.com"}, []string{"HostPrefix", "Domain"}, "__Host- needs no Domain"},
		{"host prefix, refresh path", CookieConfig{HostPrefix: true, RefreshPath: "/auth/"}, []string{"HostPrefix", "RefreshPath"}, "__Host- needs Path=/"},
		{"host prefix, all three", CookieConfig{HostPrefix: true, Insecure: true, Domain: "example.com", RefreshPath: "/auth/"}, []string{"Insecure", "Domain", "RefreshPath"}, "one error names every field to fix"},
		{"host prefix, prefixed name", CookieConfig{HostPrefix: true, AccessName: "__Host-at"}, []string{"__Host-at"}, "it would become __Host-__Host-at"},
		{"host prefix, secure prefix in another case", CookieConfig{HostPrefix: true, RefreshCSRFName: "__secure-rc"}, []string{"__secure-rc"}, "browsers match prefixes without regard to case"},
		{"hand-prefixed, domain", CookieConfig{AccessName: "__Host-at", Domain: "example.com"}, []string{"__Host-at", "Domain"}, "the browser would drop it silently"},
		{"hand-prefixed, refresh path", CookieConfig{RefreshName: "__Host-rt", RefreshPath: "/auth/"}, []string{"__Host-rt", "RefreshPath"}, ""},
		{"hand-prefixed in another case, insecure", CookieConfig{AccessCSRFName: "__HOST-ac", Insecure: true}, []string{"__HOST-ac", "Insecure"}, ""},
		{"secure prefix, insecure", CookieConfig{RefreshName: "__Secure-rt", Insecure: true}, []string{"__Secure-rt", "Insecure"}, "__Secure- needs Secure"},

		{"host prefix, samesite none", CookieConfig{HostPrefix: true, SameSite: http.SameSiteNoneMode}, nil, "it is Secure"},
		{"host prefix, own names", CookieConfig{HostPrefix: true, AccessName: "at", RefreshName: "rt"}, nil, ""},
		{"hand-prefixed, defaults", CookieConfig{AccessName: "__Host-at", RefreshName: "__Host-rt"}, nil, "configs that worked before HostPrefix keep working"},
		{"secure prefix, refresh path", CookieConfig{RefreshName: "__Secure-rt", RefreshPath: "/auth/", Domain: "example.com"}, nil, "__Secure- asks for Secure only"},
	}
	for _, tt := range tests {
		mw, err := New(m, Config{Cookies: tt.cfg})
		if tt.mention == nil {
			if err != nil {
				t.Errorf("%s: New: %v, want it accepted (%s)", tt.name, err, tt.reason)
			}
			continue
		}
		if mw != nil || !errors.Is(err, freshtoken.ErrInvalidConfig) {
			t.Errorf("%s: New = %v, %v; want nil, ErrInvalidConfig (%s)", tt.name, mw, err, tt.reason)
			continue
		}
		for _, word := range tt.mention {
			if !strings.Contains(err.Error(), word) {
				t.Errorf("%s: error %q does not mention %s (%s)", tt.name, err, word, tt.reason)
			}
		}
	}
}

// TestSetCookiesMisuse checks the calls SetCookies refuses before it sets
// anything: a nil Pair (which used to panic), and any Pair on a Middleware
// that does not read cookies, where every browser request would then get
// 401 missing_token.
func TestSetCookiesMisuse(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{})
	p := mustIssue(t, m, "user-1", freshtoken.WithCSRF())
	withCookies := newWebMiddleware(t, m, Config{Sources: []Source{FromCookie}})
	headerOnly := newWebMiddleware(t, m, Config{})
	tests := []struct {
		name    string
		mw      *Middleware
		pair    *freshtoken.Pair
		mention string // in the error text
		reason  string
	}{
		{"nil pair", withCookies, nil, "nil Pair", "used to panic"},
		{"no FromCookie", headerOnly, p, "FromCookie", "the cookies would never be read"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			err = tt.mw.SetCookies(rec, tt.pair)
		}()
		if !errors.Is(err, freshtoken.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("%s: SetCookies = %v, want ErrInvalidConfig naming %q (%s)", tt.name, err, tt.mention, tt.reason)
		}
		if n := len(rec.Result().Cookies()); n != 0 {
			t.Errorf("%s: %d cookies set, want none", tt.name, n)
		}
	}
}

// TestCookiesCSRFErrorText checks that each way the CSRF check fails has
// its own error text for the logs, while all match ErrCSRF and get the same
// 403 body: a client learns nothing from the difference, an operator does.
func TestCookiesCSRFErrorText(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{})
	var got error
	mw := newWebMiddleware(t, m, Config{
		Sources: []Source{FromCookie},
		ErrorWriter: func(w http.ResponseWriter, r *http.Request, err error) {
			got = err
			ResponseFor("", err).Write(w)
		},
	})
	bound := mustIssue(t, m, "user-1", freshtoken.WithCSRF())
	unbound := mustIssue(t, m, "user-1")
	claims, err := m.RequireAccess(context.Background(), bound.Access)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		token   string
		csrf    []string // X-CSRF-TOKEN values
		mention string   // in the error text
	}{
		{"no header", bound.Access, nil, "no X-Csrf-Token header"},
		{"two headers", bound.Access, []string{claims.CSRF, claims.CSRF}, "2 X-Csrf-Token headers"},
		{"mismatch", bound.Access, []string{tamper(claims.CSRF)}, "does not match"},
		{"no csrf claim", unbound.Access, []string{claims.CSRF}, `no "csrf" claim`},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/", nil)
		r.AddCookie(&http.Cookie{Name: "access_token_cookie", Value: tt.token})
		if tt.csrf != nil {
			r.Header["X-Csrf-Token"] = tt.csrf
		}
		rec := httptest.NewRecorder()
		got = nil
		mw.RequireAccess(whoami).ServeHTTP(rec, r)
		if !errors.Is(got, ErrCSRF) || !strings.Contains(got.Error(), tt.mention) {
			t.Errorf("%s: error %v; want ErrCSRF saying %q", tt.name, got, tt.mention)
			continue
		}
		if other, dup := seen[got.Error()]; dup {
			t.Errorf("%s: error text %q is the same as for %s", tt.name, got, other)
		}
		seen[got.Error()] = tt.name
		want := answer{Status: 403, Body: errorBody("csrf_failed", "The CSRF header is missing or does not match the token")}
		if a := (answer{Status: rec.Code, Challenge: rec.Header().Get("WWW-Authenticate"), Body: rec.Body.String()}); a != want {
			t.Errorf("%s: got %+v, want the one 403 answer %+v", tt.name, a, want)
		}
	}
}

// TestSessionCookies follows a browser through the expiry of its access
// token: with SessionCookies the expired token still comes, and the answer
// says it expired (the page refreshes); with expiring cookies the browser
// has dropped it, and the answer says no token came.
func TestSessionCookies(t *testing.T) {
	tests := []struct {
		name    string
		session bool
		want    answer
		reason  string
	}{
		{"session cookies", true, invalidAnswer("The token expired"), "the browser keeps the cookie for the session, so the server can say the token expired"},
		{"expiring cookies", false, answer{Status: 401, Challenge: "Bearer", Body: errorBody("missing_token", "No token was sent")}, "the browser dropped the cookie with its token"},
	}
	for _, tt := range tests {
		m, clk := newTestManager(t, freshtoken.Config{})
		mw := newWebMiddleware(t, m, Config{Sources: []Source{FromCookie}, Cookies: CookieConfig{SessionCookies: tt.session}})
		rec := httptest.NewRecorder()
		if err := mw.SetCookies(rec, mustIssue(t, m, "user-1", freshtoken.WithCSRF())); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		r := httptest.NewRequest("GET", "/", nil)
		for _, ck := range rec.Result().Cookies() {
			// What a browser does: a cookie with Expires in the past is gone.
			if ck.Expires.IsZero() || ck.Expires.After(clk.Now()) {
				r.AddCookie(ck)
			}
		}
		if got := record(mw.RequireAccess(whoami), r); got != tt.want {
			t.Errorf("%s: got %+v, want %+v (%s)", tt.name, got, tt.want, tt.reason)
		}
	}
}

// TestCookiesList checks that Cookies and ClearingCookies are what
// SetCookies and ClearCookies write, header for header, for adapters that
// send them themselves.
func TestCookiesList(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{})
	mw := newWebMiddleware(t, m, Config{Sources: []Source{FromCookie}, Cookies: CookieConfig{RefreshPath: "/auth/"}})
	p := mustIssue(t, m, "user-1", freshtoken.WithCSRF())
	strs := func(cs []*http.Cookie) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.String())
		}
		return out
	}
	rec := httptest.NewRecorder()
	if err := mw.SetCookies(rec, p); err != nil {
		t.Fatal(err)
	}
	cookies, err := mw.Cookies(p)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rec.Header()["Set-Cookie"], strs(cookies)); diff != "" {
		t.Errorf("Cookies differ from what SetCookies writes (-SetCookies +Cookies):\n%s", diff)
	}
	rec = httptest.NewRecorder()
	mw.ClearCookies(rec)
	if diff := cmp.Diff(rec.Header()["Set-Cookie"], strs(mw.ClearingCookies())); diff != "" {
		t.Errorf("ClearingCookies differ from what ClearCookies writes (-ClearCookies +ClearingCookies):\n%s", diff)
	}
	if _, err := mw.Cookies(nil); !errors.Is(err, freshtoken.ErrInvalidConfig) {
		t.Errorf("Cookies(nil) = %v, want ErrInvalidConfig", err)
	}
}
