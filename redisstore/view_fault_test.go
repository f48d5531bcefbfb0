package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken/internal/redistest"
	"github.com/freshtoken/freshtoken/redisstore"
	"github.com/redis/go-redis/v9"
)

// honourLimit is how long a revocation may take to be honoured on the
// other instance before the test fails. It is no performance bound (the
// propagation is only logged): the view must honour a revocation within its
// fence, or fall back to Redis, and a round trip takes milliseconds; the
// limit only turns "never" into a failure.
const honourLimit = 10 * time.Second

// faultFor is how long each fault lasts while the load runs.
const faultFor = 1500 * time.Millisecond

// judge runs a load on two stores sharing Redis, a writer without a view
// and an instance b with one, and checks every answer b gives against the
// fence: once a revocation has returned, b may say "not revoked" only to a
// lookup sent less than the fence later, and then only from a view vouched
// for by a heartbeat sent before the revocation returned, or from a round
// trip sent before it. These are orderings, not speeds: a slow machine
// makes the view fall back to Redis, never break them.
type judge struct {
	t      *testing.T
	writer *redisstore.Store
	b      *redisstore.Store
	ids    []string

	mu         sync.Mutex
	revokedAt  map[string]time.Time // when the revocation of an ID returned
	violations []string
	props      []time.Duration // revocation returned → honoured by b, outside faults
	lookups    atomic.Int64
	fault      atomic.Bool
}

func newJudge(t *testing.T, writer, b *redisstore.Store) *judge {
	j := &judge{t: t, writer: writer, b: b, revokedAt: map[string]time.Time{}}
	for i := range 20000 {
		j.ids = append(j.ids, fmt.Sprintf("id-%d", i))
	}
	return j
}

// lookup asks b about id and checks the answer; it reports whether id was
// found revoked.
func (j *judge) lookup(ctx context.Context, id string) (bool, error) {
	j.mu.Lock()
	at, wasRevoked := j.revokedAt[id]
	j.mu.Unlock()
	sent := time.Now()
	revoked, fromView, vouched, err := j.b.LookupTraced(ctx, time.Now(), "subject", id, id)
	j.lookups.Add(1)
	if err != nil || revoked || !wasRevoked {
		return revoked, err
	}
	switch {
	case sent.After(at.Add(redisstore.DefaultFence)):
		j.violate("%s revoked at %v: a lookup sent %v after said not revoked (from the view: %v)", id, at.Format(time.StampMicro), sent.Sub(at), fromView)
	case fromView && vouched.After(at):
		j.violate("%s revoked at %v: the view said not revoked, vouched for by a heartbeat sent %v after", id, at.Format(time.StampMicro), vouched.Sub(at))
	case !fromView && sent.After(at):
		j.violate("%s revoked at %v: a round trip sent %v after said not revoked", id, at.Format(time.StampMicro), sent.Sub(at))
	}
	return false, nil
}

func (j *judge) revocations() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.revokedAt)
}

func (j *judge) violate(format string, args ...any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.violations = append(j.violations, fmt.Sprintf(format, args...))
}

// run starts readers and the writer until ctx ends.
func (j *judge) run(ctx context.Context, readers int) (wait func()) {
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() {
			for ctx.Err() == nil {
				// Mostly IDs about to be revoked, whose "not revoked" the
				// view holds, and some revoked already.
				_, _ = j.lookup(ctx, j.ids[rand.IntN(len(j.ids))])
			}
		})
	}
	wg.Go(func() { j.write(ctx) })
	return wg.Wait
}

// write revokes the IDs one by one, each followed at once by lookups on b
// until b honours it.
func (j *judge) write(ctx context.Context) {
	for _, id := range j.ids {
		if ctx.Err() != nil {
			return
		}
		// Warm b's view with the answer "not revoked" first.
		_, _ = j.lookup(ctx, id)
		now := time.Now()
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		err := j.writer.Revoke(rctx, now, id, now.Add(time.Hour))
		cancel()
		if err != nil {
			continue // it may or may not have happened: nothing to check
		}
		at := time.Now()
		faulty := j.fault.Load()
		j.mu.Lock()
		j.revokedAt[id] = at
		j.mu.Unlock()
		for {
			revoked, err := j.lookup(ctx, id)
			if revoked {
				if !faulty && !j.fault.Load() {
					j.mu.Lock()
					j.props = append(j.props, time.Since(at))
					j.mu.Unlock()
				}
				break
			}
			if ctx.Err() != nil {
				return
			}
			if err == nil && time.Since(at) > honourLimit {
				j.violate("%s: not honoured %v after its revocation returned", id, honourLimit)
				break
			}
		}
	}
}

// settle waits until b's view vouches again and answers from memory, then
// checks that every revocation that returned is honoured.
func (j *judge) settle(what string) {
	t := j.t
	t.Helper()
	before := j.b.ViewStats().Hits
	eventually(t, what+": the view answering again", func() error {
		if !j.b.Vouching() || j.b.ViewStats().Hits == before {
			return errors.New("not yet")
		}
		return nil
	})
	// The writer goes on: a revocation younger than the fence may not be
	// honoured yet.
	old := time.Now().Add(-redisstore.DefaultFence)
	j.mu.Lock()
	ids := make([]string, 0, len(j.revokedAt))
	for id, at := range j.revokedAt {
		if at.Before(old) {
			ids = append(ids, id)
		}
	}
	j.mu.Unlock()
	for _, id := range ids {
		revoked, err := j.lookup(context.Background(), id)
		if err != nil || !revoked {
			t.Errorf("%s: %s revoked before is not honoured: %v, %v", what, id, revoked, err)
		}
	}
}

