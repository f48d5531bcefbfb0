package freshtoken

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// guardFunc is one of the Manager's guards, with a fixed maxAge for RequireLoginWithin.
type guardFunc struct {
	name string
	call func(m *Manager, tok string) (*Claims, error)
}

var (
	ctxBG              = context.Background()
	guardAccess        = guardFunc{"RequireAccess", func(m *Manager, tok string) (*Claims, error) { return m.RequireAccess(ctxBG, tok) }}
	guardRefresh       = guardFunc{"RequireRefresh", func(m *Manager, tok string) (*Claims, error) { return m.RequireRefresh(ctxBG, tok) }}
	guardFresh         = guardFunc{"RequireFresh", func(m *Manager, tok string) (*Claims, error) { return m.RequireFresh(ctxBG, tok) }}
	guardLoginWithinHr = guardFunc{"RequireLoginWithin(1h)", func(m *Manager, tok string) (*Claims, error) { return m.RequireLoginWithin(ctxBG, tok, time.Hour) }}
)

// checkGuard calls g and checks the error against want and the nil-claims rule.
func checkGuard(t *testing.T, g guardFunc, m *Manager, tok string, want error, reason string) *Claims {
	t.Helper()
	c, err := g.call(m, tok)
	if !errors.Is(err, want) {
		t.Errorf("%s() error = %v, want %v (%s)", g.name, err, want, reason)
	}
	if err != nil && c != nil {
		t.Errorf("%s() = %+v with error %v, want nil claims", g.name, c, err)
	}
	if err == nil && c == nil {
		t.Errorf("%s() = nil, nil", g.name)
	}
	return c
}

// An access token never passes where a refresh token is required, or the
// reverse (RFC 8725 §3.12).
func TestGuardsTokenTypes(t *testing.T) {
	m, clk := newTestManager(t, Config{})
	login := mustIssue(t, m, "user-42")
	clk.Advance(time.Minute)
	refreshed, err := m.Refresh(ctxBG, login.Refresh)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	tests := []struct {
		guard  guardFunc
		token  string
		kind   string
		want   error
		reason string
	}{
		{guardAccess, login.Access, "login access", nil, "the token it is for"},
		{guardAccess, refreshed.Access, "refreshed access", nil, "refreshed tokens are access tokens"},
		{guardAccess, login.Refresh, "refresh", ErrWrongType, "a refresh token is no access token"},
		{guardFresh, login.Access, "login access", nil, "fresh from the login"},
		{guardFresh, login.Refresh, "refresh", ErrWrongType, "type is checked before freshness"},
		{guardLoginWithinHr, login.Access, "login access", nil, "logged in a minute ago"},
		{guardLoginWithinHr, login.Refresh, "refresh", ErrWrongType, "type is checked before freshness"},
		{guardRefresh, login.Refresh, "refresh", nil, "the token it is for"},
		{guardRefresh, login.Access, "login access", ErrWrongType, "an access token must not act as a refresh token"},
		{guardRefresh, refreshed.Access, "refreshed access", ErrWrongType, "an access token must not act as a refresh token"},
	}
	for _, tt := range tests {
		t.Run(tt.guard.name+"/"+tt.kind, func(t *testing.T) {
			checkGuard(t, tt.guard, m, tt.token, tt.want, tt.reason)
		})
	}
}

