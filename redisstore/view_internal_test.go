package redisstore

import (
	"encoding/base64"
	"encoding/binary"
	"runtime"
	"testing"
	"time"
)

// viewID is the i-th ID: 16 bytes in base64url as freshtoken's jti for even
// i, 24 as its sid for odd i.
func viewID(i int) string {
	var raw [24]byte
	binary.LittleEndian.PutUint64(raw[0:], uint64(i)*0x9e3779b97f4a7c15)
	binary.LittleEndian.PutUint64(raw[8:], uint64(i))
	n := 16
	if i%2 == 1 {
		n = 24
	}
	return base64.RawURLEncoding.EncodeToString(raw[:n])
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkViewMemory fills a view with a million revocations (half token
// IDs, half session IDs, as Logout and RevokeAccessToken write them) and
// reports the live heap they take per entry, IDs included.
func BenchmarkViewMemory(b *testing.B) {
	const n = 1_000_000
	ids := make([]string, n)
	for i := range ids {
		ids[i] = viewID(i)
	}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).UnixMicro()
	for b.Loop() {
		before := liveHeap()
		v := newView(2 * n) // room to spare: the cap is not what is measured
		for _, id := range ids {
			// The store clones the ID it keeps; so does fill.
			g := v.gensFor("s", id, id)
			tok := revEntry{end: now + 3_600_000_000}
			v.fill(g, now, "s", id, id, &tok, &tok, nil)
		}
		after := liveHeap()
		if got := v.stats().Entries; got != n {
			b.Fatalf("%d entries, want %d", got, n)
		}
		b.ReportMetric(float64(after-before)/n, "B/entry")
		b.ReportMetric(float64(after-before)/(1<<20), "MiB/1M")
		runtime.KeepAlive(v)
	}
}

// The cap holds: a view never keeps more than about its size, and forgets
// entries whose revocation has ended first.
func TestViewCap(t *testing.T) {
	const size = 10_000
	v := newView(size)
	now := int64(1_000_000)
	for i := range 10 * size {
		id := viewID(i)
		g := v.gensFor("s", id, id)
		v.fill(g, now, "s", id, id, &revEntry{end: now + 1}, &revEntry{end: now + 1}, nil)
		now++ // each entry ends as the next is written
	}
	if n := v.stats().Entries; n > size+2*viewShards {
		t.Errorf("%d entries after %d insertions, want at most about %d", n, 10*size, size)
	}
}

// A read whose shard saw an invalidation since it began is not kept: the
// invalidation may be for a write after the read.
func TestViewFillAfterInvalidation(t *testing.T) {
	v := newView(100)
	g := v.gensFor("sub", "tok", "sess")
	v.forgetRevoked("tok") // Redis says tok changed while the read was on its way
	v.fill(g, 1, "sub", "tok", "sess", &revEntry{}, &revEntry{}, &cutEntry{})
	if _, _, _, ok := v.get("sub", "tok", "sess"); ok {
		t.Error("the view kept a read that an invalidation overtook")
	}
	g = v.gensFor("sub", "tok", "sess")
	v.fill(g, 1, "sub", "tok", "sess", &revEntry{}, &revEntry{}, &cutEntry{})
	if _, _, _, ok := v.get("sub", "tok", "sess"); !ok {
		t.Error("the view did not keep a read no invalidation overtook")
	}
	g = v.gensFor("sub", "tok", "sess")
	v.reset()
	v.fill(g, 1, "sub", "tok", "sess", &revEntry{}, &revEntry{}, &cutEntry{})
	if _, _, _, ok := v.get("sub", "tok", "sess"); ok {
		t.Error("the view kept a read begun before a reset")
	}
}
