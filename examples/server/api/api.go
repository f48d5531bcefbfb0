// Package api is the example server's JSON API as an http.Handler, so that
// tests and load tests can run it in process, on any port or none.
//
// Endpoints for clients that keep their own tokens:
//
//	POST /login                  {"username","password"} -> tokens; the access token is fresh
//	POST /refresh                refresh token as Bearer -> a new access token, not fresh
//	GET  /profile                any valid access token
//	POST /change-email           {"email"}, fresh access token only
//	POST /logout                 refresh token as Bearer: ends that session
//	GET  /sessions               any valid access token: where the user is logged in (sessions.go)
//	DELETE /sessions/{id}        ends one: the caller's own with any access token, another with a fresh one
//	GET  /.well-known/jwks.json  the public keys, for other services (freshtoken.NewVerifier)
//
// The browser mode, a page that keeps its tokens in HttpOnly cookies (see
// browser.go for the cookies and the CSRF defences):
//
//	GET  /app/                   the page (HTML and plain JavaScript, embedded in the binary)
//	POST /app/login              {"username","password"} -> 204 and the cookies; fresh
//	GET  /app/profile            access cookie
//	POST /app/change-email       {"email"}, access cookie from a login (fresh) and X-CSRF-TOKEN
//	POST /app/auth/refresh       refresh cookie and X-CSRF-TOKEN -> 204, a new access cookie, not fresh
//	POST /app/auth/logout        refresh cookie and X-CSRF-TOKEN -> 204, ends the session, clears the cookies
//	GET  /app/sessions           access cookie: the user's sessions
//	DELETE /app/sessions/{id}    access cookie and X-CSRF-TOKEN, as DELETE /sessions/{id}
//
// The two sets share the account and the sessions, but not the places they
// read tokens from: /app/ reads only cookies, the others only the
// Authorization header.
//
// Every request that carries a token needs the revocation store. When the
// store fails, those requests answer 503 (temporarily_unavailable): no token
// is accepted, and none is called revoked, while nobody can tell. Login
// needs the store too, to record the session (with the client's User-Agent
// and address) in the registry that /sessions lists, and answers 503 as
// well: a login that the user could neither see nor end is worse than one
// the client tries again.
package api

import (
	"crypto/ed25519"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/mail"
	"sync"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/httpauth"
)

// DefaultIterations is OWASP's recommendation for PBKDF2-HMAC-SHA256.
const DefaultIterations = 600_000

// realm names the API in WWW-Authenticate challenges.
const realm = "example"

// Config is what New needs.
type Config struct {
	// Key signs the tokens. Zero: a new key, so tokens from an earlier
	// process stop verifying.
	Key ed25519.PrivateKey

	// Username and Password are the one account's credentials. Only a
	// PBKDF2 hash of the password is kept.
	Username, Password string

	// Iterations is the PBKDF2-HMAC-SHA256 iteration count for the password
	// hash. Zero: DefaultIterations. Fewer make login cheaper to guess
	// offline if the hash leaks; tests lower it to run fast.
	Iterations int

	// Store keeps the revocations that make logout work. Zero: a
	// MemoryStore, right for one process only; several instances share one
	// store (see the redisstore module).
	Store freshtoken.Store

	// Now is the clock. Zero: time.Now. Tests pass a clock they move, so
	// that a token expires without waiting.
	Now func() time.Time

	// MaxSessionsPerUser caps the live sessions of the account, as
	// freshtoken.SessionConfig.MaxPerUser: a login beyond it ends the
	// oldest session. Zero: no cap.
	MaxSessionsPerUser int

	// AccessTTL and RefreshTTL are the tokens' lifetimes, as in
	// freshtoken.Config. Zero: 15 minutes and 30 days. A short AccessTTL
	// shows the browser page's silent refresh within a minute.
	AccessTTL, RefreshTTL time.Duration

	// InsecureCookies drops the Secure attribute from the browser mode's
	// cookies, for a browser that will not keep Secure cookies from
	// http://localhost (Safari) or a page reached over plain http at
	// another address; anyone on the path can then read the tokens.
	// Zero: Secure, which Chrome and Firefox keep on http://localhost and
	// http://127.0.0.1 because they count loopback as a secure context.
	InsecureCookies bool
}

// server holds the API's state: one account, kept in memory.
type server struct {
	tokens  *freshtoken.Manager
	mw      *httpauth.Middleware // the Authorization header only
	cookies *httpauth.Middleware // the browser mode's cookies only
	now     func() time.Time

	// The account: a hash of the user name, so comparing it takes the same
	// time whatever is typed, and a PBKDF2 hash of the password.
	userHash     [32]byte
	salt, pwHash []byte
	iterations   int

	mu     sync.Mutex
	emails map[string]string // by subject
}

// New returns the API's handler, ready to serve without listening on any
// port.
func New(cfg Config) (http.Handler, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	s, err := newServer(cfg)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", s.login)
	mux.Handle("POST /refresh", s.mw.RequireRefresh(http.HandlerFunc(s.refresh)))
	mux.Handle("GET /profile", s.mw.RequireAccess(http.HandlerFunc(s.profile)))
	mux.Handle("POST /change-email", s.mw.RequireFresh(http.HandlerFunc(s.changeEmail)))
	mux.Handle("POST /logout", s.mw.RequireRefresh(http.HandlerFunc(s.logout)))
	mux.Handle("GET /.well-known/jwks.json", s.tokens.JWKSHandler())
	s.routeBrowser(mux)
	s.routeSessions(mux)
	return mux, nil
}

