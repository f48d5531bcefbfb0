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

// Logging out ends the whole session in one call: the refresh token and
// every access token made from it, even ones refreshed earlier.
func ExampleManager_Logout() {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	// Config.Store is nil: a MemoryStore, right for a single process.
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
	now = now.Add(20 * time.Minute)
	refreshed, err := m.Refresh(ctx, login.Refresh)
	if err != nil {
		log.Fatal(err)
	}
	phone, err := m.Issue(ctx, "user-42") // the same user on another device
	if err != nil {
		log.Fatal(err)
	}

	// POST /logout with the refresh token.
	if err := m.Logout(ctx, login.Refresh); err != nil {
		fmt.Println("logout failed:", err)
		return
	}

	_, err = m.RequireAccess(ctx, refreshed.Access)
	fmt.Println("access token:", errors.Is(err, freshtoken.ErrRevoked))
	_, err = m.Refresh(ctx, login.Refresh)
	fmt.Println("refresh token:", errors.Is(err, freshtoken.ErrRevoked))
	_, err = m.RequireAccess(ctx, phone.Access)
	fmt.Println("other device:", err)

	// A week later, after a password change, end every session at once.
	now = now.Add(7 * 24 * time.Hour)
	if err := m.LogoutEverywhere(ctx, "user-42"); err != nil {
		fmt.Println("logout everywhere failed:", err)
		return
	}
	_, err = m.Refresh(ctx, phone.Refresh)
	fmt.Println("other device after LogoutEverywhere:", errors.Is(err, freshtoken.ErrRevoked))
	again, err := m.Issue(ctx, "user-42") // logging in again works at once
	if err != nil {
		log.Fatal(err)
	}
	_, err = m.RequireAccess(ctx, again.Access)
	fmt.Println("new login:", err)
	// Output:
	// access token: true
	// refresh token: true
	// other device: <nil>
	// other device after LogoutEverywhere: true
	// new login: <nil>
}

// With rotation each refresh returns a new refresh token; a spent one that
// comes back means it was stolen or copied, so the whole session ends.
func ExampleConfig_rotateRefresh() {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	m, err := freshtoken.New(freshtoken.Config{
		Key:           ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)),
		Now:           func() time.Time { return now },
		RotateRefresh: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	login, err := m.Issue(ctx, "user-42")
	if err != nil {
		log.Fatal(err)
	}

	now = now.Add(20 * time.Minute)
	next, err := m.Refresh(ctx, login.Refresh)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("new refresh token:", next.Refresh != login.Refresh)
	fmt.Println("same session end:", next.RefreshExpiresAt.Equal(login.RefreshExpiresAt))

	_, err = m.Refresh(ctx, login.Refresh) // replayed
	fmt.Println("replay:", err)
	_, err = m.Refresh(ctx, next.Refresh)
	fmt.Println("the legitimate client too:", errors.Is(err, freshtoken.ErrRevoked))
	// Output:
	// new refresh token: true
	// same session end: true
	// replay: freshtoken: token revoked: the refresh token was already used; its session is revoked
	// the legitimate client too: true
}
