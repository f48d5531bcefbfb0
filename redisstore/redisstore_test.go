package redisstore_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/internal/testclock"
	"github.com/freshtoken/freshtoken/redisstore"
	"github.com/freshtoken/freshtoken/storetest"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

// newStore returns a Store on c under a prefix of its own.
func newStore(t *testing.T, c redis.UniversalClient) *redisstore.Store {
	t.Helper()
	prefix := "test:" + strings.NewReplacer("/", ":", " ", "_").Replace(t.Name()) + ":"
	s, err := redisstore.New(c, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	srv := startServer(t)
	c := srv.client(redis.Options{})
	storetest.Run(t, func(t *testing.T) freshtoken.Store { return newStore(t, c) })
}

// A one-node cluster still refuses a script whose keys lie in different
// slots (CROSSSLOT), so passing the suite here shows the hash tags work.
func TestConformanceCluster(t *testing.T) {
	srv := startServer(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	admin := srv.client(redis.Options{})
	ctx := context.Background()
	if err := admin.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", "0", "16383").Err(); err != nil {
		t.Fatalf("CLUSTER ADDSLOTSRANGE: %v", err)
	}
	eventually(t, "cluster state ok", func() error {
		info, err := admin.ClusterInfo(ctx).Result()
		if err != nil {
			return err
		}
		if !strings.Contains(info, "cluster_state:ok") {
			return errors.New("cluster_state is not ok")
		}
		return nil
	})
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{srv.Addr()}})
	t.Cleanup(func() { _ = c.Close() })

	// Keys in different slots are refused, so the check below means something.
	if err := c.Eval(ctx, "return 1", []string{"a", "b"}).Err(); err == nil || !strings.Contains(err.Error(), "CROSSSLOT") {
		t.Fatalf("a script over keys in two slots: got %v, want a CROSSSLOT error", err)
	}
	storetest.Run(t, func(t *testing.T) freshtoken.Store { return newStore(t, c) })
}

func TestNew(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	defer c.Close()
	cases := []struct {
		name, reason string
		client       redis.UniversalClient
		prefix       string
		wantErr      bool
	}{
		{"default prefix", "", c, "", false},
		{"own prefix", "", c, "myapp:tokens:", false},
		{"open brace", "it would start a hash tag", c, "my{app:", true},
		{"closed tag", "every key would land in one slot", c, "{app}:", true},
		{"no client", "", nil, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := redisstore.New(tc.client, tc.prefix)
			if (err != nil) != tc.wantErr || (s == nil) == (err == nil) {
				t.Errorf("New(%q) = %v, %v; want error: %v (%s)", tc.prefix, s, err, tc.wantErr, tc.reason)
			}
		})
	}
}

// clock is a fake clock that goroutines may read while the test moves it.
type clock = testclock.Clock

var key = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))

// newManager returns a Manager on store and a fake clock starting now, so
// that Redis's own expiry and the tokens' agree.
func newManager(t *testing.T, store freshtoken.Store, clk *clock, edit func(*freshtoken.Config)) *freshtoken.Manager {
	t.Helper()
	cfg := freshtoken.Config{Key: key, Now: clk.Now, Store: store}
	if edit != nil {
		edit(&cfg)
	}
	m, err := freshtoken.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func newClock() *clock { return testclock.New(time.Now().UTC()) }

func issue(t *testing.T, m *freshtoken.Manager, subject string) *freshtoken.Pair {
	t.Helper()
	p, err := m.Issue(context.Background(), subject)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return p
}

func refresh(t *testing.T, m *freshtoken.Manager, token string) *freshtoken.Pair {
	t.Helper()
	p, err := m.Refresh(context.Background(), token)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	return p
}

func accessClaims(t *testing.T, m *freshtoken.Manager, token string) *freshtoken.Claims {
	t.Helper()
	c, err := m.RequireAccess(context.Background(), token)
	if err != nil {
		t.Fatalf("RequireAccess: %v", err)
	}
	return c
}

// expect checks that err matches want (nil: no error).
func expect(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) || (want == nil) != (err == nil) {
		t.Errorf("%s: got %v, want %v", what, err, want)
	}
}

