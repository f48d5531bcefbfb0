package freshtoken

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// verifies checks that every guard a token of its type meets accepts tok
// (want nil) or refuses it with want.
func verifies(t *testing.T, m *Manager, what, tok string, typ TokenType, want error) {
	t.Helper()
	guard := m.RequireAccess
	if typ == RefreshToken {
		guard = m.RequireRefresh
	}
	c, err := guard(context.Background(), tok)
	if !errors.Is(err, want) || (want == nil) != (err == nil) {
		t.Errorf("%s: got %v, want %v", what, err, want)
	}
	if err == nil && c.Type != typ {
		t.Errorf("%s: got a %v token, want %v", what, c.Type, typ)
	}
}

// keyIDs is what KeyIDs returns, for cmp.
type keyIDs struct {
	Signing   string
	Verifying []string
}

func idsOf(m *Manager) keyIDs {
	s, v := m.KeyIDs()
	return keyIDs{s, v}
}

// kidOf is the "kid" in tok's header, or "" when there is none.
func kidOf(t testing.TB, tok string) string {
	t.Helper()
	kid, _ := decodeSegment(t, tok, 0)["kid"].(string)
	return kid
}

func TestRotateKey(t *testing.T) {
	m, clk := newTestManager(t, Config{Key: webKey(1), VerifiedCacheSize: 64})
	ctx := context.Background()
	oldID := m.signer().id
	before := mustIssue(t, m, "alice")
	verifies(t, m, "the old key's access token, now cached", before.Access, AccessToken, nil)

	prev, err := m.RotateKey(webKey(2))
	if err != nil || prev != oldID {
		t.Fatalf("RotateKey: got %q, %v; want %q, nil", prev, err, oldID)
	}
	newID := m.signer().id
	if diff := cmp.Diff(keyIDs{newID, []string{oldID}}, idsOf(m)); diff != "" {
		t.Errorf("KeyIDs after RotateKey (-want +got):\n%s", diff)
	}
	after := mustIssue(t, m, "bob")
	clk.Advance(time.Minute)
	refreshed, err := m.Refresh(ctx, before.Refresh)
	if err != nil {
		t.Fatalf("Refresh of the old key's refresh token: %v", err)
	}
	for _, tok := range []string{after.Access, after.Refresh, refreshed.Access} {
		if kid := kidOf(t, tok); kid != newID {
			t.Errorf("a token made after RotateKey names key %q, want the new key %q", kid, newID)
		}
	}
	verifies(t, m, "the old key's access token", before.Access, AccessToken, nil)
	verifies(t, m, "the old key's refresh token", before.Refresh, RefreshToken, nil)
	verifies(t, m, "the new key's access token", after.Access, AccessToken, nil)
	verifies(t, m, "the new key's refresh token", after.Refresh, RefreshToken, nil)
	checkShortcuts(t, m, []*key{&m.signer().key, m.ring.Load().find(oldID)}, before, after)

	if err := m.RetireKey(oldID); err != nil {
		t.Fatalf("RetireKey: %v", err)
	}
	if diff := cmp.Diff(keyIDs{newID, nil}, idsOf(m)); diff != "" {
		t.Errorf("KeyIDs after RetireKey (-want +got):\n%s", diff)
	}
	verifies(t, m, "the old key's cached access token", before.Access, AccessToken, ErrUnknownKey)
	verifies(t, m, "the old key's refresh token", before.Refresh, RefreshToken, ErrUnknownKey)
	if _, err := m.Refresh(ctx, before.Refresh); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Refresh of the old key's refresh token after RetireKey: got %v, want ErrUnknownKey", err)
	}
	verifies(t, m, "the new key's access token", after.Access, AccessToken, nil)
	verifies(t, m, "a token refreshed after the rotation", refreshed.Access, AccessToken, nil)
	checkShortcuts(t, m, []*key{&m.signer().key}, before, after)
}

