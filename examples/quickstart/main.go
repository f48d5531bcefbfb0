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
	w, err := newWalkthrough()
	if err != nil {
		return err
	}
	login, err := w.login()
	if err != nil {
		return err
	}
	refreshed, err := w.refreshAfterExpiry(login)
	if err != nil {
		return err
	}
	if err := w.sensitiveNeedsLogin(refreshed); err != nil {
		return err
	}
	relogin, err := w.loginAgain()
	if err != nil {
		return err
	}
	return w.logout(login, refreshed, relogin)
}

// walkthrough is one Manager and the clock it reads.
type walkthrough struct {
	ctx context.Context
	m   *freshtoken.Manager
	now time.Time
}

func newWalkthrough() (*walkthrough, error) {
	// A real service loads its key from a secret store. A fake clock lets the
	// walkthrough move time forward instead of waiting.
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	w := &walkthrough{ctx: context.Background(), now: time.Now()}
	w.m, err = freshtoken.New(freshtoken.Config{
		Key:       key,
		AccessTTL: 15 * time.Minute,
		Now:       func() time.Time { return w.now },
	})
	return w, err
}

func step(format string, args ...any) { fmt.Printf("\n"+format+"\n", args...) }

func (w *walkthrough) login() (*freshtoken.Pair, error) {
	step("1. alice logs in with her password: Issue gives a fresh access token and a refresh token")
	login, err := w.m.Issue(w.ctx, "alice", freshtoken.WithClaims(map[string]any{"role": "editor"}))
	if err != nil {
		return nil, err
	}
	fmt.Printf("   access token:  %s...\n   refresh token: %s...\n", login.Access[:40], login.Refresh[:40])

	step("2. she changes her email address, a sensitive action: RequireFresh")
	claims, err := w.m.RequireFresh(w.ctx, login.Access)
	if err != nil {
		return nil, fmt.Errorf("a login token must pass RequireFresh: %w", err)
	}
	fmt.Printf("   allowed for %s (fresh=%v, role=%v)\n", claims.Subject, claims.Fresh, claims.Extra["role"])
	return login, nil
}

func (w *walkthrough) refreshAfterExpiry(login *freshtoken.Pair) (*freshtoken.Pair, error) {
	w.now = w.now.Add(20 * time.Minute)
	step("3. twenty minutes later the access token has expired")
	_, err := w.m.RequireAccess(w.ctx, login.Access)
	fmt.Printf("   RequireAccess: %v\n", err)
	if !errors.Is(err, freshtoken.ErrExpired) {
		return nil, fmt.Errorf("expected ErrExpired, got %v", err)
	}

	step("4. her app refreshes silently: Refresh gives a new access token that is not fresh")
	refreshed, err := w.m.Refresh(w.ctx, login.Refresh)
	if err != nil {
		return nil, err
	}
	fmt.Printf("   new access token: %s...\n", refreshed.Access[:40])
	fmt.Printf("   refresh token unchanged: %v\n", refreshed.Refresh == login.Refresh)
	return refreshed, nil
}

func (w *walkthrough) sensitiveNeedsLogin(refreshed *freshtoken.Pair) error {
	step("5. she tries to change her email again with the refreshed token")
	_, err := w.m.RequireFresh(w.ctx, refreshed.Access)
	fmt.Printf("   RequireFresh: %v\n", err)
	var fe *freshtoken.FreshnessError
	if !errors.As(err, &fe) {
		return fmt.Errorf("expected a *FreshnessError, got %v", err)
	}
	fmt.Printf("   errors.Is(err, freshtoken.ErrNotFresh) = %v: the app asks her to log in again\n", errors.Is(err, freshtoken.ErrNotFresh))

	step("6. ordinary actions still work with the refreshed token: RequireAccess")
	claims, err := w.m.RequireAccess(w.ctx, refreshed.Access)
	if err != nil {
		return err
	}
	fmt.Printf("   allowed for %s (fresh=%v, logged in %s ago)\n", claims.Subject, claims.Fresh, w.now.Sub(claims.AuthTime).Round(time.Minute))
	return nil
}

func (w *walkthrough) loginAgain() (*freshtoken.Pair, error) {
	step("7. she logs in again")
	relogin, err := w.m.Issue(w.ctx, "alice", freshtoken.WithClaims(map[string]any{"role": "editor"}))
	if err != nil {
		return nil, err
	}

	step("8. and the sensitive action passes")
	claims, err := w.m.RequireFresh(w.ctx, relogin.Access)
	if err != nil {
		return nil, err
	}
	fmt.Printf("   allowed for %s (fresh=%v)\n", claims.Subject, claims.Fresh)
	return relogin, nil
}

func (w *walkthrough) logout(login, refreshed, relogin *freshtoken.Pair) error {
	step("9. on the old device she logs out: Logout ends that session's refresh token and its access tokens")
	if err := w.m.Logout(w.ctx, login.Refresh); err != nil {
		return err
	}
	_, err := w.m.RequireAccess(w.ctx, refreshed.Access)
	fmt.Printf("   RequireAccess with the refreshed token: %v\n", err)
	if !errors.Is(err, freshtoken.ErrRevoked) {
		return fmt.Errorf("expected ErrRevoked, got %v", err)
	}
	if _, err := w.m.Refresh(w.ctx, login.Refresh); !errors.Is(err, freshtoken.ErrRevoked) {
		return fmt.Errorf("expected the logged-out refresh token to fail with ErrRevoked, got %v", err)
	}
	if _, err := w.m.RequireFresh(w.ctx, relogin.Access); err != nil {
		return fmt.Errorf("the new login's session must go on: %w", err)
	}
	fmt.Println("   the new login's session goes on")
	return nil
}
