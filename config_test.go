package freshtoken

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

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
				if kid == "" || strings.Contains(kid, base64.RawURLEncoding.EncodeToString(m.signer().public.([]byte))[:8]) {
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
		return m.signer().id
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
		{"Audience not UTF-8", Config{Key: k.ed, Audience: []string{"api\xff"}}, ErrInvalidConfig, "JSON would rewrite it and no token would match"},
		{"negative AccessTTL", Config{Key: k.ed, AccessTTL: -time.Minute}, ErrInvalidConfig, "durations are never negative"},
		{"negative RefreshTTL", Config{Key: k.ed, RefreshTTL: -time.Minute}, ErrInvalidConfig, "durations are never negative"},
		{"negative FreshFor", Config{Key: k.ed, FreshFor: -time.Minute}, ErrInvalidConfig, "durations are never negative"},
		{"negative MaxTokenSize", Config{Key: k.ed, MaxTokenSize: -1}, ErrInvalidConfig, "sizes are never negative"},
		{"sub-second AccessTTL", Config{Key: k.ed, AccessTTL: 500 * time.Millisecond}, ErrInvalidConfig, "token times are whole seconds"},
		{"sub-second RefreshTTL", Config{Key: k.ed, RefreshTTL: time.Nanosecond}, ErrInvalidConfig, "token times are whole seconds"},
		{"negative VerifiedCacheSize", Config{Key: k.ed, VerifiedCacheSize: -1}, ErrInvalidConfig, "sizes are never negative"},
		{"negative ReuseInterval", Config{Key: k.ed, RotateRefresh: true, ReuseInterval: -time.Second}, ErrInvalidConfig, "durations are never negative"},
		{"AccessTTL longer than RefreshTTL", Config{Key: k.ed, AccessTTL: 2 * time.Hour, RefreshTTL: time.Hour}, ErrInvalidConfig, "an access token would outlive its session"},
		{"AccessTTL longer than the default RefreshTTL", Config{Key: k.ed, AccessTTL: DefaultRefreshTTL + time.Second}, ErrInvalidConfig, "the rule holds after defaults"},
		{"RefreshTTL shorter than the default AccessTTL", Config{Key: k.ed, RefreshTTL: time.Minute}, ErrInvalidConfig, "the rule holds after defaults"},
		{"FreshFor longer than AccessTTL", Config{Key: k.ed, AccessTTL: time.Minute, FreshFor: time.Hour}, ErrInvalidConfig, "a window longer than the token limits nothing; refreshed tokens are never fresh"},
		{"FreshFor longer than the default AccessTTL", Config{Key: k.ed, FreshFor: DefaultAccessTTL + time.Second}, ErrInvalidConfig, "the rule holds after defaults"},
		{"Flask FreshFor longer than AccessTTL", Config{Key: k.hs256, Flask: &FlaskOptions{}, FreshFor: time.Hour}, ErrInvalidConfig, "the fresh time would lie past exp"},
		{"RefreshIdleTTL longer than RefreshTTL", Config{Key: k.ed, RotateRefresh: true, RefreshTTL: time.Hour, RefreshIdleTTL: 2 * time.Hour}, ErrInvalidConfig, "an idle limit past the session's end limits nothing"},
		{"ReuseInterval longer than RefreshTTL", Config{Key: k.ed, RotateRefresh: true, RefreshTTL: time.Hour, ReuseInterval: 2 * time.Hour}, ErrInvalidConfig, "reuse would never be detected"},
		{"Issuer with a newline", Config{Key: k.ed, Issuer: "https://auth.example.com\n"}, ErrInvalidConfig, "read along from a file; no other service writes it"},
		{"Issuer with a NUL", Config{Key: k.ed, Issuer: "auth\x00"}, ErrInvalidConfig, "a control character is never part of a name"},
		{"Audience with a tab", Config{Key: k.ed, Audience: []string{"api\t"}}, ErrInvalidConfig, "a control character is never part of a name"},
		{"Audience with DEL", Config{Key: k.ed, Audience: []string{"api\x7f"}}, ErrInvalidConfig, "DEL is a control character"},
		{"Issuer with a C1 control", Config{Key: k.ed, Issuer: "auth\u0085"}, ErrInvalidConfig, "NEL is a control character too"},
		{"MaxTokenSize far too small", Config{Key: k.ed, MaxTokenSize: 100}, ErrInvalidConfig, "every Issue would fail"},
		{"MaxTokenSize too small for an RSA signature", Config{Key: k.rsa, MaxTokenSize: 400}, ErrInvalidConfig, "the signature alone takes 342 characters"},
		{"default MaxTokenSize with a huge Issuer", Config{Key: k.ed, Issuer: strings.Repeat("i", DefaultMaxTokenSize)}, ErrInvalidConfig, "the default holds no token either"},
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

// New's errors name the field at fault and the values in force, defaults
// included, so the fix needs no reading of the code.
func TestNewErrorText(t *testing.T) {
	k := testKeys()
	smallest := func(cfg Config) int {
		m, _ := newTestManager(t, cfg)
		n, err := m.smallestPairSize(m.ring.Load())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}(Config{Key: k.ed})
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"AccessTTL over RefreshTTL", Config{AccessTTL: 2 * time.Hour, RefreshTTL: time.Hour},
			"freshtoken: invalid configuration: Config.AccessTTL (2h0m0s) is longer than Config.RefreshTTL (1h0m0s)"},
		{"default AccessTTL over RefreshTTL", Config{RefreshTTL: time.Minute},
			"freshtoken: invalid configuration: Config.AccessTTL (15m0s, the default) is longer than Config.RefreshTTL (1m0s)"},
		{"FreshFor over the default AccessTTL", Config{FreshFor: time.Hour},
			"freshtoken: invalid configuration: Config.FreshFor (1h0m0s) is longer than Config.AccessTTL (15m0s, the default)"},
		{"RefreshIdleTTL over RefreshTTL", Config{RotateRefresh: true, RefreshIdleTTL: 31 * 24 * time.Hour},
			"freshtoken: invalid configuration: Config.RefreshIdleTTL (744h0m0s) is longer than Config.RefreshTTL (720h0m0s, the default)"},
		{"ReuseInterval over RefreshTTL", Config{RotateRefresh: true, RefreshTTL: time.Hour, ReuseInterval: 90 * time.Minute},
			"freshtoken: invalid configuration: Config.ReuseInterval (1h30m0s) is longer than Config.RefreshTTL (1h0m0s)"},
		{"negative FreshFor", Config{FreshFor: -time.Second},
			"freshtoken: invalid configuration: Config.FreshFor (-1s) must not be negative"},
		{"negative MaxTokenSize", Config{MaxTokenSize: -1},
			"freshtoken: invalid configuration: Config.MaxTokenSize (-1) must not be negative"},
		{"negative RefreshIdleTTL", Config{RotateRefresh: true, RefreshIdleTTL: -time.Hour},
			"freshtoken: invalid configuration: Config.RefreshIdleTTL (-1h0m0s) must not be negative"},
		{"sub-second AccessTTL", Config{AccessTTL: time.Millisecond},
			"freshtoken: invalid configuration: Config.AccessTTL (1ms) must be at least one second"},
		{"Issuer with a newline", Config{Issuer: "https://auth.example.com\n"},
			`freshtoken: invalid configuration: Config.Issuer "https://auth.example.com\n" has a control character (U+000A)`},
		{"Audience not UTF-8", Config{Audience: []string{"api\xff"}},
			`freshtoken: invalid configuration: Config.Audience[0] "api\xff" is not valid UTF-8`},
		{"MaxTokenSize below the smallest pair", Config{MaxTokenSize: smallest - 1}, fmt.Sprintf(
			"freshtoken: invalid configuration: Config.MaxTokenSize (%d) is smaller than the smallest token this configuration writes (%d bytes with a one-byte subject and no claims)", smallest-1, smallest)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cfg.Key == nil {
				tt.cfg.Key = k.ed
			}
			_, err := New(tt.cfg)
			if err == nil || err.Error() != tt.want {
				t.Errorf("New() error = %v\nwant %s", err, tt.want)
			}
		})
	}
}

