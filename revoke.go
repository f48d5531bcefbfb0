package freshtoken

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// Logout ends the session of refreshToken: the refresh token, every refresh
// token rotated from it and every access token issued or refreshed from
// them fail from now on with ErrRevoked, on every Manager sharing the store.
// It is EndSession for the claims of refreshToken; a logout endpoint that
// holds only the access token calls EndSession with its claims.
//
// In the Flask-JWT-Extended format (Config.Flask), the tokens freshtoken
// writes carry the same session link (a "sid" claim, which
// Flask-JWT-Extended ignores), so Logout reaches them all. A refresh token
// that Flask-JWT-Extended wrote has no such link: it is its own session,
// which Logout ends together with whatever freshtoken refreshed or rotated
// from it; access tokens that the Flask side wrote live out their
// AccessTTL unless revoked with RevokeAccessToken.
//
// The token must be a valid refresh token (an access token fails with
// ErrWrongType, an expired one with ErrExpired), but it may already be
// revoked or spent: logging out twice is not an error. A store failure
// returns an error matching ErrStoreUnavailable, and the session may not be
// revoked.
func (m *Manager) Logout(ctx context.Context, refreshToken string) error {
	c, err := m.check(ctx, refreshToken, RefreshToken)
	if err != nil {
		return err
	}
	return m.EndSession(ctx, c)
}

// EndSession ends the session that c, the claims a guard returned for one
// of its tokens, belongs to: as Logout does, every refresh and access
// token of the session fails from now on with ErrRevoked, on every Manager
// sharing the store. c may come from any guard, so a logout endpoint
// behind RequireAccess, which sees only the access token, ends the whole
// session, refresh token included. Other sessions of the subject are left
// alone (LogoutEverywhere ends them all, EndOtherSessions all but one).
// With a session registry (SessionConfig), the session also leaves the
// list of Manager.Sessions; a session the registry does not hold (one
// begun by a refresh token Flask-JWT-Extended wrote) is ended all the same.
//
// The revocation lasts until the session's last token can no longer be
// accepted, and is then forgotten: from a refresh token's claims, until
// its expiry; from an access token's, which do not tell when the
// session's refresh token expires, until RefreshTTL after the login; in
// both cases plus the leeways. Ending a session twice is not an error, and
// neither is ending one whose tokens have all expired: there is nothing
// left to revoke, and the store is not asked. Nil claims, or claims without
// a session ID or subject (not from a guard), fail with ErrInvalidConfig;
// a store failure returns an error matching ErrStoreUnavailable, and the
// session may not be revoked.
func (m *Manager) EndSession(ctx context.Context, c *Claims) error {
	if c == nil || c.SessionID == "" || c.Subject == "" {
		return withDetail(ErrInvalidConfig, "EndSession takes the claims a guard returned for one of the session's tokens")
	}
	now := m.now()
	until := m.sessionEnd(c)
	if !until.After(now) {
		return nil
	}
	e := Event{Kind: EventLogout, Subject: c.Subject, SessionID: c.SessionID}
	if err := m.store.Revoke(ctx, now, c.SessionID, until); err != nil {
		return m.report(ctx, e, storeError(err))
	}
	return m.report(ctx, e, m.unlist(ctx, now, c))
}

// sessionEnd is when the last token of the session of c stops being
// accepted, by this bound on each kind of token:
//   - Refresh tokens, rotated or not, expire with the login's refresh
//     token. For a refresh token c that is c's "exp". For an access
//     token it is unknown, but the login's refresh token lived at most
//     RefreshTTL from the login second. loginTime(c) is not before that
//     second (in the Flask format, for a session begun by a refresh token
//     Flask-JWT-Extended wrote, it is c's own "iat", later still), unless
//     c was dated by another instance's clock, trusted to a leeway: hence
//     the login time plus RefreshTTL and a leeway. This takes RefreshTTL
//     as it was at the login: lowered since, a rotated refresh token may
//     outlive the bound.
//   - The login's access token expires AccessTTL after the login second.
//   - A refreshed access token expires with the refresh token, except
//     that a refresh inside the leeway after the refresh token's "exp"
//     makes one that lives a second more.
//
// Every token is accepted for a leeway after its "exp": so the last one
// is refused from the latest of these plus twice the leeway and a second.
func (m *Manager) sessionEnd(c *Claims) time.Time {
	login := loginTime(c)
	refreshEnd := c.ExpiresAt
	if c.Type != RefreshToken {
		refreshEnd = login.Add(m.refreshTTL + m.leeway)
	}
	end := login.Add(m.accessTTL)
	if refreshEnd.After(end) {
		end = refreshEnd
	}
	return end.Add(2*m.leeway + time.Second)
}

