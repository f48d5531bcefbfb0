package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The checks of freshtoken.SessionStore, the registry of live sessions. A
// store that does not implement it skips them.

// sessionStore returns s as a SessionStore, or skips the check.
func sessionStore(t *testing.T, s freshtoken.Store) freshtoken.SessionStore {
	t.Helper()
	ss, ok := s.(freshtoken.SessionStore)
	if !ok {
		t.Skipf("%T does not implement freshtoken.SessionStore", s)
	}
	return ss
}

// session is a session that logged in at login (with some nanoseconds, which
// a store keeps) and ends a day later.
func session(id string, login time.Time, labels map[string]string) freshtoken.Session {
	return freshtoken.Session{ID: id, LoginAt: login, EndsAt: login.Truncate(time.Microsecond).Add(24 * time.Hour), Labels: labels}
}

func add(t *testing.T, s freshtoken.SessionStore, now time.Time, subject string, sess freshtoken.Session, limit int, refuse bool) (bool, []freshtoken.Session) {
	t.Helper()
	refused, evict, err := s.AddSession(context.Background(), now, subject, sess, limit, refuse)
	if err != nil {
		t.Fatalf("AddSession(%v, %q, %q, %d, %v): %v", now, subject, sess.ID, limit, refuse, err)
	}
	return refused, evict
}

func list(t *testing.T, s freshtoken.SessionStore, now time.Time, subject string) []freshtoken.Session {
	t.Helper()
	got, err := s.ListSessions(context.Background(), now, subject)
	if err != nil {
		t.Fatalf("ListSessions(%v, %q): %v", now, subject, err)
	}
	slices.SortFunc(got, func(a, b freshtoken.Session) int { return strings.Compare(a.ID, b.ID) })
	return got
}

func remove(t *testing.T, s freshtoken.SessionStore, now time.Time, subject string, ids ...string) {
	t.Helper()
	if err := s.RemoveSessions(context.Background(), now, subject, ids); err != nil {
		t.Fatalf("RemoveSessions(%v, %q, %q): %v", now, subject, ids, err)
	}
}

func touch(t *testing.T, s freshtoken.SessionStore, now time.Time, subject, id string, refreshed, ends time.Time) {
	t.Helper()
	if err := s.TouchSession(context.Background(), now, subject, id, refreshed, ends); err != nil {
		t.Fatalf("TouchSession(%v, %q, %q): %v", now, subject, id, err)
	}
}

// sessionIDs returns the IDs of list, sorted.
func sessionIDs(list []freshtoken.Session) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.ID
	}
	slices.Sort(out)
	return out
}

func checkSessions(t *testing.T, what string, got, want []freshtoken.Session) {
	t.Helper()
	slices.SortFunc(want, func(a, b freshtoken.Session) int { return strings.Compare(a.ID, b.ID) })
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("%s: got %d sessions, want %d (-want +got):\n%s", what, len(got), len(want), diff)
	}
}

func checkIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	slices.Sort(want)
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("%s: got %q, want %q (-want +got):\n%s", what, got, want, diff)
	}
}

func testSessionsAddList(t *testing.T, st freshtoken.Store) {
	s := sessionStore(t, st)
	n := ids(5)
	sub, other := n[0], n[1]
	a := session(n[2], base.Add(7*time.Nanosecond), map[string]string{"user_agent": "Firefox/140 on Linux", "ip": "192.0.2.7"})
	b := session(n[3], base.Add(time.Second), nil)
	c := session(n[4], base.Add(2*time.Second), map[string]string{"device": "Grüße 🚀"})
	for _, sess := range []freshtoken.Session{a, b, c} {
		if refused, evict := add(t, s, base.Add(3*time.Second), sub, sess, 0, false); refused || evict != nil {
			t.Fatalf("AddSession without a cap: refused=%v, evict=%v; want neither", refused, evict)
		}
	}
	checkSessions(t, "the recorded sessions, the login to the nanosecond, the labels as given", list(t, s, base.Add(3*time.Second), sub), []freshtoken.Session{a, b, c})
	checkSessions(t, "another subject's list", list(t, s, base.Add(3*time.Second), other), nil)

	// The store copies the labels it is given and hands out copies.
	a.Labels["ip"] = "changed"
	got := list(t, s, base.Add(3*time.Second), sub)
	if got[0].Labels["ip"] != "192.0.2.7" {
		t.Errorf("the caller's map changed a recorded label: got %q", got[0].Labels["ip"])
	}
	got[0].Labels["ip"] = "changed again"
	if again := list(t, s, base.Add(3*time.Second), sub); again[0].Labels["ip"] != "192.0.2.7" {
		t.Errorf("a listed map changed a recorded label: got %q", again[0].Labels["ip"])
	}
}

