package freshtoken

import (
	"context"
	"time"
)

// Refresh swaps a valid refresh token for a new access token. The new token
// is not fresh, whatever the refresh token's login was: only Issue makes fresh
// tokens. It keeps the subject, the session, the login time ("auth_time") and
// the login's WithClaims claims, adds the claims Config.ClaimsLoader returns
// now (called with ctx, once the refresh token is known good), and expires
// after Config.AccessTTL or with the refresh token, whichever comes first.
//
// By default the refresh token is not re-issued: the returned Pair holds the
// same string and its expiry, so a session ends at the latest RefreshTTL
// after the login. With Config.RotateRefresh the Pair holds a new refresh
// token with the same session and expiry, and the one presented is spent:
// presenting it again (after Config.ReuseInterval) fails with ErrRevoked and
// revokes the session, new tokens included.
//
// Refresh accepts exactly the refresh tokens RequireRefresh accepts: inside
// the leeway after the refresh token's "exp" (granted for clocks that
// disagree), it still answers, as Flask-JWT-Extended's refresh view does,
// and the new tokens live one second, plus the leeway every guard grants.
//
// With a session registry (SessionConfig), Refresh records the refresh in
// the session's entry (Session.LastRefreshAt): one store write, before a
// rotated token is spent.
//
// An access token passed here fails with ErrWrongType, a revoked one with
// ErrRevoked, and a store failure with ErrStoreUnavailable. A loader's
// error is returned as Config.ClaimsLoader says, and leaves a rotated
// refresh token unspent, so the client may try again.
func (m *Manager) Refresh(ctx context.Context, refreshToken string) (*Pair, error) {
	rc, err := m.verify(ctx, refreshToken, RefreshToken)
	if err != nil {
		return nil, err
	}
	clock := m.now()
	now, end := refreshTimes(clock, rc)
	if m.rotate && m.refreshIdle > 0 && !now.Before(rc.IssuedAt.Add(m.refreshIdle)) {
		return nil, withDetail(ErrExpired, "the session was idle for longer than RefreshIdleTTL")
	}
	loaded, err := m.loadClaims(ctx, rc.Subject)
	if err != nil {
		return nil, err
	}
	// The refresh token carries the login's claims alone, so what the
	// loader no longer returns is gone, and what it returns now wins.
	perLogin, nPerLogin := withoutClaims(rc.rawExtra, len(rc.Extra), loaded.names)
	access := tokenFields{
		typ: AccessToken, subject: rc.Subject, sessionID: rc.SessionID,
		issuedAt: now, expiresAt: now.Add(m.accessTTL), authTime: rc.AuthTime, fresh: false,
		extra: joinExtra(perLogin, loaded.extra), nExtra: nPerLogin + len(loaded.names),
	}
	if access.expiresAt.After(end) {
		access.expiresAt = end
	}
	if err := m.newIDs(&access, rc.CSRF != ""); err != nil {
		return nil, err
	}
	if !m.rotate {
		at, _, err := m.signTokens(&access, nil)
		if err != nil {
			return nil, err
		}
		if err := m.touch(ctx, clock, rc, now, end); err != nil {
			return nil, m.report(ctx, claimsEvent(0, rc), err)
		}
		m.report(ctx, claimsEvent(EventRefresh, rc), nil)
		return &Pair{
			Access: at, Refresh: refreshToken, IssuedAt: access.issuedAt, AccessExpiresAt: access.expiresAt, RefreshExpiresAt: rc.ExpiresAt,
			AccessCSRF: access.csrf, RefreshCSRF: rc.CSRF,
		}, nil
	}
	return m.rotateRefresh(ctx, clock, rc, &access, end)
}

// refreshTimes returns the issue time of the tokens a refresh makes and
// when they end at the latest.
func refreshTimes(clock time.Time, rc *Claims) (now, end time.Time) {
	now = clock.Truncate(time.Second)
	if now.Before(rc.AuthTime) {
		// The login happened on a server whose clock runs ahead (by less
		// than the leeway, or the guard would have refused the token).
		// Dated now, the new token would predate its own login (auth_time
		// after iat) and no guard would ever accept it. Tokens in the Flask
		// format carry no login time, and are dated now, as Flask dates them.
		now = rc.AuthTime
	}
	// The new tokens end with the refresh token. Inside the leeway after
	// its "exp" (which the guard grants because another server's clock
	// may run behind), Refresh agrees with the guard, as
	// Flask-JWT-Extended's refresh view does: the new tokens live one
	// second, the least a token can, plus the leeway every guard grants.
	end = rc.ExpiresAt
	if !end.After(now) {
		end = now.Add(time.Second)
	}
	return now, end
}

// rotateRefresh signs access and a new refresh token for the session of
// rc, then spends rc.
func (m *Manager) rotateRefresh(ctx context.Context, clock time.Time, rc *Claims, access *tokenFields, end time.Time) (*Pair, error) {
	// The new refresh token keeps the session, the login's expiry, so
	// rotation never makes a session outlive RefreshTTL, and the login's
	// claims, without the loader's.
	refresh := tokenFields{
		typ: RefreshToken, subject: rc.Subject, sessionID: rc.SessionID,
		issuedAt: access.issuedAt, expiresAt: end, authTime: rc.AuthTime, extra: rc.rawExtra, nExtra: len(rc.Extra),
	}
	if err := m.newIDs(&refresh, rc.CSRF != ""); err != nil {
		return nil, err
	}
	pair, err := m.signPair(access, &refresh)
	if err != nil {
		return nil, err
	}
	// The registry's entry is updated before the token is spent: a store
	// that fails here leaves the client its token to try again. A touch
	// never brings back an entry that a concurrent reuse removed.
	if err := m.touch(ctx, clock, rc, access.issuedAt, end); err != nil {
		return nil, m.report(ctx, claimsEvent(0, rc), err)
	}
	// Spend the old token only once its successor exists: a client must
	// never be left holding a spent token and no new one.
	ok, err := m.store.Redeem(ctx, clock, rc.SessionID, rc.ID, m.sessionEnd(rc), m.reuseInterval)
	if err != nil {
		return nil, m.report(ctx, claimsEvent(0, rc), storeError(err))
	}
	if !ok {
		// Redeem revoked the session (or found it revoked), which hides it
		// from the list already; removing it keeps the registry small and
		// the cap's count right. Its failure changes nothing for the caller.
		_ = m.unlist(ctx, clock, rc)
		err := withDetail(ErrRevoked, "the refresh token was already used; its session is revoked")
		e := claimsEvent(EventRefreshReuse, rc)
		e.Err = err
		m.Notify(ctx, e)
		return nil, err
	}
	m.report(ctx, claimsEvent(EventRefresh, rc), nil)
	return pair, nil
}
