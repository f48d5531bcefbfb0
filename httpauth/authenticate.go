package httpauth

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strconv"
	"time"

	"github.com/freshtoken/freshtoken"
)

// This file is the framework-neutral work every guard does, the net/http
// Middleware's and the adapters' for other frameworks alike: find the token,
// run the guard, check CSRF for a cookie. The adapters (ginauth, echoauth,
// fiberauth) call Authenticate or AuthenticateRequest and answer a refusal
// with WriteError, so that every framework answers as the Middleware does.

// Rule is the check a guard makes: one of RuleAccess, RuleOptionalAccess,
// RuleFresh, RuleRefresh, or what RuleLoginWithin returns, each the rule of
// the Middleware method of the same name. Rules compare with ==. The zero
// Rule is RuleAccess.
type Rule struct {
	kind   ruleKind
	maxAge time.Duration // of ruleLoginWithin
}

type ruleKind uint8

const (
	ruleAccess ruleKind = iota
	ruleOptionalAccess
	ruleFresh
	ruleLoginWithin
	ruleRefresh
)

var (
	// RuleAccess lets any valid access token through (RequireAccess).
	RuleAccess = Rule{kind: ruleAccess}
	// RuleOptionalAccess is RuleAccess that also lets a request without a
	// token through, with no claims (OptionalAccess).
	RuleOptionalAccess = Rule{kind: ruleOptionalAccess}
	// RuleFresh lets only a fresh access token through (RequireFresh).
	RuleFresh = Rule{kind: ruleFresh}
	// RuleRefresh lets only a valid refresh token through (RequireRefresh).
	RuleRefresh = Rule{kind: ruleRefresh}
)

// RuleLoginWithin is the rule of RequireLoginWithin: an access token whose
// user logged in at most maxAge ago. It panics if maxAge is not positive.
func RuleLoginWithin(maxAge time.Duration) Rule {
	if maxAge <= 0 {
		panic("httpauth: RequireLoginWithin needs a positive maxAge")
	}
	return Rule{kind: ruleLoginWithin, maxAge: maxAge}
}

// want is the type of token the rule accepts, which decides the cookie a
// FromCookie Source reads.
func (rule Rule) want() freshtoken.TokenType {
	if rule.kind == ruleRefresh {
		return freshtoken.RefreshToken
	}
	return freshtoken.AccessToken
}

func (mw *Middleware) check(ctx context.Context, rule Rule, tok string) (*freshtoken.Claims, error) {
	switch rule.kind {
	case ruleFresh:
		return mw.g.RequireFresh(ctx, tok)
	case ruleLoginWithin:
		return mw.g.RequireLoginWithin(ctx, tok, rule.maxAge)
	case ruleRefresh:
		return mw.g.RequireRefresh(ctx, tok)
	}
	return mw.g.RequireAccess(ctx, tok)
}

// Request is what a Middleware reads of a request, for frameworks that hold
// none of net/http's (fiber, on fasthttp); Authenticate serves those that
// do. An implementation is used by one goroutine, for one call of
// AuthenticateRequest, and must not be kept past the request.
type Request interface {
	// Context is the request's context, given to the Guard.
	Context() context.Context
	// Method is the request method, such as "GET".
	Method() string
	// Header returns every value of the header of the given canonical
	// name (http.CanonicalHeaderKey), in the order they came, as net/http's
	// Header map holds them; nil when there is none. The Middleware reads
	// Authorization, Cookie, Config.Cookies.CSRFHeader and
	// Access-Control-Request-Method, and keeps the token it finds (in the
	// Guard's cache too): return copies, never strings that share a buffer
	// the framework reuses.
	Header(name string) []string
	// HTTPRequest returns the request as an *http.Request, for the
	// extractor of a FromFunc Source and for Config.ErrorWriter, which are
	// written for net/http. It is called only when one of those runs, so
	// that a costly conversion is paid only then; an error refuses the
	// request.
	HTTPRequest() (*http.Request, error)
}

// netRequest is the Request of an *http.Request. A struct of one pointer
// goes into an interface without an allocation.
type netRequest struct{ r *http.Request }

func (n netRequest) Context() context.Context            { return n.r.Context() }
func (n netRequest) Method() string                      { return n.r.Method }
func (n netRequest) Header(name string) []string         { return n.r.Header[name] }
func (n netRequest) HTTPRequest() (*http.Request, error) { return n.r, nil }

