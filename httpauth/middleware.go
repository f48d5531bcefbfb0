package httpauth

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strconv"
	"time"

	"github.com/freshtoken/freshtoken"
)

// This file is everything between an HTTP request and a guard: finding the
// token, running the guard, checking CSRF for a cookie, and handing the
// claims to the handler.

// Guard checks tokens for a Middleware. *freshtoken.Manager implements it,
// and so does the verify-only value freshtoken.NewVerifier returns; another
// implementation must keep the same contract:
//
//   - The methods are safe for concurrent use: a Middleware calls them from
//     the goroutine of every request.
//   - ctx is the request's context; a call that waits (for a revocation
//     store, for a JWK Set) stops waiting when it ends.
//   - On success a method returns the token's claims, never nil, and a nil
//     error; on failure nil claims and an error that matches one of
//     freshtoken's sentinels with errors.Is, which ResponseFor turns into
//     the answer. An error it does not know is answered as an invalid token:
//     a failure never lets a request through.
//   - RequireAccess, RequireFresh and RequireLoginWithin accept access tokens
//     only, RequireRefresh refresh tokens only.
//   - RequireLoginWithin is called with a positive maxAge only.
type Guard interface {
	RequireAccess(ctx context.Context, token string) (*freshtoken.Claims, error)
	RequireFresh(ctx context.Context, token string) (*freshtoken.Claims, error)
	RequireLoginWithin(ctx context.Context, token string, maxAge time.Duration) (*freshtoken.Claims, error)
	RequireRefresh(ctx context.Context, token string) (*freshtoken.Claims, error)
}

var _ Guard = (*freshtoken.Manager)(nil)

// Source is a place in a request where a Middleware looks for a token.
type Source uint8

const (
	// FromHeader reads "Authorization: Bearer <token>" (RFC 6750 §2.1), as
	// BearerToken does.
	FromHeader Source = iota + 1
	// FromCookie reads the access or refresh cookie that
	// Middleware.SetCookies writes. A token from a cookie must also pass the
	// double-submit CSRF check on requests whose method is not safe.
	FromCookie
)

// Config configures New. The zero value of every field means the default
// stated beside it.
type Config struct {
	// Realm is the "realm" of every WWW-Authenticate challenge, printable
	// ASCII. Zero: challenges carry no realm.
	Realm string

	// Sources are the places to look for a token, in order. The first place
	// that holds one decides: if that token fails, the others are not tried.
	// Zero: FromHeader only. Add FromCookie only for browser clients, with
	// SetCookies and the CSRF header in place.
	Sources []Source

	// Cookies names and shapes the cookies of FromCookie and SetCookies.
	Cookies CookieConfig

	// ErrorWriter answers a request the middleware refuses. Zero:
	// ResponseFor(Realm, err).Write(w). Replace it to log, or to answer in
	// another format; ResponseFor tells which status and challenge fit err.
	ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)
}

// Middleware guards http.Handlers with a Guard's checks, for net/http and
// any router that takes http.Handler middleware. It is safe for concurrent use.
type Middleware struct {
	g          Guard
	realm      string
	sources    []Source
	cookies    CookieConfig
	csrfHeader string // canonical form of cookies.CSRFHeader
	writeError func(http.ResponseWriter, *http.Request, error)
}

// New checks cfg and returns the middleware that guards handlers with g.
// Errors match freshtoken.ErrInvalidConfig. It panics if g is nil.
func New(g Guard, cfg Config) (*Middleware, error) {
	if g == nil {
		panic("httpauth: New needs a Guard: a Manager from freshtoken.New, or what freshtoken.NewVerifier returns")
	}
	if !printable(cfg.Realm) {
		return nil, newError(freshtoken.ErrInvalidConfig, "Realm must be printable ASCII")
	}
	sources, err := checkSources(cfg.Sources)
	if err != nil {
		return nil, err
	}
	cookies, err := cfg.Cookies.withDefaults()
	if err != nil {
		return nil, err
	}
	mw := &Middleware{
		g:          g,
		realm:      cfg.Realm,
		sources:    sources,
		cookies:    cookies,
		csrfHeader: http.CanonicalHeaderKey(cookies.CSRFHeader),
		writeError: cfg.ErrorWriter,
	}
	if mw.writeError == nil {
		mw.writeError = func(w http.ResponseWriter, _ *http.Request, err error) {
			ResponseFor(mw.realm, err).Write(w)
		}
	}
	return mw, nil
}

