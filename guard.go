package freshtoken

import (
	"context"
	"time"
)

// RequireAccess returns the claims of a valid access token: signed by a
// configured key, well formed, of the access type, not expired, not
// revoked. It is the guard for ordinary authenticated actions. On failure
// the claims are nil and the error matches one of the package's sentinels;
// ErrStoreUnavailable means the revocation store could not be asked.
func (m *Manager) RequireAccess(ctx context.Context, token string) (*Claims, error) {
	return m.verify(ctx, token, AccessToken)
}

// RequireRefresh returns the claims of a valid, unrevoked refresh token. An
// access token fails with ErrWrongType. With Config.RotateRefresh it does
// not spend the token and accepts one already spent: only Refresh redeems.
func (m *Manager) RequireRefresh(ctx context.Context, token string) (*Claims, error) {
	return m.verify(ctx, token, RefreshToken)
}

// verify applies every rule a token of type want must pass: first what the
// token proves about itself (parse, or the cache of what earlier calls
// proved), then what depends on the configuration, the clock and the
// caller, and last, being the dearest, the revocation store.
func (m *Manager) verify(ctx context.Context, tok string, want TokenType) (*Claims, error) {
	c, err := m.check(ctx, tok, want)
	if err != nil {
		return nil, err
	}
	if err := m.checkRevoked(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// check is verify without the revocation store.
func (m *Manager) check(ctx context.Context, tok string, want TokenType) (*Claims, error) {
	c, err := m.parseCached(ctx, tok)
	if err != nil {
		return nil, err
	}
	if m.flask != nil {
		// Flask-JWT-Extended judges the times, issuer, audience and
		// identity before the type.
		if err := m.judgeFlask(c); err != nil {
			return nil, err
		}
		if c.Type != want {
			return nil, errorf(ErrWrongType, "got "+c.Type.String()+" token, want "+want.String())
		}
		return c, nil
	}
	if c.Type != want {
		return nil, errorf(ErrWrongType, "got "+c.Type.String()+" token, want "+want.String())
	}
	if err := m.validate(c); err != nil {
		return nil, err
	}
	return c, nil
}

// validate applies the rules that depend on the configuration and the clock.
func (m *Manager) validate(c *Claims) error {
	if m.issuer != "" && c.Issuer != m.issuer {
		return errorf(ErrInvalidClaims, "wrong issuer")
	}
	if m.audience != "" && !contains(c.Audience, m.audience) {
		return errorf(ErrInvalidClaims, "wrong audience")
	}
	now := m.now()
	if !now.Before(c.ExpiresAt.Add(m.leeway)) {
		return errorf(ErrExpired, "expired at "+c.ExpiresAt.Format(time.RFC3339))
	}
	latest := now.Add(m.leeway)
	if c.IssuedAt.After(latest) || c.NotBefore.After(latest) {
		return errorf(ErrNotYetValid, "issued in the future or not valid yet")
	}
	return m.checkLifetime(c)
}

// checkLifetime refuses a token that lives longer than its type's TTL, or
// whose login comes after its issue.
func (m *Manager) checkLifetime(c *Claims) error {
	ttl := m.accessTTL
	if c.Type == RefreshToken {
		ttl = m.refreshTTL
	}
	if !c.ExpiresAt.After(c.IssuedAt) || c.ExpiresAt.Sub(c.IssuedAt) > ttl {
		return errorf(ErrInvalidClaims, "lifetime is not within the configured TTL")
	}
	if c.AuthTime.After(c.IssuedAt) {
		return errorf(ErrInvalidClaims, "auth_time is after iat")
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
