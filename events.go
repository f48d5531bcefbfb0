package freshtoken

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// This file is what freshtoken tells operators: the security events a
// Config.Events hook receives, and a ready hook that logs them with
// log/slog.
//
// An event is something a person may have to act on. A token that is
// malformed, badly signed, expired, not yet valid, of the wrong type or
// not fresh enough is not one: clients and scanners send those all day,
// nothing in them is verified (a subject read from a token whose
// signature failed is whatever its writer chose), and the error the call
// returns already lets an HTTP layer count them. Events are the failures
// that say something about a session someone holds (a revoked token, a
// reused refresh token, a CSRF failure: the token was genuine), about the
// service (the store or the issuer's keys out of reach) or about the keys
// (a kid nobody knows), and the logins and logouts that put them in
// context.

// EventKind says what happened. The zero EventKind is none of them.
type EventKind uint8

const (
	// EventLogin: Issue made a pair. Subject, SessionID (the new
	// session's) and TokenID (the access token's "jti").
	EventLogin EventKind = iota + 1

	// EventRefresh: Refresh made a new access token (and, with
	// Config.RotateRefresh, a new refresh token). Subject, SessionID,
	// TokenID (the refresh token presented).
	EventRefresh

	// EventLogout: a session was ended: by Logout, EndSession or
	// EndSessionByID, or one event per session by EndOtherSessions and by
	// a login over Config.Sessions.MaxPerUser ending the oldest.
	// Subject, SessionID.
	EventLogout

	// EventLogoutEverywhere: LogoutEverywhere ended every session of
	// Subject.
	EventLogoutEverywhere

	// EventRefreshReuse: under Config.RotateRefresh, a spent refresh token
	// was presented again after Config.ReuseInterval, and its session was
	// revoked. Either the token was stolen or the client that held it is
	// broken: alert on it. Subject, SessionID, TokenID (the reused
	// token), Err (matching ErrRevoked).
	EventRefreshReuse

	// EventRevokedToken: a guard or Refresh refused a genuine token that
	// was revoked: its session logged out, the token itself revoked, or
	// its subject logged out everywhere after its login. A client still
	// holding a token after a logout sends a few; a stream of them for
	// one subject may be someone replaying a stolen one. Subject,
	// SessionID, TokenID, Err (matching ErrRevoked).
	EventRevokedToken

	// EventStoreUnavailable: the revocation store failed, so a guard or
	// Refresh refused a token it could not judge (an HTTP layer answers
	// 503), or a login, refresh or logout could not be recorded. Every
	// request fails while it lasts: alert on it. Subject, and SessionID
	// and TokenID when a token was being judged; Err (matching
	// ErrStoreUnavailable and the store's own error). A failing
	// Config.ClaimsLoader is the application's own database, and not an
	// event.
	EventStoreUnavailable

	// EventUnknownKey: a guard (or Refresh, or Logout) refused a token with
	// ErrUnknownKey: its "kid" names no key the Verifier has, a retired
	// one included. A Verifier with a JWK Set fetched the set again first
	// (at most once per VerifierConfig.MinRefetchInterval) and still did
	// not find it, or the guard's context ended while it waited; when
	// that fetch failed, an EventKeySetFetchFailed came first. A few
	// after a key rotation mean a service signs with a key not yet
	// published or already retired; many with made-up kids mean someone
	// is probing. KeyID (the token's kid, cut to 64 bytes: see Event),
	// Err. The subject and IDs stay empty: nothing in the token is
	// verified yet. Without Config.KeyID, a token in the Flask format
	// names no key, and one signed by another key is ErrSignature: no
	// event.
	EventUnknownKey

	// EventKeySetFetchFailed: a background fetch of a Verifier's JWK Set,
	// or one a token with an unknown kid set off, failed; the keys of the
	// last good fetch stay in use, so tokens keep verifying until the
	// issuer's keys change. Err names the URL (and, with
	// VerifierConfig.Issuers, the issuer) and matches none of the
	// package's sentinels. NewVerifier's own first fetch is not an event:
	// its failure is NewVerifier's error.
	EventKeySetFetchFailed

	// EventCSRFFailed: package httpauth refused a genuine token from a
	// cookie on a state-changing request, because the CSRF header was
	// missing or did not match (a cross-site request forgery, or a page
	// that forgets the header). Subject, SessionID, TokenID, Err
	// (matching httpauth.ErrCSRF).
	EventCSRFFailed
)

var eventNames = [...]string{
	EventLogin:             "login",
	EventRefresh:           "refresh",
	EventLogout:            "logout",
	EventLogoutEverywhere:  "logout_everywhere",
	EventRefreshReuse:      "refresh_reuse",
	EventRevokedToken:      "revoked_token",
	EventStoreUnavailable:  "store_unavailable",
	EventUnknownKey:        "unknown_key",
	EventKeySetFetchFailed: "key_set_fetch_failed",
	EventCSRFFailed:        "csrf_failed",
}

