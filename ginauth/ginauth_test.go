package ginauth_test

import (
	"net/http"
	"testing"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/ginauth"
	"github.com/freshtoken/freshtoken/httpauth"
	"github.com/freshtoken/freshtoken/httpauth/authtest"
	"github.com/gin-gonic/gin"
)

func init() { gin.SetMode(gin.TestMode) }

// app is authtest's application on gin.
func app(t testing.TB, s authtest.Setup) authtest.RoundTrip {
	auth, err := ginauth.New(s.Manager, s.Config)
	if err != nil {
		t.Fatal(err)
	}
	whoami := func(c *gin.Context) {
		c.String(http.StatusOK, authtest.Body(ginauth.ClaimsFrom(c), ginauth.SourceFrom(c)))
	}
	answerPair := func(c *gin.Context, p *freshtoken.Pair, err error) {
		if err == nil && s.Cookies {
			err = auth.SetCookies(c, p)
		}
		if err == nil {
			err = httpauth.WriteTokenResponse(c.Writer, p)
		}
		if err != nil {
			auth.WriteError(c, err)
		}
	}
	r := gin.New()
	r.POST("/login", func(c *gin.Context) {
		p, err := s.Manager.Issue(c.Request.Context(), authtest.Subject, freshtoken.WithCSRF())
		answerPair(c, p, err)
	})
	r.GET("/me", auth.RequireAccess, whoami)
	r.POST("/me", auth.RequireAccess, whoami)
	r.GET("/optional", auth.OptionalAccess, whoami)
	r.POST("/settings", auth.RequireFresh, whoami)
	r.POST("/recent", auth.RequireLoginWithin(authtest.LoginWithin), whoami)
	r.POST("/refresh", auth.RequireRefresh, func(c *gin.Context) {
		p, err := s.Manager.Refresh(c.Request.Context(), ginauth.TokenFrom(c))
		answerPair(c, p, err)
	})
	r.POST("/logout", auth.RequireRefresh, func(c *gin.Context) {
		if err := s.Manager.Logout(c.Request.Context(), ginauth.TokenFrom(c)); err != nil {
			auth.WriteError(c, err)
			return
		}
		if s.Cookies {
			auth.ClearCookies(c)
		}
		c.Status(http.StatusNoContent)
	})
	return authtest.Handler(r)
}

// TestGin runs the shared suite: every answer as httpauth's Middleware gives it.
func TestGin(t *testing.T) { authtest.Run(t, app) }

// TestContextKeys checks that c.Get with the exported keys reads what the
// typed helpers read.
func TestContextKeys(t *testing.T) {
	var got []any
	rt := authtest.Handler(func() http.Handler {
		m, err := freshtoken.New(freshtoken.Config{Key: make([]byte, 32)})
		if err != nil {
			t.Fatal(err)
		}
		auth, err := ginauth.New(m, httpauth.Config{})
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.Issue(t.Context(), "user-1")
		if err != nil {
			t.Fatal(err)
		}
		r := gin.New()
		r.GET("/", func(c *gin.Context) { c.Request.Header.Set("Authorization", "Bearer "+p.Access); c.Next() }, auth.RequireAccess, func(c *gin.Context) {
			claims, _ := c.Get(ginauth.ClaimsKey)
			tok, _ := c.Get(ginauth.TokenKey)
			src, _ := c.Get(ginauth.SourceKey)
			got = []any{claims == any(ginauth.ClaimsFrom(c)), tok == any(ginauth.TokenFrom(c)) && tok == any(p.Access), src == any(httpauth.FromHeader)}
		})
		return r
	}())
	req, _ := http.NewRequest("GET", "/", nil)
	if _, err := rt(req); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != true || got[1] != true || got[2] != true {
		t.Errorf("c.Get and the helpers disagree: %v, want three trues", got)
	}
}
