package ginauth

import (
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/httpauth"
	"github.com/gin-gonic/gin"
)

// The keys under which a guard puts what it verified into the gin.Context,
// for c.Get; ClaimsFrom, TokenFrom and SourceFrom read them typed.
const (
	ClaimsKey = "freshtoken.claims" // *freshtoken.Claims
	TokenKey  = "freshtoken.token"  // string: the token itself
	SourceKey = "freshtoken.source" // httpauth.Source: where it came from
)

// Middleware guards gin handlers with an httpauth.Middleware's checks. It
// is safe for concurrent use.
type Middleware struct{ mw *httpauth.Middleware }

// New is httpauth.New for gin: it checks cfg and returns the middleware
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
func (m *Middleware) RequireAccess(c *gin.Context) { m.guard(c, httpauth.RuleAccess) }

// OptionalAccess lets a request without a token through with no claims,
// and one with a token only if RequireAccess would, as httpauth's
// Middleware.OptionalAccess does.
func (m *Middleware) OptionalAccess(c *gin.Context) { m.guard(c, httpauth.RuleOptionalAccess) }

// RequireFresh lets a request through only with a fresh access token, as
// httpauth's Middleware.RequireFresh does.
func (m *Middleware) RequireFresh(c *gin.Context) { m.guard(c, httpauth.RuleFresh) }

// RequireRefresh lets a request through only with a valid refresh token,
// for refresh and logout endpoints, as httpauth's Middleware.RequireRefresh
// does; the handler reads the token with TokenFrom.
func (m *Middleware) RequireRefresh(c *gin.Context) { m.guard(c, httpauth.RuleRefresh) }

// RequireLoginWithin returns the guard that lets a request through only
// when the user logged in at most maxAge ago, as httpauth's
// Middleware.RequireLoginWithin does. It panics if maxAge is not positive.
func (m *Middleware) RequireLoginWithin(maxAge time.Duration) gin.HandlerFunc {
	rule := httpauth.RuleLoginWithin(maxAge)
	return func(c *gin.Context) { m.guard(c, rule) }
}

func (m *Middleware) guard(c *gin.Context, rule httpauth.Rule) {
	claims, tok, src, err := m.mw.Authenticate(c.Request, rule)
	if err != nil {
		m.mw.WriteError(c.Writer, c.Request, err)
		c.Abort()
		return
	}
	if claims != nil {
		c.Set(ClaimsKey, claims)
		c.Set(TokenKey, tok)
		c.Set(SourceKey, src)
	}
	c.Next()
}

// WriteError answers c as a refused request and aborts it, for handlers
// whose own calls fail (Manager.Refresh in a refresh endpoint).
func (m *Middleware) WriteError(c *gin.Context, err error) {
	m.mw.WriteError(c.Writer, c.Request, err)
	c.Abort()
}

// SetCookies puts a Pair from Issue or Refresh into cookies, as httpauth's
// Middleware.SetCookies does, and fails as it does.
func (m *Middleware) SetCookies(c *gin.Context, p *freshtoken.Pair) error {
	return m.mw.SetCookies(c.Writer, p)
}

// ClearCookies tells the browser to delete the cookies SetCookies sets, as
// part of a logout. It does not revoke the tokens.
func (m *Middleware) ClearCookies(c *gin.Context) { m.mw.ClearCookies(c.Writer) }

// ClaimsFrom returns the verified claims a guard put into c, or nil if the
// request did not pass through one with a token.
func ClaimsFrom(c *gin.Context) *freshtoken.Claims {
	v, _ := c.Get(ClaimsKey)
	claims, _ := v.(*freshtoken.Claims)
	return claims
}

// TokenFrom returns the verified token a guard put into c, or "". A refresh
// endpoint behind RequireRefresh passes it to Manager.Refresh.
func TokenFrom(c *gin.Context) string {
	v, _ := c.Get(TokenKey)
	tok, _ := v.(string)
	return tok
}

// SourceFrom returns the Source the verified token came from, or the zero
// Source.
func SourceFrom(c *gin.Context) httpauth.Source {
	v, _ := c.Get(SourceKey)
	src, _ := v.(httpauth.Source)
	return src
}
