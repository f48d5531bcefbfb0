package freshtoken

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// Store keeps the state that makes logout work: revoked token and session
// IDs, a per-subject "logged out everywhere" cutoff, and, with refresh
// rotation, which refresh tokens have been spent. A Manager consults it on
// every guard call and on every Refresh.
//
// The contract every implementation keeps (package storetest checks it):
//
//   - It is safe for concurrent use, by many goroutines and, for a shared
//     store, by many processes.
//   - "Not found" is not an error: an ID or subject the store knows nothing
//     about is simply not revoked.
//   - A non-nil error means the store itself failed (unreachable, timed out,
//     corrupt). The Manager then refuses the token with ErrStoreUnavailable:
//     it never treats a failure as "not revoked".
//   - Time comes from the caller: now is the Manager's clock (Config.Now),
//     never the store's own, so that instances and tests agree. Ends and
//     spent times have microsecond precision, finer parts dropped; the
//     cutoff of RevokeBefore is kept to the nanosecond, so that a login one
//     nanosecond before LogoutEverywhere is revoked and one at the same
//     instant is not.
//   - Every ID, session ID and subject is non-empty. The Manager never
//     passes an empty one, and a store refuses one with an error matching
//     freshtoken.ErrInvalidConfig rather than recording it: an empty
//     session ID shared by unrelated tokens would let one revocation reach
//     them all.
//   - Every entry has an end (until), which the Manager always puts after
//     now. It counts while now is before its end; from then on the tokens
//     it could block have expired, and the store should forget it, so its
//     size follows the live entries.
//   - Writes never shorten what is recorded: a second Revoke of the same ID
//     keeps the later end, and an earlier cutoff never replaces a later one.
//
// IDs and subjects are opaque non-empty strings of any bytes; the two ID kinds
// (token "jti" and session "sid") share one namespace, since both are random.
type Store interface {
	// Revoke records that id, a token's "jti" or a session's "sid", is
	// revoked from now until the given end.
	Revoke(ctx context.Context, now time.Time, id string, until time.Time) error

	// RevokeBefore records that every token of subject whose login happened
	// before now is revoked, until the given end. The cutoff is now.
	RevokeBefore(ctx context.Context, now time.Time, subject string, until time.Time) error

	// Lookup reports whether tokenID or sessionID is revoked, and the
	// subject's cutoff (the zero Time if it has none), as of now. tokenID and
	// sessionID may be equal.
	Lookup(ctx context.Context, now time.Time, subject, tokenID, sessionID string) (revoked bool, cutoff time.Time, err error)

	// Redeem spends the refresh token tokenID of session sessionID, for
	// rotation. It is one atomic step, even across processes:
	//
	//   - If the session is revoked, it returns false.
	//   - If the token was never spent, it records it as spent at now (until
	//     the given end) and returns true. Of many concurrent calls for one
	//     token, exactly one gets here.
	//   - If the token was spent less than grace ago (now before spent time
	//     plus grace), it returns true and leaves the spent time alone: a
	//     client retrying a refresh whose answer it lost.
	//   - Otherwise the token is being reused: it revokes the session until
	//     the given end and returns false.
	Redeem(ctx context.Context, now time.Time, sessionID, tokenID string, until time.Time, grace time.Duration) (ok bool, err error)
}

var (
	_ Store        = (*MemoryStore)(nil)
	_ SessionStore = (*MemoryStore)(nil)
)

// MemoryStore is a Store, and a SessionStore, that keeps everything in the
// process's memory. It is what a Manager uses when Config.Store is nil.
//
// It suits a service that runs as a single process: a revocation made in one
// process is unknown to every other, and all of them are lost on restart
// (the revoked tokens work again until they expire). Several instances behind
// a load balancer need a shared store, such as the one in the redisstore
// module.
//
// It needs no goroutine and nothing to stop: ended entries are dropped
// while new ones are written, so it holds at most four times as many
// entries as were live at its last sweep, and at least 1024 before the
// first. A lookup takes a read lock and up to three map lookups. The
// session registry holds every live login: about 180 bytes per session,
// and about 340 with a User-Agent and an address as labels (measured by
// bench's BenchmarkSessions), so a million logins within RefreshTTL cost
// a few hundred megabytes.
type MemoryStore struct {
	mu        sync.RWMutex
	revoked   map[string]int64                   // ID → end, Unix microseconds
	cutoffs   map[string]cutoff                  // subject → cutoff (Unix nanoseconds) and end (microseconds)
	spent     map[spentKey]spend                 // refresh tokens redeemed under rotation
	sessions  map[string]map[string]sessionEntry // subject → session ID → entry
	nSessions int                                // entries in sessions
	limit     int                                // sweep once this many entries are held
}

type cutoff struct{ at, until int64 } // at in nanoseconds, until in microseconds

type spentKey struct{ session, token string }

type spend struct{ at, until int64 }

// minSweep is the entry count below which the store never sweeps.
const minSweep = 1024

