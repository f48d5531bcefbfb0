package freshtoken_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/freshtoken/freshtoken"
)

// A resource server verifies the tokens of an issuing service through the
// keys it publishes, without ever holding a signing key.
func ExampleNewVerifier() {
	issuer, err := freshtoken.New(freshtoken.Config{Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))})
	if err != nil {
		log.Fatal(err)
	}
	jwks := httptest.NewServer(issuer.JWKSHandler()) // the issuer's /.well-known/jwks.json
	defer jwks.Close()

	ctx, stop := context.WithCancel(context.Background())
	defer stop() // ends the background refresh
	verifier, err := freshtoken.NewVerifier(ctx, freshtoken.VerifierConfig{JWKSURL: jwks.URL})
	if err != nil {
		log.Fatal(err)
	}

	login, err := issuer.Issue(ctx, "user-42")
	if err != nil {
		log.Fatal(err)
	}
	claims, err := verifier.RequireFresh(ctx, login.Access)
	fmt.Println(claims.Subject, err)
	// Output:
	// user-42 <nil>
}