// checkShortcuts checks that the header shortcuts name exactly the keys
// want, and answer as the general path does for the tokens of pairs.
func checkShortcuts(t *testing.T, m *Manager, want []*key, pairs ...*Pair) {
	t.Helper()
	r := m.ring.Load()
	var got []string
	for _, h := range r.known {
		if !r.holds(h.key) {
			t.Errorf("a header shortcut names key %q, which the ring does not hold", h.key.id)
		}
		got = append(got, h.key.id)
	}
	var ids []string
	for _, k := range want {
		ids = append(ids, k.id, k.id) // an access and a refresh header each
	}
	if diff := cmp.Diff(ids, got); diff != "" {
		t.Errorf("the header shortcuts' keys (-want +got):\n%s", diff)
	}
	for _, p := range pairs {
		for _, tok := range []string{p.Access, p.Refresh} {
			want := outcome(proved(m, general(m), tok))
			got := outcome(proved(m, r, tok))
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(Claims{})); diff != "" {
				t.Errorf("the shortcut disagrees with the general path (-want +got):\n%s", diff)
			}
		}
	}
}

// Flask-format tokens without Config.KeyID name no key: every key of the
// token's algorithm is tried, and a retired key's tokens fail the signature.
func TestRotateKeyFlask(t *testing.T) {
	m, _ := newTestManager(t, Config{Key: testKeys().hs256, Flask: &FlaskOptions{}, VerifiedCacheSize: 64})
	oldID := m.signer().id
	before := mustIssue(t, m, "alice")
	verifies(t, m, "the old key's access token, now cached", before.Access, AccessToken, nil)
	prev, err := m.RotateKey(testKeys().hs256second)
	if err != nil || prev != oldID {
		t.Fatalf("RotateKey: got %q, %v; want %q, nil", prev, err, oldID)
	}
	after := mustIssue(t, m, "bob")
	if kid := kidOf(t, after.Access); kid != "" {
		t.Errorf("a Flask-format token names key %q, want none", kid)
	}
	if decodeSegment(t, before.Access, 0)["alg"] != "HS256" || decodeSegment(t, after.Access, 0)["alg"] != "HS256" {
		t.Error("the headers do not both say HS256")
	}
	for _, tok := range []struct {
		what, tok string
		typ       TokenType
	}{
		{"the old key's access token", before.Access, AccessToken},
		{"the old key's refresh token", before.Refresh, RefreshToken},
		{"the new key's access token", after.Access, AccessToken},
		{"the new key's refresh token", after.Refresh, RefreshToken},
	} {
		verifies(t, m, tok.what, tok.tok, tok.typ, nil)
	}
	if err := m.RetireKey(oldID); err != nil {
		t.Fatalf("RetireKey: %v", err)
	}
	verifies(t, m, "the old key's cached access token", before.Access, AccessToken, ErrSignature)
	verifies(t, m, "the old key's refresh token", before.Refresh, RefreshToken, ErrSignature)
	verifies(t, m, "the new key's access token", after.Access, AccessToken, nil)

	// A key of another algorithm signs tokens whose header says so.
	if _, err := m.RotateKey(testKeys().ed); err != nil {
		t.Fatalf("RotateKey to an Ed25519 key: %v", err)
	}
	ed := mustIssue(t, m, "carol")
	if alg := decodeSegment(t, ed.Access, 0)["alg"]; alg != "EdDSA" {
		t.Errorf("after RotateKey to an Ed25519 key, alg = %v, want EdDSA", alg)
	}
	verifies(t, m, "the Ed25519 key's access token", ed.Access, AccessToken, nil)
	verifies(t, m, "the HMAC key's access token", after.Access, AccessToken, nil)
}

func TestRotateKeyFlaskKeyIDRefused(t *testing.T) {
	m, _ := newTestManager(t, Config{Key: testKeys().hs256, KeyID: "k1", Flask: &FlaskOptions{}})
	prev, err := m.RotateKey(testKeys().hs256second)
	if !errors.Is(err, ErrInvalidConfig) || prev != "" || !strings.Contains(err.Error(), `Config.KeyID "k1"`) {
		t.Errorf("RotateKey under Flask with Config.KeyID: got %q, %v; want ErrInvalidConfig naming Config.KeyID", prev, err)
	}
	if diff := cmp.Diff(keyIDs{"k1", nil}, idsOf(m)); diff != "" {
		t.Errorf("a refused RotateKey changed the keys (-want +got):\n%s", diff)
	}
}

