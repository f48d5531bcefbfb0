package freshtoken

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// The guards take a shortcut for the headers a Manager writes itself
// (knownHeaders). These tests hold it to the answers of the general path.

// general returns m's keys of the moment without their shortcuts.
func general(m *Manager) *keyRing {
	r := m.ring.Load()
	return &keyRing{signing: r.signing, keys: r.keys, accessHeader: r.accessHeader, refreshHeader: r.refreshHeader}
}

// proved is what prove says of tok with the keys of r, without the key.
func proved(m *Manager, r *keyRing, tok string) (*Claims, error) {
	c, _, err := m.prove(context.Background(), r, tok)
	return c, err
}

func TestShortcutsAgreeWithTheGeneralPath(t *testing.T) {
	ctx := context.Background()
	old, clk := newTestManager(t, Config{Key: testKeys().ed})
	m, _ := newTestManager(t, Config{
		Key: testKeys().hs256, Issuer: "https://auth.example.com", Audience: []string{"api"},
		VerifyKeys: []any{testKeys().ed}, Now: clk.Now,
	})
	if n := len(m.ring.Load().known); n != 2 {
		t.Fatalf("got %d known headers, want 2 (access and refresh)", n)
	}
	p, err := m.Issue(ctx, "user-42", WithClaims(map[string]any{"role": "admin", "n": 1.5, "list": []any{"a", map[string]any{"b": nil}}}))
	if err != nil {
		t.Fatal(err)
	}
	fromOld, err := old.Issue(ctx, "user-7")
	if err != nil {
		t.Fatal(err)
	}
	tokens := []string{p.Access, p.Refresh, fromOld.Access, fromOld.Refresh}
	// Every one-character change of the access token, at every fourth position.
	for i := 0; i < len(p.Access); i += 4 {
		for _, c := range []byte{'A', 'e', '.', '_', '='} {
			b := []byte(p.Access)
			b[i] = c
			tokens = append(tokens, string(b))
		}
	}
	for _, tok := range tokens {
		want := outcome(proved(m, general(m), tok))
		got := outcome(proved(m, m.ring.Load(), tok))
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(Claims{})); diff != "" {
			t.Errorf("parse(%q): the shortcut disagrees with the general path (-want +got):\n%s", tok, diff)
		}
	}
}

