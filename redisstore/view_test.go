package redisstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/internal/redistest"
	"github.com/freshtoken/freshtoken/redisstore"
	"github.com/freshtoken/freshtoken/storetest"
	"github.com/redis/go-redis/v9"
)

// newViewStore returns a Store with the local view on c, under a prefix of
// the test's own, once the view vouches for itself; it is closed when the
// test ends.
func newViewStore(t *testing.T, c redis.UniversalClient, o redisstore.Options) *redisstore.Store {
	t.Helper()
	o.LocalView = true
	prefix := "test:" + strings.NewReplacer("/", ":", " ", "_").Replace(t.Name()) + ":"
	s, err := redisstore.New(c, prefix, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	eventually(t, "the local view vouching", func() error {
		if !s.Vouching() {
			return errors.New("not yet")
		}
		return nil
	})
	return s
}

func TestConformanceLocalView(t *testing.T) {
	srv := startServer(t)
	c := srv.client(redis.Options{})
	storetest.Run(t, func(t *testing.T) freshtoken.Store { return newViewStore(t, c, redisstore.Options{}) })
}

// Three masters: the view tracks each, and a lookup's keys lie on several.
func TestConformanceLocalViewCluster(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs()})
	t.Cleanup(func() { _ = c.Close() })
	storetest.Run(t, func(t *testing.T) freshtoken.Store { return newViewStore(t, c, redisstore.Options{}) })
}

func TestNewOptions(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled by the cases that fail
	defer c.Close()
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}})
	defer ring.Close()
	replicaReads := func(edit func(*redis.ClusterOptions)) *redis.ClusterClient {
		o := &redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}}
		edit(o)
		c := redis.NewClusterClient(o)
		t.Cleanup(func() { c.Close() })
		return c
	}
	readOnly := replicaReads(func(o *redis.ClusterOptions) { o.ReadOnly = true })
	byLatency := replicaReads(func(o *redis.ClusterOptions) { o.RouteByLatency = true })
	randomly := replicaReads(func(o *redis.ClusterOptions) { o.RouteRandomly = true })
	cases := []struct {
		name, reason string
		client       redis.UniversalClient
		opts         []redisstore.Options
		wantErr      bool
	}{
		{"no options", "today's store", c, nil, false},
		{"zero options", "the same", c, []redisstore.Options{{}}, false},
		{"local view", "", c, []redisstore.Options{{LocalView: true}}, false},
		{"two options", "which would win is not obvious", c, []redisstore.Options{{}, {}}, true},
		{"tiny fence", "heartbeats every millisecond or less", c, []redisstore.Options{{LocalView: true, Fence: time.Millisecond}}, true},
		{"negative size", "", c, []redisstore.Options{{LocalView: true, ViewSize: -1}}, true},
		{"ring", "a ring has no fixed masters to track", ring, []redisstore.Options{{LocalView: true}}, true},
		{"ring without a view", "", ring, []redisstore.Options{{}}, false},
		// A replica may answer "not revoked" after the master's invalidation
		// has arrived; the view would then keep that answer for minutes.
		{"cluster reading replicas", "the view may only be filled from the masters it tracks", readOnly, []redisstore.Options{{LocalView: true}}, true},
		{"cluster routing by latency", "the same, through a replica", byLatency, []redisstore.Options{{LocalView: true}}, true},
		{"cluster routing randomly", "the same, through a replica", randomly, []redisstore.Options{{LocalView: true}}, true},
		{"cluster reading replicas, no view", "round trips may read replicas, as today", readOnly, []redisstore.Options{{}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := redisstore.New(tc.client, "", tc.opts...)
			if s != nil {
				defer s.Close()
			}
			if (err != nil) != tc.wantErr || (s == nil) == (err == nil) {
				t.Errorf("New(%+v) = %v, %v; want error: %v (%s)", tc.opts, s, err, tc.wantErr, tc.reason)
			}
			if err != nil && !errors.Is(err, freshtoken.ErrInvalidConfig) {
				t.Errorf("New(%+v): %v, want it to match ErrInvalidConfig", tc.opts, err)
			}
		})
	}
}

// A warm view answers without Redis, and forgets what Redis changes.
func TestLocalViewHitsAndForgets(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	writer := newStore(t, srv.client(redis.Options{}))
	view := newViewStore(t, srv.client(redis.Options{}), redisstore.Options{})
	now := time.Now()
	if _, _, err := view.Lookup(ctx, now, "alice", "tok", "sess"); err != nil {
		t.Fatal(err)
	}
	before := view.ViewStats()
	for range 100 {
		revoked, _, err := view.Lookup(ctx, now, "alice", "tok", "sess")
		if err != nil || revoked {
			t.Fatalf("Lookup: %v, %v; want not revoked", revoked, err)
		}
	}
	after := view.ViewStats()
	if hits := after.Hits - before.Hits; hits != 100 || after.Misses != before.Misses {
		t.Errorf("100 warm lookups: %d hits, %d misses; want 100 hits and no miss (%+v)", hits, after.Misses-before.Misses, after)
	}
	if err := writer.Revoke(ctx, now, "sess", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the other store's revocation honoured", func() error {
		if revoked, _, err := view.Lookup(ctx, now, "alice", "tok", "sess"); err != nil || !revoked {
			return errors.New("not yet")
		}
		return nil
	})
	if st := view.ViewStats(); st.Invalidations == 0 {
		t.Errorf("no invalidation counted: %+v", st)
	}
}

// The tracking connections authenticate as the client does.
func TestLocalViewAuth(t *testing.T) {
	srv := startServer(t)
	// Set after the start, which waits for an unauthenticated PONG.
	if _, err := redistest.Do(srv.Addr(), "CONFIG", "SET", "requirepass", "s3cret"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	view := newViewStore(t, srv.client(redis.Options{Password: "s3cret"}), redisstore.Options{})
	writer := newStore(t, srv.client(redis.Options{Password: "s3cret"}))
	now := time.Now()
	if _, _, err := view.Lookup(ctx, now, "alice", "tok", "tok"); err != nil {
		t.Fatal(err)
	}
	if err := writer.Revoke(ctx, now, "tok", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the revocation honoured", func() error {
		if revoked, _, err := view.Lookup(ctx, now, "alice", "tok", "tok"); err != nil || !revoked {
			return errors.New("not yet")
		}
		return nil
	})
}

// A credentials provider that honours its context is given a live one:
// the tracking connection's handshake used to run on the dial's context
// after it was cancelled, so such a provider failed and the view never
// opened (every lookup stayed a round trip).
func TestLocalViewCredentialsProviderContext(t *testing.T) {
	srv := startServer(t)
	if _, err := redistest.Do(srv.Addr(), "CONFIG", "SET", "requirepass", "s3cret"); err != nil {
		t.Fatal(err)
	}
	provider := func(ctx context.Context) (string, string, error) {
		if err := ctx.Err(); err != nil {
			return "", "", err
		}
		return "", "s3cret", nil
	}
	view := newViewStore(t, srv.client(redis.Options{CredentialsProviderContext: provider}), redisstore.Options{})
	ctx, now := context.Background(), time.Now()
	eventually(t, "the view answering from memory", func() error {
		if _, _, err := view.Lookup(ctx, now, "alice", "tok", "tok"); err != nil {
			return err
		}
		if view.ViewStats().Hits == 0 {
			return errors.New("no hit yet")
		}
		return nil
	})
}
