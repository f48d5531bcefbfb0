package api

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// jar is the cookies a browser keeps for the app, by name. Go's cookiejar
// would not send Secure cookies over the test's plain http, as Chrome does
// for localhost, so the tests keep their own.
type jar map[string]*http.Cookie

// browse sends a request as the page would: with the cookies a browser sends
// to path and the headers given, and keeps the cookies the answer sets or
// deletes. It returns the answer, and the names of the cookies the answer
// set, sorted.
func browse(t *testing.T, srv *httptest.Server, j jar, method, path, body string, header map[string]string) (result, []string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	for _, c := range j {
		if strings.HasPrefix(path, c.Path) {
			req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	client := *srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got := result{Status: res.StatusCode, Challenge: res.Header.Get("WWW-Authenticate")}
	if data, _ := io.ReadAll(res.Body); len(data) > 0 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		got = decodeResult(t, got, data)
	}
	var set []string
	for _, c := range res.Cookies() {
		set = append(set, c.Name)
		if c.MaxAge < 0 {
			delete(j, c.Name)
		} else {
			j[c.Name] = c
		}
	}
	slices.Sort(set)
	return got, set
}

func decodeResult(t *testing.T, r result, data []byte) result {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", data, err)
	}
	r.Body = m
	return r
}

// attackBody is what a form of another origin can post with
// enctype="text/plain" and one field named {"email":"attacker@example.com"}:
// JSON that the change-email handler decodes.
const attackBody = "{\"email\":\"attacker@example.com\"}=\r\n"

// TestBrowserSession walks the page's endpoints without a browser: the
// cookies and their attributes, the CSRF checks, the expired token, the
// refresh, the fresh-login challenge and the logout that deletes the cookies.
// The browsertest module walks the same way in Chromium.
func TestBrowserSession(t *testing.T) {
	srv, clk := startServer(t)
	j := jar{}
	const creds = `{"username":"demo","password":"demo-password"}`
	jsonType := map[string]string{"Content-Type": "application/json"}
	withCSRF := func(cookie string) map[string]string {
		return map[string]string{"Content-Type": "application/json", "X-CSRF-TOKEN": j[cookie].Value}
	}
	all := []string{"access_token_cookie", "csrf_access_token", "csrf_refresh_token", "refresh_token_cookie"}
	csrfFailed := result{Status: 403, Body: errBody("csrf_failed", "The CSRF header is missing or does not match the token")}
	noToken := result{Status: 401, Challenge: `Bearer realm="example"`, Body: errBody("missing_token", "No token was sent")}
	profile := func(email string, fresh bool) result {
		return result{Status: 200, Body: map[string]any{"username": "demo", "email": email, "fresh": fresh, "logged_in_at": login.Format(time.RFC3339)}}
	}

	steps := []struct {
		name         string
		advance      time.Duration
		method, path string
		body         string
		header       func() map[string]string
		want         result
		wantSet      []string
		reason       string
	}{
		{"wrong password", 0, "POST", "/app/login", `{"username":"demo","password":"x"}`, func() map[string]string { return jsonType }, result{Status: 400, Body: errBody("invalid_grant", "Wrong user name or password")}, nil, ""},
		{
			"login from another site", 0, "POST", "/app/login", creds,
			func() map[string]string {
				return map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}
			},
			result{Status: 403}, nil, "login CSRF: http.CrossOriginProtection",
		},
		{"login", 0, "POST", "/app/login", creds, func() map[string]string { return jsonType }, result{Status: 204}, all, ""},
		{"profile", 0, "GET", "/app/profile", "", nil, profile("demo@example.com", true), nil, "the access cookie is fresh"},
		{"JSON API ignores cookies", 0, "GET", "/profile", "", nil, noToken, nil, "/profile reads the Authorization header only"},
		{"form from another origin", 0, "POST", "/app/change-email", attackBody, func() map[string]string { return map[string]string{"Content-Type": "text/plain"} }, csrfFailed, nil, "no CSRF header"},
		{"refresh CSRF value for the access token", 0, "POST", "/app/change-email", attackBody, func() map[string]string { return withCSRF("csrf_refresh_token") }, csrfFailed, nil, "each token has its own value"},
		{
			"the same body with the header", 0, "POST", "/app/change-email", attackBody, func() map[string]string { return withCSRF("csrf_access_token") },
			result{Status: 200, Body: map[string]any{"email": "attacker@example.com"}}, nil, "only the CSRF check stops the form's body",
		},
		{
			"expired", 16 * time.Minute, "GET", "/app/profile", "", nil,
			result{Status: 401, Challenge: `Bearer realm="example", error="invalid_token", error_description="The token expired"`, Body: errBody("invalid_token", "The token expired")},
			nil, "session cookies bring the expired token, so the page learns to refresh",
		},
		{"refresh without CSRF", 0, "POST", "/app/auth/refresh", "", nil, csrfFailed, nil, ""},
		{"refresh", 0, "POST", "/app/auth/refresh", "", func() map[string]string { return withCSRF("csrf_refresh_token") }, result{Status: 204}, all, "the refresh cookies again, unchanged, with the new access cookies"},
		{"profile after refresh", 0, "GET", "/app/profile", "", nil, profile("attacker@example.com", false), nil, ""},
		{
			"change email after refresh", 0, "POST", "/app/change-email", `{"email":"new@example.com"}`, func() map[string]string { return withCSRF("csrf_access_token") },
			result{Status: 401, Challenge: `Bearer realm="example", error="insufficient_user_authentication", error_description="A fresh login is required"`, Body: errBody("insufficient_user_authentication", "A fresh login is required")},
			nil, "RFC 9470: the page asks for the password",
		},
		{"logout", 0, "POST", "/app/auth/logout", "", func() map[string]string { return withCSRF("csrf_refresh_token") }, result{Status: 204}, all, "deletes every cookie"},
		{"profile after logout", 0, "GET", "/app/profile", "", nil, noToken, nil, "no cookie left"},
	}
	var keptAfterLogin map[string]*http.Cookie
	for _, s := range steps {
		clk.Advance(s.advance)
		var header map[string]string
		if s.header != nil {
			header = s.header()
		}
		got, set := browse(t, srv, j, s.method, s.path, s.body, header)
		if s.name == "login from another site" {
			got.Body = nil // net/http's text, not the API's
		}
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Errorf("%s: got %+v, want %+v (-want +got):\n%s\n%s", s.name, got, s.want, diff, s.reason)
		}
		if !slices.Equal(set, s.wantSet) {
			t.Errorf("%s: the answer set the cookies %v, want %v", s.name, set, s.wantSet)
		}
		if s.name == "login" {
			keptAfterLogin = maps.Clone(j)
		}
	}
	if len(j) != 0 {
		t.Errorf("after logout the browser keeps %v, want no cookie", j)
	}
	checkCookieAttributes(t, keptAfterLogin, true)
}

