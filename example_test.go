package freshtoken_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/freshtoken/freshtoken"
)

func ExampleNew() {
	// In production the key comes from a secret store; any Ed25519, ECDSA,
	// RSA key or a 32-byte (or longer) HMAC secret will do.
	m, err := freshtoken.New(freshtoken.Config{
		Key:       ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)),
		Issuer:    "https://auth.example.com",
		AccessTTL: 10 * time.Minute,
	})
	fmt.Println(m != nil, err)

	// A short HMAC secret is refused instead of silently weakening tokens.
	_, err = freshtoken.New(freshtoken.Config{Key: []byte("hunter2")})
	fmt.Println(errors.Is(err, freshtoken.ErrInvalidKey))
	// Output:
	// true <nil>
	// true
}

func ExampleManager_Issue() {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) // a fixed clock, so the output never changes
	m, err := freshtoken.New(freshtoken.Config{
		Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)), // in production, from a secret store
		Now: func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	// The user has just typed their password: this is a login.
	pair, err := m.Issue(ctx, "user-42", freshtoken.WithClaims(map[string]any{"role": "admin"}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("access expires:", pair.AccessExpiresAt)
	fmt.Println("refresh expires:", pair.RefreshExpiresAt)

	claims, err := m.RequireAccess(ctx, pair.Access)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.Subject, claims.Fresh, claims.AuthTime, claims.Extra["role"])
	// Output:
	// access expires: 2026-03-01 09:15:00 +0000 UTC
	// refresh expires: 2026-03-31 09:00:00 +0000 UTC
	// user-42 true 2026-03-01 09:00:00 +0000 UTC admin
}

func ExampleManager_Refresh() {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	m, err := freshtoken.New(freshtoken.Config{
		Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)),
		Now: func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	login, err := m.Issue(ctx, "user-42")
	if err != nil {
		log.Fatal(err)
	}

	now = now.Add(20 * time.Minute) // the access token has expired
	_, err = m.RequireAccess(ctx, login.Access)
	fmt.Println(errors.Is(err, freshtoken.ErrExpired))

	pair, err := m.Refresh(ctx, login.Refresh)
	if err != nil {
		log.Fatal(err)
	}
	claims, err := m.RequireAccess(ctx, pair.Access)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("fresh:", claims.Fresh)
	fmt.Println("same refresh token:", pair.Refresh == login.Refresh)
	fmt.Println("logged in at:", claims.AuthTime)
	// Output:
	// true
	// fresh: false
	// same refresh token: true
	// logged in at: 2026-03-01 09:00:00 +0000 UTC
}

func ExampleManager_RequireFresh() {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	m, err := freshtoken.New(freshtoken.Config{
		Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)),
		Now: func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	login, err := m.Issue(ctx, "user-42")
	if err != nil {
		log.Fatal(err)
	}

	// Right after login, the sensitive action is allowed.
	_, err = m.RequireFresh(ctx, login.Access)
	fmt.Println("after login:", err)

	// A refreshed token works for ordinary calls but not for this one.
	now = now.Add(16 * time.Minute)
	refreshed, err := m.Refresh(ctx, login.Refresh)
	if err != nil {
		log.Fatal(err)
	}
	_, err = m.RequireFresh(ctx, refreshed.Access)
	fmt.Println("after refresh:", err)
	// Output:
	// after login: <nil>
	// after refresh: freshtoken: fresh login required: token was refreshed, not issued at login
}

// A handler maps the sentinel errors to what the client should do. Only
// ErrNotFresh asks the user to log in again; the others mean the token is
// no good at all.
func Example_errors() {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	m, err := freshtoken.New(freshtoken.Config{
		Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)),
		Now: func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	login, err := m.Issue(ctx, "user-42")
	if err != nil {
		log.Fatal(err)
	}
	now = now.Add(time.Hour)
	refreshed, err := m.Refresh(ctx, login.Refresh)
	if err != nil {
		log.Fatal(err)
	}
	newLogin, err := m.Issue(ctx, "user-42")
	if err != nil {
		log.Fatal(err)
	}

	explain := func(token string) string {
		claims, err := m.RequireLoginWithin(ctx, token, 30*time.Minute)
		var fe *freshtoken.FreshnessError
		switch {
		case err == nil:
			return "ok for " + claims.Subject
		case errors.As(err, &fe):
			return fmt.Sprintf("log in again (last login %s, allowed %s)", fe.AuthTime.Format(time.Kitchen), fe.MaxAge)
		case errors.Is(err, freshtoken.ErrExpired):
			return "expired: refresh it"
		case errors.Is(err, freshtoken.ErrWrongType):
			return "that is a refresh token"
		default:
			return "rejected: " + err.Error()
		}
	}
	fmt.Println(explain(newLogin.Access))
	fmt.Println(explain(refreshed.Access))
	fmt.Println(explain(login.Access))
	fmt.Println(explain(newLogin.Refresh))
	fmt.Println(explain("not-a-token"))
	// Output:
	// ok for user-42
	// log in again (last login 9:00AM, allowed 30m0s)
	// expired: refresh it
	// that is a refresh token
	// rejected: freshtoken: malformed token: not three dot-separated parts
}
