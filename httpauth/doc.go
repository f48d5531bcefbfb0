// Package httpauth puts freshtoken's guards in front of net/http handlers:
// it finds the token in a request, runs the guard, hands the verified
// claims to the handler, and answers a refusal the way RFC 6750 and RFC 9470
// say. It works with any router that takes http.Handler middleware (chi,
// gorilla/mux). The freshtoken package itself never reads a request; the
// sub-modules ginauth, echoauth and fiberauth give the same guards to gin,
// echo and fiber, through [Middleware.Authenticate] and
// [Middleware.AuthenticateRequest], which do every guard's work (find the
// token, run the [Rule], check CSRF), and [Middleware.WriteError], which
// answers as the Middleware does. The package authtest is the one test they
// all pass.
//
// # Middleware
//
// [New] takes a [Guard] (a *freshtoken.Manager, or the verify-only value
// freshtoken.NewVerifier returns) and a [Config], and returns a [Middleware]
// whose RequireAccess, RequireFresh, RequireLoginWithin and RequireRefresh
// wrap handlers with the guards of the same names. A handler behind one reads
// the claims with [ClaimsFromContext], and a refresh or logout endpoint the
// token itself with [TokenFromContext]. [Middleware.OptionalAccess] serves
// requests without a token too, and still refuses a bad one.
//
// Config.Sources says where to look for the token: [FromHeader] (the
// default), [FromCookie], or a place of your own made with [FromFunc];
// [SourceFromContext] tells which one held it. Config.PassPreflight lets
// CORS preflight requests through to a CORS handler inside the guard.
//
// A login or refresh endpoint answers clients that keep their own tokens
// with [WriteTokenResponse], an OAuth 2.0 token response (RFC 6749 §5.1).
//
// # Answers
//
// Refused requests get 401, never 422: an RFC 6750 challenge for a missing
// or bad token, an RFC 9470 "insufficient_user_authentication" challenge when
// a fresh login is needed, 403 when the CSRF check fails and 503 when the
// revocation store or the signing keys cannot be had, with Retry-After.
// [ResponseFor] gives that mapping to other frameworks, and
// Config.ErrorWriter replaces it.
//
// # Cookies
//
// Browser clients keep their tokens in cookies: issue with
// freshtoken.WithCSRF, call [Middleware.SetCookies], and list [FromCookie]
// in Config.Sources (SetCookies refuses to run without it). State-changing
// requests that authenticate with a cookie must repeat the token's CSRF
// value in a header (double submit).
// [CookieConfig].HostPrefix keeps other subdomains from planting cookies;
// [CookieConfig].SessionCookies keeps the cookies for the browser session,
// so that an expired token is answered "expired" (the page refreshes)
// rather than "missing". [Middleware.Cookies] and
// [Middleware.ClearingCookies] give the cookies to frameworks without an
// http.ResponseWriter.
//
// # Events
//
// A CSRF failure is a security event: the token was genuine, the request
// was not. The Middleware reports each as a freshtoken.EventCSRFFailed,
// with the token's subject, session and ID and the request's context,
// through the Guard's Notify method ([Notifier]): to the Config.Events
// hook of the Manager or Verifier, which reports the guards' own events
// (a revoked token, the store out of reach, an unknown key) to the same
// hook.
//
// # Errors
//
// The middleware adds two sentinels to freshtoken's: [ErrNoToken] and
// [ErrCSRF]. Match them with errors.Is; their text may change.
package httpauth
