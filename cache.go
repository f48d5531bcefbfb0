package freshtoken

import (
	"context"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
)

// This file holds the optional cache of verified tokens (Config.VerifiedCacheSize).
// It remembers what prove proved about a token: that its signature is good
// and what its claims say. Only that is skipped on a hit; the rules that
// depend on the clock, the configuration or the caller run on every call.

// proveCached is prove with the Verifier's keys of the moment, answered
// from the cache when the exact token is in it. Nothing prove proves
// depends on the clock; validate judges that on every call, hit or miss.
func (v *Verifier) proveCached(ctx context.Context, tok string) (*Claims, error) {
	r := v.ring.Load()
	if v.cache == nil || len(tok) > v.maxSize {
		c, _, err := v.prove(ctx, r, tok)
		return c, err
	}
	c, ok := v.cache.get(tok, r, v.remote)
	if !ok {
		var k *key
		var err error
		if c, k, err = v.prove(ctx, r, tok); err != nil {
			return nil, err
		}
		v.cache.add(tok, c.clone(), k)
	}
	return c, nil
}

// verifiedCache maps whole token strings to their claims. A lookup compares
// every byte of the token, so a token that differs anywhere (a forged
// signature, a changed claim) is never answered from the cache; the map's
// hash is seeded at random, so an attacker cannot aim tokens at an entry.
//
// Lookups take no lock. Insertions lock one shard, which evicts its oldest
// entry once full, so the cache never holds more than its size.
type verifiedCache struct {
	entries sync.Map // string → *cacheEntry
	seed    maphash.Seed
	shards  []cacheShard
}

type cacheShard struct {
	mu    sync.Mutex
	ring  []string // the shard's tokens in insertion order, from next once full
	next  int
	limit int // how many tokens the ring may hold
}

// maxShards bounds the insertion locks; a few per core is plenty.
const maxShards = 32

func newVerifiedCache(size int) *verifiedCache {
	// Power-of-two shards of at least 8 entries each, whose limits add up
	// to at most size. The rings grow as tokens arrive, so a generous size
	// costs nothing until it is used.
	n := 1
	for n*2 <= maxShards && n*2*8 <= size {
		n *= 2
	}
	c := &verifiedCache{seed: maphash.MakeSeed(), shards: make([]cacheShard, n)}
	for i := range c.shards {
		c.shards[i].limit = size / n
	}
	return c
}

// cacheEntry is what the cache knows about one token.
type cacheEntry struct {
	claims *Claims // never handed out (see get)
	key    *key    // the key that verified the token
}

// get returns a copy of the cached claims, so a caller that changes them
// cannot change what the next caller gets. A token counts only while the
// key that verified it is still trusted: one of r's keys (RetireKey removes
// them), or a key of the remote JWK Set still in the set; for a Verifier
// trusting several issuers, those of the issuer whose key it is.
func (c *verifiedCache) get(tok string, r *keyRing, remote *remoteKeys) (*Claims, bool) {
	v, ok := c.entries.Load(tok)
	if !ok {
		return nil, false
	}
	e := v.(*cacheEntry)
	if is := e.key.issuer; is != nil {
		r, remote = is.ring, is.remote // the keys of the issuer the token names
	}
	if e.key.remote {
		if remote == nil || !remote.holds(e.key) {
			return nil, false
		}
	} else if !r.holds(e.key) {
		return nil, false
	}
	return e.claims.clone(), true
}

// add caches claims, which the cache then owns, for tok, verified by k.
func (c *verifiedCache) add(tok string, claims *Claims, k *key) {
	e := &cacheEntry{claims: claims, key: k}
	sh := &c.shards[maphash.String(c.seed, tok)&uint64(len(c.shards)-1)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	// A token always lands in the same shard, so under its lock nobody else
	// can be adding it. One already there is replaced, not added again: its
	// key left the JWK Set or was retired, and another key verified it since.
	if _, ok := c.entries.Load(tok); ok {
		c.entries.Store(tok, e)
		return
	}
	// The token is often a slice of a larger request header; keep only its bytes.
	tok = strings.Clone(tok)
	if len(sh.ring) < sh.limit {
		sh.ring = append(sh.ring, tok)
	} else {
		c.entries.Delete(sh.ring[sh.next])
		sh.ring[sh.next] = tok
		sh.next = (sh.next + 1) % len(sh.ring)
	}
	c.entries.Store(tok, e)
}

// clone returns a copy of c that shares nothing a caller could change.
func (c *Claims) clone() *Claims {
	// One allocation for the copy and its audience, in the usual case of one.
	cb := new(struct {
		Claims
		aud [1]string
	})
	d := &cb.Claims
	*d = *c
	if len(c.Audience) == 1 {
		cb.aud[0] = c.Audience[0]
		d.Audience = cb.aud[:]
	} else {
		d.Audience = slices.Clone(c.Audience)
	}
	if c.Extra != nil {
		d.Extra = make(map[string]any, len(c.Extra))
		for k, v := range c.Extra {
			d.Extra[k] = cloneJSON(v)
		}
	}
	return d
}

// cloneJSON deep-copies a value encoding/json decoded into an interface:
// only its maps and slices can be changed in place.
func cloneJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = cloneJSON(e)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = cloneJSON(e)
		}
		return s
	}
	return v
}
