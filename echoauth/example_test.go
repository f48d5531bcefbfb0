package echoauth_test

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/echoauth"
	"github.com/freshtoken/freshtoken/httpauth"
	"github.com/labstack/echo/v4"
)

// A login endpoint that answers with the tokens, and a route behind
// RequireAccess that reads the claims from the echo.Context.
func Example() {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) // a fixed clock, so the output never changes
	m, err := freshtoken.New(freshtoken.Config{
		Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)), // in production, from a secret store
		Now: func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := echoauth.New(m, httpauth.Config{Realm: "example"})
	if err != nil {
		log.Fatal(err)
	}

	e := echo.New()
	e.POST("/login", func(c echo.Context) error {
		// Check the user's password first.
		p, err := m.Issue(c.Request().Context(), "user-42")
		if err == nil {
			err = httpauth.WriteTokenResponse(c.Response(), p)
		}
		if err != nil {
			return auth.WriteError(c, err)
		}
		return nil
	})
	e.GET("/me", func(c echo.Context) error {
		return c.String(http.StatusOK, "hello "+echoauth.ClaimsFrom(c).Subject+"\n")
	}, auth.RequireAccess)

	send := func(method, path, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		return w
	}

	w := send("GET", "/me", "")
	fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))

	var tokens httpauth.TokenResponse
	if err := json.NewDecoder(send("POST", "/login", "").Body).Decode(&tokens); err != nil {
		log.Fatal(err)
	}
	w = send("GET", "/me", tokens.AccessToken)
	fmt.Print(w.Code, " ", w.Body)
	// Output:
	// 401 Bearer realm="example"
	// 200 hello user-42
}
