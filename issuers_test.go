package freshtoken

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/freshtoken/freshtoken/internal/testclock"
)

const (
	issuerA = "https://a.example"
	issuerB = "https://b.example"
)

// twoIssuers is a resource server trusting two issuing services, each
// serving its JWK Set, whose signing keys share the key ID "k1".
type twoIssuers struct {
	clk        *testclock.Clock
	a, b       *Manager
	srvA, srvB *issuerServer
	v          *Verifier
}

func newTwoIssuers(t *testing.T, cfg VerifierConfig) *twoIssuers {
	t.Helper()
	ti := &twoIssuers{clk: testclock.New(t0)}
	ti.a, _ = newTestManager(t, Config{Key: webKey(1), KeyID: "k1", Issuer: issuerA, Now: ti.clk.Now})
	ti.b, _ = newTestManager(t, Config{Key: webKey(2), KeyID: "k1", Issuer: issuerB, Now: ti.clk.Now})
	ti.srvA, ti.srvB = newIssuerServer(t, ti.a), newIssuerServer(t, ti.b)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg.Issuers = []TrustedIssuer{{Issuer: issuerA, JWKSURL: ti.srvA.jwksURL()}, {Issuer: issuerB, JWKSURL: ti.srvB.jwksURL()}}
	cfg.Config.Now = ti.clk.Now
	ti.v = newWebVerifier(t, ctx, cfg)
	return ti
}

// manager is a Manager on the shared clock.
func (ti *twoIssuers) manager(t *testing.T, cfg Config) *Manager {
	cfg.Now = ti.clk.Now
	m, _ := newTestManager(t, cfg)
	return m
}

// signedBy signs payload as m signs an access token, with m's key and header.
func signedBy(t *testing.T, m *Manager, payload string) string {
	t.Helper()
	return signClaims(t, m, payload)
}

// accessPayload is an access token's claims at t0, with iss as raw JSON ("" for none).
func accessPayload(iss string) string {
	p := `"sub":"u","exp":1772356500,"iat":1772355600,"jti":"j","sid":"s","auth_time":1772355600,"type":"access","fresh":true`
	if iss != "" {
		p = `"iss":` + iss + `,` + p
	}
	return "{" + p + "}"
}

// TestIssuersChooseKeys checks that a token's "iss" alone chooses the keys
// that may verify it: another issuer's key never does, even under a key ID
// both use, or one only the other has; and that a token naming no trusted
// issuer is refused without a fetch.
func TestIssuersChooseKeys(t *testing.T) {
	ti := newTwoIssuers(t, VerifierConfig{MinRefetchInterval: -1})
	// B rotates to a key whose ID A never had.
	bNext := ti.manager(t, Config{Key: webKey(3), KeyID: "only-b", Issuer: issuerB, VerifyKeys: []any{mustJWK(t, webKey(2), map[string]any{"kid": "k1"})}})
	ti.srvB.publish(bNext.JWKSHandler())

	tests := []struct {
		name        string
		token       string
		want        error
		wantIssuer  string
		wantFetches [2]int32 // more fetches of A's and of B's set
		wantText    string
		reason      string
	}{
		{"A's token", mustIssue(t, ti.a, "u").Access, nil, issuerA, [2]int32{}, "", "A's key verifies A's token"},
		{"B's token", mustIssue(t, ti.b, "u").Access, nil, issuerB, [2]int32{}, "", "B's key verifies B's token, under the same kid"},
		{"B's new key", mustIssue(t, bNext, "u").Access, nil, issuerB, [2]int32{0, 1}, "", "a kid B's set lacks fetches B's set"},
		{"B's key, iss A, shared kid",
			mustIssue(t, ti.manager(t, Config{Key: webKey(2), KeyID: "k1", Issuer: issuerA}), "u").Access,
			ErrSignature, "", [2]int32{}, "signature does not verify", "kid k1 names A's key, which did not sign it"},
		{"B's key, iss A, kid only B has",
			mustIssue(t, ti.manager(t, Config{Key: webKey(3), KeyID: "only-b", Issuer: issuerA}), "u").Access,
			ErrUnknownKey, "", [2]int32{1, 0}, "no key with that kid", "A's set is fetched again, never B's"},
		{"no iss", mustIssue(t, ti.manager(t, Config{Key: webKey(1), KeyID: "k1"}), "u").Access,
			ErrInvalidClaims, "", [2]int32{}, `"iss" is missing`, "no iss, no keys: nothing fetched"},
		{"untrusted iss", mustIssue(t, ti.manager(t, Config{Key: webKey(1), KeyID: "k1", Issuer: "https://c.example"}), "u").Access,
			ErrInvalidClaims, "", [2]int32{}, `"iss" "https://c.example" is not a trusted issuer`, "nothing fetched for an issuer nobody trusts"},
		{"iss differs in case", mustIssue(t, ti.manager(t, Config{Key: webKey(1), KeyID: "k1", Issuer: "https://A.example"}), "u").Access,
			ErrInvalidClaims, "", [2]int32{}, "is not a trusted issuer", "names compare exactly"},
		{"iss a number", signedBy(t, ti.a, accessPayload(`42`)), ErrInvalidClaims, "", [2]int32{}, `claim "iss" is 42`, "iss must be a string"},
		{"iss null", signedBy(t, ti.a, accessPayload(`null`)), ErrInvalidClaims, "", [2]int32{}, `claim "iss" is null`, "iss must be a string"},
		{"iss a list", signedBy(t, ti.a, accessPayload(`["https://a.example"]`)), ErrInvalidClaims, "", [2]int32{}, `claim "iss" is ["https://a.example"]`, "iss must be a string"},
		{"iss escaped", signedBy(t, ti.a, accessPayload(`"https:\/\/a.example"`)), nil, issuerA, [2]int32{}, "", "escapes decode as the claims reader decodes them"},
		{"iss twice", signedBy(t, ti.a, `{"iss":"https://a.example",`+accessPayload(`"https://b.example"`)[1:]), ErrMalformed, "", [2]int32{}, "duplicate member", "the second iss would name other keys"},
	}
	for _, tt := range tests {
		beforeA, beforeB := ti.srvA.fetches.Load(), ti.srvB.fetches.Load()
		c, err := ti.v.RequireAccess(context.Background(), tt.token)
		switch {
		case !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil):
			t.Errorf("%s: got %v, want %v (%s)", tt.name, err, tt.want, tt.reason)
		case err != nil && (c != nil || !strings.Contains(err.Error(), tt.wantText)):
			t.Errorf("%s: got %+v, %v, want nil claims and an error saying %q", tt.name, c, err, tt.wantText)
		case err == nil && c.Issuer != tt.wantIssuer:
			t.Errorf("%s: Claims.Issuer %q, want %q", tt.name, c.Issuer, tt.wantIssuer)
		}
		got := [2]int32{ti.srvA.fetches.Load() - beforeA, ti.srvB.fetches.Load() - beforeB}
		if got != tt.wantFetches {
			t.Errorf("%s: fetched A's and B's sets %v more times, want %v (%s)", tt.name, got, tt.wantFetches, tt.reason)
		}
	}
}

