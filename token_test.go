package freshtoken

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken/internal/testclock"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// t0 is when every test's clock starts.
var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// fakeClock is the injected Config.Now. It is safe for concurrent use.
type fakeClock = testclock.Clock

func newFakeClock() *fakeClock { return testclock.New(t0) }

// keySet holds one key of every kind freshtoken accepts, made once: RSA key
// generation is slow.
type keySet struct {
	ed                 ed25519.PrivateKey
	ed2                ed25519.PrivateKey
	p256, p384, p521   *ecdsa.PrivateKey
	p224               *ecdsa.PrivateKey
	rsa, rsa1024       *rsa.PrivateKey
	hs256, hs384       []byte
	hs512, hs256second []byte
}

var testKeys = sync.OnceValue(func() *keySet {
	ec := func(c elliptic.Curve) *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	}
	rk := func(bits int) *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			panic(err)
		}
		return k
	}
	seed := func(b byte) []byte { return []byte(strings.Repeat(string(rune(b)), ed25519.SeedSize)) }
	secret := func(n int, b byte) []byte { return []byte(strings.Repeat(string(rune(b)), n)) }
	return &keySet{
		ed:          ed25519.NewKeyFromSeed(seed('e')),
		ed2:         ed25519.NewKeyFromSeed(seed('f')),
		p256:        ec(elliptic.P256()),
		p384:        ec(elliptic.P384()),
		p521:        ec(elliptic.P521()),
		p224:        ec(elliptic.P224()),
		rsa:         rk(2048),
		rsa1024:     rk(1024),
		hs256:       secret(32, 'a'),
		hs256second: secret(32, 'b'),
		hs384:       secret(48, 'c'),
		hs512:       secret(64, 'd'),
	}
})

// newTestManager returns a Manager for cfg driven by a fake clock at t0.
// A nil cfg.Key means the Ed25519 test key.
func newTestManager(t testing.TB, cfg Config) (*Manager, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	if cfg.Key == nil {
		cfg.Key = testKeys().ed
	}
	if cfg.Now == nil {
		cfg.Now = clk.Now
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m, clk
}

// mustIssue logs in subject and fails the test on error.
func mustIssue(t testing.TB, m *Manager, subject string, opts ...IssueOption) *Pair {
	t.Helper()
	p, err := m.Issue(context.Background(), subject, opts...)
	if err != nil {
		t.Fatalf("Issue(%q): %v", subject, err)
	}
	return p
}

// mustJWK wraps raw in a jwk.Key, setting the given parameters.
func mustJWK(t testing.TB, raw any, params map[string]any) jwk.Key {
	t.Helper()
	k, err := jwk.FromRaw(raw)
	if err != nil {
		t.Fatalf("jwk.FromRaw(%T): %v", raw, err)
	}
	for name, v := range params {
		if err := k.Set(name, v); err != nil {
			t.Fatalf("jwk Set(%q): %v", name, err)
		}
	}
	return k
}

// decodeSegment decodes one part of a compact token as JSON into a map.
func decodeSegment(t testing.TB, tok string, part int) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[part])
	if err != nil {
		t.Fatalf("part %d: %v", part, err)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("part %d: %v", part, err)
	}
	return v
}

// rawPayload returns the decoded payload bytes of a compact token.
func rawPayload(t testing.TB, tok string) []byte {
	t.Helper()
	parts := strings.Split(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("payload: %v", err)
	}
	return raw
}

// thumbprint computes the RFC 7638 JWK thumbprint of a public key by the
// RFC's rules (required members in lexicographic order, no whitespace),
// independently of the code under test.
func thumbprint(t testing.TB, public any) string {
	t.Helper()
	b64 := base64.RawURLEncoding.EncodeToString
	pad := func(n *big.Int, size int) string { return b64(n.FillBytes(make([]byte, size))) }
	var members string
	switch pub := public.(type) {
	case ed25519.PublicKey:
		members = `{"crv":"Ed25519","kty":"OKP","x":"` + b64(pub) + `"}`
	case *ecdsa.PublicKey:
		size := (pub.Curve.Params().BitSize + 7) / 8
		members = `{"crv":"` + pub.Curve.Params().Name + `","kty":"EC","x":"` + pad(pub.X, size) + `","y":"` + pad(pub.Y, size) + `"}`
	case *rsa.PublicKey:
		members = `{"e":"` + b64(big.NewInt(int64(pub.E)).Bytes()) + `","kty":"RSA","n":"` + b64(pub.N.Bytes()) + `"}`
	default:
		t.Fatalf("thumbprint: unexpected %T", public)
	}
	sum := sha256.Sum256([]byte(members))
	return b64(sum[:])
}

