package storetest

import (
	"context"
	"crypto/ed25519"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
)

// The concurrent check's size: workers goroutines run rounds sessions each,
// a few thousand Manager calls in all, enough for the race detector to see
// every path through the store at once and still quick on a small machine.
const (
	workers = 16
	rounds  = 12
	replays = 4 // goroutines presenting one refresh token at once
)

var managerKey = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))

// tickingClock starts at base and moves one microsecond on every reading, so
// that a call starting after another returned sees a later time, as on a
// real clock: a LogoutEverywhere falls strictly after every login that
// returned before it began.
func tickingClock() func() time.Time {
	var n atomic.Int64
	return func() time.Time { return base.Add(time.Duration(n.Add(1)) * time.Microsecond) }
}

// testManagerRace drives one Manager, with refresh rotation, on the store
// from many goroutines at once: logins, refreshes, the guards, logout,
// replayed refresh tokens, RevokeAccessToken and LogoutEverywhere. Each
// goroutine checks what must hold whatever the others do: once a
// revocation returns, every token it covers is refused with ErrRevoked;
// of the goroutines presenting one refresh token, exactly one gets a new
// pair; no session is touched by another's revocation; and no call fails
// with anything but the error its case expects.
func testManagerRace(t *testing.T, s freshtoken.Store) {
	managerRace(t, freshtoken.Config{Key: managerKey, Now: tickingClock(), Store: s, RotateRefresh: true})
}

// testManagerRaceFlask is testManagerRace in the Flask-JWT-Extended token
// format, whose tokens carry freshtoken's session link in a "sid" claim:
// the same guarantees hold, and on Redis Cluster a session's keys share a
// slot as in freshtoken's own format.
func testManagerRaceFlask(t *testing.T, s freshtoken.Store) {
	managerRace(t, freshtoken.Config{
		Key: []byte("storetest-flask-profile-secret-32"), Flask: &freshtoken.FlaskOptions{},
		Now: tickingClock(), Store: s, RotateRefresh: true,
	})
}

func managerRace(t *testing.T, cfg freshtoken.Config) {
	m, err := freshtoken.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &racer{t: t, m: m}
	names := ids(workers + 2)
	shared := names[workers] // every goroutine logs it out everywhere
	bystander := r.issue(names[workers+1])
	if bystander == nil {
		return
	}

	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			sub := names[w]
			for i := range rounds {
				switch i % 3 {
				case 0:
					r.logout(sub)
				case 1:
					r.replay(sub)
				case 2:
					r.revokeAccess(sub)
				}
				r.everywhere(shared)
				r.expect("a bystander's access token", r.access(bystander.Access), nil)
			}
		}()
	}
	close(start)
	wg.Wait()
	r.expect("a bystander's refresh token", r.refreshGuard(bystander.Refresh), nil)
	t.Logf("%d Manager calls from %d goroutines", r.calls.Load(), workers)
}

// racer makes the Manager calls and checks their errors.
type racer struct {
	t     *testing.T
	m     *freshtoken.Manager
	calls atomic.Int64
}

// expect reports err unless it matches one of want (nil: success).
func (r *racer) expect(what string, err error, want ...error) {
	r.t.Helper()
	for _, w := range want {
		if (w == nil && err == nil) || (w != nil && errors.Is(err, w)) {
			return
		}
	}
	r.t.Errorf("%s: got %v, want one of %v", what, err, want)
}

func (r *racer) issue(sub string) *freshtoken.Pair {
	r.t.Helper()
	r.calls.Add(1)
	p, err := r.m.Issue(context.Background(), sub)
	if err != nil {
		r.t.Errorf("Issue: %v", err)
	}
	return p
}

// refresh calls Refresh, which must succeed.
func (r *racer) refresh(what, tok string) *freshtoken.Pair {
	r.t.Helper()
	r.calls.Add(1)
	p, err := r.m.Refresh(context.Background(), tok)
	if err != nil {
		r.t.Errorf("Refresh of %s: %v", what, err)
	}
	return p
}

func (r *racer) refreshErr(tok string) error {
	r.calls.Add(1)
	_, err := r.m.Refresh(context.Background(), tok)
	return err
}

func (r *racer) access(tok string) error {
	r.calls.Add(1)
	_, err := r.m.RequireAccess(context.Background(), tok)
	return err
}

func (r *racer) fresh(tok string) error {
	r.calls.Add(1)
	_, err := r.m.RequireFresh(context.Background(), tok)
	return err
}

func (r *racer) refreshGuard(tok string) error {
	r.calls.Add(1)
	_, err := r.m.RequireRefresh(context.Background(), tok)
	return err
}

