package redisstore_test

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/redis/go-redis/v9"
)

// revocations makes one of each kind of revocation and returns a check
// that they all still hold, and that untouched tokens still pass.
func revocations(t *testing.T, m *freshtoken.Manager) (check func(t *testing.T)) {
	t.Helper()
	ctx := context.Background()
	loggedOut := issue(t, m, "alice")
	if err := m.Logout(ctx, loggedOut.Refresh); err != nil {
		t.Fatal(err)
	}
	single := issue(t, m, "bob")
	if err := m.RevokeAccessToken(ctx, accessClaims(t, m, single.Access).ID); err != nil {
		t.Fatal(err)
	}
	bystander := issue(t, m, "carol")
	if err := m.LogoutEverywhere(ctx, "dave"); err != nil {
		t.Fatal(err)
	}
	rotated := issue(t, m, "erin")
	spent := rotated.Refresh
	rotated = refresh(t, m, rotated.Refresh)
	untouched := issue(t, m, "frank")
	return func(t *testing.T) {
		t.Helper()
		expect(t, "a logged-out session", requireAccess(m, loggedOut.Access), freshtoken.ErrRevoked)
		expect(t, "a logged-out refresh token", requireRefresh(m, loggedOut.Refresh), freshtoken.ErrRevoked)
		expect(t, "an access token revoked by ID", requireAccess(m, single.Access), freshtoken.ErrRevoked)
		expect(t, "that token's session", requireRefresh(m, single.Refresh), nil)
		expect(t, "another subject's session", requireAccess(m, bystander.Access), nil)
		expect(t, "an untouched session", requireAccess(m, untouched.Access), nil)
		_, err := m.Refresh(ctx, spent)
		expect(t, "a spent refresh token replayed", err, freshtoken.ErrRevoked)
		expect(t, "its session afterwards", requireAccess(m, rotated.Access), freshtoken.ErrRevoked)
	}
}

// persistenceCases are the ways Redis may go down with appendonly on.
var persistenceCases = []struct {
	name, reason string
	args         []string
	down         func(*server)
}{
	{"shutdown", "SIGTERM writes the append-only file before exiting", []string{"--appendonly", "yes"}, (*server).stop},
	{"crash", "with appendfsync always every write is on disk before Redis answers",
		[]string{"--appendonly", "yes", "--appendfsync", "always"}, (*server).crash},
}

func TestRestartKeepsRevocations(t *testing.T) {
	for _, pc := range persistenceCases {
		t.Run(pc.name, func(t *testing.T) {
			srv := startServer(t, pc.args...)
			clk := newClock()
			m := newManager(t, newStore(t, srv.client(redis.Options{})), clk, func(c *freshtoken.Config) { c.RotateRefresh = true })
			ctx := context.Background()
			before := issue(t, m, "dave")
			clk.Advance(time.Second)
			check := revocations(t, m)
			check(t)
			expect(t, "a session from before LogoutEverywhere", requireAccess(m, before.Access), freshtoken.ErrRevoked)

			pc.down(srv)
			if len(srv.AOFFiles()) == 0 {
				t.Fatal("no append-only files were written")
			}
			srv.start()
			eventually(t, "the store answering after the restart", func() error {
				_, err := m.RequireRefresh(ctx, issue(t, m, "probe").Refresh)
				return err
			})
			check(t)
			expect(t, "a session from before LogoutEverywhere", requireAccess(m, before.Access), freshtoken.ErrRevoked)
		})
	}
}

// A Redis that is down refuses every token with ErrStoreUnavailable, and
// the service recovers by itself when Redis is back.
func TestStoppedRedisFailsClosed(t *testing.T) {
	srv := startServer(t, "--appendonly", "yes")
	clk := newClock()
	// go-redis's defaults retry a refused dial for about 1.7 s; keep the test quick.
	c := srv.client(redis.Options{MaxRetries: 1, DialerRetries: 1, DialTimeout: 500 * time.Millisecond})
	m := newManager(t, newStore(t, c), clk, func(c *freshtoken.Config) { c.RotateRefresh = true })
	ctx := context.Background()
	good := issue(t, m, "alice")
	check := revocations(t, m)

	srv.stop()
	calls := []struct {
		name string
		call func() error
	}{
		{"RequireAccess", func() error { return requireAccess(m, good.Access) }},
		{"RequireFresh", func() error { _, err := m.RequireFresh(ctx, good.Access); return err }},
		{"RequireRefresh", func() error { return requireRefresh(m, good.Refresh) }},
		{"Refresh", func() error { _, err := m.Refresh(ctx, good.Refresh); return err }},
		{"Logout", func() error { return m.Logout(ctx, good.Refresh) }},
		{"LogoutEverywhere", func() error { return m.LogoutEverywhere(ctx, "alice") }},
		{"RevokeAccessToken", func() error { return m.RevokeAccessToken(ctx, "some-id") }},
	}
	for _, call := range calls {
		took, err := callGuarded(t, call.name+" with Redis down", call.call)
		if !errors.Is(err, freshtoken.ErrStoreUnavailable) || errors.Is(err, freshtoken.ErrRevoked) {
			t.Errorf("%s with Redis down: got %v, want ErrStoreUnavailable", call.name, err)
		}
		// Refused at once, not after waiting out a timeout: the error is
		// the refused connection's. (How long it took is only logged; a
		// busy machine must not fail the test.)
		if !errors.Is(err, syscall.ECONNREFUSED) || isTimeout(err) {
			t.Errorf("%s with Redis down: got %v, want a refused connection, not a timeout", call.name, err)
		}
		t.Logf("%s refused after %v: %v", call.name, took.Round(time.Millisecond), err)
	}

	srv.start()
	eventually(t, "RequireAccess after Redis came back", func() error { return requireAccess(m, good.Access) })
	check(t)
	refresh(t, m, good.Refresh) // rotation works again, and good.Refresh was not spent while Redis was down
}