// TestIssuersGivenKeys trusts two issuers by their keys alone, in both
// formats; under Flask's, whose tokens name no key, each key of the named
// issuer is tried, and no other.
func TestIssuersGivenKeys(t *testing.T) {
	k := testKeys()
	for _, tt := range []struct {
		name           string
		flask          *FlaskOptions
		keyA, keyB     any
		verifyA, verfB any
	}{
		{"own format, shared kid", nil, mustJWK(t, k.ed, map[string]any{"kid": "k1"}), mustJWK(t, k.ed2, map[string]any{"kid": "k1"}),
			mustJWK(t, k.ed.Public(), map[string]any{"kid": "k1"}), mustJWK(t, k.ed2.Public(), map[string]any{"kid": "k1"})},
		{"Flask format, secrets", &FlaskOptions{}, k.hs256, k.hs256second, k.hs256, k.hs256second},
	} {
		clk := testclock.New(t0)
		mk := func(key any, iss string) *Manager {
			m, _ := newTestManager(t, Config{Key: key, Issuer: iss, Flask: tt.flask, Now: clk.Now})
			return m
		}
		a, b := mk(tt.keyA, issuerA), mk(tt.keyB, issuerB)
		forged := mk(tt.keyB, issuerA) // B's key, A's name
		v, err := NewVerifier(context.Background(), VerifierConfig{
			Issuers: []TrustedIssuer{{Issuer: issuerA, VerifyKeys: []any{tt.verifyA}}, {Issuer: issuerB, VerifyKeys: []any{tt.verfB}}},
			Config:  Config{Flask: tt.flask, Now: clk.Now, VerifiedCacheSize: 8},
		})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		for round := range 2 { // the second from the cache
			for _, c := range []struct {
				who  string
				m    *Manager
				want error
			}{{"A", a, nil}, {"B", b, nil}, {"B's key as A", forged, ErrSignature}} {
				tok := mustIssue(t, c.m, "u").Refresh
				got, err := v.RequireRefresh(context.Background(), tok)
				if !errors.Is(err, c.want) || (err == nil) != (c.want == nil) || (err == nil) == (got == nil) {
					t.Errorf("%s, round %d, %s: got %v, want %v", tt.name, round, c.who, err, c.want)
				}
			}
		}
	}
}