// logout walks a session through two rotations, then logs it out: every
// token it ever had is refused from then on, and a second logout is fine.
func (r *racer) logout(sub string) {
	r.t.Helper()
	login := r.issue(sub)
	if login == nil {
		return
	}
	r.expect("a login's access token", r.access(login.Access), nil)
	r.expect("a login's access token at RequireFresh", r.fresh(login.Access), nil)
	r.expect("a login's refresh token", r.refreshGuard(login.Refresh), nil)
	first := r.refresh("a login's refresh token", login.Refresh)
	if first == nil {
		return
	}
	r.expect("a refreshed access token at RequireFresh", r.fresh(first.Access), freshtoken.ErrNotFresh)
	r.expect("a refreshed access token", r.access(first.Access), nil)
	second := r.refresh("a rotated refresh token", first.Refresh)
	if second == nil {
		return
	}
	r.calls.Add(1)
	r.expect("Logout", r.m.Logout(context.Background(), second.Refresh), nil)
	for _, tok := range []string{login.Access, first.Access, second.Access} {
		r.expect("an access token after Logout", r.access(tok), freshtoken.ErrRevoked)
	}
	for _, tok := range []string{login.Refresh, first.Refresh, second.Refresh} {
		r.expect("a refresh token after Logout", r.refreshGuard(tok), freshtoken.ErrRevoked)
	}
	r.expect("Refresh after Logout", r.refreshErr(second.Refresh), freshtoken.ErrRevoked)
	r.calls.Add(1)
	r.expect("a second Logout", r.m.Logout(context.Background(), second.Refresh), nil)
}

// replay presents one refresh token from several goroutines at once:
// exactly one gets a new pair, the others are reuses, which revoke the
// session, the winner's new tokens included.
func (r *racer) replay(sub string) {
	r.t.Helper()
	login := r.issue(sub)
	if login == nil {
		return
	}
	var (
		wg      sync.WaitGroup
		winners atomic.Int32
		won     atomic.Pointer[freshtoken.Pair]
	)
	for range replays {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.calls.Add(1)
			p, err := r.m.Refresh(context.Background(), login.Refresh)
			if err == nil {
				winners.Add(1)
				won.Store(p)
				return
			}
			r.expect("a losing Refresh of a replayed token", err, freshtoken.ErrRevoked)
		}()
	}
	wg.Wait()
	if n := winners.Load(); n != 1 {
		r.t.Errorf("%d of %d concurrent Refresh calls with one refresh token succeeded, want exactly 1", n, replays)
		return
	}
	p := won.Load()
	r.expect("the winner's access token after the replay", r.access(p.Access), freshtoken.ErrRevoked)
	r.expect("the winner's refresh token after the replay", r.refreshGuard(p.Refresh), freshtoken.ErrRevoked)
	r.expect("the login's access token after the replay", r.access(login.Access), freshtoken.ErrRevoked)
}

// revokeAccess revokes one refreshed access token by its ID: that token is
// refused, the rest of its session goes on.
func (r *racer) revokeAccess(sub string) {
	r.t.Helper()
	login := r.issue(sub)
	if login == nil {
		return
	}
	p := r.refresh("a login's refresh token", login.Refresh)
	if p == nil {
		return
	}
	r.calls.Add(1)
	c, err := r.m.RequireAccess(context.Background(), p.Access)
	if err != nil {
		r.t.Errorf("RequireAccess of a refreshed access token: %v", err)
		return
	}
	r.calls.Add(1)
	r.expect("RevokeAccessToken", r.m.RevokeAccessToken(context.Background(), c.ID), nil)
	r.expect("the revoked access token", r.access(p.Access), freshtoken.ErrRevoked)
	r.expect("the login's access token, not revoked", r.access(login.Access), nil)
	r.expect("the login's access token at RequireFresh", r.fresh(login.Access), nil)
	r.expect("the session's refresh token", r.refreshGuard(p.Refresh), nil)
	if next := r.refresh("the session's refresh token", p.Refresh); next != nil {
		r.expect("an access token refreshed after the revocation", r.access(next.Access), nil)
	}
}

// everywhere logs in as the subject every goroutine shares and logs it out
// everywhere. Before that, another goroutine's LogoutEverywhere may already
// have ended the login; after it, the login is over whatever the others do.
func (r *racer) everywhere(shared string) {
	r.t.Helper()
	login := r.issue(shared)
	if login == nil {
		return
	}
	r.expect("a login of the shared subject", r.access(login.Access), nil, freshtoken.ErrRevoked)
	r.calls.Add(1)
	r.expect("LogoutEverywhere", r.m.LogoutEverywhere(context.Background(), shared), nil)
	r.expect("an access token after LogoutEverywhere", r.access(login.Access), freshtoken.ErrRevoked)
	r.expect("a refresh token after LogoutEverywhere", r.refreshGuard(login.Refresh), freshtoken.ErrRevoked)
	r.expect("Refresh after LogoutEverywhere", r.refreshErr(login.Refresh), freshtoken.ErrRevoked)
}