// NewMemoryStore returns an empty MemoryStore. Share one between Managers
// of the same process to make their revocations common.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		revoked:  make(map[string]int64),
		cutoffs:  make(map[string]cutoff),
		spent:    make(map[spentKey]spend),
		sessions: make(map[string]map[string]sessionEntry),
		limit:    minSweep,
	}
}

// errEmpty is what a store answers for an empty ID, session ID or subject.
func errEmpty(what string) error {
	return withDetail(ErrInvalidConfig, "the store was given an empty "+what)
}

// Revoke implements Store.
func (s *MemoryStore) Revoke(_ context.Context, now time.Time, id string, until time.Time) error {
	if id == "" {
		return errEmpty("ID")
	}
	end := until.UnixMicro()
	s.mu.Lock()
	defer s.mu.Unlock()
	if end > s.revoked[id] {
		s.revoked[id] = end
	}
	s.maybeSweep(now.UnixMicro())
	return nil
}

// RevokeBefore implements Store.
func (s *MemoryStore) RevokeBefore(_ context.Context, now time.Time, subject string, until time.Time) error {
	if subject == "" {
		return errEmpty("subject")
	}
	at, end := now.UnixNano(), until.UnixMicro()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cutoffs[subject]
	c.at = max(c.at, at)
	c.until = max(c.until, end)
	s.cutoffs[subject] = c
	s.dropBefore(subject, c.at)
	s.maybeSweep(now.UnixMicro())
	return nil
}

// Lookup implements Store.
func (s *MemoryStore) Lookup(_ context.Context, now time.Time, subject, tokenID, sessionID string) (bool, time.Time, error) {
	switch {
	case subject == "":
		return false, time.Time{}, errEmpty("subject")
	case tokenID == "":
		return false, time.Time{}, errEmpty("token ID")
	case sessionID == "":
		return false, time.Time{}, errEmpty("session ID")
	}
	t := now.UnixMicro()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.revoked[tokenID] > t || s.revoked[sessionID] > t {
		return true, time.Time{}, nil
	}
	if c, ok := s.cutoffs[subject]; ok && c.until > t {
		return false, time.Unix(0, c.at).UTC(), nil
	}
	return false, time.Time{}, nil
}

// Redeem implements Store.
func (s *MemoryStore) Redeem(_ context.Context, now time.Time, sessionID, tokenID string, until time.Time, grace time.Duration) (bool, error) {
	switch {
	case sessionID == "":
		return false, errEmpty("session ID")
	case tokenID == "":
		return false, errEmpty("token ID")
	}
	t, end := now.UnixMicro(), until.UnixMicro()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.revoked[sessionID] > t {
		return false, nil
	}
	k := spentKey{sessionID, tokenID}
	sp, ok := s.spent[k]
	switch {
	case !ok || sp.until <= t:
		s.spent[k] = spend{at: t, until: end}
		s.maybeSweep(t)
		return true, nil
	case grace > 0 && t < sp.at+grace.Microseconds():
		return true, nil
	}
	if end > s.revoked[sessionID] {
		s.revoked[sessionID] = end
	}
	s.maybeSweep(t)
	return false, nil
}

// maybeSweep drops the entries that have ended once the store has doubled
// since the last sweep, so each write pays a constant share of the sweeps.
// It copies the live entries into new maps, because a Go map keeps the room
// it once grew to, but only when at least half the entries have ended:
// otherwise copying would free little and hold the lock longest. The
// caller holds the write lock.
func (s *MemoryStore) maybeSweep(now int64) {
	n := len(s.revoked) + len(s.cutoffs) + len(s.spent) + s.nSessions
	if n < s.limit {
		return
	}
	var liveRevoked, liveCutoffs, liveSpent, liveSessions int
	for _, end := range s.revoked {
		if end > now {
			liveRevoked++
		}
	}
	for _, c := range s.cutoffs {
		if c.until > now {
			liveCutoffs++
		}
	}
	for _, sp := range s.spent {
		if sp.until > now {
			liveSpent++
		}
	}
	for _, list := range s.sessions {
		for _, e := range list {
			if e.ends > now {
				liveSessions++
			}
		}
	}
	live := liveRevoked + liveCutoffs + liveSpent + liveSessions
	if live > n/2 {
		s.limit = 2 * n
		return
	}
	revoked := make(map[string]int64, liveRevoked)
	for id, end := range s.revoked {
		if end > now {
			revoked[id] = end
		}
	}
	cutoffs := make(map[string]cutoff, liveCutoffs)
	for sub, c := range s.cutoffs {
		if c.until > now {
			cutoffs[sub] = c
		}
	}
	spent := make(map[spentKey]spend, liveSpent)
	for k, sp := range s.spent {
		if sp.until > now {
			spent[k] = sp
		}
	}
	s.revoked, s.cutoffs, s.spent = revoked, cutoffs, spent
	s.sessions, s.nSessions = liveSessionMaps(s.sessions, now), liveSessions
	s.limit = max(2*live, minSweep)
}

// The session registry (SessionStore).

// sessionEntry is one recorded session.
type sessionEntry struct {
	login  int64    // Unix nanoseconds
	last   int64    // last refresh, Unix microseconds; 0 if none
	ends   int64    // Unix microseconds
	labels []string // key, value, key, value...: smaller than a map
}

