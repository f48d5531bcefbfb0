package redisstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/internal/redistest"
	"github.com/freshtoken/freshtoken/redisstore"
	"github.com/redis/go-redis/v9"
)

// BenchmarkSessions measures the session registry on a local Redis (one
// round trip costs tens of microseconds here, more over a network):
//
//   - list-1000: Manager.Sessions for a subject with 1,000 live sessions:
//     one HGETALL, then one pipeline reading each session's revocation;
//   - Issue and Refresh (EdDSA, no rotation) with the registry, the
//     default, and without (SessionConfig.Disable): one more round trip
//     each with it.
func BenchmarkSessions(b *testing.B) {
	srv := redistest.Start(b)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	b.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	store, err := redisstore.New(c, "bench:"+fmt.Sprint(time.Now().UnixNano())+":")
	if err != nil {
		b.Fatal(err)
	}
	manager := func(b *testing.B, disable bool) *freshtoken.Manager {
		m, err := freshtoken.New(freshtoken.Config{Key: key, Store: store, Sessions: freshtoken.SessionConfig{Disable: disable}})
		if err != nil {
			b.Fatal(err)
		}
		return m
	}
	labels := freshtoken.WithSessionLabels(map[string]string{
		"user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
		"ip":         "192.0.2.123",
	})

	b.Run("list-1000", func(b *testing.B) {
		m := manager(b, false)
		sub := fmt.Sprint("user-list-", time.Now().UnixNano()) // a subject of this run's own
		for range 1000 {
			if _, err := m.Issue(ctx, sub, labels); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		for b.Loop() {
			list, err := m.Sessions(ctx, sub, nil)
			if err != nil || len(list) != 1000 {
				b.Fatalf("Sessions: %d, %v", len(list), err)
			}
		}
	})
	for _, disable := range []bool{false, true} {
		registry := "registry"
		if disable {
			registry = "no-registry"
		}
		b.Run("Issue/"+registry, func(b *testing.B) {
			m := manager(b, disable)
			i := 0
			for b.Loop() {
				if _, err := m.Issue(ctx, fmt.Sprintf("user-%d-%s", i%10_000, registry), labels); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run("Refresh/"+registry, func(b *testing.B) {
			m := manager(b, disable)
			p, err := m.Issue(ctx, "user-refresh", labels)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := m.Refresh(ctx, p.Refresh); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAddSession measures a login's AddSession for a subject that
// already has 1,000, 10,000 or 50,000 live sessions: without a cap, and
// with a cap at that number, where each login evicts the oldest and
// removes it, as the Manager does. The cost should not grow with the
// number: a login's work in Redis is O(log n).
func BenchmarkAddSession(b *testing.B) {
	srv := redistest.Start(b)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	b.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	store, err := redisstore.New(c, "bench-add:")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	session := func(i int) freshtoken.Session {
		login := now.Add(time.Duration(i) * time.Microsecond)
		return freshtoken.Session{ID: fmt.Sprint("s", i), LoginAt: login, EndsAt: login.Add(freshtoken.DefaultRefreshTTL)}
	}
	for _, n := range []int{1000, 10_000, 50_000} {
		for _, limit := range []int{0, n} {
			name := fmt.Sprintf("sessions=%d", n)
			if limit > 0 {
				name += "/cap"
			}
			b.Run(name, func(b *testing.B) {
				sub := name
				for i := range n {
					if _, _, err := store.AddSession(ctx, now, sub, session(i), 0, false); err != nil {
						b.Fatal(err)
					}
				}
				i := n
				for b.Loop() {
					_, evict, err := store.AddSession(ctx, now, sub, session(i), limit, false)
					if err != nil {
						b.Fatal(err)
					}
					if len(evict) > 0 {
						if err := store.RemoveSessions(ctx, now, sub, []string{evict[0].ID}); err != nil {
							b.Fatal(err)
						}
					}
					i++
				}
			})
		}
	}
}
