package freshtoken

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// This file is the registry of live sessions (issue #15): where a user is
// logged in, ending one of those sessions or all but the current one, and
// the optional cap on sessions per user.
//
// The registry lives in the Store, when the store also implements
// SessionStore (MemoryStore and the redisstore module do). Issue records
// each login, Refresh updates its entry, and every way of ending a session
// (EndSession, Logout, EndSessionByID, EndOtherSessions, LogoutEverywhere,
// a reused refresh token, the cap) takes it off the list. The guards never
// touch the registry: a request costs what it cost before.

// SessionConfig configures the registry of live sessions behind
// Manager.Sessions, Manager.EndSessionByID and Manager.EndOtherSessions. The
// zero value keeps a registry, without a cap, whenever Config.Store
// implements SessionStore (the default MemoryStore does), and none
// otherwise.
type SessionConfig struct {
	// Disable turns the registry off: Issue and Refresh write nothing more
	// to the store than without it, and the session calls fail with
	// ErrInvalidConfig. Sessions still end one by one (EndSession, Logout)
	// or all at once (LogoutEverywhere); users just cannot list them.
	// Zero: a registry whenever the store can keep one.
	Disable bool

	// MaxPerUser caps the live sessions of one subject. A login beyond the
	// cap ends the subject's oldest sessions (by login time) so that
	// MaxPerUser remain, the new one included; with RefuseOverCap it is
	// refused instead. The cap holds across every Manager sharing the
	// store, under concurrent logins. It needs the registry: New fails
	// with ErrInvalidConfig when the store lacks SessionStore or Disable
	// is set. Zero: no cap.
	MaxPerUser int

	// RefuseOverCap makes Issue fail with ErrTooManySessions, recording
	// nothing, when the subject already has MaxPerUser live sessions: the
	// user must end one (from a session they still hold) or wait for one
	// to expire. It keeps a thief who logged in from ending the owner's
	// sessions by logging in again, at the price of locking the owner out
	// when all the sessions are the thief's. Needs MaxPerUser.
	// Zero: a login over the cap ends the oldest sessions.
	RefuseOverCap bool
}

// Session is one live session of a subject, as Manager.Sessions lists it.
// A SessionStore records and returns it too, with Current false.
type Session struct {
	// ID is the session's ID, the "sid" of every token of the session
	// (Claims.SessionID). It is what EndSessionByID takes.
	ID string
	// LoginAt is when the session began (Issue), to the nanosecond.
	LoginAt time.Time
	// LastRefreshAt is when Refresh last made a token for the session; the
	// zero Time if it never did.
	LastRefreshAt time.Time
	// EndsAt is when the session's refresh token expires, or, with
	// Config.RefreshIdleTTL, when the session ends if it is not refreshed
	// before, whichever comes first. The session leaves the list then (the
	// guards accept its tokens for Config.Leeway beyond, for clock skew).
	EndsAt time.Time
	// Labels are what the application attached at login with
	// WithSessionLabels (a user agent, an address, a device name); nil if
	// none.
	Labels map[string]string
	// Current reports that the session is the one of the claims given to
	// Manager.Sessions: the caller's own.
	Current bool
}

