// Package echoauth puts freshtoken's guards in front of echo handlers. It is
// a thin layer over httpauth: the same Config, the same places to look for
// the token, the same CSRF check, and the same answers to a refused request
// (status, WWW-Authenticate challenge, JSON body, Retry-After), which
// httpauth's Middleware computes for echo's *http.Request and writes to
// echo's http.ResponseWriter (*echo.Response).
//
// # Middleware
//
// [New] takes what httpauth.New takes and returns a [Middleware] whose
// methods RequireAccess, OptionalAccess, RequireFresh and RequireRefresh are
// echo.MiddlewareFuncs, and RequireLoginWithin(maxAge) returns one:
//
//	e.GET("/me", me, auth.RequireAccess)
//	e.POST("/email", changeEmail, auth.RequireFresh)
//
// A handler behind one reads the claims with [ClaimsFrom] (or c.Get with
// [ClaimsKey]); a refresh or logout endpoint reads the token with
// [TokenFrom], and where it came from with [SourceFrom]. A refused request
// is answered by the guard itself, with httpauth.Config.ErrorWriter when
// set, and the next handler is not called. The guard then returns nil, not
// an error for echo's HTTPErrorHandler, whose answer would not be
// httpauth's; log refusals in the ErrorWriter.
//
// # Cookies
//
// Browser clients keep their tokens in cookies: list httpauth.FromCookie in
// httpauth.Config.Sources, issue with freshtoken.WithCSRF, and call
// [Middleware.SetCookies] at login and refresh and [Middleware.ClearCookies]
// at logout. Requests with unsafe methods must repeat the CSRF cookie's value
// in the CSRF header. A client that keeps its own tokens gets
// httpauth.WriteTokenResponse(c.Response(), pair).
package echoauth