func TestRotateKeyErrors(t *testing.T) {
	k := testKeys()
	hs, _ := newTestManager(t, Config{Key: k.hs256})
	fits, err := hs.smallestPairSize(hs.ring.Load()) // an HMAC key's tokens fit, an RSA key's do not
	if err != nil {
		t.Fatal(err)
	}
	dupKID := mustJWK(t, webKey(9), map[string]any{jwk.KeyIDKey: "old"})
	tests := []struct {
		name, reason string
		cfg          Config
		key          any
		want         error
		text         string
	}{
		{"nil", "no key", Config{}, nil, ErrInvalidKey, "the key given to RotateKey is nil"},
		{"string", "a password is not a secret", Config{}, string(k.hs256), ErrInvalidKey,
			"the key given to RotateKey is a string; an HMAC secret must be a []byte"},
		{"public key", "signing needs the private half", Config{}, k.ed.Public(), ErrInvalidKey,
			"the key given to RotateKey is an Ed25519 public key; signing needs the private key"},
		{"short secret", "as for Config.Key", Config{}, k.hs256[:16], ErrInvalidKey,
			"the key given to RotateKey is an HMAC secret of 16 bytes; HS256 needs at least 32 bytes"},
		{"the signing key", "it signs already", Config{}, k.ed, ErrInvalidKey, "which the current signing key uses: it signs already"},
		{"a verification key's ID", "another key under the same kid would make the old tokens fail",
			Config{VerifyKeys: []any{mustJWK(t, webKey(8).Public(), map[string]any{jwk.KeyIDKey: "old"})}}, dupKID, ErrInvalidKey,
			`has key ID "old", which a verification key with other key material or another algorithm uses`},
		{"too large for MaxTokenSize", "the new key's signatures would make every token too large",
			Config{Key: k.hs256, MaxTokenSize: fits}, k.rsa, ErrInvalidConfig, fmt.Sprintf("Config.MaxTokenSize (%d) is smaller than", fits)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newTestManager(t, tt.cfg)
			ids := idsOf(m)
			prev, err := m.RotateKey(tt.key)
			if !errors.Is(err, tt.want) || prev != "" {
				t.Fatalf("RotateKey: got %q, %v; want \"\", %v (%s)", prev, err, tt.want, tt.reason)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("RotateKey error %q does not say %q", err, tt.text)
			}
			if diff := cmp.Diff(ids, idsOf(m)); diff != "" {
				t.Errorf("a refused RotateKey changed the keys (-want +got):\n%s", diff)
			}
		})
	}
}

// A key that verifies already may sign again: a rollback.
func TestRotateKeyBack(t *testing.T) {
	m, _ := newTestManager(t, Config{Key: webKey(1), VerifiedCacheSize: 64})
	a := m.signer().id
	before := mustIssue(t, m, "alice")
	verifies(t, m, "the first key's access token, now cached", before.Access, AccessToken, nil)
	if _, err := m.RotateKey(webKey(2)); err != nil {
		t.Fatal(err)
	}
	b := m.signer().id
	if prev, err := m.RotateKey(webKey(1)); err != nil || prev != b {
		t.Fatalf("RotateKey back to the first key: got %q, %v; want %q, nil", prev, err, b)
	}
	if diff := cmp.Diff(keyIDs{a, []string{b}}, idsOf(m)); diff != "" {
		t.Errorf("KeyIDs after the rollback (-want +got):\n%s", diff)
	}
	verifies(t, m, "the first key's access token", before.Access, AccessToken, nil)
	if kid := kidOf(t, mustIssue(t, m, "bob").Access); kid != a {
		t.Errorf("after the rollback tokens name key %q, want %q", kid, a)
	}
	// A key from Config.VerifyKeys, given as a private key, is promoted.
	pre, _ := newTestManager(t, Config{Key: webKey(1), VerifyKeys: []any{webKey(2)}})
	next := pre.ring.Load().keys[1].id
	if _, err := pre.RotateKey(webKey(2)); err != nil {
		t.Fatalf("RotateKey to a key of Config.VerifyKeys: %v", err)
	}
	if diff := cmp.Diff(keyIDs{next, []string{a}}, idsOf(pre)); diff != "" {
		t.Errorf("KeyIDs after promoting a verification key (-want +got):\n%s", diff)
	}

	// An HMAC secret rolls back too; a different secret under its ID does not.
	h, _ := newTestManager(t, Config{Key: testKeys().hs256})
	first := h.signer().id
	if _, err := h.RotateKey(testKeys().hs256second); err != nil {
		t.Fatal(err)
	}
	if _, err := h.RotateKey(mustJWK(t, testKeys().hs384, map[string]any{jwk.KeyIDKey: first})); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("RotateKey to another secret under a verification key's ID: got %v, want ErrInvalidKey", err)
	}
	if _, err := h.RotateKey(testKeys().hs256); err != nil {
		t.Errorf("RotateKey back to the first secret: %v", err)
	}
}

