package freshtoken_test

import (
	"context"
	"errors"
	"strings"
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

// With AccessTTL equal to RefreshTTL (New refuses a longer one) the login's
// access token lives as long as its refresh token; logging out covers it
// to the end.
func TestLogoutCoversLongAccessTokens(t *testing.T) {
	m, clk := newTestManager(t, freshtoken.Config{AccessTTL: time.Hour, RefreshTTL: time.Hour})
	login := mustIssue(t, m, "alice")
	if err := m.Logout(context.Background(), login.Refresh); err != nil {
		t.Fatal(err)
	}
	clk.Set(login.AccessExpiresAt.Add(freshtoken.DefaultLeeway - time.Nanosecond))
	expect(t, m, checkAccess, "the access token at the end of its leeway", login.Access, freshtoken.ErrRevoked)
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

// A whole token given instead of its ID used to be recorded as an ID no
// token has: nil, and nothing revoked. It is refused now, and the IDs of
// both formats still go through.
func TestRevokeAccessTokenRefusesTokens(t *testing.T) {
	own, _ := newTestManager(t, freshtoken.Config{})
	flask, _ := newFlaskManager(t, nil)
	ctx := context.Background()
	ownLogin := mustIssue(t, own, "alice")
	flaskLogin := mustIssue(t, flask, "alice")
	ownClaims, err := own.RequireAccess(ctx, ownLogin.Access)
	if err != nil {
		t.Fatal(err)
	}
	flaskClaims, err := flask.RequireAccess(ctx, flaskLogin.Access)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, reason string
		m            *freshtoken.Manager
		jti          string
		want         error
	}{
		{"an access token", "the mistake this guards against", own, ownLogin.Access, freshtoken.ErrInvalidConfig},
		{"a Flask access token", "the same mistake in the Flask format", flask, flaskLogin.Access, freshtoken.ErrInvalidConfig},
		{"a refresh token", "a token, whatever its type", own, ownLogin.Refresh, freshtoken.ErrInvalidConfig},
		{"a token cut after its header", "a piece of a token copied from a log", own, ownLogin.Access[:strings.IndexByte(ownLogin.Access, '.')+10], freshtoken.ErrInvalidConfig},
		{"a JWE", "five parts are a token too", own, "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXY.Y2lwaGVy.dGFn", freshtoken.ErrInvalidConfig},
		{"a long ID with a dot", "longer than any ID, so a token or a piece of one", own, strings.Repeat("a", 100) + "." + strings.Repeat("b", 100), freshtoken.ErrInvalidConfig},
		{"freshtoken's own ID", "22 base64url characters", own, ownClaims.ID, nil},
		{"a Flask UUID", "what Flask-JWT-Extended writes", flask, flaskClaims.ID, nil},
		{"a short ID with a dot", "a Flask application may set its own jti", flask, "order.42", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.m.RevokeAccessToken(ctx, c.jti)
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Fatalf("RevokeAccessToken: got %v, want %v (%s)", err, c.want, c.reason)
			}
			if err != nil && !strings.Contains(err.Error(), "takes the token's ID (Claims.ID), not the token") {
				t.Errorf("error %q does not say what to pass", err)
			}
		})
	}
	expect(t, own, checkAccess, "the token whose ID was revoked", ownLogin.Access, freshtoken.ErrRevoked)
	expect(t, flask, checkAccess, "the Flask token whose ID was revoked", flaskLogin.Access, freshtoken.ErrRevoked)
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

// LogoutEverywhere's cutoff is exact, so a test whose clock stands still
// sees a login made at the instant of the call, before it or after it,
// stay valid: the clock must move between the login and the call.
func TestLogoutEverywhereWithAFrozenClock(t *testing.T) {
	m, clk := newTestManager(t, freshtoken.Config{})
	ctx := context.Background()
	before := mustIssue(t, m, "alice") // at t0, as is the call below
	if err := m.LogoutEverywhere(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	after := mustIssue(t, m, "alice")
	clk.Advance(time.Minute)
	expect(t, m, checkAccess, "a login at the instant of the call, made before it", before.Access, nil)
	expect(t, m, checkAccess, "a login at the instant of the call, made after it", after.Access, nil)

	// The clock has moved on since both logins: a call now ends them.
	if err := m.LogoutEverywhere(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]*freshtoken.Pair{"the first login": before, "the second login": after} {
		expect(t, m, checkAccess, name+" once the clock moved before the call", p.Access, freshtoken.ErrRevoked)
		expect(t, m, checkRefresh, name+" once the clock moved before the call", p.Refresh, freshtoken.ErrRevoked)
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
