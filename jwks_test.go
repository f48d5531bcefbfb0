package freshtoken

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

var (
	webRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	})
	webECKey = sync.OnceValue(func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
)

// issuerServer is the token-issuing service: it publishes a JWK Set that the
// test replaces, as a key rotation does, and counts the fetches.
type issuerServer struct {
	*httptest.Server
	jwks    atomic.Pointer[http.Handler]
	fetches atomic.Int32
}

func newIssuerServer(t *testing.T, m *Manager) *issuerServer {
	t.Helper()
	s := &issuerServer{}
	s.publish(m.JWKSHandler())
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		(*s.jwks.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *issuerServer) publish(h http.Handler) { s.jwks.Store(&h) }
func (s *issuerServer) jwksURL() string        { return s.URL + "/.well-known/jwks.json" }

func newWebVerifier(t *testing.T, ctx context.Context, cfg VerifierConfig) *Verifier {
	t.Helper()
	v, err := NewVerifier(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// resourceServer serves GET / behind RequireAccess of a verifier: the
// claims, or 401 with the sentinel the guard failed with. (The HTTP answers
// themselves are package httpauth's, and tested there.)
func resourceServer(t *testing.T, v *Verifier) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := v.RequireAccess(r.Context(), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, refusal(err))
			return
		}
		fmt.Fprintf(w, "%s %s fresh=%t", c.Type, c.Subject, c.Fresh)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// refusal names the sentinel err wraps.
func refusal(err error) string {
	var te *tokenError
	if errors.As(err, &te) {
		return te.kind.Error()
	}
	return err.Error()
}

var unknownKey = answer{Status: 401, Body: ErrUnknownKey.Error()}

// TestVerifierRotation has a resource server verify the issuer's tokens
// through its JWKS over real HTTP while the issuer rotates its key: the new
// key is picked up with its first token, old tokens keep verifying while the
// old key is published, and stop once it is withdrawn, even when the
// verifier caches verified tokens.
func TestVerifierRotation(t *testing.T) {
	for _, size := range []int{0, 16} {
		t.Run(fmt.Sprintf("VerifiedCacheSize=%d", size), func(t *testing.T) { testVerifierRotation(t, size) })
	}
}

func testVerifierRotation(t *testing.T, cacheSize int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	oldKey, newKey := webKey(1), webKey(2)
	before, clk := newTestManager(t, Config{Key: oldKey})
	iss := newIssuerServer(t, before)
	rs := resourceServer(t, newWebVerifier(t, ctx, VerifierConfig{JWKSURL: iss.jwksURL(), Config: Config{Now: clk.Now, VerifiedCacheSize: cacheSize}}))
	check := func(step, tok string, want answer, wantFetches int32) {
		t.Helper()
		got := send(t, rs.Client(), "GET", rs.URL, bearer(tok))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: got %+v, want %+v (-want +got):\n%s", step, got, want, diff)
		}
		if n := iss.fetches.Load(); n != wantFetches {
			t.Errorf("%s: the JWKS was fetched %d times, want %d", step, n, wantFetches)
		}
	}
	ok := answer{Status: 200, Body: "access user-1 fresh=true"}

	oldToken := mustIssue(t, before, "user-1").Access
	check("before the rotation", oldToken, ok, 1)

	// Rotate: sign with the new key, keep verifying with the old one.
	during, _ := newTestManager(t, Config{Key: newKey, VerifyKeys: []any{oldKey.Public()}, Now: clk.Now})
	iss.publish(during.JWKSHandler())
	newToken := mustIssue(t, during, "user-1").Access
	check("new key, first token", newToken, ok, 2)
	check("old token during the rotation", oldToken, ok, 2)
	check("new token again", newToken, ok, 2)

	// Withdraw the old key. The resource server notices at its next fetch,
	// which a token with an unknown kid sets off once the rate limit allows.
	after, _ := newTestManager(t, Config{Key: newKey, Now: clk.Now})
	iss.publish(after.JWKSHandler())
	check("old token, withdrawal not yet fetched", oldToken, ok, 2)
	clk.Advance(defaultMinRefetch)
	outsider, _ := newTestManager(t, Config{Key: webKey(3), Now: clk.Now})
	stranger := mustIssue(t, outsider, "user-1").Access
	check("unpublished key", stranger, unknownKey, 3)
	check("old token after the withdrawal", oldToken, unknownKey, 3)
	check("new token after the withdrawal", newToken, ok, 3)
}

// TestVerifierRefetchRateLimit checks that unknown kids set off at most one
// fetch per MinRefetchInterval, however many arrive at once.
func TestVerifierRefetchRateLimit(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, clk := newTestManager(t, Config{Key: webKey(1)})
	iss := newIssuerServer(t, m)
	v := newWebVerifier(t, ctx, VerifierConfig{JWKSURL: iss.jwksURL(), MinRefetchInterval: time.Minute, Config: Config{Now: clk.Now}})
	next, _ := newTestManager(t, Config{Key: webKey(2), Now: clk.Now})
	tok := mustIssue(t, next, "user-1").Access

	steps := []struct {
		name        string
		advance     time.Duration
		publishNext bool
		callers     int
		wantErr     error
		wantFetches int32
		reason      string
	}{
		{"first unknown kid", 0, false, 1, ErrUnknownKey, 2, "fetches at once"},
		{"second unknown kid", 0, false, 1, ErrUnknownKey, 2, "rate-limited"},
		{"published but limited", 59 * time.Second, true, 1, ErrUnknownKey, 2, "the limit holds even though the key is out"},
		{"limit over", time.Second, false, 1, nil, 3, "a minute after the last fetch"},
		{"known kid", 0, false, 1, nil, 3, "no fetch for a known key"},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		if s.publishNext {
			iss.publish(next.JWKSHandler())
		}
		_, err := v.RequireAccess(context.Background(), tok)
		if !errors.Is(err, s.wantErr) || (err == nil) != (s.wantErr == nil) {
			t.Errorf("%s: RequireAccess = %v, want %v (%s)", s.name, err, s.wantErr, s.reason)
		}
		if n := iss.fetches.Load(); n != s.wantFetches {
			t.Errorf("%s: %d fetches, want %d (%s)", s.name, n, s.wantFetches, s.reason)
		}
	}

	// Many callers at once with an unknown kid: one fetch.
	clk.Advance(time.Minute)
	outsider, _ := newTestManager(t, Config{Key: webKey(3), Now: clk.Now})
	unknown := mustIssue(t, outsider, "user-1").Access
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := v.RequireAccess(context.Background(), unknown); !errors.Is(err, ErrUnknownKey) {
				t.Errorf("concurrent unknown kid: %v, want ErrUnknownKey", err)
			}
		}()
	}
	wg.Wait()
	if n := iss.fetches.Load(); n != 4 {
		t.Errorf("20 concurrent unknown kids made %d fetches in all, want 4", n)
	}
}

