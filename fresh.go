package freshtoken

import (
	"context"
	"time"
)

// RequireFresh returns the claims of a valid access token that comes
// straight from a login: its "fresh" claim is true and, when Config.FreshFor
// is set, the login was less than FreshFor ago. It is the guard for sensitive
// actions (changing a password or an email address, paying). A valid token
// that is not fresh fails with a *FreshnessError matching ErrNotFresh: the
// user must log in again, a refresh will not help.
//
// Freshness has no leeway: it is measured on the server's clock alone.
//
// Under Config.Flask, the token's "fresh" claim alone decides, judged as
// Flask-JWT-Extended's jwt_required(fresh=True) judges it (see FlaskOptions).
func (m *Manager) RequireFresh(ctx context.Context, token string) (*Claims, error) {
	if m.flask != nil {
		return m.requireFreshFlask(ctx, token)
	}
	c, err := m.verify(ctx, token, AccessToken)
	if err != nil {
		return nil, err
	}
	if !c.Fresh {
		return nil, &FreshnessError{AuthTime: c.AuthTime, Refreshed: true}
	}
	if m.freshFor > 0 && !m.now().Before(c.AuthTime.Add(m.freshFor)) {
		return nil, &FreshnessError{MaxAge: m.freshFor, AuthTime: c.AuthTime}
	}
	return c, nil
}

// RequireLoginWithin returns the claims of a valid access token whose user
// logged in at most maxAge ago (its "auth_time" is at or after now minus
// maxAge, as OpenID Connect's max_age). Refreshed tokens keep the login time,
// so they pass while the login is recent enough. A token from too old a login
// fails with a *FreshnessError matching ErrNotFresh, whose MaxAge is maxAge.
// A maxAge that is not positive fails with ErrInvalidConfig.
func (m *Manager) RequireLoginWithin(ctx context.Context, token string, maxAge time.Duration) (*Claims, error) {
	if maxAge <= 0 {
		return nil, errorf(ErrInvalidConfig, "RequireLoginWithin needs a positive maxAge")
	}
	c, err := m.verify(ctx, token, AccessToken)
	if err != nil {
		return nil, err
	}
	if c.AuthTime.Before(m.now().Add(-maxAge)) {
		return nil, &FreshnessError{MaxAge: maxAge, AuthTime: c.AuthTime, Refreshed: !c.Fresh}
	}
	return c, nil
}