// Expiry is exact to the second: a token is valid strictly before exp plus
// the leeway.
func TestExpiryBoundaries(t *testing.T) {
	accessExp := t0.Add(15 * time.Minute)
	refreshExp := t0.Add(30 * 24 * time.Hour)
	const none = -time.Second // Config.Leeway < 0: no leeway
	tests := []struct {
		name    string
		leeway  time.Duration // Config.Leeway
		refresh bool
		at      time.Time
		want    error
	}{
		{"no leeway, a second before exp", none, false, accessExp.Add(-time.Second), nil},
		{"no leeway, a nanosecond before exp", none, false, accessExp.Add(-time.Nanosecond), nil},
		{"no leeway, at exp", none, false, accessExp, ErrExpired},
		{"no leeway, a second after exp", none, false, accessExp.Add(time.Second), ErrExpired},

		{"default leeway, a second before exp", 0, false, accessExp.Add(-time.Second), nil},
		{"default leeway, at exp", 0, false, accessExp, nil},
		{"default leeway, a second after exp", 0, false, accessExp.Add(time.Second), nil},
		{"default leeway, a second before its end", 0, false, accessExp.Add(DefaultLeeway - time.Second), nil},
		{"default leeway, at its end", 0, false, accessExp.Add(DefaultLeeway), ErrExpired},
		{"default leeway, a second after its end", 0, false, accessExp.Add(DefaultLeeway + time.Second), ErrExpired},

		{"30s leeway, at exp", 30 * time.Second, false, accessExp, nil},
		{"30s leeway, a second after exp", 30 * time.Second, false, accessExp.Add(time.Second), nil},
		{"30s leeway, a second before its end", 30 * time.Second, false, accessExp.Add(29 * time.Second), nil},
		{"30s leeway, at its end", 30 * time.Second, false, accessExp.Add(30 * time.Second), ErrExpired},
		{"30s leeway, a second after its end", 30 * time.Second, false, accessExp.Add(31 * time.Second), ErrExpired},

		{"refresh, no leeway, a second before exp", none, true, refreshExp.Add(-time.Second), nil},
		{"refresh, no leeway, at exp", none, true, refreshExp, ErrExpired},
		{"refresh, no leeway, a second after exp", none, true, refreshExp.Add(time.Second), ErrExpired},
		{"refresh, default leeway, at exp", 0, true, refreshExp, nil},
		{"refresh, default leeway, at its end", 0, true, refreshExp.Add(DefaultLeeway), ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, clk := newTestManager(t, Config{Leeway: tt.leeway})
			pair := mustIssue(t, m, "user-42")
			clk.Set(tt.at)
			if tt.refresh {
				checkGuard(t, guardRefresh, m, pair.Refresh, tt.want, "expiry")
				return
			}
			for _, g := range []guardFunc{guardAccess, guardFresh, guardLoginWithinHr} {
				checkGuard(t, g, m, pair.Access, tt.want, "expiry")
			}
		})
	}
}

// A token issued by a server whose clock runs ahead is accepted within the
// leeway and refused beyond it; so is a token whose nbf lies ahead.
func TestNotYetValid(t *testing.T) {
	const none = -time.Second
	tests := []struct {
		name   string
		leeway time.Duration
		ahead  time.Duration // how far in the future iat or nbf lies
		nbf    bool          // nbf ahead rather than iat
		want   error
	}{
		{"iat now, no leeway", none, 0, false, nil},
		{"iat a second ahead, no leeway", none, time.Second, false, ErrNotYetValid},
		{"iat at the default leeway", 0, DefaultLeeway, false, nil},
		{"iat a second beyond the default leeway", 0, DefaultLeeway + time.Second, false, ErrNotYetValid},
		{"iat at a 30s leeway", 30 * time.Second, 30 * time.Second, false, nil},
		{"iat a second beyond a 30s leeway", 30 * time.Second, 31 * time.Second, false, ErrNotYetValid},
		{"iat an hour ahead", 0, time.Hour, false, ErrNotYetValid},

		{"nbf now, no leeway", none, 0, true, nil},
		{"nbf a second ahead, no leeway", none, time.Second, true, ErrNotYetValid},
		{"nbf at the default leeway", 0, DefaultLeeway, true, nil},
		{"nbf a second beyond the default leeway", 0, DefaultLeeway + time.Second, true, ErrNotYetValid},
		{"nbf a second beyond a 30s leeway", 30 * time.Second, 31 * time.Second, true, ErrNotYetValid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newTestManager(t, Config{Leeway: tt.leeway})
			var tok string
			if tt.nbf {
				f := &forge{t: t, m: m, now: t0.Unix()}
				tok = f.access(f.accessClaims().add("nbf", f.unix(tt.ahead)))
			} else {
				issuer, clk := newTestManager(t, Config{})
				clk.Set(t0.Add(tt.ahead))
				tok = mustIssue(t, issuer, "user-42").Access
			}
			checkGuard(t, guardAccess, m, tok, tt.want, "clock skew")
		})
	}
}

// The lifetime a token claims is checked against the verifier's TTLs, so
// lowering a TTL also shortens tokens already out.
func TestLifetimeLimit(t *testing.T) {
	tests := []struct {
		name            string
		issue, validate Config
		refresh         bool
		want            error
	}{
		{"same AccessTTL", Config{AccessTTL: time.Hour}, Config{AccessTTL: time.Hour}, false, nil},
		{"AccessTTL lowered", Config{AccessTTL: time.Hour}, Config{AccessTTL: 15 * time.Minute}, false, ErrInvalidClaims},
		{"AccessTTL lowered by a second", Config{AccessTTL: time.Hour}, Config{AccessTTL: time.Hour - time.Second}, false, ErrInvalidClaims},
		{"AccessTTL raised", Config{AccessTTL: time.Hour}, Config{AccessTTL: 2 * time.Hour}, false, nil},
		{"same RefreshTTL", Config{RefreshTTL: 48 * time.Hour}, Config{RefreshTTL: 48 * time.Hour}, true, nil},
		{"RefreshTTL lowered", Config{RefreshTTL: 48 * time.Hour}, Config{RefreshTTL: 24 * time.Hour}, true, ErrInvalidClaims},
		{"access TTL does not limit refresh tokens", Config{}, Config{AccessTTL: time.Minute}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer, _ := newTestManager(t, tt.issue)
			verifier, _ := newTestManager(t, tt.validate)
			pair := mustIssue(t, issuer, "user-42")
			if tt.refresh {
				checkGuard(t, guardRefresh, verifier, pair.Refresh, tt.want, "lifetime against RefreshTTL")
			} else {
				checkGuard(t, guardAccess, verifier, pair.Access, tt.want, "lifetime against AccessTTL")
			}
		})
	}
}

