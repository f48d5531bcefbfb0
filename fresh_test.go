package freshtoken

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// checkFreshness compares a freshness guard's outcome with want: nil for
// success, a *FreshnessError, or another sentinel in wantErr. reason, if
// any, is shown on failure.
func checkFreshness(t *testing.T, name string, c *Claims, err error, want *FreshnessError, wantErr error, reason string) {
	t.Helper()
	if reason != "" {
		name += " [" + reason + "]"
	}
	switch {
	case want != nil:
		var fe *FreshnessError
		if !errors.As(err, &fe) || !errors.Is(err, ErrNotFresh) {
			t.Fatalf("%s() error = %v, want a *FreshnessError matching ErrNotFresh", name, err)
		}
		if diff := cmp.Diff(want, fe); diff != "" {
			t.Errorf("%s() FreshnessError (-want +got):\n%s", name, diff)
		}
	case !errors.Is(err, wantErr):
		t.Fatalf("%s() error = %v, want %v", name, err, wantErr)
	}
	if (err == nil) == (c == nil) {
		t.Errorf("%s() = %v, %v; want claims exactly when there is no error", name, c, err)
	}
	if err == nil && c.Type != AccessToken {
		t.Errorf("%s() passed a %v token", name, c.Type)
	}
}

func TestRequireFresh(t *testing.T) {
	login := t0
	tests := []struct {
		name      string
		freshFor  time.Duration
		refreshAt time.Duration // >0: check the access token Refresh made at login+refreshAt
		at        time.Duration // when the guard runs, after login
		want      *FreshnessError
		wantErr   error
		reason    string
	}{
		{name: "right after login", at: 0, reason: "a login token is fresh"},
		{name: "near the end of the access token", at: 14*time.Minute + 59*time.Second, reason: "without FreshFor, fresh for the token's whole life"},
		{name: "login token expired", at: 15*time.Minute + DefaultLeeway, wantErr: ErrExpired, reason: "an expired token is not a freshness problem"},
		{name: "refreshed", refreshAt: time.Minute, at: time.Minute, want: &FreshnessError{AuthTime: login, Refreshed: true}, reason: "Refresh never makes a fresh token"},
		{name: "refreshed right after login", refreshAt: time.Second, at: time.Second, want: &FreshnessError{AuthTime: login, Refreshed: true}, reason: "however recent the login"},

		{name: "FreshFor, a second before", freshFor: 5 * time.Minute, at: 5*time.Minute - time.Second, reason: "inside the window"},
		{name: "FreshFor, a nanosecond before", freshFor: 5 * time.Minute, at: 5*time.Minute - time.Nanosecond, reason: "inside the window"},
		{name: "FreshFor, exactly at the end", freshFor: 5 * time.Minute, at: 5 * time.Minute, want: &FreshnessError{MaxAge: 5 * time.Minute, AuthTime: login}, reason: "fresh means less than FreshFor ago"},
		{name: "FreshFor, a second after", freshFor: 5 * time.Minute, at: 5*time.Minute + time.Second, want: &FreshnessError{MaxAge: 5 * time.Minute, AuthTime: login}, reason: "the window has closed"},
		{name: "FreshFor, refreshed inside the window", freshFor: 5 * time.Minute, refreshAt: time.Minute, at: time.Minute, want: &FreshnessError{AuthTime: login, Refreshed: true}, reason: "the window does not make refreshed tokens fresh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, tok := accessTokenAt(t, tt.freshFor, tt.refreshAt, tt.at)
			c, err := m.RequireFresh(ctxBG, tok)
			checkFreshness(t, "RequireFresh", c, err, tt.want, tt.wantErr, tt.reason)
		})
	}
}

// accessTokenAt logs in at t0 on a Manager with the given FreshFor and
// returns the access token of that login, or of a refresh at t0+refreshAt
// when refreshAt is set, with the clock then moved to t0+at.
func accessTokenAt(t *testing.T, freshFor, refreshAt, at time.Duration) (*Manager, string) {
	t.Helper()
	m, clk := newTestManager(t, Config{FreshFor: freshFor})
	pair := mustIssue(t, m, "user-42")
	tok := pair.Access
	if refreshAt > 0 {
		clk.Set(t0.Add(refreshAt))
		refreshed, err := m.Refresh(ctxBG, pair.Refresh)
		if err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		tok = refreshed.Access
	}
	clk.Set(t0.Add(at))
	return m, tok
}