// SessionStore is a Store that also keeps the registry of live sessions.
// A Manager uses it when its Config.Store implements it (checked at New);
// MemoryStore and the redisstore module do.
//
// On top of Store's contract (concurrency, errors, time from the caller,
// non-empty IDs and subjects refused with ErrInvalidConfig, microsecond
// precision), every implementation keeps these rules, which package
// storetest checks:
//
//   - A session is recorded under its subject and is only ever found,
//     touched or removed under that subject: a session ID given with
//     another subject matches nothing.
//   - A session counts while now is before its EndsAt, and is then
//     forgotten, like any entry. LoginAt is kept to the nanosecond, the
//     other times to the microsecond.
//   - A session that is revoked (Store.Revoke of its ID, or Store.Redeem
//     finding a refresh token of it reused) is never listed, even before
//     the Manager removes it.
//   - RevokeBefore also removes, in the same atomic step, the subject's
//     sessions that began before its cutoff, and AddSession records
//     nothing for a session that began before a cutoff still in force:
//     the list never shows a session that LogoutEverywhere ended, whatever
//     the order of a concurrent login and logout.
//   - AddSession's cap is atomic: of concurrent additions for one subject,
//     each counts the sessions the others recorded before it.
type SessionStore interface {
	Store

	// AddSession records s, a new session of subject with a non-empty ID
	// and an EndsAt after now, unless s began before the subject's cutoff
	// (then it records nothing and reports nothing). Labels are copied.
	//
	// With limit zero there is no cap. Otherwise it counts the subject's
	// other recorded sessions that have not ended, n (a revoked one counts
	// until it is removed, which the Manager does right after revoking). With refuse set and n ≥ limit it records
	// nothing and returns refused true. Without refuse it records s and,
	// when n+1 > limit, returns the n+1-limit oldest of the others (by
	// LoginAt, then ID), never s: they stay recorded, and the caller
	// revokes and removes them, so that a failure between the steps leaves
	// an ended session visible rather than a live one hidden.
	AddSession(ctx context.Context, now time.Time, subject string, s Session, limit int, refuse bool) (refused bool, evict []Session, err error)

	// TouchSession records a refresh of the subject's live session
	// sessionID: LastRefreshAt becomes refreshedAt and EndsAt becomes
	// endsAt, each only if later than what is recorded. A session that is
	// not recorded, or has ended, is left alone: a touch never brings a
	// session back.
	TouchSession(ctx context.Context, now time.Time, subject, sessionID string, refreshedAt, endsAt time.Time) error

	// ListSessions returns the subject's live sessions, in any order, each
	// with its own Labels map (nil when it has none) and Current false.
	ListSessions(ctx context.Context, now time.Time, subject string) ([]Session, error)

	// RemoveSessions forgets the listed sessions of subject; IDs it does
	// not hold under subject are not an error. It revokes nothing: the
	// Manager revokes a session before removing it.
	RemoveSessions(ctx context.Context, now time.Time, subject string, sessionIDs []string) error
}

// sessionState is the Manager's view of the session registry.
type sessionState struct {
	store  SessionStore // nil when there is no registry
	off    string       // why there is none, for errors
	limit  int
	refuse bool
}

// initSessions sets up the session registry from cfg.
func (m *Manager) initSessions(cfg *Config) error {
	sc := cfg.Sessions
	switch {
	case sc.MaxPerUser < 0:
		return withDetail(ErrInvalidConfig, fmt.Sprintf("Config.Sessions.MaxPerUser (%d) must not be negative", sc.MaxPerUser))
	case sc.RefuseOverCap && sc.MaxPerUser == 0:
		return withDetail(ErrInvalidConfig, "Config.Sessions.RefuseOverCap needs Config.Sessions.MaxPerUser")
	}
	ss, ok := m.store.(SessionStore)
	switch {
	case sc.Disable:
		m.sessions.off = "Config.Sessions.Disable is set"
	case !ok:
		m.sessions.off = fmt.Sprintf("the store (%T) does not implement freshtoken.SessionStore", m.store)
	}
	if m.sessions.off != "" {
		if sc.MaxPerUser > 0 {
			return withDetail(ErrInvalidConfig, "Config.Sessions.MaxPerUser needs a session registry, and "+m.sessions.off)
		}
		return nil
	}
	m.sessions = sessionState{store: ss, limit: sc.MaxPerUser, refuse: sc.RefuseOverCap}
	return nil
}

// registry returns the session store, or an error saying why there is none.
func (m *Manager) registry(call string) (SessionStore, error) {
	if m.sessions.store == nil {
		return nil, withDetail(ErrInvalidConfig, call+" needs the session registry, and "+m.sessions.off)
	}
	return m.sessions.store, nil
}

// Limits on WithSessionLabels, so that a client whose user agent ends up
// in a label cannot make the registry hold much.
const (
	maxLabels        = 8
	maxLabelKeyLen   = 32
	maxLabelValueLen = 256
)

// WithSessionLabels attaches labels to the login's session, which
// Manager.Sessions lists: what lets a user tell their sessions apart, such
// as "user_agent", "ip" or "device". They are kept in the session registry
// only, never in a token. Issue fails with ErrInvalidConfig for more than 8
// labels (across every WithSessionLabels of the login), a key that is empty,
// longer than 32 bytes or not made of ASCII letters, digits, '_', '-' and
// '.', or a value longer than 256 bytes, not valid UTF-8 or holding a
// control character: a value taken from a request (a User-Agent header) is
// to be shortened first. Without a registry (SessionConfig.Disable, or a
// store lacking SessionStore) the labels are checked and dropped.
func WithSessionLabels(labels map[string]string) IssueOption {
	return func(o *issueOptions) error {
		if o.labels == nil && len(labels) > 0 {
			o.labels = make(map[string]string, len(labels))
		}
		for k, v := range labels {
			if err := checkLabel(k, v); err != nil {
				return err
			}
			if _, dup := o.labels[k]; dup {
				return withDetail(ErrInvalidConfig, fmt.Sprintf("session label %q is given twice", k))
			}
			o.labels[k] = v
		}
		if len(o.labels) > maxLabels {
			return withDetail(ErrInvalidConfig, fmt.Sprintf("a session has at most %d labels, not %d", maxLabels, len(o.labels)))
		}
		return nil
	}
}