func testSessionsEnd(t *testing.T, st freshtoken.Store) {
	s := sessionStore(t, st)
	n := ids(3)
	sub := n[0]
	short := freshtoken.Session{ID: n[1], LoginAt: base, EndsAt: base.Add(time.Hour)}
	long := freshtoken.Session{ID: n[2], LoginAt: base, EndsAt: base.Add(2 * time.Hour)}
	add(t, s, base, sub, short, 0, false)
	add(t, s, base, sub, long, 0, false)
	cases := []struct {
		name, reason string
		now          time.Time
		want         []string
	}{
		{"at login", "both count at once", base, []string{short.ID, long.ID}},
		{"just before the end", "a session counts up to its end", short.EndsAt.Add(-time.Microsecond), []string{short.ID, long.ID}},
		{"at the end", "it counts while now is before its end, not at it", short.EndsAt, []string{long.ID}},
		{"after both", "ended sessions leave by themselves", long.EndsAt.Add(time.Hour), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkIDs(t, c.reason, sessionIDs(list(t, s, c.now, sub)), c.want)
		})
	}
}

func testSessionsScoped(t *testing.T, st freshtoken.Store) {
	s := sessionStore(t, st)
	n := ids(4)
	alice, bob := n[0], n[1]
	a, b := session(n[2], base, nil), session(n[3], base, nil)
	add(t, s, base, alice, a, 0, false)
	add(t, s, base, bob, b, 0, false)
	remove(t, s, base, bob, a.ID)
	touch(t, s, base, bob, a.ID, base.Add(time.Minute), a.EndsAt.Add(time.Hour))
	checkSessions(t, "another subject's remove and touch reach nothing", list(t, s, base, alice), []freshtoken.Session{a})
	remove(t, s, base, alice, a.ID, "never-recorded-"+n[3])
	checkSessions(t, "removed, with an unknown ID beside it", list(t, s, base, alice), nil)
	checkSessions(t, "the other subject keeps its own", list(t, s, base, bob), []freshtoken.Session{b})
	remove(t, s, base, alice, a.ID) // twice is not an error
}

func testSessionsTouch(t *testing.T, st freshtoken.Store) {
	s := sessionStore(t, st)
	n := ids(3)
	sub := n[0]
	a := session(n[1], base, map[string]string{"device": "phone"})
	add(t, s, base, sub, a, 0, false)
	r1 := base.Add(time.Hour)
	touch(t, s, r1, sub, a.ID, r1, a.EndsAt.Add(time.Hour))
	want := a
	want.LastRefreshAt, want.EndsAt = r1, a.EndsAt.Add(time.Hour)
	checkSessions(t, "a touch sets the refresh time and a later end", list(t, s, r1, sub), []freshtoken.Session{want})

	touch(t, s, r1, sub, a.ID, base.Add(time.Minute), a.EndsAt) // a late, concurrent refresh
	checkSessions(t, "a touch never moves either time back", list(t, s, r1, sub), []freshtoken.Session{want})

	touch(t, s, r1, sub, n[2], r1, a.EndsAt)
	checkSessions(t, "touching an unknown session records nothing", list(t, s, r1, sub), []freshtoken.Session{want})

	remove(t, s, r1, sub, a.ID)
	touch(t, s, r1.Add(time.Second), sub, a.ID, r1.Add(time.Second), a.EndsAt.Add(2*time.Hour))
	checkSessions(t, "a touch never brings back a removed session", list(t, s, r1, sub), nil)

	b := freshtoken.Session{ID: n[2], LoginAt: base, EndsAt: base.Add(time.Minute)}
	add(t, s, base, sub, b, 0, false)
	touch(t, s, base.Add(time.Minute), sub, b.ID, base.Add(time.Minute), base.Add(time.Hour))
	checkSessions(t, "a touch never brings back an ended session", list(t, s, base.Add(time.Minute), sub), nil)
}