func TestNewKeyTypes(t *testing.T) {
	k := testKeys()
	tests := []struct {
		name    string
		cfg     Config
		wantAlg string
		// wantKid is the expected "kid"; empty means the RFC 7638 thumbprint of kidOf.
		wantKid string
		kidOf   any
	}{
		{name: "ed25519", cfg: Config{Key: k.ed}, wantAlg: "EdDSA", kidOf: k.ed.Public()},
		{name: "ecdsa P-256", cfg: Config{Key: k.p256}, wantAlg: "ES256", kidOf: &k.p256.PublicKey},
		{name: "ecdsa P-384", cfg: Config{Key: k.p384}, wantAlg: "ES384", kidOf: &k.p384.PublicKey},
		{name: "ecdsa P-521", cfg: Config{Key: k.p521}, wantAlg: "ES512", kidOf: &k.p521.PublicKey},
		{name: "rsa default RS256", cfg: Config{Key: k.rsa}, wantAlg: "RS256", kidOf: &k.rsa.PublicKey},
		{name: "rsa PS256", cfg: Config{Key: k.rsa, Algorithm: "PS256"}, wantAlg: "PS256", kidOf: &k.rsa.PublicKey},
		{name: "hmac default HS256", cfg: Config{Key: k.hs256}, wantAlg: "HS256"},
		{name: "hmac HS384", cfg: Config{Key: k.hs384, Algorithm: "HS384"}, wantAlg: "HS384"},
		{name: "hmac HS512", cfg: Config{Key: k.hs512, Algorithm: "HS512"}, wantAlg: "HS512"},
		{name: "hmac HS256 with a long secret", cfg: Config{Key: k.hs512}, wantAlg: "HS256"},
		{name: "configured KeyID", cfg: Config{Key: k.ed, KeyID: "2026-03"}, wantAlg: "EdDSA", wantKid: "2026-03"},
		{name: "KeyID with punctuation and non-ASCII", cfg: Config{Key: k.ed, KeyID: "clé/2026-03:1+2=3"}, wantAlg: "EdDSA", wantKid: "clé/2026-03:1+2=3"},

		{name: "jwk ed25519", cfg: Config{Key: mustJWK(t, k.ed, nil)}, wantAlg: "EdDSA", kidOf: k.ed.Public()},
		{name: "jwk P-256", cfg: Config{Key: mustJWK(t, k.p256, nil)}, wantAlg: "ES256", kidOf: &k.p256.PublicKey},
		{name: "jwk P-384", cfg: Config{Key: mustJWK(t, k.p384, nil)}, wantAlg: "ES384", kidOf: &k.p384.PublicKey},
		{name: "jwk P-521", cfg: Config{Key: mustJWK(t, k.p521, nil)}, wantAlg: "ES512", kidOf: &k.p521.PublicKey},
		{name: "jwk rsa", cfg: Config{Key: mustJWK(t, k.rsa, nil)}, wantAlg: "RS256", kidOf: &k.rsa.PublicKey},
		{name: "jwk rsa with alg PS256", cfg: Config{Key: mustJWK(t, k.rsa, map[string]any{jwk.AlgorithmKey: jwa.PS256})}, wantAlg: "PS256", kidOf: &k.rsa.PublicKey},
		{name: "jwk hmac", cfg: Config{Key: mustJWK(t, k.hs256, nil)}, wantAlg: "HS256"},
		{name: "jwk hmac with alg HS384", cfg: Config{Key: mustJWK(t, k.hs384, map[string]any{jwk.AlgorithmKey: jwa.HS384})}, wantAlg: "HS384"},
		{name: "jwk hmac with alg HS512", cfg: Config{Key: mustJWK(t, k.hs512, map[string]any{jwk.AlgorithmKey: jwa.HS512})}, wantAlg: "HS512"},
		{name: "jwk kid is used", cfg: Config{Key: mustJWK(t, k.ed, map[string]any{jwk.KeyIDKey: "from-jwk"})}, wantAlg: "EdDSA", wantKid: "from-jwk"},
		{name: "Config.KeyID beats the jwk kid", cfg: Config{Key: mustJWK(t, k.ed, map[string]any{jwk.KeyIDKey: "from-jwk"}), KeyID: "from-config"}, wantAlg: "EdDSA", wantKid: "from-config"},
		{name: "Config.Algorithm beats the jwk alg", cfg: Config{Key: mustJWK(t, k.rsa, map[string]any{jwk.AlgorithmKey: jwa.PS256}), Algorithm: "RS512"}, wantAlg: "RS512", kidOf: &k.rsa.PublicKey},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newTestManager(t, tt.cfg)
			pair := mustIssue(t, m, "user-42")

			wantKid := tt.wantKid
			if wantKid == "" && tt.kidOf != nil {
				wantKid = thumbprint(t, tt.kidOf)
			}
			gotHeader := decodeSegment(t, pair.Access, 0)
			if wantKid == "" { // HMAC: a derived ID that must not be the secret
				kid, _ := gotHeader["kid"].(string)
				if kid == "" || strings.Contains(kid, base64.RawURLEncoding.EncodeToString(m.signing.public.([]byte))[:8]) {
					t.Errorf("HMAC kid %q is empty or shows the secret", kid)
				}
				wantKid = kid
			}
			wantHeader := map[string]any{"alg": tt.wantAlg, "typ": "at+jwt", "kid": wantKid}
			if diff := cmp.Diff(wantHeader, gotHeader); diff != "" {
				t.Errorf("access header (-want +got):\n%s", diff)
			}
			wantHeader["typ"] = "refresh+jwt"
			if diff := cmp.Diff(wantHeader, decodeSegment(t, pair.Refresh, 0)); diff != "" {
				t.Errorf("refresh header (-want +got):\n%s", diff)
			}

			if _, err := m.RequireFresh(ctx, pair.Access); err != nil {
				t.Errorf("RequireFresh(issued access) = %v, want nil", err)
			}
			if _, err := m.RequireRefresh(ctx, pair.Refresh); err != nil {
				t.Errorf("RequireRefresh(issued refresh) = %v, want nil", err)
			}
			refreshed, err := m.Refresh(ctx, pair.Refresh)
			if err != nil {
				t.Fatalf("Refresh: %v", err)
			}
			if _, err := m.RequireAccess(ctx, refreshed.Access); err != nil {
				t.Errorf("RequireAccess(refreshed access) = %v, want nil", err)
			}
		})
	}
}

