// Package redisstore is a freshtoken.Store kept in Redis, so that every
// instance of a service sees every logout.
//
//	rdb := redis.NewClient(&redis.Options{
//		Addr:                  "localhost:6379",
//		ContextTimeoutEnabled: true,             // a request's deadline bounds the store call
//		ReadTimeout:           500 * time.Millisecond,
//		WriteTimeout:          500 * time.Millisecond,
//	})
//	store, err := redisstore.New(rdb, "")
//	...
//	m, err := freshtoken.New(freshtoken.Config{Key: key, Store: store})
//
// Every step that must be atomic (spending a refresh token and, on reuse,
// revoking its session; keeping the later of two revocations) runs as one
// Lua script on the server. The keys one script touches share a hash tag,
// so the store works on Redis Cluster too. Every key expires when the
// tokens it can block have expired, so Redis holds only live entries.
//
// Revocations are only as durable as Redis: without persistence a restart
// forgets them and the revoked tokens work again until they expire. Run
// Redis with "appendonly yes" ("appendfsync always" loses nothing even in a
// crash; the default "everysec" may lose the last second).
//
// When Redis cannot be reached the Manager refuses tokens with
// freshtoken.ErrStoreUnavailable. How long a call waits before that is up
// to the client: go-redis honours the context's deadline while dialling,
// but while waiting for an answer only with ContextTimeoutEnabled; without
// it a Redis that accepts connections and never answers holds each call
// for ReadTimeout on every retry (about 20 seconds with go-redis's
// defaults). Give requests a deadline and set ContextTimeoutEnabled, or
// keep ReadTimeout, WriteTimeout and MaxRetries small.
//
// # Local view
//
// Every guard asks the store whether its token was revoked, and without
// more the answer costs a round trip to Redis for a question whose answer
// almost never changes. With Options.LocalView, a Store keeps what its
// lookups read (revoked IDs, subjects' cutoffs, and above all the answer
// "not revoked") in memory, and Redis keeps that copy exact:
//
//	store, err := redisstore.New(rdb, "", redisstore.Options{LocalView: true})
//	defer store.Close()
//
// The Store opens one connection of its own to every master (built from
// the client's options: address, dialer and TLS, user and password), turns
// on Redis's client-side caching in broadcast mode for its two prefixes of
// revoked keys and cutoffs (CLIENT TRACKING ON BCAST, Redis 6 or later), and
// forgets an entry as soon as Redis says its key changed. Lookups still go
// through the client; only those that find all their keys in the view skip
// Redis. Writes forget their keys locally before they return, so an
// instance always sees its own logouts at once.
//
// The view answers only while it can vouch for itself: a heartbeat (ROLE)
// goes to every master every fifth of Options.Fence, and Redis answers it
// on the same connection after every invalidation it had sent before. The
// view answers only while every master's latest answered heartbeat was
// sent less than the fence (50 ms by default) ago. A revocation is thus
// honoured on every instance once its message arrives, under a millisecond
// on a local network, and never later than the fence after it returned,
// whatever happens to the connection: a connection that dies, stalls
// silently or reaches a master demoted by a failover stops vouching, and
// lookups are round trips again (failing with ErrStoreUnavailable when
// Redis cannot answer them) until a new connection is tracking and the
// emptied view has filled again. On Redis Cluster the masters are the
// client's own, listed again every second.
//
// The view must be filled from the masters whose invalidations it hears: a
// replica read just after a revocation may still say "not revoked", and
// nothing would then remove that answer. So New refuses LocalView with a
// cluster client that reads replicas (ReadOnly, RouteByLatency,
// RouteRandomly), and a Sentinel client must not be made with ReplicaOnly
// or RouteRandomly (New cannot tell those from a plain client).
//
// The trade-off is that window: without the view a token is refused as
// soon as its revocation returns; with it, another instance may accept it
// for a little longer, at most the fence. In exchange, a warm lookup reads
// memory: about 80 ns against 50 µs for the round trip on loopback (bench's
// BenchmarkRedisStore), so a guard costs what it costs with the MemoryStore.
// A lookup of a token the instance has not seen yet is a round trip, whose
// answer the view then keeps. Measured with three instances on one machine
// (loadtest's TestInstances), the first request to another instance after a
// logout returned was refused in all but a handful of thousands, and
// revocations reached the other store in about 0.1 ms (p50) and a few
// milliseconds (p99) under load. Memory stays bounded: an entry (about 110
// bytes) leaves when the revocation it holds ends, "not revoked" after 15
// minutes (by the Manager's clock), and Options.ViewSize caps the whole.
//
// The view needs Redis 6 or later and permission to run HELLO, CLIENT
// TRACKING and ROLE. A *redis.Ring cannot have one, nor a client whose
// credentials come from a StreamingCredentialsProvider.
package redisstore