func TestIssuerAndAudience(t *testing.T) {
	const iss, aud = "https://auth.example.com", "api"
	tests := []struct {
		name            string
		issue, validate Config
		want            error
	}{
		{"same issuer", Config{Issuer: iss}, Config{Issuer: iss}, nil},
		{"other issuer", Config{Issuer: "https://evil.example.com"}, Config{Issuer: iss}, ErrInvalidClaims},
		{"issuer differs in case", Config{Issuer: "https://AUTH.example.com"}, Config{Issuer: iss}, ErrInvalidClaims},
		{"token without issuer", Config{}, Config{Issuer: iss}, ErrInvalidClaims},
		{"issuer not checked when unset", Config{Issuer: iss}, Config{}, nil},
		{"same audience", Config{Audience: aud}, Config{Audience: aud}, nil},
		{"other audience", Config{Audience: "billing"}, Config{Audience: aud}, ErrInvalidClaims},
		{"token without audience", Config{}, Config{Audience: aud}, ErrInvalidClaims},
		{"audience not checked when unset", Config{Audience: aud}, Config{}, nil},
		{"both match", Config{Issuer: iss, Audience: aud}, Config{Issuer: iss, Audience: aud}, nil},
		{"issuer matches, audience does not", Config{Issuer: iss, Audience: "billing"}, Config{Issuer: iss, Audience: aud}, ErrInvalidClaims},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer, _ := newTestManager(t, tt.issue)
			verifier, _ := newTestManager(t, tt.validate)
			pair := mustIssue(t, issuer, "user-42")
			checkGuard(t, guardAccess, verifier, pair.Access, tt.want, "iss/aud")
			checkGuard(t, guardRefresh, verifier, pair.Refresh, tt.want, "iss/aud")
		})
	}

	// "aud" may be an array (RFC 7519 §4.1.3); it must contain the audience.
	verifier, _ := newTestManager(t, Config{Audience: aud})
	f := &forge{t: t, m: verifier, now: t0.Unix()}
	checkGuard(t, guardAccess, verifier, f.access(f.accessClaims().add("aud", `["billing","api"]`)), nil, "aud array containing the audience")
	checkGuard(t, guardAccess, verifier, f.access(f.accessClaims().add("aud", `["billing","API"]`)), ErrInvalidClaims, "aud array without the audience")
}

