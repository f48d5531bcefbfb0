package loadtest

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/redisstore"
	"github.com/redis/go-redis/v9"
)

// The load, as the project promises it: at least 50 concurrent clients and
// 20,000 requests. No mode of the test lowers them.
const (
	loadClients  = 50
	loadRequests = 20_000
	// loadTimeout stops the clients if the server stalls; the test then
	// fails, since fewer requests than loadRequests were sent. It is a
	// guard against hangs, not a time limit: the load takes some 15 s
	// under the race detector on two cores, and how long it took is only
	// logged. Three of them (TestLoad's two and the fault test) stay within
	// go test's default -timeout of 10 minutes.
	loadTimeout = 3 * time.Minute

	// hangGuard bounds the wait for the load's goroutines to end (see
	// quiesce); like loadTimeout, it only turns a hang into a failure.
	hangGuard = 30 * time.Second
)

// The load runs in two waves of half the requests each, and the live heap
// is measured before, between and after them, with no connection open and
// every goroutine of the load ended (quiesce): the heap then holds only
// what the service keeps, whatever the scheduler did meanwhile, and no
// goroutine is left to move it while it is measured.
//
// The first wave fills what is allocated once and then reused: go-redis's
// pool (two 32 KiB buffers per connection, 16 connections: 1 MiB),
// encoding/json's type cache, the parsed keys and templates. warmBound, 4
// MiB over both waves, allows for those with room for a different Go
// version's caches (about 0.3 MiB with the MemoryStore, 1.1 MiB with Redis
// when this was written).
//
// The second wave starts warm, so what it adds must be what the service is
// meant to keep: the MemoryStore's revocations, one per logged-out session,
// some 770 sessions of about 90 bytes (70 KiB; none with Redis).
// steadyBound is 1 MiB: a leak of more than about 100 bytes per request
// exceeds it.
const (
	warmBound   = 4 << 20
	steadyBound = 1 << 20
)

// TestLoad runs the scripted sessions against the example API from many
// clients at once, with each store, and checks every answer, that none is
// a 5xx, and that the live heap does not grow with the requests.
func TestLoad(t *testing.T) {
	cases := []struct {
		name  string
		store func(t *testing.T) freshtoken.Store // nil Store: the API's MemoryStore
	}{
		{"memory", func(*testing.T) freshtoken.Store { return nil }},
		{"redis", func(t *testing.T) freshtoken.Store {
			srv := startRedis(t)
			// A pool smaller than the clients is full after the first
			// wave on any machine, so it adds nothing to the second.
			return newRedisStore(t, redisClient(t, srv, redis.Options{PoolSize: 16}))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startAPI(t, tc.store(t))
			ctx, cancel := context.WithTimeout(t.Context(), loadTimeout)
			defer cancel()

			const waves = 2
			idle := runtime.NumGoroutine()
			heap := []uint64{liveHeap()}
			d := newDriver(srv.URL, loadClients, 0, exact)
			start := time.Now()
			for range waves {
				d.left.Store(loadRequests / waves)
				d.run(ctx, loadClients)
				srv.CloseClientConnections() // their buffers are not what the service keeps
				quiesce(t, idle)
				heap = append(heap, liveHeap())
			}
			took := time.Since(start)

			d.report(t)
			if n := d.total(); n != loadRequests {
				t.Errorf("%d requests answered before the clients stopped (%v), want %d", n, ctx.Err(), loadRequests)
			}
			if n := d.fiveXX(); n > 0 {
				t.Errorf("%d answers were 5xx, want none", n)
			}
			t.Logf("%d requests from %d clients in %v: %.0f requests/s", d.total(), loadClients,
				took.Round(time.Millisecond), float64(d.total())/took.Seconds())
			warm, steady := int64(heap[2])-int64(heap[0]), int64(heap[2])-int64(heap[1])
			t.Logf("live heap after GC: before %d KiB, after the first wave %d KiB, after the second %d KiB", heap[0]>>10, heap[1]>>10, heap[2]>>10)
			t.Logf("growth over the load %d KiB (bound %d KiB), over the second wave %d KiB, %d bytes per request (bound %d KiB)",
				warm>>10, warmBound>>10, steady>>10, steady/(loadRequests/waves), steadyBound>>10)
			if warm > warmBound {
				t.Errorf("live heap grew by %d KiB over the load, want at most %d KiB", warm>>10, warmBound>>10)
			}
			if steady > steadyBound {
				t.Errorf("live heap grew by %d KiB over the second wave, want at most %d KiB", steady>>10, steadyBound>>10)
			}
		})
	}
}

// quiesce waits until no more goroutines run than before the load (idle):
// the server's connections and the clients' have closed and their
// goroutines, which hold their buffers, have ended. How long that takes
// depends on the machine, so it is waited for, not assumed; a goroutine
// that never ends (a leak) fails the test after hangGuard.
func quiesce(t *testing.T, idle int) {
	t.Helper()
	stop := time.Now().Add(hangGuard)
	for runtime.NumGoroutine() > idle {
		if time.Now().After(stop) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines still run %v after the load, %d before it:\n%s",
				runtime.NumGoroutine(), hangGuard, idle, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}

// liveHeap is the heap still in use after a full collection. The second
// collection empties the sync.Pools (net/http keeps its buffers in them),
// which the first only moves to their victim caches.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// newRedisStore returns a redisstore.Store on c under a prefix of the
// test's own.
func newRedisStore(t *testing.T, c redis.UniversalClient) *redisstore.Store {
	t.Helper()
	s, err := redisstore.New(c, "loadtest:"+strings.ReplaceAll(t.Name(), "/", ":")+":")
	if err != nil {
		t.Fatal(err)
	}
	return s
}