// Authenticate checks r as a handler wrapped with the rule's guard would,
// for frameworks that hold an *http.Request (gin, echo) or a handler that
// guards itself. It returns, in this order of cases:
//
//   - with Config.PassPreflight set and r a CORS preflight: nil claims and
//     a nil error; let the request through without claims.
//   - under RuleOptionalAccess, when no Source finds a token: nil claims
//     and a nil error, the same.
//   - when the token passes the rule (and, from a cookie on a request
//     whose method is not safe, the CSRF check): its claims, never nil,
//     the token and the Source it came from, and a nil error.
//   - otherwise nil claims, "", the zero Source and the error; answer the
//     request with WriteError, which sends what the Middleware would.
func (mw *Middleware) Authenticate(r *http.Request, rule Rule) (claims *freshtoken.Claims, token string, src Source, err error) {
	return mw.AuthenticateRequest(netRequest{r}, rule)
}

// AuthenticateRequest is Authenticate for a request that is not net/http's
// (fiber's, on fasthttp), read through r.
func (mw *Middleware) AuthenticateRequest(r Request, rule Rule) (claims *freshtoken.Claims, token string, src Source, err error) {
	if mw.passPreflight && isPreflight(r) {
		return nil, "", Source{}, nil
	}
	tok, src, err := mw.extract(r, rule.want())
	if rule.kind == ruleOptionalAccess && src == (Source{}) {
		return nil, "", Source{}, nil
	}
	if err == nil {
		claims, err = mw.authenticate(r, tok, src, rule)
	}
	if err != nil {
		return nil, "", Source{}, err
	}
	return claims, tok, src, nil
}

// isPreflight reports whether r is a CORS preflight (Fetch standard,
// "CORS-preflight request"): OPTIONS with Access-Control-Request-Method.
// A plain OPTIONS request is not one and gets no pass.
func isPreflight(r Request) bool {
	if r.Method() != http.MethodOptions {
		return false
	}
	v := r.Header("Access-Control-Request-Method")
	return len(v) > 0 && v[0] != ""
}

var errNoClaims = newError(freshtoken.ErrInvalidConfig, "the Guard returned neither claims nor an error")

// authenticate runs the guard on the token src found and, for a cookie,
// the CSRF check. The CSRF check comes last so that a request without a
// valid token is told so (401) rather than about CSRF (403).
func (mw *Middleware) authenticate(r Request, tok string, src Source, rule Rule) (*freshtoken.Claims, error) {
	c, err := mw.check(r.Context(), rule, tok)
	if err != nil {
		return nil, err
	}
	if c == nil { // a Guard that breaks its contract refuses, never lets through
		return nil, errNoClaims
	}
	if src == FromCookie && !safeMethod(r.Method()) {
		if err := mw.checkCSRF(r, rule.want(), c); err != nil {
			mw.notify(r.Context(), freshtoken.EventCSRFFailed, c, err)
			return nil, err
		}
	}
	return c, nil
}

// notify reports an event about the token of c, which the Guard accepted,
// to a Guard that is a Notifier.
func (mw *Middleware) notify(ctx context.Context, kind freshtoken.EventKind, c *freshtoken.Claims, err error) {
	if mw.notifier != nil {
		mw.notifier.Notify(ctx, freshtoken.Event{Kind: kind, Subject: c.Subject, SessionID: c.SessionID, TokenID: c.ID, Err: err})
	}
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

// checkCSRF is the double-submit check: the header must repeat the token's
// "csrf" claim, which only a page that can read the CSRF cookie knows. Each
// failure has its own text, for the logs; the client gets one answer.
func (mw *Middleware) checkCSRF(r Request, want freshtoken.TokenType, c *freshtoken.Claims) error {
	if c.CSRF == "" {
		return newError(ErrCSRF, "the "+want.String()+` token has no "csrf" claim; issue it WithCSRF to use it from a cookie`)
	}
	values := r.Header(mw.csrfHeader)
	switch len(values) {
	case 0:
		return newError(ErrCSRF, "no "+mw.csrfHeader+" header on a "+r.Method()+" request with the "+want.String()+" token in a cookie")
	case 1:
	default:
		return newError(ErrCSRF, strconv.Itoa(len(values))+" "+mw.csrfHeader+" headers; send exactly one")
	}
	if subtle.ConstantTimeCompare([]byte(values[0]), []byte(c.CSRF)) != 1 {
		return newError(ErrCSRF, "the "+mw.csrfHeader+" header does not match the "+want.String()+` token's "csrf" claim`)
	}
	return nil
}