// setDefaults fills the zero fields of cfg.
func (cfg *Config) setDefaults() error {
	if cfg.Key == nil {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		cfg.Key = key
	}
	if cfg.Iterations == 0 {
		cfg.Iterations = DefaultIterations
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return nil
}

// newServer sets up the Manager, both middlewares and the demo account.
func newServer(cfg Config) (*server, error) {
	tokens, err := freshtoken.New(freshtoken.Config{
		Key:        cfg.Key,
		Now:        cfg.Now,
		Store:      cfg.Store,
		AccessTTL:  cfg.AccessTTL,
		RefreshTTL: cfg.RefreshTTL,
		Sessions:   freshtoken.SessionConfig{MaxPerUser: cfg.MaxSessionsPerUser},
	})
	if err != nil {
		return nil, err
	}
	mw, err := httpauth.New(tokens, httpauth.Config{Realm: realm})
	if err != nil {
		return nil, err
	}
	cookies, err := newCookieMiddleware(tokens, cfg.InsecureCookies)
	if err != nil {
		return nil, err
	}
	s := &server{
		tokens:     tokens,
		mw:         mw,
		cookies:    cookies,
		now:        cfg.Now,
		userHash:   sha256.Sum256([]byte(cfg.Username)),
		salt:       make([]byte, 16),
		iterations: cfg.Iterations,
		emails:     map[string]string{cfg.Username: cfg.Username + "@example.com"},
	}
	if _, err := rand.Read(s.salt); err != nil {
		return nil, err
	}
	// A real service stores this hash and salt, never the password.
	if s.pwHash, err = pbkdf2.Key(sha256.New, cfg.Password, s.salt, s.iterations, 32); err != nil {
		return nil, err
	}
	return s, nil
}

// checkPassword compares in constant time: the PBKDF2 hash is computed even
// for an unknown user, and neither comparison stops at the first difference.
func (s *server) checkPassword(username, password string) bool {
	got, err := pbkdf2.Key(sha256.New, password, s.salt, s.iterations, len(s.pwHash))
	if err != nil {
		return false
	}
	user := sha256.Sum256([]byte(username))
	return subtle.ConstantTimeCompare(user[:], s.userHash[:])&subtle.ConstantTimeCompare(got, s.pwHash) == 1
}

// tokenResponse follows the OAuth 2.0 token response (RFC 6749 §5.1).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"` // seconds until the access token expires
}

// authenticate reads the credentials of a login request and checks them,
// answering 400 when they are missing or wrong. It returns the user name,
// and false when it has answered.
func (s *server) authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if !readJSON(w, r, &req) {
		return "", false
	}
	if !s.checkPassword(req.Username, req.Password) {
		// 400 and invalid_grant, as an OAuth token endpoint answers wrong
		// credentials (RFC 6749 §5.2): a 401 would need a challenge, and no
		// Authorization header could fix this request.
		writeJSON(w, http.StatusBadRequest, errorBody("invalid_grant", "Wrong user name or password"))
		return "", false
	}
	return req.Username, true
}

func (s *server) login(w http.ResponseWriter, r *http.Request) {
	user, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	pair, err := s.tokens.Issue(r.Context(), user, sessionLabels(r))
	if err != nil {
		s.mw.WriteError(w, r, err)
		return
	}
	s.writeTokens(w, pair)
}

func (s *server) refresh(w http.ResponseWriter, r *http.Request) {
	pair, err := s.tokens.Refresh(r.Context(), httpauth.TokenFromContext(r.Context()))
	if err != nil {
		s.mw.WriteError(w, r, err)
		return
	}
	s.writeTokens(w, pair)
}

func (s *server) writeTokens(w http.ResponseWriter, p *freshtoken.Pair) {
	w.Header().Set("Cache-Control", "no-store") // RFC 6749 §5.1: tokens must not be cached
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken:  p.Access,
		RefreshToken: p.Refresh,
		TokenType:    "Bearer",
		ExpiresIn:    int64(p.AccessExpiresAt.Sub(s.now()) / time.Second), // rounded down: never promise more
	})
}

type profile struct {
	Username   string    `json:"username"`
	Email      string    `json:"email"`
	Fresh      bool      `json:"fresh"`
	LoggedInAt time.Time `json:"logged_in_at"`
}

func (s *server) profile(w http.ResponseWriter, r *http.Request) {
	c := httpauth.ClaimsFromContext(r.Context())
	s.mu.Lock()
	email := s.emails[c.Subject]
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, profile{Username: c.Subject, Email: email, Fresh: c.Fresh, LoggedInAt: c.AuthTime})
}

// changeEmail is the sensitive action: RequireFresh lets only a token from a
// login reach it, so a stolen refresh token cannot take over the account.
func (s *server) changeEmail(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Email string `json:"email"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	addr, err := mail.ParseAddress(req.Email)
	if err != nil || addr.Address != req.Email {
		writeJSON(w, http.StatusBadRequest, errorBody("invalid_request", "email must be a plain address such as name@example.com"))
		return
	}
	c := httpauth.ClaimsFromContext(r.Context())
	s.mu.Lock()
	s.emails[c.Subject] = addr.Address
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"email": addr.Address})
}

// logout ends the session of the refresh token it is called with: the
// refresh token and every access token issued or refreshed from it are
// refused from now on (ErrRevoked), other sessions of the user go on, on
// every instance sharing Config.Store. A store failure answers 503: the
// session may not have ended, and the client should log out again.
func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.tokens.Logout(r.Context(), httpauth.TokenFromContext(r.Context())); err != nil {
		s.mw.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// maxBody bounds request bodies: credentials and an email address are small.
const maxBody = 64 << 10

// readJSON decodes the request body into v, answering 400 when it cannot.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody("invalid_request", "the body must be a JSON object with the documented fields"))
		return false
	}
	return true
}

func errorBody(code, desc string) map[string]string {
	return map[string]string{"error": code, "error_description": desc}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
