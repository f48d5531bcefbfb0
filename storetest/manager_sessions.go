package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/internal/testclock"
	"github.com/google/go-cmp/cmp"
)

// The session registry through a Manager: what Manager.Sessions shows after
// logins, refreshes and each way of ending a session.

func newSessionManager(t *testing.T, s freshtoken.Store, now func() time.Time, edit func(*freshtoken.Config)) *freshtoken.Manager {
	t.Helper()
	cfg := freshtoken.Config{Key: managerKey, Now: now, Store: s, RotateRefresh: true}
	if edit != nil {
		edit(&cfg)
	}
	m, err := freshtoken.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustIssue(t *testing.T, m *freshtoken.Manager, sub string, opts ...freshtoken.IssueOption) (*freshtoken.Pair, *freshtoken.Claims) {
	t.Helper()
	ctx := context.Background()
	p, err := m.Issue(ctx, sub, opts...)
	if err != nil {
		t.Fatalf("Issue(%q): %v", sub, err)
	}
	c, err := m.RequireAccess(ctx, p.Access)
	if err != nil {
		t.Fatalf("RequireAccess of a new login: %v", err)
	}
	return p, c
}

func listed(t *testing.T, m *freshtoken.Manager, sub string, current *freshtoken.Claims) []freshtoken.Session {
	t.Helper()
	got, err := m.Sessions(context.Background(), sub, current)
	if err != nil {
		t.Fatalf("Sessions(%q): %v", sub, err)
	}
	return got
}

// listedIDs returns the IDs of list in its order.
func listedIDs(list []freshtoken.Session) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.ID
	}
	return out
}

func testManagerSessions(t *testing.T, st freshtoken.Store) {
	sessionStore(t, st)
	sc := loginThrice(t, st)
	sc.endByID(t)
	sc.endTheRest(t)
}

// sessionScene is three logins of sub (the first refreshed with
// rotation) and one of other, on one Manager.
type sessionScene struct {
	m          *freshtoken.Manager
	clk        *testclock.Clock
	sub, other string
	pairs      []*freshtoken.Pair
	claims     []*freshtoken.Claims
	rotated    *freshtoken.Pair // the first session's, refreshed
}

// loginThrice sets the scene and checks how Sessions lists it: the newest
// first, with labels, refresh times, and the caller's marked.
func loginThrice(t *testing.T, st freshtoken.Store) *sessionScene {
	clk := testclock.New(base)
	n := ids(2)
	sc := &sessionScene{m: newSessionManager(t, st, clk.Now, nil), clk: clk, sub: n[0], other: n[1]}
	var logins []time.Time
	labels := []map[string]string{{"device": "laptop", "ip": "192.0.2.1"}, {"device": "phone"}, nil}
	for _, l := range labels {
		clk.Advance(time.Second + 7*time.Nanosecond)
		logins = append(logins, clk.Now())
		p, c := mustIssue(t, sc.m, sc.sub, freshtoken.WithSessionLabels(l))
		sc.pairs, sc.claims = append(sc.pairs, p), append(sc.claims, c)
	}
	mustIssue(t, sc.m, sc.other)

	clk.Advance(time.Minute)
	refreshedAt := clk.Now()
	var err error
	if sc.rotated, err = sc.m.Refresh(context.Background(), sc.pairs[0].Refresh); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	want := make([]freshtoken.Session, 3)
	for i := range want {
		want[2-i] = freshtoken.Session{
			ID: sc.claims[i].SessionID, LoginAt: logins[i], EndsAt: sc.pairs[i].RefreshExpiresAt, Labels: labels[i], Current: i == 1,
		}
	}
	want[2].LastRefreshAt = refreshedAt.Truncate(time.Microsecond)
	if diff := cmp.Diff(want, listed(t, sc.m, sc.sub, sc.claims[1])); diff != "" {
		t.Errorf("Sessions: the newest first, the caller's marked (-want +got):\n%s", diff)
	}
	return sc
}

// endByID ends the first session by its ID: only its own subject can.
func (sc *sessionScene) endByID(t *testing.T) {
	ctx, m := context.Background(), sc.m
	if err := m.EndSessionByID(ctx, sc.other, sc.claims[0].SessionID); !errors.Is(err, freshtoken.ErrNoSession) {
		t.Errorf("EndSessionByID with another subject's session: got %v, want ErrNoSession", err)
	}
	if _, err := m.RequireRefresh(ctx, sc.rotated.Refresh); err != nil {
		t.Errorf("a session another subject tried to end: %v", err)
	}
	if err := m.EndSessionByID(ctx, sc.sub, sc.claims[0].SessionID); err != nil {
		t.Fatalf("EndSessionByID: %v", err)
	}
	if _, err := m.Refresh(ctx, sc.rotated.Refresh); !errors.Is(err, freshtoken.ErrRevoked) {
		t.Errorf("Refresh in a session ended by ID: got %v, want ErrRevoked", err)
	}
	if err := m.EndSessionByID(ctx, sc.sub, sc.claims[0].SessionID); !errors.Is(err, freshtoken.ErrNoSession) {
		t.Errorf("EndSessionByID of an ended session: got %v, want ErrNoSession", err)
	}
	checkOrder(t, "after EndSessionByID", listed(t, m, sc.sub, nil), sc.claims[2].SessionID, sc.claims[1].SessionID)
}