func requireAccess(m *freshtoken.Manager, tok string) error {
	_, err := m.RequireAccess(context.Background(), tok)
	return err
}

func requireRefresh(m *freshtoken.Manager, tok string) error {
	_, err := m.RequireRefresh(context.Background(), tok)
	return err
}

// Two instances share one Redis: a logout on one is seen by the other.
func TestLogout(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	clk := newClock()
	a := newManager(t, newStore(t, srv.client(redis.Options{})), clk, nil)
	b := newManager(t, newStore(t, srv.client(redis.Options{})), clk, nil)

	login := issue(t, a, "alice")
	other := issue(t, a, "alice")
	clk.Advance(time.Minute)
	refreshed := refresh(t, b, login.Refresh)
	if err := a.Logout(ctx, login.Refresh); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	for _, m := range []*freshtoken.Manager{a, b} {
		expect(t, "the login's access token", requireAccess(m, login.Access), freshtoken.ErrRevoked)
		expect(t, "a refreshed access token", requireAccess(m, refreshed.Access), freshtoken.ErrRevoked)
		expect(t, "the refresh token", requireRefresh(m, login.Refresh), freshtoken.ErrRevoked)
		_, err := m.Refresh(ctx, login.Refresh)
		expect(t, "refreshing", err, freshtoken.ErrRevoked)
		expect(t, "another session", requireAccess(m, other.Access), nil)
	}

	claims := accessClaims(t, a, other.Access)
	if err := b.RevokeAccessToken(ctx, claims.ID); err != nil {
		t.Fatal(err)
	}
	expect(t, "an access token revoked by ID", requireAccess(a, other.Access), freshtoken.ErrRevoked)
	expect(t, "its session's refresh token", requireRefresh(a, other.Refresh), nil)
}

