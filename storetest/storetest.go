// Package storetest checks that a freshtoken.Store keeps the contract
// documented on the interface. Every store freshtoken ships passes it; a
// store of your own should too:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) freshtoken.Store {
//			return mystore.New(...) // empty, or with keys no other test uses
//		})
//	}
//
// The Manager checks drive a Manager with refresh rotation on the store from
// many goroutines at once, and check that logout, rotation and
// LogoutEverywhere hold while they race; run them under -race.
//
// A store that also implements freshtoken.SessionStore, the registry of
// live sessions, gets the Sessions checks: its contract, then a Manager
// listing and ending sessions under a cap, and a race after which the list
// must equal the sessions whose tokens the guards still accept. A store
// without it skips them.
//
// The checks drive time through the now arguments and never sleep, so a
// store must take the time from its caller, as the contract says. They use
// fresh random IDs and subjects each run, so a store kept between runs (a
// shared Redis, a database) does not need to be emptied.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/google/go-cmp/cmp"
)

// base is the clock's starting point: microsecond-aligned, like every time a
// store keeps.
var base = time.Date(2026, 3, 1, 9, 0, 0, 123456000, time.UTC)

// Run runs every check as a subtest of t, each on a store newStore returns.
func Run(t *testing.T, newStore func(t *testing.T) freshtoken.Store) {
	t.Helper()
	checks := []struct {
		name string
		run  func(t *testing.T, s freshtoken.Store)
	}{
		{"NotFound", testNotFound},
		{"Revoke", testRevoke},
		{"RevokeEnds", testRevokeEnds},
		{"RevokeKeepsLaterEnd", testRevokeKeepsLaterEnd},
		{"Cutoff", testCutoff},
		{"CutoffOnlyMovesForward", testCutoffOnlyMovesForward},
		{"Precision", testPrecision},
		{"RefusesEmptyIDs", testRefusesEmptyIDs},
		{"OpaqueStrings", testOpaqueStrings},
		{"Redeem", testRedeem},
		{"RedeemChain", testRedeemChain},
		{"RedeemRevokedSession", testRedeemRevokedSession},
		{"RedeemOpaqueStrings", testRedeemOpaqueStrings},
		{"RedeemGrace", testRedeemGrace},
		{"RedeemSpentEnds", testRedeemSpentEnds},
		{"RedeemRace", testRedeemRace},
		{"RedeemRaceWithinGrace", testRedeemRaceWithinGrace},
		{"ConcurrentUse", testConcurrentUse},
		{"ManagerRace", testManagerRace},
		{"ManagerRaceFlask", testManagerRaceFlask},
		{"SessionsAddList", testSessionsAddList},
		{"SessionsEnd", testSessionsEnd},
		{"SessionsScoped", testSessionsScoped},
		{"SessionsTouch", testSessionsTouch},
		{"SessionsCapEvict", testSessionsCapEvict},
		{"SessionsCapRefuse", testSessionsCapRefuse},
		{"SessionsRevokedHidden", testSessionsRevokedHidden},
		{"SessionsCutoff", testSessionsCutoff},
		{"SessionsOpaqueStrings", testSessionsOpaqueStrings},
		{"SessionsRefusesEmpty", testSessionsRefusesEmpty},
		{"SessionsCapRace", testSessionsCapRace},
		{"ManagerSessions", testManagerSessions},
		{"ManagerSessionsCap", testManagerSessionsCap},
		{"ManagerSessionsRace", testManagerSessionsRace},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, newStore(t))
		})
	}
}

// lookup is what Store.Lookup answers.
type lookup struct {
	Revoked bool
	Cutoff  time.Time
}

var none = lookup{}

func get(t *testing.T, s freshtoken.Store, now time.Time, subject, tokenID, sessionID string) lookup {
	t.Helper()
	revoked, cutoff, err := s.Lookup(context.Background(), now, subject, tokenID, sessionID)
	if err != nil {
		t.Fatalf("Lookup(%v, %q, %q, %q): %v", now, subject, tokenID, sessionID, err)
	}
	return lookup{revoked, cutoff}
}

func check(t *testing.T, what string, got, want lookup) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: got %+v, want %+v (-want +got):\n%s", what, got, want, diff)
	}
}

func revoke(t *testing.T, s freshtoken.Store, now time.Time, id string, until time.Time) {
	t.Helper()
	if err := s.Revoke(context.Background(), now, id, until); err != nil {
		t.Fatalf("Revoke(%v, %q, %v): %v", now, id, until, err)
	}
}