// TestIssuersCache has a cached token stop verifying once its issuer's
// set drops its key, while the other issuer's key under the same kid
// stays.
func TestIssuersCache(t *testing.T) {
	ti := newTwoIssuers(t, VerifierConfig{MinRefetchInterval: -1, Config: Config{VerifiedCacheSize: 16}})
	tokA, tokB := mustIssue(t, ti.a, "u").Access, mustIssue(t, ti.b, "u").Access
	for _, tok := range []string{tokA, tokB, tokA, tokB} {
		if _, err := ti.v.RequireAccess(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	// A moves to a new key and withdraws k1; a token of the new key makes
	// the verifier fetch A's set.
	aNext := ti.manager(t, Config{Key: webKey(4), KeyID: "k2", Issuer: issuerA})
	ti.srvA.publish(aNext.JWKSHandler())
	if _, err := ti.v.RequireAccess(context.Background(), mustIssue(t, aNext, "u").Access); err != nil {
		t.Fatalf("A's new key: %v", err)
	}
	if _, err := ti.v.RequireAccess(context.Background(), tokA); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("A's token after A withdrew its key: %v, want ErrUnknownKey", err)
	}
	if _, err := ti.v.RequireAccess(context.Background(), tokB); err != nil {
		t.Errorf("B's token, its key (k1 too) still published: %v", err)
	}
}

// TestIssuersStartWithoutKeys: each issuer's set comes on its own; until
// A's does, A's tokens fail with ErrKeysUnavailable and B's pass.
func TestIssuersStartWithoutKeys(t *testing.T) {
	clk := testclock.New(t0)
	a, _ := newTestManager(t, Config{Key: webKey(1), Issuer: issuerA, Now: clk.Now})
	b, _ := newTestManager(t, Config{Key: webKey(2), Issuer: issuerB, Now: clk.Now})
	srvA, srvB := newIssuerServer(t, a), newIssuerServer(t, b)
	srvA.publish(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "starting", http.StatusServiceUnavailable) }))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v := newWebVerifier(t, ctx, VerifierConfig{
		Issuers:          []TrustedIssuer{{Issuer: issuerA, JWKSURL: srvA.jwksURL()}, {Issuer: issuerB, JWKSURL: srvB.jwksURL()}},
		StartWithoutKeys: true, MinRefetchInterval: -1, Config: Config{Now: clk.Now},
	})
	tokA, tokB := mustIssue(t, a, "u").Access, mustIssue(t, b, "u").Access
	if _, err := v.RequireAccess(ctx, tokA); !errors.Is(err, ErrKeysUnavailable) || !strings.Contains(err.Error(), srvA.jwksURL()) {
		t.Errorf("A's token while A's set cannot be had: %v, want ErrKeysUnavailable naming A's URL", err)
	}
	if _, err := v.RequireAccess(ctx, tokB); err != nil {
		t.Errorf("B's token: %v", err)
	}
	srvA.publish(a.JWKSHandler())
	if _, err := v.RequireAccess(ctx, tokA); err != nil {
		t.Errorf("A's token once A's set is served: %v", err)
	}
}

// TestIssuersStartError: without StartWithoutKeys, an issuer whose set
// cannot be had fails NewVerifier, and the error names it.
func TestIssuersStartError(t *testing.T) {
	a, _ := newTestManager(t, Config{Key: webKey(1), Issuer: issuerA})
	srvA := newIssuerServer(t, a)
	srvB := newIssuerServer(t, a)
	srvB.publish(http.NotFoundHandler())
	v, err := NewVerifier(context.Background(), VerifierConfig{Issuers: []TrustedIssuer{{Issuer: issuerA, JWKSURL: srvA.jwksURL()}, {Issuer: issuerB, JWKSURL: srvB.jwksURL()}}})
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), `issuer "https://b.example"`) {
		t.Errorf("got %v, want ErrInvalidConfig naming issuer B", err)
	}
	if v != nil {
		// It used to come back half built, its keys never refreshed.
		t.Errorf("NewVerifier returned a Verifier with its error; want nil, as on every other failure")
	}
}

