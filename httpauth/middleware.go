package httpauth

import (
	"context"
	"net/http"
	"slices"
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
//
// A Guard that is also a [Notifier] (a Manager, or a Verifier, is) hears
// of the requests the Middleware refuses after the Guard accepted their
// token: each CSRF failure becomes a freshtoken.EventCSRFFailed, passed
// to the Guard's Config.Events hook with the request's context, beside
// the events the Guard reports itself.
type Guard interface {
	RequireAccess(ctx context.Context, token string) (*freshtoken.Claims, error)
	RequireFresh(ctx context.Context, token string) (*freshtoken.Claims, error)
	RequireLoginWithin(ctx context.Context, token string, maxAge time.Duration) (*freshtoken.Claims, error)
	RequireRefresh(ctx context.Context, token string) (*freshtoken.Claims, error)
}

// Notifier is the method a Guard may have to hear of the security events
// the Middleware finds: freshtoken.Verifier.Notify, which passes them to
// the Config.Events hook. It is called on the request's goroutine, with
// the request's context, and must return quickly; an Event never carries
// the token or the CSRF value.
type Notifier interface {
	Notify(ctx context.Context, e freshtoken.Event)
}

var (
	_ Guard    = (*freshtoken.Manager)(nil)
	_ Guard    = (*freshtoken.Verifier)(nil)
	_ Notifier = (*freshtoken.Manager)(nil)
	_ Notifier = (*freshtoken.Verifier)(nil)
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
	// SetCookies and the CSRF header in place; SetCookies refuses to run
	// without it. FromFunc makes a place of your own, such as a query
	// parameter for WebSocket handshakes; read its warning first.
	Sources []Source

	// Cookies names and shapes the cookies of FromCookie and SetCookies.
	Cookies CookieConfig

	// ErrorWriter answers a request the middleware refuses. Zero:
	// ResponseFor(Realm, err).Write(w). Replace it to log, or to answer in
	// another format; ResponseFor tells which status and challenge fit err.
	ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

	// PassPreflight lets CORS preflight requests (OPTIONS with an
	// Access-Control-Request-Method header) through every guard untouched,
	// to the next handler with no claims in the context. Browsers send a
	// preflight without credentials before a cross-origin request with an
	// Authorization header, so a guard would refuse it and the real request
	// would never be made. Set it when the CORS handler sits inside the
	// guard (mw.RequireAccess(cors(h))) or the router hands OPTIONS to the
	// guarded route. Zero: false, preflights are refused like any request
	// without a token.
	//
	// It is off by default because it lets a request from anyone reach the
	// handler: one that does not answer OPTIONS itself (through the CORS
	// handler) runs unauthenticated, with nil ClaimsFromContext. Putting the
	// CORS handler outside the guard (cors(mw.RequireAccess(h))) needs no
	// option: it answers preflights before they reach the guard.
	PassPreflight bool
}

// Middleware guards http.Handlers with a Guard's checks, for net/http and
// any router that takes http.Handler middleware. It is safe for concurrent use.
type Middleware struct {
	g             Guard
	notifier      Notifier // g, when it is one; nil otherwise
	realm         string
	sources       []Source
	readsCookies  bool // FromCookie is among sources
	cookies       CookieConfig
	csrfHeader    string // canonical form of cookies.CSRFHeader
	writeError    func(http.ResponseWriter, *http.Request, error)
	passPreflight bool
}

// New checks cfg and returns the middleware that guards handlers with g.
// Errors match freshtoken.ErrInvalidConfig. It panics if g is nil.
func New(g Guard, cfg Config) (*Middleware, error) {
	if g == nil {
		panic("httpauth: New needs a Guard: a Manager from freshtoken.New, or what freshtoken.NewVerifier returns")
	}
	if !printable(cfg.Realm) {
		return nil, newError(freshtoken.ErrInvalidConfig, "Realm must be printable ASCII, not "+strconv.Quote(cfg.Realm))
	}
	sources, err := checkSources(cfg.Sources)
	if err != nil {
		return nil, err
	}
	cookies, err := cfg.Cookies.withDefaults()
	if err != nil {
		return nil, err
	}
	notifier, _ := g.(Notifier)
	mw := &Middleware{
		g:             g,
		notifier:      notifier,
		realm:         cfg.Realm,
		sources:       sources,
		readsCookies:  slices.Contains(sources, FromCookie),
		cookies:       cookies,
		csrfHeader:    http.CanonicalHeaderKey(cookies.CSRFHeader),
		writeError:    cfg.ErrorWriter,
		passPreflight: cfg.PassPreflight,
	}
	if mw.writeError == nil {
		mw.writeError = func(w http.ResponseWriter, _ *http.Request, err error) {
			ResponseFor(mw.realm, err).Write(w)
		}
	}
	return mw, nil
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
	return mw.handler(next, RuleAccess)
}

// OptionalAccess is RequireAccess for pages that serve everyone but show
// more to a logged-in user. A request in which no Source finds a token goes
// through with nil ClaimsFromContext; one with a token goes through only if
// RequireAccess would let it, and is otherwise refused as RequireAccess
// refuses it: an invalid, expired or revoked token, a token from a cookie
// that fails the CSRF check, and a store that cannot be asked all get the
// ErrorWriter's answer, never an anonymous pass. A client holding a bad
// token is told so, as Flask-JWT-Extended's jwt_required(optional=True)
// tells it: one with an expired token learns to refresh it instead of
// seeing the page as a stranger, and a handler never has to ask whether
// nil claims meant "no token" or "a token that failed".
//
// "No token" means what ErrNoToken means: an Authorization header with
// another scheme (say Basic, from a proxy in front of a staging site)
// counts as none, while a broken header or two cookies of one name do not.
func (mw *Middleware) OptionalAccess(next http.Handler) http.Handler {
	return mw.handler(next, RuleOptionalAccess)
}

// RequireFresh lets a request through only with a fresh access token
// (Guard.RequireFresh): the guard for sensitive actions. A valid token that
// is not fresh is answered 401 with an RFC 9470
// "insufficient_user_authentication" challenge, which tells the client to
// make the user log in again.
func (mw *Middleware) RequireFresh(next http.Handler) http.Handler {
	return mw.handler(next, RuleFresh)
}

// RequireLoginWithin returns middleware that lets a request through only
// when the user logged in at most maxAge ago (Guard.RequireLoginWithin).
// A token from an older login is answered 401 with an RFC 9470 challenge
// whose max_age is maxAge in seconds. It panics if maxAge is not positive.
func (mw *Middleware) RequireLoginWithin(maxAge time.Duration) func(http.Handler) http.Handler {
	rule := RuleLoginWithin(maxAge)
	return func(next http.Handler) http.Handler {
		return mw.handler(next, rule)
	}
}

// RequireRefresh lets a request through only with a valid refresh token
// (Guard.RequireRefresh), for refresh and logout endpoints. The handler
// finds the token itself with TokenFromContext, to pass to Manager.Refresh
// or Manager.Logout.
func (mw *Middleware) RequireRefresh(next http.Handler) http.Handler {
	return mw.handler(next, RuleRefresh)
}

// WriteError answers a refused request with the configured ErrorWriter, for
// handlers whose own calls fail (Manager.Refresh in a refresh endpoint) and
// for the adapters of other frameworks, after Authenticate.
func (mw *Middleware) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	mw.writeError(w, r, err)
}

// handler is every guard's handler: Authenticate, and the claims into the
// context when there are any.
func (mw *Middleware) handler(next http.Handler, rule Rule) http.Handler {
	if next == nil {
		panic("httpauth: middleware needs a handler to wrap")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, tok, src, err := mw.Authenticate(r, rule)
		switch {
		case err != nil:
			mw.writeError(w, r, err)
		case c == nil:
			next.ServeHTTP(w, r)
		default:
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), authKey{}, &auth{claims: c, token: tok, src: src})))
		}
	})
}

type authKey struct{}

type auth struct {
	claims *freshtoken.Claims
	token  string
	src    Source
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

// SourceFromContext returns the Source the verified token of the request
// came from (FromHeader, FromCookie, or one of FromFunc), or the zero Source
// if the request did not pass through a guard with a token.
func SourceFromContext(ctx context.Context) Source {
	if a, ok := ctx.Value(authKey{}).(*auth); ok {
		return a.src
	}
	return Source{}
}
