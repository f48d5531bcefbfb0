package freshtoken

import (
	"context"
	"time"
)

// Refresh swaps a valid refresh token for a new access token. The new token
// is not fresh, whatever the refresh token's login was: only Issue makes fresh
// tokens. It keeps the subject, the session, the login time ("auth_time") and
// the application's claims, and expires after Config.AccessTTL or with the
// refresh token, whichever comes first.
//
// The refresh token is not re-issued: the returned Pair holds the same
// string and its expiry, so a session ends at the latest RefreshTTL after
// the login. An access token passed here fails with ErrWrongType, a revoked
// refresh token with ErrRevoked, and a store failure with
// ErrStoreUnavailable.
func (m *Manager) Refresh(ctx context.Context, refreshToken string) (*Pair, error) {
	rc, err := m.verify(ctx, refreshToken, RefreshToken)
	if err != nil {
		return nil, err
	}
	now := m.now().Truncate(time.Second)
	exp := now.Add(m.accessTTL)
	if exp.After(rc.ExpiresAt) {
		exp = rc.ExpiresAt
	}
	if !exp.After(now) {
		// Only reachable inside the leeway: the session is over.
		return nil, errorf(ErrExpired, "the refresh token expires now")
	}
	var ids [2]string
	n := 1
	if rc.CSRF != "" {
		n = 2
	}
	if err := newIDs(ids[:n]); err != nil {
		return nil, err
	}
	at, err := m.sign(&tokenFields{
		typ: AccessToken, subject: rc.Subject, id: ids[0], sessionID: rc.SessionID, csrf: ids[1],
		issuedAt: now, expiresAt: exp, authTime: rc.AuthTime, fresh: false, extra: rc.rawExtra,
	})
	if err != nil {
		return nil, err
	}
	return &Pair{Access: at, Refresh: refreshToken, AccessExpiresAt: exp, RefreshExpiresAt: rc.ExpiresAt}, nil
}