func testSessionsCapEvict(t *testing.T, st freshtoken.Store) {
	s := sessionStore(t, st)
	n := ids(6)
	sub := n[0]
	var all []freshtoken.Session
	for i := range 4 {
		all = append(all, session(n[i+1], base.Add(time.Duration(i)*time.Second), nil))
	}
	now := base.Add(time.Minute)
	for _, sess := range all[:3] {
		if _, evict := add(t, s, now, sub, sess, 3, false); evict != nil {
			t.Fatalf("up to the cap: evict=%v, want none", evict)
		}
	}
	refused, evict := add(t, s, now, sub, all[3], 3, false)
	if refused {
		t.Fatal("a login over the cap was refused without refuse")
	}
	checkIDs(t, "one over a cap of 3: the oldest", sessionIDs(evict), []string{all[0].ID})
	checkIDs(t, "what is to be evicted stays listed until removed", sessionIDs(list(t, s, now, sub)), sessionIDs(all))

	// A cap lowered to 1 with 4 recorded: the three oldest go, never the
	// new one, even when its login is the oldest (a lagging clock).
	early := session(n[5], base.Add(-time.Hour), nil)
	_, evict = add(t, s, now, sub, early, 2, false)
	checkIDs(t, "five over a cap of 2: the three oldest but the new one", sessionIDs(evict), []string{all[0].ID, all[1].ID, all[2].ID})

	remove(t, s, now, sub, sessionIDs(evict)...)
	checkIDs(t, "after removing them", sessionIDs(list(t, s, now, sub)), []string{all[3].ID, early.ID})
	// Ended sessions do not count.
	later := all[3].EndsAt
	fresh := session(n[1]+"-later", later, nil)
	if _, evict := add(t, s, later, sub, fresh, 2, false); evict != nil {
		t.Errorf("ended sessions counted towards the cap: evict=%v", sessionIDs(evict))
	}
}

func testSessionsCapRefuse(t *testing.T, st freshtoken.Store) {
	s := sessionStore(t, st)
	n := ids(5)
	sub := n[0]
	a, b, c := session(n[1], base, nil), session(n[2], base.Add(time.Second), nil), session(n[3], base.Add(2*time.Second), nil)
	now := base.Add(time.Minute)
	for _, sess := range []freshtoken.Session{a, b} {
		if refused, _ := add(t, s, now, sub, sess, 2, true); refused {
			t.Fatal("a login up to the cap was refused")
		}
	}
	refused, evict := add(t, s, now, sub, c, 2, true)
	if !refused || evict != nil {
		t.Fatalf("a login over the cap: refused=%v, evict=%v; want refused and none evicted", refused, evict)
	}
	checkIDs(t, "a refused session is not recorded", sessionIDs(list(t, s, now, sub)), []string{a.ID, b.ID})
	remove(t, s, now, sub, a.ID)
	if refused, _ := add(t, s, now, sub, c, 2, true); refused {
		t.Error("once a session is removed, a login is refused still")
	}
	d := session(n[4], a.EndsAt, nil)
	if refused, _ := add(t, s, b.EndsAt, sub, d, 2, true); refused {
		t.Error("ended sessions counted towards the cap")
	}
}

func testSessionsRevokedHidden(t *testing.T, st freshtoken.Store) {
	s := sessionStore(t, st)
	n := ids(5)
	sub := n[0]
	a, b, c := session(n[1], base, nil), session(n[2], base, nil), session(n[3], base, nil)
	for _, sess := range []freshtoken.Session{a, b, c} {
		add(t, s, base, sub, sess, 0, false)
	}
	revoke(t, s, base, a.ID, base.Add(time.Hour))
	now := base.Add(time.Minute)
	redeem(t, s, now, b.ID, n[4], a.EndsAt, 0)
	if redeem(t, s, now, b.ID, n[4], a.EndsAt, 0) {
		t.Fatal("a reused refresh token was redeemed")
	}
	checkIDs(t, "revoked sessions, by Revoke or by a reuse, are not listed before they are removed", sessionIDs(list(t, s, now, sub)), []string{c.ID})
}

