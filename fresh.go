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
func (v *Verifier) RequireFresh(ctx context.Context, token string) (*Claims, error) {
	c, err := v.verify(ctx, token, AccessToken)
	if err != nil {
		return nil, err
	}
	if !c.Fresh {
		if !c.FreshUntil.IsZero() {
			// A freshness window written into the token (Flask's
			// fresh=timedelta) has closed. It opened at login, so the
			// token's iat is the login time and the window its allowed age.
			return nil, &FreshnessError{MaxAge: max(c.FreshUntil.Sub(c.IssuedAt), 0), AuthTime: c.IssuedAt}
		}
		return nil, &FreshnessError{AuthTime: c.AuthTime, Refreshed: true}
	}
	if v.freshFor > 0 && !v.now().Before(c.AuthTime.Add(v.freshFor)) {
		return nil, &FreshnessError{MaxAge: v.freshFor, AuthTime: c.AuthTime}
	}
	return c, nil
}

// RequireLoginWithin returns the claims of a valid access token whose user
// logged in at most maxAge ago (its "auth_time" is at or after now minus
// maxAge, as OpenID Connect's max_age). Refreshed tokens keep the login time,
// so they pass while the login is recent enough. A token from too old a login
// fails with a *FreshnessError matching ErrNotFresh, whose MaxAge is maxAge.
// A maxAge that is not positive fails with ErrInvalidConfig.
func (v *Verifier) RequireLoginWithin(ctx context.Context, token string, maxAge time.Duration) (*Claims, error) {
	if maxAge <= 0 {
		return nil, withDetail(ErrInvalidConfig, "RequireLoginWithin needs a positive maxAge")
	}
	c, err := v.verify(ctx, token, AccessToken)
	if err != nil {
		return nil, err
	}
	if c.AuthTime.Before(v.now().Add(-maxAge)) {
		return nil, &FreshnessError{MaxAge: maxAge, AuthTime: c.AuthTime, Refreshed: !c.Fresh}
	}
	return c, nil
}