// cookieAttrs is what a browser learns of a cookie besides its value.
type cookieAttrs struct {
	Path     string
	HttpOnly bool
	Secure   bool
	Expires  bool // an Expires or Max-Age attribute: not a session cookie
	SameSite http.SameSite
}

func checkCookieAttributes(t *testing.T, cookies map[string]*http.Cookie, secure bool) {
	t.Helper()
	got := map[string]cookieAttrs{}
	for name, c := range cookies {
		got[name] = cookieAttrs{c.Path, c.HttpOnly, c.Secure, !c.Expires.IsZero() || c.MaxAge != 0, c.SameSite}
	}
	lax := http.SameSiteLaxMode
	want := map[string]cookieAttrs{
		"access_token_cookie":  {"/", true, secure, false, lax},
		"refresh_token_cookie": {"/app/auth/", true, secure, false, lax},
		"csrf_access_token":    {"/", false, secure, false, lax},
		"csrf_refresh_token":   {"/", false, secure, false, lax},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("login cookies %+v, want %+v (-want +got):\n%s", got, want, diff)
	}
}

// TestBrowserInsecureCookies: Config.InsecureCookies drops Secure and
// nothing else.
func TestBrowserInsecureCookies(t *testing.T) {
	srv, _ := startServerWith(t, Config{InsecureCookies: true})
	j := jar{}
	got, _ := browse(t, srv, j, "POST", "/app/login", `{"username":"demo","password":"demo-password"}`, map[string]string{"Content-Type": "application/json"})
	if got.Status != 204 {
		t.Fatalf("login: %+v, want 204", got)
	}
	checkCookieAttributes(t, j, false)
}

// TestBrowserPage checks that the page is served with its security headers,
// and that a bearer token is not accepted under /app/.
func TestBrowserPage(t *testing.T) {
	srv, _ := startServer(t)
	for _, tt := range []struct {
		path, wantType string
	}{
		{"/app/", "text/html; charset=utf-8"},
		{"/app/app.js", "text/javascript; charset=utf-8"},
		{"/app/app.css", "text/css; charset=utf-8"},
	} {
		res, err := srv.Client().Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != tt.wantType || res.Header.Get("Content-Security-Policy") != pagePolicy {
			t.Errorf("GET %s: status %d, type %q, CSP %q; want 200, %q and the page policy",
				tt.path, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Security-Policy"), tt.wantType)
		}
	}
	if got, _ := browse(t, srv, jar{}, "GET", "/", "", nil); got.Status != http.StatusFound {
		t.Errorf("GET /: %+v, want a redirect to /app/", got)
	}
	access, _ := tokens(t, call(t, srv, "POST", "/login", "", map[string]string{"username": "demo", "password": "demo-password"}))
	got, _ := browse(t, srv, jar{}, "GET", "/app/profile", "", map[string]string{"Authorization": "Bearer " + access})
	want := result{Status: 401, Challenge: `Bearer realm="example"`, Body: errBody("missing_token", "No token was sent")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bearer token at /app/profile: got %+v, want %+v (-want +got):\n%s\n/app/ reads cookies only", got, want, diff)
	}
}