func revokeBefore(t *testing.T, s freshtoken.Store, now time.Time, subject string, until time.Time) {
	t.Helper()
	if err := s.RevokeBefore(context.Background(), now, subject, until); err != nil {
		t.Fatalf("RevokeBefore(%v, %q, %v): %v", now, subject, until, err)
	}
}

func redeem(t *testing.T, s freshtoken.Store, now time.Time, session, token string, until time.Time, grace time.Duration) bool {
	t.Helper()
	ok, err := s.Redeem(context.Background(), now, session, token, until, grace)
	if err != nil {
		t.Fatalf("Redeem(%v, %q, %q, %v, %v): %v", now, session, token, until, grace, err)
	}
	return ok
}

// ids returns n names no earlier run has used, each starting with its index.
func ids(n int) []string {
	var raw [8]byte
	if _, err := rand.Read(raw[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	suffix := hex.EncodeToString(raw[:])
	out := make([]string, n)
	for i := range out {
		out[i] = string(rune('a'+i%26)) + "-" + suffix + "-" + hex.EncodeToString([]byte{byte(i / 26)})
	}
	return out
}

func testNotFound(t *testing.T, s freshtoken.Store) {
	n := ids(3)
	check(t, "nothing recorded", get(t, s, base, n[0], n[1], n[2]), none)
	check(t, "token ID equal to session ID", get(t, s, base, n[0], n[1], n[1]), none)
}

func testRevoke(t *testing.T, s freshtoken.Store) {
	n := ids(4)
	sub, tok, sess, other := n[0], n[1], n[2], n[3]
	revoke(t, s, base, tok, base.Add(time.Hour))
	revoke(t, s, base, sess, base.Add(time.Hour))
	cases := []struct {
		name, reason     string
		tokenID, session string
		want             lookup
	}{
		{"token", "a revoked jti blocks its token", tok, other, lookup{Revoked: true}},
		{"session", "a revoked sid blocks every token of the session", other, sess, lookup{Revoked: true}},
		{"both", "both revoked", tok, sess, lookup{Revoked: true}},
		{"neither", "revocations do not spill over to other IDs", other, other, none},
		{"session in token slot", "IDs share one namespace", sess, sess, lookup{Revoked: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check(t, c.reason, get(t, s, base.Add(time.Minute), sub, c.tokenID, c.session), c.want)
		})
	}
}

func testRevokeEnds(t *testing.T, s freshtoken.Store) {
	n := ids(3)
	until := base.Add(15 * time.Minute)
	revoke(t, s, base, n[1], until)
	cases := []struct {
		name, reason string
		now          time.Time
		want         lookup
	}{
		{"at revocation", "it counts at once", base, lookup{Revoked: true}},
		{"just before end", "it counts up to its end", until.Add(-time.Microsecond), lookup{Revoked: true}},
		{"at end", "it counts while now is before its end, not at it", until, none},
		{"after end", "an ended entry is gone", until.Add(time.Hour), none},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check(t, c.reason, get(t, s, c.now, n[0], n[1], n[2]), c.want)
		})
	}
}

func testRevokeKeepsLaterEnd(t *testing.T, s freshtoken.Store) {
	n := ids(4)
	short, long := base.Add(time.Minute), base.Add(time.Hour)
	revoke(t, s, base, n[1], long)
	revoke(t, s, base, n[1], short) // must not shorten
	revoke(t, s, base, n[2], short)
	revoke(t, s, base.Add(time.Second), n[2], long) // must lengthen
	for _, id := range n[1:3] {
		check(t, "between the two ends", get(t, s, base.Add(30*time.Minute), n[0], id, n[3]), lookup{Revoked: true})
		check(t, "after the later end", get(t, s, long, n[0], id, n[3]), none)
	}
}

func testCutoff(t *testing.T, s freshtoken.Store) {
	n := ids(4)
	sub, other := n[0], n[1]
	until := base.Add(30 * 24 * time.Hour)
	revokeBefore(t, s, base, sub, until)
	check(t, "the subject's cutoff", get(t, s, base, sub, n[2], n[3]), lookup{Cutoff: base})
	check(t, "later, the same cutoff", get(t, s, base.Add(24*time.Hour), sub, n[2], n[3]), lookup{Cutoff: base})
	check(t, "another subject has none", get(t, s, base, other, n[2], n[3]), none)
	check(t, "just before its end", get(t, s, until.Add(-time.Microsecond), sub, n[2], n[3]), lookup{Cutoff: base})
	check(t, "at its end", get(t, s, until, sub, n[2], n[3]), none)

	revoke(t, s, base, n[2], base.Add(time.Hour))
	got := get(t, s, base, sub, n[2], n[3])
	if !got.Revoked {
		t.Errorf("a revoked ID with a cutoff: got %+v, want Revoked", got)
	}
}