func checkLabel(k, v string) error {
	keyOK := k != "" && len(k) <= maxLabelKeyLen && strings.IndexFunc(k, func(r rune) bool {
		return !(r < utf8.RuneSelf && (r == '_' || r == '-' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r)))
	}) < 0
	switch {
	case !keyOK:
		return withDetail(ErrInvalidConfig, fmt.Sprintf("session label key %q must be 1 to %d ASCII letters, digits, '_', '-' or '.'", k, maxLabelKeyLen))
	case len(v) > maxLabelValueLen:
		return withDetail(ErrInvalidConfig, fmt.Sprintf("session label %q is %d bytes long, more than %d", k, len(v), maxLabelValueLen))
	case !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0:
		return withDetail(ErrInvalidConfig, fmt.Sprintf("session label %q is not valid UTF-8 text without control characters", k))
	}
	return nil
}

// register records the session of a login that Issue made: its ID, its
// login instant and the refresh token's expiry. Over the cap it refuses
// the login or ends the oldest sessions.
func (m *Manager) register(ctx context.Context, subject string, login time.Time, refresh *tokenFields, labels map[string]string) error {
	ss := m.sessions.store
	if ss == nil {
		return nil
	}
	s := Session{ID: refresh.sessionID, LoginAt: login, EndsAt: m.idleEnd(refresh.issuedAt, refresh.expiresAt), Labels: labels}
	now := m.now()
	refused, evict, err := ss.AddSession(ctx, now, subject, s, m.sessions.limit, m.sessions.refuse)
	if err != nil {
		return storeError(err)
	}
	if refused {
		return withDetail(ErrTooManySessions, fmt.Sprintf("the subject has %d live sessions, the most Config.Sessions.MaxPerUser allows", m.sessions.limit))
	}
	if len(evict) == 0 {
		return nil
	}
	if err := m.endListed(ctx, now, subject, evict); err != nil {
		// No token of the new session is out: take it off the list again,
		// if the store lets us.
		_ = ss.RemoveSessions(ctx, now, subject, []string{s.ID})
		return err
	}
	return nil
}

// idleEnd is when a session whose latest refresh token was issued at
// issued and expires at exp ends: at exp, or earlier with RefreshIdleTTL.
func (m *Manager) idleEnd(issued, exp time.Time) time.Time {
	if m.refreshIdle > 0 && issued.Add(m.refreshIdle).Before(exp) {
		return issued.Add(m.refreshIdle)
	}
	return exp
}

// touch records a refresh of the session of rc at clock, whose new tokens
// were issued at issued and end at end.
func (m *Manager) touch(ctx context.Context, clock time.Time, rc *Claims, issued, end time.Time) error {
	ss := m.sessions.store
	if ss == nil {
		return nil
	}
	endsAt := end
	if m.rotate {
		endsAt = m.idleEnd(issued, end)
	}
	if err := ss.TouchSession(ctx, clock, rc.Subject, rc.SessionID, clock, endsAt); err != nil {
		return storeError(err)
	}
	return nil
}

// unlist takes the ended session of c off the list, if there is one.
func (m *Manager) unlist(ctx context.Context, now time.Time, c *Claims) error {
	ss := m.sessions.store
	if ss == nil {
		return nil
	}
	if err := ss.RemoveSessions(ctx, now, c.Subject, []string{c.SessionID}); err != nil {
		return storeError(err)
	}
	return nil
}

// endListed revokes the listed sessions of subject, then removes them from
// the registry: a failure between the two leaves them listed as revoked,
// which the store hides, never live and unlisted.
func (m *Manager) endListed(ctx context.Context, now time.Time, subject string, list []Session) error {
	ids := make([]string, 0, len(list))
	for _, s := range list {
		until := m.listedEnd(s)
		if until.After(now) {
			if err := m.store.Revoke(ctx, now, s.ID, until); err != nil {
				return storeError(err)
			}
		}
		ids = append(ids, s.ID)
	}
	if err := m.sessions.store.RemoveSessions(ctx, now, subject, ids); err != nil {
		return storeError(err)
	}
	for _, id := range ids {
		m.report(ctx, Event{Kind: EventLogout, Subject: subject, SessionID: id}, nil)
	}
	return nil
}