// TestVerifierBackgroundRefresh checks that the periodic refresh alone
// brings in a new key (the rate limit keeps the unknown-kid refetch out).
// It waits at most a few seconds for the one-second refresh timer.
func TestVerifierBackgroundRefresh(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, clk := newTestManager(t, Config{Key: webKey(1)})
	iss := newIssuerServer(t, m)
	v := newWebVerifier(t, ctx, VerifierConfig{
		JWKSURL:            iss.jwksURL(),
		RefreshInterval:    time.Second,
		MinRefetchInterval: time.Hour,
		Config:             Config{Now: clk.Now},
	})
	next, _ := newTestManager(t, Config{Key: webKey(2), Now: clk.Now})
	tok := mustIssue(t, next, "user-1").Access
	if _, err := v.RequireAccess(ctx, tok); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("before publishing: %v, want ErrUnknownKey", err)
	}
	iss.publish(next.JWKSHandler())

	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := v.RequireAccess(ctx, tok)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("5 s after publishing, with a 1 s refresh interval: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestVerifierKeyTypes issues with each kind of asymmetric key and verifies
// through the published set, which must carry each key's algorithm.
func TestVerifierKeyTypes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tests := []struct {
		name string
		key  any
		alg  string
	}{
		{"EdDSA", webKey(1), ""},
		{"ES256", webECKey(), ""},
		{"RS256", webRSAKey(), ""},
		{"PS256", webRSAKey(), "PS256"},
	}
	for _, tt := range tests {
		m, clk := newTestManager(t, Config{Key: tt.key, Algorithm: tt.alg})
		iss := newIssuerServer(t, m)
		v := newWebVerifier(t, ctx, VerifierConfig{JWKSURL: iss.jwksURL(), Config: Config{Now: clk.Now}})
		p := mustIssue(t, m, "user-1")
		want, err := m.RequireFresh(ctx, p.Access)
		if err != nil {
			t.Fatal(err)
		}
		got, err := v.RequireFresh(ctx, p.Access)
		if err != nil {
			t.Errorf("%s: the verifier refused the token: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(Claims{})); diff != "" {
			t.Errorf("%s: got %+v, want %+v (-want +got):\n%s", tt.name, got, want, diff)
		}
	}
}

// TestVerifierIgnoresUnusableKeys serves a set with a symmetric key and an
// encryption key beside a signing key: tokens naming either are refused.
func TestVerifierIgnoresUnusableKeys(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	secret := []byte("0123456789abcdef0123456789abcdef")
	good, clk := newTestManager(t, Config{Key: webKey(1)})
	hmacIssuer, _ := newTestManager(t, Config{Key: secret, KeyID: "shared", Now: clk.Now})
	encIssuer, _ := newTestManager(t, Config{Key: webECKey(), KeyID: "enc", Now: clk.Now})

	set := jwk.NewSet()
	for _, k := range []struct {
		raw    any
		params map[string]any
	}{
		{secret, map[string]any{"kid": "shared", "alg": "HS256"}},
		{&webECKey().PublicKey, map[string]any{"kid": "enc", "use": "enc"}},
		{webKey(1).Public(), map[string]any{"kid": good.ring.Load().keys[0].id, "alg": "EdDSA"}},
	} {
		jk, err := jwk.FromRaw(k.raw)
		if err != nil {
			t.Fatal(err)
		}
		for name, v := range k.params {
			if err := jk.Set(name, v); err != nil {
				t.Fatal(err)
			}
		}
		set.AddKey(jk)
	}
	body, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer srv.Close()
	v := newWebVerifier(t, ctx, VerifierConfig{JWKSURL: srv.URL, Config: Config{Now: clk.Now}})

	tests := []struct {
		name   string
		tok    string
		want   error
		reason string
	}{
		{"oct key", mustIssue(t, hmacIssuer, "user-1").Access, ErrUnknownKey, "a secret from a URL would let its publisher (or anyone who read it) sign"},
		{"encryption key", mustIssue(t, encIssuer, "user-1").Access, ErrUnknownKey, `"use": "enc" is not for signatures`},
		{"signing key", mustIssue(t, good, "user-1").Access, nil, ""},
	}
	for _, tt := range tests {
		_, err := v.RequireAccess(ctx, tt.tok)
		if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
			t.Errorf("%s: RequireAccess = %v, want %v (%s)", tt.name, err, tt.want, tt.reason)
		}
	}
}

