package freshtoken

// This file holds the helpers shared by the tests of package freshtoken,
// the tests that see unexported names. The tests of package
// freshtoken_test, which use only the exported API, keep theirs in
// external_helpers_test.go: a Go file belongs to one package, so each test
// package has a helpers file of its own. A helper that one test file uses
// stays in that file.

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
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken/internal/testhttp"

	"github.com/freshtoken/freshtoken/internal/testclock"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Keys, Managers and the tokens they issue.

// t0 is when every test's clock starts.
var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

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

// webKey returns a fixed Ed25519 key; seed selects which.
func webKey(seed byte) ed25519.PrivateKey {
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	return ed25519.NewKeyFromSeed(s)
}

// newTestManager is the tests' one way to make a Manager: New(cfg), with a
// nil cfg.Key meaning the Ed25519 test key and a nil cfg.Now a test clock
// at t0, which it returns (unused when cfg.Now was set).
func newTestManager(t testing.TB, cfg Config) (*Manager, *testclock.Clock) {
	t.Helper()
	clk := testclock.New(t0)
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

// signer is the key m signs with now.
func (m *Manager) signer() *signingKey { return m.ring.Load().signing }

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

// claimsOpts compares Claims on what the caller sees, leaving the random
// identifiers to checks of their own.
var claimsOpts = cmp.Options{
	cmpopts.IgnoreUnexported(Claims{}),
	cmpopts.IgnoreFields(Claims{}, "ID", "SessionID", "CSRF"),
}

// idPattern is 128 random bits in unpadded base64url.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

// What the guards answer.

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

// sentinels are every error a guard may wrap; each rejection wraps exactly one.
var sentinels = []error{
	ErrMalformed, ErrSignature, ErrUnknownKey, ErrInvalidClaims, ErrExpired,
	ErrNotYetValid, ErrWrongType, ErrNotFresh, ErrRevoked, ErrStoreUnavailable,
	ErrKeysUnavailable, ErrInvalidKey, ErrInvalidConfig,
}

// matchedSentinels lists the sentinels err matches.
func matchedSentinels(err error) []error {
	var got []error
	for _, s := range sentinels {
		if errors.Is(err, s) {
			got = append(got, s)
		}
	}
	return got
}

// sizeRefusal is the whole error a guard returns for a token longer than
// the configured maximum: the sentinel and a fixed detail, nothing of the
// token.
var sizeRefusal = ErrMalformed.Error() + ": token larger than the configured maximum"

// parseOutcome is what parse said about a token, comparable with cmp.
type parseOutcome struct {
	Claims *Claims
	Err    string
}

func outcome(c *Claims, err error) parseOutcome {
	o := parseOutcome{Claims: c}
	if err != nil {
		o.Err = err.Error()
	}
	return o
}

// cacheLen counts the cache's entries.
func cacheLen(m *Manager) int {
	n := 0
	m.cache.entries.Range(func(any, any) bool { n++; return true })
	return n
}

// Tokens written by hand.

// members is a JSON object under construction: names with raw JSON values,
// in order, repeats allowed, so that tests can write what encoding/json never would.
type members [][2]string

func (ms members) set(name, raw string) members {
	out := append(members(nil), ms...)
	for i := range out {
		if out[i][0] == name {
			out[i][1] = raw
			return out
		}
	}
	return append(out, [2]string{name, raw})
}

func (ms members) add(name, raw string) members {
	return append(append(members(nil), ms...), [2]string{name, raw})
}

func (ms members) del(name string) members {
	var out members
	for _, m := range ms {
		if m[0] != name {
			out = append(out, m)
		}
	}
	return out
}

func (ms members) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + m[0] + `":` + m[1])
	}
	b.WriteByte('}')
	return b.String()
}

// forge hand-crafts tokens for a Manager and signs them with its real keys,
// so that a hostile token gets past the signature whenever the rule it tests
// comes later. The Manager signs with Ed25519 and also verifies HS256 tokens
// under the key ID "hs".
type forge struct {
	t   testing.TB
	m   *Manager
	now int64
}

const hmacKID = "hs"

func newForge(t testing.TB) *forge {
	m, _ := newTestManager(t, Config{
		Key:        testKeys().ed,
		VerifyKeys: []any{mustJWK(t, testKeys().hs256, map[string]any{"kid": hmacKID})},
	})
	return &forge{t: t, m: m, now: t0.Unix()}
}

func (f *forge) unix(d time.Duration) string {
	return strconv.FormatInt(f.now+int64(d/time.Second), 10)
}

// accessClaims and refreshClaims are what Issue writes at t0, in its order.
func (f *forge) accessClaims() members {
	return members{
		{"sub", `"user-42"`}, {"exp", f.unix(15 * time.Minute)}, {"iat", f.unix(0)},
		{"jti", `"j1"`}, {"sid", `"s1"`}, {"auth_time", f.unix(0)}, {"type", `"access"`}, {"fresh", "true"},
	}
}

func (f *forge) refreshClaims() members {
	return members{
		{"sub", `"user-42"`}, {"exp", f.unix(30 * 24 * time.Hour)}, {"iat", f.unix(0)},
		{"jti", `"s1"`}, {"sid", `"s1"`}, {"auth_time", f.unix(0)}, {"type", `"refresh"`},
	}
}

func (f *forge) header(typ string) members {
	return members{{"alg", `"EdDSA"`}, {"typ", `"` + typ + `"`}, {"kid", `"` + f.m.signer().id + `"`}}
}

var b64 = base64.RawURLEncoding.EncodeToString

// signParts appends an Ed25519 signature over already encoded parts.
func (f *forge) signParts(h64, p64 string) string {
	sig, err := f.m.signer().sign([]byte(h64 + "." + p64))
	if err != nil {
		f.t.Fatalf("sign: %v", err)
	}
	return h64 + "." + p64 + "." + b64(sig)
}

// sign encodes header and payload and signs them with the Ed25519 key.
func (f *forge) sign(header, payload string) string {
	return f.signParts(b64([]byte(header)), b64([]byte(payload)))
}

// access and refresh sign a well-formed header over claims.
func (f *forge) access(claims members) string {
	return f.sign(f.header("at+jwt").String(), claims.String())
}

func (f *forge) refresh(claims members) string {
	return f.sign(f.header("refresh+jwt").String(), claims.String())
}

// withAccessHeader signs the access claims under header.
func (f *forge) withAccessHeader(header members) string {
	return f.sign(header.String(), f.accessClaims().String())
}

// valid is a forged access token every guard accepts.
func (f *forge) valid() string { return f.access(f.accessClaims()) }

// HTTP.

// answer, send and bearer are the shared HTTP test helpers.
type answer = testhttp.Answer

var (
	send   = testhttp.Send
	bearer = testhttp.Bearer
)
