package httpauth

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/freshtoken/freshtoken"
)

// This file keeps tokens in cookies for browser clients, with double-submit
// CSRF protection: each token carries a random "csrf" claim (WithCSRF), a
// cookie that page scripts can read holds the same value, and state-changing
// requests must echo it in a header. Another site can make the browser send
// the cookies, but cannot read them to set the header.

// CookieConfig names and shapes the cookies. The zero value of every field
// means the default stated beside it; the default names are
// Flask-JWT-Extended's, so that a Flask service on the same site can read
// the same cookies; HostPrefix trades that for cookies no other subdomain
// can plant.
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
	// It must be "/" with HostPrefix.
	RefreshPath string
	// Domain is the cookies' Domain attribute. Zero: none, so only the
	// host that set the cookies receives them, not its subdomains. It must
	// be empty with HostPrefix.
	Domain string
	// SameSite is the cookies' SameSite attribute. Zero: http.SameSiteLaxMode.
	// http.SameSiteNoneMode cannot be combined with Insecure, and New
	// refuses a value net/http does not define rather than let it drop the
	// attribute from every cookie.
	SameSite http.SameSite
	// Insecure drops the Secure attribute, so browsers also send the
	// cookies over plain http, where anyone on the path can read them. Only
	// for development on http://localhost. It cannot be combined with
	// HostPrefix.
	Insecure bool

	// HostPrefix puts "__Host-" in front of the four cookie names above,
	// given or default ("__Host-access_token_cookie", ...), for the cookies
	// SetCookies and ClearCookies write and the ones FromCookie reads; page
	// scripts read "__Host-csrf_access_token" and "__Host-csrf_refresh_token".
	// Zero: false, the plain names.
	//
	// Browsers keep a "__Host-" cookie only when the host itself set it over
	// https with Secure, Path=/ and no Domain (RFC 6265bis §4.1.3.2). Without
	// the prefix, any other subdomain of the site (a user-content host, a
	// forgotten staging app, one taken over through a dangling DNS record),
	// or an attacker who rewrites any plain-http page of it, can plant its
	// own token and CSRF cookies for this host ("cookie tossing"). A victim
	// who has none of the real cookies is then silently logged in as the
	// attacker, and whatever they enter lands in the attacker's account
	// (login CSRF). With HostPrefix, such cookies cannot carry the prefixed
	// names, and the middleware never reads the plain ones.
	//
	// Use it wherever other subdomains of the site are not fully trusted or
	// any of them is served over plain http, and in every new application
	// whose cookies no Flask-JWT-Extended service must read. It is off by
	// default because it renames the cookies: a Flask service sharing them
	// must then be configured with the same names (JWT_ACCESS_COOKIE_NAME and
	// its siblings).
	//
	// A "__Host-" cookie must be Secure, have Path=/ and carry no Domain, so
	// New refuses HostPrefix together with Insecure, a Domain or a
	// RefreshPath other than "/", rather than write cookies that browsers
	// would drop. The refresh cookie then travels with every request to the
	// host, as with the default RefreshPath; that is the price of a cookie
	// no other host can plant. Because the cookies must be Secure, an app
	// served over plain http://localhost gets them only from a browser that
	// counts localhost as secure, as Chrome does; leave HostPrefix off there
	// otherwise.
	HostPrefix bool

	// SessionCookies makes SetCookies write the token and CSRF cookies
	// without Expires, so that they last as long as the browser session
	// (Flask-JWT-Extended's JWT_SESSION_COOKIE default) rather than die
	// with their tokens. Zero: false, each cookie expires with its token.
	//
	// Choose it for a browser app that refreshes silently: an expired
	// access token still reaches the server, which answers 401
	// invalid_token "The token expired", and the page knows to call the
	// refresh endpoint; with expiring cookies the browser drops the cookie
	// first, the server sees no token and answers 401 missing_token, which
	// looks the same as a user who never logged in. Keep the default when
	// you prefer the browser to forget tokens as soon as they expire, so
	// that a dead token never travels again; the refresh cookie then also
	// outlives a browser restart until the refresh token expires, where a
	// session cookie would end with the session. Either way the server
	// checks expiry itself: SessionCookies changes what the browser keeps,
	// never what the guards accept.
	SessionCookies bool
}

// hostPrefix is the cookie name prefix of CookieConfig.HostPrefix.
const hostPrefix = "__Host-"

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
	if c.HostPrefix {
		if err := c.checkHostPrefix(); err != nil {
			return c, err
		}
		for _, name := range []*string{&c.AccessName, &c.RefreshName, &c.AccessCSRFName, &c.RefreshCSRFName} {
			*name = hostPrefix + *name
		}
	}
	if err := c.checkNames(); err != nil {
		return c, err
	}
	return c, c.checkAttributes()
}

