package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/redis/go-redis/v9"
)

// This file is the registry of live sessions (freshtoken.SessionStore).
// A subject's sessions are a hash and two sorted sets that index it, all
// under the subject's hash tag, so that the cutoff of RevokeBefore, in the
// same slot, is read and applied in the same script as the sessions:
//
//	<prefix>u:{<subject>}  session ID → "<login ns> <end µs> <last refresh µs> <labels JSON>"
//	<prefix>e:{<subject>}  session IDs, scored by end (µs)
//	<prefix>l:{<subject>}  "<login> <session ID>", all scored 0, so in
//	                       order of login, then ID (see sessionLua)
//
// The indexes keep a login's work at O(log n) in the subject's sessions n,
// plus the entries it removes: it finds the ended sessions in the ends,
// counts the live ones there, and finds the oldest to evict at the start
// of the logins; RevokeBefore finds the sessions begun before its cutoff
// the same way. Every script keeps the three in step, and the keys expire
// with the last session.
//
// A login forgets at most pruneBatch ended sessions, so that no call does
// unbounded work when many sessions end at once; later logins forget the
// rest, and meanwhile ended sessions are never listed nor counted.
//
// Listing reads the hash, then each listed session's revocation in one
// pipeline (one round trip per node on Cluster): revocations live in the
// session's slot, which a script on the subject's slot cannot read.

func (s *Store) sessionEndsKey(sub string) string {
	return s.prefix + "e:{" + escaper.Replace(sub) + "}"
}
func (s *Store) sessionLoginsKey(sub string) string {
	return s.prefix + "l:{" + escaper.Replace(sub) + "}"
}

// sessionKeys are the keys of the subject's sessions, in the order that
// sessionLua expects.
func (s *Store) sessionKeys(sub string) []string {
	return []string{s.sessionsKey(sub), s.sessionEndsKey(sub), s.sessionLoginsKey(sub)}
}

// pruneBatch is how many ended sessions a login forgets at most.
const pruneBatch = 100

// sessionLua starts every script on a subject's sessions: KEYS[1] is the
// hash (H), KEYS[2] the ends (E), KEYS[3] the logins (L).
//
// stamp writes a login (ns, in decimal) so that stamps compare as text the
// way logins compare as numbers: 19 digits with leading zeros, and before
// 1970 a "-", which sorts before the digits, and the digits' nines'
// complement. An entry of L is the stamp, a space and the session ID.
// forget removes a session from all three; keep makes each key live at
// least ttl ms.
const sessionLua = `
local H, E, L = KEYS[1], KEYS[2], KEYS[3]
local function stamp(ns)
	if string.sub(ns, 1, 1) ~= '-' then return string.rep('0', 19 - #ns) .. ns end
	ns = string.sub(ns, 2)
	return '-' .. string.gsub(string.rep('0', 19 - #ns) .. ns, '%d', function(d) return string.char(105 - string.byte(d)) end)
end
local function loginOf(v) return string.sub(v, 1, string.find(v, ' ', 1, true) - 1) end
local function forget(id)
	local v = redis.call('HGET', H, id)
	if v then
		redis.call('HDEL', H, id)
		redis.call('ZREM', L, stamp(loginOf(v)) .. ' ' .. id)
	end
	redis.call('ZREM', E, id)
end
local function keep(ttl)
	if ttl <= 0 then return end
	for _, k in ipairs({H, E, L}) do
		if redis.call('PTTL', k) < ttl then redis.call('PEXPIRE', k, ttl) end
	end
end
`