// checkSources returns a copy of sources, or the default, once checked.
func checkSources(sources []Source) ([]Source, error) {
	if len(sources) == 0 {
		return []Source{FromHeader}, nil
	}
	seen := map[Source]bool{}
	for _, s := range sources {
		if s != FromHeader && s != FromCookie {
			return nil, newError(freshtoken.ErrInvalidConfig, "unknown Source "+strconv.Itoa(int(s)))
		}
		if seen[s] {
			return nil, newError(freshtoken.ErrInvalidConfig, "Sources lists a place twice")
		}
		seen[s] = true
	}
	return append([]Source(nil), sources...), nil
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// RequireAccess lets a request through with any valid access token
// (Guard.RequireAccess). The handler reads the claims with
// ClaimsFromContext; a refused request gets the ErrorWriter's answer.
func (mw *Middleware) RequireAccess(next http.Handler) http.Handler {
	return mw.guard(next, freshtoken.AccessToken, mw.g.RequireAccess)
}

// RequireFresh lets a request through only with a fresh access token
// (Guard.RequireFresh): the guard for sensitive actions. A valid token that
// is not fresh is answered 401 with an RFC 9470
// "insufficient_user_authentication" challenge, which tells the client to
// make the user log in again.
func (mw *Middleware) RequireFresh(next http.Handler) http.Handler {
	return mw.guard(next, freshtoken.AccessToken, mw.g.RequireFresh)
}

// RequireLoginWithin returns middleware that lets a request through only
// when the user logged in at most maxAge ago (Guard.RequireLoginWithin).
// A token from an older login is answered 401 with an RFC 9470 challenge
// whose max_age is maxAge in seconds. It panics if maxAge is not positive.
func (mw *Middleware) RequireLoginWithin(maxAge time.Duration) func(http.Handler) http.Handler {
	if maxAge <= 0 {
		panic("httpauth: RequireLoginWithin needs a positive maxAge")
	}
	check := func(ctx context.Context, tok string) (*freshtoken.Claims, error) {
		return mw.g.RequireLoginWithin(ctx, tok, maxAge)
	}
	return func(next http.Handler) http.Handler {
		return mw.guard(next, freshtoken.AccessToken, check)
	}
}

// RequireRefresh lets a request through only with a valid refresh token
// (Guard.RequireRefresh), for refresh and logout endpoints. The handler
// finds the token itself with TokenFromContext, to pass to Manager.Refresh
// or Manager.Logout.
func (mw *Middleware) RequireRefresh(next http.Handler) http.Handler {
	return mw.guard(next, freshtoken.RefreshToken, mw.g.RequireRefresh)
}

// WriteError answers a refused request with the configured ErrorWriter, for
// handlers whose own calls fail (Manager.Refresh in a refresh endpoint).
func (mw *Middleware) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	mw.writeError(w, r, err)
}

type checkFunc func(ctx context.Context, token string) (*freshtoken.Claims, error)

func (mw *Middleware) guard(next http.Handler, want freshtoken.TokenType, check checkFunc) http.Handler {
	if next == nil {
		panic("httpauth: middleware needs a handler to wrap")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, c, err := mw.authenticate(r, want, check)
		if err != nil {
			mw.writeError(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), authKey{}, &auth{claims: c, token: tok})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

var errNoClaims = newError(freshtoken.ErrInvalidConfig, "the Guard returned neither claims nor an error")

// authenticate finds the token, runs the guard and, for a cookie, the CSRF
// check. The CSRF check comes last so that a request without a valid token
// is told so (401) rather than about CSRF (403).
func (mw *Middleware) authenticate(r *http.Request, want freshtoken.TokenType, check checkFunc) (string, *freshtoken.Claims, error) {
	tok, fromCookie, err := mw.extract(r, want)
	if err != nil {
		return "", nil, err
	}
	c, err := check(r.Context(), tok)
	if err != nil {
		return "", nil, err
	}
	if c == nil { // a Guard that breaks its contract refuses, never lets through
		return "", nil, errNoClaims
	}
	if fromCookie && !safeMethod(r.Method) {
		if err := mw.checkCSRF(r, c); err != nil {
			return "", nil, err
		}
	}
	return tok, c, nil
}

var errNoToken = newError(ErrNoToken, "none in the places the middleware looks")

// extract returns the token from the first configured place that holds one.
func (mw *Middleware) extract(r *http.Request, want freshtoken.TokenType) (tok string, fromCookie bool, err error) {
	for _, s := range mw.sources {
		switch s {
		case FromHeader:
			tok, err = bearerToken(r.Header)
		case FromCookie:
			name := mw.cookies.AccessName
			if want == freshtoken.RefreshToken {
				name = mw.cookies.RefreshName
			}
			tok, err = cookieToken(r, name)
		}
		if err != nil || tok != "" {
			return tok, s == FromCookie, err
		}
	}
	return "", false, errNoToken
}

// safeMethod reports whether the method is safe (RFC 9110 §9.2.1): such
// requests change nothing, so a forged one does no harm and needs no CSRF check.
func safeMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

var (
	errCSRFUnbound  = newError(ErrCSRF, `the token has no "csrf" claim; issue it WithCSRF to use it from a cookie`)
	errCSRFMissing  = newError(ErrCSRF, "no CSRF header, or more than one")
	errCSRFMismatch = newError(ErrCSRF, "the CSRF header does not match the token")
)

// checkCSRF is the double-submit check: the header must repeat the token's
// "csrf" claim, which only a page that can read the CSRF cookie knows.
func (mw *Middleware) checkCSRF(r *http.Request, c *freshtoken.Claims) error {
	if c.CSRF == "" {
		return errCSRFUnbound
	}
	values := r.Header[mw.csrfHeader]
	if len(values) != 1 {
		return errCSRFMissing
	}
	if subtle.ConstantTimeCompare([]byte(values[0]), []byte(c.CSRF)) != 1 {
		return errCSRFMismatch
	}
	return nil
}

type authKey struct{}

type auth struct {
	claims *freshtoken.Claims
	token  string
}

// ClaimsFromContext returns the verified claims a Middleware guard put in the
// request's context, or nil if the request did not pass through one.
func ClaimsFromContext(ctx context.Context) *freshtoken.Claims {
	if a, ok := ctx.Value(authKey{}).(*auth); ok {
		return a.claims
	}
	return nil
}

// TokenFromContext returns the verified token a Middleware guard put in the
// request's context, or "" if the request did not pass through one. A
// refresh endpoint behind RequireRefresh passes it to Manager.Refresh.
func TokenFromContext(ctx context.Context) string {
	if a, ok := ctx.Value(authKey{}).(*auth); ok {
		return a.token
	}
	return ""
}