// String returns the kind's name in snake case ("refresh_reuse"), fit for
// a metric label or a log field: a label of ten values at most.
func (k EventKind) String() string {
	if int(k) < len(eventNames) && eventNames[k] != "" {
		return eventNames[k]
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event is one thing that happened, as a Config.Events hook receives it.
// Each EventKind says which fields it sets; the others are empty.
//
// It carries identifiers only, never a token, a signature, a CSRF value or
// a key, so it may be logged as it is. The subject and IDs are those of a
// token whose signature verified, or of the call's own arguments, never
// read from a token that failed. Subject is the application's user ID,
// which may be personal data where the application's IDs are. The subject
// and IDs are unbounded in number: use Kind alone as a metric label, and
// the rest in logs and traces.
type Event struct {
	Kind EventKind
	// Subject is the user the event is about ("sub").
	Subject string
	// SessionID is the login session the event is about ("sid").
	SessionID string
	// TokenID is the "jti" of the token the event is about.
	TokenID string
	// KeyID is the "kid" of an EventUnknownKey's token: chosen by whoever
	// wrote the token, so cut to 64 bytes (an ellipsis marks the cut),
	// with control characters and invalid UTF-8 replaced by U+FFFD.
	KeyID string
	// Err is the error of a failure: what the call returned, so it
	// matches the same sentinel. Nil for logins, refreshes and logouts.
	// Its text is for logs and may change.
	Err error
}

// Notify passes e to the Config.Events hook, if there is one, as
// freshtoken passes its own events: on the calling goroutine, with ctx.
// It is for the layers in front of the guards, such as package httpauth,
// which reports its CSRF failures through it, so that one hook sees every
// event. Without a hook it does nothing.
func (v *Verifier) Notify(ctx context.Context, e Event) {
	if v.events != nil {
		v.events(ctx, e)
	}
}

// report tells the hook how a Manager call that changes state ended: e
// when it succeeded, an EventStoreUnavailable with e's IDs when it failed
// because the store did, nothing for any other failure (a bad argument,
// a bad token, whose guard reported it already). It returns err.
func (m *Manager) report(ctx context.Context, e Event, err error) error {
	if m.events == nil {
		return err
	}
	switch {
	case err == nil && e.Kind != 0:
		m.events(ctx, e)
	case err != nil && errors.Is(err, ErrStoreUnavailable):
		e.Kind, e.Err = EventStoreUnavailable, err
		m.events(ctx, e)
	}
	return err
}

// claimsEvent is an event of kind about the token whose claims are c.
func claimsEvent(kind EventKind, c *Claims) Event {
	return Event{Kind: kind, Subject: c.Subject, SessionID: c.SessionID, TokenID: c.ID}
}

// tokenEvent reports an event about the genuine token c; only failures
// call it, so a token that passes never builds an Event.
func (v *Verifier) tokenEvent(ctx context.Context, kind EventKind, c *Claims, err error) {
	if v.events != nil {
		v.events(ctx, Event{Kind: kind, Subject: c.Subject, SessionID: c.SessionID, TokenID: c.ID, Err: err})
	}
}

// unknownKey reports a guard's ErrUnknownKey for a token naming kid.
func (v *Verifier) unknownKey(ctx context.Context, kid []byte, err error) {
	if v.events != nil && errors.Is(err, ErrUnknownKey) {
		v.events(ctx, Event{Kind: EventUnknownKey, KeyID: eventKeyID(kid), Err: err})
	}
}

// maxEventKeyID bounds what an Event repeats of a token's kid.
const maxEventKeyID = 64

// eventKeyID makes a kid, which a token's writer chose, safe to log
// unquoted: at most maxEventKeyID bytes of it, cut at a character
// boundary, with control characters and invalid UTF-8 replaced. A kid
// needs no more to be recognised; a longer one is made up.
func eventKeyID(kid []byte) string {
	cut := len(kid) > maxEventKeyID
	if cut {
		n := maxEventKeyID
		for n > 0 && !utf8.RuneStart(kid[n]) {
			n--
		}
		kid = kid[:n]
	}
	b := make([]byte, 0, len(kid)+len("…"))
	for len(kid) > 0 {
		r, size := utf8.DecodeRune(kid)
		if unicode.IsControl(r) || (r == utf8.RuneError && size == 1) {
			r = utf8.RuneError
		}
		b = utf8.AppendRune(b, r)
		kid = kid[size:]
	}
	if cut {
		b = append(b, "…"...)
	}
	return string(b)
}

// SlogEvents returns a Config.Events hook that logs every event with l,
// passing the event's context on, so a handler that reads request IDs or
// trace spans from it sees them. The message is "freshtoken: " and the
// kind ("freshtoken: refresh_reuse"), and the attributes subject,
// session_id, token_id, key_id and error are there when set. The levels
// make what needs a person stand out:
//
//   - Error: EventRefreshReuse (a stolen refresh token, or a broken
//     client) and EventStoreUnavailable (every request fails until the
//     store is back).
//   - Warn: EventRevokedToken, EventUnknownKey, EventKeySetFetchFailed
//     (the last keys stay in use) and EventCSRFFailed.
//   - Info: logins, refreshes and logouts, and any other kind.
//
// A nil l logs with slog.Default() of the moment of each event.
func SlogEvents(l *slog.Logger) func(context.Context, Event) {
	return func(ctx context.Context, e Event) {
		logger := l
		if logger == nil {
			logger = slog.Default()
		}
		level := eventLevel(e.Kind)
		if !logger.Enabled(ctx, level) {
			return
		}
		var attrs [5]slog.Attr
		n := 0
		for _, a := range [...]struct{ key, value string }{
			{"subject", e.Subject}, {"session_id", e.SessionID}, {"token_id", e.TokenID}, {"key_id", e.KeyID},
		} {
			if a.value != "" {
				attrs[n] = slog.String(a.key, a.value)
				n++
			}
		}
		if e.Err != nil {
			attrs[n] = slog.Any("error", e.Err)
			n++
		}
		logger.LogAttrs(ctx, level, "freshtoken: "+e.Kind.String(), attrs[:n]...)
	}
}

// eventLevel is the level SlogEvents logs an event of kind k at.
func eventLevel(k EventKind) slog.Level {
	switch k {
	case EventRefreshReuse, EventStoreUnavailable:
		return slog.LevelError
	case EventRevokedToken, EventUnknownKey, EventKeySetFetchFailed, EventCSRFFailed:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}