func TestNewHMACKeyIDIsStable(t *testing.T) {
	k := testKeys()
	kid := func(secret []byte) string {
		m, _ := newTestManager(t, Config{Key: secret})
		return m.signing.id
	}
	if a, b := kid(k.hs256), kid(append([]byte(nil), k.hs256...)); a != b {
		t.Errorf("same secret gave kids %q and %q, want one", a, b)
	}
	if a, b := kid(k.hs256), kid(k.hs256second); a == b {
		t.Errorf("different secrets share kid %q", a)
	}
}

func TestNewErrors(t *testing.T) {
	k := testKeys()
	tests := []struct {
		name   string
		cfg    Config
		want   error
		reason string
	}{
		{"nil key", Config{}, ErrInvalidKey, "a Manager cannot sign without a key"},
		{"string secret", Config{Key: string(k.hs256)}, ErrInvalidKey, "a string is often a password typed into config; secrets are []byte"},
		{"int key", Config{Key: 42}, ErrInvalidKey, "not a key at all"},
		{"HS256 secret of 31 bytes", Config{Key: k.hs256[:31]}, ErrInvalidKey, "RFC 8725 §3.5: at least the hash size"},
		{"empty HMAC secret", Config{Key: []byte{}}, ErrInvalidKey, "no secret"},
		{"nil HMAC secret", Config{Key: []byte(nil)}, ErrInvalidKey, "no secret"},
		{"HS384 with a 32-byte secret", Config{Key: k.hs256, Algorithm: "HS384"}, ErrInvalidKey, "HS384 needs 48 bytes"},
		{"HS384 secret of 47 bytes", Config{Key: k.hs384[:47], Algorithm: "HS384"}, ErrInvalidKey, "one byte short"},
		{"HS512 secret of 63 bytes", Config{Key: k.hs512[:63], Algorithm: "HS512"}, ErrInvalidKey, "one byte short"},
		{"RSA 1024", Config{Key: k.rsa1024}, ErrInvalidKey, "RSA below 2048 bits is refused"},
		{"RSA 1024 with PS256", Config{Key: k.rsa1024, Algorithm: "PS256"}, ErrInvalidKey, "the size rule holds for every RSA algorithm"},
		{"ECDSA P-224", Config{Key: k.p224}, ErrInvalidKey, "no JWS algorithm uses P-224"},
		{"nil *ecdsa.PrivateKey", Config{Key: (*ecdsa.PrivateKey)(nil)}, ErrInvalidKey, "a key variable left nil by a failed load must not panic"},
		{"nil *rsa.PrivateKey", Config{Key: (*rsa.PrivateKey)(nil)}, ErrInvalidKey, "a key variable left nil by a failed load must not panic"},
		{"nil ed25519.PrivateKey", Config{Key: ed25519.PrivateKey(nil)}, ErrInvalidKey, "a key variable left nil by a failed load"},
		{"zero *rsa.PrivateKey", Config{Key: &rsa.PrivateKey{}}, ErrInvalidKey, "no modulus"},
		{"zero *ecdsa.PrivateKey", Config{Key: &ecdsa.PrivateKey{}}, ErrInvalidKey, "no curve"},
		{"ecdsa private key without D", Config{Key: &ecdsa.PrivateKey{PublicKey: k.p256.PublicKey}}, ErrInvalidKey, "cannot sign"},
		{"rsa private key without D", Config{Key: &rsa.PrivateKey{PublicKey: k.rsa.PublicKey}}, ErrInvalidKey, "cannot sign"},
		{"ed25519 key of the wrong length", Config{Key: ed25519.PrivateKey(make([]byte, 10))}, ErrInvalidKey, "truncated key material"},

		{"ed25519 public key", Config{Key: k.ed.Public()}, ErrInvalidKey, "Config.Key must be able to sign"},
		{"ecdsa public key", Config{Key: &k.p256.PublicKey}, ErrInvalidKey, "Config.Key must be able to sign"},
		{"rsa public key", Config{Key: &k.rsa.PublicKey}, ErrInvalidKey, "Config.Key must be able to sign"},
		{"jwk public key", Config{Key: mustJWK(t, k.ed.Public(), nil)}, ErrInvalidKey, "Config.Key must be able to sign"},

		{"ed25519 with ES256", Config{Key: k.ed, Algorithm: "ES256"}, ErrInvalidKey, "algorithm does not fit the key"},
		{"ed25519 with none", Config{Key: k.ed, Algorithm: "none"}, ErrInvalidKey, "none is never an algorithm"},
		{"P-256 with ES384", Config{Key: k.p256, Algorithm: "ES384"}, ErrInvalidKey, "the curve fixes the algorithm"},
		{"P-384 with ES256", Config{Key: k.p384, Algorithm: "ES256"}, ErrInvalidKey, "the curve fixes the algorithm"},
		{"RSA with HS256", Config{Key: k.rsa, Algorithm: "HS256"}, ErrInvalidKey, "an RSA key is no HMAC secret"},
		{"RSA with EdDSA", Config{Key: k.rsa, Algorithm: "EdDSA"}, ErrInvalidKey, "algorithm does not fit the key"},
		{"HMAC with RS256", Config{Key: k.hs256, Algorithm: "RS256"}, ErrInvalidKey, "algorithm does not fit the key"},
		{"HMAC with none", Config{Key: k.hs256, Algorithm: "none"}, ErrInvalidKey, "none is never an algorithm"},
		{"HMAC with lower-case hs256", Config{Key: k.hs256, Algorithm: "hs256"}, ErrInvalidKey, "algorithm names are case-sensitive (RFC 7515 §4.1.1)"},
		{"jwk ed25519 with alg ES256", Config{Key: mustJWK(t, k.ed, map[string]any{jwk.AlgorithmKey: jwa.ES256})}, ErrInvalidKey, "the jwk's alg does not fit its key"},

		{"VerifyKeys nil entry", Config{Key: k.ed, VerifyKeys: []any{nil}}, ErrInvalidKey, "a nil entry is a mistake, not a key"},
		{"VerifyKeys string", Config{Key: k.ed, VerifyKeys: []any{string(k.hs256)}}, ErrInvalidKey, "secrets are []byte"},
		{"VerifyKeys short secret", Config{Key: k.ed, VerifyKeys: []any{k.hs256[:16]}}, ErrInvalidKey, "the length rule holds for verification too"},
		{"VerifyKeys nil *ecdsa.PublicKey", Config{Key: k.ed, VerifyKeys: []any{(*ecdsa.PublicKey)(nil)}}, ErrInvalidKey, "must not panic"},
		{"VerifyKeys nil *rsa.PublicKey", Config{Key: k.ed, VerifyKeys: []any{(*rsa.PublicKey)(nil)}}, ErrInvalidKey, "must not panic"},
		{"VerifyKeys nil *ecdsa.PrivateKey", Config{Key: k.ed, VerifyKeys: []any{(*ecdsa.PrivateKey)(nil)}}, ErrInvalidKey, "must not panic"},
		{"VerifyKeys nil *rsa.PrivateKey", Config{Key: k.ed, VerifyKeys: []any{(*rsa.PrivateKey)(nil)}}, ErrInvalidKey, "must not panic"},
		{"VerifyKeys ecdsa public key without X", Config{Key: k.ed, VerifyKeys: []any{&ecdsa.PublicKey{Curve: elliptic.P256()}}}, ErrInvalidKey, "must not panic"},
		{"VerifyKeys ed25519 public key of the wrong length", Config{Key: k.ed, VerifyKeys: []any{ed25519.PublicKey(make([]byte, 31))}}, ErrInvalidKey, "truncated key material"},
		{"VerifyKeys RSA 1024 public", Config{Key: k.ed, VerifyKeys: []any{&k.rsa1024.PublicKey}}, ErrInvalidKey, "the size rule holds for verification too"},
		{"VerifyKeys duplicate kid", Config{Key: k.ed, VerifyKeys: []any{k.p256, &k.p256.PublicKey}}, ErrInvalidKey, "two keys with one kid make lookups ambiguous"},
		{"VerifyKeys repeats the signing key", Config{Key: k.ed, VerifyKeys: []any{k.ed.Public()}}, ErrInvalidKey, "same kid as the signing key"},
		{"VerifyKeys kid taken by KeyID", Config{Key: k.ed, KeyID: "k1", VerifyKeys: []any{mustJWK(t, k.p256.Public(), map[string]any{jwk.KeyIDKey: "k1"})}}, ErrInvalidKey, "same kid as the signing key"},

		{"KeyID with <", Config{Key: k.ed, KeyID: "a<b"}, ErrInvalidKey, "JSON escapes it, and headers with escapes are refused, so no token would verify"},
		{"KeyID with a quote", Config{Key: k.ed, KeyID: `a"b`}, ErrInvalidKey, "JSON escapes it"},
		{"KeyID with a backslash", Config{Key: k.ed, KeyID: `a\b`}, ErrInvalidKey, "JSON escapes it"},
		{"KeyID with a newline", Config{Key: k.ed, KeyID: "a\nb"}, ErrInvalidKey, "JSON escapes it"},
		{"KeyID with invalid UTF-8", Config{Key: k.ed, KeyID: "a\xffb"}, ErrInvalidKey, "JSON rewrites it"},
		{"VerifyKeys jwk kid with &", Config{Key: k.ed, VerifyKeys: []any{mustJWK(t, k.p256.Public(), map[string]any{jwk.KeyIDKey: "a&b"})}}, ErrInvalidKey, "no token could name it"},
		{"Issuer not UTF-8", Config{Key: k.ed, Issuer: "https://auth\xff.example.com"}, ErrInvalidConfig, "JSON would rewrite it and no token would match"},
		{"Audience not UTF-8", Config{Key: k.ed, Audience: "api\xff"}, ErrInvalidConfig, "JSON would rewrite it and no token would match"},
		{"negative AccessTTL", Config{Key: k.ed, AccessTTL: -time.Minute}, ErrInvalidConfig, "durations are never negative"},
		{"negative RefreshTTL", Config{Key: k.ed, RefreshTTL: -time.Minute}, ErrInvalidConfig, "durations are never negative"},
		{"negative FreshFor", Config{Key: k.ed, FreshFor: -time.Minute}, ErrInvalidConfig, "durations are never negative"},
		{"negative MaxTokenSize", Config{Key: k.ed, MaxTokenSize: -1}, ErrInvalidConfig, "sizes are never negative"},
		{"sub-second AccessTTL", Config{Key: k.ed, AccessTTL: 500 * time.Millisecond}, ErrInvalidConfig, "token times are whole seconds"},
		{"sub-second RefreshTTL", Config{Key: k.ed, RefreshTTL: time.Nanosecond}, ErrInvalidConfig, "token times are whole seconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(tt.cfg)
			if !errors.Is(err, tt.want) {
				t.Errorf("New() error = %v, want %v (%s)", err, tt.want, tt.reason)
			}
			if m != nil {
				t.Errorf("New() returned a Manager with error %v", err)
			}
		})
	}
}

