package redisstore

import (
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// This file is the local view's memory: what Lookup read from Redis,
// kept until Redis says it changed. The tracking connections (tracking.go)
// say when to forget; this file only keeps entries and forgets them.
//
// An entry is written only by a lookup that read it from Redis, and only if
// no invalidation of its shard came between the moment before the read and
// the write (the shard's generation did not move): an invalidation that
// overtakes the read's answer would otherwise be lost and the old value
// kept for good. Forgetting is always safe (the next lookup reads Redis
// again), so the size cap and the sweeps may drop any entry at any time.

// viewShards is how many locks the view spreads its entries over.
const viewShards = 64

// negativeLife is how long the view keeps the answer "not revoked" (or "no
// cutoff") by the caller's clock. It is no freshness bound, which the
// invalidations give, only a bound on memory: the ID of an access token is
// not looked up after the token expires, so its entry may go once the
// longest-lived access tokens have.
const negativeLife = 15 * time.Minute

// revEntry is a revoked key as read: the end in µs, 0 when there is none.
// until is when the view may forget it (µs, caller's clock).
type revEntry struct{ end, until int64 }

// cutEntry is a cutoff key as read: the cutoff in ns and the end in µs, end
// 0 when there is none.
type cutEntry struct{ at, end, until int64 }

type expiring interface{ expires() int64 }

func (e revEntry) expires() int64 { return e.until }
func (e cutEntry) expires() int64 { return e.until }

type shard[E expiring] struct {
	mu    sync.RWMutex
	m     map[string]E
	gen   uint64 // moves on every invalidation and reset; read under mu
	swept int    // size after the last sweep
	hits  atomic.Uint64
	_     [32]byte // keep neighbours' locks off this cache line
}

// view is the local copy of the revoked keys and cutoffs that lookups read.
type view struct {
	seed maphash.Seed
	// Caps on each shard's entries. A lookup reads two IDs and a subject,
	// whose cutoff is shared by the subject's sessions: three quarters of
	// the cap go to the IDs.
	perRevoked, perCutoff int
	revoked               [viewShards]shard[revEntry]
	cutoffs               [viewShards]shard[cutEntry]

	misses, fenced, resets, invalidations atomic.Uint64
}

func newView(max int) *view {
	v := &view{seed: maphash.MakeSeed(), perRevoked: max*3/(4*viewShards) + 1, perCutoff: max/(4*viewShards) + 1}
	for i := range v.revoked {
		v.revoked[i].m = make(map[string]revEntry)
		v.cutoffs[i].m = make(map[string]cutEntry)
	}
	return v
}

func (v *view) index(s string) int { return int(maphash.String(v.seed, s) % viewShards) }

// gens is the generation of the three shards a lookup reads, taken before
// it asks Redis.
type gens struct {
	token, session, cutoff uint64
	ti, si, ci             int
}

func (v *view) gensFor(subject, tokenID, sessionID string) gens {
	g := gens{ti: v.index(tokenID), si: v.index(sessionID), ci: v.index(subject)}
	g.token = readGen(&v.revoked[g.ti])
	g.session = readGen(&v.revoked[g.si])
	g.cutoff = readGen(&v.cutoffs[g.ci])
	return g
}

func readGen[E expiring](sh *shard[E]) uint64 {
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return sh.gen
}

// get returns the three entries of a lookup; ok is false unless all are
// there.
func (v *view) get(subject, tokenID, sessionID string) (tok, sess revEntry, cut cutEntry, ok bool) {
	ti := v.index(tokenID)
	if tok, ok = getEntry(&v.revoked[ti], tokenID); !ok {
		return
	}
	sess = tok
	if sessionID != tokenID {
		if sess, ok = getEntry(&v.revoked[v.index(sessionID)], sessionID); !ok {
			return
		}
	}
	if cut, ok = getEntry(&v.cutoffs[v.index(subject)], subject); ok {
		v.revoked[ti].hits.Add(1)
	}
	return
}

func getEntry[E expiring](sh *shard[E], k string) (E, bool) {
	sh.mu.RLock()
	e, ok := sh.m[k]
	sh.mu.RUnlock()
	return e, ok
}

// fill keeps what a lookup read, for each key whose shard saw no
// invalidation since g was taken. now is the caller's (µs).
func (v *view) fill(g gens, now int64, subject, tokenID, sessionID string, tok, sess *revEntry, cut *cutEntry) {
	if tok != nil {
		e := *tok
		e.until = untilFor(e.end, now)
		putEntry(&v.revoked[g.ti], g.token, tokenID, e, now, v.perRevoked)
	}
	if sess != nil && sessionID != tokenID {
		e := *sess
		e.until = untilFor(e.end, now)
		putEntry(&v.revoked[g.si], g.session, sessionID, e, now, v.perRevoked)
	}
	if cut != nil {
		e := *cut
		e.until = untilFor(e.end, now)
		putEntry(&v.cutoffs[g.ci], g.cutoff, subject, e, now, v.perCutoff)
	}
}

// untilFor is when an entry read at now with the given end may be
// forgotten: at its end, or after negativeLife when it has none (or it has
// passed: the key is about to expire in Redis too).
func untilFor(end, now int64) int64 {
	if end > now {
		return end
	}
	return now + negativeLife.Microseconds()
}

func putEntry[E expiring](sh *shard[E], gen uint64, k string, e E, now int64, max int) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.gen != gen {
		return // an invalidation may have overtaken the read
	}
	if _, ok := sh.m[k]; !ok {
		if len(sh.m) >= max || (len(sh.m) >= 64 && len(sh.m) >= 2*sh.swept) {
			sweep(sh, now, max)
		}
		// The caller's string may point into a whole token; keep only the ID.
		k = strings.Clone(k)
	}
	sh.m[k] = e
}

