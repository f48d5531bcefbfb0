package freshtoken_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/internal/testclock"
)

// sessionFormats builds a Manager in each token format, with a leeway of
// 2s in both (Flask's default is none, which would hide the leeway's part
// in how long a revocation lasts).
var sessionFormats = []struct {
	name string
	make func(t *testing.T, cfg freshtoken.Config) (*freshtoken.Manager, *testclock.Clock)
}{
	{"own", func(t *testing.T, cfg freshtoken.Config) (*freshtoken.Manager, *testclock.Clock) {
		cfg.Leeway = 2 * time.Second
		return newTestManager(t, cfg)
	}},
	{"flask", func(t *testing.T, cfg freshtoken.Config) (*freshtoken.Manager, *testclock.Clock) {
		cfg.Leeway = 2 * time.Second
		cfg.Key, cfg.Flask = flaskSecret, &freshtoken.FlaskOptions{}
		return newTestManager(t, cfg)
	}},
}

// A logout endpoint behind RequireAccess has only the access token; ending
// the session from its claims ends the refresh token and every other
// token of the session, and nothing else.
func TestEndSessionFromAccessToken(t *testing.T) {
	for _, f := range sessionFormats {
		for _, rotate := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/rotate=%v", f.name, rotate), func(t *testing.T) {
				m, clk := f.make(t, freshtoken.Config{RotateRefresh: rotate})
				ctx := context.Background()
				login := mustIssue(t, m, "alice")
				otherDevice := mustIssue(t, m, "alice")
				bob := mustIssue(t, m, "bob")
				clk.Advance(time.Minute)
				refreshed := mustRefresh(t, m, login.Refresh)
				clk.Advance(time.Minute)

				c, err := m.RequireAccess(ctx, refreshed.Access)
				if err != nil {
					t.Fatal(err)
				}
				if err := m.EndSession(ctx, c); err != nil {
					t.Fatalf("EndSession: %v", err)
				}
				expect(t, m, checkAccess, "the access token logged out with", refreshed.Access, freshtoken.ErrRevoked)
				expect(t, m, checkAccess, "the login's access token", login.Access, freshtoken.ErrRevoked)
				expect(t, m, checkRefresh, "the session's refresh token", refreshed.Refresh, freshtoken.ErrRevoked)
				expect(t, m, checkRefreshCall, "the session's refresh token", refreshed.Refresh, freshtoken.ErrRevoked)
				expect(t, m, checkAccess, "another session's access token", otherDevice.Access, nil)
				expect(t, m, checkRefreshCall, "another session's refresh token", otherDevice.Refresh, nil)
				expect(t, m, checkAccess, "another subject's access token", bob.Access, nil)

				if err := m.EndSession(ctx, c); err != nil {
					t.Errorf("second EndSession: got %v, want nil (ending twice is not an error)", err)
				}
			})
		}
	}
}

// Ending the session from a refresh token's claims is Logout.
func TestEndSessionFromRefreshToken(t *testing.T) {
	for _, f := range sessionFormats {
		t.Run(f.name, func(t *testing.T) {
			m, _ := f.make(t, freshtoken.Config{})
			ctx := context.Background()
			login := mustIssue(t, m, "alice")
			other := mustIssue(t, m, "alice")
			c, err := m.RequireRefresh(ctx, login.Refresh)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.EndSession(ctx, c); err != nil {
				t.Fatalf("EndSession: %v", err)
			}
			expect(t, m, checkAccess, "the session's access token", login.Access, freshtoken.ErrRevoked)
			expect(t, m, checkRefresh, "the session's refresh token", login.Refresh, freshtoken.ErrRevoked)
			expect(t, m, checkAccess, "another session's access token", other.Access, nil)
		})
	}
}

// The revocation lasts while any token of the session could be accepted.
// The last one is an access token refreshed inside the leeway after the
// refresh token's "exp": it lives a second, and is accepted for a leeway
// more. Ending the session from the login's access token, whose claims do
// not say when the refresh token expires, must still cover it.
func TestEndSessionLastsAsLongAsTheSession(t *testing.T) {
	for _, f := range sessionFormats {
		t.Run(f.name, func(t *testing.T) {
			const leeway = 2 * time.Second
			m, clk := f.make(t, freshtoken.Config{})
			ctx := context.Background()
			clk.Set(t0.Add(300 * time.Millisecond)) // a login inside a second
			login := mustIssue(t, m, "alice")
			c, err := m.RequireAccess(ctx, login.Access)
			if err != nil {
				t.Fatal(err)
			}
			clk.Set(login.RefreshExpiresAt.Add(leeway - time.Second))
			late := mustRefresh(t, m, login.Refresh)
			lastAccepted := late.AccessExpiresAt.Add(leeway - time.Nanosecond)
			if err := m.EndSession(ctx, c); err != nil {
				t.Fatal(err)
			}
			clk.Set(lastAccepted)
			expect(t, m, checkAccess, "the last access token of the session at its last instant", late.Access, freshtoken.ErrRevoked)
			clk.Advance(time.Nanosecond)
			expect(t, m, checkAccess, "the last access token of the session once expired", late.Access, freshtoken.ErrExpired)
		})
	}
}

func TestEndSessionErrors(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{})
	broken, _ := newTestManager(t, freshtoken.Config{Store: brokenStore{}})
	ctx := context.Background()
	login := mustIssue(t, m, "alice")
	c, err := m.RequireAccess(ctx, login.Access)
	if err != nil {
		t.Fatal(err)
	}
	noSession, noSubject := *c, *c
	noSession.SessionID, noSubject.Subject = "", ""
	cases := []struct {
		name, reason string
		m            *freshtoken.Manager
		claims       *freshtoken.Claims
		want         []error
	}{
		{"nil claims", "no session named", m, nil, []error{freshtoken.ErrInvalidConfig}},
		{"zero claims", "not from a guard", m, &freshtoken.Claims{}, []error{freshtoken.ErrInvalidConfig}},
		{"no session ID", "an empty ID would be shared by unrelated tokens", m, &noSession, []error{freshtoken.ErrInvalidConfig}},
		{"no subject", "not from a guard", m, &noSubject, []error{freshtoken.ErrInvalidConfig}},
		{"store down", "the session may not be revoked: 503", broken, c, []error{freshtoken.ErrStoreUnavailable, errDown}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.m.EndSession(ctx, tc.claims)
			for _, want := range tc.want {
				if !errors.Is(err, want) {
					t.Errorf("EndSession: got %v, want it to match %v (%s)", err, want, tc.reason)
				}
			}
		})
	}
}

// A session whose every token has expired has nothing left to revoke:
// EndSession says so without asking the store.
func TestEndSessionAfterTheSessionEnded(t *testing.T) {
	m, clk := newTestManager(t, freshtoken.Config{Store: brokenStore{}, RefreshTTL: time.Hour})
	good, _ := newTestManager(t, freshtoken.Config{RefreshTTL: time.Hour})
	login := mustIssue(t, good, "alice")
	c, err := good.RequireAccess(context.Background(), login.Access)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Hour)
	if err := m.EndSession(context.Background(), c); err != nil {
		t.Errorf("EndSession of a session over for an hour: got %v, want nil", err)
	}
}