// Rotating keys: the new signing key signs, the old one moves to VerifyKeys
// and keeps its tokens valid, and removing it ends them.
func TestKeyRotation(t *testing.T) {
	k := testKeys()
	tests := []struct {
		name     string
		old, new any
		verify   any // the old key as given to VerifyKeys
	}{
		{"ed25519 to ed25519, old private key kept", k.ed, k.ed2, k.ed},
		{"ed25519 to ed25519, old public key kept", k.ed, k.ed2, k.ed.Public()},
		{"hmac to hmac", k.hs256, k.hs256second, k.hs256},
		{"hmac to ed25519", k.hs256, k.ed, k.hs256},
		{"rsa to ecdsa", k.rsa, k.p256, &k.rsa.PublicKey},
		{"ecdsa to rsa, jwk public key kept", k.p384, k.rsa, mustJWK(t, &k.p384.PublicKey, nil)},
		{"rsa to ed25519, old private key kept", k.rsa, k.ed, k.rsa},
		// A key whose algorithm or kid was configured (not derived) keeps
		// them through a jwk.Key in VerifyKeys.
		{"rsa PS256 to ed25519", mustJWK(t, k.rsa, map[string]any{jwk.AlgorithmKey: jwa.PS256}), k.ed, mustJWK(t, &k.rsa.PublicKey, map[string]any{jwk.AlgorithmKey: jwa.PS256})},
		{"named hmac key to ed25519", mustJWK(t, k.hs256, map[string]any{jwk.KeyIDKey: "2025"}), k.ed, mustJWK(t, k.hs256, map[string]any{jwk.KeyIDKey: "2025"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, clk := newTestManager(t, Config{Key: tt.old})
			old := mustIssue(t, before, "user-42")

			during, _ := newTestManager(t, Config{Key: tt.new, VerifyKeys: []any{tt.verify}, Now: clk.Now})
			checkGuard(t, guardFresh, during, old.Access, nil, "the old key still verifies")
			checkGuard(t, guardRefresh, during, old.Refresh, nil, "the old key still verifies")
			clk.Advance(time.Minute)
			refreshed, err := during.Refresh(ctxBG, old.Refresh)
			if err != nil {
				t.Fatalf("Refresh of an old refresh token: %v", err)
			}
			fresh := mustIssue(t, during, "user-42")
			for _, tok := range []string{refreshed.Access, fresh.Access, fresh.Refresh} {
				if kid := decodeSegment(t, tok, 0)["kid"]; kid != during.signing.id {
					t.Errorf("new token signed with kid %v, want the new key's %q", kid, during.signing.id)
				}
			}

			after, _ := newTestManager(t, Config{Key: tt.new, Now: clk.Now})
			checkGuard(t, guardAccess, after, old.Access, ErrUnknownKey, "the old key was removed")
			checkGuard(t, guardRefresh, after, old.Refresh, ErrUnknownKey, "the old key was removed")
			checkGuard(t, guardAccess, after, refreshed.Access, nil, "refreshed during rotation, so signed with the new key")
			checkGuard(t, guardFresh, after, fresh.Access, nil, "signed with the new key")

			checkGuard(t, guardAccess, before, fresh.Access, ErrUnknownKey, "the old Manager does not know the new key")
		})
	}
}

// One Manager serves many goroutines at once.
func TestConcurrentUse(t *testing.T) {
	for _, key := range []struct {
		name string
		key  any
	}{{"HS256", testKeys().hs256}, {"EdDSA", testKeys().ed}} {
		t.Run(key.name, func(t *testing.T) {
			m, clk := newTestManager(t, Config{Key: key.key, FreshFor: time.Hour})
			clk.Set(t0.Add(time.Hour))
			const workers, rounds = 8, 20
			ids := make([][]string, workers)
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for range rounds {
						pair, err := m.Issue(ctxBG, "user-42", WithClaims(map[string]any{"worker": w}), WithCSRF())
						if err != nil {
							t.Errorf("Issue: %v", err)
							return
						}
						c, err := m.RequireFresh(ctxBG, pair.Access)
						if err != nil {
							t.Errorf("RequireFresh(login): %v", err)
							return
						}
						if c.Extra["worker"] != float64(w) {
							t.Errorf("worker %d got claims of worker %v", w, c.Extra["worker"])
						}
						refreshed, err := m.Refresh(ctxBG, pair.Refresh)
						if err != nil {
							t.Errorf("Refresh: %v", err)
							return
						}
						if _, err := m.RequireFresh(ctxBG, refreshed.Access); !errors.Is(err, ErrNotFresh) {
							t.Errorf("RequireFresh(refreshed) = %v, want ErrNotFresh", err)
						}
						rc, err := m.RequireAccess(ctxBG, refreshed.Access)
						if err != nil {
							t.Errorf("RequireAccess(refreshed): %v", err)
							return
						}
						if _, err := m.RequireRefresh(ctxBG, pair.Access); !errors.Is(err, ErrWrongType) {
							t.Errorf("RequireRefresh(access) = %v, want ErrWrongType", err)
						}
						ids[w] = append(ids[w], c.ID, c.SessionID, rc.ID)
					}
				})
			}
			wg.Wait()
			seen := make(map[string]bool)
			for _, list := range ids {
				for _, id := range list {
					if seen[id] {
						t.Errorf("ID %q handed out twice", id)
					}
					seen[id] = true
				}
			}
			if got, want := len(seen), workers*rounds*3; got != want {
				t.Errorf("%d distinct IDs, want %d", got, want)
			}
		})
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

// Claims returned by a guard are the caller's: changing them does not
// change what a later guard call returns.
func TestClaimsAreNotShared(t *testing.T) {
	m, _ := newTestManager(t, Config{Audience: "api"})
	pair := mustIssue(t, m, "user-42", WithClaims(map[string]any{"roles": []string{"user"}}))
	first, err := m.RequireAccess(ctxBG, pair.Access)
	if err != nil {
		t.Fatal(err)
	}
	want := *first
	want.Extra = map[string]any{"roles": []any{"user"}}
	want.Audience = []string{"api"}
	first.Subject = "admin"
	first.Extra["roles"] = []any{"admin"}
	first.Audience[0] = "other"
	second, err := m.RequireAccess(ctxBG, pair.Access)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&want, second, claimsOpts); diff != "" {
		t.Errorf("second RequireAccess (-want +got):\n%s", diff)
	}
}
