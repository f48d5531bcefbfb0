package httpauth_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
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

// The refresh and logout endpoints sit behind RequireRefresh, which checks
// the refresh token and hands it over with TokenFromContext. The refresh
// endpoint answers with an OAuth 2.0 token response; after the logout, the
// refresh token is refused.
func ExampleMiddleware_RequireRefresh() {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	m, err := freshtoken.New(freshtoken.Config{
		Key:   ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)),
		Now:   func() time.Time { return now },
		Store: freshtoken.NewMemoryStore(), // Logout needs a revocation store
	})
	if err != nil {
		log.Fatal(err)
	}
	mw, err := httpauth.New(m, httpauth.Config{})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /auth/refresh", mw.RequireRefresh(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pair, err := m.Refresh(r.Context(), httpauth.TokenFromContext(r.Context()))
		if err == nil {
			err = httpauth.WriteTokenResponse(w, pair)
		}
		if err != nil {
			mw.WriteError(w, r, err)
		}
	})))
	mux.Handle("POST /auth/logout", mw.RequireRefresh(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := m.Logout(r.Context(), httpauth.TokenFromContext(r.Context())); err != nil {
			mw.WriteError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})))
	post := func(path, token string) {
		r := httptest.NewRequest("POST", path, nil)
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Println(path, w.Code)
		if challenge := w.Header().Get("WWW-Authenticate"); challenge != "" {
			fmt.Println("WWW-Authenticate:", challenge)
		}
	}

	login, err := m.Issue(context.Background(), "user-42")
	if err != nil {
		log.Fatal(err)
	}
	now = now.Add(20 * time.Minute) // the access token has expired
	post("/auth/refresh", login.Refresh)
	post("/auth/logout", login.Refresh)
	post("/auth/refresh", login.Refresh)
	// Output:
	// /auth/refresh 200
	// /auth/logout 204
	// /auth/refresh 401
	// WWW-Authenticate: Bearer error="invalid_token", error_description="The token was revoked"
}

// A login endpoint for clients that keep their tokens themselves (mobile
// apps, command-line tools, other services) answers in the shape of an
// OAuth 2.0 token response, which their HTTP libraries already parse.
func ExampleWriteTokenResponse() {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	m, err := freshtoken.New(freshtoken.Config{
		Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)),
		Now: func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}

	// In the login handler, once the password is checked:
	w := httptest.NewRecorder()
	pair, err := m.Issue(context.Background(), "user-42")
	if err != nil {
		log.Fatal(err)
	}
	if err := httpauth.WriteTokenResponse(w, pair); err != nil {
		log.Fatal(err) // in a handler: mw.WriteError(w, r, err)
	}

	fmt.Println(w.Code, w.Header().Get("Cache-Control"), w.Header().Get("Pragma"))
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		log.Fatal(err)
	}
	fmt.Println("token_type:", body["token_type"])
	fmt.Println("expires_in:", body["expires_in"])
	fmt.Println("access token sent:", body["access_token"] == pair.Access)
	fmt.Println("refresh token sent:", body["refresh_token"] == pair.Refresh)
	// Output:
	// 200 no-store no-cache
	// token_type: Bearer
	// expires_in: 900
	// access token sent: true
	// refresh token sent: true
}

// A page that serves everyone but greets a logged-in user: OptionalAccess
// lets a request without a token through without claims, and refuses a bad
// token as RequireAccess would, so a client with an expired token learns to
// refresh it instead of seeing the page as a stranger.
func ExampleMiddleware_OptionalAccess() {
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
	home := mw.OptionalAccess(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if claims := httpauth.ClaimsFromContext(r.Context()); claims != nil {
			fmt.Fprintf(w, "welcome back, %s\n", claims.Subject)
			return
		}
		io.WriteString(w, "welcome, stranger\n")
	}))
	get := func(authorization string) {
		r := httptest.NewRequest("GET", "/", nil)
		if authorization != "" {
			r.Header.Set("Authorization", authorization)
		}
		w := httptest.NewRecorder()
		home.ServeHTTP(w, r)
		fmt.Print(w.Code, " ", w.Body)
	}

	login, err := m.Issue(context.Background(), "user-42")
	if err != nil {
		log.Fatal(err)
	}
	get("")
	get("Bearer " + login.Access)
	get("Bearer not-a-token")
	now = now.Add(time.Hour)
	get("Bearer " + login.Access)
	// Output:
	// 200 welcome, stranger
	// 200 welcome back, user-42
	// 401 {"error":"invalid_token","error_description":"The token is malformed"}
	// 401 {"error":"invalid_token","error_description":"The token expired"}
}

