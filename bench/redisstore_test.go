package bench

import (
	"context"
	"errors"
	"testing"

	"github.com/freshtoken/freshtoken/internal/redistest"
	"github.com/freshtoken/freshtoken/redisstore"
	"github.com/redis/go-redis/v9"
)

// BenchmarkRedisStore times the guard with the Redis store on a local
// redis-server (loopback: a round trip costs tens of microseconds here,
// more over a network), in both modes, as cmd/report shows them under
// BenchmarkRedisStore/<mode>/<case>:
//
//   - lookup: the revocation check alone (Lookup with a subject, a jti and
//     a sid, not revoked), in sequence and under b.RunParallel;
//   - RequireAccess-HS256: the whole guard on an unrevoked token.
//
// round-trip is the store without a local view: every check is a pipeline
// of three GETs. local-view is redisstore.Options{LocalView: true}, warm:
// the token was checked once, so its keys are in the view, and every check
// after reads memory. The memory a view's entry costs is measured in the
// redisstore module (BenchmarkViewMemory), without Redis.
func BenchmarkRedisStore(b *testing.B) {
	srv := redistest.Start(b)
	for _, mode := range []struct {
		name string
		opts redisstore.Options
	}{
		{"round-trip", redisstore.Options{}},
		{"local-view", redisstore.Options{LocalView: true}},
	} {
		c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
		b.Cleanup(func() { _ = c.Close() })
		store, err := redisstore.New(c, "bench:"+mode.name+":", mode.opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = store.Close() })
		if mode.opts.LocalView {
			waitVouching(b, store)
		}
		ctx := context.Background()
		lookup := func() {
			if revoked, _, err := store.Lookup(ctx, now, subject, "jti-bench", "sid-bench"); err != nil || revoked {
				b.Fatalf("Lookup: %v, %v", revoked, err)
			}
		}
		lookup() // warm the view
		b.Run(mode.name+"/lookup", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				lookup()
			}
		})
		b.Run(mode.name+"/lookup-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					lookup()
				}
			})
		})
		b.Run(mode.name+"/RequireAccess-HS256", func(b *testing.B) {
			m := withStore(b, store)
			tok := issueFor(b, m)
			if _, err := m.RequireAccess(ctx, tok); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.RequireAccess(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
		if mode.opts.LocalView {
			st := store.ViewStats()
			if st.Hits == 0 {
				b.Errorf("the local view answered no lookup: %+v", st)
			}
		}
	}
}

func waitVouching(tb testing.TB, store *redisstore.Store) {
	tb.Helper()
	redistest.Eventually(tb, "the local view vouching", func() error {
		if _, _, err := store.Lookup(context.Background(), now, subject, "warm", "warm"); err != nil {
			return err
		}
		if store.ViewStats().Hits == 0 {
			return errors.New("no hit yet")
		}
		return nil
	})
}