func testCutoffOnlyMovesForward(t *testing.T, s freshtoken.Store) {
	n := ids(3)
	sub := n[0]
	t1, t2 := base, base.Add(10*time.Minute)
	revokeBefore(t, s, t1, sub, t1.Add(time.Hour))
	revokeBefore(t, s, t2, sub, t2.Add(time.Hour))
	check(t, "a later cutoff replaces an earlier one", get(t, s, t2, sub, n[1], n[2]), lookup{Cutoff: t2})

	revokeBefore(t, s, t1, sub, t1.Add(time.Hour)) // a late or skewed writer
	check(t, "an earlier cutoff never replaces a later one", get(t, s, t2, sub, n[1], n[2]), lookup{Cutoff: t2})
	check(t, "nor shortens its end", get(t, s, t2.Add(59*time.Minute), sub, n[1], n[2]), lookup{Cutoff: t2})
}

func testPrecision(t *testing.T, s freshtoken.Store) {
	n := ids(3)
	// A cutoff keeps every nanosecond: LogoutEverywhere must revoke a
	// login one nanosecond before it and spare one at the same instant.
	now := base.Add(1999 * time.Nanosecond)
	revokeBefore(t, s, now, n[0], now.Add(time.Hour))
	check(t, "the cutoff keeps nanoseconds", get(t, s, now, n[0], n[1], n[2]), lookup{Cutoff: now})
	later := now.Add(time.Nanosecond)
	revokeBefore(t, s, later, n[0], now.Add(time.Hour))
	check(t, "a cutoff one nanosecond later replaces it", get(t, s, now, n[0], n[1], n[2]), lookup{Cutoff: later})
	revokeBefore(t, s, now, n[0], now.Add(time.Hour))
	check(t, "and one nanosecond earlier does not", get(t, s, now, n[0], n[1], n[2]), lookup{Cutoff: later})

	// Ends keep microseconds at least: an entry ending a microsecond from
	// now still counts.
	revoke(t, s, base, n[1], base.Add(time.Microsecond))
	check(t, "an end one microsecond away", get(t, s, base, n[0]+"-other", n[1], n[1]), lookup{Revoked: true})
}

// testRefusesEmptyIDs checks that the store refuses an empty ID, session ID
// or subject with an error matching freshtoken.ErrInvalidConfig, and that
// refusing one recorded nothing: an empty session ID shared by unrelated
// tokens would let one revocation reach them all.
func testRefusesEmptyIDs(t *testing.T, s freshtoken.Store) {
	ctx := context.Background()
	n := ids(3)
	until := base.Add(time.Hour)
	calls := []struct {
		name string
		err  func() error
	}{
		{"Revoke with an empty ID", func() error { return s.Revoke(ctx, base, "", until) }},
		{"RevokeBefore with an empty subject", func() error { return s.RevokeBefore(ctx, base, "", until) }},
		{"Lookup with an empty subject", func() error { _, _, err := s.Lookup(ctx, base, "", n[1], n[2]); return err }},
		{"Lookup with an empty token ID", func() error { _, _, err := s.Lookup(ctx, base, n[0], "", n[2]); return err }},
		{"Lookup with an empty session ID", func() error { _, _, err := s.Lookup(ctx, base, n[0], n[1], ""); return err }},
		{"Redeem with an empty session ID", func() error { _, err := s.Redeem(ctx, base, "", n[1], until, 0); return err }},
		{"Redeem with an empty token ID", func() error { _, err := s.Redeem(ctx, base, n[2], "", until, 0); return err }},
	}
	for _, c := range calls {
		if err := c.err(); !errors.Is(err, freshtoken.ErrInvalidConfig) {
			t.Errorf("%s: error %v, want one matching freshtoken.ErrInvalidConfig", c.name, err)
		}
	}
	check(t, "nothing was recorded", get(t, s, base, n[0], n[1], n[2]), none)
	if !redeem(t, s, base, n[2], n[1], until, 0) {
		t.Error("a refused Redeem with an empty ID spent a token")
	}
}

