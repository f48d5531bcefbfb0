package freshtoken_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
)

func TestLogout(t *testing.T) {
	m, clk := newTestManager(t, freshtoken.Config{})
	ctx := context.Background()
	login := mustIssue(t, m, "alice")
	other := mustIssue(t, m, "alice") // another device
	clk.Advance(time.Minute)
	refreshed := mustRefresh(t, m, login.Refresh)

	if err := m.Logout(ctx, login.Refresh); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	for _, g := range []tokenCheck{checkAccess, checkFresh, checkWithin} {
		expect(t, m, g, "the login's access token", login.Access, freshtoken.ErrRevoked)
		expect(t, m, g, "another device's access token", other.Access, nil)
	}
	expect(t, m, checkAccess, "a refreshed access token", refreshed.Access, freshtoken.ErrRevoked)
	expect(t, m, checkRefresh, "the refresh token", login.Refresh, freshtoken.ErrRevoked)
	expect(t, m, checkRefreshCall, "the refresh token", login.Refresh, freshtoken.ErrRevoked)
	expect(t, m, checkRefreshCall, "another device's refresh token", other.Refresh, nil)

	if err := m.Logout(ctx, login.Refresh); err != nil {
		t.Errorf("second Logout: got %v, want nil (logging out twice is not an error)", err)
	}
	// The revocation lasts as long as the session could.
	clk.Advance(freshtoken.DefaultRefreshTTL - 2*time.Minute)
	expect(t, m, checkRefresh, "the refresh token just before it expires", login.Refresh, freshtoken.ErrRevoked)
	clk.Advance(2 * time.Minute)
	expect(t, m, checkRefresh, "the refresh token after it expired", login.Refresh, freshtoken.ErrExpired)
}

func TestLogoutRefusesBadTokens(t *testing.T) {
	m, clk := newTestManager(t, freshtoken.Config{})
	login := mustIssue(t, m, "alice")
	expired := mustIssue(t, m, "bob")
	clk.Advance(freshtoken.DefaultRefreshTTL + time.Hour)
	fresh := mustIssue(t, m, "carol")
	cases := []struct {
		name, reason string
		token        string
		want         error
	}{
		{"access token", "only a refresh token names a session to end", fresh.Access, freshtoken.ErrWrongType},
		{"garbage", "not a token", "not-a-token", freshtoken.ErrMalformed},
		{"expired", "an expired session has nothing left to end", expired.Refresh, freshtoken.ErrExpired},
		{"other key", "a token signed elsewhere", login.Refresh[:len(login.Refresh)-4] + "AAAA", freshtoken.ErrSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := m.Logout(context.Background(), c.token); !errors.Is(err, c.want) {
				t.Errorf("Logout: got %v, want %v (%s)", err, c.want, c.reason)
			}
		})
	}
}

// When AccessTTL exceeds RefreshTTL the login's access token outlives its
// refresh token; logging out must still cover it.
func TestLogoutCoversLongAccessTokens(t *testing.T) {
	m, clk := newTestManager(t, freshtoken.Config{AccessTTL: 2 * time.Hour, RefreshTTL: time.Hour})
	login := mustIssue(t, m, "alice")
	if err := m.Logout(context.Background(), login.Refresh); err != nil {
		t.Fatal(err)
	}
	clk.Advance(90 * time.Minute)
	expect(t, m, checkAccess, "the access token after the refresh token expired", login.Access, freshtoken.ErrRevoked)
}

// Managers that share a store share revocations, as instances sharing Redis do.
func TestSharedStore(t *testing.T) {
	store := freshtoken.NewMemoryStore()
	a, _ := newTestManager(t, freshtoken.Config{Store: store})
	b, _ := newTestManager(t, freshtoken.Config{Store: store})
	alone, _ := newTestManager(t, freshtoken.Config{})
	login := mustIssue(t, a, "alice")
	if err := a.Logout(context.Background(), login.Refresh); err != nil {
		t.Fatal(err)
	}
	expect(t, b, checkAccess, "a token revoked on another instance", login.Access, freshtoken.ErrRevoked)
	expect(t, alone, checkAccess, "a token revoked in a store this instance does not share", login.Access, nil)
}

func TestRevokeAccessToken(t *testing.T) {
	m, clk := newTestManager(t, freshtoken.Config{})
	ctx := context.Background()
	login := mustIssue(t, m, "alice")
	claims, err := m.RequireAccess(ctx, login.Access)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.RevokeAccessToken(ctx, claims.ID); err != nil {
		t.Fatalf("RevokeAccessToken: %v", err)
	}
	expect(t, m, checkAccess, "the revoked access token", login.Access, freshtoken.ErrRevoked)
	expect(t, m, checkRefresh, "its session's refresh token", login.Refresh, nil)
	refreshed := mustRefresh(t, m, login.Refresh)
	expect(t, m, checkAccess, "a new access token of the session", refreshed.Access, nil)

	// It stays revoked for as long as the token could be accepted.
	clk.Advance(freshtoken.DefaultAccessTTL + freshtoken.DefaultLeeway - time.Second)
	expect(t, m, checkAccess, "the revoked access token within its leeway", login.Access, freshtoken.ErrRevoked)

	if err := m.RevokeAccessToken(ctx, ""); !errors.Is(err, freshtoken.ErrInvalidConfig) {
		t.Errorf("RevokeAccessToken(\"\"): got %v, want ErrInvalidConfig", err)
	}
}

