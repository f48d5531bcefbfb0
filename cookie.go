package freshtoken

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// This file keeps tokens in cookies for browser clients, with double-submit
// CSRF protection: each token carries a random "csrf" claim (WithCSRF), a
// cookie that page scripts can read holds the same value, and state-changing
// requests must echo it in a header. Another site can make the browser send
// the cookies, but cannot read them to set the header.

// CookieConfig names and shapes the cookies. The zero value of every field
// means the default stated beside it; the default names are
// Flask-JWT-Extended's.
type CookieConfig struct {
	// AccessName is the cookie that holds the access token (HttpOnly, path
	// "/"). Zero: "access_token_cookie".
	AccessName string
	// RefreshName is the cookie that holds the refresh token (HttpOnly,
	// path RefreshPath). Zero: "refresh_token_cookie".
	RefreshName string
	// AccessCSRFName is the cookie that holds the access token's CSRF
	// value, readable by page scripts (path "/"). Zero: "csrf_access_token".
	AccessCSRFName string
	// RefreshCSRFName is the cookie that holds the refresh token's CSRF
	// value, readable by page scripts (path "/"). Zero: "csrf_refresh_token".
	RefreshCSRFName string
	// CSRFHeader is the request header that must repeat the CSRF value on
	// requests with unsafe methods (anything but GET, HEAD, OPTIONS, TRACE).
	// Zero: "X-CSRF-TOKEN".
	CSRFHeader string

	// RefreshPath limits where browsers send the refresh cookie. Set it to
	// the common path prefix of the refresh and logout endpoints (say
	// "/auth/") so the long-lived token travels nowhere else. Zero: "/".
	RefreshPath string
	// Domain is the cookies' Domain attribute. Zero: none, so only the
	// host that set the cookies receives them, not its subdomains.
	Domain string
	// SameSite is the cookies' SameSite attribute. Zero: http.SameSiteLaxMode.
	// http.SameSiteNoneMode cannot be combined with Insecure.
	SameSite http.SameSite
	// Insecure drops the Secure attribute, so browsers also send the
	// cookies over plain http, where anyone on the path can read them. Only
	// for development on http://localhost.
	Insecure bool
}

// withDefaults fills in the defaults and checks the result.
func (c CookieConfig) withDefaults() (CookieConfig, error) {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&c.AccessName, "access_token_cookie")
	def(&c.RefreshName, "refresh_token_cookie")
	def(&c.AccessCSRFName, "csrf_access_token")
	def(&c.RefreshCSRFName, "csrf_refresh_token")
	def(&c.CSRFHeader, "X-CSRF-TOKEN")
	def(&c.RefreshPath, "/")
	if c.SameSite == 0 {
		c.SameSite = http.SameSiteLaxMode
	}
	names := []string{c.AccessName, c.RefreshName, c.AccessCSRFName, c.RefreshCSRFName}
	for i, name := range names {
		probe := http.Cookie{Name: name, Value: "x", Path: c.RefreshPath, Domain: c.Domain}
		if err := probe.Valid(); err != nil {
			return c, errorf(ErrInvalidConfig, "Cookies: "+err.Error())
		}
		for _, other := range names[:i] {
			if name == other {
				return c, errorf(ErrInvalidConfig, "Cookies: two cookies are named "+name)
			}
		}
	}
	if !strings.HasPrefix(c.RefreshPath, "/") {
		return c, errorf(ErrInvalidConfig, `Cookies.RefreshPath must start with "/"`)
	}
	if !isToken(c.CSRFHeader) {
		return c, errorf(ErrInvalidConfig, "Cookies.CSRFHeader is not a valid header name")
	}
	if c.SameSite == http.SameSiteNoneMode && c.Insecure {
		return c, errorf(ErrInvalidConfig, "browsers refuse SameSite=None cookies without Secure")
	}
	return c, nil
}

// SetCookies puts a Pair from Issue or Refresh into cookies: the access
// token and, when p.Refresh is set, the refresh token, each in an HttpOnly
// cookie that expires with it, plus the CSRF cookies that page scripts read
// to fill the CSRF header. Every cookie is Secure (unless Cookies.Insecure)
// and carries Cookies.SameSite.
//
// The tokens must come from Issue with WithCSRF (and the access token from
// Refresh of such a refresh token); a token without a "csrf" claim fails with
// ErrInvalidConfig, and one the Manager cannot verify with its sentinel.
// Nothing is set on failure.
func (mw *Middleware) SetCookies(w http.ResponseWriter, p *Pair) error {
	ac, err := mw.csrfOf(p.Access, AccessToken)
	if err != nil {
		return err
	}
	var rc string
	if p.Refresh != "" {
		if rc, err = mw.csrfOf(p.Refresh, RefreshToken); err != nil {
			return err
		}
	}
	c := &mw.cookies
	http.SetCookie(w, mw.cookie(c.AccessName, p.Access, "/", p.AccessExpiresAt, true))
	http.SetCookie(w, mw.cookie(c.AccessCSRFName, ac, "/", p.AccessExpiresAt, false))
	if p.Refresh != "" {
		http.SetCookie(w, mw.cookie(c.RefreshName, p.Refresh, c.RefreshPath, p.RefreshExpiresAt, true))
		http.SetCookie(w, mw.cookie(c.RefreshCSRFName, rc, "/", p.RefreshExpiresAt, false))
	}
	return nil
}

// ClearCookies tells the browser to delete every cookie SetCookies sets, as
// part of a logout. It does not revoke the tokens.
func (mw *Middleware) ClearCookies(w http.ResponseWriter) {
	c := &mw.cookies
	for _, k := range []struct {
		name, path string
		httpOnly   bool
	}{
		{c.AccessName, "/", true},
		{c.AccessCSRFName, "/", false},
		{c.RefreshName, c.RefreshPath, true},
		{c.RefreshCSRFName, "/", false},
	} {
		ck := mw.cookie(k.name, "", k.path, time.Time{}, k.httpOnly)
		ck.MaxAge = -1 // sent as Max-Age=0: delete now
		http.SetCookie(w, ck)
	}
}

func (mw *Middleware) cookie(name, value, path string, expires time.Time, httpOnly bool) *http.Cookie {
	return &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     path,
		Domain:   mw.cookies.Domain,
		Expires:  expires,
		HttpOnly: httpOnly,
		Secure:   !mw.cookies.Insecure,
		SameSite: mw.cookies.SameSite,
	}
}

// csrfOf returns the "csrf" claim of a token the Manager signed.
func (mw *Middleware) csrfOf(tok string, want TokenType) (string, error) {
	c, err := mw.m.parse(context.Background(), tok)
	if err != nil {
		return "", err
	}
	if c.Type != want {
		return "", errorf(ErrWrongType, "SetCookies got a "+c.Type.String()+" token for the "+want.String()+" cookie")
	}
	if c.CSRF == "" {
		return "", errorf(ErrInvalidConfig, `the `+want.String()+` token has no "csrf" claim; issue it WithCSRF to keep it in a cookie`)
	}
	return c.CSRF, nil
}

// cookieToken returns the value of the named cookie, "" when there is none.
// Two cookies of that name fail with ErrMalformed: another site on a shared
// parent domain may have planted one ("cookie tossing"), and there is no
// telling which is real.
func cookieToken(r *http.Request, name string) (string, error) {
	cs := r.CookiesNamed(name)
	switch len(cs) {
	case 0:
		return "", nil
	case 1:
		return cs[0].Value, nil
	}
	return "", errorf(ErrMalformed, "more than one cookie named "+name)
}