// oddStrings are IDs and subjects a store must keep apart and handle like
// any other: brackets that mean something to Redis Cluster, separators,
// bytes that need escaping, a long one.
func oddStrings() []string {
	sfx := ids(1)[0]
	return []string{
		"{" + sfx, sfx + "}", "{" + sfx + "}", "a{b}c" + sfx, "}{" + sfx, "{}" + sfx, "%7B" + sfx, ":" + sfx + ":",
		"with space " + sfx, "ünïcødé/" + sfx, "\x00nul" + sfx, "*?[]" + sfx, strings.Repeat("x", 1000) + sfx,
	}
}

func testOpaqueStrings(t *testing.T, s freshtoken.Store) {
	odd := oddStrings()
	sfx := ids(1)[0]
	for i, id := range odd {
		revoke(t, s, base, id, base.Add(time.Hour))
		for j, other := range odd {
			got := get(t, s, base, "sub"+sfx, other, "none"+sfx)
			if want := j <= i; got.Revoked != want {
				t.Errorf("after revoking %q: Lookup of %q says revoked=%v, want %v", id, other, got.Revoked, want)
			}
		}
	}
	for _, sub := range odd {
		check(t, "an ID is not a subject", get(t, s, base, sub, "x"+sfx, "y"+sfx), none)
		revokeBefore(t, s, base, sub, base.Add(time.Hour))
		check(t, "odd subject "+sub, get(t, s, base, sub, "x"+sfx, "y"+sfx), lookup{Cutoff: base})
	}
	check(t, "a subject is not an ID", get(t, s, base, "sub"+sfx, "z"+sfx, "z"+sfx), none)
	check(t, "a prefix of a subject is another subject", get(t, s, base, "a{b}"+sfx, "z"+sfx, "z"+sfx), none)
}

func testRedeemOpaqueStrings(t *testing.T, s freshtoken.Store) {
	odd := oddStrings()
	until := base.Add(time.Hour)
	for i, sess := range odd {
		tok := odd[(i+1)%len(odd)]
		if !redeem(t, s, base, sess, tok, until, 0) {
			t.Errorf("session %q, token %q: first redemption refused", sess, tok)
		}
	}
	for i, sess := range odd {
		tok := odd[(i+1)%len(odd)]
		if redeem(t, s, base, sess, tok, until, 0) {
			t.Errorf("session %q, token %q: second redemption accepted", sess, tok)
		}
		check(t, "reuse revokes session "+sess, get(t, s, base, "sub", "none", sess), lookup{Revoked: true})
	}
}

func testRedeem(t *testing.T, s freshtoken.Store) {
	n := ids(5)
	sub, sess, tok, otherSess, otherTok := n[0], n[1], n[2], n[3], n[4]
	until := base.Add(24 * time.Hour)
	if !redeem(t, s, base, sess, tok, until, 0) {
		t.Fatal("first redemption refused")
	}
	check(t, "a redemption revokes nothing", get(t, s, base, sub, tok, sess), none)
	if !redeem(t, s, base, otherSess, otherTok, until, 0) {
		t.Fatal("first redemption of another session's token refused")
	}
	if redeem(t, s, base.Add(time.Minute), sess, tok, until, 0) {
		t.Fatal("second redemption accepted")
	}
	check(t, "reuse revokes the session", get(t, s, base.Add(time.Minute), sub, "new-"+tok, sess), lookup{Revoked: true})
	check(t, "the session stays revoked until the end given", get(t, s, until.Add(-time.Microsecond), sub, "new-"+tok, sess), lookup{Revoked: true})
	check(t, "other sessions are untouched", get(t, s, base.Add(time.Minute), sub, otherTok, otherSess), none)
}

func testRedeemChain(t *testing.T, s freshtoken.Store) {
	n := ids(5)
	sess, until := n[0], base.Add(24*time.Hour)
	for i, tok := range n[1:] {
		now := base.Add(time.Duration(i) * time.Hour)
		if !redeem(t, s, now, sess, tok, until, 0) {
			t.Fatalf("token %d of the chain refused", i)
		}
	}
	check(t, "a rotation chain revokes nothing", get(t, s, base.Add(5*time.Hour), "sub", n[4], sess), none)
}

