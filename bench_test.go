package freshtoken

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"testing"
	"time"
)

// benchCase is a Manager for one algorithm, with a fixed clock and a login
// pair carrying one application claim, as a typical service would issue.
type benchCase struct {
	name string
	m    *Manager
	pair *Pair
}

func benchCases(b *testing.B) []benchCase {
	b.Helper()
	var out []benchCase
	for _, k := range []struct {
		name string
		key  any
	}{{"HS256", testKeys().hs256}, {"EdDSA", testKeys().ed}} {
		m, _ := newTestManager(b, Config{Key: k.key, Issuer: "https://auth.example.com"})
		out = append(out, benchCase{k.name, m, mustIssue(b, m, "user-42", WithClaims(map[string]any{"role": "admin"}))})
	}
	return out
}

func BenchmarkIssue(b *testing.B) {
	ctx := context.Background()
	for _, bm := range benchCases(b) {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			claims := WithClaims(map[string]any{"role": "admin"})
			for b.Loop() {
				if _, err := bm.m.Issue(ctx, "user-42", claims); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRefresh(b *testing.B) {
	ctx := context.Background()
	for _, bm := range benchCases(b) {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bm.m.Refresh(ctx, bm.pair.Refresh); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRequireFresh(b *testing.B) {
	ctx := context.Background()
	for _, bm := range benchCases(b) {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bm.m.RequireFresh(ctx, bm.pair.Access); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRequireAccess(b *testing.B) {
	ctx := context.Background()
	for _, bm := range benchCases(b) {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bm.m.RequireAccess(ctx, bm.pair.Access); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGuardEvents measures what Config.Events costs the guards
// (HS256, whose signature check is cheap enough not to hide the rest).
// With a token that passes no Event is built, so hook=none and hook=count
// must match each other and BenchmarkRequireAccess/HS256 in ns/op, B/op
// and allocs/op. A revoked token calls the hook once, with an Event on the
// stack: hook=count adds the call, and no allocation, to hook=none.
func BenchmarkGuardEvents(b *testing.B) {
	ctx := context.Background()
	var n atomic.Int64
	for _, h := range []struct {
		name string
		hook func(context.Context, Event)
	}{
		{"hook=none", nil},
		{"hook=count", func(context.Context, Event) { n.Add(1) }},
	} {
		m, _ := newTestManager(b, Config{Key: testKeys().hs256, Issuer: "https://auth.example.com", Events: h.hook})
		pair := mustIssue(b, m, "user-42", WithClaims(map[string]any{"role": "admin"}))
		for _, g := range []struct {
			name  string
			guard rejectGuard
		}{{"RequireAccess", m.RequireAccess}, {"RequireFresh", m.RequireFresh}} {
			b.Run(g.name+"/"+h.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := g.guard(ctx, pair.Access); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		revoked := mustIssue(b, m, "user-42")
		c, err := m.RequireAccess(ctx, revoked.Access)
		if err != nil {
			b.Fatal(err)
		}
		if err := m.RevokeAccessToken(ctx, c.ID); err != nil {
			b.Fatal(err)
		}
		b.Run("revoked/"+h.name, func(b *testing.B) { benchReject(b, m.RequireAccess, revoked.Access, ErrRevoked) })
	}
}

// rejectGuard is a guard as the benchmarks below call it.
type rejectGuard func(context.Context, string) (*Claims, error)

// benchReject measures guard refusing tok, which must fail with want and
// nil claims on every call (checked, so that a benchmark never times an
// acceptance by mistake).
func benchReject(b *testing.B, guard rejectGuard, tok string, want error) {
	b.Helper()
	ctx := context.Background()
	if c, err := guard(ctx, tok); !errors.Is(err, want) || c != nil {
		b.Fatalf("got %v, %v; want nil, %v", c, err, want)
	}
	b.ReportAllocs()
	for b.Loop() {
		if c, err := guard(ctx, tok); !errors.Is(err, want) || c != nil {
			b.Fatalf("got %v, %v; want nil, %v", c, err, want)
		}
	}
}

// BenchmarkRejection measures what refusing hostile input costs, in time
// and memory (B/op, allocs/op). The answers themselves are checked by
// TestHugeInputsAreRefusedBeforeDecoding and TestHostileTokens.
//
//   - cap=8KiB: 1 MiB inputs under the default MaxTokenSize, refused by
//     their length: the cost does not depend on the input (expect the
//     error alone: one allocation of a few dozen bytes, none copied from
//     the input), so no throughput is reported.
//   - cap=2MiB: the same inputs with the cap raised, so they are read.
//     MB/s, reported for the inputs read to their end, is the rate of the
//     shape check; the well-shaped ones show what decoding a large token
//     costs (others are refused at their first bytes).
//   - hostile: every hostile token, each at the guard it is aimed at
//     (within the cap, a few times DefaultMaxTokenSize at most: the
//     decoded payload and, for nested values, encoding/json's scanner).
func BenchmarkRejection(b *testing.B) {
	f := newForge(b)
	huge := hugeInputs(f)
	b.Run("cap=8KiB", func(b *testing.B) {
		for _, in := range huge {
			b.Run(in.name, func(b *testing.B) { benchReject(b, f.m.RequireAccess, in.tok, ErrMalformed) })
		}
	})
	big, _ := newTestManager(b, Config{MaxTokenSize: 2 << 20})
	b.Run("cap=2MiB", func(b *testing.B) {
		for _, in := range huge {
			b.Run(in.name, func(b *testing.B) {
				if in.whole {
					b.SetBytes(int64(len(in.tok)))
				}
				benchReject(b, big.RequireAccess, in.tok, ErrMalformed)
			})
		}
	})
	b.Run("hostile", func(b *testing.B) {
		for _, tt := range hostileTokens() {
			tok := tt.token(f)
			guard := f.m.RequireAccess
			if tt.refresh {
				guard = f.m.RequireRefresh
			}
			b.Run(tt.name, func(b *testing.B) { benchReject(b, guard, tok, tt.want) })
		}
	})
}

// BenchmarkHostileCorpus measures the rejection of every row of
// testdata/hostile.json, in both profiles, at the guard the row names.
// TestHostileCorpus checks the answers. Most rows take a dozen or so
// allocations, the worst (a signed token with more members than the
// decoder reads, each decoded until the limit) under a hundred; oversized
// input, refused by its length, only the error.
func BenchmarkHostileCorpus(b *testing.B) {
	cases := loadHostile(b)
	for _, p := range hostileProfiles(b) {
		for _, hc := range cases {
			_, want := hc.want(p.name)
			if !hc.runs(p.name) || want == nil {
				continue
			}
			b.Run(p.name+"/"+hc.Name, func(b *testing.B) {
				start := p.clock.Now()
				defer p.clock.Set(start)
				tok := hc.build(b, p)
				p.clock.Set(start.Add(time.Duration(hc.Clock) * time.Second))
				guard := p.m.RequireAccess
				switch hc.Guard {
				case "refresh":
					guard = p.m.RequireRefresh
				case "fresh":
					guard = p.m.RequireFresh
				}
				benchReject(b, guard, tok, want)
			})
		}
	}
}

// BenchmarkNewWithCache measures New with a verified-token cache of each
// size: the size is an upper bound, so B/op must not grow with it
// (TestCacheSizeCostsNothingUpFront checks the cache's structure).
func BenchmarkNewWithCache(b *testing.B) {
	for _, size := range []int{0, 1, 7, 1 << 24, math.MaxInt} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			cfg := Config{Key: []byte("0123456789abcdef0123456789abcdef"), VerifiedCacheSize: size}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := New(cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
