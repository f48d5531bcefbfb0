package api

// This file is the browser mode: a page under /app/ whose tokens live in
// cookies the page's scripts cannot read, and the endpoints it calls.
//
// How each threat is met:
//
//   - Script injection cannot steal a token: the access and refresh cookies
//     are HttpOnly. The page reads only the CSRF cookies.
//   - Another origin cannot make the browser act for the user: every request
//     that carries a token cookie and changes state must repeat the token's
//     CSRF value in X-CSRF-TOKEN (double submit, checked by httpauth), and
//     only pages of this origin can read the CSRF cookies to do so. This
//     holds even where SameSite does not help: a page on another port of the
//     same host, or on another subdomain, is "same-site", and the browser
//     sends it the cookies.
//   - Login carries no token yet, so double submit cannot guard it; Go's
//     http.CrossOriginProtection refuses a cross-origin POST there (login
//     CSRF, where an attacker logs the victim in to the attacker's account).
//   - The long-lived refresh token travels only to /app/auth/ (RefreshPath),
//     never with the page's other requests.
//   - The cookies are Secure, so they never travel over plain http, where
//     anyone on the path could read them. Loopback is the exception that
//     makes local work possible: Chrome and Firefox count http://localhost
//     and http://127.0.0.1 as secure contexts and keep Secure cookies from
//     them. Safari does not, and a page reached over plain http at any
//     other address gets no cookie at all (the page says so); for those,
//     Config.InsecureCookies drops Secure. HostPrefix ("__Host-" names)
//     would also keep other subdomains from planting cookies, but it
//     requires the refresh cookie on Path=/, so that token would travel
//     with every request; this example keeps the refresh cookie on its path.

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/httpauth"
)

// web holds the page: index.html, app.js and app.css.
//
//go:embed web
var web embed.FS

// refreshPath is where browsers send the refresh cookie: the refresh and
// logout endpoints, and nothing else.
const refreshPath = "/app/auth/"

// pagePolicy allows the page to load its own script and style and nothing
// else: no inline script, no other origin, no framing by other sites.
const pagePolicy = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// newCookieMiddleware returns the browser mode's middleware: it reads
// tokens from cookies only, so a bearer token is not accepted under /app/,
// and the JSON API's middleware never reads a cookie.
//
// The cookies are session cookies (SessionCookies): they carry no Expires,
// so the browser keeps sending an access token after it expires, and the
// server answers 401 invalid_token "The token expired", which the page
// answers with a silent refresh. With expiring cookies the browser would
// drop the access cookie at its expiry and the server would see no token at
// all (401 without an error code), telling a logged-out user from one whose
// token expired only by whether a refresh cookie is left.
func newCookieMiddleware(tokens *freshtoken.Manager, insecure bool) (*httpauth.Middleware, error) {
	return httpauth.New(tokens, httpauth.Config{
		Realm:   realm,
		Sources: []httpauth.Source{httpauth.FromCookie},
		Cookies: httpauth.CookieConfig{
			RefreshPath:    refreshPath,
			SessionCookies: true,
			Insecure:       insecure,
		},
	})
}

// routeBrowser adds the page and its endpoints to mux.
func (s *server) routeBrowser(mux *http.ServeMux) {
	page, err := fs.Sub(web, "web")
	if err != nil {
		panic(err) // the embed directive above names the directory
	}
	mux.Handle("GET /{$}", http.RedirectHandler("/app/", http.StatusFound))
	mux.Handle("GET /app/", pageHeaders(http.StripPrefix("/app", http.FileServerFS(page))))
	mux.Handle("POST /app/login", http.NewCrossOriginProtection().Handler(http.HandlerFunc(s.cookieLogin)))
	mux.Handle("GET /app/profile", s.cookies.RequireAccess(http.HandlerFunc(s.profile)))
	mux.Handle("POST /app/change-email", s.cookies.RequireFresh(http.HandlerFunc(s.changeEmail)))
	mux.Handle("POST "+refreshPath+"refresh", s.cookies.RequireRefresh(http.HandlerFunc(s.cookieRefresh)))
	mux.Handle("POST "+refreshPath+"logout", s.cookies.RequireRefresh(http.HandlerFunc(s.cookieLogout)))
}

// pageHeaders adds the page's security headers.
func pageHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", pagePolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// cookieLogin is login for the page: the tokens go into cookies, with the
// CSRF values the page must echo.
func (s *server) cookieLogin(w http.ResponseWriter, r *http.Request) {
	user, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	pair, err := s.tokens.Issue(r.Context(), user, freshtoken.WithCSRF(), sessionLabels(r))
	if err != nil {
		s.cookies.WriteError(w, r, err)
		return
	}
	s.writeCookies(w, r, pair)
}

func (s *server) cookieRefresh(w http.ResponseWriter, r *http.Request) {
	pair, err := s.tokens.Refresh(r.Context(), httpauth.TokenFromContext(r.Context()))
	if err != nil {
		s.cookies.WriteError(w, r, err)
		return
	}
	s.writeCookies(w, r, pair)
}

func (s *server) writeCookies(w http.ResponseWriter, r *http.Request, p *freshtoken.Pair) {
	if err := s.cookies.SetCookies(w, p); err != nil {
		s.cookies.WriteError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// cookieLogout ends the session, as logout does, and deletes the cookies.
// A refused request (a session already over, a store that cannot be
// reached) keeps them: the page shows the login form either way, and the
// next login replaces them.
func (s *server) cookieLogout(w http.ResponseWriter, r *http.Request) {
	if err := s.tokens.Logout(r.Context(), httpauth.TokenFromContext(r.Context())); err != nil {
		s.cookies.WriteError(w, r, err)
		return
	}
	s.cookies.ClearCookies(w)
	w.WriteHeader(http.StatusNoContent)
}
