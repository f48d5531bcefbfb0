package freshtoken_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/freshtoken/freshtoken"
)

// A resource server verifies the tokens of an issuing service through the
// keys it publishes, without ever holding a signing key.
func ExampleNewVerifier() {
	issuer := must(freshtoken.New(freshtoken.Config{Key: exampleKey()}))
	jwks := httptest.NewServer(issuer.JWKSHandler()) // the issuer's /.well-known/jwks.json
	defer jwks.Close()

	ctx, stop := context.WithCancel(context.Background())
	defer stop() // ends the background refresh
	verifier, err := freshtoken.NewVerifier(ctx, freshtoken.VerifierConfig{JWKSURL: jwks.URL})
	if err != nil {
		panic(err)
	}

	login := must(issuer.Issue(ctx, "user-42"))
	claims, err := verifier.RequireFresh(ctx, login.Access)
	fmt.Println(claims.Subject, err)
	// Output:
	// user-42 <nil>
}
