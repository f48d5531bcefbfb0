package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// The phases of the fault test. A request sent and answered in one phase
// ran entirely within it.
const (
	redisUp int32 = iota
	redisKilling
	redisDown
	redisRestarting
	redisRecovered
)

var phaseNames = []string{"up", "being killed", "down", "restarting", "back"}

// TestRedisKilledDuringLoad kills Redis (SIGKILL) while clients run the
// scripted sessions against the example API, and starts it again on the
// same port and data directory, without touching the Go server.
//
//   - While Redis is up, and once it is back, every answer is the scripted
//     one, with no 503.
//   - While it is down, every request that needs a revocation check is
//     answered 503: no token is accepted and none is called revoked. Login
//     records the session in the registry of live sessions, so it answers
//     503 too (package api documents it): a login nobody could list or end
//     is worse than one the client tries again.
//   - Clients send a step again after a 503, as a client should, so every
//     session goes on once Redis is back: the service recovers by itself.
//   - Every session logged out before the kill is still refused afterwards:
//     with appendonly yes and appendfsync always, Redis writes each
//     revocation to disk before it answers, so a kill loses none.
func TestRedisKilledDuringLoad(t *testing.T) {
	const (
		clients  = loadClients
		requests = 6000
		killAt   = 2000 // answers before Redis is killed
		downFor  = 500  // answers while Redis is down, before it is restarted
		minAfter = 1000 // answers once Redis is back, at least
	)
	rs := startRedis(t, "--appendonly", "yes", "--appendfsync", "always")
	// Short timeouts and one retry, so a dead Redis is reported at once and
	// a request does not wait for go-redis's default dial retries.
	rdb := redisClient(t, rs, redis.Options{
		PoolSize:    clients,
		MaxRetries:  1,
		DialTimeout: 500 * time.Millisecond, DialerRetries: 1,
		ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond,
	})
	srv := startAPI(t, newRedisStore(t, rdb))

	var (
		login            = scripted("login")
		profile          = scripted("profile, fresh token")
		changeEmail      = scripted("change-email, fresh token")
		refresh          = scripted("refresh")
		logout           = scripted("logout")
		revokedProfile   = scripted("profile after logout")
		revokedRefresh   = scripted("refresh after logout")
		logoutAgain      = scripted("logout again")
		revokedRefreshed = scripted("profile after logout, refreshed token")
	)
	var (
		mu              sync.Mutex
		loggedOut       []*session // sessions whose logout was answered before the kill
		downAnswers     atomic.Int64
		recoveredAnswer atomic.Int64
	)
	judge := func(st step, s *session, a answer, retried bool) (bool, error) {
		if a.from == redisDown && a.to == redisDown {
			downAnswers.Add(1)
		}
		if a.from == redisRecovered {
			recoveredAnswer.Add(1)
		}
		steady := a.from == a.to && (a.from == redisUp || a.from == redisRecovered)
		if unavailable(a) {
			switch {
			case !st.store:
				return false, fmt.Errorf("503 for a request that needs no store")
			case steady:
				return false, fmt.Errorf("503 while Redis was %s", phaseNames[a.from])
			}
			return true, nil // send it again
		}
		if a.from == redisDown && a.to == redisDown && st.store {
			return false, fmt.Errorf("status %d %v while Redis was down, want 503", a.status, a.body)
		}
		isLogout := st.name == logout.name
		err := st.check(s, a)
		if err != nil && isLogout && retried && logoutAgain.check(s, a) == nil {
			// The logout that got the 503 reached Redis before it died.
			err = nil
		}
		if err == nil && isLogout && a.to == redisUp {
			mu.Lock()
			loggedOut = append(loggedOut, s)
			mu.Unlock()
		}
		return false, err
	}

	ctx, cancel := context.WithTimeout(t.Context(), loadTimeout)
	defer cancel()
	d := newDriver(srv.URL, clients, requests, judge)
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		d.run(ctx, clients)
	}()
	defer func() { cancel(); <-done }()

	// await polls cond until it holds; it stops the test if the load ended
	// or the time ran out first.
	await := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			select {
			case <-done:
				t.Fatalf("the load ended before %s", what)
			case <-ctx.Done():
				t.Fatalf("waiting for %s: %v", what, ctx.Err())
			case <-time.After(2 * time.Millisecond):
			}
		}
	}
	// probe sends one step for session s from the test itself.
	probe := func(when string, st step, s *session, want func(answer) error) {
		t.Helper()
		if err := want(d.send(ctx, st, s)); err != nil {
			t.Errorf("%s, %s: %v", when, st.name, err)
		}
	}
	expected := func(st step, s *session) func(answer) error {
		return func(a answer) error { return st.check(s, a) }
	}
	is503 := func(a answer) error {
		if !unavailable(a) {
			return fmt.Errorf("status %d %v, want 503 temporarily_unavailable", a.status, a.body)
		}
		return nil
	}

	await("the first requests", func() bool { return d.total() >= killAt })
	valid, ended := &session{n: -1}, &session{n: -2}
	probe("Redis up", login, valid, expected(login, valid))
	probe("Redis up", login, ended, expected(login, ended))
	probe("Redis up", logout, ended, expected(logout, ended))

	d.phase.Store(redisKilling)
	killed := time.Now()
	if err := rs.Crash(); err != nil {
		t.Fatal(err)
	}
	d.phase.Store(redisDown)
	probe("Redis down", profile, valid, is503)
	probe("Redis down", changeEmail, valid, is503)
	probe("Redis down", refresh, valid, is503)
	probe("Redis down", logout, valid, is503)
	probe("Redis down", revokedProfile, ended, is503)
	during := &session{n: -3}
	probe("Redis down", login, during, is503)
	await("answers while Redis is down", func() bool { return downAnswers.Load() >= downFor })

	d.phase.Store(redisRestarting)
	restarted := time.Now()
	if err := rs.Restart(); err != nil {
		t.Fatal(err)
	}
	answering := time.Now()
	// The Go server is left alone: its store's client must find Redis
	// again. After PoolSize failed dials in a row, go-redis dials only once
	// a second, so this may take up to a second more than Redis's start.
	await("a request to succeed after the restart", func() bool {
		return d.send(ctx, profile, valid).status == http.StatusOK
	})
	d.phase.Store(redisRecovered)
	recovered := time.Now()
	<-done
	took := time.Since(start)

	d.report(t)
	// Steps sent again after a 503 come on top of the requests, so the
	// requests are all left for once Redis is back, however long it takes
	// to come back on this machine.
	if n := d.total() - int(d.resent.Load()); n != requests {
		t.Errorf("%d requests answered before the clients stopped (%v), want %d", n, ctx.Err(), requests)
	}
	if n := recoveredAnswer.Load(); n < minAfter {
		t.Errorf("%d requests answered once Redis was back, want at least %d", n, minAfter)
	}
	d.mu.Lock()
	for status, n := range d.statuses {
		if status >= 500 && status != http.StatusServiceUnavailable {
			t.Errorf("%d answers with status %d, want none", n, status)
		}
	}
	d.mu.Unlock()

	// The revocations made before the kill, and the sessions around it.
	probe("Redis back", profile, valid, expected(profile, valid))
	probe("Redis back", refresh, valid, expected(refresh, valid))
	probe("Redis back", revokedProfile, ended, expected(revokedProfile, ended))
	probe("Redis back", revokedRefresh, ended, expected(revokedRefresh, ended))
	probe("Redis back, a login refused while it was down", login, during, expected(login, during))
	probe("Redis back, a login refused while it was down", profile, during, expected(profile, during))
	probe("Redis back, a login refused while it was down", logout, during, expected(logout, during))
	probe("Redis back, a login refused while it was down", revokedProfile, during, expected(revokedProfile, during))
	mu.Lock()
	before := loggedOut
	mu.Unlock()
	if len(before) == 0 {
		t.Error("no session was logged out before the kill")
	}
	for _, s := range before {
		probe("Redis back, a session logged out before the kill", revokedProfile, s, expected(revokedProfile, s))
		probe("Redis back, a session logged out before the kill", revokedRefreshed, s, expected(revokedRefreshed, s))
		probe("Redis back, a session logged out before the kill", revokedRefresh, s, expected(revokedRefresh, s))
	}

	t.Logf("%d requests and %d sent again from %d clients in %v (%.0f requests/s)", d.total()-int(d.resent.Load()), d.resent.Load(),
		clients, took.Round(time.Millisecond), float64(d.total())/took.Seconds())
	t.Logf("Redis down for %v, %d answers meanwhile (all 503); it answered again %v after the restart began, and the API %v after that; %d answers after",
		restarted.Sub(killed).Round(time.Millisecond), downAnswers.Load(), answering.Sub(restarted).Round(time.Millisecond),
		recovered.Sub(answering).Round(time.Millisecond), recoveredAnswer.Load())
	t.Logf("%d sessions logged out before the kill are still refused", len(before))
}