func TestNewNegativeLeewayMeansNone(t *testing.T) {
	m, _ := newTestManager(t, Config{Leeway: -time.Hour})
	if m.leeway != 0 {
		t.Errorf("leeway = %v, want 0", m.leeway)
	}
}

// A caller may wipe or reuse its key slice once New has returned; the
// Manager must keep signing and verifying with the key it was given.
func TestNewCopiesKeySlices(t *testing.T) {
	k := testKeys()
	tests := []struct {
		name string
		key  func() any
		wipe func(any)
	}{
		{"hmac secret", func() any { return append([]byte(nil), k.hs256...) }, func(key any) { clear(key.([]byte)) }},
		{"ed25519 private key", func() any { return append(ed25519.PrivateKey(nil), k.ed...) }, func(key any) { clear(key.(ed25519.PrivateKey)) }},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := tt.key()
			m, _ := newTestManager(t, Config{Key: key})
			tt.wipe(key)
			pair, err := m.Issue(ctx, "user-42")
			if err != nil {
				t.Fatalf("Issue after wiping the caller's key: %v", err)
			}
			if _, err := m.RequireAccess(ctx, pair.Access); err != nil {
				t.Errorf("RequireAccess after wiping the caller's key = %v, want nil", err)
			}
			// The token must be the one the original key makes.
			orig, _ := newTestManager(t, Config{Key: tt.key()})
			if _, err := orig.RequireAccess(ctx, pair.Access); err != nil {
				t.Errorf("a Manager with the original key rejects the token: %v", err)
			}
		})
	}
}

