package echoauth_test

import (
	"net/http"
	"testing"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/echoauth"
	"github.com/freshtoken/freshtoken/httpauth"
	"github.com/freshtoken/freshtoken/httpauth/authtest"
	"github.com/labstack/echo/v4"
)

// app is authtest's application on echo.
func app(t testing.TB, s authtest.Setup) authtest.RoundTrip {
	auth, err := echoauth.New(s.Manager, s.Config)
	if err != nil {
		t.Fatal(err)
	}
	whoami := func(c echo.Context) error {
		return c.String(http.StatusOK, authtest.Body(echoauth.ClaimsFrom(c), echoauth.SourceFrom(c)))
	}
	answerPair := func(c echo.Context, p *freshtoken.Pair, err error) error {
		if err == nil && s.Cookies {
			err = auth.SetCookies(c, p)
		}
		if err == nil {
			err = httpauth.WriteTokenResponse(c.Response(), p)
		}
		if err != nil {
			return auth.WriteError(c, err)
		}
		return nil
	}
	e := echo.New()
	e.POST("/login", func(c echo.Context) error {
		p, err := s.Manager.Issue(c.Request().Context(), authtest.Subject, freshtoken.WithCSRF())
		return answerPair(c, p, err)
	})
	e.GET("/me", whoami, auth.RequireAccess)
	e.POST("/me", whoami, auth.RequireAccess)
	e.GET("/optional", whoami, auth.OptionalAccess)
	e.POST("/settings", whoami, auth.RequireFresh)
	e.POST("/recent", whoami, auth.RequireLoginWithin(authtest.LoginWithin))
	e.POST("/refresh", func(c echo.Context) error {
		p, err := s.Manager.Refresh(c.Request().Context(), echoauth.TokenFrom(c))
		return answerPair(c, p, err)
	}, auth.RequireRefresh)
	e.POST("/logout", func(c echo.Context) error {
		if err := s.Manager.Logout(c.Request().Context(), echoauth.TokenFrom(c)); err != nil {
			return auth.WriteError(c, err)
		}
		if s.Cookies {
			auth.ClearCookies(c)
		}
		return c.NoContent(http.StatusNoContent)
	}, auth.RequireRefresh)
	return authtest.Handler(e)
}

// TestEcho runs the shared suite: every answer as httpauth's Middleware gives it.
func TestEcho(t *testing.T) { authtest.Run(t, app) }
