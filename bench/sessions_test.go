package bench

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
)

// The session registry's benchmarks (issue #15), under BenchmarkSessions:
//
//   - list-1000: Manager.Sessions for a subject with 1,000 live sessions,
//     on the MemoryStore (the Redis figure is redisstore's
//     BenchmarkListSessions);
//   - memory: the heap a MemoryStore grows by per recorded session
//     (runtime.MemStats.HeapAlloc after a GC, divided by the sessions),
//     with two labels as the example server writes them (a 70-byte
//     User-Agent and an IPv4 address) and without labels, 100,000
//     sessions over 10,000 subjects;
//   - Issue and Refresh, EdDSA, with the registry (the default) and without
//     (SessionConfig.Disable).

// sessionsManager returns a Manager on a fixed-but-ticking clock, so that
// every login has its own instant, as real ones do.
func sessionsManager(b *testing.B, store freshtoken.Store, disable bool) *freshtoken.Manager {
	b.Helper()
	var tick atomic.Int64
	m, err := freshtoken.New(freshtoken.Config{
		Key:      ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)),
		Store:    store,
		Now:      func() time.Time { return now.Add(time.Duration(tick.Add(1)) * time.Microsecond) },
		Sessions: freshtoken.SessionConfig{Disable: disable},
	})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

var labels = freshtoken.WithSessionLabels(map[string]string{
	"user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
	"ip":         "192.0.2.123",
})

func BenchmarkSessions(b *testing.B) {
	ctx := context.Background()
	b.Run("MemoryStore/list-1000", func(b *testing.B) {
		m := sessionsManager(b, nil, false)
		for range 1000 {
			if _, err := m.Issue(ctx, "user-42", labels); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		for b.Loop() {
			list, err := m.Sessions(ctx, "user-42", nil)
			if err != nil || len(list) != 1000 {
				b.Fatalf("Sessions: %d, %v", len(list), err)
			}
		}
	})

	for _, withLabels := range []bool{true, false} {
		name := "MemoryStore/memory-100k"
		if withLabels {
			name += "-labels"
		}
		b.Run(name, func(b *testing.B) {
			const sessions, subjects = 100_000, 10_000
			var perSession float64
			for b.Loop() {
				b.StopTimer()
				store := freshtoken.NewMemoryStore()
				m := sessionsManager(b, store, false)
				before := heapAfterGC()
				b.StartTimer()
				for i := range sessions {
					var opts []freshtoken.IssueOption
					if withLabels {
						// Strings of their own, as each request's are.
						opts = append(opts, freshtoken.WithSessionLabels(map[string]string{
							"user_agent": fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/%03d.0", i%1000),
							"ip":         fmt.Sprintf("192.0.%d.%d", i/256%256, i%256),
						}))
					}
					if _, err := m.Issue(ctx, fmt.Sprintf("user-%d", i%subjects), opts...); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				perSession = float64(heapAfterGC()-before) / sessions
				runtime.KeepAlive(store)
				b.StartTimer()
			}
			b.ReportMetric(perSession, "B/session")
		})
	}

	for _, disable := range []bool{false, true} {
		registry := "registry"
		if disable {
			registry = "no-registry"
		}
		b.Run("Issue-EdDSA/"+registry, func(b *testing.B) {
			m := sessionsManager(b, nil, disable)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				// Many subjects, as in production: one subject's registry
				// would otherwise hold every login of the run.
				if _, err := m.Issue(ctx, fmt.Sprintf("user-%d", i%10_000), labels); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run("Refresh-EdDSA/"+registry, func(b *testing.B) {
			m := sessionsManager(b, nil, disable)
			p, err := m.Issue(ctx, "user-42", labels)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Refresh(ctx, p.Refresh); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
