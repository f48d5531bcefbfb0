package fiberauth

import (
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/httpauth"
	"github.com/gofiber/fiber/v2"
)

// The keys under which a guard puts what it verified into the fiber.Ctx,
// for c.Locals; ClaimsFrom, TokenFrom and SourceFrom read them typed.
const (
	ClaimsKey = "freshtoken.claims" // *freshtoken.Claims
	TokenKey  = "freshtoken.token"  // string: the token itself
	SourceKey = "freshtoken.source" // httpauth.Source: where it came from
)

// Middleware guards fiber handlers with an httpauth.Middleware's checks. It
// is safe for concurrent use.
type Middleware struct{ mw *httpauth.Middleware }

// New is httpauth.New for fiber: it checks cfg and returns the middleware
// that guards handlers with g. Errors match freshtoken.ErrInvalidConfig. It
// panics if g is nil. cfg.ErrorWriter, if set, writes to fiber's response
// through an http.ResponseWriter, with the request converted as the package
// doc says.
func New(g httpauth.Guard, cfg httpauth.Config) (*Middleware, error) {
	mw, err := httpauth.New(g, cfg)
	if err != nil {
		return nil, err
	}
	return &Middleware{mw: mw}, nil
}

// RequireAccess lets a request through with any valid access token, as
// httpauth's Middleware.RequireAccess does.
func (m *Middleware) RequireAccess(c *fiber.Ctx) error { return m.guard(c, httpauth.RuleAccess) }

// OptionalAccess lets a request without a token through with no claims,
// and one with a token only if RequireAccess would, as httpauth's
// Middleware.OptionalAccess does.
func (m *Middleware) OptionalAccess(c *fiber.Ctx) error {
	return m.guard(c, httpauth.RuleOptionalAccess)
}

// RequireFresh lets a request through only with a fresh access token, as
// httpauth's Middleware.RequireFresh does.
func (m *Middleware) RequireFresh(c *fiber.Ctx) error { return m.guard(c, httpauth.RuleFresh) }

// RequireRefresh lets a request through only with a valid refresh token,
// for refresh and logout endpoints, as httpauth's Middleware.RequireRefresh
// does; the handler reads the token with TokenFrom.
func (m *Middleware) RequireRefresh(c *fiber.Ctx) error { return m.guard(c, httpauth.RuleRefresh) }

// RequireLoginWithin returns the guard that lets a request through only
// when the user logged in at most maxAge ago, as httpauth's
// Middleware.RequireLoginWithin does. It panics if maxAge is not positive.
func (m *Middleware) RequireLoginWithin(maxAge time.Duration) fiber.Handler {
	rule := httpauth.RuleLoginWithin(maxAge)
	return func(c *fiber.Ctx) error { return m.guard(c, rule) }
}

func (m *Middleware) guard(c *fiber.Ctx, rule httpauth.Rule) error {
	r := &request{c: c}
	claims, tok, src, err := m.mw.AuthenticateRequest(r, rule)
	if err != nil {
		m.mw.WriteError(&responseWriter{c: c}, r.httpRequest(), err)
		return nil
	}
	if claims != nil {
		c.Locals(ClaimsKey, claims)
		c.Locals(TokenKey, tok)
		c.Locals(SourceKey, src)
	}
	return c.Next()
}

// WriteError answers c as a refused request, for handlers whose own calls
// fail (Manager.Refresh in a refresh endpoint). It returns nil, for the
// handler to return.
func (m *Middleware) WriteError(c *fiber.Ctx, err error) error {
	m.mw.WriteError(&responseWriter{c: c}, (&request{c: c}).httpRequest(), err)
	return nil
}

// SetCookies puts a Pair from Issue or Refresh into cookies, as httpauth's
// Middleware.SetCookies does, and fails as it does: the same Set-Cookie
// headers, byte for byte.
func (m *Middleware) SetCookies(c *fiber.Ctx, p *freshtoken.Pair) error {
	cookies, err := m.mw.Cookies(p)
	if err != nil {
		return err
	}
	for _, ck := range cookies {
		c.Response().Header.Add(fiber.HeaderSetCookie, ck.String())
	}
	return nil
}

// ClearCookies tells the browser to delete the cookies SetCookies sets, as
// part of a logout. It does not revoke the tokens.
func (m *Middleware) ClearCookies(c *fiber.Ctx) {
	for _, ck := range m.mw.ClearingCookies() {
		c.Response().Header.Add(fiber.HeaderSetCookie, ck.String())
	}
}

// WriteTokenResponse is httpauth.WriteTokenResponse for fiber: it answers a
// login or refresh with the Pair as an OAuth 2.0 token response, or, on
// error, writes nothing and returns the error.
func WriteTokenResponse(c *fiber.Ctx, p *freshtoken.Pair) error {
	return httpauth.WriteTokenResponse(&responseWriter{c: c}, p)
}

// ClaimsFrom returns the verified claims a guard put into c, or nil if the
// request did not pass through one with a token.
func ClaimsFrom(c *fiber.Ctx) *freshtoken.Claims {
	claims, _ := c.Locals(ClaimsKey).(*freshtoken.Claims)
	return claims
}

// TokenFrom returns the verified token a guard put into c, or "". A refresh
// endpoint behind RequireRefresh passes it to Manager.Refresh.
func TokenFrom(c *fiber.Ctx) string {
	tok, _ := c.Locals(TokenKey).(string)
	return tok
}

// SourceFrom returns the Source the verified token came from, or the zero
// Source.
func SourceFrom(c *fiber.Ctx) httpauth.Source {
	src, _ := c.Locals(SourceKey).(httpauth.Source)
	return src
}