// The limits are inclusive: a setting equal to the one it may not exceed
// is accepted, and so are non-ASCII names.
func TestNewAcceptsTheLimits(t *testing.T) {
	k := testKeys()
	tests := []struct {
		name   string
		cfg    Config
		reason string
	}{
		{"AccessTTL equal to RefreshTTL", Config{AccessTTL: time.Hour, RefreshTTL: time.Hour}, "the access token ends with the session"},
		{"FreshFor equal to AccessTTL", Config{AccessTTL: time.Hour, FreshFor: time.Hour}, "fresh for the token's whole life, as with zero"},
		{"Flask FreshFor equal to AccessTTL", Config{Key: k.hs256, Flask: &FlaskOptions{}, FreshFor: DefaultAccessTTL}, "the fresh time is the exp"},
		{"RefreshIdleTTL equal to RefreshTTL", Config{RotateRefresh: true, RefreshTTL: time.Hour, RefreshIdleTTL: time.Hour}, "harmless"},
		{"ReuseInterval equal to RefreshTTL", Config{RotateRefresh: true, RefreshTTL: time.Hour, ReuseInterval: time.Hour}, "harmless, if unwise"},
		{"non-ASCII Issuer and Audience", Config{Issuer: "https://auth.exämple.com", Audience: []string{"日本"}}, "names may be any text but control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cfg.Key == nil {
				tt.cfg.Key = k.ed
			}
			m, err := New(tt.cfg)
			if err != nil || m == nil {
				t.Errorf("New() = %v, %v; want a Manager (%s)", m, err, tt.reason)
			}
		})
	}
}