// Browsers cannot set an Authorization header on a WebSocket handshake, so
// a live-updates endpoint takes the access token from a query parameter.
// URLs end up in access logs, browser history and Referer headers: accept
// the token there on such endpoints only, with short-lived access tokens.
func ExampleFromFunc() {
	m, err := freshtoken.New(freshtoken.Config{Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))})
	if err != nil {
		log.Fatal(err)
	}
	query := httpauth.FromFunc("query", func(r *http.Request) (string, error) {
		values := r.URL.Query()["access_token"]
		if len(values) > 1 {
			return "", fmt.Errorf("%w: more than one access_token parameter", freshtoken.ErrMalformed)
		}
		if len(values) == 0 {
			return "", nil // no token here: the next Source is tried
		}
		return values[0], nil
	})
	live, err := httpauth.New(m, httpauth.Config{Sources: []httpauth.Source{httpauth.FromHeader, query}})
	if err != nil {
		log.Fatal(err)
	}
	updates := live.RequireAccess(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "updates for %s, token from the %s\n", httpauth.ClaimsFromContext(r.Context()).Subject, httpauth.SourceFromContext(r.Context()))
	}))

	login, err := m.Issue(context.Background(), "user-42")
	if err != nil {
		log.Fatal(err)
	}
	for _, target := range []string{
		"/live?access_token=" + login.Access,
		"/live?access_token=" + login.Access + "&access_token=" + login.Access,
	} {
		w := httptest.NewRecorder()
		updates.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
		fmt.Print(w.Code, " ", w.Body)
	}
	// Output:
	// 200 updates for user-42, token from the query
	// 401 {"error":"invalid_token","error_description":"The token is malformed"}
}

// A custom ErrorWriter logs why a request was refused, which the client is
// never told, and answers as the default would: ResponseFor picks the
// status, the challenge and the body.
func ExampleConfig_errorWriter() {
	m, err := freshtoken.New(freshtoken.Config{Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))})
	if err != nil {
		log.Fatal(err)
	}
	mw, err := httpauth.New(m, httpauth.Config{
		Realm: "api",
		ErrorWriter: func(w http.ResponseWriter, r *http.Request, err error) {
			resp := httpauth.ResponseFor("api", err)
			if resp.Status >= 500 {
				fmt.Println("ALERT", r.URL.Path, err) // in production: a logger
			} else {
				fmt.Println("refused", r.URL.Path, err)
			}
			resp.Write(w)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	h := mw.RequireAccess(http.NotFoundHandler())

	r := httptest.NewRequest("GET", "/orders", nil)
	r.Header.Set("Authorization", "JWT eyJhbGciOiJFZERTQSJ9.e30.c2ln")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Print(w.Code, " ", w.Body)
	// Output:
	// refused /orders httpauth: no token in the request: the Authorization header uses the scheme "JWT"; send "Authorization: Bearer <token>"
	// 401 {"error":"missing_token","error_description":"The Authorization header does not use the Bearer scheme"}
}

// A page script reads the CSRF value from the csrf_access_token cookie and
// repeats it in the X-CSRF-TOKEN header of every state-changing request.
// A forged cross-site form makes the browser send the cookies, but cannot
// read them to set the header.
func ExampleMiddleware_SetCookies_csrfHeader() {
	m, err := freshtoken.New(freshtoken.Config{Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))})
	if err != nil {
		log.Fatal(err)
	}
	mw, err := httpauth.New(m, httpauth.Config{Sources: []httpauth.Source{httpauth.FromCookie}})
	if err != nil {
		log.Fatal(err)
	}
	transfer := mw.RequireAccess(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "transfer by %s\n", httpauth.ClaimsFromContext(r.Context()).Subject)
	}))

	// The login response sets the cookies in the browser.
	login := httptest.NewRecorder()
	pair, err := m.Issue(context.Background(), "user-42", freshtoken.WithCSRF())
	if err != nil {
		log.Fatal(err)
	}
	if err := mw.SetCookies(login, pair); err != nil {
		log.Fatal(err)
	}
	cookies := login.Result().Cookies()

	post := func(csrf string) {
		r := httptest.NewRequest("POST", "/transfer", nil)
		for _, c := range cookies {
			r.AddCookie(c) // what the browser sends back
		}
		if csrf != "" {
			r.Header.Set("X-CSRF-TOKEN", csrf)
		}
		w := httptest.NewRecorder()
		transfer.ServeHTTP(w, r)
		fmt.Print(w.Code, " ", w.Body)
	}
	for _, c := range cookies {
		if c.Name == "csrf_access_token" {
			post(c.Value) // the page's own request
		}
	}
	post("") // a forged form from another site
	// Output:
	// 200 transfer by user-42
	// 403 {"error":"csrf_failed","error_description":"The CSRF header is missing or does not match the token"}
}

