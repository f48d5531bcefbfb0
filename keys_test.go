package freshtoken

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// TestKeyErrorTexts pins the text of New's key errors: each names the
// field at fault, what it was given (type, curve, size) and what was
// expected. The text is not API, but a vague one costs users hours: "does
// not fit a ed25519.PublicKey" used to answer a private key.
func TestKeyErrorTexts(t *testing.T) {
	k := testKeys()
	const prefix = "freshtoken: unusable key: "
	tests := []struct {
		name   string
		cfg    Config
		want   string
		reason string
	}{
		{"private key, wrong Algorithm", Config{Key: k.ed, Algorithm: "ES256"},
			prefix + `Config.Algorithm "ES256" does not fit Config.Key, an Ed25519 private key; ES256 needs an ECDSA P-256 key`,
			"the key given was private; the old text named its public half's type"},
		{"curve fixes the algorithm", Config{Key: k.p256, Algorithm: "ES384"},
			prefix + `Config.Algorithm "ES384" does not fit Config.Key, an ECDSA P-256 private key; ES384 needs an ECDSA P-384 key`,
			"the curve is what was given"},
		{"RSA as HMAC", Config{Key: k.rsa, Algorithm: "HS256"},
			prefix + `Config.Algorithm "HS256" does not fit Config.Key, an RSA private key of 2048 bits; HS256 needs an HMAC secret ([]byte)`,
			"the size of what was given, never its bytes"},
		{"HMAC as RSA", Config{Key: k.hs256, Algorithm: "RS256"},
			prefix + `Config.Algorithm "RS256" does not fit Config.Key, an HMAC secret of 32 bytes; RS256 needs an RSA key`,
			"the secret's length, never the secret"},
		{"unknown algorithm", Config{Key: k.ed, Algorithm: "none"},
			prefix + `Config.Algorithm "none" is not a JWS algorithm freshtoken supports (` + supportedAlgs + `)`,
			"list what is supported rather than blame the key"},
		{"lower-case algorithm", Config{Key: k.hs256, Algorithm: "hs256"},
			prefix + `Config.Algorithm "hs256" is not a JWS algorithm freshtoken supports (` + supportedAlgs + `); algorithm names are case-sensitive`,
			"RFC 7515 §4.1.1: the likely slip is the case"},
		{"JWK alg", Config{Key: mustJWK(t, k.ed, map[string]any{jwk.AlgorithmKey: jwa.ES256})},
			prefix + `the JWK's "alg" "ES256" does not fit Config.Key, an Ed25519 private key (a jwk.Key); ES256 needs an ECDSA P-256 key`,
			"the algorithm came from the JWK, not from Config.Algorithm"},
		{"short secret", Config{Key: k.hs256[:31]},
			prefix + `Config.Key is an HMAC secret of 31 bytes; HS256 needs at least 32 bytes`,
			"the default algorithm was not configured, so no field is named for it"},
		{"short secret for HS384", Config{Key: k.hs256, Algorithm: "HS384"},
			prefix + `Config.Key is an HMAC secret of 32 bytes; Config.Algorithm "HS384" needs at least 48 bytes`,
			"the configured algorithm sets the length"},
		{"RSA 1024", Config{Key: k.rsa1024},
			prefix + `Config.Key is an RSA private key of 1024 bits; at least 2048 bits are required`, "bit size given and wanted"},
		{"P-224", Config{Key: k.p224},
			prefix + `Config.Key is an ECDSA P-224 private key; ECDSA needs P-256 (ES256), P-384 (ES384) or P-521 (ES512)`, "curve given and wanted"},
		{"int", Config{Key: 42},
			prefix + `Config.Key is a value of type int; want an Ed25519, ECDSA or RSA key, an HMAC secret ([]byte) or a jwk.Key`, "not a key at all"},
		{"string", Config{Key: string(k.hs256)},
			prefix + `Config.Key is a string; an HMAC secret must be a []byte of random bytes, not a string`, "a string is often a password"},
		{"nil pointer", Config{Key: (*ecdsa.PrivateKey)(nil)},
			prefix + `Config.Key is a nil *ecdsa.PrivateKey; it holds no usable key (did loading it fail?)`, "the usual cause is an ignored load error"},
		{"zero struct", Config{Key: &rsa.PrivateKey{}},
			prefix + `Config.Key is an *rsa.PrivateKey that lacks part of its key material; it holds no usable key (did loading it fail?)`, "no modulus"},
		{"short ed25519", Config{Key: ed25519.PrivateKey(make([]byte, 10))},
			prefix + `Config.Key is an Ed25519 private key of 10 bytes (want 64); ed25519.NewKeyFromSeed makes one from a 32-byte seed`, "length given and wanted"},
		{"public key", Config{Key: k.ed.Public()},
			prefix + `Config.Key is an Ed25519 public key; signing needs the private key (public keys belong in Config.VerifyKeys)`, "say where a public key goes"},
		{"public JWK", Config{Key: mustJWK(t, k.ed.Public(), nil)},
			prefix + `Config.Key is an Ed25519 public key (a jwk.Key); signing needs the private key (public keys belong in Config.VerifyKeys)`, "the old text showed jwx's unexported type"},
		{"halves do not match", Config{Key: &ecdsa.PrivateKey{PublicKey: k.p256.PublicKey, D: k.p384.D}},
			prefix + `Config.Key is an ECDSA P-256 private key; its public half is not the one its private half makes, so nothing could verify its tokens`,
			"New used to accept it, and every token it signed failed to verify"},
		{"KeyID", Config{Key: k.ed, KeyID: "a<b"},
			prefix + `Config.KeyID "a<b" has characters JSON escapes (quotes, backslashes, control characters, <, >, &, invalid UTF-8)`, "name the field"},
		{"VerifyKeys nil", Config{Key: k.ed, VerifyKeys: []any{nil}},
			prefix + `Config.VerifyKeys[0] is nil; want an Ed25519, ECDSA or RSA key, an HMAC secret ([]byte) or a jwk.Key`, "the field and its index"},
		{"VerifyKeys RSA 1024 private", Config{Key: k.ed, VerifyKeys: []any{&k.p256.PublicKey, k.rsa1024}},
			prefix + `Config.VerifyKeys[1] is an RSA private key of 1024 bits; at least 2048 bits are required`,
			"the private key given, not the public half used"},
		{"VerifyKeys short ed25519", Config{Key: k.ed, VerifyKeys: []any{ed25519.PublicKey(make([]byte, 31))}},
			prefix + `Config.VerifyKeys[0] is an Ed25519 public key of 31 bytes (want 32); its key material is truncated or padded`, "length given and wanted"},
		{"VerifyKeys EC without X", Config{Key: k.ed, VerifyKeys: []any{&ecdsa.PublicKey{Curve: elliptic.P256()}}},
			prefix + `Config.VerifyKeys[0] is an *ecdsa.PublicKey that lacks part of its key material; it holds no usable key (did loading it fail?)`, "must not panic"},
		{"VerifyKeys JWK alg", Config{Key: k.ed, VerifyKeys: []any{mustJWK(t, k.p256, map[string]any{jwk.AlgorithmKey: jwa.EdDSA})}},
			prefix + `the JWK's "alg" "EdDSA" does not fit Config.VerifyKeys[0], an ECDSA P-256 private key (a jwk.Key); EdDSA needs an Ed25519 key`,
			"a private key given for verification is described as given"},
		{"VerifyKeys JWK kid", Config{Key: k.ed, VerifyKeys: []any{mustJWK(t, k.p256.Public(), map[string]any{jwk.KeyIDKey: "a&b"})}},
			prefix + `the JWK's "kid" "a&b" of Config.VerifyKeys[0] has characters JSON escapes (quotes, backslashes, control characters, <, >, &, invalid UTF-8)`, "the kid came from the JWK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("New() error = %v, want ErrInvalidKey", err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("New() error text\n got %s\nwant %s\n(%s)", got, tt.want, tt.reason)
			}
		})
	}
}

// TestKeyErrorsHoldNoKeyMaterial checks that no key error quotes a key.
func TestKeyErrorsHoldNoKeyMaterial(t *testing.T) {
	k := testKeys()
	secret := []byte(strings.Repeat("s3cr3t-", 4)) // 28 bytes: too short
	for _, cfg := range []Config{
		{Key: secret},
		{Key: string(secret)},
		{Key: k.hs256, Algorithm: "RS256"},
		{Key: k.ed, VerifyKeys: []any{secret}},
	} {
		_, err := New(cfg)
		if err == nil || strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), string(k.hs256)) {
			t.Errorf("New() error = %v, want an error that quotes no secret", err)
		}
	}
}
