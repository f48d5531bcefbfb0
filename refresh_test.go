package freshtoken

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestRefresh(t *testing.T) {
	m, clk := newTestManager(t, Config{})
	ctx := context.Background()
	login := mustIssue(t, m, "user-42", WithClaims(map[string]any{"role": "admin"}))
	loginAccess, err := m.RequireAccess(ctx, login.Access)
	if err != nil {
		t.Fatalf("RequireAccess(login): %v", err)
	}
	loginRefresh, err := m.RequireRefresh(ctx, login.Refresh)
	if err != nil {
		t.Fatalf("RequireRefresh(login): %v", err)
	}

	clk.Advance(20 * time.Minute) // the login's access token has expired
	now := t0.Add(20 * time.Minute)
	pair, err := m.Refresh(ctx, login.Refresh)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	wantPair := &Pair{Refresh: login.Refresh, IssuedAt: now, AccessExpiresAt: now.Add(15 * time.Minute), RefreshExpiresAt: login.RefreshExpiresAt}
	if diff := cmp.Diff(wantPair, pair, cmpopts.IgnoreFields(Pair{}, "Access")); diff != "" {
		t.Errorf("Refresh() pair (-want +got):\n%s", diff)
	}

	got, err := m.RequireAccess(ctx, pair.Access)
	if err != nil {
		t.Fatalf("RequireAccess(refreshed): %v", err)
	}
	want := &Claims{
		Type: AccessToken, Subject: "user-42", IssuedAt: now, ExpiresAt: now.Add(15 * time.Minute),
		AuthTime: t0, Fresh: false, Extra: map[string]any{"role": "admin"},
	}
	if diff := cmp.Diff(want, got, claimsOpts); diff != "" {
		t.Errorf("refreshed access claims (-want +got):\n%s", diff)
	}
	if got.SessionID != loginRefresh.ID {
		t.Errorf("refreshed sid = %q, want the session's %q", got.SessionID, loginRefresh.ID)
	}
	if got.ID == loginAccess.ID || !idPattern.MatchString(got.ID) {
		t.Errorf("refreshed jti = %q, want a new random one (login's was %q)", got.ID, loginAccess.ID)
	}
	if got.CSRF != "" {
		t.Errorf("refreshed csrf = %q, want none for a session without WithCSRF", got.CSRF)
	}

	// Refreshing again gives another access token; the refresh token never changes.
	clk.Advance(time.Minute)
	again, err := m.Refresh(ctx, login.Refresh)
	if err != nil {
		t.Fatalf("second Refresh: %v", err)
	}
	if again.Refresh != login.Refresh || again.Access == pair.Access {
		t.Errorf("second Refresh: refresh changed %v, access repeated %v; want the same refresh and a new access", again.Refresh != login.Refresh, again.Access == pair.Access)
	}
}

func TestRefreshCSRF(t *testing.T) {
	m, clk := newTestManager(t, Config{})
	ctx := context.Background()
	login := mustIssue(t, m, "user-42", WithCSRF())
	clk.Advance(time.Minute)
	pair, err := m.Refresh(ctx, login.Refresh)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	var csrf []string
	for _, tok := range []string{login.Access, login.Refresh, pair.Access} {
		csrf = append(csrf, decodeSegment(t, tok, 1)["csrf"].(string))
	}
	if !idPattern.MatchString(csrf[2]) || csrf[2] == csrf[0] || csrf[2] == csrf[1] {
		t.Errorf("csrf of login access, refresh, refreshed access = %q; want a new random value for the refreshed one", csrf)
	}
}

