// Package authtest is the one test every adapter of httpauth runs: the
// net/http Middleware's own, gin's, echo's, fiber's, and a router's such as
// chi. It drives an application through a login, refreshes, step-up, logout,
// cookies with CSRF, optional access and hostile tokens, and checks that
// every answer is the one httpauth's Middleware gives to the same request:
// the same status, WWW-Authenticate challenge, Retry-After, body and
// cookies. An adapter's test builds the application with its framework and
// calls Run.
//
// # The application
//
// An App is given a Setup and builds, with the framework under test, an
// application with these routes, each guarded by the adapter's middleware of
// the same name, made with Setup.Manager and Setup.Config:
//
//	POST /login     no guard: Setup.Manager.Issue(ctx, Subject,
//	                freshtoken.WithCSRF()); with Setup.Cookies, set the
//	                Pair's cookies; answer httpauth.WriteTokenResponse's
//	                token response
//	GET, POST /me   RequireAccess
//	GET /optional   OptionalAccess
//	POST /settings  RequireFresh
//	POST /recent    RequireLoginWithin(LoginWithin)
//	POST /refresh   RequireRefresh: Setup.Manager.Refresh with the token;
//	                with Setup.Cookies, set the new Pair's cookies; answer
//	                the token response
//	POST /logout    RequireRefresh: Setup.Manager.Logout with the token;
//	                with Setup.Cookies, clear the cookies; answer 204
//
// A guarded handler answers 200 with Body of its claims and their Source.
// A failed Issue, Refresh or Logout is answered with the adapter's error
// writer (httpauth's Middleware.WriteError).
package authtest

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/httpauth"
)

// Subject is who logs in at POST /login.
const Subject = "user-42"

// LoginWithin is the maxAge of POST /recent.
const LoginWithin = 5 * time.Minute

// Setup is what an App builds the application from.
type Setup struct {
	// Manager issues, refreshes and revokes; it is the guard of the
	// middleware too. Its clock is the suite's, which it moves.
	Manager *freshtoken.Manager
	// Config configures the middleware: httpauth.New(Manager, Config), or
	// the adapter's New with the same arguments.
	Config httpauth.Config
	// Cookies says whether Config.Sources reads cookies: login and refresh
	// then set them, and logout clears them.
	Cookies bool
}

// RoundTrip sends a request to the application and returns its answer.
type RoundTrip func(*http.Request) (*http.Response, error)

// App builds the application under test for s and returns how to send it a
// request. Run calls it several times, with different Setups; it fails t
// when it cannot build the application.
type App func(t testing.TB, s Setup) RoundTrip

// Handler returns the RoundTrip of an http.Handler, such as a gin engine,
// an echo instance or a chi router: it serves the request through a
// recorder, without a network.
func Handler(h http.Handler) RoundTrip {
	return func(r *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Result(), nil
	}
}

// Body is what a guarded handler answers for claims c from Source src:
// "anonymous" when c is nil (OptionalAccess without a token).
func Body(c *freshtoken.Claims, src httpauth.Source) string {
	if c == nil {
		return "anonymous"
	}
	fresh := "false"
	if c.Fresh {
		fresh = "true"
	}
	return c.Type.String() + " " + c.Subject + " fresh=" + fresh + " source=" + src.String()
}
