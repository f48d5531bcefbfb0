package loadtest

import (
	"context"
	"fmt"
	"math/rand/v2"
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

// The load of the instances test: sessions run by clients at once, each a
// login, calls on random instances with its access token, a refresh, as
// many calls with the new access token, a logout on one instance and then
// the session's token presented to the two others until they refuse it.
const (
	instances        = 3
	instanceClients  = 24
	instanceSessions = 800
	// profileCalls is how many calls each access token makes, each on a
	// random instance: most requests are ordinary guarded calls.
	profileCalls = 8
	// pollLimit only turns a refusal that never comes into a failure; the
	// time a refusal takes is logged, not bounded.
	pollLimit = 10 * time.Second
)

// TestInstances runs three instances of the example API, each with its own
// Manager, client and store, on one Redis (a single node, then a cluster
// of three masters), with and without the local view. After a logout on
// instance A returns, B and C must refuse the session's tokens: at once
// without the view, and with it no later than the fence (every answer is
// checked against that rule, which is an ordering, not a speed). The test
// logs how long B and C took (percentiles), the requests per second and
// the views' statistics.
func TestInstances(t *testing.T) {
	backends := []struct {
		name   string
		client func(t *testing.T) func() redis.UniversalClient
	}{
		{"single", func(t *testing.T) func() redis.UniversalClient {
			srv := startRedis(t)
			return func() redis.UniversalClient { return redisClient(t, srv, redis.Options{PoolSize: instanceClients}) }
		}},
		{"cluster", func(t *testing.T) func() redis.UniversalClient {
			cl := redistest.StartCluster(t, 3)
			return func() redis.UniversalClient {
				c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs(), PoolSize: instanceClients})
				t.Cleanup(func() { _ = c.Close() })
				return c
			}
		}},
	}
	for _, be := range backends {
		for _, view := range []bool{false, true} {
			name := be.name + "/round-trips"
			if view {
				name = be.name + "/local-view"
			}
			t.Run(name, func(t *testing.T) {
				newClient := be.client(t)
				var urls []string
				var stores []*redisstore.Store
				for range instances {
					var opts []redisstore.Options
					if view {
						opts = append(opts, redisstore.Options{LocalView: true})
					}
					s, err := redisstore.New(newClient(), "loadtest:"+strings.ReplaceAll(t.Name(), "/", ":")+":", opts...)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { _ = s.Close() })
					stores = append(stores, s)
					urls = append(urls, startAPI(t, s).URL)
				}
				runInstances(t, urls, view)
				for i, s := range stores {
					if view {
						t.Logf("instance %d's view: %+v", i, s.ViewStats())
					}
				}
			})
		}
	}
}

// instanceRun is what the clients of TestInstances found.
type instanceRun struct {
	mu       sync.Mutex
	problems []string
	props    []time.Duration // logout on A returned → refused by B (or C)
	requests atomic.Int64
	accepted atomic.Int64 // tokens accepted by B or C after the logout, within the fence
}

func (r *instanceRun) problem(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

func runInstances(t *testing.T, urls []string, view bool) {
	drivers := make([]*driver, len(urls))
	for i, u := range urls {
		drivers[i] = newDriver(u, instanceClients, 0, exact)
	}
	ctx, cancel := context.WithTimeout(t.Context(), loadTimeout)
	defer cancel()
	run := &instanceRun{}
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range instanceClients {
		wg.Go(func() {
			for ctx.Err() == nil {
				n := next.Add(1)
				if n > instanceSessions {
					return
				}
				instanceSession(ctx, run, drivers, &session{n: int(n)}, view)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	for _, d := range drivers {
		d.http.CloseIdleConnections()
	}
	run.mu.Lock()
	defer run.mu.Unlock()
	for i, p := range run.problems {
		if i == 10 {
			t.Errorf("... and %d more wrong answers", len(run.problems)-i)
			break
		}
		t.Errorf("wrong answer: %s", p)
	}
	if n := next.Load(); n <= instanceSessions {
		t.Errorf("only %d of %d sessions ran before the clients stopped (%v)", n-1, instanceSessions, ctx.Err())
	}
	t.Logf("%d sessions, %d requests on %d instances from %d clients in %v: %.0f requests/s",
		instanceSessions, run.requests.Load(), len(urls), instanceClients, took.Round(time.Millisecond),
		float64(run.requests.Load())/took.Seconds())
	t.Logf("logout on one instance → refused by another: %s; tokens still accepted meanwhile: %d",
		percentiles(run.props), run.accepted.Load())
}

// instanceSession runs one session, each step on a random instance, and
// checks its answers.
func instanceSession(ctx context.Context, run *instanceRun, ds []*driver, s *session, view bool) {
	pick := func() (int, *driver) { i := rand.IntN(len(ds)); return i, ds[i] }
	do := func(st step) bool {
		_, d := pick()
		a := d.send(ctx, st, s)
		run.requests.Add(1)
		if err := st.check(s, a); err != nil {
			if ctx.Err() == nil {
				run.problem("%s: %v", st.name, err)
			}
			return false
		}
		return true
	}
	steps := []string{"login"}
	for range profileCalls {
		steps = append(steps, "profile, fresh token")
	}
	steps = append(steps, "refresh")
	for range profileCalls {
		steps = append(steps, "profile, refreshed token")
	}
	for _, name := range steps {
		if !do(scripted(name)) {
			return
		}
	}
	a, d := pick()
	logout := scripted("logout")
	if err := logout.check(s, d.send(ctx, logout, s)); err != nil {
		run.problem("logout: %v", err)
		return
	}
	run.requests.Add(1)
	loggedOut := time.Now()
	refused := scripted("profile after logout, refreshed token")
	accepted := scripted("profile, refreshed token")
	// The instance that logged out sees its own logout at once.
	if err := refused.check(s, d.send(ctx, refused, s)); err != nil {
		run.problem("instance %d right after its own logout: %v", a, err)
		return
	}
	run.requests.Add(1)
	for i, d := range ds {
		if i == a {
			continue
		}
		for {
			sent := time.Now()
			ans := d.send(ctx, refused, s)
			run.requests.Add(1)
			if refused.check(s, ans) == nil {
				run.mu.Lock()
				run.props = append(run.props, time.Since(loggedOut))
				run.mu.Unlock()
				break
			}
			if ctx.Err() != nil {
				return
			}
			// Accepted still: only the view may do that, and only within
			// its fence after the logout returned.
			if err := accepted.check(s, ans); err != nil {
				run.problem("instance %d after a logout on %d: %v", i, a, err)
				return
			}
			run.accepted.Add(1)
			if !view || sent.After(loggedOut.Add(redisstore.DefaultFence)) {
				run.problem("instance %d accepted a token %v after its session's logout on %d returned", i, sent.Sub(loggedOut), a)
				return
			}
			if time.Since(loggedOut) > pollLimit {
				run.problem("instance %d: still accepted %v after the logout", i, pollLimit)
				return
			}
		}
	}
}

func percentiles(ds []time.Duration) string {
	if len(ds) == 0 {
		return "(none)"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return fmt.Sprintf("n=%d p50=%v p99=%v max=%v", len(s), at(0.5).Round(time.Microsecond), at(0.99).Round(time.Microsecond), s[len(s)-1].Round(time.Microsecond))
}