// RequireLoginWithin asks when the user last logged in (OIDC max_age):
// auth_time >= now - maxAge, whether the token was refreshed or not.
func TestRequireLoginWithin(t *testing.T) {
	login := t0
	const maxAge = 10 * time.Minute
	tests := []struct {
		name      string
		freshFor  time.Duration
		refreshAt time.Duration
		at        time.Duration
		want      *FreshnessError
		wantErr   error
	}{
		{name: "right after login", at: 0},
		{name: "a second before maxAge", at: maxAge - time.Second},
		{name: "exactly at maxAge", at: maxAge},
		{name: "a nanosecond after maxAge", at: maxAge + time.Nanosecond, want: &FreshnessError{MaxAge: maxAge, AuthTime: login}},
		{name: "a second after maxAge", at: maxAge + time.Second, want: &FreshnessError{MaxAge: maxAge, AuthTime: login}},
		{name: "refreshed, login recent enough", refreshAt: 9 * time.Minute, at: maxAge},
		{name: "refreshed, login too old", refreshAt: 9 * time.Minute, at: maxAge + time.Second, want: &FreshnessError{MaxAge: maxAge, AuthTime: login, Refreshed: true}},
		{name: "refreshed long after login", refreshAt: 2 * time.Hour, at: 2 * time.Hour, want: &FreshnessError{MaxAge: maxAge, AuthTime: login, Refreshed: true}},
		{name: "FreshFor does not apply", freshFor: time.Minute, at: 5 * time.Minute},
		{name: "expired before too old", at: 20 * time.Minute, wantErr: ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, tok := accessTokenAt(t, tt.freshFor, tt.refreshAt, tt.at)
			c, err := m.RequireLoginWithin(ctxBG, tok, maxAge)
			checkFreshness(t, "RequireLoginWithin", c, err, tt.want, tt.wantErr, "")
		})
	}
}

// The whole story: login, sensitive action, refresh, the sensitive action
// now asks for a login, ordinary actions still pass, log in again.
func TestFreshnessFlow(t *testing.T) {
	m, clk := newTestManager(t, Config{})
	login := mustIssue(t, m, "user-42")
	if _, err := m.RequireFresh(ctxBG, login.Access); err != nil {
		t.Fatalf("sensitive action after login: %v", err)
	}
	clk.Advance(20 * time.Minute)
	refreshed, err := m.Refresh(ctxBG, login.Refresh)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	_, err = m.RequireFresh(ctxBG, refreshed.Access)
	checkFreshness(t, "RequireFresh(refreshed)", nil, err, &FreshnessError{AuthTime: t0, Refreshed: true}, nil, "refreshed tokens are never fresh")
	if _, err := m.RequireAccess(ctxBG, refreshed.Access); err != nil {
		t.Errorf("ordinary action after refresh: %v", err)
	}
	relogin := mustIssue(t, m, "user-42")
	c, err := m.RequireFresh(ctxBG, relogin.Access)
	if err != nil {
		t.Fatalf("sensitive action after logging in again: %v", err)
	}
	if want := t0.Add(20 * time.Minute); !c.AuthTime.Equal(want) {
		t.Errorf("auth_time after logging in again = %v, want %v", c.AuthTime, want)
	}
}

func TestRequireLoginWithinNeedsPositiveMaxAge(t *testing.T) {
	m, _ := newTestManager(t, Config{})
	pair := mustIssue(t, m, "user-42")
	for _, maxAge := range []time.Duration{0, -time.Minute} {
		c, err := m.RequireLoginWithin(ctxBG, pair.Access, maxAge)
		if !errors.Is(err, ErrInvalidConfig) || c != nil {
			t.Errorf("RequireLoginWithin(maxAge %v) = %v, %v; want nil, ErrInvalidConfig", maxAge, c, err)
		}
	}
}
