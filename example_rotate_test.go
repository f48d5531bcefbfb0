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

// A key is replaced without a restart: the new key signs at once, the old
// one verifies its tokens until they no longer matter, then it is retired.
func ExampleManager_RotateKey() {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) // a fixed clock, so the output never changes
	seed := func(b byte) []byte { s := make([]byte, ed25519.SeedSize); s[0] = b; return s }
	m, err := freshtoken.New(freshtoken.Config{
		Key: ed25519.NewKeyFromSeed(seed(1)), // in production, from a secret store
		Now: func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	before, err := m.Issue(ctx, "user-42")
	if err != nil {
		log.Fatal(err)
	}

	// Step 1: the new key signs; the old one verifies and stays published.
	oldKeyID, err := m.RotateKey(ed25519.NewKeyFromSeed(seed(2)))
	if err != nil {
		log.Fatal(err)
	}
	signing, verifying := m.KeyIDs()
	fmt.Println("signing:", signing)
	fmt.Println("verifying:", verifying)
	after, err := m.Issue(ctx, "user-7")
	if err != nil {
		log.Fatal(err)
	}
	for _, tok := range []string{before.Refresh, after.Refresh} {
		c, err := m.RequireRefresh(ctx, tok)
		fmt.Println(c.Subject, err)
	}

	// Step 2, in production: wait until the old key's tokens no longer
	// matter (RefreshTTL after the rotation, every one has expired). The
	// example goes straight to step 3, to show what retiring does.
	if err := m.RetireKey(oldKeyID); err != nil {
		log.Fatal(err)
	}
	_, err = m.RequireRefresh(ctx, before.Refresh)
	fmt.Println("old key's token:", errors.Is(err, freshtoken.ErrUnknownKey))
	_, err = m.RequireRefresh(ctx, after.Refresh)
	fmt.Println("new key's token:", err)
	// Output:
	// signing: hFbVBhD2mj02-tVI1s0ZXmerYiLMK0HMEtYSPPNPTT4
	// verifying: [ztbkwUTj3EykAmV-cJTL2mji0UARaMUmW7XIbMNOrro]
	// user-42 <nil>
	// user-7 <nil>
	// old key's token: true
	// new key's token: <nil>
}