// claimsOpts compares Claims on what the caller sees, leaving the random
// identifiers to checks of their own.
var claimsOpts = cmp.Options{
	cmpopts.IgnoreUnexported(Claims{}),
	cmpopts.IgnoreFields(Claims{}, "ID", "SessionID", "CSRF"),
}

// idPattern is 128 random bits in unpadded base64url.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

// sessionPattern is idPattern followed by 64 bits of login time.
var sessionPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{33}$`)

func TestIssue(t *testing.T) {
	at := t0.Add(time.Second) // the clock reads t0+1.5s; token times are whole seconds
	tests := []struct {
		name        string
		cfg         Config
		opts        []IssueOption
		wantPair    Pair // expiry times only
		wantAccess  *Claims
		wantRefresh *Claims
		wantCSRF    bool
	}{
		{
			name:        "defaults",
			wantPair:    Pair{AccessExpiresAt: at.Add(15 * time.Minute), RefreshExpiresAt: at.Add(30 * 24 * time.Hour)},
			wantAccess:  &Claims{Type: AccessToken, Subject: "user-42", IssuedAt: at, ExpiresAt: at.Add(15 * time.Minute), AuthTime: at, Fresh: true},
			wantRefresh: &Claims{Type: RefreshToken, Subject: "user-42", IssuedAt: at, ExpiresAt: at.Add(30 * 24 * time.Hour), AuthTime: at},
		},
		{
			name:        "issuer, audience and TTLs",
			cfg:         Config{Issuer: "https://auth.example.com", Audience: "api", AccessTTL: 5 * time.Minute, RefreshTTL: 12 * time.Hour},
			wantPair:    Pair{AccessExpiresAt: at.Add(5 * time.Minute), RefreshExpiresAt: at.Add(12 * time.Hour)},
			wantAccess:  &Claims{Type: AccessToken, Subject: "user-42", Issuer: "https://auth.example.com", Audience: []string{"api"}, IssuedAt: at, ExpiresAt: at.Add(5 * time.Minute), AuthTime: at, Fresh: true},
			wantRefresh: &Claims{Type: RefreshToken, Subject: "user-42", Issuer: "https://auth.example.com", Audience: []string{"api"}, IssuedAt: at, ExpiresAt: at.Add(12 * time.Hour), AuthTime: at},
		},
		{
			name:     "extra claims in both tokens",
			opts:     []IssueOption{WithClaims(map[string]any{"role": "admin", "tenant": 7, "perms": []string{"read", "write"}, "org": map[string]any{"id": "o1", "plan": nil}})},
			wantPair: Pair{AccessExpiresAt: at.Add(15 * time.Minute), RefreshExpiresAt: at.Add(30 * 24 * time.Hour)},
			wantAccess: &Claims{Type: AccessToken, Subject: "user-42", IssuedAt: at, ExpiresAt: at.Add(15 * time.Minute), AuthTime: at, Fresh: true,
				Extra: map[string]any{"role": "admin", "tenant": 7.0, "perms": []any{"read", "write"}, "org": map[string]any{"id": "o1", "plan": nil}}},
			wantRefresh: &Claims{Type: RefreshToken, Subject: "user-42", IssuedAt: at, ExpiresAt: at.Add(30 * 24 * time.Hour), AuthTime: at,
				Extra: map[string]any{"role": "admin", "tenant": 7.0, "perms": []any{"read", "write"}, "org": map[string]any{"id": "o1", "plan": nil}}},
		},
		{
			name:        "empty WithClaims adds nothing",
			opts:        []IssueOption{WithClaims(nil), WithClaims(map[string]any{})},
			wantPair:    Pair{AccessExpiresAt: at.Add(15 * time.Minute), RefreshExpiresAt: at.Add(30 * 24 * time.Hour)},
			wantAccess:  &Claims{Type: AccessToken, Subject: "user-42", IssuedAt: at, ExpiresAt: at.Add(15 * time.Minute), AuthTime: at, Fresh: true},
			wantRefresh: &Claims{Type: RefreshToken, Subject: "user-42", IssuedAt: at, ExpiresAt: at.Add(30 * 24 * time.Hour), AuthTime: at},
		},
		{
			name:        "WithCSRF",
			opts:        []IssueOption{WithCSRF()},
			wantPair:    Pair{AccessExpiresAt: at.Add(15 * time.Minute), RefreshExpiresAt: at.Add(30 * 24 * time.Hour)},
			wantAccess:  &Claims{Type: AccessToken, Subject: "user-42", IssuedAt: at, ExpiresAt: at.Add(15 * time.Minute), AuthTime: at, Fresh: true},
			wantRefresh: &Claims{Type: RefreshToken, Subject: "user-42", IssuedAt: at, ExpiresAt: at.Add(30 * 24 * time.Hour), AuthTime: at},
			wantCSRF:    true,
		},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, clk := newTestManager(t, tt.cfg)
			clk.Set(t0.Add(1500 * time.Millisecond))
			pair := mustIssue(t, m, "user-42", tt.opts...)
			if diff := cmp.Diff(&tt.wantPair, pair, cmpopts.IgnoreFields(Pair{}, "Access", "Refresh", "AccessCSRF", "RefreshCSRF")); diff != "" {
				t.Errorf("Issue() pair (-want +got):\n%s", diff)
			}
			access, err := m.RequireAccess(ctx, pair.Access)
			if err != nil {
				t.Fatalf("RequireAccess: %v", err)
			}
			if diff := cmp.Diff(tt.wantAccess, access, claimsOpts); diff != "" {
				t.Errorf("access claims (-want +got):\n%s", diff)
			}
			refresh, err := m.RequireRefresh(ctx, pair.Refresh)
			if err != nil {
				t.Fatalf("RequireRefresh: %v", err)
			}
			if diff := cmp.Diff(tt.wantRefresh, refresh, claimsOpts); diff != "" {
				t.Errorf("refresh claims (-want +got):\n%s", diff)
			}

			if !idPattern.MatchString(access.ID) {
				t.Errorf("access jti %q is not 128 bits of base64url", access.ID)
			}
			// The refresh jti names the session: 128 random bits, then the
			// login time to the microsecond (for LogoutEverywhere).
			if !sessionPattern.MatchString(refresh.ID) {
				t.Errorf("refresh jti %q is not 128 bits plus a login time in base64url", refresh.ID)
			}
			if got, want := loginTime(refresh), clk.Now(); !got.Equal(want) {
				t.Errorf("login time in the session ID = %v, want %v", got, want)
			}
			if access.ID == refresh.ID {
				t.Errorf("access and refresh share jti %q", access.ID)
			}
			if access.SessionID != refresh.ID || refresh.SessionID != refresh.ID {
				t.Errorf("sid = %q (access), %q (refresh), want the refresh jti %q in both", access.SessionID, refresh.SessionID, refresh.ID)
			}
			switch {
			case !tt.wantCSRF && (access.CSRF != "" || refresh.CSRF != ""):
				t.Errorf("csrf = %q, %q without WithCSRF, want none", access.CSRF, refresh.CSRF)
			case tt.wantCSRF && (!idPattern.MatchString(access.CSRF) || !idPattern.MatchString(refresh.CSRF) || access.CSRF == refresh.CSRF):
				t.Errorf("csrf = %q, %q, want two distinct random values", access.CSRF, refresh.CSRF)
			}
		})
	}
}

func TestIssueIDsAreUnique(t *testing.T) {
	m, _ := newTestManager(t, Config{Key: testKeys().hs256})
	seen := make(map[string]bool)
	for range 50 {
		pair := mustIssue(t, m, "user-42", WithCSRF())
		for _, tok := range []string{pair.Access, pair.Refresh} {
			for _, name := range []string{"jti", "csrf"} {
				v := decodeSegment(t, tok, 1)[name].(string)
				if seen[v] {
					t.Fatalf("%s %q seen twice", name, v)
				}
				seen[v] = true
			}
		}
	}
}

func TestIssueErrors(t *testing.T) {
	type row struct {
		name    string
		subject string
		opts    []IssueOption
		reason  string
	}
	tests := []row{
		{"empty subject", "", nil, "a token for nobody authenticates nobody"},
		{"subject not UTF-8", "user-\xff", nil, "JSON writes each bad byte as U+FFFD, so two subjects would share one identity"},
		{"empty claim name", "u", []IssueOption{WithClaims(map[string]any{"": 1})}, "not a usable claim name"},
		{"unmarshalable claim", "u", []IssueOption{WithClaims(map[string]any{"ch": make(chan int)})}, "a channel has no JSON form"},
		{"NaN claim", "u", []IssueOption{WithClaims(map[string]any{"score": math.NaN()})}, "JSON has no NaN"},
		{"error after a good option", "u", []IssueOption{WithCSRF(), WithClaims(map[string]any{"sub": "admin"})}, "the failing option stops Issue"},
		{"claim given twice", "u", []IssueOption{WithClaims(map[string]any{"role": "user"}), WithClaims(map[string]any{"role": "admin"})}, "a token with a repeated member is refused by every guard"},
		{"claim name with <", "u", []IssueOption{WithClaims(map[string]any{"<role>": 1})}, "JSON escapes it and guards refuse escaped names"},
		{"claim name with a quote", "u", []IssueOption{WithClaims(map[string]any{`a"b`: 1})}, "JSON escapes it"},
		{"claim name with a backslash", "u", []IssueOption{WithClaims(map[string]any{`a\b`: 1})}, "JSON escapes it"},
		{"claim name with a control character", "u", []IssueOption{WithClaims(map[string]any{"a\tb": 1})}, "JSON escapes it"},
		{"claim name with U+2028", "u", []IssueOption{WithClaims(map[string]any{"a\u2028b": 1})}, "JSON escapes it"},
		{"claim name with invalid UTF-8", "u", []IssueOption{WithClaims(map[string]any{"a\xffb": 1})}, "JSON rewrites it"},
		{"too many claims", "u", []IssueOption{WithClaims(nClaims(55))}, "10 fixed members (with iss and aud) and 55 extras exceed the 64 members a guard reads"},
		{"too many claims with csrf", "u", []IssueOption{WithClaims(nClaims(54)), WithCSRF()}, "11 fixed members and 54 extras exceed 64"},
		{"token larger than MaxTokenSize", "u", []IssueOption{WithClaims(map[string]any{"blob": strings.Repeat("x", DefaultMaxTokenSize)})}, "the guards would refuse the token"},
	}
	for _, name := range reserved {
		tests = append(tests, row{"reserved " + name, "u", []IssueOption{WithClaims(map[string]any{"role": "x", name: "forged"})}, "freshtoken owns this claim; letting the application set it could forge it"})
	}
	m, _ := newTestManager(t, Config{Issuer: "https://auth.example.com", Audience: "api"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pair, err := m.Issue(context.Background(), tt.subject, tt.opts...)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("Issue() error = %v, want ErrInvalidConfig (%s)", err, tt.reason)
			}
			if pair != nil {
				t.Errorf("Issue() = %+v with an error, want nil", pair)
			}
		})
	}
}