func (j *judge) report() {
	t := j.t
	t.Helper()
	j.mu.Lock()
	defer j.mu.Unlock()
	for i, v := range j.violations {
		if i == 10 {
			t.Errorf("... and %d more", len(j.violations)-i)
			break
		}
		t.Errorf("stale answer: %s", v)
	}
	t.Logf("%d lookups, %d revocations, view %+v; propagation outside faults %s",
		j.lookups.Load(), len(j.revokedAt), j.b.ViewStats(), percentiles(j.props))
}

func percentiles(ds []time.Duration) string {
	if len(ds) == 0 {
		return "(none)"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return fmt.Sprintf("n=%d p50=%v p99=%v max=%v", len(s), at(0.5), at(0.99), s[len(s)-1])
}

// gate stalls the connections it wraps: while closed, what they read is
// held back, as by a network that stopped delivering without a reset.
type gate struct {
	mu   sync.Mutex
	open chan struct{}
}

func newGate() *gate {
	g := &gate{open: make(chan struct{})}
	close(g.open)
	return g
}

func (g *gate) stall()  { g.mu.Lock(); g.open = make(chan struct{}); g.mu.Unlock() }
func (g *gate) resume() { g.mu.Lock(); close(g.open); g.mu.Unlock() }
func (g *gate) ch() chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open
}

type stallConn struct {
	net.Conn
	g      *gate
	closed chan struct{}
	once   sync.Once
}

func (c *stallConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	select {
	case <-c.g.ch():
		return n, err
	case <-c.closed:
		return 0, net.ErrClosed
	}
}

func (c *stallConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// TestLocalViewFaults breaks the view's connection in each way while a
// load runs, and checks every answer of the instance with the view against
// the fence, then that once the fault is over the view answers again and
// honours every revocation made before and during it.
func TestLocalViewFaults(t *testing.T) {
	cases := []struct {
		name, reason string
		fault        func(t *testing.T, srv *server, g *gate) (undo func())
	}{
		{"crash", "Redis killed and restarted: the view must not outlive the connection, and revocations persisted before the kill still hold",
			func(t *testing.T, srv *server, _ *gate) func() { srv.crash(); return srv.start }},
		{"client kill", "CLIENT KILL on the tracking connections: Redis stays up, the view reconnects and starts empty",
			func(t *testing.T, srv *server, _ *gate) func() {
				list, err := redistest.Do(srv.Addr(), "CLIENT", "LIST")
				if err != nil {
					t.Fatal(err)
				}
				killed := 0
				for _, line := range strings.Split(list, "\n") {
					if strings.Contains(line, " name=freshtoken-view ") {
						id := strings.TrimPrefix(strings.Fields(line)[0], "id=")
						if _, err := redistest.Do(srv.Addr(), "CLIENT", "KILL", "ID", id); err != nil {
							t.Fatal(err)
						}
						killed++
					}
				}
				if killed == 0 {
					t.Fatalf("no tracking connection in CLIENT LIST:\n%s", list)
				}
				return func() {}
			}},
		{"stall", "the tracking connection stops delivering while the store's own stay up (a partition the kernel has not noticed): the fence closes, lookups are round trips, and after a second the connection is replaced",
			func(t *testing.T, _ *server, g *gate) func() { g.stall(); return g.resume }},
		{"pause", "Redis frozen (SIGSTOP): nothing answers, lookups fail with a timeout, never from the view",
			func(t *testing.T, srv *server, _ *gate) func() { srv.pause(); return srv.resume }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, "--appendonly", "yes", "--appendfsync", "always")
			quick := redis.Options{MaxRetries: -1, DialTimeout: 300 * time.Millisecond, DialerRetries: 1,
				ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond}
			g := newGate()
			stalling := func(ctx context.Context, opt *redis.Options) (net.Conn, error) {
				c, err := redisstore.DialClient(ctx, opt)
				if err != nil {
					return nil, err
				}
				return &stallConn{Conn: c, g: g, closed: make(chan struct{})}, nil
			}
			writer := newStore(t, srv.client(quick))
			b := newViewStore(t, srv.client(quick), redisstore.WithDial(redisstore.Options{}, stalling))
			j := newJudge(t, writer, b)
			ctx, cancel := context.WithCancel(context.Background())
			wait := j.run(ctx, 3)

			warm := func(what string, n int) {
				t.Helper()
				eventually(t, what, func() error {
					if j.lookups.Load() < int64(n) {
						return errors.New("not yet")
					}
					return nil
				})
			}
			warm("a first load", 2000)
			eventually(t, "revocations before the fault", func() error {
				if j.revocations() < 20 {
					return errors.New("not yet")
				}
				return nil
			})
			fencedBefore := b.ViewStats().Fenced
			j.fault.Store(true)
			undo := tc.fault(t, srv, g)
			// The fault lasts well past the fence and past the time after
			// which an unanswered heartbeat gives the connection up.
			time.Sleep(faultFor)
			undo()
			j.settle("after " + tc.name)
			j.fault.Store(false)
			warm("a load after the fault", int(j.lookups.Load())+2000)
			cancel()
			wait()
			j.report()
			if st := b.ViewStats(); st.Fenced == fencedBefore {
				t.Errorf("no lookup was fenced during the fault (%s): %+v", tc.reason, st)
			}
		})
	}
}
