package freshtoken

import (
	"context"
	"testing"
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
