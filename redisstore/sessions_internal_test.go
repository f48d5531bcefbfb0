package redisstore

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/internal/redistest"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

// These tests look inside the registry's keys (sessions.go), which the
// conformance suite cannot: that the indexes hold only what they should,
// so that a login's work stays bounded.

var sessionBase = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// newSessionStore returns a Store on a redis-server of the test's own.
func newSessionStore(t *testing.T) (*Store, *redis.Client) {
	t.Helper()
	srv := redistest.Start(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	s, err := New(c, "")
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// sizes reports how many entries the subject's hash, ends and logins hold.
func sizes(t *testing.T, s *Store, c *redis.Client, sub string) [3]int64 {
	t.Helper()
	ctx := context.Background()
	k := s.sessionKeys(sub)
	var out [3]int64
	var err error
	if out[0], err = c.HLen(ctx, k[0]).Result(); err != nil {
		t.Fatal(err)
	}
	for i, key := range k[1:] {
		if out[i+1], err = c.ZCard(ctx, key).Result(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func checkSizes(t *testing.T, what string, s *Store, c *redis.Client, sub string, want int64) {
	t.Helper()
	if got := sizes(t, s, c, sub); got != [3]int64{want, want, want} {
		t.Errorf("%s: the hash, ends and logins hold %v entries, want %d each", what, got, want)
	}
}

func mustAdd(t *testing.T, s *Store, now time.Time, sub string, sess freshtoken.Session, limit int, refuse bool) (bool, []freshtoken.Session) {
	t.Helper()
	refused, evict, err := s.AddSession(context.Background(), now, sub, sess, limit, refuse)
	if err != nil {
		t.Fatalf("AddSession(%q): %v", sess.ID, err)
	}
	return refused, evict
}

func listIDs(t *testing.T, s *Store, now time.Time, sub string) []string {
	t.Helper()
	list, err := s.ListSessions(context.Background(), now, sub)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, sess := range list {
		ids = append(ids, sess.ID)
	}
	slices.Sort(ids)
	return ids
}

// A subject that logs in every second, each session lasting ten, keeps
// ten entries however many logins came before.
func TestSessionsKeepOnlyLive(t *testing.T) {
	s, c := newSessionStore(t)
	const logins, life = 5000, 10
	var now time.Time
	for i := range logins {
		now = sessionBase.Add(time.Duration(i) * time.Second)
		mustAdd(t, s, now, "alice", freshtoken.Session{ID: fmt.Sprint("s", i), LoginAt: now, EndsAt: now.Add(life * time.Second)}, 0, false)
	}
	checkSizes(t, fmt.Sprintf("after %d logins", logins), s, c, "alice", life)
	if got := listIDs(t, s, now, "alice"); len(got) != life {
		t.Errorf("listed %d sessions, want %d", len(got), life)
	}
}

// When many sessions end at once, each login forgets at most pruneBatch
// of them; the rest are neither listed nor counted meanwhile.
func TestSessionsPruneBounded(t *testing.T) {
	s, c := newSessionStore(t)
	const ended = 2*pruneBatch + 50
	end := sessionBase.Add(time.Hour)
	for i := range ended {
		mustAdd(t, s, sessionBase, "alice", freshtoken.Session{ID: fmt.Sprint("old", i), LoginAt: sessionBase, EndsAt: end}, 0, false)
	}
	left := int64(ended)
	for i := range 3 {
		now := end.Add(time.Duration(i) * time.Second)
		sess := freshtoken.Session{ID: fmt.Sprint("new", i), LoginAt: now, EndsAt: now.Add(time.Hour)}
		if refused, _ := mustAdd(t, s, now, "alice", sess, i+1, true); refused {
			t.Fatalf("login %d refused under a cap of %d: ended sessions counted", i, i+1)
		}
		left = max(left-pruneBatch, 0)
		checkSizes(t, fmt.Sprintf("after login %d", i), s, c, "alice", left+int64(i)+1)
		if got := listIDs(t, s, now, "alice"); len(got) != i+1 {
			t.Errorf("after login %d: listed %q, want the %d new ones", i, got, i+1)
		}
	}
}

// Eviction walks the logins from the oldest, forgetting the ended
// sessions it meets, and evicts the oldest live one.
func TestSessionsEvictSkipsEnded(t *testing.T) {
	s, c := newSessionStore(t)
	const ended = 2*pruneBatch + 50
	now := sessionBase.Add(time.Hour)
	for i := range ended {
		mustAdd(t, s, sessionBase, "alice", freshtoken.Session{ID: fmt.Sprint("old", i), LoginAt: sessionBase, EndsAt: now}, 0, false)
	}
	for i := range 2 {
		login := sessionBase.Add(time.Duration(i+1) * time.Minute)
		mustAdd(t, s, login, "alice", freshtoken.Session{ID: fmt.Sprint("live", i), LoginAt: login, EndsAt: now.Add(time.Hour)}, 0, false)
	}
	_, evict := mustAdd(t, s, now, "alice", freshtoken.Session{ID: "new", LoginAt: now, EndsAt: now.Add(time.Hour)}, 2, false)
	if len(evict) != 1 || evict[0].ID != "live0" {
		t.Errorf("evicted %v, want only live0", evict)
	}
	checkSizes(t, "after the eviction's walk", s, c, "alice", 3)
}

// Logins are ordered to the nanosecond, before 1970 too, for eviction and
// for the cutoff.
func TestSessionsLoginOrder(t *testing.T) {
	s, c := newSessionStore(t)
	now := time.Unix(0, 0)
	logins := []int64{-1_000_000_007, -6, -5, 0, 3, 1_000_000_000}
	for i, ns := range slices.Backward(logins) {
		mustAdd(t, s, now, "alice", freshtoken.Session{ID: fmt.Sprint("s", i), LoginAt: time.Unix(0, ns), EndsAt: now.Add(time.Hour)}, 0, false)
	}
	_, evict := mustAdd(t, s, now, "alice", freshtoken.Session{ID: "new", LoginAt: now, EndsAt: now.Add(time.Hour)}, 2, false)
	var got []int64
	for _, e := range evict {
		got = append(got, e.LoginAt.UnixNano())
	}
	if diff := cmp.Diff(logins[:len(logins)-1], got); diff != "" {
		t.Errorf("evicted in the wrong order (-want +got):\n%s", diff)
	}
	if err := s.RevokeBefore(context.Background(), time.Unix(0, -5), "alice", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	checkSizes(t, "after a cutoff at -5 ns", s, c, "alice", 5)
}

// RevokeBefore empties all three keys, and they expire with the last
// session.
func TestSessionsKeysGoTogether(t *testing.T) {
	s, c := newSessionStore(t)
	ctx := context.Background()
	for i := range 3 {
		mustAdd(t, s, sessionBase, "alice", freshtoken.Session{ID: fmt.Sprint("s", i), LoginAt: sessionBase, EndsAt: sessionBase.Add(time.Duration(i+1) * time.Hour)}, 0, false)
	}
	if err := s.TouchSession(ctx, sessionBase, "alice", "s0", sessionBase, sessionBase.Add(5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, k := range s.sessionKeys("alice") {
		got, err := c.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if want := 5 * time.Hour; (got - want).Abs() > 5*time.Second {
			t.Errorf("%s lives %v, want %v: as long as its last session", k, got, want)
		}
	}
	if err := s.RevokeBefore(ctx, sessionBase.Add(time.Second), "alice", sessionBase.Add(6*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Exists(ctx, s.sessionKeys("alice")...).Result(); err != nil || n != 0 {
		t.Errorf("after RevokeBefore, %d of the session keys remain (%v), want none", n, err)
	}
}

// An entry that neither index holds, as the registry wrote before it had
// indexes, breaks nothing: it is listed while it lives, not after, nor
// after a cutoff; a touch indexes it; RemoveSessions forgets it.
func TestSessionsUnindexedEntry(t *testing.T) {
	s, c := newSessionStore(t)
	ctx := context.Background()
	legacy := freshtoken.Session{ID: "legacy", LoginAt: sessionBase, EndsAt: sessionBase.Add(time.Hour)}
	write := func() {
		v, err := encodeSession(legacy)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.HSet(ctx, s.sessionsKey("alice"), legacy.ID, v).Err(); err != nil {
			t.Fatal(err)
		}
	}
	write()
	mustAdd(t, s, sessionBase, "alice", freshtoken.Session{ID: "new", LoginAt: sessionBase, EndsAt: sessionBase.Add(time.Hour)}, 1, false)
	if got, want := listIDs(t, s, sessionBase, "alice"), []string{"legacy", "new"}; !slices.Equal(got, want) {
		t.Errorf("listed %q, want %q", got, want)
	}
	if got := listIDs(t, s, legacy.EndsAt, "alice"); len(got) != 0 {
		t.Errorf("after the end, listed %q, want none", got)
	}

	if err := s.TouchSession(ctx, sessionBase, "alice", "legacy", sessionBase, legacy.EndsAt); err != nil {
		t.Fatal(err)
	}
	checkSizes(t, "a touched entry is indexed", s, c, "alice", 2)
	if err := s.RemoveSessions(ctx, sessionBase, "alice", []string{"legacy", "new"}); err != nil {
		t.Fatal(err)
	}
	checkSizes(t, "after RemoveSessions", s, c, "alice", 0)

	write()
	cut := sessionBase.Add(time.Minute)
	if err := s.RevokeBefore(ctx, cut, "alice", cut.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := listIDs(t, s, cut, "alice"); len(got) != 0 {
		t.Errorf("after RevokeBefore, listed %q, want none", got)
	}
	if err := s.RemoveSessions(ctx, cut, "alice", []string{"legacy"}); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Exists(ctx, s.sessionKeys("alice")...).Result(); err != nil || n != 0 {
		t.Errorf("%d session keys remain (%v), want none", n, err)
	}
}