// checkNames refuses a name no cookie can carry, two cookies of one name,
// and a prefixed name whose rules the other fields break, naming the field.
func (c *CookieConfig) checkNames() error {
	names := []struct{ field, name string }{
		{"AccessName", c.AccessName}, {"RefreshName", c.RefreshName},
		{"AccessCSRFName", c.AccessCSRFName}, {"RefreshCSRFName", c.RefreshCSRFName},
	}
	for i, n := range names {
		if !isToken(n.name) {
			return newError(freshtoken.ErrInvalidConfig, "Cookies."+n.field+" "+strconv.Quote(n.name)+" is not a valid cookie name")
		}
		for _, other := range names[:i] {
			if n.name == other.name {
				return newError(freshtoken.ErrInvalidConfig, "Cookies."+other.field+" and Cookies."+n.field+" are both "+strconv.Quote(n.name))
			}
		}
		path := "/"
		if n.field == "RefreshName" {
			path = c.RefreshPath
		}
		if err := c.checkNamePrefix(n.name, path); err != nil {
			return err
		}
	}
	return nil
}

// checkAttributes refuses attribute values browsers would not take, naming
// the field: net/http drops a bad one with a log line and sends the cookie
// without it, so the mistake would surface as a login that seems not to stick.
func (c *CookieConfig) checkAttributes() error {
	probe := http.Cookie{Name: "x", Value: "x"}
	if probe.Path = c.RefreshPath; !strings.HasPrefix(c.RefreshPath, "/") || probe.Valid() != nil {
		return newError(freshtoken.ErrInvalidConfig, "Cookies.RefreshPath "+strconv.Quote(c.RefreshPath)+` must start with "/" and be a valid cookie path`)
	}
	if probe.Path, probe.Domain = "", c.Domain; probe.Valid() != nil {
		return newError(freshtoken.ErrInvalidConfig, "Cookies.Domain "+strconv.Quote(c.Domain)+" is not a valid cookie domain")
	}
	if !isToken(c.CSRFHeader) {
		return newError(freshtoken.ErrInvalidConfig, "Cookies.CSRFHeader "+strconv.Quote(c.CSRFHeader)+" is not a valid header name")
	}
	switch c.SameSite {
	case http.SameSiteDefaultMode, http.SameSiteLaxMode, http.SameSiteStrictMode, http.SameSiteNoneMode:
	default:
		return newError(freshtoken.ErrInvalidConfig, "Cookies.SameSite is "+strconv.Itoa(int(c.SameSite))+
			"; want 0 (Lax) or one of http.SameSiteDefaultMode, SameSiteLaxMode, SameSiteStrictMode, SameSiteNoneMode")
	}
	if c.SameSite == http.SameSiteNoneMode && c.Insecure {
		return newError(freshtoken.ErrInvalidConfig, "Cookies.SameSite http.SameSiteNoneMode cannot be combined with Cookies.Insecure: browsers refuse SameSite=None cookies without Secure")
	}
	return nil
}

// checkHostPrefix refuses the fields that would break the "__Host-" rules,
// naming all of them so that one fix suffices. It runs before the prefix
// goes on, so it also catches a name that already carries one.
func (c *CookieConfig) checkHostPrefix() error {
	var bad []string
	if c.Insecure {
		bad = append(bad, "Insecure")
	}
	if c.Domain != "" {
		bad = append(bad, "a Domain")
	}
	if c.RefreshPath != "/" {
		bad = append(bad, `a RefreshPath other than "/"`)
	}
	if len(bad) > 0 {
		return newError(freshtoken.ErrInvalidConfig, "Cookies.HostPrefix cannot be combined with "+strings.Join(bad, ", ")+
			`: browsers drop a "__Host-" cookie unless it is Secure, has Path=/ and no Domain`)
	}
	for _, name := range []string{c.AccessName, c.RefreshName, c.AccessCSRFName, c.RefreshCSRFName} {
		if hasPrefixFold(name, hostPrefix) || hasPrefixFold(name, "__Secure-") {
			return newError(freshtoken.ErrInvalidConfig, "Cookies: with HostPrefix, give the name "+name+` without its prefix; HostPrefix adds "__Host-"`)
		}
	}
	return nil
}

