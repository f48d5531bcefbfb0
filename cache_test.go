package freshtoken

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func issueN(t *testing.T, m *Manager, n int, opts ...IssueOption) []*Pair {
	t.Helper()
	pairs := make([]*Pair, n)
	for i := range pairs {
		p, err := m.Issue(context.Background(), fmt.Sprintf("user-%d", i), opts...)
		if err != nil {
			t.Fatal(err)
		}
		pairs[i] = p
	}
	return pairs
}

// cached reports whether tok is in m's cache.
func cached(m *Manager, tok string) bool {
	_, ok := m.cache.entries.Load(tok)
	return ok
}

// cacheClaimsOpts compares everything, unexported fields too: a hit must
// give exactly what a miss gives.
var cacheClaimsOpts = cmp.Options{cmp.AllowUnexported(Claims{}), cmpopts.EquateEmpty()}

func TestCacheHitGivesTheSameClaimsAsAMiss(t *testing.T) {
	m, _ := newTestManager(t, Config{Key: testKeys().hs256, VerifiedCacheSize: 16, Issuer: "https://auth.example.com", Audience: []string{"api"}})
	p := issueN(t, m, 1, WithClaims(map[string]any{"role": "admin", "scopes": []any{"read", map[string]any{"write": true}}}))[0]
	ctx := context.Background()

	miss, err := m.RequireFresh(ctx, p.Access)
	if err != nil {
		t.Fatal(err)
	}
	if !cached(m, p.Access) {
		t.Fatal("a verified token was not cached")
	}
	hit, err := m.RequireFresh(ctx, p.Access)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(miss, hit, cacheClaimsOpts); diff != "" {
		t.Errorf("got claims from the cache that differ from the verified ones (-want +got):\n%s", diff)
	}
}

func TestCacheHitsAreCopies(t *testing.T) {
	m, _ := newTestManager(t, Config{Key: testKeys().hs256, VerifiedCacheSize: 16, Audience: []string{"api"}})
	p := issueN(t, m, 1, WithClaims(map[string]any{"role": "admin", "scopes": []any{"read"}}))[0]
	ctx := context.Background()
	var want *Claims
	for _, name := range []string{"miss", "hit"} {
		c, err := m.RequireAccess(ctx, p.Access)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want == nil {
			want = c.clone()
		}
		c.Subject = "someone-else"
		c.Audience[0] = "other"
		c.Extra["role"] = "root"
		c.Extra["scopes"].([]any)[0] = "write"
		c.rawExtra += `,"x":1`
	}
	got, err := m.RequireAccess(ctx, p.Access)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cacheClaimsOpts); diff != "" {
		t.Errorf("changing returned claims changed the cached ones (-want +got):\n%s", diff)
	}
}

func TestCacheNeverServesAChangedToken(t *testing.T) {
	m, _ := newTestManager(t, Config{Key: testKeys().hs256, VerifiedCacheSize: 16})
	p := issueN(t, m, 1)[0]
	ctx := context.Background()
	if _, err := m.RequireFresh(ctx, p.Access); err != nil {
		t.Fatal(err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	// change replaces the character at i with the one whose 6 bits differ in mask.
	change := func(i int, mask byte) string {
		b := []byte(p.Access)
		b[i] = alphabet[strings.IndexByte(alphabet, b[i])^int(mask)]
		return string(b)
	}
	last := len(p.Access) - 1
	sig := len(p.Access) - 43 // first character of the HS256 signature
	tests := []struct {
		name   string
		tok    string
		want   error
		reason string
	}{
		{"signature changed", change(sig, 0b100000), ErrSignature, "the cached token's other bytes must not be enough"},
		{"same signature bytes, other encoding", change(last, 1), ErrMalformed, "the last character's two low bits are padding and must be zero"},
		{"payload changed", change(len(m.ring.Load().header(AccessToken))+5, 1), ErrSignature, "a claim changed under the same signature"},
		{"character appended", p.Access + "A", ErrSignature, "a longer token is a different token"},
		{"signature removed", p.Access[:sig], ErrMalformed, "a prefix of the cached token is a different token"},
	}
	for _, tt := range tests {
		c, err := m.RequireFresh(ctx, tt.tok)
		if !errors.Is(err, tt.want) || c != nil {
			t.Errorf("%s: got %v, %v; want nil, %v (%s)", tt.name, c, err, tt.want, tt.reason)
		}
		if cached(m, tt.tok) {
			t.Errorf("%s: a rejected token was cached", tt.name)
		}
	}
}

// Every rule outside the signature and the decoding runs on cached tokens.
func TestCachedTokensAreStillChecked(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		advance time.Duration
		guard   func(m *Manager, p *Pair) error
		want    error
		reason  string
	}{
		{
			name:    "expired",
			advance: DefaultAccessTTL + DefaultLeeway,
			guard:   func(m *Manager, p *Pair) error { _, err := m.RequireAccess(ctx, p.Access); return err },
			want:    ErrExpired,
			reason:  "a cached access token is rejected once it expires",
		},
		{
			name:    "expired refresh token",
			advance: DefaultRefreshTTL + DefaultLeeway,
			guard:   func(m *Manager, p *Pair) error { _, err := m.Refresh(ctx, p.Refresh); return err },
			want:    ErrExpired,
			reason:  "refresh goes through the same cache",
		},
		{
			name:    "no longer fresh",
			advance: 5 * time.Minute,
			guard:   func(m *Manager, p *Pair) error { _, err := m.RequireFresh(ctx, p.Access); return err },
			want:    ErrNotFresh,
			reason:  "FreshFor is measured on every call",
		},
		{
			name:    "login too old",
			advance: 2 * time.Minute,
			guard: func(m *Manager, p *Pair) error {
				_, err := m.RequireLoginWithin(ctx, p.Access, time.Minute)
				return err
			},
			want:   ErrNotFresh,
			reason: "maxAge is measured on every call",
		},
		{
			name:   "wrong type",
			guard:  func(m *Manager, p *Pair) error { _, err := m.RequireAccess(ctx, p.Refresh); return err },
			want:   ErrWrongType,
			reason: "a cached refresh token is no access token",
		},
	}
	for _, tt := range tests {
		m, clk := newTestManager(t, Config{Key: testKeys().hs256, VerifiedCacheSize: 16, FreshFor: 5 * time.Minute})
		p := issueN(t, m, 1)[0]
		// Fill the cache with both tokens while they pass every rule.
		if _, err := m.RequireFresh(ctx, p.Access); err != nil {
			t.Fatal(err)
		}
		if _, err := m.RequireRefresh(ctx, p.Refresh); err != nil {
			t.Fatal(err)
		}
		clk.Advance(tt.advance)
		if err := tt.guard(m, p); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v (%s)", tt.name, err, tt.want, tt.reason)
		}
	}
}