func TestVerifierCannotSign(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, clk := newTestManager(t, Config{Key: webKey(1)})
	v := newWebVerifier(t, ctx, VerifierConfig{JWKSURL: newIssuerServer(t, m).jwksURL(), Config: Config{Now: clk.Now}})
	p := mustIssue(t, m, "user-1")

	// A Verifier has no method that signs or revokes, so calling one does
	// not compile; a Manager has them all, and every guard besides.
	vt, mt := reflect.TypeOf(v), reflect.TypeOf(m)
	for _, name := range []string{"Issue", "Refresh", "Logout", "LogoutEverywhere", "RevokeAccessToken", "JWKSHandler"} {
		if _, ok := vt.MethodByName(name); ok {
			t.Errorf("*Verifier has a %s method; it must only verify", name)
		}
		if _, ok := mt.MethodByName(name); !ok {
			t.Errorf("*Manager lacks %s", name)
		}
	}
	for _, name := range []string{"RequireAccess", "RequireFresh", "RequireLoginWithin", "RequireRefresh"} {
		if _, ok := vt.MethodByName(name); !ok {
			t.Errorf("*Verifier lacks the guard %s", name)
		}
	}
	if _, err := v.RequireRefresh(ctx, p.Refresh); err != nil {
		t.Errorf("RequireRefresh on a verifier: %v", err)
	}
}