// Refresh copies the application's claims as they were written, so values
// that a decode and re-encode would change (number spellings, big integers,
// escapes) stay the same in every access token of the session.
func TestExtraClaimsRoundTripByteForByte(t *testing.T) {
	m, clk := newTestManager(t, Config{})
	ctx := context.Background()
	extra := map[string]any{
		"big":  json.Number("12345678901234567890"),
		"html": "<b>&</b>",
		"list": []any{1, "x", nil, true},
		"n":    json.Number("1.0e2"),
		"role": "admin",
	}
	const wantExtra = `"big":12345678901234567890,"html":"\u003cb\u003e\u0026\u003c/b\u003e","list":[1,"x",null,true],"n":1.0e2,"role":"admin"}`
	pair := mustIssue(t, m, "user-42", WithClaims(extra))
	clk.Advance(20 * time.Minute)
	refreshed, err := m.Refresh(ctx, pair.Refresh)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	for name, tok := range map[string]string{"issued access": pair.Access, "refresh": pair.Refresh, "refreshed access": refreshed.Access} {
		payload := rawPayload(t, tok)
		if !bytes.HasSuffix(payload, []byte(","+wantExtra)) {
			t.Errorf("%s payload = %s, want it to end with ,%s", name, payload, wantExtra)
		}
	}
	c, err := m.RequireAccess(ctx, refreshed.Access)
	if err != nil {
		t.Fatalf("RequireAccess(refreshed): %v", err)
	}
	want := map[string]any{"big": 12345678901234567890.0, "html": "<b>&</b>", "list": []any{1.0, "x", nil, true}, "n": 100.0, "role": "admin"}
	if diff := cmp.Diff(want, c.Extra); diff != "" {
		t.Errorf("refreshed Extra (-want +got):\n%s", diff)
	}
}