// sweep drops the entries that may be forgotten; if the shard is still at
// its cap, it drops arbitrary ones (Go's map order is random) down to seven
// eighths of it, so that the next sweeps are not one per insertion.
func sweep[E expiring](sh *shard[E], now int64, max int) {
	for k, e := range sh.m {
		if e.expires() <= now {
			delete(sh.m, k)
		}
	}
	if len(sh.m) >= max {
		over := len(sh.m) - max*7/8
		for k := range sh.m {
			if over <= 0 {
				break
			}
			delete(sh.m, k)
			over--
		}
	}
	sh.swept = len(sh.m)
}

// forgetRevoked and forgetCutoff apply an invalidation: Redis changed the
// key, or this process wrote it.
func (v *view) forgetRevoked(id string) { forget(&v.revoked[v.index(id)], id) }
func (v *view) forgetCutoff(sub string) { forget(&v.cutoffs[v.index(sub)], sub) }

func forget[E expiring](sh *shard[E], k string) {
	sh.mu.Lock()
	delete(sh.m, k)
	sh.gen++
	sh.mu.Unlock()
}

// reset forgets everything: an invalidation may have been lost.
func (v *view) reset() {
	v.resets.Add(1)
	for i := range v.revoked {
		resetShard(&v.revoked[i])
		resetShard(&v.cutoffs[i])
	}
}

func resetShard[E expiring](sh *shard[E]) {
	sh.mu.Lock()
	sh.m = make(map[string]E)
	sh.gen++
	sh.swept = 0
	sh.mu.Unlock()
}

func (v *view) stats() ViewStats {
	st := ViewStats{Misses: v.misses.Load(), Fenced: v.fenced.Load(), Resets: v.resets.Load(), Invalidations: v.invalidations.Load()}
	for i := range v.revoked {
		st.Hits += v.revoked[i].hits.Load()
		st.Entries += lenShard(&v.revoked[i]) + lenShard(&v.cutoffs[i])
	}
	return st
}

func lenShard[E expiring](sh *shard[E]) int {
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return len(sh.m)
}

// ViewStats counts what a Store's local view did since New. A lookup is a
// hit (answered from the view), a miss (a key was not in the view: one
// round trip, whose answer the view keeps) or fenced (the view could not
// vouch for itself, see the package doc: one round trip).
type ViewStats struct {
	Hits, Misses, Fenced uint64
	// Entries is how many keys the view holds now, revoked IDs and subjects'
	// cutoffs, most of them the answer "not revoked".
	Entries int
	// Resets counts the times the view was emptied because an invalidation
	// may have been lost: each new tracking connection (one per master at
	// the start), and a FLUSHALL or FLUSHDB in Redis.
	Resets uint64
	// Invalidations counts the keys Redis said changed.
	Invalidations uint64
}