func testRedeemRevokedSession(t *testing.T, s freshtoken.Store) {
	n := ids(2)
	sess, tok := n[0], n[1]
	revoke(t, s, base, sess, base.Add(time.Hour))
	if redeem(t, s, base.Add(time.Second), sess, tok, base.Add(time.Hour), time.Minute) {
		t.Fatal("a token of a revoked session was redeemed")
	}
}

func testRedeemGrace(t *testing.T, s freshtoken.Store) {
	const grace = 10 * time.Second
	n := ids(3)
	sub, sess, tok := n[0], n[1], n[2]
	until := base.Add(time.Hour)
	if !redeem(t, s, base, sess, tok, until, grace) {
		t.Fatal("first redemption refused")
	}
	cases := []struct {
		name, reason string
		now          time.Time
		want         bool
	}{
		{"retry", "a retry within the grace is accepted", base.Add(grace / 2), true},
		{"last microsecond", "the grace counts from the first redemption, retries do not extend it", base.Add(grace - time.Microsecond), true},
		{"at grace end", "at the end of the grace it is a reuse", base.Add(grace), false},
		{"after", "the session is revoked now", base.Add(grace + time.Second), false},
	}
	for _, c := range cases {
		if got := redeem(t, s, c.now, sess, tok, until, grace); got != c.want {
			t.Errorf("%s: Redeem = %v, want %v (%s)", c.name, got, c.want, c.reason)
		}
	}
	check(t, "reuse after the grace revokes the session", get(t, s, base.Add(grace), sub, tok, sess), lookup{Revoked: true})
}

func testRedeemSpentEnds(t *testing.T, s freshtoken.Store) {
	n := ids(3)
	sess, tok := n[1], n[2]
	until := base.Add(time.Hour)
	if !redeem(t, s, base, sess, tok, until, 0) {
		t.Fatal("first redemption refused")
	}
	if !redeem(t, s, until, sess, tok, until.Add(time.Hour), 0) {
		t.Error("a spent entry still counted at its end")
	}
}

// racers is how many goroutines redeem one token at once.
const racers = 100

func race(t *testing.T, s freshtoken.Store, sess, tok string, grace time.Duration) (won int) {
	t.Helper()
	var wins, fails atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ok, err := s.Redeem(context.Background(), base, sess, tok, base.Add(time.Hour), grace)
			switch {
			case err != nil:
				fails.Add(1)
				t.Errorf("Redeem: %v", err)
			case ok:
				wins.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	return int(wins.Load())
}

func testRedeemRace(t *testing.T, s freshtoken.Store) {
	n := ids(3)
	if won := race(t, s, n[1], n[2], 0); won != 1 {
		t.Errorf("%d goroutines redeemed one token, want exactly 1", won)
	}
	check(t, "the losers' reuse revokes the session", get(t, s, base, n[0], n[2], n[1]), lookup{Revoked: true})
}

func testRedeemRaceWithinGrace(t *testing.T, s freshtoken.Store) {
	n := ids(3)
	if won := race(t, s, n[1], n[2], time.Second); won != racers {
		t.Errorf("%d of %d concurrent redemptions within the grace succeeded, want all", won, racers)
	}
	check(t, "retries within the grace revoke nothing", get(t, s, base, n[0], n[2], n[1]), none)
}

func testConcurrentUse(t *testing.T, s freshtoken.Store) {
	const workers, rounds = 8, 25
	names := ids(workers * 3)
	var wg sync.WaitGroup
	for w := range workers {
		sub, tok, sess := names[3*w], names[3*w+1], names[3*w+2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for r := range rounds {
				now := base.Add(time.Duration(r) * time.Second)
				id := tok + "-" + string(rune('a'+r))
				if err := s.Revoke(ctx, now, id, now.Add(time.Hour)); err != nil {
					t.Errorf("Revoke: %v", err)
					return
				}
				if err := s.RevokeBefore(ctx, now, sub, now.Add(time.Hour)); err != nil {
					t.Errorf("RevokeBefore: %v", err)
					return
				}
				if revoked, _, err := s.Lookup(ctx, now, sub, id, sess); err != nil || !revoked {
					t.Errorf("Lookup of a just revoked ID: revoked=%v, err=%v", revoked, err)
					return
				}
				revoked, cutoff, err := s.Lookup(ctx, now, sub, sess, sess)
				if err != nil || revoked || !cutoff.Equal(now) {
					t.Errorf("Lookup of the subject: revoked=%v, cutoff=%v, err=%v; want false, %v, nil", revoked, cutoff, err, now)
					return
				}
			}
		}()
	}
	wg.Wait()
}