func TestRetireKey(t *testing.T) {
	other, _ := newTestManager(t, Config{Key: webKey(3)})
	old := mustIssue(t, other, "alice") // signed by a key this Manager only verifies
	m, _ := newTestManager(t, Config{Key: webKey(1), VerifyKeys: []any{webKey(3).Public()}, VerifiedCacheSize: 64})
	verifyID := other.signer().id
	verifies(t, m, "a verification key's token, now cached", old.Access, AccessToken, nil)

	tests := []struct {
		name, reason, id string
		want             error
		text             string
	}{
		{"the signing key", "RotateKey first", m.signer().id, ErrInvalidConfig, "signs new tokens and cannot be retired"},
		{"unknown", "a typing mistake must not pass for a retirement", "nope", ErrInvalidConfig,
			fmt.Sprintf(`no verification key has ID "nope" (verification keys: %q)`, verifyID)},
		{"empty", "", "", ErrInvalidConfig, `no verification key has ID ""`},
		{"a verification key", "from Config.VerifyKeys", verifyID, nil, ""},
		{"twice", "the key is gone", verifyID, ErrInvalidConfig, "(verification keys: none)"},
	}
	for _, tt := range tests {
		err := m.RetireKey(tt.id)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Fatalf("%s: RetireKey(%q) = %v, want %v (%s)", tt.name, tt.id, err, tt.want, tt.reason)
		}
		if err != nil && !strings.Contains(err.Error(), tt.text) {
			t.Errorf("%s: RetireKey error %q does not say %q", tt.name, err, tt.text)
		}
	}
	verifies(t, m, "a retired verification key's cached token", old.Access, AccessToken, ErrUnknownKey)
}

// publishedKIDs fetches m's JWK Set through its handler and returns the
// kids in it, in order.
func publishedKIDs(t *testing.T, h http.Handler) []string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
	var set struct{ Keys []map[string]any }
	if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil {
		t.Fatalf("the JWK Set does not decode: %v", err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k["kid"].(string))
	}
	return kids
}

func TestJWKSFollowsRotation(t *testing.T) {
	m, _ := newTestManager(t, Config{Key: webKey(1), VerifyKeys: []any{testKeys().hs256}})
	h := m.JWKSHandler() // made once, serving each set in turn
	a := m.signer().id
	if diff := cmp.Diff([]string{a}, publishedKIDs(t, h)); diff != "" {
		t.Errorf("before RotateKey (-want +got); an HMAC secret is never published:\n%s", diff)
	}
	if _, err := m.RotateKey(webKey(2)); err != nil {
		t.Fatal(err)
	}
	b := m.signer().id
	if diff := cmp.Diff([]string{b, a}, publishedKIDs(t, h)); diff != "" {
		t.Errorf("after RotateKey, the new key and the old (-want +got):\n%s", diff)
	}
	if err := m.RetireKey(a); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{b}, publishedKIDs(t, h)); diff != "" {
		t.Errorf("after RetireKey, the new key alone (-want +got):\n%s", diff)
	}
}

// A resource server finds the new key with the first token it signed, and
// drops the old one with the first fetch after RetireKey.
func TestRotateKeyReachesVerifiers(t *testing.T) {
	m, clk := newTestManager(t, Config{Key: webKey(1)})
	jwks := httptest.NewServer(m.JWKSHandler())
	defer jwks.Close()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	v, err := NewVerifier(ctx, VerifierConfig{JWKSURL: jwks.URL, Config: Config{Now: clk.Now, VerifiedCacheSize: 64}})
	if err != nil {
		t.Fatal(err)
	}
	before := mustIssue(t, m, "alice")
	check := func(what, tok string, want error) {
		t.Helper()
		_, err := v.RequireAccess(ctx, tok)
		if !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Errorf("verifier, %s: got %v, want %v", what, err, want)
		}
	}
	check("the old key's token", before.Access, nil)
	oldID, err := m.RotateKey(webKey(2))
	if err != nil {
		t.Fatal(err)
	}
	after := mustIssue(t, m, "bob")
	check("the new key's token, an unknown kid that fetches the set", after.Access, nil)
	check("the old key's cached token", before.Access, nil)

	if err := m.RetireKey(oldID); err != nil {
		t.Fatal(err)
	}
	check("the old key's cached token, before the verifier fetches the set", before.Access, nil)
	if err := v.remote.fetch(ctx); err != nil {
		t.Fatal(err)
	}
	check("the old key's cached token, once the set is fetched", before.Access, ErrUnknownKey)
	check("the new key's token", after.Access, nil)
}

