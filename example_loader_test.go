package freshtoken_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log"
	"time"

	"github.com/freshtoken/freshtoken"
)

// An administrator is demoted while logged in. With the roles given to
// WithClaims at the login, every access token of the session would say
// "admin" until the refresh token expired, a month later. Read by
// Config.ClaimsLoader, they are read again at each Refresh, so the next
// access token no longer says it.
func ExampleConfig_claimsLoader() {
	roles := map[string][]string{"user-42": {"admin", "editor"}} // the application's database

	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) // a fixed clock, so the output never changes
	m, err := freshtoken.New(freshtoken.Config{
		Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)), // in production, from a secret store
		Now: func() time.Time { return now },
		ClaimsLoader: func(ctx context.Context, subject string) (map[string]any, error) {
			// A real loader queries the database with ctx; its errors
			// answer 503, or return freshtoken.ErrRevoked for a banned user.
			return map[string]any{"roles": roles[subject]}, nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	show := func(when, token string) {
		claims, err := m.RequireAccess(ctx, token)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(when, claims.Extra["roles"], claims.Extra["device"])
	}

	// The login: per-login claims still go to WithClaims.
	pair, err := m.Issue(ctx, "user-42", freshtoken.WithClaims(map[string]any{"device": "laptop"}))
	if err != nil {
		log.Fatal(err)
	}
	show("at login:", pair.Access)

	roles["user-42"] = []string{"editor"} // demoted
	now = now.Add(20 * time.Minute)       // the access token has expired

	pair, err = m.Refresh(ctx, pair.Refresh)
	if err != nil {
		log.Fatal(err)
	}
	show("after refresh:", pair.Access)
	// Output:
	// at login: [admin editor] laptop
	// after refresh: [editor] laptop
}
