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
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/redis/go-redis/v9"
)

// defaultPrefix starts every key when New is given no prefix.
const defaultPrefix = "freshtoken:"

// Store is a freshtoken.Store in Redis. It is safe for concurrent use, and
// any number of processes may share one Redis through it.
type Store struct {
	client redis.UniversalClient
	prefix string
}

var (
	_ freshtoken.Store        = (*Store)(nil)
	_ freshtoken.SessionStore = (*Store)(nil)
)

// New returns a Store that keeps its keys in client's Redis, each starting
// with prefix ("freshtoken:" when empty); use different prefixes for
// services whose revocations must stay apart. The prefix must not contain
// "{" or "}", which would change the keys' hash slots on Redis Cluster.
// client is a *redis.Client, a *redis.ClusterClient or a failover
// (Sentinel) client; the Store never closes it. A *redis.Ring works too,
// but it moves keys when a shard fails, forgetting that shard's
// revocations.
func New(client redis.UniversalClient, prefix string) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisstore: New needs a client")
	}
	if prefix == "" {
		prefix = defaultPrefix
	}
	if strings.ContainsAny(prefix, "{}") {
		return nil, fmt.Errorf("redisstore: prefix %q contains a brace, which would change Redis Cluster hash slots", prefix)
	}
	return &Store{client: client, prefix: prefix}, nil
}

// Keys. The part in braces is the hash tag: Redis Cluster places a key by
// it alone, so a session's revocation and its spent tokens, which Redeem
// touches together, live in one slot, and so do a subject's cutoff and its
// sessions, which RevokeBefore and AddSession touch together. Braces and
// "%" inside names are percent-encoded so a name can neither end the tag
// early nor collide with another name.
//
//	<prefix>r:{<id>}               revoked token or session: end (µs)
//	<prefix>c:{<subject>}          cutoff: "<cutoff ns> <end µs>"
//	<prefix>s:{<session>}:<token>  spent refresh token: "<spent µs> <end µs>"
//	<prefix>u:{<subject>}          the subject's sessions (sessions.go): a hash,
//	                               session ID → "<login ns> <end µs> <last refresh µs> <labels JSON>"

var escaper = strings.NewReplacer("%", "%25", "{", "%7B", "}", "%7D")

func (s *Store) revokedKey(id string) string { return s.prefix + "r:{" + escaper.Replace(id) + "}" }
func (s *Store) cutoffKey(sub string) string { return s.prefix + "c:{" + escaper.Replace(sub) + "}" }
func (s *Store) sessionsKey(sub string) string {
	return s.prefix + "u:{" + escaper.Replace(sub) + "}"
}
func (s *Store) spentKey(session, token string) string {
	return s.prefix + "s:{" + escaper.Replace(session) + "}:" + token
}

