// Package httpauth puts freshtoken's guards in front of net/http handlers:
// it finds the token in a request, runs the guard, hands the verified
// claims to the handler, and answers a refusal the way RFC 6750 and RFC 9470
// say. It works with any router that takes http.Handler middleware. The
// freshtoken package itself never reads a request; adapters for other
// frameworks can sit beside this one and share [ResponseFor].
//
// # Middleware
//
// [New] takes a [Guard] (a *freshtoken.Manager, or the verify-only value
// freshtoken.NewVerifier returns) and a [Config], and returns a [Middleware]
// whose RequireAccess, RequireFresh, RequireLoginWithin and RequireRefresh
// wrap handlers with the guards of the same names. A handler behind one reads
// the claims with [ClaimsFromContext], and a refresh or logout endpoint the
// token itself with [TokenFromContext].
//
// # Answers
//
// Refused requests get 401, never 422: an RFC 6750 challenge for a missing
// or bad token, an RFC 9470 "insufficient_user_authentication" challenge when
// a fresh login is needed, 403 when the CSRF check fails and 503 when the
// revocation store cannot be asked. [ResponseFor] gives that mapping to
// other frameworks, and Config.ErrorWriter replaces it.
//
// # Cookies
//
// Browser clients keep their tokens in cookies: issue with
// freshtoken.WithCSRF, call [Middleware.SetCookies], and list [FromCookie]
// in Config.Sources. State-changing requests that authenticate with a
// cookie must repeat the token's CSRF value in a header (double submit).
// [CookieConfig].HostPrefix keeps other subdomains from planting cookies.
//
// # Errors
//
// The middleware adds two sentinels to freshtoken's: [ErrNoToken] and
// [ErrCSRF]. Match them with errors.Is; their text may change.
package httpauth
