// Command server is a small JSON API protected by freshtoken: log in, call
// an ordinary endpoint, refresh, be refused a sensitive call until you log in
// again, log out, and fetch the keys that verify the tokens.
//
//	go run ./examples/server                  # listens on 127.0.0.1:8080
//	go run ./examples/server -addr 127.0.0.1:9000 -key ed25519.pem
//
// The demo account is demo / demo-password. Endpoints:
//
//	POST /login                  {"username","password"} -> tokens; the access token is fresh
//	POST /refresh                refresh token as Bearer -> a new access token, not fresh
//	GET  /profile                any valid access token
//	POST /change-email           {"email"}, fresh access token only
//	POST /logout                 refresh token as Bearer: ends that session
//	GET  /.well-known/jwks.json  the public keys, for other services (freshtoken.NewVerifier)
package main

import (
	"context"
	"crypto/ed25519"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/mail"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/freshtoken/freshtoken"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	keyFile := flag.String("key", "", "PEM file with an Ed25519 private key (PKCS #8); empty: generate one at start")
	username := flag.String("user", "demo", "the demo account's user name")
	password := flag.String("password", "demo-password", "the demo account's password")
	iterations := flag.Int("pbkdf2-iterations", defaultIterations, "PBKDF2-HMAC-SHA256 iterations for the password hash")
	flag.Parse()

	if err := run(*addr, *keyFile, config{username: *username, password: *password, iterations: *iterations}); err != nil {
		log.Fatal(err)
	}
}

func run(addr, keyFile string, cfg config) error {
	if keyFile != "" {
		key, err := loadKey(keyFile)
		if err != nil {
			return err
		}
		cfg.key = key
	}
	handler, err := newServer(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       time.Minute,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	log.Printf("listening on http://%s (account %q)", ln.Addr(), cfg.username)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// loadKey reads an Ed25519 private key in a PKCS #8 PEM block, as
// `openssl genpkey -algorithm ed25519` writes it.
func loadKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: no PEM block of type PRIVATE KEY", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ed, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: a %T, not an Ed25519 key", path, key)
	}
	return ed, nil
}

// defaultIterations is OWASP's recommendation for PBKDF2-HMAC-SHA256.
const defaultIterations = 600_000

// realm names the API in WWW-Authenticate challenges.
const realm = "example"

// config is what newServer needs; tests fill it without flags.
type config struct {
	key        ed25519.PrivateKey // signs the tokens; nil: a new key
	username   string             // the demo account
	password   string
	iterations int              // PBKDF2 iterations; zero: defaultIterations
	now        func() time.Time // zero: time.Now
}

// server holds the API's state: one account, kept in memory.
type server struct {
	tokens *freshtoken.Manager
	mw     *freshtoken.Middleware
	now    func() time.Time

	// The account: a hash of the user name, so comparing it takes the same
	// time whatever is typed, and a PBKDF2 hash of the password.
	userHash     [32]byte
	salt, pwHash []byte
	iterations   int

	mu     sync.Mutex
	emails map[string]string // by subject
}

// newServer returns the API's handler, ready to serve without listening on
// any port, so tests and load tests can run it in process.
func newServer(cfg config) (http.Handler, error) {
	if cfg.key == nil {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		cfg.key = key
	}
	if cfg.iterations == 0 {
		cfg.iterations = defaultIterations
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	tokens, err := freshtoken.New(freshtoken.Config{Key: cfg.key, Now: cfg.now})
	if err != nil {
		return nil, err
	}
	mw, err := freshtoken.NewMiddleware(tokens, freshtoken.MiddlewareConfig{Realm: realm})
	if err != nil {
		return nil, err
	}
	s := &server{
		tokens:     tokens,
		mw:         mw,
		now:        cfg.now,
		userHash:   sha256.Sum256([]byte(cfg.username)),
		salt:       make([]byte, 16),
		iterations: cfg.iterations,
		emails:     map[string]string{cfg.username: cfg.username + "@example.com"},
	}
	if _, err := rand.Read(s.salt); err != nil {
		return nil, err
	}
	// A real service stores this hash and salt, never the password.
	if s.pwHash, err = pbkdf2.Key(sha256.New, cfg.password, s.salt, s.iterations, 32); err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", s.login)
	mux.Handle("POST /refresh", mw.RequireRefresh(http.HandlerFunc(s.refresh)))
	mux.Handle("GET /profile", mw.RequireAccess(http.HandlerFunc(s.profile)))
	mux.Handle("POST /change-email", mw.RequireFresh(http.HandlerFunc(s.changeEmail)))
	mux.Handle("POST /logout", mw.RequireRefresh(http.HandlerFunc(s.logout)))
	mux.Handle("GET /.well-known/jwks.json", tokens.JWKSHandler())
	return mux, nil
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

func (s *server) login(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if !s.checkPassword(req.Username, req.Password) {
		// 400 and invalid_grant, as an OAuth token endpoint answers wrong
		// credentials (RFC 6749 §5.2): a 401 would need a challenge, and no
		// Authorization header could fix this request.
		writeJSON(w, http.StatusBadRequest, errorBody("invalid_grant", "Wrong user name or password"))
		return
	}
	pair, err := s.tokens.Issue(r.Context(), req.Username)
	if err != nil {
		s.mw.WriteError(w, r, err)
		return
	}
	s.writeTokens(w, pair)
}

func (s *server) refresh(w http.ResponseWriter, r *http.Request) {
	pair, err := s.tokens.Refresh(r.Context(), freshtoken.TokenFromContext(r.Context()))
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
	c := freshtoken.ClaimsFromContext(r.Context())
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
	c := freshtoken.ClaimsFromContext(r.Context())
	s.mu.Lock()
	s.emails[c.Subject] = addr.Address
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"email": addr.Address})
}

// logout ends the session of the refresh token it is called with: the
// refresh token and every access token issued or refreshed from it are
// refused from now on (ErrRevoked), other sessions of the user go on. The
// revocations live in the Manager's default MemoryStore, which is right for
// one process; several instances would share a store (see redisstore). A
// store failure answers 503: the session may not have ended.
func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.tokens.Logout(r.Context(), freshtoken.TokenFromContext(r.Context())); err != nil {
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