// TestVerifierStopped cancels the verifier's context: known keys keep
// verifying, and an unknown kid no longer tries to fetch.
func TestVerifierStopped(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	m, clk := newTestManager(t, Config{Key: webKey(1)})
	iss := newIssuerServer(t, m)
	v := newWebVerifier(t, ctx, VerifierConfig{JWKSURL: iss.jwksURL(), Config: Config{Now: clk.Now}})
	cancel()
	for deadline := time.Now().Add(time.Second); !v.remote.stopped.Load(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the verifier did not notice its context end")
		}
	}
	if _, err := v.RequireAccess(ctx, mustIssue(t, m, "user-1").Access); err != nil {
		t.Errorf("known key after stop: %v", err)
	}
	outsider, _ := newTestManager(t, Config{Key: webKey(2), Now: clk.Now})
	unknown := mustIssue(t, outsider, "user-1").Access
	if _, err := v.RequireAccess(ctx, unknown); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unknown key after stop: %v, want ErrUnknownKey", err)
	}
	if n := iss.fetches.Load(); n != 1 {
		t.Errorf("%d fetches after stop, want only the first", n)
	}
}

func TestNewVerifierErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	serve := func(status int, body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			w.Write([]byte(body))
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	issuer, _ := newTestManager(t, Config{Key: webKey(1)})
	good := newIssuerServer(t, issuer).jwksURL()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	octOnly := `{"keys":[{"kty":"oct","k":"` + base64.RawURLEncoding.EncodeToString(make([]byte, 32)) + `","kid":"s"}]}`

	tests := []struct {
		name   string
		cfg    VerifierConfig
		want   error
		reason string
	}{
		{"signing key", VerifierConfig{JWKSURL: good, Config: Config{Key: webKey(1)}}, ErrInvalidConfig, "a verifier never signs"},
		{"key ID", VerifierConfig{JWKSURL: good, Config: Config{KeyID: "k"}}, ErrInvalidConfig, "a verifier never signs"},
		{"Flask profile", VerifierConfig{JWKSURL: good, Config: Config{Flask: &FlaskOptions{}}}, ErrInvalidConfig, "Flask-JWT-Extended publishes no JWK Set"},
		{"no URL", VerifierConfig{}, ErrInvalidConfig, ""},
		{"relative URL", VerifierConfig{JWKSURL: "/jwks.json"}, ErrInvalidConfig, ""},
		{"file URL", VerifierConfig{JWKSURL: "file:///etc/jwks.json"}, ErrInvalidConfig, ""},
		{"plain http to another host", VerifierConfig{JWKSURL: "http://auth.example.com/jwks.json"}, ErrInvalidConfig, "refused before any fetch"},
		{"short refresh", VerifierConfig{JWKSURL: good, RefreshInterval: time.Millisecond}, ErrInvalidConfig, ""},
		{"bad TTL", VerifierConfig{JWKSURL: good, Config: Config{AccessTTL: -time.Second}}, ErrInvalidConfig, "the Config rules of New apply"},
		{"unreachable", VerifierConfig{JWKSURL: closed.URL}, ErrInvalidConfig, "shows at start"},
		{"server error", VerifierConfig{JWKSURL: serve(500, "")}, ErrInvalidConfig, ""},
		{"not a set", VerifierConfig{JWKSURL: serve(200, "<html>")}, ErrInvalidConfig, ""},
		{"too large", VerifierConfig{JWKSURL: serve(200, `{"keys":[],"x":"`+strings.Repeat("a", maxJWKSSize)+`"}`)}, ErrInvalidConfig, "1 MiB at most"},
		{"empty set", VerifierConfig{JWKSURL: serve(200, `{"keys":[]}`)}, ErrInvalidKey, "nothing to verify with"},
		{"only a secret", VerifierConfig{JWKSURL: serve(200, octOnly)}, ErrInvalidKey, "secrets are ignored"},
	}
	for _, tt := range tests {
		v, err := NewVerifier(ctx, tt.cfg)
		if v != nil || !errors.Is(err, tt.want) {
			t.Errorf("%s: NewVerifier = %v, %v; want nil, %v (%s)", tt.name, v, err, tt.want, tt.reason)
		}
	}
}

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

