package bench

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/freshtoken/freshtoken"
)

// BenchmarkEvents measures what Config.Events costs the guard (issue #16):
// RequireFresh on the same token with no hook (the default), with a hook
// that counts, and with the hook on a revoked token, where an event is
// built and delivered. With no hook the guard must cost what
// BenchmarkVerify's freshtoken rows cost: the hook is a nil check, and an
// event is built only for a failure the hook is told of.
func BenchmarkEvents(b *testing.B) {
	ctx := context.Background()
	for _, alg := range []string{"HS256", "EdDSA"} {
		s := suiteFor(b, alg)
		var n atomic.Int64
		count := func(context.Context, freshtoken.Event) { n.Add(1) }
		for _, hook := range []struct {
			name   string
			events func(context.Context, freshtoken.Event)
		}{{"no-hook", nil}, {"counting-hook", count}} {
			cfg := s.cfg
			cfg.Events = hook.events
			m, err := freshtoken.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			pair, err := m.Issue(ctx, "user-42")
			if err != nil {
				b.Fatal(err)
			}
			b.Run(alg+"/"+hook.name+"/RequireFresh", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := m.RequireFresh(ctx, pair.Access); err != nil {
						b.Fatal(err)
					}
				}
			})
			revoked, err := m.Issue(ctx, "user-43")
			if err != nil {
				b.Fatal(err)
			}
			if err := m.Logout(ctx, revoked.Refresh); err != nil {
				b.Fatal(err)
			}
			b.Run(alg+"/"+hook.name+"/revoked", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := m.RequireFresh(ctx, revoked.Access); err == nil {
						b.Fatal("a revoked token passed")
					}
				}
			})
		}
	}
}