func TestLogoutEverywhere(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	clk := newClock()
	m := newManager(t, newStore(t, srv.client(redis.Options{})), clk, nil)
	var before []*freshtoken.Pair
	for range 3 {
		before = append(before, issue(t, m, "alice"))
		clk.Advance(time.Minute)
	}
	bob := issue(t, m, "bob")
	clk.Advance(400 * time.Millisecond) // mid-second: the cutoff is finer than auth_time
	if err := m.LogoutEverywhere(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	after := issue(t, m, "alice")
	for i, p := range before {
		expect(t, fmt.Sprintf("session %d's access token", i), requireAccess(m, p.Access), freshtoken.ErrRevoked)
		expect(t, fmt.Sprintf("session %d's refresh token", i), requireRefresh(m, p.Refresh), freshtoken.ErrRevoked)
	}
	expect(t, "a login in the same second, after the cutoff", requireAccess(m, after.Access), nil)
	expect(t, "another subject", requireAccess(m, bob.Access), nil)
}

func TestRotationRace(t *testing.T) {
	const racers = 100
	srv := startServer(t)
	ctx := context.Background()
	clk := newClock()
	c := srv.client(redis.Options{PoolSize: 20})
	// Several instances, each with its own client, race for one token.
	var ms []*freshtoken.Manager
	for range 4 {
		ms = append(ms, newManager(t, newStore(t, c), clk, func(c *freshtoken.Config) { c.RotateRefresh = true }))
	}
	login := issue(t, ms[0], "alice")
	var (
		wg           sync.WaitGroup
		wins, others atomic.Int32
		winner       atomic.Pointer[freshtoken.Pair]
	)
	start := make(chan struct{})
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			p, err := ms[i%len(ms)].Refresh(ctx, login.Refresh)
			switch {
			case err == nil:
				wins.Add(1)
				winner.Store(p)
			case !errors.Is(err, freshtoken.ErrRevoked):
				others.Add(1)
				t.Errorf("Refresh: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 || others.Load() != 0 {
		t.Fatalf("%d of %d concurrent refreshes won, %d failed otherwise; want exactly 1 and only ErrRevoked", wins.Load(), racers, others.Load())
	}
	expect(t, "the winner's access token after the losers' reuse", requireAccess(ms[0], winner.Load().Access), freshtoken.ErrRevoked)
}

func TestReplayRevokesFamily(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	clk := newClock()
	m := newManager(t, newStore(t, srv.client(redis.Options{})), clk, func(c *freshtoken.Config) {
		c.RotateRefresh = true
		c.ReuseInterval = 5 * time.Second
	})
	login := issue(t, m, "alice")
	clk.Advance(time.Minute)
	p1 := refresh(t, m, login.Refresh)
	clk.Advance(2 * time.Second)
	retry := refresh(t, m, login.Refresh) // within the reuse interval
	clk.Advance(time.Minute)
	p2 := refresh(t, m, p1.Refresh)

	_, err := m.Refresh(ctx, login.Refresh) // the thief, long after
	expect(t, "replaying a spent refresh token", err, freshtoken.ErrRevoked)
	for _, tok := range []struct{ what, access, refresh string }{
		{"login", login.Access, login.Refresh}, {"first rotation", p1.Access, p1.Refresh},
		{"retry", retry.Access, retry.Refresh}, {"second rotation", p2.Access, p2.Refresh},
	} {
		expect(t, tok.what+" access token", requireAccess(m, tok.access), freshtoken.ErrRevoked)
		expect(t, tok.what+" refresh token", requireRefresh(m, tok.refresh), freshtoken.ErrRevoked)
	}
}

// Every key carries a time to live matching the tokens it blocks.
func TestKeysExpireWithTokens(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	clk := newClock()
	c := srv.client(redis.Options{})
	store, err := redisstore.New(c, "expiry:")
	if err != nil {
		t.Fatal(err)
	}
	m := newManager(t, store, clk, func(c *freshtoken.Config) { c.RotateRefresh = true })
	login := issue(t, m, "alice")
	rc, err := m.RequireRefresh(ctx, login.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	refresh(t, m, login.Refresh)
	if err := m.Logout(ctx, login.Refresh); err != nil {
		t.Fatal(err)
	}
	if err := m.LogoutEverywhere(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	bob := issue(t, m, "bob")
	access := accessClaims(t, m, bob.Access)
	if err := m.RevokeAccessToken(ctx, access.ID); err != nil {
		t.Fatal(err)
	}

	// A session's entries outlast its refresh token by two leeways and a
	// second: a Refresh inside the leeway makes tokens of one second.
	session := login.RefreshExpiresAt.Sub(clk.Now()) + 2*freshtoken.DefaultLeeway + time.Second
	want := map[string]time.Duration{
		"expiry:r:{" + rc.SessionID + "}":          session,
		"expiry:s:{" + rc.SessionID + "}:" + rc.ID: session,
		"expiry:c:{alice}":                         freshtoken.DefaultRefreshTTL + freshtoken.DefaultLeeway,
		"expiry:r:{" + access.ID + "}":             freshtoken.DefaultAccessTTL + 2*freshtoken.DefaultLeeway,
		// The registry of live sessions: alice's was emptied by the
		// logouts; bob's lasts as long as his session's refresh token.
		"expiry:u:{bob}": bob.RefreshExpiresAt.Sub(clk.Now()),
		"expiry:e:{bob}": bob.RefreshExpiresAt.Sub(clk.Now()),
		"expiry:l:{bob}": bob.RefreshExpiresAt.Sub(clk.Now()),
	}
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]time.Duration{}
	for _, k := range keys {
		if got[k], err = c.PTTL(ctx, k).Result(); err != nil {
			t.Fatal(err)
		}
	}
	// Redis counts down in real time while the test runs: allow a few seconds.
	near := cmp.Comparer(func(a, b time.Duration) bool { return (a - b).Abs() < 5*time.Second })
	if diff := cmp.Diff(want, got, near); diff != "" {
		t.Errorf("keys and their time to live: got %v, want %v (-want +got):\n%s", got, want, diff)
	}
}