// checkNamePrefix holds a cookie whose name was given with a prefix to the
// rules browsers enforce for it (RFC 6265bis §4.1.3). Browsers drop a cookie
// that breaks them without a word, so the login would seem to work while the
// browser kept nothing. Newer browsers match the prefixes without regard to
// case, hence the fold.
func (c *CookieConfig) checkNamePrefix(name, path string) error {
	switch {
	case hasPrefixFold(name, hostPrefix) && (c.Insecure || c.Domain != "" || path != "/"):
		return newError(freshtoken.ErrInvalidConfig, "Cookies: browsers drop the cookie "+name+` unless Insecure is off, Domain is empty and its path is "/" (RefreshPath, for the refresh cookie); or set HostPrefix and give the name without its prefix`)
	case hasPrefixFold(name, "__Secure-") && c.Insecure:
		return newError(freshtoken.ErrInvalidConfig, "Cookies: the cookie "+name+" cannot be combined with Insecure")
	}
	return nil
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// SetCookies puts a Pair from Issue or Refresh into cookies: the access
// token and, when p.Refresh is set, the refresh token, each in an HttpOnly
// cookie that expires with it (or, with Cookies.SessionCookies, with the
// browser session), plus the CSRF cookies that page scripts read to fill the
// CSRF header (p.AccessCSRF, p.RefreshCSRF). Every cookie is Secure (unless
// Cookies.Insecure) and carries Cookies.SameSite.
//
// The Pair must come from Issue with freshtoken.WithCSRF, or from Refresh of
// such a login's refresh token: a nil Pair, a Pair without its CSRF values,
// or with a value no cookie can hold, fails with freshtoken.ErrInvalidConfig,
// and nothing is set. So does a Middleware whose Config.Sources lacks
// FromCookie, which would never read the cookies: every request from the
// browser would be answered 401 missing_token. SetCookies does not verify
// the tokens: give it the Pair the Manager returned.
func (mw *Middleware) SetCookies(w http.ResponseWriter, p *freshtoken.Pair) error {
	cookies, err := mw.Cookies(p)
	if err != nil {
		return err
	}
	for _, ck := range cookies {
		http.SetCookie(w, ck)
	}
	return nil
}

// Cookies returns the cookies SetCookies sets for p, new on every call, and
// fails as it does; for frameworks that write cookies without an
// http.ResponseWriter. Send each as a Set-Cookie header whose value is its
// String(), as http.SetCookie does.
func (mw *Middleware) Cookies(p *freshtoken.Pair) ([]*http.Cookie, error) {
	switch {
	case !mw.readsCookies:
		return nil, errCookiesUnread
	case p == nil:
		return nil, errNilPair
	case p.Access == "":
		return nil, errNoAccessToken
	case p.AccessCSRF == "" || p.Refresh != "" && p.RefreshCSRF == "":
		return nil, errNoCSRFValue
	}
	c := &mw.cookies
	accessExp, refreshExp := p.AccessExpiresAt, p.RefreshExpiresAt
	if c.SessionCookies {
		accessExp, refreshExp = time.Time{}, time.Time{}
	}
	cookies := []*http.Cookie{
		mw.cookie(c.AccessName, p.Access, "/", accessExp, true),
		mw.cookie(c.AccessCSRFName, p.AccessCSRF, "/", accessExp, false),
	}
	if p.Refresh != "" {
		cookies = append(cookies,
			mw.cookie(c.RefreshName, p.Refresh, c.RefreshPath, refreshExp, true),
			mw.cookie(c.RefreshCSRFName, p.RefreshCSRF, "/", refreshExp, false))
	}
	// net/http would drop a bad byte with a log line and set the rest;
	// refuse before anything is set instead.
	for _, ck := range cookies {
		if err := ck.Valid(); err != nil {
			return nil, newError(freshtoken.ErrInvalidConfig, "SetCookies: "+err.Error())
		}
	}
	return cookies, nil
}

var (
	errCookiesUnread = newError(freshtoken.ErrInvalidConfig, "SetCookies on a Middleware whose Config.Sources lacks FromCookie: it would never read the cookies, and every browser request would get 401 missing_token")
	errNilPair       = newError(freshtoken.ErrInvalidConfig, "SetCookies needs a Pair, not a nil Pair")
	errNoAccessToken = newError(freshtoken.ErrInvalidConfig, "SetCookies needs a Pair with an access token")
	errNoCSRFValue   = newError(freshtoken.ErrInvalidConfig, `the Pair has no CSRF values; issue it WithCSRF to keep its tokens in cookies`)
)

// ClearCookies tells the browser to delete every cookie SetCookies sets, as
// part of a logout. It does not revoke the tokens.
func (mw *Middleware) ClearCookies(w http.ResponseWriter) {
	for _, ck := range mw.ClearingCookies() {
		http.SetCookie(w, ck)
	}
}

// ClearingCookies returns the cookies ClearCookies sets, new on every call:
// each of SetCookies' cookies, empty, with Max-Age=0.
func (mw *Middleware) ClearingCookies() []*http.Cookie {
	c := &mw.cookies
	cookies := make([]*http.Cookie, 0, 4)
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
		cookies = append(cookies, ck)
	}
	return cookies
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

// cookieToken returns the value of the named cookie, "" when there is none.
// Two cookies of that name fail with ErrMalformed: another site on a shared
// parent domain may have planted one ("cookie tossing"), and there is no
// telling which is real. That catches a planted cookie only beside the real
// one; CookieConfig.HostPrefix keeps planted cookies out altogether.
//
// net/http parses the Cookie header for every framework, so that a cookie
// means the same whichever one the request came through.
func cookieToken(r Request, name string) (string, error) {
	var cs []*http.Cookie
	if n, ok := r.(netRequest); ok {
		cs = n.r.CookiesNamed(name)
	} else if lines := r.Header("Cookie"); len(lines) > 0 {
		cs = (&http.Request{Header: http.Header{"Cookie": lines}}).CookiesNamed(name)
	}
	switch len(cs) {
	case 0:
		return "", nil
	case 1:
		return cs[0].Value, nil
	}
	return "", newError(freshtoken.ErrMalformed, "more than one cookie named "+name)
}
