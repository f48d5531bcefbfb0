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