// endTheRest ends the other sessions, then the caller's, then everything
// before a LogoutEverywhere, checking the list after each.
func (sc *sessionScene) endTheRest(t *testing.T) {
	ctx, m, sub := context.Background(), sc.m, sc.sub
	if err := m.EndOtherSessions(ctx, sc.claims[1]); err != nil {
		t.Fatalf("EndOtherSessions: %v", err)
	}
	if _, err := m.RequireAccess(ctx, sc.pairs[2].Access); !errors.Is(err, freshtoken.ErrRevoked) {
		t.Errorf("another session after EndOtherSessions: got %v, want ErrRevoked", err)
	}
	checkOrder(t, "after EndOtherSessions", listed(t, m, sub, nil), sc.claims[1].SessionID)

	if err := m.Logout(ctx, sc.pairs[1].Refresh); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	checkOrder(t, "after Logout", listed(t, m, sub, nil))

	p, _ := mustIssue(t, m, sub)
	sc.clk.Advance(time.Nanosecond)
	if err := m.LogoutEverywhere(ctx, sub); err != nil {
		t.Fatalf("LogoutEverywhere: %v", err)
	}
	if _, err := m.RequireAccess(ctx, p.Access); !errors.Is(err, freshtoken.ErrRevoked) {
		t.Errorf("a login before LogoutEverywhere: got %v, want ErrRevoked", err)
	}
	checkOrder(t, "after LogoutEverywhere", listed(t, m, sub, nil))
	_, again := mustIssue(t, m, sub)
	checkOrder(t, "a login at the instant of LogoutEverywhere", listed(t, m, sub, nil), again.SessionID)
	if got := listed(t, m, sc.other, nil); len(got) != 1 {
		t.Errorf("another subject's sessions: got %d, want 1", len(got))
	}
}

func checkOrder(t *testing.T, what string, got []freshtoken.Session, want ...string) {
	t.Helper()
	if diff := cmp.Diff(want, listedIDs(got), cmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) })); diff != "" {
		t.Errorf("%s: got %q, want %q", what, listedIDs(got), want)
	}
}

func testManagerSessionsCap(t *testing.T, st freshtoken.Store) {
	sessionStore(t, st)
	ctx := context.Background()
	for _, refuse := range []bool{false, true} {
		t.Run(fmt.Sprintf("refuse=%v", refuse), func(t *testing.T) {
			clk := testclock.New(base)
			m := newSessionManager(t, st, clk.Now, func(cfg *freshtoken.Config) {
				cfg.Sessions = freshtoken.SessionConfig{MaxPerUser: 2, RefuseOverCap: refuse}
			})
			sub := ids(1)[0]
			first, c1 := mustIssue(t, m, sub)
			clk.Advance(time.Second)
			_, c2 := mustIssue(t, m, sub)
			clk.Advance(time.Second)
			third, err := m.Issue(ctx, sub)
			if refuse {
				if !errors.Is(err, freshtoken.ErrTooManySessions) || third != nil {
					t.Fatalf("a login over a refusing cap: got %v, %v; want nil, ErrTooManySessions", third, err)
				}
				checkOrder(t, "a refused login is not listed", listed(t, m, sub, nil), c2.SessionID, c1.SessionID)
				return
			}
			if err != nil {
				t.Fatalf("a login over the cap: %v", err)
			}
			c3, err := m.RequireAccess(ctx, third.Access)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.RequireRefresh(ctx, first.Refresh); !errors.Is(err, freshtoken.ErrRevoked) {
				t.Errorf("the oldest session after a login over the cap: got %v, want ErrRevoked", err)
			}
			checkOrder(t, "the oldest session leaves", listed(t, m, sub, nil), c3.SessionID, c2.SessionID)
		})
	}
}

// testManagerSessionsRace drives a Manager with rotation and a cap of
// sessionCap from many goroutines sharing few subjects: logins over the
// cap, refreshes, logouts, replayed refresh tokens, ending by ID, ending
// the others, LogoutEverywhere and listing, all at once. Once they are
// done, each subject's list must be exactly its sessions whose refresh
// token the guard still accepts, and no longer than the cap.
func testManagerSessionsRace(t *testing.T, st freshtoken.Store) {
	sessionStore(t, st)
	for _, refuse := range []bool{false, true} {
		t.Run(fmt.Sprintf("refuse=%v", refuse), func(t *testing.T) {
			sessionsRace(t, st, refuse)
		})
	}
}

const sessionCap = 4

