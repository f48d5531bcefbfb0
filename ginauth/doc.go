// Package ginauth puts freshtoken's guards in front of gin handlers. It is
// a thin layer over httpauth: the same Config, the same places to look for
// the token, the same CSRF check, and the same answers to a refused request
// (status, WWW-Authenticate challenge, JSON body, Retry-After), which
// httpauth's Middleware computes for gin's *http.Request and writes to
// gin's http.ResponseWriter.
//
// # Middleware
//
// [New] takes what httpauth.New takes and returns a [Middleware] whose
// methods RequireAccess, OptionalAccess, RequireFresh and RequireRefresh are
// gin.HandlerFuncs, and RequireLoginWithin(maxAge) returns one:
//
//	r.GET("/me", auth.RequireAccess, me)
//	r.POST("/email", auth.RequireFresh, changeEmail)
//
// A handler behind one reads the claims with [ClaimsFrom] (or c.Get with
// [ClaimsKey]); a refresh or logout endpoint reads the token with
// [TokenFrom], and where it came from with [SourceFrom]. A refused request
// is answered and aborted (c.Abort), with httpauth.Config.ErrorWriter when
// set.
//
// # Cookies
//
// Browser clients keep their tokens in cookies: list httpauth.FromCookie in
// httpauth.Config.Sources, issue with freshtoken.WithCSRF, and call
// [Middleware.SetCookies] at login and refresh and [Middleware.ClearCookies]
// at logout. Requests with unsafe methods must repeat the CSRF cookie's value
// in the CSRF header. A client that keeps its own tokens gets
// httpauth.WriteTokenResponse(c.Writer, pair).
package ginauth