// TestIssuersConfig refuses what NewVerifier can judge at once, before
// fetching anything.
func TestIssuersConfig(t *testing.T) {
	pub, pub2 := testKeys().ed.Public(), testKeys().ed2.Public()
	one := func(iss string) TrustedIssuer { return TrustedIssuer{Issuer: iss, VerifyKeys: []any{pub}} }
	tests := []struct {
		name   string
		cfg    VerifierConfig
		want   error
		text   string
		reason string
	}{
		{"issuer named twice", VerifierConfig{Issuers: []TrustedIssuer{one(issuerA), one(issuerB), one(issuerA)}}, ErrInvalidConfig,
			`VerifierConfig.Issuers[2].Issuer "https://a.example" is named twice`, "which entry's keys would count?"},
		{"empty name", VerifierConfig{Issuers: []TrustedIssuer{one("")}}, ErrInvalidConfig, "Issuers[0].Issuer is empty", "every issuer needs its iss"},
		{"control character", VerifierConfig{Issuers: []TrustedIssuer{one(issuerA + "\n")}}, ErrInvalidConfig, "has a control character", "a newline from a file"},
		{"no keys", VerifierConfig{Issuers: []TrustedIssuer{one(issuerA), {Issuer: issuerB}}}, ErrInvalidConfig, "Issuers[1] has no keys", "an issuer without keys verifies nothing"},
		{"with JWKSURL", VerifierConfig{JWKSURL: "https://a.example/jwks", Issuers: []TrustedIssuer{one(issuerA)}}, ErrInvalidConfig, "leave JWKSURL", "one form or the other"},
		{"with Config.Issuer", VerifierConfig{Config: Config{Issuer: issuerA}, Issuers: []TrustedIssuer{one(issuerA)}}, ErrInvalidConfig, "Config.Issuer", "the names are in Issuers"},
		{"with Config.VerifyKeys", VerifierConfig{Config: Config{VerifyKeys: []any{pub}}, Issuers: []TrustedIssuer{one(issuerA)}}, ErrInvalidConfig, "Config.VerifyKeys", "a key of no issuer would verify every issuer's tokens"},
		{"plain http", VerifierConfig{Issuers: []TrustedIssuer{{Issuer: issuerA, JWKSURL: "http://a.example/jwks"}}}, ErrInvalidConfig, "Issuers[0]", "JWKSURL's rules hold for each"},
		{"Flask with a JWKSURL", VerifierConfig{Config: Config{Flask: &FlaskOptions{}}, Issuers: []TrustedIssuer{{Issuer: issuerA, JWKSURL: "https://a.example/jwks"}}}, ErrInvalidConfig, "name no key", "Flask tokens carry no kid"},
		{"kid twice in one issuer", VerifierConfig{Issuers: []TrustedIssuer{{Issuer: issuerA, VerifyKeys: []any{mustJWK(t, pub, map[string]any{"kid": "k"}), mustJWK(t, pub2, map[string]any{"kid": "k"})}}}}, ErrInvalidKey,
			"Issuers[0].VerifyKeys[1]", "a kid must name one key of its issuer"},
		{"bad key", VerifierConfig{Issuers: []TrustedIssuer{{Issuer: issuerA, VerifyKeys: []any{"secret"}}}}, ErrInvalidKey, "Issuers[0].VerifyKeys[0]", "the key's field is named"},
	}
	for _, tt := range tests {
		_, err := NewVerifier(context.Background(), tt.cfg)
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("%s: got %v, want %v saying %q (%s)", tt.name, err, tt.want, tt.text, tt.reason)
		}
	}
	// The same kid under two issuers is no conflict.
	if _, err := NewVerifier(context.Background(), VerifierConfig{Issuers: []TrustedIssuer{
		{Issuer: issuerA, VerifyKeys: []any{mustJWK(t, pub, map[string]any{"kid": "k"})}},
		{Issuer: issuerB, VerifyKeys: []any{mustJWK(t, pub2, map[string]any{"kid": "k"})}},
	}}); err != nil {
		t.Errorf("one kid under two issuers: %v", err)
	}
}

// TestPickIssuerReadsAsClaims checks that pickIssuer and the claims reader
// agree on every "iss" the payload may hold, in both formats, so the keys
// chosen are those of the issuer the verified claims name.
func TestPickIssuerReadsAsClaims(t *testing.T) {
	for _, flask := range []bool{false, true} {
		cfg := Config{VerifyKeys: []any{testKeys().hs256}}
		if flask {
			cfg.Flask = &FlaskOptions{}
		}
		v, err := NewVerifier(context.Background(), VerifierConfig{Issuers: []TrustedIssuer{{Issuer: "a/b", VerifyKeys: []any{testKeys().hs256}}, {Issuer: "é", VerifyKeys: []any{testKeys().hs256}}}, Config: Config{Flask: cfg.Flask}})
		if err != nil {
			t.Fatal(err)
		}
		for _, iss := range []string{`"a/b"`, `"a\/b"`, `"\u00e9"`, `"é"`, `"a\u002fb"`} {
			payload := `{"sub":"u","iss":` + iss + `,"jti":"j","exp":1,"iat":1}`
			is, err := v.pickIssuer([]byte(payload))
			if err != nil {
				t.Errorf("flask=%t, iss %s: %v", flask, iss, err)
				continue
			}
			c, err := decodeClaims([]byte(payload), v.schema)
			if err == nil && c.Issuer != is.name {
				t.Errorf("flask=%t, iss %s: pickIssuer chose %q, the claims say %q", flask, iss, is.name, c.Issuer)
			}
		}
	}
}
