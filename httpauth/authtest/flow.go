package authtest

import (
	"net/http"
	"time"
)

// Beyond the access token's life (15 minutes by default), within the
// refresh token's.
const pastAccess = 20 * time.Minute

// headerFlow is a client that keeps its tokens itself and sends them as
// bearer tokens: login, refresh, the step-up a refreshed token meets,
// login again, logout.
func headerFlow(p *pair) {
	const (
		fresh    = "access " + Subject + " fresh=true source=header"
		notFresh = "access " + Subject + " fresh=false source=header"
	)
	p.step("no token", refused(401, "missing_token"), plain("GET", "/me"))
	p.step("login", want{status: 200}, plain("POST", "/login"))
	p.step("protected call", ok(fresh), withAccess("GET", "/me"))
	p.step("fresh-only call with the login's token", ok(fresh), withAccess("POST", "/settings"))
	p.step("refresh token as access token", refused(401, "invalid_token"), withRefresh("/me"))
	p.step("access token as refresh token", refused(401, "invalid_token"), withAccess("POST", "/refresh"))

	p.clk.Advance(pastAccess)
	p.step("expired access token", refused(401, "invalid_token"), withAccess("GET", "/me"))
	p.step("refresh", want{status: 200}, withRefresh("/refresh"))
	p.step("protected call after refresh", ok(notFresh), withAccess("GET", "/me"))
	p.step("fresh-only call refused", refused(401, "insufficient_user_authentication"), withAccess("POST", "/settings"))
	p.step("recent login required, with max_age", refused(401, "insufficient_user_authentication"), withAccess("POST", "/recent"))

	p.step("login again", want{status: 200}, plain("POST", "/login"))
	p.step("fresh-only call", ok(fresh), withAccess("POST", "/settings"))
	p.step("recent login", ok(fresh), withAccess("POST", "/recent"))
	p.step("logout", want{status: 204}, withRefresh("/logout"))
	p.step("access token after logout", refused(401, "invalid_token"), withAccess("GET", "/me"))
	p.step("refresh after logout", refused(401, "invalid_token"), withRefresh("/refresh"))
	p.step("logout again", refused(401, "invalid_token"), withRefresh("/logout"))
}

// cookieFlow is a browser: the tokens in cookies, the CSRF value echoed on
// requests that change state. With session cookies, an expired access
// token still comes and is answered "expired"; with expiring cookies the
// browser has dropped it and no token comes.
func cookieFlow(p *pair, session bool) {
	const (
		fresh    = "access " + Subject + " fresh=true source=cookie"
		notFresh = "access " + Subject + " fresh=false source=cookie"
		access   = "csrf_access_token"
		refresh  = "csrf_refresh_token"
	)
	p.step("login", want{status: 200}, plain("POST", "/login"))
	p.step("safe method, no CSRF header", ok(fresh), withCookies("GET", "/me", ""))
	p.step("unsafe method, no CSRF header", refused(403, "csrf_failed"), withCookies("POST", "/me", ""))
	p.step("unsafe method, the refresh CSRF value", refused(403, "csrf_failed"), withCookies("POST", "/me", refresh))
	p.step("unsafe method, CSRF header", ok(fresh), withCookies("POST", "/me", access))
	p.step("bearer beside the cookies", ok("access "+Subject+" fresh=true source=header"), func(c *client) req {
		return req{method: "POST", path: "/me", header: bearer(c.access), cookies: true}
	})

	p.clk.Advance(pastAccess)
	if session {
		p.step("expired token in a session cookie", refused(401, "invalid_token"), withCookies("GET", "/me", ""))
	} else {
		p.step("expired cookie dropped", refused(401, "missing_token"), withCookies("GET", "/me", ""))
	}
	p.step("refresh without CSRF header", refused(403, "csrf_failed"), withCookies("POST", "/refresh", ""))
	p.step("refresh", want{status: 200}, withCookies("POST", "/refresh", refresh))
	p.step("after refresh", ok(notFresh), withCookies("POST", "/me", access))
	p.step("fresh-only call refused", refused(401, "insufficient_user_authentication"), withCookies("POST", "/settings", access))
	p.step("login again", want{status: 200}, plain("POST", "/login"))
	p.step("fresh-only call", ok(fresh), withCookies("POST", "/settings", access))
	p.step("logout without CSRF header", refused(403, "csrf_failed"), withCookies("POST", "/logout", ""))
	p.step("logout", want{status: 204}, withCookies("POST", "/logout", refresh))
	p.step("after logout", refused(401, "missing_token"), withCookies("GET", "/me", ""))
}

// optional is OptionalAccess: anonymous without a token, refused with a bad
// one.
func optional(p *pair) {
	p.step("no token", ok("anonymous"), plain("GET", "/optional"))
	p.step("another scheme", ok("anonymous"), func(*client) req {
		return req{method: "GET", path: "/optional", header: http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}}
	})
	p.step("garbage token", refused(401, "invalid_token"), func(*client) req {
		return req{method: "GET", path: "/optional", header: bearer("garbage")}
	})
	p.step("login", want{status: 200}, plain("POST", "/login"))
	p.step("valid token", ok("access "+Subject+" fresh=true source=header"), withAccess("GET", "/optional"))
	p.clk.Advance(pastAccess)
	p.step("expired token", refused(401, "invalid_token"), withAccess("GET", "/optional"))
}
