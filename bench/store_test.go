package bench

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"runtime"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
)

// The in-memory revocation store's benchmarks, which cmd/report shows under
// "Revocation store" as BenchmarkStore/MemoryStore/<case>:
//
//   - revoke-1M: revoking one million distinct IDs, half of them token IDs
//     ("jti", 22 characters) and half session IDs ("sid", 33 characters), as
//     Logout and RevokeAccessToken write them; B/entry is the heap growth
//     (runtime.MemStats.HeapAlloc after a GC) divided by one million, IDs
//     included, since the store keeps them;
//   - lookup-{hit,miss}-1M: the revocation check every guard makes (Lookup
//     with a subject, a jti and a sid), on a store holding those million
//     entries, for a token that is revoked and for one that is not, in
//     sequence and under b.RunParallel;
//   - RequireAccess-HS256-*: the whole guard on an unrevoked token, with the
//     empty store every Manager has by default and with the million-entry
//     store.

// storeEntries is how many IDs the store holds; it costs the process about
// a hundred megabytes while BenchmarkStore runs.
const storeEntries = 1_000_000

// storeIDs is how many distinct IDs the lookup benchmarks cycle through:
// enough to spread over the whole store, few enough to build up front.
const storeIDs = 1 << 14

// revokedID is the i-th ID the store holds (or, for i ≥ storeEntries, one
// it does not): for even i a token ID, 16 bytes in base64url as freshtoken's
// jti; for odd i a session ID, the same with 8 more bytes as freshtoken's sid.
func revokedID(i int) string {
	var raw [24]byte
	binary.LittleEndian.PutUint64(raw[0:], mix(uint64(i)))
	binary.LittleEndian.PutUint64(raw[8:], mix(uint64(i)^0x9e3779b97f4a7c15))
	binary.LittleEndian.PutUint64(raw[16:], uint64(now.UnixMicro()))
	n := 16
	if i%2 == 1 {
		n = 24
	}
	return base64.RawURLEncoding.EncodeToString(raw[:n])
}

// mix is SplitMix64's finalizer: distinct inputs give distinct,
// well-spread outputs, as random IDs are.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// fillStore revokes n IDs for an hour.
func fillStore(s *freshtoken.MemoryStore, n int) {
	ctx, until := context.Background(), now.Add(time.Hour)
	for i := range n {
		if err := s.Revoke(ctx, now, revokedID(i), until); err != nil {
			panic(err) // a MemoryStore never fails
		}
	}
}

func heapAfterGC() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// lookupIDs returns storeIDs (jti, sid) pairs spread over a store filled
// with n IDs: one of each pair revoked when hit is set (the jti for even
// pairs, the sid for odd ones), neither otherwise.
func lookupIDs(hit bool, n int) [][2]string {
	ids := make([][2]string, storeIDs)
	stride := n / storeIDs
	for k := range ids {
		jti, sid := revokedID(n+2*k), revokedID(n+2*k+1) // not in the store
		if hit {
			i := k * stride &^ 1 // even: a jti; i+1 is a sid
			if k%2 == 0 {
				jti = revokedID(i)
			} else {
				sid = revokedID(i + 1)
			}
		}
		ids[k] = [2]string{jti, sid}
	}
	return ids
}

// lookup is the guard's revocation check for one (jti, sid) pair.
func lookup(s freshtoken.Store, ids [2]string) (bool, error) {
	revoked, _, err := s.Lookup(context.Background(), now, subject, ids[0], ids[1])
	return revoked, err
}

func BenchmarkStore(b *testing.B) {
	b.Run("MemoryStore/revoke-1M", func(b *testing.B) {
		b.ReportAllocs()
		var perEntry float64
		for b.Loop() {
			b.StopTimer()
			before := heapAfterGC()
			b.StartTimer()
			s := freshtoken.NewMemoryStore()
			fillStore(s, storeEntries)
			b.StopTimer()
			perEntry = float64(heapAfterGC()-before) / storeEntries
			runtime.KeepAlive(s)
			b.StartTimer()
		}
		b.ReportMetric(perEntry, "B/entry")
	})

	store := freshtoken.NewMemoryStore()
	fillStore(store, storeEntries)
	for _, hit := range []bool{true, false} {
		name := "lookup-miss-1M"
		if hit {
			name = "lookup-hit-1M"
		}
		ids := lookupIDs(hit, storeEntries)
		b.Run("MemoryStore/"+name, func(b *testing.B) {
			b.ReportAllocs()
			k := 0
			for b.Loop() {
				if revoked, err := lookup(store, ids[k%storeIDs]); err != nil || revoked != hit {
					b.Fatalf("Lookup = %v, %v, want %v", revoked, err, hit)
				}
				k++
			}
		})
		b.Run("MemoryStore/"+name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				k := int(mix(uint64(time.Now().UnixNano())) % storeIDs)
				for pb.Next() {
					if revoked, err := lookup(store, ids[k%storeIDs]); err != nil || revoked != hit {
						b.Errorf("Lookup = %v, %v, want %v", revoked, err, hit)
						return
					}
					k++
				}
			})
		})
	}

	s := suiteFor(b, "HS256")
	for _, c := range []struct {
		name string
		m    *freshtoken.Manager
	}{
		{"RequireAccess-HS256-empty-store", s.m},
		{"RequireAccess-HS256-1M-store", withStore(b, store)},
	} {
		b.Run("MemoryStore/"+c.name, func(b *testing.B) {
			tok := issueFor(b, c.m)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.m.RequireAccess(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// withStore is the HS256 suite's Manager with store as its revocation store.
func withStore(tb testing.TB, store freshtoken.Store) *freshtoken.Manager {
	tb.Helper()
	s := suiteFor(tb, "HS256")
	m, err := freshtoken.New(freshtoken.Config{
		Key: s.signKey, KeyID: keyID, Issuer: issuer, Audience: []string{audience},
		AccessTTL: accessTTL, RefreshTTL: refreshTTL, Now: clock, Store: store,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func issueFor(tb testing.TB, m *freshtoken.Manager) string {
	tb.Helper()
	p, err := m.Issue(context.Background(), subject)
	if err != nil {
		tb.Fatal(err)
	}
	return p.Access
}

// The store benchmarks must time what they say: hits are revoked, misses
// not, and a guard on a store that revokes its token refuses it. A smaller
// store shows it; the IDs are the same functions of the index.
func TestStoreCasesAnswerAsNamed(t *testing.T) {
	const n = 2 * storeIDs
	store := freshtoken.NewMemoryStore()
	fillStore(store, n)
	for _, hit := range []bool{true, false} {
		for k, ids := range lookupIDs(hit, n) {
			if revoked, err := lookup(store, ids); err != nil || revoked != hit {
				t.Fatalf("hit=%v, pair %d %q: Lookup = %v, %v, want %v", hit, k, ids, revoked, err, hit)
			}
		}
	}
	m := withStore(t, store)
	tok := issueFor(t, m)
	c, err := m.RequireAccess(context.Background(), tok)
	if err != nil {
		t.Fatalf("RequireAccess on the filled store: %v", err)
	}
	if err := m.RevokeAccessToken(context.Background(), c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.RequireAccess(context.Background(), tok); err == nil {
		t.Error("RequireAccess accepts a token revoked in the filled store")
	}
}