// addSessionScript records a session, unless it began before the cutoff,
// under the cap.
// KEYS: those of sessionLua, then KEYS[4]: the subject's cutoff.
// ARGV: session ID, the entry, login (ns), now (µs), time to live (ms),
// limit, refuse ("1" or "0"), end (µs).
// It answers {0} when the login is before the cutoff, {1} when refused,
// else {2, evicted ID, evicted entry, ...}.
//
// A session counts when E scores it after now. The oldest are found by
// walking L from its start, which forgets the ended sessions it meets on
// the way (pruning may have left some) and skips the new one.
var addSessionScript = redis.NewScript(sessionLua + `
local sid, login, now, ttl, limit, refuse = ARGV[1], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7] == '1'
local function before(a, b) return #a < #b or (#a == #b and a < b) end
local cut = redis.call('GET', KEYS[4])
if cut then
	local sp = string.find(cut, ' ', 1, true)
	if tonumber(string.sub(cut, sp + 1)) > tonumber(now) and before(login, string.sub(cut, 1, sp - 1)) then return {0} end
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', E, '-inf', now, 'LIMIT', 0, ` + strconv.Itoa(pruneBatch) + `)) do forget(id) end
local others = redis.call('ZCOUNT', E, '(' .. now, '+inf')
local mine = redis.call('ZSCORE', E, sid)
if mine and tonumber(mine) > tonumber(now) then others = others - 1 end
if limit > 0 and refuse and others >= limit then return {1} end
forget(sid)
redis.call('HSET', H, sid, ARGV[2])
redis.call('ZADD', E, ARGV[8], sid)
redis.call('ZADD', L, 0, stamp(login) .. ' ' .. sid)
keep(ttl)
local out = {2}
local want, from = others + 1 - limit, '-'
while limit > 0 and want > 0 do
	local page = redis.call('ZRANGEBYLEX', L, from, '+', 'LIMIT', 0, want + 1)
	if #page == 0 then break end
	for _, m in ipairs(page) do
		local id = string.sub(m, string.find(m, ' ', 1, true) + 1)
		local ends = redis.call('ZSCORE', E, id)
		if ends and tonumber(ends) <= tonumber(now) then
			forget(id)
			redis.call('ZREM', L, m)
		elseif ends and id ~= sid and want > 0 then
			local v = redis.call('HGET', H, id)
			if v then
				out[#out + 1] = id
				out[#out + 1] = v
				want = want - 1
			end
		end
	end
	from = '(' .. page[#page]
end
return out
`)

// AddSession implements freshtoken.SessionStore.
func (s *Store) AddSession(ctx context.Context, now time.Time, subject string, sess freshtoken.Session, limit int, refuse bool) (bool, []freshtoken.Session, error) {
	switch {
	case subject == "":
		return false, nil, errEmpty("subject")
	case sess.ID == "":
		return false, nil, errEmpty("session ID")
	}
	ms := ttl(now, sess.EndsAt)
	if ms == 0 {
		return false, nil, nil // ended already: nothing to list
	}
	entry, err := encodeSession(sess)
	if err != nil {
		return false, nil, err
	}
	refuseArg := "0"
	if refuse {
		refuseArg = "1"
	}
	keys := append(s.sessionKeys(subject), s.cutoffKey(subject))
	res, err := addSessionScript.Run(ctx, s.client, keys, sess.ID, entry, nanos(sess.LoginAt), micros(now), ms, limit, refuseArg, micros(sess.EndsAt)).Slice()
	if err != nil {
		return false, nil, fmt.Errorf("redisstore: add session: %w", err)
	}
	if len(res) == 0 {
		return false, nil, errors.New("redisstore: add session: empty answer")
	}
	if code, _ := res[0].(int64); code != 2 {
		return code == 1, nil, nil
	}
	var evict []freshtoken.Session
	for i := 1; i+1 < len(res); i += 2 {
		id, _ := res[i].(string)
		v, _ := res[i+1].(string)
		e, err := decodeSession(id, v)
		if err != nil {
			return false, nil, err
		}
		evict = append(evict, e)
	}
	return false, evict, nil
}

// touchSessionScript moves a live session's last refresh and end later.
// KEYS: those of sessionLua. ARGV: session ID, now (µs), refreshed (µs),
// end (µs), time to live (ms).
// It writes both indexes whole, which also indexes an entry that lacks
// them; the keys then live at least as long as the hash.
var touchSessionScript = redis.NewScript(sessionLua + `
local id = ARGV[1]
local v = redis.call('HGET', H, id)
if not v then return 0 end
local a = string.find(v, ' ', 1, true)
local b = string.find(v, ' ', a + 1, true)
local c = string.find(v, ' ', b + 1, true)
local ends, last = string.sub(v, a + 1, b - 1), string.sub(v, b + 1, c - 1)
if tonumber(ends) <= tonumber(ARGV[2]) then return 0 end
if tonumber(ARGV[3]) > tonumber(last) then last = ARGV[3] end
if tonumber(ARGV[4]) > tonumber(ends) then ends = ARGV[4] end
redis.call('HSET', H, id, string.sub(v, 1, a) .. ends .. ' ' .. last .. string.sub(v, c))
redis.call('ZADD', E, ends, id)
redis.call('ZADD', L, 0, stamp(loginOf(v)) .. ' ' .. id)
keep(math.max(tonumber(ARGV[5]), redis.call('PTTL', H)))
return 1
`)

// TouchSession implements freshtoken.SessionStore.
func (s *Store) TouchSession(ctx context.Context, now time.Time, subject, sessionID string, refreshedAt, endsAt time.Time) error {
	switch {
	case subject == "":
		return errEmpty("subject")
	case sessionID == "":
		return errEmpty("session ID")
	}
	ms := ttl(now, endsAt)
	err := touchSessionScript.Run(ctx, s.client, s.sessionKeys(subject), sessionID, micros(now), micros(refreshedAt), micros(endsAt), ms).Err()
	if err != nil {
		return fmt.Errorf("redisstore: touch session: %w", err)
	}
	return nil
}