func TestCacheNeverExceedsItsSize(t *testing.T) {
	ctx := context.Background()
	for _, size := range []int{1, 7, 8, 100, 300} {
		m, _ := newTestManager(t, Config{Key: testKeys().hs256, VerifiedCacheSize: size})
		for i, p := range issueN(t, m, 2*size+3) {
			if _, err := m.RequireFresh(ctx, p.Access); err != nil {
				t.Fatal(err)
			}
			n := cacheLen(m)
			if n > size {
				t.Fatalf("size %d, after %d tokens: %d entries", size, i+1, n)
			}
			// Below 16 entries there is one shard, which fills up exactly.
			if want := min(i+1, size); size < 16 && n != want {
				t.Fatalf("size %d, after %d tokens: %d entries, want %d", size, i+1, n, want)
			}
		}
	}
}

func TestCacheEvictsTheOldestFirst(t *testing.T) {
	ctx := context.Background()
	m, _ := newTestManager(t, Config{Key: testKeys().hs256, VerifiedCacheSize: 4}) // below 16 entries: one shard
	pairs := issueN(t, m, 6)
	for _, p := range pairs {
		if _, err := m.RequireFresh(ctx, p.Access); err != nil {
			t.Fatal(err)
		}
	}
	var got []bool
	for _, p := range pairs {
		got = append(got, cached(m, p.Access))
	}
	want := []bool{false, false, true, true, true, true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("got cached tokens %v, want %v (-want +got):\n%s", got, want, diff)
	}

	// A hit does not reorder: the oldest still goes first.
	if _, err := m.RequireFresh(ctx, pairs[2].Access); err != nil {
		t.Fatal(err)
	}
	if _, err := m.RequireFresh(ctx, pairs[0].Access); err != nil {
		t.Fatal(err)
	}
	if cached(m, pairs[2].Access) || !cached(m, pairs[0].Access) {
		t.Errorf("after re-adding the first token: got third cached %v, first cached %v; want false, true",
			cached(m, pairs[2].Access), cached(m, pairs[0].Access))
	}
}

func TestCacheUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	const size, goroutines, rounds = 32, 8, 50
	m, _ := newTestManager(t, Config{Key: testKeys().hs256, VerifiedCacheSize: size})
	pairs := issueN(t, m, 3*size)
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for i := range rounds {
				p := pairs[(g*7+i)%len(pairs)]
				c, err := m.RequireFresh(ctx, p.Access)
				if err == nil && c.Subject != fmt.Sprintf("user-%d", (g*7+i)%len(pairs)) {
					err = fmt.Errorf("got subject %q for token %d", c.Subject, (g*7+i)%len(pairs))
				}
				if err == nil {
					c.Subject = "changed" // must not reach other goroutines
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := cacheLen(m); n > size {
		t.Errorf("cache holds %d entries, more than %d", n, size)
	}
}

func TestCacheSizeMustNotBeNegative(t *testing.T) {
	_, err := New(Config{Key: testKeys().hs256, VerifiedCacheSize: -1})
	if !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("got %v, want ErrInvalidConfig", err)
	}
}