func testSessionsCutoff(t *testing.T, st freshtoken.Store) {
	s := sessionStore(t, st)
	n := ids(5)
	sub, other := n[0], n[1]
	cut := base.Add(time.Hour + 500*time.Nanosecond)
	before := session(n[2], cut.Add(-time.Nanosecond), nil)
	at := session(n[3], cut, nil)
	add(t, s, cut, sub, before, 0, false)
	add(t, s, cut, sub, at, 0, false)
	add(t, s, cut, other, session(n[4], base, nil), 0, false)
	revokeBefore(t, s, cut, sub, cut.Add(24*time.Hour))
	checkIDs(t, "RevokeBefore removes the sessions begun before the cutoff, to the nanosecond", sessionIDs(list(t, s, cut, sub)), []string{at.ID})
	checkIDs(t, "and no other subject's", sessionIDs(list(t, s, cut, other)), []string{n[4]})

	late := session(n[2]+"-late", cut.Add(-time.Second), nil)
	if refused, evict := add(t, s, cut, sub, late, 1, true); refused || evict != nil {
		t.Errorf("a login before the cutoff: refused=%v, evict=%v; want neither (nothing to record)", refused, evict)
	}
	checkIDs(t, "a login before a cutoff in force is not recorded", sessionIDs(list(t, s, cut, sub)), []string{at.ID})
}

func testSessionsOpaqueStrings(t *testing.T, st freshtoken.Store) {
	s := sessionStore(t, st)
	odd := oddStrings()
	for i, sub := range odd {
		id := odd[(i+1)%len(odd)]
		add(t, s, base, sub, session(id, base, map[string]string{"device": "d"}), 1, false)
	}
	for i, sub := range odd {
		id := odd[(i+1)%len(odd)]
		got := list(t, s, base, sub)
		if len(got) != 1 || got[0].ID != id {
			t.Errorf("subject %q: got %q, want only %q", sub, sessionIDs(got), id)
		}
	}
	remove(t, s, base, odd[0], odd[1])
	if got := list(t, s, base, odd[0]); len(got) != 0 {
		t.Errorf("subject %q after RemoveSessions: got %q, want none", odd[0], sessionIDs(got))
	}
}

func testSessionsRefusesEmpty(t *testing.T, st freshtoken.Store) {
	s := sessionStore(t, st)
	ctx := context.Background()
	n := ids(2)
	calls := []struct {
		name string
		err  func() error
	}{
		{"AddSession with an empty subject", func() error {
			_, _, err := s.AddSession(ctx, base, "", session(n[1], base, nil), 0, false)
			return err
		}},
		{"AddSession with an empty session ID", func() error {
			_, _, err := s.AddSession(ctx, base, n[0], session("", base, nil), 0, false)
			return err
		}},
		{"TouchSession with an empty subject", func() error { return s.TouchSession(ctx, base, "", n[1], base, base) }},
		{"TouchSession with an empty session ID", func() error { return s.TouchSession(ctx, base, n[0], "", base, base) }},
		{"ListSessions with an empty subject", func() error { _, err := s.ListSessions(ctx, base, ""); return err }},
		{"RemoveSessions with an empty subject", func() error { return s.RemoveSessions(ctx, base, "", []string{n[1]}) }},
		{"RemoveSessions with an empty session ID", func() error { return s.RemoveSessions(ctx, base, n[0], []string{""}) }},
	}
	for _, c := range calls {
		if err := c.err(); !errors.Is(err, freshtoken.ErrInvalidConfig) {
			t.Errorf("%s: error %v, want one matching freshtoken.ErrInvalidConfig", c.name, err)
		}
	}
	checkSessions(t, "nothing was recorded", list(t, s, base, n[0]), nil)
}

// testSessionsCapRace adds sessions for one subject from many goroutines
// at once under a refusing cap: exactly the cap's number are recorded.
func testSessionsCapRace(t *testing.T, st freshtoken.Store) {
	s := sessionStore(t, st)
	const limit = 5
	n := ids(racers + 1)
	var wg sync.WaitGroup
	var accepted atomic.Int32
	start := make(chan struct{})
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			refused, _, err := s.AddSession(context.Background(), base, n[racers], session(n[i], base.Add(time.Duration(i)), nil), limit, true)
			if err != nil {
				t.Errorf("AddSession: %v", err)
			}
			if !refused {
				accepted.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if got := accepted.Load(); got != limit {
		t.Errorf("%d of %d concurrent logins under a cap of %d were recorded, want exactly %d", got, racers, limit, limit)
	}
	if got := list(t, s, base, n[racers]); len(got) != limit {
		t.Errorf("%d sessions listed under a cap of %d, want %d", len(got), limit, limit)
	}
}