func TestCheckJWKSURL(t *testing.T) {
	tests := []struct {
		url      string
		insecure bool
		ok       bool
	}{
		{"https://auth.example.com/jwks", false, true},
		{"http://127.0.0.1:8080/jwks", false, true},
		{"http://[::1]:8080/jwks", false, true},
		{"http://localhost/jwks", false, true},
		{"http://auth.example.com/jwks", false, false},
		{"http://auth.example.com/jwks", true, true},
		{"http://127.0.0.1.example.com/jwks", false, false},
		{"ftp://auth.example.com/jwks", true, false},
		{"https:///jwks", false, false},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		err = checkJWKSURL(u, tt.insecure)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalidConfig)) {
			t.Errorf("checkJWKSURL(%s, insecure %t) = %v, want ok %t", tt.url, tt.insecure, err, tt.ok)
		}
	}
}

// TestJWKSHandler checks what is published: every asymmetric key's public
// half with the kid its tokens carry, no private part, no HMAC secret.
func TestJWKSHandler(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	m, _ := newTestManager(t, Config{Key: webKey(1), VerifyKeys: []any{webECKey(), &webRSAKey().PublicKey, secret}})
	srv := httptest.NewServer(m.JWKSHandler())
	defer srv.Close()

	res, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); res.StatusCode != 200 || ct != "application/jwk-set+json" {
		t.Fatalf("GET: status %d, Content-Type %q", res.StatusCode, ct)
	}
	var set struct{ Keys []map[string]any }
	if err := json.NewDecoder(res.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	type published struct{ Kid, Alg, Use, Kty string }
	var got []published
	for _, k := range set.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k", "oth"} {
			if _, ok := k[private]; ok {
				t.Errorf("key %v publishes the private member %q", k["kid"], private)
			}
		}
		got = append(got, published{k["kid"].(string), k["alg"].(string), k["use"].(string), k["kty"].(string)})
	}
	want := []published{
		{m.ring.Load().keys[0].id, "EdDSA", "sig", "OKP"},
		{m.ring.Load().keys[1].id, "ES256", "sig", "EC"},
		{m.ring.Load().keys[2].id, "RS256", "sig", "RSA"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("got %v, want %v (-want +got):\n%s", got, want, diff)
	}
	header := decodeSegment(t, mustIssue(t, m, "user-1").Access, 0)
	if !slices.ContainsFunc(got, func(p published) bool { return p.Kid == header["kid"] }) {
		t.Errorf("the token's kid %v is not published", header["kid"])
	}

	tests := []struct {
		method     string
		wantStatus int
		wantAllow  string
	}{
		{"HEAD", 200, ""},
		{"POST", 405, "GET, HEAD"},
	}
	for _, tt := range tests {
		a := send(t, srv.Client(), tt.method, srv.URL, nil)
		req, _ := http.NewRequest(tt.method, srv.URL, nil)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if a.Status != tt.wantStatus || res.Header.Get("Allow") != tt.wantAllow {
			t.Errorf("%s: status %d, Allow %q; want %d, %q", tt.method, a.Status, res.Header.Get("Allow"), tt.wantStatus, tt.wantAllow)
		}
	}

	hmacOnly, _ := newTestManager(t, Config{Key: secret})
	rec := httptest.NewRecorder()
	hmacOnly.JWKSHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got := rec.Body.String(); got != `{"keys":[]}` {
		t.Errorf("an HMAC-only Manager publishes %s, want an empty set", got)
	}
}