func TestLogoutEverywhere(t *testing.T) {
	// The revocation happens at 09:30:00.5000007, halfway through a second.
	revocation := t0.Add(30*time.Minute + 500*time.Millisecond + 700*time.Nanosecond)
	cases := []struct {
		name, reason string
		login        time.Duration // relative to the revocation
		want         error
	}{
		{"an hour before", "old sessions end", -time.Hour, freshtoken.ErrRevoked},
		{"a second before", "", -time.Second, freshtoken.ErrRevoked},
		{"same second, before", "auth_time alone cannot tell; the login time in the session ID can", -400 * time.Millisecond, freshtoken.ErrRevoked},
		{"a microsecond before", "", -time.Microsecond, freshtoken.ErrRevoked},
		{"same instant", "a handler may log out everywhere and log the user in again at once", 0, nil},
		{"same microsecond, later", "the cutoff has microsecond precision", 200 * time.Nanosecond, nil},
		{"same second, after", "a login just after the revocation works", 400 * time.Millisecond, nil},
		{"a second after", "", time.Second, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Access tokens outlive the oldest login, so each kind is seen revoked.
			m, clk := newTestManager(t, freshtoken.Config{AccessTTL: 3 * time.Hour})
			ctx := context.Background()
			clk.Set(revocation.Add(c.login))
			login := mustIssue(t, m, "alice")
			clk.Set(revocation)
			bystander := mustIssue(t, m, "bob")
			if err := m.LogoutEverywhere(ctx, "alice"); err != nil {
				t.Fatalf("LogoutEverywhere: %v", err)
			}
			clk.Advance(time.Second)
			expect(t, m, checkAccess, "the login's access token", login.Access, c.want)
			expect(t, m, checkRefresh, "the login's refresh token", login.Refresh, c.want)
			expect(t, m, checkAccess, "another subject's token", bystander.Access, nil)
			clk.Advance(20 * time.Minute)
			expect(t, m, checkRefreshCall, "the login's refresh token", login.Refresh, c.want)
		})
	}
}

// Tokens refreshed after the login but before the revocation carry the
// login's time and end with it; the cutoff lasts as long as they could.
func TestLogoutEverywhereCoversRefreshedTokens(t *testing.T) {
	m, clk := newTestManager(t, freshtoken.Config{RotateRefresh: true})
	ctx := context.Background()
	login := mustIssue(t, m, "alice")
	clk.Advance(10 * 24 * time.Hour)
	refreshed := mustRefresh(t, m, login.Refresh)
	clk.Advance(time.Minute)
	if err := m.LogoutEverywhere(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	after := mustIssue(t, m, "alice")
	expect(t, m, checkAccess, "a refreshed access token", refreshed.Access, freshtoken.ErrRevoked)
	expect(t, m, checkRefresh, "a rotated refresh token", refreshed.Refresh, freshtoken.ErrRevoked)
	expect(t, m, checkAccess, "a later login", after.Access, nil)

	clk.Set(login.RefreshExpiresAt.Add(-time.Second))
	expect(t, m, checkRefresh, "the rotated refresh token just before it expires", refreshed.Refresh, freshtoken.ErrRevoked)
	if err := m.LogoutEverywhere(ctx, ""); !errors.Is(err, freshtoken.ErrInvalidConfig) {
		t.Errorf("LogoutEverywhere(\"\"): got %v, want ErrInvalidConfig", err)
	}
}

func TestStoreFailureFailsClosed(t *testing.T) {
	good, _ := newTestManager(t, freshtoken.Config{RotateRefresh: true})
	login := mustIssue(t, good, "alice")
	m, _ := newTestManager(t, freshtoken.Config{RotateRefresh: true, Store: brokenStore{}})
	ctx := context.Background()
	cases := []struct {
		name string
		call func() (*freshtoken.Claims, error)
	}{
		{"RequireAccess", func() (*freshtoken.Claims, error) { return m.RequireAccess(ctx, login.Access) }},
		{"RequireFresh", func() (*freshtoken.Claims, error) { return m.RequireFresh(ctx, login.Access) }},
		{"RequireLoginWithin", func() (*freshtoken.Claims, error) { return m.RequireLoginWithin(ctx, login.Access, time.Hour) }},
		{"RequireRefresh", func() (*freshtoken.Claims, error) { return m.RequireRefresh(ctx, login.Refresh) }},
		{"Refresh", func() (*freshtoken.Claims, error) {
			p, err := m.Refresh(ctx, login.Refresh)
			if p != nil {
				return &freshtoken.Claims{}, err
			}
			return nil, err
		}},
		{"Logout", func() (*freshtoken.Claims, error) { return nil, m.Logout(ctx, login.Refresh) }},
		{"LogoutEverywhere", func() (*freshtoken.Claims, error) { return nil, m.LogoutEverywhere(ctx, "alice") }},
		{"RevokeAccessToken", func() (*freshtoken.Claims, error) { return nil, m.RevokeAccessToken(ctx, "some-id") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.call()
			if got != nil {
				t.Errorf("got claims %+v with a failing store, want nil", got)
			}
			if !errors.Is(err, freshtoken.ErrStoreUnavailable) || !errors.Is(err, errDown) {
				t.Errorf("got %v, want an error matching ErrStoreUnavailable and the store's error", err)
			}
			if errors.Is(err, freshtoken.ErrRevoked) {
				t.Errorf("got %v, which matches ErrRevoked: a store failure says nothing about the token", err)
			}
		})
	}
}
