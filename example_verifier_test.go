package freshtoken_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/freshtoken/freshtoken"
)

// A resource server verifies the issuer's tokens with its public key. Its
// zero Config accepts every token the issuer accepts: here the issuer's
// two-hour access tokens, which a cap of its own (New's 15-minute default)
// would refuse.
func ExampleVerifier_RequireAccess() {
	now := func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	issuer, err := freshtoken.New(freshtoken.Config{Key: key, AccessTTL: 2 * time.Hour, Now: now})
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	verifier, err := freshtoken.NewVerifier(ctx, freshtoken.VerifierConfig{
		Config: freshtoken.Config{VerifyKeys: []any{key.Public()}, Now: now},
	})
	if err != nil {
		log.Fatal(err)
	}

	login, err := issuer.Issue(ctx, "user-42")
	if err != nil {
		log.Fatal(err)
	}
	claims, err := verifier.RequireAccess(ctx, login.Access)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.Subject, claims.ExpiresAt.Sub(claims.IssuedAt))
	// Output:
	// user-42 2h0m0s
}

// A resource server started before its issuer answers 503 until the keys
// arrive, then verifies as usual.
func ExampleVerifierConfig_startWithoutKeys() {
	issuer, err := freshtoken.New(freshtoken.Config{Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))})
	if err != nil {
		log.Fatal(err)
	}
	var up atomic.Bool
	jwks := issuer.JWKSHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		jwks.ServeHTTP(w, r)
	}))
	defer srv.Close()

	ctx, stop := context.WithCancel(context.Background())
	defer stop() // ends the background fetches
	verifier, err := freshtoken.NewVerifier(ctx, freshtoken.VerifierConfig{
		JWKSURL:            srv.URL,
		StartWithoutKeys:   true, // NewVerifier does not wait for the issuer
		MinRefetchInterval: -1,   // so that each guard call below fetches again
	})
	if err != nil {
		log.Fatal(err)
	}
	login, err := issuer.Issue(ctx, "user-42")
	if err != nil {
		log.Fatal(err)
	}

	_, err = verifier.RequireAccess(ctx, login.Access)
	fmt.Println("issuer down:", errors.Is(err, freshtoken.ErrKeysUnavailable))

	up.Store(true)
	claims, err := verifier.RequireAccess(ctx, login.Access)
	fmt.Println("issuer up:", claims.Subject, err)
	// Output:
	// issuer down: true
	// issuer up: user-42 <nil>
}

// An application reads its own claims into its own type.
func ExampleClaims_Decode() {
	now := func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }
	m, err := freshtoken.New(freshtoken.Config{Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)), Now: now})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	login, err := m.Issue(ctx, "user-42", freshtoken.WithClaims(map[string]any{
		"roles":  []string{"admin", "billing"},
		"tenant": 9007199254740993, // beyond float64's integers: Extra would round it
	}))
	if err != nil {
		log.Fatal(err)
	}
	claims, err := m.RequireAccess(ctx, login.Access)
	if err != nil {
		log.Fatal(err)
	}

	var app struct {
		Roles   []string `json:"roles"`
		Tenant  int64    `json:"tenant"`
		Subject string   `json:"sub"`
	}
	if err := claims.Decode(&app); err != nil {
		log.Fatal(err)
	}
	fmt.Println(app.Subject, app.Roles, app.Tenant)
	// Output:
	// user-42 [admin billing] 9007199254740993
}
