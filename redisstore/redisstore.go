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
	client  redis.UniversalClient
	prefix  string
	view    *view    // nil without Options.LocalView
	tracker *tracker // keeps view exact
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
// revocations, and cannot have a local view.
//
// Without opts, or with the zero Options, every Lookup is a round trip to
// Redis. At most one Options may be given.
func New(client redis.UniversalClient, prefix string, opts ...Options) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisstore: New needs a client")
	}
	if prefix == "" {
		prefix = defaultPrefix
	}
	if strings.ContainsAny(prefix, "{}") {
		return nil, fmt.Errorf("redisstore: prefix %q contains a brace, which would change Redis Cluster hash slots", prefix)
	}
	if len(opts) > 1 {
		return nil, fmt.Errorf("%w: redisstore.New takes at most one Options, got %d", freshtoken.ErrInvalidConfig, len(opts))
	}
	s := &Store{client: client, prefix: prefix}
	if len(opts) == 1 && opts[0].LocalView {
		if err := s.startView(opts[0]); err != nil {
			return nil, err
		}
	}
	return s, nil
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
//	<prefix>e:{<subject>}          its index by end: session IDs scored by end (µs)
//	<prefix>l:{<subject>}          its index by login: "<login stamp> <session ID>", lexical

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
	err := revokeScript.Run(ctx, s.client, []string{s.revokedKey(id)}, micros(until), ms).Err()
	s.wrote(id, "")
	if err != nil {
		return fmt.Errorf("redisstore: revoke: %w", err)
	}
	return nil
}

// cutoffScript keeps the later cutoff and the later end, and removes the
// subject's sessions that began before the cutoff, found in the logins
// index (sessions.go): the work grows with the sessions removed, not with
// those kept.
// KEYS: the subject's sessions (see sessionLua), then KEYS[4]: the cutoff.
// ARGV: cutoff (ns), end (µs), time to live (ms).
// Numbers stay strings: Lua would print large ones in exponent notation,
// and its numbers, being doubles, cannot tell nanoseconds apart today, so
// cutoffs are compared as decimal strings (no sign, no leading zeros:
// the longer is larger, and at equal length the text decides).
var cutoffScript = redis.NewScript(sessionLua + `
local at, till, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local cur = redis.call('GET', KEYS[4])
if cur then
	local sp = string.find(cur, ' ', 1, true)
	local curAt, curTill = string.sub(cur, 1, sp - 1), string.sub(cur, sp + 1)
	if #curAt > #at or (#curAt == #at and curAt > at) then at = curAt end
	if tonumber(curTill) > tonumber(till) then
		till = curTill
		local left = redis.call('PTTL', KEYS[4])
		if left > ttl then ttl = left end
	end
end
redis.call('SET', KEYS[4], at .. ' ' .. till, 'PX', ttl)
local bound = '(' .. stamp(at)
for _, m in ipairs(redis.call('ZRANGEBYLEX', L, '-', bound)) do
	local id = string.sub(m, string.find(m, ' ', 1, true) + 1)
	redis.call('HDEL', H, id)
	redis.call('ZREM', E, id)
end
redis.call('ZREMRANGEBYLEX', L, '-', bound)
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
	keys := append(s.sessionKeys(subject), s.cutoffKey(subject))
	err := cutoffScript.Run(ctx, s.client, keys, nanos(now), micros(until), ms).Err()
	s.wrote("", subject)
	if err != nil {
		return fmt.Errorf("redisstore: revoke subject: %w", err)
	}
	return nil
}

// Lookup implements freshtoken.Store. With the local view it answers from
// memory when it can (see the package doc); otherwise, and always without
// one, it reads its keys in one pipeline: one round trip, and on Cluster
// one per node holding them.
func (s *Store) Lookup(ctx context.Context, now time.Time, subject, tokenID, sessionID string) (bool, time.Time, error) {
	revoked, cutoff, _, err := s.lookup(ctx, now, subject, tokenID, sessionID)
	return revoked, cutoff, err
}

// lookup is Lookup, and tells when the heartbeat that vouched for the view
// was sent (monotonic ns since the tracker's start), or -1 when the answer
// came from Redis.
func (s *Store) lookup(ctx context.Context, now time.Time, subject, tokenID, sessionID string) (bool, time.Time, int64, error) {
	switch {
	case subject == "":
		return false, time.Time{}, -1, errEmpty("subject")
	case tokenID == "":
		return false, time.Time{}, -1, errEmpty("token ID")
	case sessionID == "":
		return false, time.Time{}, -1, errEmpty("session ID")
	}
	t := now.UnixMicro()
	if s.view == nil {
		revoked, cutoff, err := s.read(ctx, t, subject, tokenID, sessionID, nil)
		return revoked, cutoff, -1, err
	}
	// The heartbeat is read before the entries: every invalidation that
	// came before its answer is in the view by then.
	vouched, ok := s.tracker.vouch()
	if ok {
		if tok, sess, cut, found := s.view.get(subject, tokenID, sessionID); found {
			revoked, cutoff := decide(t, tok, sess, cut)
			return revoked, cutoff, vouched, nil
		}
		s.view.misses.Add(1)
	} else {
		if s.tracker.closed.Load() {
			revoked, cutoff, err := s.read(ctx, t, subject, tokenID, sessionID, nil)
			return revoked, cutoff, -1, err
		}
		s.view.fenced.Add(1)
	}
	g := s.view.gensFor(subject, tokenID, sessionID)
	revoked, cutoff, err := s.read(ctx, t, subject, tokenID, sessionID, &g)
	return revoked, cutoff, -1, err
}

// decide answers a lookup from the entries as read (µs; t is now).
func decide(t int64, tok, sess revEntry, cut cutEntry) (bool, time.Time) {
	if tok.end > t || sess.end > t {
		return true, time.Time{}
	}
	if cut.end <= t {
		return false, time.Time{}
	}
	return false, time.Unix(0, cut.at).UTC()
}

// read asks Redis, and with g (the view's generations, taken before) keeps
// what it read in the view.
func (s *Store) read(ctx context.Context, t int64, subject, tokenID, sessionID string, g *gens) (bool, time.Time, error) {
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
	var tok, sess revEntry
	var err error
	if tok.end, err = number(token); err != nil {
		return false, time.Time{}, err
	}
	if sess.end, err = number(session); err != nil {
		return false, time.Time{}, err
	}
	var c cutEntry
	v, err := cut.Result()
	switch {
	case errors.Is(err, redis.Nil):
	case err != nil:
		return false, time.Time{}, fmt.Errorf("redisstore: lookup: %w", err)
	default:
		var ok bool
		if c.at, c.end, ok = pair(v); !ok {
			return false, time.Time{}, fmt.Errorf("redisstore: lookup: malformed cutoff %q", v)
		}
	}
	if g != nil {
		s.view.fill(*g, t, subject, tokenID, sessionID, &tok, &sess, &c)
	}
	revoked, cutoff := decide(t, tok, sess, c)
	return revoked, cutoff, nil
}

// number reads the integer a GET returned; 0 when the key is missing.
func number(cmd *redis.StringCmd) (int64, error) {
	v, err := cmd.Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("redisstore: lookup: %w", err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("redisstore: lookup: malformed entry %q", v)
	}
	return n, nil
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
	if n != 1 {
		s.wrote(sessionID, "") // a reuse revoked the session
	}
	if err != nil {
		return false, fmt.Errorf("redisstore: redeem: %w", err)
	}
	return n == 1, nil
}
