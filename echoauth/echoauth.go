package echoauth

import (
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/httpauth"
	"github.com/labstack/echo/v4"
)

// The keys under which a guard puts what it verified into the
// echo.Context, for c.Get; ClaimsFrom, TokenFrom and SourceFrom read them
// typed.
const (
	ClaimsKey = "freshtoken.claims" // *freshtoken.Claims
	TokenKey  = "freshtoken.token"  // string: the token itself
	SourceKey = "freshtoken.source" // httpauth.Source: where it came from
)

// Middleware guards echo handlers with an httpauth.Middleware's checks. It
// is safe for concurrent use.
type Middleware struct{ mw *httpauth.Middleware }

// New is httpauth.New for echo: it checks cfg and returns the middleware
// that guards handlers with g. Errors match freshtoken.ErrInvalidConfig. It
// panics if g is nil.
func New(g httpauth.Guard, cfg httpauth.Config) (*Middleware, error) {
	mw, err := httpauth.New(g, cfg)
	if err != nil {
		return nil, err
	}
	return &Middleware{mw: mw}, nil
}

// RequireAccess lets a request through with any valid access token, as
// httpauth's Middleware.RequireAccess does.
func (m *Middleware) RequireAccess(next echo.HandlerFunc) echo.HandlerFunc {
	return m.guard(next, httpauth.RuleAccess)
}

// OptionalAccess lets a request without a token through with no claims,
// and one with a token only if RequireAccess would, as httpauth's
// Middleware.OptionalAccess does.
func (m *Middleware) OptionalAccess(next echo.HandlerFunc) echo.HandlerFunc {
	return m.guard(next, httpauth.RuleOptionalAccess)
}

// RequireFresh lets a request through only with a fresh access token, as
// httpauth's Middleware.RequireFresh does.
func (m *Middleware) RequireFresh(next echo.HandlerFunc) echo.HandlerFunc {
	return m.guard(next, httpauth.RuleFresh)
}

// RequireRefresh lets a request through only with a valid refresh token,
// for refresh and logout endpoints, as httpauth's Middleware.RequireRefresh
// does; the handler reads the token with TokenFrom.
func (m *Middleware) RequireRefresh(next echo.HandlerFunc) echo.HandlerFunc {
	return m.guard(next, httpauth.RuleRefresh)
}

// RequireLoginWithin returns the guard that lets a request through only
// when the user logged in at most maxAge ago, as httpauth's
// Middleware.RequireLoginWithin does. It panics if maxAge is not positive.
func (m *Middleware) RequireLoginWithin(maxAge time.Duration) echo.MiddlewareFunc {
	rule := httpauth.RuleLoginWithin(maxAge)
	return func(next echo.HandlerFunc) echo.HandlerFunc { return m.guard(next, rule) }
}

func (m *Middleware) guard(next echo.HandlerFunc, rule httpauth.Rule) echo.HandlerFunc {
	if next == nil {
		panic("echoauth: middleware needs a handler to wrap")
	}
	return func(c echo.Context) error {
		claims, tok, src, err := m.mw.Authenticate(c.Request(), rule)
		if err != nil {
			m.mw.WriteError(c.Response(), c.Request(), err)
			return nil
		}
		if claims != nil {
			c.Set(ClaimsKey, claims)
			c.Set(TokenKey, tok)
			c.Set(SourceKey, src)
		}
		return next(c)
	}
}

// WriteError answers c as a refused request, for handlers whose own calls
// fail (Manager.Refresh in a refresh endpoint). It returns nil, for the
// handler to return.
func (m *Middleware) WriteError(c echo.Context, err error) error {
	m.mw.WriteError(c.Response(), c.Request(), err)
	return nil
}

// SetCookies puts a Pair from Issue or Refresh into cookies, as httpauth's
// Middleware.SetCookies does, and fails as it does.
func (m *Middleware) SetCookies(c echo.Context, p *freshtoken.Pair) error {
	return m.mw.SetCookies(c.Response(), p)
}

// ClearCookies tells the browser to delete the cookies SetCookies sets, as
// part of a logout. It does not revoke the tokens.
func (m *Middleware) ClearCookies(c echo.Context) { m.mw.ClearCookies(c.Response()) }

// ClaimsFrom returns the verified claims a guard put into c, or nil if the
// request did not pass through one with a token.
func ClaimsFrom(c echo.Context) *freshtoken.Claims {
	claims, _ := c.Get(ClaimsKey).(*freshtoken.Claims)
	return claims
}

// TokenFrom returns the verified token a guard put into c, or "". A refresh
// endpoint behind RequireRefresh passes it to Manager.Refresh.
func TokenFrom(c echo.Context) string {
	tok, _ := c.Get(TokenKey).(string)
	return tok
}

// SourceFrom returns the Source the verified token came from, or the zero
// Source.
func SourceFrom(c echo.Context) httpauth.Source {
	src, _ := c.Get(SourceKey).(httpauth.Source)
	return src
}