// A Redis that accepts connections but never answers must not hold a
// guard longer than the caller's deadline or the client's timeouts.
func TestHungRedisDoesNotHangGuards(t *testing.T) {
	srv := startServer(t)
	clk := newClock()
	// Each case leaves exactly one thing that can end a call to a frozen
	// Redis, so a call that returns at all (within callGuarded's generous
	// hang guard) was ended by it; the error names it too.
	cases := []struct {
		name, reason string
		opt          redis.Options
		deadline     time.Duration // of the caller's context; 0: none
	}{
		{"caller's deadline", "ContextTimeoutEnabled lets the request's deadline bound the store call; the client has no timeouts of its own (-1: block indefinitely)",
			redis.Options{ContextTimeoutEnabled: true, ReadTimeout: -1, WriteTimeout: -1}, 200 * time.Millisecond},
		{"client timeouts", "without a deadline, ReadTimeout and MaxRetries bound it",
			redis.Options{ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond, MaxRetries: 1}, 0},
	}
	type fixture struct {
		m    *freshtoken.Manager
		pair *freshtoken.Pair
	}
	fixtures := make([]fixture, len(cases))
	for i, tc := range cases {
		m := newManager(t, newStore(t, srv.client(tc.opt)), clk, nil)
		fixtures[i] = fixture{m, issue(t, m, "alice")}
		if err := requireAccess(m, fixtures[i].pair.Access); err != nil { // a pooled connection exists
			t.Fatal(err)
		}
	}

	srv.pause()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.deadline)
				defer cancel()
			}
			took, err := callGuarded(t, "RequireAccess with Redis frozen", func() error {
				_, err := fixtures[i].m.RequireAccess(ctx, fixtures[i].pair.Access)
				return err
			})
			if !errors.Is(err, freshtoken.ErrStoreUnavailable) {
				t.Errorf("RequireAccess with Redis frozen: got %v, want ErrStoreUnavailable", err)
			}
			if !isTimeout(err) {
				t.Errorf("RequireAccess with Redis frozen: got %v, want it ended by a timeout (%s)", err, tc.reason)
			}
			if tc.deadline > 0 && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				t.Errorf("RequireAccess with Redis frozen returned %v before the caller's deadline", err)
			}
			t.Logf("refused after %v: %v", took.Round(time.Millisecond), err)
		})
	}
	srv.resume()
	for i, tc := range cases {
		eventually(t, tc.name+": RequireAccess after Redis resumed", func() error {
			return requireAccess(fixtures[i].m, fixtures[i].pair.Access)
		})
	}
}

// hangGuard is how long callGuarded waits. It is no performance limit: the
// calls it guards return in milliseconds, and how long they took is only
// logged. It is a guard against hangs alone, far beyond any slowness of a
// busy machine, so that a hang fails the test with a message rather than
// the whole run at go test's -timeout.
const hangGuard = 30 * time.Second

// callGuarded runs call and returns how long it took and its error; it
// fails the test if call has not returned within hangGuard.
func callGuarded(t *testing.T, what string, call func() error) (time.Duration, error) {
	t.Helper()
	type result struct {
		err  error
		took time.Duration
	}
	done := make(chan result, 1)
	go func() {
		start := time.Now()
		err := call()
		done <- result{err, time.Since(start)}
	}()
	select {
	case r := <-done:
		return r.took, r.err
	case <-time.After(hangGuard):
		t.Fatalf("%s has not returned after %v: it hangs", what, hangGuard)
		return 0, nil
	}
}

// isTimeout reports whether err comes from a deadline: the caller's, or a
// socket deadline the client set from its timeouts.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}