func sessionsRace(t *testing.T, st freshtoken.Store, refuse bool) {
	m := newSessionManager(t, st, tickingClock(), func(cfg *freshtoken.Config) {
		cfg.Sessions = freshtoken.SessionConfig{MaxPerUser: sessionCap, RefuseOverCap: refuse}
	})
	r := &sessionRacer{racer: racer{t: t, m: m}, logins: map[string]string{}}
	subjects := ids(3)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range workers / 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			sub := subjects[w%len(subjects)]
			for i := range rounds {
				r.round(sub, w, i)
			}
		}()
	}
	close(start)
	wg.Wait()

	ctx := context.Background()
	for _, sub := range subjects {
		got := listedIDs(listed(t, m, sub, nil))
		slices.Sort(got)
		var want []string
		r.mu.Lock()
		for sid, refresh := range r.logins {
			if r.subjects[sid] != sub {
				continue
			}
			if _, err := m.RequireRefresh(ctx, refresh); err == nil {
				want = append(want, sid)
			} else if !errors.Is(err, freshtoken.ErrRevoked) {
				t.Errorf("RequireRefresh after the race: %v", err)
			}
		}
		r.mu.Unlock()
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("subject %s: listed %q, but the guard accepts the sessions %q", sub, got, want)
		}
		if len(got) > sessionCap {
			t.Errorf("subject %s: %d sessions listed, over the cap of %d", sub, len(got), sessionCap)
		}
	}
	t.Logf("%d Manager calls, %d sessions", r.calls.Load(), len(r.logins))
}

// sessionRacer remembers every login's refresh token by session ID.
type sessionRacer struct {
	racer
	mu       sync.Mutex
	logins   map[string]string // session ID → the login's refresh token
	subjects map[string]string // session ID → subject
}

func (r *sessionRacer) login(sub string) (*freshtoken.Pair, *freshtoken.Claims) {
	ctx := context.Background()
	r.calls.Add(1)
	p, err := r.m.Issue(ctx, sub, freshtoken.WithSessionLabels(map[string]string{"device": "racer"}))
	if err != nil {
		r.expect("Issue", err, freshtoken.ErrTooManySessions)
		return nil, nil
	}
	c, err := r.m.RequireRefresh(ctx, p.Refresh)
	if err != nil {
		// Another goroutine may have ended it already.
		r.expect("a new login's refresh token", err, freshtoken.ErrRevoked)
		return nil, nil
	}
	r.mu.Lock()
	if r.subjects == nil {
		r.subjects = map[string]string{}
	}
	r.logins[c.SessionID], r.subjects[c.SessionID] = p.Refresh, sub
	r.mu.Unlock()
	return p, c
}

// round is one goroutine's turn: a login, a refresh, then one way of
// ending sessions, and a listing.
func (r *sessionRacer) round(sub string, w, i int) {
	ctx := context.Background()
	p, c := r.login(sub)
	if p == nil {
		// Over a refusing cap: make room.
		r.calls.Add(1)
		list, err := r.m.Sessions(ctx, sub, nil)
		r.expect("Sessions", err, nil)
		if len(list) > 0 {
			r.calls.Add(1)
			r.expect("EndSessionByID to make room", r.m.EndSessionByID(ctx, sub, list[len(list)-1].ID), nil, freshtoken.ErrNoSession)
		}
		return
	}
	r.calls.Add(1)
	next, err := r.m.Refresh(ctx, p.Refresh)
	r.expect("Refresh", err, nil, freshtoken.ErrRevoked) // a cap or EndOtherSessions may have ended it
	if next == nil {
		next = p
	}
	switch (w + i) % 6 {
	case 0:
		r.calls.Add(1)
		r.expect("Logout", r.m.Logout(ctx, next.Refresh), nil)
	case 1:
		var wg sync.WaitGroup
		for range replays {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.calls.Add(1)
				_, err := r.m.Refresh(ctx, next.Refresh)
				r.expect("a replayed Refresh", err, nil, freshtoken.ErrRevoked)
			}()
		}
		wg.Wait()
	case 2:
		r.calls.Add(1)
		r.expect("EndSessionByID", r.m.EndSessionByID(ctx, sub, c.SessionID), nil, freshtoken.ErrNoSession)
	case 3:
		r.calls.Add(1)
		r.expect("EndOtherSessions", r.m.EndOtherSessions(ctx, c), nil)
	case 4:
		if i%3 == 0 {
			r.calls.Add(1)
			r.expect("LogoutEverywhere", r.m.LogoutEverywhere(ctx, sub), nil)
		}
	}
	r.calls.Add(1)
	list, err := r.m.Sessions(ctx, sub, c)
	r.expect("Sessions", err, nil)
	seen := map[string]bool{}
	for _, s := range list {
		if seen[s.ID] {
			r.t.Errorf("session %s listed twice", s.ID)
		}
		seen[s.ID] = true
	}
}
