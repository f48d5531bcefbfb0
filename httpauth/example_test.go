package httpauth_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/httpauth"
)

// A sensitive endpoint behind RequireFresh: a login token passes, a refreshed
// one is told, in a standard RFC 9470 challenge, to log in again.
func ExampleMiddleware_RequireFresh() {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) // a fixed clock, so the output never changes
	m, err := freshtoken.New(freshtoken.Config{
		Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)), // in production, from a secret store
		Now: func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	mw, err := httpauth.New(m, httpauth.Config{Realm: "example"})
	if err != nil {
		log.Fatal(err)
	}

	changeEmail := mw.RequireFresh(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims := httpauth.ClaimsFromContext(r.Context())
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
	login, err := m.Issue(ctx, "user-42")
	if err != nil {
		log.Fatal(err)
	}
	call(login.Access)

	now = now.Add(20 * time.Minute)
	refreshed, err := m.Refresh(ctx, login.Refresh)
	if err != nil {
		log.Fatal(err)
	}
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
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	m, err := freshtoken.New(freshtoken.Config{
		Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)),
		Now: func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	mw, err := httpauth.New(m, httpauth.Config{})
	if err != nil {
		log.Fatal(err)
	}
	settings := mw.RequireLoginWithin(5 * time.Minute)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))

	login, err := m.Issue(context.Background(), "user-42")
	if err != nil {
		log.Fatal(err)
	}
	now = now.Add(6 * time.Minute)
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
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	m, err := freshtoken.New(freshtoken.Config{
		Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)),
		Now: func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	login, err := m.Issue(ctx, "user-42")
	if err != nil {
		log.Fatal(err)
	}
	now = now.Add(time.Hour)

	// In a framework's handler, with its request r:
	profile := func(r *http.Request) {
		tok, err := httpauth.BearerToken(r)
		if err == nil {
			_, err = m.RequireAccess(r.Context(), tok)
		}
		resp := httpauth.ResponseFor("example", err)
		fmt.Println(resp.Status, resp.Challenge)
	}
	profile(httptest.NewRequest("GET", "/profile", nil))
	r := httptest.NewRequest("GET", "/profile", nil)
	r.Header.Set("Authorization", "Bearer "+login.Access)
	profile(r)

	resp := httpauth.ResponseFor("example", fmt.Errorf("revocation check: %w", freshtoken.ErrStoreUnavailable))
	fmt.Println(resp.Status, resp.Code)
	// Output:
	// 401 Bearer realm="example"
	// 401 Bearer realm="example", error="invalid_token", error_description="The token expired"
	// 503 temporarily_unavailable
}

// Browser clients keep their tokens in cookies. Tokens issued WithCSRF carry
// the value the page must echo in the X-CSRF-TOKEN header.
func ExampleMiddleware_SetCookies() {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	m, err := freshtoken.New(freshtoken.Config{
		Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)),
		Now: func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	mw, err := httpauth.New(m, httpauth.Config{
		Sources: []httpauth.Source{httpauth.FromCookie, httpauth.FromHeader},
		Cookies: httpauth.CookieConfig{RefreshPath: "/auth/"},
	})
	if err != nil {
		log.Fatal(err)
	}

	// In the login handler, once the password is checked:
	w := httptest.NewRecorder()
	pair, err := m.Issue(context.Background(), "user-42", freshtoken.WithCSRF())
	if err != nil {
		log.Fatal(err)
	}
	if err := mw.SetCookies(w, pair); err != nil {
		log.Fatal(err)
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
	m, err := freshtoken.New(freshtoken.Config{Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))})
	if err != nil {
		log.Fatal(err)
	}
	mw, err := httpauth.New(m, httpauth.Config{
		Sources: []httpauth.Source{httpauth.FromCookie},
		Cookies: httpauth.CookieConfig{HostPrefix: true},
	})
	if err != nil {
		log.Fatal(err)
	}

	w := httptest.NewRecorder()
	pair, err := m.Issue(context.Background(), "user-42", freshtoken.WithCSRF())
	if err != nil {
		log.Fatal(err)
	}
	if err := mw.SetCookies(w, pair); err != nil {
		log.Fatal(err)
	}
	for _, c := range w.Result().Cookies() {
		fmt.Printf("%s path=%s domain=%q secure=%t\n", c.Name, c.Path, c.Domain, c.Secure)
	}

	// A narrower refresh path would make browsers drop the refresh cookie.
	_, err = httpauth.New(m, httpauth.Config{
		Cookies: httpauth.CookieConfig{HostPrefix: true, RefreshPath: "/auth/"},
	})
	fmt.Println(errors.Is(err, freshtoken.ErrInvalidConfig))
	// Output:
	// __Host-access_token_cookie path=/ domain="" secure=true
	// __Host-csrf_access_token path=/ domain="" secure=true
	// __Host-refresh_token_cookie path=/ domain="" secure=true
	// __Host-csrf_refresh_token path=/ domain="" secure=true
	// true
}

// A resource server guards its handlers with a verifier, which checks the
// issuing service's tokens with the keys it publishes and holds no signing
// key: New takes it as it takes a Manager.
func ExampleNew_verifier() {
	issuer, err := freshtoken.New(freshtoken.Config{Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))})
	if err != nil {
		log.Fatal(err)
	}
	jwks := httptest.NewServer(issuer.JWKSHandler()) // the issuer's /.well-known/jwks.json
	defer jwks.Close()

	ctx, stop := context.WithCancel(context.Background())
	defer stop() // ends the verifier's background refresh
	verifier, err := freshtoken.NewVerifier(ctx, freshtoken.VerifierConfig{JWKSURL: jwks.URL})
	if err != nil {
		log.Fatal(err)
	}
	mw, err := httpauth.New(verifier, httpauth.Config{Realm: "orders"})
	if err != nil {
		log.Fatal(err)
	}
	orders := mw.RequireAccess(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "orders of %s\n", httpauth.ClaimsFromContext(r.Context()).Subject)
	}))

	login, err := issuer.Issue(ctx, "user-42")
	if err != nil {
		log.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/orders", nil)
	r.Header.Set("Authorization", "Bearer "+login.Access)
	w := httptest.NewRecorder()
	orders.ServeHTTP(w, r)
	fmt.Print(w.Code, " ", w.Body)
	// Output:
	// 200 orders of user-42
}