// TestVerifierSharedStore has a resource server share the issuer's
// revocation store: a logout at the issuer refuses the session's tokens at
// the resource server too.
func TestVerifierSharedStore(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := NewMemoryStore()
	m, clk := newTestManager(t, Config{Key: webKey(1), Store: store})
	rs := resourceServer(t, newWebVerifier(t, ctx, VerifierConfig{JWKSURL: newIssuerServer(t, m).jwksURL(), Config: Config{Store: store, Now: clk.Now}}))
	p := mustIssue(t, m, "user-1")

	if got := send(t, rs.Client(), "GET", rs.URL, bearer(p.Access)); got.Status != 200 {
		t.Fatalf("before logout: %+v", got)
	}
	if err := m.Logout(ctx, p.Refresh); err != nil {
		t.Fatal(err)
	}
	want := answer{Status: 401, Body: ErrRevoked.Error()}
	if got := send(t, rs.Client(), "GET", rs.URL, bearer(p.Access)); got != want {
		t.Errorf("after logout at the issuer: got %+v, want %+v", got, want)
	}
}

// A refetch of an unchanged JWK Set keeps verified tokens cached, however
// often a stranger's kid sets one off; a key replaced under the same kid
// ends its tokens' cache entries, so they are verified again and refused.
func TestVerifierCacheSurvivesRefetch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	issuer, clk := newTestManager(t, Config{Key: webKey(1), KeyID: "k1"})
	iss := newIssuerServer(t, issuer)
	v := newWebVerifier(t, ctx, VerifierConfig{JWKSURL: iss.jwksURL(), Config: Config{Now: clk.Now, VerifiedCacheSize: 16}})
	outsider, _ := newTestManager(t, Config{Key: webKey(3), Now: clk.Now})
	stranger := mustIssue(t, outsider, "user-1").Access
	refetch := func(want int32) {
		t.Helper()
		clk.Advance(defaultMinRefetch)
		if _, err := v.RequireAccess(ctx, stranger); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("stranger's token: %v, want ErrUnknownKey", err)
		}
		if n := iss.fetches.Load(); n != want {
			t.Fatalf("%d fetches, want %d", n, want)
		}
	}

	tok := mustIssue(t, issuer, "user-1").Access
	if _, err := v.RequireAccess(ctx, tok); err != nil {
		t.Fatal(err)
	}
	cached, ok := v.cache.entries.Load(tok)
	if !ok {
		t.Fatal("the verified token is not cached")
	}
	refetch(2)
	if _, err := v.RequireAccess(ctx, tok); err != nil {
		t.Fatalf("after refetching an unchanged set: %v", err)
	}
	if e, _ := v.cache.entries.Load(tok); e != cached {
		t.Error("refetching an unchanged set dropped the cached token; it was verified again")
	}

	impostor, _ := newTestManager(t, Config{Key: webKey(2), KeyID: "k1", Now: clk.Now})
	iss.publish(impostor.JWKSHandler())
	refetch(3)
	if _, err := v.RequireAccess(ctx, tok); !errors.Is(err, ErrSignature) {
		t.Errorf("token of a key replaced under its kid: %v, want ErrSignature", err)
	}
}

// hangGuard is how long a test waits for a call that must not hang before it
// calls it hung: far beyond any fair answer, so a busy machine cannot make
// a test fail, only a real hang.
const hangGuard = 30 * time.Second

// returns runs f and reports whether it returned within hangGuard; if not,
// it fails the test, and f is left running.
func returns(t *testing.T, what string, f func()) bool {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
		return true
	case <-time.After(hangGuard):
		t.Errorf("%s had not returned after %s", what, hangGuard)
		return false
	}
}

// setFetchTimeout sets the fetch timeout of the verifiers the test builds
// from now on.
func setFetchTimeout(t *testing.T, d time.Duration) {
	old := jwksFetchTimeout
	jwksFetchTimeout = d
	t.Cleanup(func() { jwksFetchTimeout = old })
}

