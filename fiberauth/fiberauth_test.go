package fiberauth_test

import (
	"net/http"
	"testing"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/fiberauth"
	"github.com/freshtoken/freshtoken/httpauth/authtest"
	"github.com/gofiber/fiber/v2"
)

// app is authtest's application on fiber, sent requests with app.Test.
func app(t testing.TB, s authtest.Setup) authtest.RoundTrip {
	auth, err := fiberauth.New(s.Manager, s.Config)
	if err != nil {
		t.Fatal(err)
	}
	whoami := func(c *fiber.Ctx) error {
		return c.SendString(authtest.Body(fiberauth.ClaimsFrom(c), fiberauth.SourceFrom(c)))
	}
	answerPair := func(c *fiber.Ctx, p *freshtoken.Pair, err error) error {
		if err == nil && s.Cookies {
			err = auth.SetCookies(c, p)
		}
		if err == nil {
			err = fiberauth.WriteTokenResponse(c, p)
		}
		if err != nil {
			return auth.WriteError(c, err)
		}
		return nil
	}
	// Headers up to 32 KiB, so that the suite's huge token reaches the
	// guard instead of fasthttp's 4 KiB default refusing it first.
	f := fiber.New(fiber.Config{ReadBufferSize: 32 << 10})
	f.Post("/login", func(c *fiber.Ctx) error {
		p, err := s.Manager.Issue(c.UserContext(), authtest.Subject, freshtoken.WithCSRF())
		return answerPair(c, p, err)
	})
	f.Get("/me", auth.RequireAccess, whoami)
	f.Post("/me", auth.RequireAccess, whoami)
	f.Get("/optional", auth.OptionalAccess, whoami)
	f.Post("/settings", auth.RequireFresh, whoami)
	f.Post("/recent", auth.RequireLoginWithin(authtest.LoginWithin), whoami)
	f.Post("/refresh", auth.RequireRefresh, func(c *fiber.Ctx) error {
		p, err := s.Manager.Refresh(c.UserContext(), fiberauth.TokenFrom(c))
		return answerPair(c, p, err)
	})
	f.Post("/logout", auth.RequireRefresh, func(c *fiber.Ctx) error {
		if err := s.Manager.Logout(c.UserContext(), fiberauth.TokenFrom(c)); err != nil {
			return auth.WriteError(c, err)
		}
		if s.Cookies {
			auth.ClearCookies(c)
		}
		return c.SendStatus(http.StatusNoContent)
	})
	return func(r *http.Request) (*http.Response, error) { return f.Test(r, -1) }
}

// TestFiber runs the shared suite: every answer as httpauth's Middleware
// gives it, through fasthttp.
func TestFiber(t *testing.T) { authtest.Run(t, app) }
