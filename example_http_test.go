package freshtoken_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/freshtoken/freshtoken"
)

// A sensitive endpoint behind RequireFresh: a login token passes, a refreshed
// one is told, in a standard RFC 9470 challenge, to log in again.
func ExampleMiddleware_RequireFresh() {
	clk := newClock()
	m := must(freshtoken.New(freshtoken.Config{Key: exampleKey(), Now: clk.Now}))
	mw := must(freshtoken.NewMiddleware(m, freshtoken.MiddlewareConfig{Realm: "example"}))

	changeEmail := mw.RequireFresh(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims := freshtoken.ClaimsFromContext(r.Context())
		fmt.Fprintf(w, "email changed for %s\n", claims.Subject)
	}))
	call := func(token string) {
		r := httptest.NewRequest("POST", "/change-email", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		changeEmail.ServeHTTP(w, r)
		fmt.Println("status", w.Code)
		if challenge := w.Header().Get("WWW-Authenticate"); challenge != "" {
			fmt.Println("WWW-Authenticate:", challenge)
		}
		fmt.Print(w.Body)
	}

	ctx := context.Background()
	login := must(m.Issue(ctx, "user-42"))
	call(login.Access)

	clk.Advance(20 * time.Minute)
	refreshed := must(m.Refresh(ctx, login.Refresh))
	call(refreshed.Access)
	// Output:
	// status 200
	// email changed for user-42
	// status 401
	// WWW-Authenticate: Bearer realm="example", error="insufficient_user_authentication", error_description="A fresh login is required"
	// {"error":"insufficient_user_authentication","error_description":"A fresh login is required"}
}

// RequireLoginWithin asks for a recent login rather than a fresh token; its
// challenge tells the client how recent (max_age, in seconds).
func ExampleMiddleware_RequireLoginWithin() {
	clk := newClock()
	m := must(freshtoken.New(freshtoken.Config{Key: exampleKey(), Now: clk.Now}))
	mw := must(freshtoken.NewMiddleware(m, freshtoken.MiddlewareConfig{}))
	settings := mw.RequireLoginWithin(5 * time.Minute)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))

	login := must(m.Issue(context.Background(), "user-42"))
	clk.Advance(6 * time.Minute)
	r := httptest.NewRequest("PUT", "/settings", nil)
	r.Header.Set("Authorization", "Bearer "+login.Access)
	w := httptest.NewRecorder()
	settings.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
	// Output:
	// 401 Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="300"
}

// Frameworks that do not take http.Handler middleware run the guard
// themselves and answer with ResponseFor, as the Middleware would.
func ExampleResponseFor() {
	clk := newClock()
	m := must(freshtoken.New(freshtoken.Config{Key: exampleKey(), Now: clk.Now}))
	ctx := context.Background()
	login := must(m.Issue(ctx, "user-42"))
	clk.Advance(time.Hour)

	// In a framework's handler, with its request r:
	r := httptest.NewRequest("GET", "/profile", nil)
	r.Header.Set("Authorization", "Bearer "+login.Access)
	for _, token := range []func() (string, error){
		func() (string, error) { return freshtoken.BearerToken(httptest.NewRequest("GET", "/", nil)) },
		func() (string, error) { return freshtoken.BearerToken(r) },
	} {
		tok, err := token()
		if err == nil {
			_, err = m.RequireAccess(ctx, tok)
		}
		resp := freshtoken.ResponseFor("example", err)
		fmt.Println(resp.Status, resp.Challenge)
	}

	resp := freshtoken.ResponseFor("example", fmt.Errorf("revocation check: %w", freshtoken.ErrStoreUnavailable))
	fmt.Println(resp.Status, resp.Code)
	// Output:
	// 401 Bearer realm="example"
	// 401 Bearer realm="example", error="invalid_token", error_description="The token expired"
	// 503 temporarily_unavailable
}

