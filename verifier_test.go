package freshtoken

import (
	"context"
	"crypto/ed25519"
	"errors"
	"testing"
)

// A Verifier needs no JWK Set: with Config.VerifyKeys alone it verifies the
// tokens of the keys given, in either format, and nothing else.
func TestVerifierWithGivenKeys(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		issuer Config
		keys   []any
	}{
		{"freshtoken's format, Ed25519", Config{Key: testKeys().ed}, []any{testKeys().ed.Public()}},
		{"Flask format, HS256", Config{Key: testKeys().hs256, Flask: &FlaskOptions{}}, []any{testKeys().hs256}},
		{"Flask format, RS256 public key", Config{Key: testKeys().rsa, Flask: &FlaskOptions{}}, []any{&testKeys().rsa.PublicKey}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, clk := newTestManager(t, tt.issuer)
			vcfg := Config{VerifyKeys: tt.keys, Flask: tt.issuer.Flask, Now: clk.Now, Store: m.store}
			v, err := NewVerifier(ctx, VerifierConfig{Config: vcfg})
			if err != nil {
				t.Fatal(err)
			}
			p := mustIssue(t, m, "alice")
			if c, err := v.RequireFresh(ctx, p.Access); err != nil || c.Subject != "alice" {
				t.Errorf("RequireFresh = %v, %v; want alice's claims", c, err)
			}
			if _, err := v.RequireRefresh(ctx, p.Refresh); err != nil {
				t.Errorf("RequireRefresh = %v", err)
			}
			if _, err := v.RequireAccess(ctx, p.Refresh); !errors.Is(err, ErrWrongType) {
				t.Errorf("a refresh token at RequireAccess: %v, want ErrWrongType", err)
			}
			// A logout at the issuer reaches the verifier through the shared store.
			if err := m.Logout(ctx, p.Refresh); err != nil {
				t.Fatal(err)
			}
			if _, err := v.RequireAccess(ctx, p.Access); !errors.Is(err, ErrRevoked) {
				t.Errorf("after Logout at the issuer: %v, want ErrRevoked", err)
			}
			// Another key's tokens are refused.
			other, _ := newTestManager(t, Config{Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)), Flask: tt.issuer.Flask})
			if tt.issuer.Flask != nil {
				other, _ = newTestManager(t, Config{Key: testKeys().hs256second, Flask: tt.issuer.Flask})
			}
			if _, err := v.RequireAccess(ctx, mustIssue(t, other, "mallory").Access); !errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrSignature) {
				t.Errorf("another key's token: %v, want ErrUnknownKey or ErrSignature", err)
			}
		})
	}
}

func TestNewVerifierNeedsKeys(t *testing.T) {
	_, err := NewVerifier(context.Background(), VerifierConfig{})
	if !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("NewVerifier with neither a JWKSURL nor VerifyKeys: %v, want ErrInvalidConfig", err)
	}
	_, err = NewVerifier(context.Background(), VerifierConfig{Config: Config{Key: testKeys().ed, VerifyKeys: []any{testKeys().ed.Public()}}})
	if !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("NewVerifier with a signing key: %v, want ErrInvalidConfig", err)
	}
}