// listedEnd is how long the revocation of the listed session s must last:
// as for EndSession with the claims of one of its access tokens, which
// tell no more than the list does (the login).
func (m *Manager) listedEnd(s Session) time.Time {
	return m.sessionEnd(&Claims{Type: AccessToken, SessionID: s.ID, AuthTime: s.LoginAt.Truncate(time.Second)})
}

// Sessions lists the live sessions of subject, the newest login first:
// the sessions freshtoken recorded at login that no logout, cap, reused
// refresh token or expiry (EndsAt) has ended since. When current, the claims a guard returned for the
// caller's token, is not nil, the session it belongs to has Current set;
// its subject must be subject (else ErrInvalidConfig), so a handler cannot
// mix up two users. An administrator's view passes nil.
//
// Sessions begun with a refresh token Flask-JWT-Extended wrote (under
// Config.Flask) are not listed: only the logins freshtoken makes are
// recorded. Without a registry (SessionConfig.Disable, or a store lacking
// SessionStore) it fails with ErrInvalidConfig, and with an empty subject
// too; a store failure returns an error matching ErrStoreUnavailable.
func (m *Manager) Sessions(ctx context.Context, subject string, current *Claims) ([]Session, error) {
	ss, err := m.registry("Sessions")
	if err != nil {
		return nil, err
	}
	if subject == "" {
		return nil, withDetail(ErrInvalidConfig, "Sessions needs a subject")
	}
	if current != nil && current.Subject != subject {
		return nil, withDetail(ErrInvalidConfig, "Sessions was given the claims of another subject")
	}
	list, err := ss.ListSessions(ctx, m.now(), subject)
	if err != nil {
		return nil, storeError(err)
	}
	slices.SortFunc(list, func(a, b Session) int {
		if c := b.LoginAt.Compare(a.LoginAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if current != nil {
		for i := range list {
			list[i].Current = list[i].ID == current.SessionID
		}
	}
	return list, nil
}

// EndSessionByID ends the session sessionID of subject, as EndSession
// ends a session from its claims, and takes it off the list. It looks for
// the ID among the subject's live sessions only: an ID that is not one of
// them (another subject's session, one already ended or expired, a guess)
// ends nothing and fails with ErrNoSession, so the ID a client sends can
// reach no other user's session. A handler takes the subject from the
// caller's verified claims, never from the request.
//
// Without a registry, or with an empty subject or ID, it fails with
// ErrInvalidConfig; a store failure returns an error matching
// ErrStoreUnavailable, and the session may not be ended.
func (m *Manager) EndSessionByID(ctx context.Context, subject, sessionID string) error {
	ss, err := m.registry("EndSessionByID")
	if err != nil {
		return err
	}
	if subject == "" || sessionID == "" {
		return withDetail(ErrInvalidConfig, "EndSessionByID needs a subject and a session ID")
	}
	now := m.now()
	e := Event{Subject: subject, SessionID: sessionID}
	list, err := ss.ListSessions(ctx, now, subject)
	if err != nil {
		return m.report(ctx, e, storeError(err))
	}
	i := slices.IndexFunc(list, func(s Session) bool { return s.ID == sessionID })
	if i < 0 {
		return withDetail(ErrNoSession, "the subject has no live session with that ID")
	}
	return m.report(ctx, e, m.endListed(ctx, now, subject, list[i:i+1]))
}

// EndOtherSessions ends every live session of current's subject but the
// one current belongs to, as EndSessionByID would one by one: "log out my
// other devices". current is the claims a guard returned for the caller's
// token. A session that begins during the call may be spared. Sessions
// begun with a refresh token Flask-JWT-Extended wrote are not listed, so
// not ended: LogoutEverywhere followed by Issue reaches them too.
//
// Without a registry, or with nil claims or claims without a subject or
// session ID, it fails with ErrInvalidConfig; a store failure returns an
// error matching ErrStoreUnavailable, and some sessions may not be ended.
func (m *Manager) EndOtherSessions(ctx context.Context, current *Claims) error {
	ss, err := m.registry("EndOtherSessions")
	if err != nil {
		return err
	}
	if current == nil || current.Subject == "" || current.SessionID == "" {
		return withDetail(ErrInvalidConfig, "EndOtherSessions takes the claims a guard returned for the caller's token")
	}
	now := m.now()
	e := Event{Subject: current.Subject}
	list, err := ss.ListSessions(ctx, now, current.Subject)
	if err != nil {
		return m.report(ctx, e, storeError(err))
	}
	list = slices.DeleteFunc(list, func(s Session) bool { return s.ID == current.SessionID })
	if len(list) == 0 {
		return nil
	}
	return m.report(ctx, e, m.endListed(ctx, now, current.Subject, list))
}
