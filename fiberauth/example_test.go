package fiberauth_test

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/fiberauth"
	"github.com/freshtoken/freshtoken/httpauth"
	"github.com/gofiber/fiber/v2"
)

// A login endpoint that answers with the tokens, and a route behind
// RequireAccess that reads the claims from the fiber.Ctx.
func Example() {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) // a fixed clock, so the output never changes
	m, err := freshtoken.New(freshtoken.Config{
		Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)), // in production, from a secret store
		Now: func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := fiberauth.New(m, httpauth.Config{Realm: "example"})
	if err != nil {
		log.Fatal(err)
	}

	app := fiber.New()
	app.Post("/login", func(c *fiber.Ctx) error {
		// Check the user's password first.
		p, err := m.Issue(c.UserContext(), "user-42")
		if err == nil {
			err = fiberauth.WriteTokenResponse(c, p)
		}
		if err != nil {
			return auth.WriteError(c, err)
		}
		return nil
	})
	app.Get("/me", auth.RequireAccess, func(c *fiber.Ctx) error {
		return c.SendString("hello " + fiberauth.ClaimsFrom(c).Subject + "\n")
	})

	send := func(method, path, token string) (int, string, []byte) {
		req := httptest.NewRequest(method, path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := app.Test(req, -1)
		if err != nil {
			log.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header.Get("WWW-Authenticate"), body
	}

	code, challenge, _ := send("GET", "/me", "")
	fmt.Println(code, challenge)

	var tokens httpauth.TokenResponse
	_, _, body := send("POST", "/login", "")
	if err := json.Unmarshal(body, &tokens); err != nil {
		log.Fatal(err)
	}
	code, _, body = send("GET", "/me", tokens.AccessToken)
	fmt.Printf("%d %s", code, body)
	// Output:
	// 401 Bearer realm="example"
	// 200 hello user-42
}