// Browser clients keep their tokens in cookies. Tokens issued WithCSRF carry
// the value the page must echo in the X-CSRF-TOKEN header.
func ExampleMiddleware_SetCookies() {
	m := must(freshtoken.New(freshtoken.Config{Key: exampleKey(), Now: newClock().Now}))
	mw := must(freshtoken.NewMiddleware(m, freshtoken.MiddlewareConfig{
		Sources: []freshtoken.Source{freshtoken.FromCookie, freshtoken.FromHeader},
		Cookies: freshtoken.CookieConfig{RefreshPath: "/auth/"},
	}))

	// In the login handler, once the password is checked:
	w := httptest.NewRecorder()
	pair := must(m.Issue(context.Background(), "user-42", freshtoken.WithCSRF()))
	if err := mw.SetCookies(w, pair); err != nil {
		panic(err)
	}
	for _, c := range w.Result().Cookies() {
		fmt.Printf("%s path=%s httponly=%t secure=%t expires=%s\n", c.Name, c.Path, c.HttpOnly, c.Secure, c.Expires.Format(time.DateTime))
	}
	// Output:
	// access_token_cookie path=/ httponly=true secure=true expires=2026-03-01 09:15:00
	// csrf_access_token path=/ httponly=false secure=true expires=2026-03-01 09:15:00
	// refresh_token_cookie path=/auth/ httponly=true secure=true expires=2026-03-31 09:00:00
	// csrf_refresh_token path=/ httponly=false secure=true expires=2026-03-31 09:00:00
}

// With HostPrefix every cookie name starts with "__Host-", which browsers
// keep only when this host set it Secure, at Path=/ and without Domain: no
// other subdomain can plant a token or CSRF cookie. Page scripts read the CSRF
// value from "__Host-csrf_access_token".
func ExampleMiddleware_SetCookies_hostPrefix() {
	m := must(freshtoken.New(freshtoken.Config{Key: exampleKey(), Now: newClock().Now}))
	mw := must(freshtoken.NewMiddleware(m, freshtoken.MiddlewareConfig{
		Sources: []freshtoken.Source{freshtoken.FromCookie},
		Cookies: freshtoken.CookieConfig{HostPrefix: true},
	}))

	w := httptest.NewRecorder()
	pair := must(m.Issue(context.Background(), "user-42", freshtoken.WithCSRF()))
	if err := mw.SetCookies(w, pair); err != nil {
		panic(err)
	}
	for _, c := range w.Result().Cookies() {
		fmt.Printf("%s path=%s domain=%q secure=%t\n", c.Name, c.Path, c.Domain, c.Secure)
	}

	// A narrower refresh path would make browsers drop the refresh cookie.
	_, err := freshtoken.NewMiddleware(m, freshtoken.MiddlewareConfig{
		Cookies: freshtoken.CookieConfig{HostPrefix: true, RefreshPath: "/auth/"},
	})
	fmt.Println(errors.Is(err, freshtoken.ErrInvalidConfig))
	// Output:
	// __Host-access_token_cookie path=/ domain="" secure=true
	// __Host-csrf_access_token path=/ domain="" secure=true
	// __Host-refresh_token_cookie path=/ domain="" secure=true
	// __Host-csrf_refresh_token path=/ domain="" secure=true
	// true
}

// A resource server verifies the tokens of an issuing service through the
// keys it publishes, without ever holding a signing key.
func ExampleNewVerifier() {
	issuer := must(freshtoken.New(freshtoken.Config{Key: exampleKey()}))
	jwks := httptest.NewServer(issuer.JWKSHandler()) // the issuer's /.well-known/jwks.json
	defer jwks.Close()

	ctx, stop := context.WithCancel(context.Background())
	defer stop() // ends the background refresh
	verifier, err := freshtoken.NewVerifier(ctx, freshtoken.VerifierConfig{JWKSURL: jwks.URL})
	if err != nil {
		panic(err)
	}

	login := must(issuer.Issue(ctx, "user-42"))
	claims, err := verifier.RequireFresh(ctx, login.Access)
	fmt.Println(claims.Subject, err)
	_, err = verifier.Issue(ctx, "user-42")
	fmt.Println(errors.Is(err, freshtoken.ErrInvalidKey))
	// Output:
	// user-42 <nil>
	// true
}