func (e *sessionEntry) session(id string) Session {
	s := Session{ID: id, LoginAt: time.Unix(0, e.login).UTC(), EndsAt: time.UnixMicro(e.ends).UTC()}
	if e.last != 0 {
		s.LastRefreshAt = time.UnixMicro(e.last).UTC()
	}
	if len(e.labels) > 0 {
		s.Labels = make(map[string]string, len(e.labels)/2)
		for i := 0; i < len(e.labels); i += 2 {
			s.Labels[e.labels[i]] = e.labels[i+1]
		}
	}
	return s
}

// checkSession refuses an empty subject or session ID.
func checkSession(subject, id string) error {
	switch {
	case subject == "":
		return errEmpty("subject")
	case id == "":
		return errEmpty("session ID")
	}
	return nil
}

// AddSession implements SessionStore.
func (s *MemoryStore) AddSession(_ context.Context, now time.Time, subject string, sess Session, limit int, refuse bool) (bool, []Session, error) {
	if err := checkSession(subject, sess.ID); err != nil {
		return false, nil, err
	}
	t, login := now.UnixMicro(), sess.LoginAt.UnixNano()
	e := sessionEntry{login: login, ends: sess.EndsAt.UnixMicro()}
	if !sess.LastRefreshAt.IsZero() {
		e.last = sess.LastRefreshAt.UnixMicro()
	}
	for k, v := range sess.Labels {
		e.labels = append(e.labels, k, v)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.cutoffs[subject]; ok && c.until > t && login < c.at {
		return false, nil, nil // ended by LogoutEverywhere already
	}
	list := s.sessions[subject]
	var others []Session
	if limit > 0 {
		for id, o := range list {
			if id != sess.ID && o.ends > t {
				others = append(others, o.session(id))
			}
		}
		if refuse && len(others) >= limit {
			return true, nil, nil
		}
	}
	if list == nil {
		list = make(map[string]sessionEntry)
		s.sessions[subject] = list
	}
	if _, ok := list[sess.ID]; !ok {
		s.nSessions++
	}
	list[sess.ID] = e
	s.maybeSweep(t)
	if limit == 0 || len(others)+1 <= limit {
		return false, nil, nil
	}
	slices.SortFunc(others, oldestFirst)
	return false, others[:len(others)+1-limit], nil
}

// oldestFirst orders sessions by login, then ID.
func oldestFirst(a, b Session) int {
	if c := a.LoginAt.Compare(b.LoginAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// TouchSession implements SessionStore.
func (s *MemoryStore) TouchSession(_ context.Context, now time.Time, subject, sessionID string, refreshedAt, endsAt time.Time) error {
	if err := checkSession(subject, sessionID); err != nil {
		return err
	}
	t := now.UnixMicro()
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.sessions[subject]
	e, ok := list[sessionID]
	if !ok || e.ends <= t {
		return nil
	}
	e.last = max(e.last, refreshedAt.UnixMicro())
	e.ends = max(e.ends, endsAt.UnixMicro())
	list[sessionID] = e
	return nil
}

// ListSessions implements SessionStore.
func (s *MemoryStore) ListSessions(_ context.Context, now time.Time, subject string) ([]Session, error) {
	if subject == "" {
		return nil, errEmpty("subject")
	}
	t := now.UnixMicro()
	s.mu.RLock()
	defer s.mu.RUnlock()
	list := s.sessions[subject]
	out := make([]Session, 0, len(list))
	for id, e := range list {
		if e.ends > t && s.revoked[id] <= t {
			out = append(out, e.session(id))
		}
	}
	return out, nil
}

// RemoveSessions implements SessionStore.
func (s *MemoryStore) RemoveSessions(_ context.Context, _ time.Time, subject string, sessionIDs []string) error {
	if subject == "" {
		return errEmpty("subject")
	}
	for _, id := range sessionIDs {
		if id == "" {
			return errEmpty("session ID")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.sessions[subject]
	for _, id := range sessionIDs {
		if _, ok := list[id]; ok {
			delete(list, id)
			s.nSessions--
		}
	}
	if len(list) == 0 {
		delete(s.sessions, subject)
	}
	return nil
}

// dropBefore removes the sessions of subject that began before at
// (nanoseconds), for RevokeBefore. The caller holds the write lock.
func (s *MemoryStore) dropBefore(subject string, at int64) {
	list := s.sessions[subject]
	for id, e := range list {
		if e.login < at {
			delete(list, id)
			s.nSessions--
		}
	}
	if list != nil && len(list) == 0 {
		delete(s.sessions, subject)
	}
}

// liveSessionMaps copies the sessions that have not ended by now.
func liveSessionMaps(all map[string]map[string]sessionEntry, now int64) map[string]map[string]sessionEntry {
	out := make(map[string]map[string]sessionEntry)
	for sub, list := range all {
		var live map[string]sessionEntry
		for id, e := range list {
			if e.ends > now {
				if live == nil {
					live = make(map[string]sessionEntry)
				}
				live[id] = e
			}
		}
		if live != nil {
			out[sub] = live
		}
	}
	return out
}