func TestShortcutsAgreeOnOddKeyIDs(t *testing.T) {
	// json.Marshal writes "<" as \u003c and readHeader reads only plain
	// strings, so New refuses such key IDs; for the ones it accepts,
	// whatever the general path says about the header, the shortcut must
	// say the same.
	for _, kid := range []string{"a<b", `q"uote`, "caf\u00e9", "k1"} {
		m, err := New(Config{Key: testKeys().hs256, KeyID: kid})
		if errors.Is(err, ErrInvalidKey) && strings.ContainsAny(kid, `<"`) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.Issue(context.Background(), "user-42")
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{p.Access, p.Refresh} {
			want := outcome(proved(m, general(m), tok))
			got := outcome(proved(m, m.ring.Load(), tok))
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(Claims{})); diff != "" {
				t.Errorf("kid %q: the shortcut disagrees with the general path (-want +got):\n%s", kid, diff)
			}
		}
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
	const iss = "https://auth.example.com"
	aud := []string{"api"}
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
		{"other audience", Config{Audience: []string{"billing"}}, Config{Audience: aud}, ErrInvalidClaims},
		{"token without audience", Config{}, Config{Audience: aud}, ErrInvalidClaims},
		{"audience not checked when unset", Config{Audience: aud}, Config{}, nil},
		{"both match", Config{Issuer: iss, Audience: aud}, Config{Issuer: iss, Audience: aud}, nil},
		{"issuer matches, audience does not", Config{Issuer: iss, Audience: []string{"billing"}}, Config{Issuer: iss, Audience: aud}, ErrInvalidClaims},
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
				if kid := decodeSegment(t, tok, 0)["kid"]; kid != during.signer().id {
					t.Errorf("new token signed with kid %v, want the new key's %q", kid, during.signer().id)
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

// newKeyVerifier is NewVerifier for the tokens of issuer, through its
// public key, with cfg's rules and the issuer's clock.
func newKeyVerifier(t *testing.T, issuer *Manager, cfg Config) *Verifier {
	t.Helper()
	cfg.VerifyKeys = []any{issuer.signer().key.public}
	cfg.Now = issuer.now
	v, err := NewVerifier(context.Background(), VerifierConfig{Config: cfg})
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

// On a verifier an unset TTL is no cap, so the construction checks compare
// nothing with it: a FreshFor or an AccessTTL longer than New's defaults is
// accepted alone, and only two settings given together are compared.
func TestNewVerifierUnsetTTLsAreNoLimit(t *testing.T) {
	issuer, _ := newTestManager(t, Config{})
	for _, cfg := range []Config{
		{FreshFor: time.Hour},
		{AccessTTL: 60 * 24 * time.Hour},
		{RefreshTTL: 10 * time.Minute},
	} {
		newKeyVerifier(t, issuer, cfg)
	}
	cfg := Config{AccessTTL: 2 * time.Hour, RefreshTTL: time.Hour, VerifyKeys: []any{issuer.signer().key.public}}
	if _, err := NewVerifier(context.Background(), VerifierConfig{Config: cfg}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("NewVerifier with AccessTTL over RefreshTTL: got %v, want ErrInvalidConfig", err)
	}
}

// A verifier with a zero Config accepts every token its issuer accepts,
// whatever the issuer's TTLs, issuer and audience; told the TTLs, it caps
// lifetimes as a Manager does. Verifiers used to cap them at New's
// defaults, so a resource server refused an issuer's two-hour tokens as
// "invalid claims", without saying why.
func TestVerifierDefaultsAcceptIssuerTokens(t *testing.T) {
	issuer, clk := newTestManager(t, Config{
		AccessTTL: 2 * time.Hour, RefreshTTL: 90 * 24 * time.Hour,
		Issuer: "https://auth.example.com", Audience: []string{"api"},
	})
	pair := mustIssue(t, issuer, "user-42")
	clk.Advance(time.Hour) // past New's default AccessTTL, within the issuer's
	tests := []struct {
		name          string
		cfg           Config
		wantAccess    error
		wantRefresh   error
		accessDetail  string
		refreshDetail string
		reason        string
	}{
		{"zero Config", Config{}, nil, nil, "", "", "no cap, no issuer or audience check"},
		{"issuer's own settings", Config{AccessTTL: 2 * time.Hour, RefreshTTL: 90 * 24 * time.Hour, Issuer: "https://auth.example.com", Audience: []string{"api"}}, nil, nil, "", "", "copied settings still work"},
		{"caps set lower", Config{AccessTTL: 15 * time.Minute, RefreshTTL: 30 * 24 * time.Hour}, ErrInvalidClaims, ErrInvalidClaims,
			`lifetime ("exp" − "iat") 2h0m0s exceeds Config.AccessTTL 15m0s`, `lifetime ("exp" − "iat") 2160h0m0s exceeds Config.RefreshTTL 720h0m0s`, "a set cap applies"},
		{"access cap only", Config{AccessTTL: time.Hour}, ErrInvalidClaims, nil, "exceeds Config.AccessTTL 1h0m0s", "", "each cap on its own"},
		{"other issuer", Config{Issuer: "https://b.example"}, ErrInvalidClaims, ErrInvalidClaims,
			`"iss" is "https://auth.example.com" but Config.Issuer is "https://b.example"`, `Config.Issuer is "https://b.example"`, "a set issuer is checked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newKeyVerifier(t, issuer, tt.cfg)
			for _, c := range []struct {
				guard  func(context.Context, string) (*Claims, error)
				tok    string
				want   error
				detail string
			}{{v.RequireAccess, pair.Access, tt.wantAccess, tt.accessDetail}, {v.RequireRefresh, pair.Refresh, tt.wantRefresh, tt.refreshDetail}} {
				got, err := c.guard(context.Background(), c.tok)
				if !errors.Is(err, c.want) || (err == nil) != (c.want == nil) || (err == nil) == (got == nil) {
					t.Errorf("got %v, %v; want %v (%s)", got, err, c.want, tt.reason)
				}
				if err != nil && !strings.Contains(err.Error(), c.detail) {
					t.Errorf("error %q does not say %q", err, c.detail)
				}
			}
		})
	}

	// A Manager keeps New's default caps.
	m, _ := newTestManager(t, Config{Now: clk.Now}) // the issuer's key
	checkGuard(t, guardAccess, m, pair.Access, ErrInvalidClaims, "a Manager caps at its default AccessTTL")
}

// Every claims error names the claim, the setting and the values, so that a
// mismatch between issuer and verifier can be fixed from the log alone;
// the values a token chose are quoted and cut short.
func TestClaimsErrorsNameClaimAndValues(t *testing.T) {
	m, _ := newTestManager(t, Config{Issuer: "https://b.example", Audience: []string{"api"}})
	f := &forge{t: t, m: m, now: t0.Unix()}
	good := f.accessClaims().add("iss", `"https://b.example"`).add("aud", `"api"`)
	long := strings.Repeat("a", 3000)
	tests := []struct {
		name   string
		tok    string
		want   error
		detail []string
	}{
		{"iat in the future", f.access(good.set("iat", f.unix(time.Hour)).set("exp", f.unix(time.Hour+time.Minute))), ErrNotYetValid,
			[]string{`"iat" 2026-03-01T10:00:00Z is in the future (now 2026-03-01T09:00:00Z, leeway 5s)`}},
		{"nbf in the future", f.access(good.add("nbf", f.unix(time.Minute))), ErrNotYetValid,
			[]string{`"nbf" 2026-03-01T09:01:00Z is in the future (now 2026-03-01T09:00:00Z, leeway 5s)`}},
		{"wrong issuer", f.access(good.set("iss", `"https://a.example"`)), ErrInvalidClaims,
			[]string{`"iss" is "https://a.example" but Config.Issuer is "https://b.example"`}},
		{"no issuer", f.access(good.del("iss")), ErrInvalidClaims,
			[]string{`"iss" is missing`, `Config.Issuer is "https://b.example"`}},
		{"wrong audience", f.access(good.set("aud", `["x","y"]`)), ErrInvalidClaims,
			[]string{`"aud" ["x" "y"] does not contain Config.Audience "api"`}},
		{"no audience", f.access(good.del("aud")), ErrInvalidClaims,
			[]string{`"aud" is missing but Config.Audience is "api"`}},
		{"expired", f.access(good.set("iat", f.unix(-time.Hour)).set("exp", f.unix(-time.Minute)).set("auth_time", f.unix(-time.Hour))), ErrExpired,
			[]string{`"exp" 2026-03-01T08:59:00Z has passed (now 2026-03-01T09:00:00Z, leeway 5s)`}},
		{"too long", f.access(good.set("exp", f.unix(2*time.Hour))), ErrInvalidClaims,
			[]string{`lifetime ("exp" − "iat") 2h0m0s exceeds Config.AccessTTL 15m0s`}},
		{"exp before iat", f.access(good.set("iat", f.unix(0)).set("exp", f.unix(0))), ErrInvalidClaims,
			[]string{`"exp" 2026-03-01T09:00:00Z is not after "iat" 2026-03-01T09:00:00Z`}},
		{"login after issue", f.access(good.set("auth_time", f.unix(time.Second))), ErrInvalidClaims,
			[]string{`"auth_time" 2026-03-01T09:00:01Z is after "iat" 2026-03-01T09:00:00Z`}},
		{"exp of the wrong type", f.access(good.set("exp", `"tomorrow"`)), ErrInvalidClaims,
			[]string{`claim "exp" is "tomorrow", want whole non-negative seconds`}},
		{"type of the wrong value", f.access(good.set("type", `"id"`)), ErrInvalidClaims,
			[]string{`claim "type" is "id", want "access" or "refresh"`}},
		{"type against the header", f.access(good.set("type", `"refresh"`).del("fresh")), ErrInvalidClaims,
			[]string{`the "type" claim says refresh but the header "typ" says access`}},
		{"missing claims", f.access(good.del("jti").del("exp")), ErrInvalidClaims,
			[]string{`missing claim "exp", "jti"`}},
		{"empty subject", f.access(good.set("sub", `""`)), ErrInvalidClaims,
			[]string{`the identity claim "sub" is "", want a non-empty string`}},
		{"fresh of the wrong type", f.access(good.set("fresh", `1`)), ErrInvalidClaims,
			[]string{`claim "fresh" is 1, want a boolean`}},
		{"long issuer", f.access(good.set("iss", `"`+long+`"`)), ErrInvalidClaims,
			[]string{`"iss" is "aaaa`, `… (3000 bytes) but Config.Issuer`}},
		{"control characters", f.access(good.set("iss", `"a\u001b[31m\nb"`)), ErrInvalidClaims,
			[]string{`"iss" is "a\x1b[31m\nb"`}},
		{"many audiences", f.access(good.set("aud", `["1","2","3","4","5","6"]`)), ErrInvalidClaims,
			[]string{`"aud" ["1" "2" "3" "4" … 6 in all] does not contain`}},
		{"long wrong value", f.access(good.set("jti", `[`+strings.Repeat(`1,`, 1000)+`1]`)), ErrInvalidClaims,
			[]string{`claim "jti" is "[1,1,1`, `(2003 bytes), want a non-empty string`}},
	}
	for _, tt := range tests {
		c, err := m.RequireAccess(ctxBG, tt.tok)
		if c != nil || !errors.Is(err, tt.want) || len(matchedSentinels(err)) != 1 {
			t.Errorf("%s: RequireAccess = %v, %v; want nil, %v alone", tt.name, c, err, tt.want)
			continue
		}
		msg := err.Error()
		for _, d := range tt.detail {
			if !strings.Contains(msg, d) {
				t.Errorf("%s: error %q does not say %q", tt.name, msg, d)
			}
		}
		if len(msg) > 400 || strings.ContainsAny(msg, "\n\x1b") {
			t.Errorf("%s: error of %d bytes, or with raw control characters: %q", tt.name, len(msg), msg)
		}
	}
}