// nClaims returns n distinct application claims.
func nClaims(n int) map[string]any {
	claims := make(map[string]any, n)
	for i := range n {
		claims["c"+strconv.Itoa(i)] = i
	}
	return claims
}

// Whatever Issue accepts, the guards accept, and so does Refresh: the
// limits on claims are enforced when the token is made, not discovered
// when it is presented.
func TestIssueLimitsMatchTheGuards(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, m *Manager, pair *Pair) {
		t.Helper()
		if _, err := m.RequireFresh(ctx, pair.Access); err != nil {
			t.Errorf("RequireFresh(issued) = %v, want nil", err)
		}
		refreshed, err := m.Refresh(ctx, pair.Refresh)
		if err != nil {
			t.Fatalf("Refresh = %v, want nil", err)
		}
		if _, err := m.RequireAccess(ctx, refreshed.Access); err != nil {
			t.Errorf("RequireAccess(refreshed) = %v, want nil", err)
		}
	}
	t.Run("members", func(t *testing.T) {
		for _, cfg := range []struct {
			cfg   Config
			opts  []IssueOption
			fixed int
		}{
			{Config{}, nil, 8},
			{Config{Issuer: "iss", Audience: "aud"}, []IssueOption{WithCSRF()}, 11},
		} {
			m, _ := newTestManager(t, cfg.cfg)
			most := maxMembers - cfg.fixed
			check(t, m, mustIssue(t, m, "user-42", append(cfg.opts, WithClaims(nClaims(most)))...))
			if _, err := m.Issue(ctx, "user-42", append(cfg.opts, WithClaims(nClaims(most+1)))...); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("Issue with %d extra claims = %v, want ErrInvalidConfig", most+1, err)
			}
		}
	})
	t.Run("size", func(t *testing.T) {
		blob := WithClaims(map[string]any{"blob": strings.Repeat("x", 3000)})
		secret := []byte(strings.Repeat("s", 32))
		for _, p := range []struct {
			name string
			cfg  Config
		}{
			{"native", Config{}},
			{"flask", Config{Key: secret, Flask: &FlaskOptions{}}},
			{"flask with FreshFor", Config{Key: secret, Flask: &FlaskOptions{}, FreshFor: 5 * time.Minute}},
		} {
			with := func(limit int) Config { c := p.cfg; c.MaxTokenSize = limit; return c }
			big, _ := newTestManager(t, with(1<<20))
			pair := mustIssue(t, big, "user-42", blob)
			largest := max(len(pair.Access), len(pair.Refresh))
			if m, _ := newTestManager(t, with(largest-1)); true {
				if _, err := m.Issue(ctx, "user-42", blob); !errors.Is(err, ErrInvalidConfig) {
					t.Errorf("%s: Issue of a %d-byte token with MaxTokenSize %d = %v, want ErrInvalidConfig", p.name, largest, largest-1, err)
				}
			}
			// Find the smallest MaxTokenSize Issue accepts; it is at least the
			// largest token and must leave every later step working.
			found := false
			for limit := largest; limit < largest+8 && !found; limit++ {
				m, _ := newTestManager(t, with(limit))
				pair, err := m.Issue(ctx, "user-42", blob)
				if errors.Is(err, ErrInvalidConfig) {
					continue
				}
				if err != nil {
					t.Fatalf("%s: Issue with MaxTokenSize %d: %v", p.name, limit, err)
				}
				check(t, m, pair)
				found = true
			}
			if !found {
				t.Errorf("%s: Issue refused a %d-byte token up to MaxTokenSize %d", p.name, largest, largest+8)
			}
		}
	})
}