// ListSessions implements freshtoken.SessionStore. It reads the cutoff
// beside the hash and leaves out what began before it: RevokeBefore
// removes those already, unless its index missed them.
func (s *Store) ListSessions(ctx context.Context, now time.Time, subject string) ([]freshtoken.Session, error) {
	if subject == "" {
		return nil, errEmpty("subject")
	}
	pipe := s.client.Pipeline()
	hash := pipe.HGetAll(ctx, s.sessionsKey(subject))
	cut := pipe.Get(ctx, s.cutoffKey(subject))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("redisstore: list sessions: %w", err)
	}
	all, err := hash.Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: list sessions: %w", err)
	}
	t := now.UnixMicro()
	cutAt := int64(math.MinInt64)
	if v, err := cut.Result(); err == nil {
		at, end, ok := pair(v)
		if !ok {
			return nil, fmt.Errorf("redisstore: list sessions: malformed cutoff %q", v)
		}
		if end > t {
			cutAt = at
		}
	}
	live := make([]freshtoken.Session, 0, len(all))
	for id, v := range all {
		sess, err := decodeSession(id, v)
		if err != nil {
			return nil, err
		}
		if sess.EndsAt.UnixMicro() > t && sess.LoginAt.UnixNano() >= cutAt {
			live = append(live, sess)
		}
	}
	if len(live) == 0 {
		return live, nil
	}
	pipe = s.client.Pipeline()
	revoked := make([]*redis.StringCmd, len(live))
	for i, sess := range live {
		revoked[i] = pipe.Get(ctx, s.revokedKey(sess.ID))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("redisstore: list sessions: %w", err)
	}
	out := live[:0]
	for i, sess := range live {
		end, err := number(revoked[i])
		if err != nil {
			return nil, err
		}
		if end <= t {
			out = append(out, sess)
		}
	}
	return out, nil
}

// removeSessionsScript forgets sessions. KEYS: those of sessionLua.
// ARGV: the session IDs.
var removeSessionsScript = redis.NewScript(sessionLua + `
for i = 1, #ARGV do forget(ARGV[i]) end
return 1
`)

// RemoveSessions implements freshtoken.SessionStore.
func (s *Store) RemoveSessions(ctx context.Context, _ time.Time, subject string, sessionIDs []string) error {
	if subject == "" {
		return errEmpty("subject")
	}
	for _, id := range sessionIDs {
		if id == "" {
			return errEmpty("session ID")
		}
	}
	if len(sessionIDs) == 0 {
		return nil
	}
	args := make([]any, len(sessionIDs))
	for i, id := range sessionIDs {
		args[i] = id
	}
	if err := removeSessionsScript.Run(ctx, s.client, s.sessionKeys(subject), args...).Err(); err != nil {
		return fmt.Errorf("redisstore: remove sessions: %w", err)
	}
	return nil
}

// encodeSession writes the hash value of sess: the login in nanoseconds,
// which scripts compare with the cutoff as text, the end and the last
// refresh in microseconds, then the labels as a JSON object (or nothing).
func encodeSession(sess freshtoken.Session) (string, error) {
	var last int64
	if !sess.LastRefreshAt.IsZero() {
		last = sess.LastRefreshAt.UnixMicro()
	}
	v := nanos(sess.LoginAt) + " " + micros(sess.EndsAt) + " " + strconv.FormatInt(last, 10) + " "
	if len(sess.Labels) > 0 {
		labels, err := json.Marshal(sess.Labels)
		if err != nil {
			return "", fmt.Errorf("redisstore: add session: %w", err)
		}
		v += string(labels)
	}
	return v, nil
}

// decodeSession reads what encodeSession wrote.
func decodeSession(id, v string) (freshtoken.Session, error) {
	parts := strings.SplitN(v, " ", 4)
	bad := func() (freshtoken.Session, error) {
		return freshtoken.Session{}, fmt.Errorf("redisstore: malformed session entry %q", v)
	}
	if len(parts) != 4 {
		return bad()
	}
	var n [3]int64
	for i := range n {
		var err error
		if n[i], err = strconv.ParseInt(parts[i], 10, 64); err != nil {
			return bad()
		}
	}
	sess := freshtoken.Session{ID: id, LoginAt: time.Unix(0, n[0]).UTC(), EndsAt: time.UnixMicro(n[1]).UTC()}
	if n[2] != 0 {
		sess.LastRefreshAt = time.UnixMicro(n[2]).UTC()
	}
	if parts[3] != "" {
		if err := json.Unmarshal([]byte(parts[3]), &sess.Labels); err != nil {
			return bad()
		}
	}
	return sess, nil
}