// The logout endpoint of a browser client revokes the session and deletes
// the cookies: Manager.Logout with the refresh token from the cookie, then
// ClearCookies. The refresh cookie, like every cookie read on a POST, needs
// its CSRF value in the header.
func ExampleMiddleware_ClearCookies() {
	m, err := freshtoken.New(freshtoken.Config{
		Key:   ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)),
		Store: freshtoken.NewMemoryStore(),
	})
	if err != nil {
		log.Fatal(err)
	}
	mw, err := httpauth.New(m, httpauth.Config{Sources: []httpauth.Source{httpauth.FromCookie}})
	if err != nil {
		log.Fatal(err)
	}
	logout := mw.RequireRefresh(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := m.Logout(r.Context(), httpauth.TokenFromContext(r.Context())); err != nil {
			mw.WriteError(w, r, err)
			return
		}
		mw.ClearCookies(w)
		w.WriteHeader(http.StatusNoContent)
	}))

	pair, err := m.Issue(context.Background(), "user-42", freshtoken.WithCSRF())
	if err != nil {
		log.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/auth/logout", nil)
	r.AddCookie(&http.Cookie{Name: "refresh_token_cookie", Value: pair.Refresh})
	r.Header.Set("X-CSRF-TOKEN", pair.RefreshCSRF)
	w := httptest.NewRecorder()
	logout.ServeHTTP(w, r)
	fmt.Println(w.Code)
	for _, c := range w.Result().Cookies() {
		fmt.Printf("%s deleted=%t\n", c.Name, c.MaxAge < 0)
	}
	// Output:
	// 204
	// access_token_cookie deleted=true
	// csrf_access_token deleted=true
	// refresh_token_cookie deleted=true
	// csrf_refresh_token deleted=true
}

// A single-page app on another origin sends its token in the Authorization
// header, so the browser first sends a preflight without it. With the CORS
// handler inside the guard, PassPreflight lets the preflight reach it.
// (With the CORS handler outside the guard, no option is needed.)
func ExampleConfig_passPreflight() {
	m, err := freshtoken.New(freshtoken.Config{Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))})
	if err != nil {
		log.Fatal(err)
	}
	// cors stands for the application's CORS middleware.
	cors := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Access-Control-Allow-Origin", "https://app.example")
			if r.Method == http.MethodOptions {
				w.Header().Set("Access-Control-Allow-Headers", "Authorization")
				w.WriteHeader(http.StatusNoContent)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "orders\n") })

	for _, pass := range []bool{false, true} {
		mw, err := httpauth.New(m, httpauth.Config{PassPreflight: pass})
		if err != nil {
			log.Fatal(err)
		}
		r := httptest.NewRequest("OPTIONS", "/orders", nil)
		r.Header.Set("Origin", "https://app.example")
		r.Header.Set("Access-Control-Request-Method", "GET")
		r.Header.Set("Access-Control-Request-Headers", "authorization")
		w := httptest.NewRecorder()
		mw.RequireAccess(cors(api)).ServeHTTP(w, r)
		fmt.Printf("PassPreflight %t: %d, Access-Control-Allow-Headers %q\n", pass, w.Code, w.Header().Get("Access-Control-Allow-Headers"))
	}
	// Output:
	// PassPreflight false: 401, Access-Control-Allow-Headers ""
	// PassPreflight true: 204, Access-Control-Allow-Headers "Authorization"
}