// RevokeAccessToken revokes the access token whose "jti" (Claims.ID) is jti,
// for example one seen in a log, leaving the rest of its session alone. The
// revocation lasts as long as any access token may: AccessTTL plus twice the
// leeway. An empty jti fails with ErrInvalidConfig, and so does a whole
// token given by mistake (which would revoke nothing): neither format's
// IDs contain a ".". A store failure returns an error matching
// ErrStoreUnavailable.
//
// To end a session, use EndSession or Logout: a refresh token's ID given
// here would be forgotten before the refresh token expires.
func (m *Manager) RevokeAccessToken(ctx context.Context, jti string) error {
	if jti == "" {
		return withDetail(ErrInvalidConfig, "RevokeAccessToken needs a token ID")
	}
	if looksLikeToken(jti) {
		return withDetail(ErrInvalidConfig, "RevokeAccessToken takes the token's ID (Claims.ID), not the token")
	}
	now := m.now()
	// A valid access token was issued at most a leeway in the future and
	// lives at most AccessTTL, plus a leeway after its "exp".
	if err := m.store.Revoke(ctx, now, jti, now.Add(m.accessTTL+2*m.leeway)); err != nil {
		return m.report(ctx, Event{TokenID: jti}, storeError(err))
	}
	return nil
}

// maxPlainID bounds a token ID that holds a ".": freshtoken's own IDs
// (22 base64url characters) and Flask-JWT-Extended's (36-character
// UUIDs) never hold one, but a Flask application may set "jti" itself.
const maxPlainID = 128

// looksLikeToken reports whether s is a token, or a piece of one, rather
// than a token ID: a "." after a base64url JSON object (the JOSE header,
// "eyJ..."), or a "." in something longer than any ID.
func looksLikeToken(s string) bool {
	head, _, dot := strings.Cut(s, ".")
	if !dot {
		return false
	}
	if len(s) > maxPlainID {
		return true
	}
	h, err := base64.RawURLEncoding.DecodeString(head)
	h = bytes.TrimLeft(h, " \t\r\n")
	return err == nil && len(h) > 0 && h[0] == '{'
}

// LogoutEverywhere ends every session of subject that began before now,
// on every Manager sharing the store, without listing them: every token
// whose login came earlier, by as little as a nanosecond, fails with
// ErrRevoked. Call it after a password change or when an account is
// compromised. Logins from now on, including one at the same instant, are
// not affected, so a handler may call LogoutEverywhere and then Issue to
// keep the current user logged in, in either token format.
//
// The cutoff is exact, which surprises tests: with a test clock that
// stands still, a login made at the very instant of the call, whether
// before or after it, is at or after the cutoff and stays valid. A test
// must move its clock on between the login it means to end and the call
// (by a nanosecond is enough); moving it only afterwards changes nothing.
//
// The moment is read from the Manager's clock and compared, to the
// nanosecond, with the login time freshtoken writes into every session ID.
// Tokens that carry no such time (those Flask-JWT-Extended wrote) count
// from the start of their "iat" second, which errs towards revoking.
// Instances that issue tokens should keep their clocks in sync (NTP), as a
// login on an instance whose clock lags behind may fall before the cutoff.
// With a session registry (SessionConfig), the same store step empties the
// subject's list of sessions (SessionStore's contract on RevokeBefore), and
// a login racing with the call is listed only if it comes after the cutoff.
//
// An empty subject fails with ErrInvalidConfig; a store failure returns an
// error matching ErrStoreUnavailable.
func (m *Manager) LogoutEverywhere(ctx context.Context, subject string) error {
	if subject == "" {
		return withDetail(ErrInvalidConfig, "LogoutEverywhere needs a subject")
	}
	now := m.now()
	// Every token of an earlier login expires by the login plus the longer
	// TTL, and is accepted for a leeway beyond.
	until := now.Add(max(m.accessTTL, m.refreshTTL) + m.leeway)
	var err error
	if err = m.store.RevokeBefore(ctx, now, subject, until); err != nil {
		err = storeError(err)
	}
	return m.report(ctx, Event{Kind: EventLogoutEverywhere, Subject: subject}, err)
}

func storeError(err error) error {
	return fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
}

// The "auth_time" and "iat" claims have whole seconds, too coarse to tell a
// login just before LogoutEverywhere from one just after it. So Issue
// appends the login time in nanoseconds to the session ID, which every
// token of the session carries: a random ID, then 8 bytes of Unix
// nanoseconds, base64url.

const (
	randomIDLen  = 22 // base64url of 16 random bytes
	loginTimeLen = 11 // base64url of 8 bytes
)

// sessionID appends the login time to the random ID id.
func sessionID(id string, login time.Time) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(login.UnixNano()))
	return id + base64.RawURLEncoding.EncodeToString(b[:])
}

// loginTime is when c's session began: to the nanosecond when its session
// ID says so and agrees with the login second ("auth_time", or for a token
// in the Flask format, which has none, no later than "iat"); else the start
// of that second, which errs towards revoking.
func loginTime(c *Claims) time.Time {
	second := c.AuthTime
	if second.IsZero() {
		// The Flask format: the login was at or before iat.
		second = c.IssuedAt
	}
	if len(c.SessionID) != randomIDLen+loginTimeLen {
		return second
	}
	var b [8]byte
	n, err := strictB64.Decode(b[:], []byte(c.SessionID[randomIDLen:]))
	if err != nil || n != len(b) {
		return second
	}
	t := time.Unix(0, int64(binary.BigEndian.Uint64(b[:])))
	if c.AuthTime.IsZero() {
		if t.Unix() > second.Unix() {
			return second
		}
		return t
	}
	if t.Unix() != second.Unix() {
		return second
	}
	return t
}