// New's probe measures exactly the largest token of the smallest pair
// Issue writes, as the size check counts it (the access token's refreshed
// twin may be two characters longer); at that MaxTokenSize, logins and
// refreshes work, and one byte less is refused by New.
func TestNewMaxTokenSizeProbe(t *testing.T) {
	k := testKeys()
	for _, p := range []struct {
		name   string
		cfg    Config
		growth int // how much the access token's refreshed twin may add
	}{
		{"EdDSA", Config{Key: k.ed}, 2},
		{"RS256", Config{Key: k.rsa}, 2},
		{"PS256 with issuer and audience", Config{Key: k.rsa, Algorithm: "PS256", Issuer: "https://auth.example.com", Audience: []string{"api"}}, 2},
		{"ES512", Config{Key: k.p521}, 2},
		{"HS256", Config{Key: k.hs256}, 2},
		{"flask", Config{Key: k.hs256, Flask: &FlaskOptions{}}, 2},
		{"flask with FreshFor", Config{Key: k.hs256, Flask: &FlaskOptions{}, FreshFor: 5 * time.Minute}, 0},
		{"flask with a kid and an identity claim", Config{Key: k.hs256, KeyID: "k1", Flask: &FlaskOptions{IdentityClaim: "user_id"}}, 2},
	} {
		t.Run(p.name, func(t *testing.T) {
			with := func(limit int) Config { c := p.cfg; c.MaxTokenSize = limit; return c }
			big, _ := newTestManager(t, with(1<<20))
			pair := mustIssue(t, big, "x")
			want := max(len(pair.Access)+p.growth, len(pair.Refresh))
			got, err := big.smallestPairSize(big.ring.Load())
			if err != nil || got != want {
				t.Fatalf("smallestPairSize() = %d, %v; want %d, the size of the pair Issue wrote", got, err, want)
			}
			if _, err := New(with(want - 1)); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("New with MaxTokenSize %d, a byte short: %v, want ErrInvalidConfig", want-1, err)
			}
			m, _ := newTestManager(t, with(want))
			login := mustIssue(t, m, "x")
			if _, err := m.Refresh(ctxBG, login.Refresh); err != nil {
				t.Errorf("Refresh at the smallest MaxTokenSize: %v", err)
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