// The size is an upper bound, not an allocation: a Manager with room for
// any number of tokens starts with empty rings, which grow only as tokens
// arrive. This is checked on the cache's own structure; what New costs is
// measured by BenchmarkNewWithCache, since the runtime's allocation
// counters are process-wide and other goroutines move them.
func TestCacheSizeCostsNothingUpFront(t *testing.T) {
	for _, size := range []int{1, 7, 1 << 24, math.MaxInt} {
		m, _ := newTestManager(t, Config{Key: testKeys().hs256, VerifiedCacheSize: size})
		if len(m.cache.shards) > maxShards {
			t.Errorf("VerifiedCacheSize %d: %d shards, want at most %d", size, len(m.cache.shards), maxShards)
		}
		for i := range m.cache.shards {
			if sh := &m.cache.shards[i]; cap(sh.ring) != 0 {
				t.Errorf("VerifiedCacheSize %d: shard %d has room for %d tokens before any arrived, want none", size, i, cap(sh.ring))
			}
		}
		pair, err := m.Issue(context.Background(), "user-42")
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := m.RequireFresh(context.Background(), pair.Access); err != nil {
				t.Fatalf("VerifiedCacheSize %d: %v", size, err)
			}
		}
		// One token arrived: one ring holds it, grown by append alone.
		held, room := 0, 0
		for i := range m.cache.shards {
			held += len(m.cache.shards[i].ring)
			room += cap(m.cache.shards[i].ring)
		}
		if held != 1 || cacheLen(m) != 1 || room > 4 {
			t.Errorf("VerifiedCacheSize %d: after one token the rings hold %d with room for %d, and the cache %d entries; want 1, a few, 1",
				size, held, room, cacheLen(m))
		}
	}
}

func TestNoCacheByDefault(t *testing.T) {
	m, _ := newTestManager(t, Config{Key: testKeys().hs256})
	if m.cache != nil {
		t.Error("a Manager without VerifiedCacheSize has a cache")
	}
}

// switchStore is a MemoryStore that fails every lookup once down is set.
type switchStore struct {
	*MemoryStore
	down bool
}

var errStoreDown = errors.New("store down")

func (s *switchStore) Lookup(ctx context.Context, now time.Time, subject, tokenID, sessionID string) (bool, time.Time, error) {
	if s.down {
		return false, time.Time{}, errStoreDown
	}
	return s.MemoryStore.Lookup(ctx, now, subject, tokenID, sessionID)
}

// Revocation is asked about on every call: a cached token is refused once
// it, its session or its subject is revoked, and when the store fails.
func TestCachedTokensAreStillRevoked(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		revoke func(m *Manager, s *switchStore, p *Pair) error
		want   error
		reason string
	}{
		{
			name:   "logout",
			revoke: func(m *Manager, _ *switchStore, p *Pair) error { return m.Logout(ctx, p.Refresh) },
			want:   ErrRevoked,
			reason: "Logout ends the session of the cached access token",
		},
		{
			name: "revoked access token",
			revoke: func(m *Manager, _ *switchStore, p *Pair) error {
				c, err := m.RequireAccess(ctx, p.Access)
				if err != nil {
					return err
				}
				return m.RevokeAccessToken(ctx, c.ID)
			},
			want:   ErrRevoked,
			reason: "RevokeAccessToken reaches a cached token",
		},
		{
			name: "logged out everywhere",
			revoke: func(m *Manager, _ *switchStore, _ *Pair) error {
				return m.LogoutEverywhere(ctx, "user-0")
			},
			want:   ErrRevoked,
			reason: "LogoutEverywhere reaches a cached token",
		},
		{
			name:   "store down",
			revoke: func(_ *Manager, s *switchStore, _ *Pair) error { s.down = true; return nil },
			want:   ErrStoreUnavailable,
			reason: "a cached token is refused when the store cannot be asked",
		},
	}
	for _, tt := range tests {
		store := &switchStore{MemoryStore: NewMemoryStore()}
		m, clk := newTestManager(t, Config{Key: testKeys().hs256, VerifiedCacheSize: 16, Store: store})
		p := issueN(t, m, 1)[0]
		if _, err := m.RequireFresh(ctx, p.Access); err != nil {
			t.Fatal(err)
		}
		if !cached(m, p.Access) {
			t.Fatalf("%s: the access token was not cached", tt.name)
		}
		clk.Advance(time.Second)
		if err := tt.revoke(m, store, p); err != nil {
			t.Fatal(err)
		}
		for _, guard := range []func(context.Context, string) (*Claims, error){m.RequireAccess, m.RequireFresh} {
			if c, err := guard(ctx, p.Access); !errors.Is(err, tt.want) || c != nil {
				t.Errorf("%s: got %v, %v, want nil, %v (%s)", tt.name, c, err, tt.want, tt.reason)
			}
		}
	}
}
