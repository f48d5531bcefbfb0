package freshtoken

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"time"
)

// Logout ends the session of refreshToken: the refresh token, every refresh
// token rotated from it and every access token issued or refreshed from
// them fail from now on with ErrRevoked, on every Manager sharing the store.
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
	if err := m.store.Revoke(ctx, m.now(), c.SessionID, m.sessionEnd(c)); err != nil {
		return storeError(err)
	}
	return nil
}

// sessionEnd is when the last token of the session of refresh token rc
// stops being accepted: refresh tokens, rotated or not, expire with the
// login's refresh token, and so do refreshed access tokens; the login's
// access token outlives them when AccessTTL exceeds RefreshTTL. A refresh
// inside the leeway after the refresh token's end makes tokens that live a
// second more, accepted for a leeway beyond that.
func (m *Manager) sessionEnd(rc *Claims) time.Time {
	end := rc.ExpiresAt
	if e := rc.AuthTime.Add(m.accessTTL); e.After(end) {
		end = e
	}
	return end.Add(2*m.leeway + time.Second)
}

// RevokeAccessToken revokes the access token whose "jti" (Claims.ID) is jti,
// for example one seen in a log, leaving the rest of its session alone. The
// revocation lasts as long as any access token may: AccessTTL plus twice the
// leeway. An empty jti fails with ErrInvalidConfig; a store failure returns
// an error matching ErrStoreUnavailable.
//
// To end a session, use Logout: a refresh token's ID given here would be
// forgotten before the refresh token expires.
func (m *Manager) RevokeAccessToken(ctx context.Context, jti string) error {
	if jti == "" {
		return withDetail(ErrInvalidConfig, "RevokeAccessToken needs a token ID")
	}
	now := m.now()
	// A valid access token was issued at most a leeway in the future and
	// lives at most AccessTTL, plus a leeway after its "exp".
	if err := m.store.Revoke(ctx, now, jti, now.Add(m.accessTTL+2*m.leeway)); err != nil {
		return storeError(err)
	}
	return nil
}

// LogoutEverywhere ends every session of subject that began before now,
// on every Manager sharing the store, without listing them: every token
// whose login came earlier, by as little as a nanosecond, fails with
// ErrRevoked. Call it after a password change or when an account is
// compromised. Logins from now on, including one at the same instant, are
// not affected, so a handler may call LogoutEverywhere and then Issue to
// keep the current user logged in, in either token format.
//
// The moment is read from the Manager's clock and compared, to the
// nanosecond, with the login time freshtoken writes into every session ID.
// Tokens that carry no such time (those Flask-JWT-Extended wrote) count
// from the start of their "iat" second, which errs towards revoking.
// Instances that issue tokens should keep their clocks in sync (NTP), as a
// login on an instance whose clock lags behind may fall before the cutoff.
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
	if err := m.store.RevokeBefore(ctx, now, subject, until); err != nil {
		return storeError(err)
	}
	return nil
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