// Subjects round-trip exactly, including characters JSON must escape.
func TestSubjectRoundTrip(t *testing.T) {
	m, _ := newTestManager(t, Config{})
	for _, subject := range []string{
		"user-42", "<script>&amp;", `quote" and back\slash`, "line\nbreak\ttab", "é 日本 🙂", "sep\u2028arator", "nul\x00byte",
	} {
		pair := mustIssue(t, m, subject)
		for _, g := range []guardFunc{guardAccess, guardRefresh} {
			tok := pair.Access
			if g.name == guardRefresh.name {
				tok = pair.Refresh
			}
			c, err := g.call(m, tok)
			if err != nil {
				t.Errorf("%s(token for %q): %v", g.name, subject, err)
				continue
			}
			if c.Subject != subject {
				t.Errorf("%s: Subject = %q, want %q", g.name, c.Subject, subject)
			}
		}
	}
}

func TestTokenTypeString(t *testing.T) {
	got := []string{AccessToken.String(), RefreshToken.String(), TokenType(0).String(), TokenType(9).String()}
	want := []string{"access", "refresh", "TokenType(0)", "TokenType(9)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TokenType.String (-want +got):\n%s", diff)
	}
}

// A Pair reports the "csrf" claims its tokens carry, in both formats and
// after a refresh, so that an HTTP layer can set the readable CSRF cookies
// without reading the tokens again.
func TestPairCarriesCSRF(t *testing.T) {
	ctx := context.Background()
	for _, flask := range []*FlaskOptions{nil, {}} {
		for _, rotate := range []bool{false, true} {
			m, clk := newTestManager(t, Config{Key: testKeys().hs256, Flask: flask, RotateRefresh: rotate})
			login := mustIssue(t, m, "alice", WithCSRF())
			clk.Advance(time.Minute)
			next, err := m.Refresh(ctx, login.Refresh)
			if err != nil {
				t.Fatal(err)
			}
			plain := mustIssue(t, m, "bob")
			for name, p := range map[string]*Pair{"login": login, "refresh": next, "login without WithCSRF": plain} {
				ac, err := m.RequireAccess(ctx, p.Access)
				if err != nil {
					t.Fatal(err)
				}
				rc, err := m.RequireRefresh(ctx, p.Refresh)
				if err != nil {
					t.Fatal(err)
				}
				if p.AccessCSRF != ac.CSRF || p.RefreshCSRF != rc.CSRF {
					t.Errorf("flask=%v rotate=%v %s: Pair CSRF %q/%q, claims %q/%q", flask != nil, rotate, name, p.AccessCSRF, p.RefreshCSRF, ac.CSRF, rc.CSRF)
				}
				if (p.AccessCSRF == "") != (name == "login without WithCSRF") {
					t.Errorf("flask=%v rotate=%v %s: AccessCSRF %q", flask != nil, rotate, name, p.AccessCSRF)
				}
			}
		}
	}
}