// The session ends with the refresh token: a refreshed access token never
// outlives it, and near its end the remaining time is all that is given.
func TestRefreshNearRefreshExpiry(t *testing.T) {
	refreshExp := t0.Add(time.Hour)
	tests := []struct {
		name    string
		leeway  time.Duration
		at      time.Time
		want    error
		wantExp time.Time
	}{
		{"well before", 0, t0.Add(30 * time.Minute), nil, t0.Add(45 * time.Minute)},
		{"AccessTTL before the end", 0, refreshExp.Add(-15 * time.Minute), nil, refreshExp},
		{"capped at the refresh expiry", 0, refreshExp.Add(-10 * time.Minute), nil, refreshExp},
		{"one second left", 0, refreshExp.Add(-time.Second), nil, refreshExp},
		{"one second left, mid-second", 0, refreshExp.Add(-500 * time.Millisecond), nil, refreshExp},
		{"at the expiry, no leeway", -1, refreshExp, ErrExpired, time.Time{}},
		// The guard accepts the refresh token here, so Refresh does too
		// (as Flask-JWT-Extended's refresh view): a token of one second.
		{"at the expiry, inside the default leeway", 0, refreshExp, nil, refreshExp.Add(time.Second)},
		{"after the expiry, inside the default leeway", 0, refreshExp.Add(4 * time.Second), nil, refreshExp.Add(5 * time.Second)},
		{"at the end of the default leeway", 0, refreshExp.Add(5 * time.Second), ErrExpired, time.Time{}},
		{"long after", 0, refreshExp.Add(24 * time.Hour), ErrExpired, time.Time{}},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, clk := newTestManager(t, Config{RefreshTTL: time.Hour, Leeway: tt.leeway})
			login := mustIssue(t, m, "user-42")
			clk.Set(tt.at)
			pair, err := m.Refresh(ctx, login.Refresh)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Refresh() at %v error = %v, want %v", tt.at, err, tt.want)
			}
			if err != nil {
				if pair != nil {
					t.Errorf("Refresh() = %+v with an error, want nil", pair)
				}
				return
			}
			if !pair.AccessExpiresAt.Equal(tt.wantExp) {
				t.Errorf("AccessExpiresAt = %v, want %v", pair.AccessExpiresAt, tt.wantExp)
			}
			c, err := m.RequireAccess(ctx, pair.Access)
			if err != nil {
				t.Fatalf("RequireAccess(refreshed) = %v, want nil", err)
			}
			if !c.ExpiresAt.Equal(tt.wantExp) {
				t.Errorf("exp = %v, want %v", c.ExpiresAt, tt.wantExp)
			}
		})
	}
}

func TestRefreshErrors(t *testing.T) {
	m, _ := newTestManager(t, Config{})
	other, _ := newTestManager(t, Config{Key: testKeys().ed2})
	login := mustIssue(t, m, "user-42")
	stranger := mustIssue(t, other, "user-42")
	tests := []struct {
		name   string
		token  string
		want   error
		reason string
	}{
		{"access token", login.Access, ErrWrongType, "only a refresh token buys an access token"},
		{"empty", "", ErrMalformed, "no token"},
		{"garbage", "not-a-token", ErrMalformed, "no token"},
		{"another key's refresh token", stranger.Refresh, ErrUnknownKey, "signed by a key this Manager does not know"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pair, err := m.Refresh(context.Background(), tt.token)
			if !errors.Is(err, tt.want) {
				t.Errorf("Refresh() error = %v, want %v (%s)", err, tt.want, tt.reason)
			}
			if pair != nil {
				t.Errorf("Refresh() = %+v with an error, want nil", pair)
			}
		})
	}
}

// Servers' clocks differ: a refresh token from a server running a few
// seconds ahead (within the leeway) must still buy an access token that
// every server accepts.
func TestRefreshFromServerAhead(t *testing.T) {
	tests := []struct {
		name  string
		ahead time.Duration
		want  error
	}{
		{"same clock", 0, nil},
		{"issuer a second ahead", time.Second, nil},
		{"issuer ahead by the leeway", DefaultLeeway, nil},
		{"issuer ahead beyond the leeway", DefaultLeeway + time.Second, ErrNotYetValid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer, issuerClock := newTestManager(t, Config{})
			refresher, _ := newTestManager(t, Config{})
			issuerClock.Set(t0.Add(tt.ahead))
			login := mustIssue(t, issuer, "user-42")
			pair, err := refresher.Refresh(context.Background(), login.Refresh)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Refresh() error = %v, want %v", err, tt.want)
			}
			if err != nil {
				return
			}
			for name, m := range map[string]*Manager{"refresher": refresher, "issuer": issuer} {
				c, err := m.RequireAccess(context.Background(), pair.Access)
				if err != nil {
					t.Errorf("%s: RequireAccess(refreshed) = %v, want nil", name, err)
					continue
				}
				if c.AuthTime.After(c.IssuedAt) || !c.AuthTime.Equal(t0.Add(tt.ahead)) {
					t.Errorf("%s: auth_time %v, iat %v; want auth_time %v, not after iat", name, c.AuthTime, c.IssuedAt, t0.Add(tt.ahead))
				}
				if !c.ExpiresAt.Equal(pair.AccessExpiresAt) {
					t.Errorf("%s: exp %v, want the pair's %v", name, c.ExpiresAt, pair.AccessExpiresAt)
				}
			}
		})
	}
}