// stall makes iss take every request and never answer, until the client
// gives up or the test ends. Each request that arrives is sent on the
// returned channel.
func stall(t *testing.T, iss *issuerServer) <-chan struct{} {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // runs before iss.Close, which waits for the handlers
	arrived := make(chan struct{}, 1000)
	iss.publish(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	return arrived
}

// TestVerifierRefetchHonoursContext has a token with an unknown kid set off
// a fetch from an issuer that never answers: the guard returns when its
// context ends, both the caller that started the fetch and one that waits
// for it, and refuses the token.
func TestVerifierRefetchHonoursContext(t *testing.T) {
	// A fetch timeout far beyond the hang guard: only the guard's own
	// context can bring it back in time.
	setFetchTimeout(t, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, clk := newTestManager(t, Config{Key: webKey(1)})
	iss := newIssuerServer(t, m)
	v := newWebVerifier(t, ctx, VerifierConfig{JWKSURL: iss.jwksURL(), HTTPClient: &http.Client{}, Config: Config{Now: clk.Now}})
	arrived := stall(t, iss)
	outsider, _ := newTestManager(t, Config{Key: webKey(2), Now: clk.Now})
	unknown := mustIssue(t, outsider, "user-1").Access

	for i, who := range []string{"the caller that starts the fetch", "a caller that waits for it"} {
		reqCtx, cancelReq := context.WithTimeout(ctx, 50*time.Millisecond)
		var err error
		if !returns(t, "RequireAccess with a 50 ms deadline, for "+who, func() { _, err = v.RequireAccess(reqCtx, unknown) }) {
			cancelReq()
			t.FailNow()
		}
		cancelReq()
		if !errors.Is(err, ErrUnknownKey) {
			t.Errorf("%s: RequireAccess = %v, want ErrUnknownKey", who, err)
		}
		if i == 0 {
			// The second caller must find the fetch hanging at the issuer.
			if !returns(t, "waiting for the fetch to reach the issuer", func() { <-arrived }) {
				t.FailNow()
			}
		}
	}
	if n := iss.fetches.Load(); n != 2 {
		t.Errorf("the issuer was fetched %d times, want 2: NewVerifier's, and one for both callers", n)
	}

	// The lookup says why it gave up, so errors.Is can match the deadline
	// once readHeader passes its error on.
	reqCtx, cancelReq := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancelReq()
	var k *key
	var err error
	if returns(t, "lookup with a 50 ms deadline", func() { k, err = v.remote.lookup(reqCtx, []byte("no-such-kid"), clk.Now) }) {
		if k != nil || !errors.Is(err, ErrUnknownKey) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("lookup = %v, %v; want nil and an error matching ErrUnknownKey and context.DeadlineExceeded", k, err)
		}
	}
}

// TestVerifierFetchTimeout gives the verifier an http.Client without a
// Timeout and an issuer that stops answering: every fetch must still end,
// so that the verifier picks up a new key once the issuer answers again.
// Fetches without a deadline used to hang for good; jwk.Cache fetches with
// three workers, and three such fetches left it unable to fetch at all.
func TestVerifierFetchTimeout(t *testing.T) {
	setFetchTimeout(t, 100*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, clk := newTestManager(t, Config{Key: webKey(1)})
	iss := newIssuerServer(t, m)
	v := newWebVerifier(t, ctx, VerifierConfig{
		JWKSURL:            iss.jwksURL(),
		HTTPClient:         &http.Client{},
		MinRefetchInterval: -1, // every unknown kid fetches
		Config:             Config{Now: clk.Now},
	})
	next, _ := newTestManager(t, Config{Key: webKey(2), Now: clk.Now})
	tok := mustIssue(t, next, "user-1").Access

	// The loops run on returns' goroutine, which a hang would leave running:
	// they report through wrong, never through t.
	var wrong atomic.Pointer[string]
	note := func(when string, err error) {
		s := when + ": RequireAccess = " + fmt.Sprint(err)
		wrong.Store(&s)
	}
	arrived := stall(t, iss)
	stalled := returns(t, "fetching from the stalled issuer", func() {
		for n := 0; n < 3; {
			if _, err := v.RequireAccess(ctx, tok); !errors.Is(err, ErrUnknownKey) {
				note("issuer stalled, want ErrUnknownKey", err)
			}
			for len(arrived) > 0 {
				<-arrived
				n++
			}
		}
	})
	if !stalled {
		t.FailNow()
	}
	if s := wrong.Load(); s != nil {
		t.Error(*s)
	}

	iss.publish(next.JWKSHandler())
	wrong.Store(nil)
	if !returns(t, "picking up the new key once the issuer answers again", func() {
		for {
			_, err := v.RequireAccess(ctx, tok)
			if err == nil {
				return
			}
			note("last try", err)
		}
	}) {
		if s := wrong.Load(); s != nil {
			t.Error(*s)
		}
	}
}
