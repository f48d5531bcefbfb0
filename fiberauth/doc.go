// Package fiberauth puts freshtoken's guards in front of fiber handlers.
// Fiber runs on fasthttp, not net/http, so it holds no *http.Request; this
// package reads the request through the small httpauth.Request interface
// (method, header values, context) and httpauth does the rest: the same
// Config, the same places to look for the token, the same CSRF check, and
// the same answers to a refused request (status, WWW-Authenticate
// challenge, JSON body, Retry-After), written by httpauth's own code to
// fiber's response.
//
// # Middleware
//
// [New] takes what httpauth.New takes and returns a [Middleware] whose
// methods RequireAccess, OptionalAccess, RequireFresh and RequireRefresh are
// fiber.Handlers, and RequireLoginWithin(maxAge) returns one:
//
//	app.Get("/me", auth.RequireAccess, me)
//	app.Post("/email", auth.RequireFresh, changeEmail)
//
// A handler behind one reads the claims with [ClaimsFrom] (or c.Locals
// with [ClaimsKey]); a refresh or logout endpoint reads the token with
// [TokenFrom], and where it came from with [SourceFrom]. A refused request
// is answered by the guard itself, and the next handler is not called; the
// guard then returns nil, not an error for fiber's ErrorHandler, whose
// answer would not be httpauth's.
//
// # What is converted
//
// Headers are copied out of fasthttp's buffers as they are read, because
// the token outlives the request (in the Locals while the handler runs, in
// the Manager's verified-token cache after it). Two things are written for
// net/http and get an *http.Request built from fiber's: the extractor of an
// httpauth.FromFunc Source and httpauth.Config.ErrorWriter. The conversion
// copies the method, URL, host, remote address and headers but not the
// body, and is made only when one of them runs, so a request guarded by
// FromHeader and FromCookie never pays for it.
//
// # Cookies
//
// Browser clients keep their tokens in cookies: list httpauth.FromCookie in
// httpauth.Config.Sources, issue with freshtoken.WithCSRF, and call
// [Middleware.SetCookies] at login and refresh and [Middleware.ClearCookies]
// at logout. Requests with unsafe methods must repeat the CSRF cookie's value
// in the CSRF header. A client that keeps its own tokens gets
// [WriteTokenResponse].
package fiberauth
