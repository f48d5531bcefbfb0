package freshtoken

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// This file is everything between an HTTP request and a guard: finding the
// token, running the guard, and answering a refusal (RFC 6750, RFC 9470).

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

// MiddlewareConfig configures NewMiddleware. The zero value of every field
// means the default stated beside it.
type MiddlewareConfig struct {
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

// Middleware guards http.Handlers with a Manager's guards, for net/http and
// any router that takes http.Handler middleware. It is safe for concurrent use.
type Middleware struct {
	m          *Manager
	realm      string
	sources    []Source
	cookies    CookieConfig
	csrfHeader string // canonical form of cookies.CSRFHeader
	writeError func(http.ResponseWriter, *http.Request, error)
}

// NewMiddleware checks cfg and returns the HTTP middleware for m. Errors
// match ErrInvalidConfig. It panics if m is nil.
func NewMiddleware(m *Manager, cfg MiddlewareConfig) (*Middleware, error) {
	if m == nil {
		panic("freshtoken: NewMiddleware needs a Manager from New or NewVerifier")
	}
	if !printable(cfg.Realm) {
		return nil, errorf(ErrInvalidConfig, "Realm must be printable ASCII")
	}
	sources := cfg.Sources
	if len(sources) == 0 {
		sources = []Source{FromHeader}
	}
	seen := map[Source]bool{}
	for _, s := range sources {
		if s != FromHeader && s != FromCookie {
			return nil, errorf(ErrInvalidConfig, "unknown Source "+strconv.Itoa(int(s)))
		}
		if seen[s] {
			return nil, errorf(ErrInvalidConfig, "Sources lists a place twice")
		}
		seen[s] = true
	}
	cookies, err := cfg.Cookies.withDefaults()
	if err != nil {
		return nil, err
	}
	mw := &Middleware{
		m:          m,
		realm:      cfg.Realm,
		sources:    append([]Source(nil), sources...),
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

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// RequireAccess lets a request through with any valid access token
// (Manager.RequireAccess). The handler reads the claims with
// ClaimsFromContext; a refused request gets the ErrorWriter's answer.
func (mw *Middleware) RequireAccess(next http.Handler) http.Handler {
	return mw.guard(next, AccessToken, mw.m.RequireAccess)
}

// RequireFresh lets a request through only with a fresh access token
// (Manager.RequireFresh): the guard for sensitive actions. A valid token that
// is not fresh is answered 401 with an RFC 9470
// "insufficient_user_authentication" challenge, which tells the client to
// make the user log in again.
func (mw *Middleware) RequireFresh(next http.Handler) http.Handler {
	return mw.guard(next, AccessToken, mw.m.RequireFresh)
}

// RequireLoginWithin returns middleware that lets a request through only
// when the user logged in at most maxAge ago (Manager.RequireLoginWithin).
// A token from an older login is answered 401 with an RFC 9470 challenge
// whose max_age is maxAge in seconds. It panics if maxAge is not positive.
func (mw *Middleware) RequireLoginWithin(maxAge time.Duration) func(http.Handler) http.Handler {
	if maxAge <= 0 {
		panic("freshtoken: RequireLoginWithin needs a positive maxAge")
	}
	check := func(ctx context.Context, tok string) (*Claims, error) {
		return mw.m.RequireLoginWithin(ctx, tok, maxAge)
	}
	return func(next http.Handler) http.Handler {
		return mw.guard(next, AccessToken, check)
	}
}

// RequireRefresh lets a request through only with a valid refresh token
// (Manager.RequireRefresh), for refresh and logout endpoints. The handler
// finds the token itself with TokenFromContext, to pass to Manager.Refresh.
func (mw *Middleware) RequireRefresh(next http.Handler) http.Handler {
	return mw.guard(next, RefreshToken, mw.m.RequireRefresh)
}

// WriteError answers a refused request with the configured ErrorWriter, for
// handlers whose own calls fail (Manager.Refresh in a refresh endpoint).
func (mw *Middleware) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	mw.writeError(w, r, err)
}

type checkFunc func(ctx context.Context, token string) (*Claims, error)

func (mw *Middleware) guard(next http.Handler, want TokenType, check checkFunc) http.Handler {
	if next == nil {
		panic("freshtoken: middleware needs a handler to wrap")
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

// authenticate finds the token, runs the guard and, for a cookie, the CSRF
// check. The CSRF check comes last so that a request without a valid token
// is told so (401) rather than about CSRF (403).
func (mw *Middleware) authenticate(r *http.Request, want TokenType, check checkFunc) (string, *Claims, error) {
	tok, fromCookie, err := mw.extract(r, want)
	if err != nil {
		return "", nil, err
	}
	c, err := check(r.Context(), tok)
	if err != nil {
		return "", nil, err
	}
	if fromCookie && !safeMethod(r.Method) {
		if err := mw.checkCSRF(r, c); err != nil {
			return "", nil, err
		}
	}
	return tok, c, nil
}

var errNoToken = errorf(ErrNoToken, "none in the places the middleware looks")

// extract returns the token from the first configured place that holds one.
func (mw *Middleware) extract(r *http.Request, want TokenType) (tok string, fromCookie bool, err error) {
	for _, s := range mw.sources {
		switch s {
		case FromHeader:
			tok, err = bearerToken(r.Header)
		case FromCookie:
			name := mw.cookies.AccessName
			if want == RefreshToken {
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

// BearerToken returns the token of the request's "Authorization: Bearer
// <token>" header (RFC 6750 §2.1). The scheme is matched without regard to
// case and may be followed by several spaces; exactly one token must follow.
// No Authorization header, or one with another scheme (Basic, ...), fails
// with ErrNoToken; a header that is not valid credentials, has no token or
// more than one, or appears twice fails with ErrMalformed.
func BearerToken(r *http.Request) (string, error) {
	tok, err := bearerToken(r.Header)
	if err == nil && tok == "" {
		return "", errNoBearer
	}
	return tok, err
}

var errNoBearer = errorf(ErrNoToken, "no Authorization header with the Bearer scheme")

// bearerToken is BearerToken, with "" and no error when there is no bearer token.
func bearerToken(h http.Header) (string, error) {
	values := h["Authorization"]
	switch len(values) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", errorf(ErrMalformed, "more than one Authorization header")
	}
	v := values[0]
	scheme, rest, _ := strings.Cut(v, " ")
	if !isToken(scheme) {
		return "", errorf(ErrMalformed, "the Authorization header is not valid credentials")
	}
	if !strings.EqualFold(scheme, "Bearer") {
		return "", nil // another scheme: RFC 6750 §3.1 treats it as no token
	}
	tok := strings.TrimLeft(rest, " ")
	if !isB64Token(tok) {
		return "", errorf(ErrMalformed, `the Authorization header is not "Bearer" and one token`)
	}
	return tok, nil
}

// isToken reports whether s is an RFC 9110 token (an auth-scheme, a header name).
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return len(s) > 0
}

// isB64Token reports whether s is RFC 6750's b64token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	s = strings.TrimRight(s, "=")
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/':
		default:
			return false
		}
	}
	return len(s) > 0
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
	errCSRFUnbound  = errorf(ErrCSRF, `the token has no "csrf" claim; issue it WithCSRF to use it from a cookie`)
	errCSRFMissing  = errorf(ErrCSRF, "no CSRF header, or more than one")
	errCSRFMismatch = errorf(ErrCSRF, "the CSRF header does not match the token")
)

// checkCSRF is the double-submit check: the header must repeat the token's
// "csrf" claim, which only a page that can read the CSRF cookie knows.
func (mw *Middleware) checkCSRF(r *http.Request, c *Claims) error {
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
	claims *Claims
	token  string
}

// ClaimsFromContext returns the verified claims a Middleware guard put in the
// request's context, or nil if the request did not pass through one.
func ClaimsFromContext(ctx context.Context) *Claims {
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

// ErrorResponse is the HTTP answer to a refused request. It marshals to the
// JSON body {"error": Code, "error_description": Description}.
type ErrorResponse struct {
	// Status is the HTTP status code.
	Status int `json:"-"`
	// Challenge is the WWW-Authenticate header value; empty when the answer
	// carries none.
	Challenge string `json:"-"`
	// Code is a short machine-readable reason, such as "invalid_token".
	Code string `json:"error"`
	// Description is one sentence for developers, fixed per Code (never the
	// error's own text, which may say more about the token than a client
	// should learn).
	Description string `json:"error_description"`
}

// ResponseFor maps an error from a guard, from BearerToken or from the
// middleware to its HTTP answer, so that any framework can answer as the
// Middleware does. realm goes into the challenge when not empty. The rules,
// in the order they apply:
//
//   - ErrNoToken: 401, challenge `Bearer realm="..."` with no error code
//     (RFC 6750 §3.1), code "missing_token".
//   - ErrNotFresh: 401, challenge `Bearer realm="...",
//     error="insufficient_user_authentication", error_description="...",
//     max_age="N"` (RFC 9470 §3), where max_age is the *FreshnessError's
//     MaxAge in whole seconds and appears only when it is set.
//   - ErrCSRF: 403 without a challenge, code "csrf_failed": the token is
//     fine, so logging in again would not help.
//   - ErrStoreUnavailable: 503 without a challenge, code
//     "temporarily_unavailable": nothing is wrong with the request.
//   - ErrInvalidConfig, ErrInvalidKey: 500, code "server_error".
//   - Anything else, including errors freshtoken does not define: 401,
//     challenge `Bearer realm="...", error="invalid_token",
//     error_description="..."` with a description per sentinel. A failure
//     refuses the request; it never lets it through.
//
// Bad tokens get 401, never 422: the client should get a new token.
func ResponseFor(realm string, err error) ErrorResponse {
	var fe *FreshnessError
	switch {
	case errors.Is(err, ErrNoToken):
		return ErrorResponse{
			Status:      http.StatusUnauthorized,
			Challenge:   challenge(realm, "", "", ""),
			Code:        "missing_token",
			Description: "No token was sent",
		}
	case errors.Is(err, ErrNotFresh):
		const code = "insufficient_user_authentication"
		desc, maxAge := "A fresh login is required", ""
		if errors.As(err, &fe) && fe.MaxAge > 0 {
			desc = "More recent authentication is required"
			maxAge = strconv.FormatInt(int64(fe.MaxAge/time.Second), 10)
		}
		return ErrorResponse{
			Status:      http.StatusUnauthorized,
			Challenge:   challenge(realm, code, desc, maxAge),
			Code:        code,
			Description: desc,
		}
	case errors.Is(err, ErrCSRF):
		return ErrorResponse{
			Status:      http.StatusForbidden,
			Code:        "csrf_failed",
			Description: "The CSRF header is missing or does not match the token",
		}
	case errors.Is(err, ErrStoreUnavailable):
		return ErrorResponse{
			Status:      http.StatusServiceUnavailable,
			Code:        "temporarily_unavailable",
			Description: "The token cannot be checked right now; try again later",
		}
	case errors.Is(err, ErrInvalidConfig), errors.Is(err, ErrInvalidKey):
		return ErrorResponse{
			Status:      http.StatusInternalServerError,
			Code:        "server_error",
			Description: "The server is misconfigured",
		}
	}
	desc := "The token is invalid"
	for _, d := range invalidTokenDescriptions {
		if errors.Is(err, d.err) {
			desc = d.desc
			break
		}
	}
	return ErrorResponse{
		Status:      http.StatusUnauthorized,
		Challenge:   challenge(realm, "invalid_token", desc, ""),
		Code:        "invalid_token",
		Description: desc,
	}
}

var invalidTokenDescriptions = []struct {
	err  error
	desc string
}{
	{ErrExpired, "The token expired"},
	{ErrRevoked, "The token was revoked"},
	{ErrNotYetValid, "The token is not valid yet"},
	{ErrWrongType, "The token is of the wrong type"},
	{ErrUnknownKey, "The token is signed with an unknown key"},
	{ErrSignature, "The token signature is invalid"},
	{ErrInvalidClaims, "The token claims are invalid"},
	{ErrMalformed, "The token is malformed"},
}

// challenge builds a Bearer challenge (RFC 6750 §3) from the parameters
// that are not empty.
func challenge(realm, code, desc, maxAge string) string {
	var b strings.Builder
	b.WriteString("Bearer")
	sep := " "
	for _, p := range [...]struct{ name, value string }{
		{"realm", realm}, {"error", code}, {"error_description", desc}, {"max_age", maxAge},
	} {
		if p.value == "" {
			continue
		}
		b.WriteString(sep)
		b.WriteString(p.name)
		b.WriteString(`="`)
		for i := 0; i < len(p.value); i++ {
			if c := p.value[i]; c == '"' || c == '\\' {
				b.WriteByte('\\') // a quoted-pair (RFC 9110 §5.6.4)
			}
			b.WriteByte(p.value[i])
		}
		b.WriteByte('"')
		sep = ", "
	}
	return b.String()
}

// Write sends the response: the WWW-Authenticate header when there is a
// challenge, the status, and the JSON body. Nothing may have been written
// to w before.
func (e ErrorResponse) Write(w http.ResponseWriter) {
	h := w.Header()
	if e.Challenge != "" {
		h.Set("WWW-Authenticate", e.Challenge)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	body, _ := json.Marshal(e) // two strings always marshal
	w.WriteHeader(e.Status)
	w.Write(append(body, '\n'))
}
