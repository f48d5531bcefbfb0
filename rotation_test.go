package freshtoken_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/google/go-cmp/cmp"
)

// tokenClaims is what rotation must keep or change, compared with cmp.
type tokenClaims struct {
	Type      freshtoken.TokenType
	Subject   string
	SessionID string
	IssuedAt  time.Time
	ExpiresAt time.Time
	AuthTime  time.Time
	Fresh     bool
	HasCSRF   bool
	Extra     map[string]any
}

func claimsOf(c *freshtoken.Claims) tokenClaims {
	return tokenClaims{c.Type, c.Subject, c.SessionID, c.IssuedAt, c.ExpiresAt, c.AuthTime, c.Fresh, c.CSRF != "", c.Extra}
}

func TestRotation(t *testing.T) {
	const accessTTL = 3 * time.Hour // so every checkAccess token is alive at the end
	m, clk := newTestManager(t, freshtoken.Config{RotateRefresh: true, AccessTTL: accessTTL})
	ctx := context.Background()
	login := mustIssue(t, m, "alice", freshtoken.WithCSRF(), freshtoken.WithClaims(map[string]any{"role": "admin"}))
	first, err := m.RequireRefresh(ctx, login.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	loginTime := first.AuthTime

	clk.Advance(time.Hour)
	p1 := mustRefresh(t, m, login.Refresh)
	if p1.Refresh == login.Refresh {
		t.Fatal("Refresh returned the same refresh token with rotation on")
	}
	if !p1.RefreshExpiresAt.Equal(login.RefreshExpiresAt) {
		t.Errorf("RefreshExpiresAt = %v, want the login's %v", p1.RefreshExpiresAt, login.RefreshExpiresAt)
	}
	rc, err := m.RequireRefresh(ctx, p1.Refresh)
	if err != nil {
		t.Fatalf("RequireRefresh of the new refresh token: %v", err)
	}
	want := tokenClaims{
		Type: freshtoken.RefreshToken, Subject: "alice", SessionID: first.SessionID,
		IssuedAt: clk.Now(), ExpiresAt: login.RefreshExpiresAt, AuthTime: loginTime,
		HasCSRF: true, Extra: map[string]any{"role": "admin"},
	}
	if diff := cmp.Diff(want, claimsOf(rc)); diff != "" {
		t.Errorf("rotated refresh token: got %+v, want %+v (-want +got):\n%s", claimsOf(rc), want, diff)
	}
	if rc.ID == first.ID || rc.CSRF == first.CSRF {
		t.Error("the rotated refresh token reuses the old jti or csrf")
	}
	ac, err := m.RequireAccess(ctx, p1.Access)
	if err != nil {
		t.Fatal(err)
	}
	want.Type, want.ExpiresAt, want.Fresh = freshtoken.AccessToken, clk.Now().Add(accessTTL), false
	if diff := cmp.Diff(want, claimsOf(ac)); diff != "" {
		t.Errorf("access token: got %+v, want %+v (-want +got):\n%s", claimsOf(ac), want, diff)
	}

	// The chain goes on.
	clk.Advance(time.Hour)
	p2 := mustRefresh(t, m, p1.Refresh)
	expect(t, m, checkAccess, "the newest access token", p2.Access, nil)

	// The first refresh token comes back: a thief or a confused client.
	clk.Advance(time.Minute)
	expect(t, m, checkRefreshCall, "a spent refresh token", login.Refresh, freshtoken.ErrRevoked)
	for _, tok := range []struct{ what, token string }{
		{"the newest refresh token", p2.Refresh}, {"the spent one", p1.Refresh},
	} {
		expect(t, m, checkRefresh, tok.what, tok.token, freshtoken.ErrRevoked)
		expect(t, m, checkRefreshCall, tok.what, tok.token, freshtoken.ErrRevoked)
	}
	for _, tok := range []struct{ what, token string }{
		{"the login's access token", login.Access}, {"an older access token", p1.Access}, {"the newest access token", p2.Access},
	} {
		expect(t, m, checkAccess, tok.what, tok.token, freshtoken.ErrRevoked)
	}
}

func TestRotationIsOptIn(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{})
	login := mustIssue(t, m, "alice")
	for i := range 3 {
		p := mustRefresh(t, m, login.Refresh)
		if p.Refresh != login.Refresh {
			t.Fatalf("refresh %d re-issued the refresh token without RotateRefresh", i)
		}
	}
}

func TestRotationReuseInterval(t *testing.T) {
	const grace = 10 * time.Second
	cases := []struct {
		name, reason string
		retryAfter   time.Duration
		want         error
	}{
		{"prompt retry", "a client that lost the answer retries", time.Second, nil},
		{"last moment", "", grace - time.Second, nil},
		{"end of interval", "the interval is over: a reuse", grace, freshtoken.ErrRevoked},
		{"much later", "", time.Hour, freshtoken.ErrRevoked},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, clk := newTestManager(t, freshtoken.Config{RotateRefresh: true, ReuseInterval: grace})
			login := mustIssue(t, m, "alice")
			first := mustRefresh(t, m, login.Refresh) // its answer is "lost"
			clk.Advance(c.retryAfter)
			retry, err := m.Refresh(context.Background(), login.Refresh)
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Fatalf("retry after %v: got %v, want %v (%s)", c.retryAfter, err, c.want, c.reason)
			}
			if c.want != nil {
				expect(t, m, checkRefreshCall, "the first answer's refresh token", first.Refresh, freshtoken.ErrRevoked)
				return
			}
			if retry.Refresh == first.Refresh {
				t.Error("the retry got the first answer's refresh token again")
			}
			expect(t, m, checkRefreshCall, "the retry's refresh token", retry.Refresh, nil)
		})
	}
}

