package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/redis/go-redis/v9"
)

// This file is the registry of live sessions (freshtoken.SessionStore).
// A subject's sessions are one hash, under the subject's hash tag, so that
// the cutoff of RevokeBefore, in the same slot, is read and applied in the
// same script as the sessions. The hash expires with its last session;
// sessions that ended before are dropped by the next AddSession, and never
// listed. Listing reads the hash, then each listed session's revocation in
// one pipeline (one round trip per node on Cluster): revocations live in
// the session's slot, which a script on the subject's slot cannot read.

// addSessionScript records a session, unless it began before the cutoff,
// under the cap.
// KEYS[1]: the subject's sessions, KEYS[2]: the subject's cutoff.
// ARGV: session ID, the entry, login (ns), now (µs), time to live (ms),
// limit, refuse ("1" or "0").
// It answers {0} when the login is before the cutoff, {1} when refused,
// else {2, evicted ID, evicted entry, ...}.
var addSessionScript = redis.NewScript(`
local sid, login, now, ttl, limit, refuse = ARGV[1], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7] == '1'
local function before(a, b) return #a < #b or (#a == #b and a < b) end
local cut = redis.call('GET', KEYS[2])
if cut then
	local sp = string.find(cut, ' ', 1, true)
	if tonumber(string.sub(cut, sp + 1)) > now and before(login, string.sub(cut, 1, sp - 1)) then return {0} end
end
local others = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
	local id, v = all[i], all[i + 1]
	local a = string.find(v, ' ', 1, true)
	local b = string.find(v, ' ', a + 1, true)
	if tonumber(string.sub(v, a + 1, b - 1)) <= now then
		redis.call('HDEL', KEYS[1], id)
	elseif id ~= sid then
		others[#others + 1] = {string.sub(v, 1, a - 1), id, v}
	end
end
if limit > 0 and refuse and #others >= limit then return {1} end
redis.call('HSET', KEYS[1], sid, ARGV[2])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
local out = {2}
if limit > 0 and #others + 1 > limit then
	table.sort(others, function(x, y)
		if x[1] ~= y[1] then return before(x[1], y[1]) end
		return x[2] < y[2]
	end)
	for i = 1, #others + 1 - limit do
		out[#out + 1] = others[i][2]
		out[#out + 1] = others[i][3]
	end
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
	keys := []string{s.sessionsKey(subject), s.cutoffKey(subject)}
	res, err := addSessionScript.Run(ctx, s.client, keys, sess.ID, entry, nanos(sess.LoginAt), micros(now), ms, limit, refuseArg).Slice()
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
// KEYS[1]: the subject's sessions. ARGV: session ID, now (µs), refreshed
// (µs), end (µs), time to live (ms).
var touchSessionScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return 0 end
local a = string.find(v, ' ', 1, true)
local b = string.find(v, ' ', a + 1, true)
local c = string.find(v, ' ', b + 1, true)
local ends, last = string.sub(v, a + 1, b - 1), string.sub(v, b + 1, c - 1)
if tonumber(ends) <= tonumber(ARGV[2]) then return 0 end
if tonumber(ARGV[3]) > tonumber(last) then last = ARGV[3] end
if tonumber(ARGV[4]) > tonumber(ends) then ends = ARGV[4] end
redis.call('HSET', KEYS[1], ARGV[1], string.sub(v, 1, a) .. ends .. ' ' .. last .. string.sub(v, c))
local ttl = tonumber(ARGV[5])
if ttl > 0 and redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
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
	err := touchSessionScript.Run(ctx, s.client, []string{s.sessionsKey(subject)}, sessionID, micros(now), micros(refreshedAt), micros(endsAt), ms).Err()
	if err != nil {
		return fmt.Errorf("redisstore: touch session: %w", err)
	}
	return nil
}

// ListSessions implements freshtoken.SessionStore.
func (s *Store) ListSessions(ctx context.Context, now time.Time, subject string) ([]freshtoken.Session, error) {
	if subject == "" {
		return nil, errEmpty("subject")
	}
	all, err := s.client.HGetAll(ctx, s.sessionsKey(subject)).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: list sessions: %w", err)
	}
	t := now.UnixMicro()
	live := make([]freshtoken.Session, 0, len(all))
	for id, v := range all {
		sess, err := decodeSession(id, v)
		if err != nil {
			return nil, err
		}
		if sess.EndsAt.UnixMicro() > t {
			live = append(live, sess)
		}
	}
	if len(live) == 0 {
		return live, nil
	}
	pipe := s.client.Pipeline()
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
	if err := s.client.HDel(ctx, s.sessionsKey(subject), sessionIDs...).Err(); err != nil {
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