// ttl is how long Redis should keep an entry that ends at until; zero when
// it has already ended and need not be written.
func ttl(now, until time.Time) int64 {
	d := until.Sub(now)
	if d <= 0 {
		return 0
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

func micros(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }
func nanos(t time.Time) string  { return strconv.FormatInt(t.UnixNano(), 10) }

// errEmpty refuses an empty ID, session ID or subject, as the Store
// contract asks: with an empty hash tag, Redis Cluster would also spread a
// session's keys over several slots.
func errEmpty(what string) error {
	return fmt.Errorf("%w: redisstore was given an empty %s", freshtoken.ErrInvalidConfig, what)
}

// revokeScript records an end for a revoked ID unless a later one is there.
// KEYS[1]: the revoked key. ARGV: end (µs), time to live (ms).
var revokeScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)

// Revoke implements freshtoken.Store.
func (s *Store) Revoke(ctx context.Context, now time.Time, id string, until time.Time) error {
	if id == "" {
		return errEmpty("ID")
	}
	ms := ttl(now, until)
	if ms == 0 {
		return nil
	}
	if err := revokeScript.Run(ctx, s.client, []string{s.revokedKey(id)}, micros(until), ms).Err(); err != nil {
		return fmt.Errorf("redisstore: revoke: %w", err)
	}
	return nil
}

// cutoffScript keeps the later cutoff and the later end, and removes the
// subject's sessions that began before the cutoff.
// KEYS[1]: the cutoff key, KEYS[2]: the subject's sessions.
// ARGV: cutoff (ns), end (µs), time to live (ms).
// Numbers stay strings: Lua would print large ones in exponent notation,
// and its numbers, being doubles, cannot tell nanoseconds apart today, so
// cutoffs are compared as decimal strings (no sign, no leading zeros:
// the longer is larger, and at equal length the text decides).
var cutoffScript = redis.NewScript(`
local at, till, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local cur = redis.call('GET', KEYS[1])
if cur then
	local sp = string.find(cur, ' ', 1, true)
	local curAt, curTill = string.sub(cur, 1, sp - 1), string.sub(cur, sp + 1)
	if #curAt > #at or (#curAt == #at and curAt > at) then at = curAt end
	if tonumber(curTill) > tonumber(till) then
		till = curTill
		local left = redis.call('PTTL', KEYS[1])
		if left > ttl then ttl = left end
	end
end
redis.call('SET', KEYS[1], at .. ' ' .. till, 'PX', ttl)
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
	local login = string.sub(all[i + 1], 1, string.find(all[i + 1], ' ', 1, true) - 1)
	if #login < #at or (#login == #at and login < at) then redis.call('HDEL', KEYS[2], all[i]) end
end
return 1
`)

// RevokeBefore implements freshtoken.Store.
func (s *Store) RevokeBefore(ctx context.Context, now time.Time, subject string, until time.Time) error {
	if subject == "" {
		return errEmpty("subject")
	}
	ms := ttl(now, until)
	if ms == 0 {
		return nil
	}
	keys := []string{s.cutoffKey(subject), s.sessionsKey(subject)}
	if err := cutoffScript.Run(ctx, s.client, keys, nanos(now), micros(until), ms).Err(); err != nil {
		return fmt.Errorf("redisstore: revoke subject: %w", err)
	}
	return nil
}

// Lookup implements freshtoken.Store. It reads its keys in one pipeline:
// one round trip, and on Cluster one per node holding them.
func (s *Store) Lookup(ctx context.Context, now time.Time, subject, tokenID, sessionID string) (bool, time.Time, error) {
	switch {
	case subject == "":
		return false, time.Time{}, errEmpty("subject")
	case tokenID == "":
		return false, time.Time{}, errEmpty("token ID")
	case sessionID == "":
		return false, time.Time{}, errEmpty("session ID")
	}
	pipe := s.client.Pipeline()
	token := pipe.Get(ctx, s.revokedKey(tokenID))
	session := token
	if sessionID != tokenID {
		session = pipe.Get(ctx, s.revokedKey(sessionID))
	}
	cut := pipe.Get(ctx, s.cutoffKey(subject))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return false, time.Time{}, fmt.Errorf("redisstore: lookup: %w", err)
	}
	t := now.UnixMicro()
	for _, cmd := range []*redis.StringCmd{token, session} {
		end, ok, err := number(cmd)
		if err != nil {
			return false, time.Time{}, err
		}
		if ok && end > t {
			return true, time.Time{}, nil
		}
	}
	v, err := cut.Result()
	switch {
	case errors.Is(err, redis.Nil):
		return false, time.Time{}, nil
	case err != nil:
		return false, time.Time{}, fmt.Errorf("redisstore: lookup: %w", err)
	}
	at, end, ok := pair(v)
	if !ok {
		return false, time.Time{}, fmt.Errorf("redisstore: lookup: malformed cutoff %q", v)
	}
	if end <= t {
		return false, time.Time{}, nil
	}
	return false, time.Unix(0, at).UTC(), nil
}

// number reads the integer a GET returned; ok is false when the key is missing.
func number(cmd *redis.StringCmd) (n int64, ok bool, err error) {
	v, err := cmd.Result()
	if errors.Is(err, redis.Nil) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("redisstore: lookup: %w", err)
	}
	n, err = strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("redisstore: lookup: malformed entry %q", v)
	}
	return n, true, nil
}

// pair reads "<a> <b>".
func pair(v string) (a, b int64, ok bool) {
	as, bs, found := strings.Cut(v, " ")
	if !found {
		return 0, 0, false
	}
	a, err1 := strconv.ParseInt(as, 10, 64)
	b, err2 := strconv.ParseInt(bs, 10, 64)
	return a, b, err1 == nil && err2 == nil
}

// redeemScript spends a refresh token, or detects its reuse and revokes
// the session, in one step.
// KEYS[1]: the session's revoked key, KEYS[2]: the token's spent key.
// ARGV: now (µs), end (µs), time to live (ms), grace (µs).
var redeemScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local revoked = redis.call('GET', KEYS[1])
if revoked and tonumber(revoked) > now then return 0 end
local spent = redis.call('GET', KEYS[2])
if spent then
	local sp = string.find(spent, ' ', 1, true)
	local at, till = tonumber(string.sub(spent, 1, sp - 1)), tonumber(string.sub(spent, sp + 1))
	if till > now then
		local grace = tonumber(ARGV[4])
		if grace > 0 and now < at + grace then return 1 end
		if not revoked or tonumber(revoked) < tonumber(ARGV[2]) then
			redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
		end
		return 0
	end
end
redis.call('SET', KEYS[2], ARGV[1] .. ' ' .. ARGV[2], 'PX', ARGV[3])
return 1
`)

// Redeem implements freshtoken.Store.
func (s *Store) Redeem(ctx context.Context, now time.Time, sessionID, tokenID string, until time.Time, grace time.Duration) (bool, error) {
	switch {
	case sessionID == "":
		return false, errEmpty("session ID")
	case tokenID == "":
		return false, errEmpty("token ID")
	}
	ms := ttl(now, until)
	if ms == 0 {
		// The token has ended: nothing to spend, and nothing it can buy.
		return false, nil
	}
	keys := []string{s.revokedKey(sessionID), s.spentKey(sessionID, tokenID)}
	n, err := redeemScript.Run(ctx, s.client, keys, micros(now), micros(until), ms, grace.Microseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("redisstore: redeem: %w", err)
	}
	return n == 1, nil
}