// Guards, Issue, RotateKey and RetireKey all at once: every token verifies
// until its key is retired, and none after.
func TestRotateKeyConcurrent(t *testing.T) {
	const rotations, issuers, guards = 40, 2, 3
	secret := func(i int) []byte { s := sha256.Sum256([]byte{byte(i)}); return s[:] }
	m, _ := newTestManager(t, Config{Key: secret(0), VerifiedCacheSize: 256})
	var (
		retiring, retired sync.Map // kid → true: RetireKey called, RetireKey returned
		mu                sync.Mutex
		tokens            []string
		done              atomic.Bool
		wg                sync.WaitGroup
	)
	// check verifies tok; the outcome must agree with the state of its key.
	check := func(tok string) {
		kid := kidOf(t, tok)
		_, gone := retired.Load(kid)
		_, err := m.RequireAccess(context.Background(), tok)
		switch _, going := retiring.Load(kid); {
		case err == nil && gone:
			t.Errorf("a token of key %q verified after RetireKey returned", kid)
		case err != nil && !(going && errors.Is(err, ErrUnknownKey)):
			t.Errorf("a token of key %q (being retired: %v): %v", kid, going, err)
		}
	}
	for range issuers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !done.Load() {
				p, err := m.Issue(context.Background(), "alice")
				if err != nil {
					t.Error(err)
					return
				}
				check(p.Access)
				mu.Lock()
				tokens = append(tokens, p.Access)
				mu.Unlock()
			}
		}()
	}
	for range guards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !done.Load(); i++ {
				mu.Lock()
				n := len(tokens)
				var tok string
				if n > 0 {
					tok = tokens[n-1-i%min(n, 16)] // the newest, again and again: the cache answers
				}
				mu.Unlock()
				if tok != "" {
					check(tok)
				}
				m.KeyIDs()
			}
		}()
	}
	for i := 1; i <= rotations; i++ {
		prev, err := m.RotateKey(secret(i))
		if err != nil {
			t.Fatal(err)
		}
		// Retire at once: Issue may hold the previous key this very moment.
		retiring.Store(prev, true)
		if err := m.RetireKey(prev); err != nil {
			t.Fatal(err)
		}
		retired.Store(prev, true)
		// Let tokens of the new key be issued and verified before the next.
		for mu.Lock(); len(tokens) < i*4; mu.Lock() {
			mu.Unlock()
			runtime.Gosched()
		}
		mu.Unlock()
	}
	done.Store(true)
	wg.Wait()
	if len(tokens) == 0 {
		t.Fatal("no token was issued")
	}
	for _, tok := range tokens {
		check(tok)
	}
}

// pausingAlg is an algorithm whose first signature waits for the test.
type pausingAlg struct {
	algorithm
	once             sync.Once
	signing, proceed chan struct{}
}

func (a *pausingAlg) sign(input []byte) ([]byte, error) {
	a.once.Do(func() {
		close(a.signing)
		<-a.proceed
	})
	return a.algorithm.sign(input)
}

// A key retired while Issue signs with it: Issue signs again with the key
// of the moment, so it never returns a token no guard accepts.
func TestIssueDuringRetire(t *testing.T) {
	m, _ := newTestManager(t, Config{Key: webKey(1)})
	pause := &pausingAlg{algorithm: m.signer().algo, signing: make(chan struct{}), proceed: make(chan struct{})}
	m.signer().algo = pause // before any other goroutine sees the key
	issued := make(chan *Pair)
	go func() {
		p, err := m.Issue(context.Background(), "alice")
		if err != nil {
			t.Error(err)
		}
		issued <- p
	}()
	<-pause.signing
	old, err := m.RotateKey(webKey(2))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.RetireKey(old); err != nil {
		t.Fatal(err)
	}
	close(pause.proceed)
	p := <-issued
	if p == nil {
		t.FailNow()
	}
	verifies(t, m, "the access token Issue returned", p.Access, AccessToken, nil)
	verifies(t, m, "the refresh token Issue returned", p.Refresh, RefreshToken, nil)
	if kid, want := kidOf(t, p.Access), m.signer().id; kid != want {
		t.Errorf("Issue signed with key %q, want the new key %q", kid, want)
	}
}
