// Command quickstart walks through freshtoken's login, refresh and
// fresh-login flow in the terminal, printing each step.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/freshtoken/freshtoken"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()

	// A real service loads its key from a secret store. A fake clock lets the
	// walkthrough move time forward instead of waiting.
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	m, err := freshtoken.New(freshtoken.Config{
		Key:       key,
		AccessTTL: 15 * time.Minute,
		Now:       func() time.Time { return now },
	})
	if err != nil {
		return err
	}

	step := func(format string, args ...any) { fmt.Printf("\n"+format+"\n", args...) }

	step("1. alice logs in with her password: Issue gives a fresh access token and a refresh token")
	login, err := m.Issue(ctx, "alice", freshtoken.WithClaims(map[string]any{"role": "editor"}))
	if err != nil {
		return err
	}
	fmt.Printf("   access token:  %s...\n   refresh token: %s...\n", login.Access[:40], login.Refresh[:40])

	step("2. she changes her email address, a sensitive action: RequireFresh")
	claims, err := m.RequireFresh(ctx, login.Access)
	if err != nil {
		return fmt.Errorf("a login token must pass RequireFresh: %w", err)
	}
	fmt.Printf("   allowed for %s (fresh=%v, role=%v)\n", claims.Subject, claims.Fresh, claims.Extra["role"])

	now = now.Add(20 * time.Minute)
	step("3. twenty minutes later the access token has expired")
	_, err = m.RequireAccess(ctx, login.Access)
	fmt.Printf("   RequireAccess: %v\n", err)
	if !errors.Is(err, freshtoken.ErrExpired) {
		return fmt.Errorf("expected ErrExpired, got %v", err)
	}

	step("4. her app refreshes silently: Refresh gives a new access token that is not fresh")
	refreshed, err := m.Refresh(ctx, login.Refresh)
	if err != nil {
		return err
	}
	fmt.Printf("   new access token: %s...\n", refreshed.Access[:40])
	fmt.Printf("   refresh token unchanged: %v\n", refreshed.Refresh == login.Refresh)

	step("5. she tries to change her email again with the refreshed token")
	_, err = m.RequireFresh(ctx, refreshed.Access)
	fmt.Printf("   RequireFresh: %v\n", err)
	var fe *freshtoken.FreshnessError
	if !errors.As(err, &fe) {
		return fmt.Errorf("expected a *FreshnessError, got %v", err)
	}
	fmt.Printf("   errors.Is(err, freshtoken.ErrNotFresh) = %v: the app asks her to log in again\n", errors.Is(err, freshtoken.ErrNotFresh))

	step("6. ordinary actions still work with the refreshed token: RequireAccess")
	claims, err = m.RequireAccess(ctx, refreshed.Access)
	if err != nil {
		return err
	}
	fmt.Printf("   allowed for %s (fresh=%v, logged in %s ago)\n", claims.Subject, claims.Fresh, now.Sub(claims.AuthTime).Round(time.Minute))

	step("7. she logs in again")
	relogin, err := m.Issue(ctx, "alice", freshtoken.WithClaims(map[string]any{"role": "editor"}))
	if err != nil {
		return err
	}

	step("8. and the sensitive action passes")
	claims, err = m.RequireFresh(ctx, relogin.Access)
	if err != nil {
		return err
	}
	fmt.Printf("   allowed for %s (fresh=%v)\n", claims.Subject, claims.Fresh)

	step("9. on the old device she logs out: Logout ends that session's refresh token and its access tokens")
	if err := m.Logout(ctx, login.Refresh); err != nil {
		return err
	}
	_, err = m.RequireAccess(ctx, refreshed.Access)
	fmt.Printf("   RequireAccess with the refreshed token: %v\n", err)
	if !errors.Is(err, freshtoken.ErrRevoked) {
		return fmt.Errorf("expected ErrRevoked, got %v", err)
	}
	if _, err := m.Refresh(ctx, login.Refresh); !errors.Is(err, freshtoken.ErrRevoked) {
		return fmt.Errorf("expected the logged-out refresh token to fail with ErrRevoked, got %v", err)
	}
	if _, err := m.RequireFresh(ctx, relogin.Access); err != nil {
		return fmt.Errorf("the new login's session must go on: %w", err)
	}
	fmt.Println("   the new login's session goes on")
	return nil
}
