package freshtoken_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/freshtoken/freshtoken"
)

// A resource server trusts two issuing services, the staff login and the
// customer login, each publishing its own JWK Set. A token's "iss" chooses
// whose keys must have signed it: a token that names the staff issuer but
// was signed by the customer service is refused, even though both name
// their keys "main".
func ExampleVerifierConfig_issuers() {
	now := func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }
	key := func(seed byte) ed25519.PrivateKey {
		s := make([]byte, ed25519.SeedSize)
		s[0] = seed
		return ed25519.NewKeyFromSeed(s)
	}
	newIssuer := func(name string, k ed25519.PrivateKey) *freshtoken.Manager {
		m, err := freshtoken.New(freshtoken.Config{Key: k, KeyID: "main", Issuer: name, Now: now})
		if err != nil {
			log.Fatal(err)
		}
		return m
	}
	staff := newIssuer("https://staff.example.com", key(1))
	customers := newIssuer("https://customers.example.com", key(2))
	staffJWKS := httptest.NewServer(staff.JWKSHandler())
	defer staffJWKS.Close()
	customerJWKS := httptest.NewServer(customers.JWKSHandler())
	defer customerJWKS.Close()

	ctx, stop := context.WithCancel(context.Background())
	defer stop() // ends the background fetches
	verifier, err := freshtoken.NewVerifier(ctx, freshtoken.VerifierConfig{
		Issuers: []freshtoken.TrustedIssuer{
			{Issuer: "https://staff.example.com", JWKSURL: staffJWKS.URL},
			{Issuer: "https://customers.example.com", JWKSURL: customerJWKS.URL},
		},
		Config: freshtoken.Config{Now: now},
	})
	if err != nil {
		log.Fatal(err)
	}

	for _, m := range []*freshtoken.Manager{staff, customers} {
		login, err := m.Issue(ctx, "user-42")
		if err != nil {
			log.Fatal(err)
		}
		claims, err := verifier.RequireAccess(ctx, login.Access)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(claims.Issuer, claims.Subject)
	}

	// The customer service's key, posing as the staff login.
	impostor := newIssuer("https://staff.example.com", key(2))
	forged, err := impostor.Issue(ctx, "admin")
	if err != nil {
		log.Fatal(err)
	}
	_, err = verifier.RequireAccess(ctx, forged.Access)
	fmt.Println(errors.Is(err, freshtoken.ErrSignature))

	// A token from an issuer nobody listed is refused before any key is sought.
	outsider := newIssuer("https://elsewhere.example.com", key(3))
	other, err := outsider.Issue(ctx, "user-42")
	if err != nil {
		log.Fatal(err)
	}
	_, err = verifier.RequireAccess(ctx, other.Access)
	fmt.Println(errors.Is(err, freshtoken.ErrInvalidClaims))
	// Output:
	// https://staff.example.com user-42
	// https://customers.example.com user-42
	// true
	// true
}

// An API known by two names (its URL, and a short name older clients
// used) accepts a token meant for either; the issuer writes both, as a
// list, into every token. A token meant only for another service, signed
// with the same key, is refused.
func ExampleConfig_audience() {
	now := func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	ctx := context.Background()
	issue := func(audience ...string) string {
		m, err := freshtoken.New(freshtoken.Config{Key: key, Audience: audience, Now: now})
		if err != nil {
			log.Fatal(err)
		}
		login, err := m.Issue(ctx, "user-42")
		if err != nil {
			log.Fatal(err)
		}
		return login.Access
	}
	api, err := freshtoken.NewVerifier(ctx, freshtoken.VerifierConfig{Config: freshtoken.Config{
		VerifyKeys: []any{key.Public()},
		Audience:   []string{"https://api.example.com", "api"},
		Now:        now,
	}})
	if err != nil {
		log.Fatal(err)
	}

	for _, tok := range []string{
		issue("https://api.example.com", "https://billing.example.com"),
		issue("api"),
		issue("https://billing.example.com"),
	} {
		claims, err := api.RequireAccess(ctx, tok)
		if err != nil {
			fmt.Println(errors.Is(err, freshtoken.ErrInvalidClaims), err)
			continue
		}
		fmt.Println(claims.Audience)
	}
	// Output:
	// [https://api.example.com https://billing.example.com]
	// [api]
	// true freshtoken: invalid claims: "aud" ["https://billing.example.com"] names none of Config.Audience ["https://api.example.com" "api"]
}
