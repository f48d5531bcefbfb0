package freshtoken_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/freshtoken/freshtoken"
)

// A service keeps its signing key in a file that its first start creates,
// so the tokens it issued stay valid when it restarts.
func ExampleLoadOrCreateKey() {
	dir, err := os.MkdirTemp("", "freshtoken-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "freshtoken-key.pem")

	start := func() (*freshtoken.Manager, any) {
		key, err := freshtoken.LoadOrCreateKey(path, "EdDSA")
		if err != nil {
			log.Fatal(err)
		}
		m, err := freshtoken.New(freshtoken.Config{Key: key})
		if err != nil {
			log.Fatal(err)
		}
		return m, key
	}
	ctx := context.Background()

	first, created := start() // no file yet: a new key is written, mode 0600
	login, err := first.Issue(ctx, "user-42")
	if err != nil {
		log.Fatal(err)
	}

	second, loaded := start() // the restart reads the same key back
	a, _ := freshtoken.MarshalKey(created)
	b, _ := freshtoken.MarshalKey(loaded)
	fmt.Println("same key:", bytes.Equal(a, b))
	claims, err := second.RequireAccess(ctx, login.Access)
	fmt.Println("token from before the restart:", claims.Subject, err)
	// Output:
	// same key: true
	// token from before the restart: user-42 <nil>
}

// Many platforms hand secrets to a process in environment variables; the
// variable holds the key in PEM or as a JWK.
func ExampleLoadKeyEnv() {
	k, err := freshtoken.GenerateKey("ES256") // in production, set by the platform
	if err != nil {
		log.Fatal(err)
	}
	pemKey, err := freshtoken.MarshalKey(k)
	if err != nil {
		log.Fatal(err)
	}
	os.Setenv("EXAMPLE_FRESHTOKEN_KEY", string(pemKey))
	defer os.Unsetenv("EXAMPLE_FRESHTOKEN_KEY")

	key, err := freshtoken.LoadKeyEnv("EXAMPLE_FRESHTOKEN_KEY")
	if err != nil {
		log.Fatal(err)
	}
	_, err = freshtoken.New(freshtoken.Config{Key: key})
	fmt.Println(err)

	// A variable the deployment forgot is named in the error.
	_, err = freshtoken.LoadKeyEnv("EXAMPLE_FRESHTOKEN_MISSING")
	fmt.Println(err)
	// Output:
	// <nil>
	// freshtoken: unusable key: environment variable EXAMPLE_FRESHTOKEN_MISSING is not set
}