func TestRotationRace(t *testing.T) {
	const racers = 100
	m, _ := newTestManager(t, freshtoken.Config{RotateRefresh: true})
	login := mustIssue(t, m, "alice")
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []*freshtoken.Pair
		others  []error
	)
	start := make(chan struct{})
	for range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			p, err := m.Refresh(context.Background(), login.Refresh)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				winners = append(winners, p)
			} else if !errors.Is(err, freshtoken.ErrRevoked) {
				others = append(others, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(winners) != 1 || len(others) != 0 {
		t.Fatalf("%d of %d concurrent refreshes of one token won, other errors: %v; want exactly 1 and only ErrRevoked", len(winners), racers, others)
	}
	// The losers were reuses, so the session is revoked, winner included.
	expect(t, m, checkAccess, "the winner's access token", winners[0].Access, freshtoken.ErrRevoked)
}

func TestRotationKeepsAbsoluteLifetime(t *testing.T) {
	m, clk := newTestManager(t, freshtoken.Config{RotateRefresh: true, RefreshTTL: 2 * time.Hour})
	login := mustIssue(t, m, "alice")
	tok := login.Refresh
	for range 3 {
		clk.Advance(30 * time.Minute)
		p := mustRefresh(t, m, tok)
		if !p.RefreshExpiresAt.Equal(login.RefreshExpiresAt) {
			t.Fatalf("rotation moved the session's end from %v to %v", login.RefreshExpiresAt, p.RefreshExpiresAt)
		}
		tok = p.Refresh
	}
	clk.Advance(20 * time.Minute) // 1h50m after the login
	last := mustRefresh(t, m, tok)
	if want := login.RefreshExpiresAt; !last.AccessExpiresAt.Equal(want) {
		t.Errorf("access token near the end of the session expires at %v, want with the session at %v", last.AccessExpiresAt, want)
	}
	clk.Advance(10*time.Minute + freshtoken.DefaultLeeway)
	expect(t, m, checkRefreshCall, "the newest refresh token at the session's end", last.Refresh, freshtoken.ErrExpired)
}

func TestRotationIdleLimit(t *testing.T) {
	m, clk := newTestManager(t, freshtoken.Config{RotateRefresh: true, RefreshIdleTTL: time.Hour})
	login := mustIssue(t, m, "alice")
	clk.Advance(time.Hour - time.Second)
	p := mustRefresh(t, m, login.Refresh)
	clk.Advance(time.Hour)
	expect(t, m, checkRefreshCall, "a refresh token unused for the idle limit", p.Refresh, freshtoken.ErrExpired)
	// Refusing it spent nothing: it is not a reuse, and the session is not revoked.
	expect(t, m, checkAccess, "the session's last access token", p.Access, freshtoken.ErrExpired)
	expect(t, m, checkRefresh, "the idle refresh token", p.Refresh, nil)
}

func TestRotationConfig(t *testing.T) {
	cases := []struct {
		name, reason string
		cfg          freshtoken.Config
		want         error
	}{
		{"grace without rotation", "it would do nothing", freshtoken.Config{ReuseInterval: time.Second}, freshtoken.ErrInvalidConfig},
		{"idle without rotation", "it would do nothing", freshtoken.Config{RefreshIdleTTL: time.Hour}, freshtoken.ErrInvalidConfig},
		{"negative grace", "", freshtoken.Config{RotateRefresh: true, ReuseInterval: -time.Second}, freshtoken.ErrInvalidConfig},
		{"negative idle", "", freshtoken.Config{RotateRefresh: true, RefreshIdleTTL: -time.Hour}, freshtoken.ErrInvalidConfig},
		{"all set", "", freshtoken.Config{RotateRefresh: true, ReuseInterval: time.Second, RefreshIdleTTL: time.Hour}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Key = testKey
			_, err := freshtoken.New(c.cfg)
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Errorf("New: got %v, want %v (%s)", err, c.want, c.reason)
			}
		})
	}
}

// Rotation's redemption can fail on its own, after the lookup succeeded.
type redeemFails struct{ freshtoken.Store }

func (redeemFails) Redeem(context.Context, time.Time, string, string, time.Time, time.Duration) (bool, error) {
	return false, errDown
}

func TestRedeemFailureFailsClosed(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{RotateRefresh: true, Store: redeemFails{freshtoken.NewMemoryStore()}})
	login := mustIssue(t, m, "alice")
	p, err := m.Refresh(context.Background(), login.Refresh)
	if p != nil || !errors.Is(err, freshtoken.ErrStoreUnavailable) {
		t.Errorf("Refresh: got %v, %v; want nil, ErrStoreUnavailable", p, err)
	}
}
