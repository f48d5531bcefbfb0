package freshtoken

import (
	"errors"
	"fmt"
	"time"
)

// Errors returned by freshtoken. Match them with errors.Is; the text after the
// sentinel (and the sentinel's own text) is for logs and is not part of the API.
//
// Every guard returns nil claims together with an error wrapping exactly one
// of these sentinels, so a switch on errors.Is is exhaustive.
var (
	// ErrMalformed: the input is not a compact JWS token freshtoken could have
	// written (wrong shape, bad base64url, invalid JSON, an unsupported header
	// parameter, too large).
	ErrMalformed = errors.New("freshtoken: malformed token")

	// ErrSignature: the signature does not verify, or the header names an
	// algorithm other than the one configured for its key.
	ErrSignature = errors.New("freshtoken: invalid signature")

	// ErrUnknownKey: the token's "kid" names no key the Manager knows. A
	// key removed from Config.VerifyKeys, or retired with
	// Manager.RetireKey, ends up here. For a Verifier from NewVerifier, it is also the answer when the request's
	// context ended while the JWK Set was being fetched for that kid; the
	// error then matches ctx.Err() too.
	ErrUnknownKey = errors.New("freshtoken: unknown signing key")

	// ErrInvalidClaims: a required claim is missing or of the wrong type, the
	// issuer or audience does not match, or the lifetime exceeds the configured TTL.
	ErrInvalidClaims = errors.New("freshtoken: invalid claims")

	// ErrExpired: the token's "exp" has passed (after the leeway).
	ErrExpired = errors.New("freshtoken: token expired")

	// ErrNotYetValid: the token's "nbf" or "iat" lies in the future (after the leeway).
	ErrNotYetValid = errors.New("freshtoken: token not yet valid")

	// ErrWrongType: an access token was presented where a refresh token is
	// required, or the reverse.
	ErrWrongType = errors.New("freshtoken: wrong token type")

	// ErrNotFresh: the access token is valid but does not come from a recent
	// enough login. The user must log in again. The error is a *FreshnessError.
	ErrNotFresh = errors.New("freshtoken: fresh login required")

	// ErrRevoked: the token was revoked: its session was logged out (Logout,
	// or a reused refresh token under rotation), the token itself was revoked
	// (RevokeAccessToken), or its subject was logged out everywhere after the
	// token's login (LogoutEverywhere). The user must log in again.
	ErrRevoked = errors.New("freshtoken: token revoked")

	// ErrStoreUnavailable: the revocation store failed or did not answer in
	// time, so freshtoken could not tell whether the token was revoked. The
	// token is refused (fail closed); it is not known to be bad, so an HTTP
	// layer answers 503, not 401. The store's own error is wrapped too, so
	// errors.Is also matches, say, context.DeadlineExceeded. Issue and
	// Refresh also return it when Config.ClaimsLoader fails with an error
	// of its own (the user database is down), wrapping that error.
	ErrStoreUnavailable = errors.New("freshtoken: revocation store unavailable")

	// ErrKeysUnavailable: a Verifier started without waiting for its JWK
	// Set (VerifierConfig.StartWithoutKeys) has not fetched it yet, so it
	// cannot check any token. The token is refused; it is not known to be
	// bad, so an HTTP layer answers 503, not 401. The last fetch's error is
	// wrapped too.
	ErrKeysUnavailable = errors.New("freshtoken: signing keys not available yet")

	// ErrInvalidKey: Config.Key, one of Config.VerifyKeys or the key given
	// to RotateKey cannot be used, or a remote JWK Set holds no usable key
	// (returned by New, NewVerifier and RotateKey).
	ErrInvalidKey = errors.New("freshtoken: unusable key")

	// ErrNoSession: Manager.EndSessionByID was given a session ID that is
	// not one of the subject's live sessions: another subject's, one that
	// has ended or expired, or a guess. Nothing was ended. An HTTP layer
	// answers 404, as for any resource the caller does not have.
	ErrNoSession = errors.New("freshtoken: no such session")

	// ErrTooManySessions: Issue refused a login because the subject
	// already has Config.Sessions.MaxPerUser live sessions and
	// Config.Sessions.RefuseOverCap is set. Nothing was recorded. The
	// credentials were right: an HTTP layer answers 403, not 401 (logging
	// in again will not help) nor 429 (waiting will not either, until a
	// session expires), and the user must end a session first.
	ErrTooManySessions = errors.New("freshtoken: too many sessions")

	// ErrInvalidConfig: a Config field, an option or an argument is out of
	// range (returned by New, NewVerifier, Issue, the revocation and session calls,
	// RotateKey and RetireKey, and by package httpauth's New and
	// Middleware.SetCookies; never because of a token).
	ErrInvalidConfig = errors.New("freshtoken: invalid configuration")
)

// FreshnessError is the error a freshness guard returns for a valid access
// token that is not fresh enough. It matches ErrNotFresh with errors.Is and
// carries what an HTTP layer needs to ask for a new login (RFC 9470).
type FreshnessError struct {
	// MaxAge is the largest allowed time since the login, when the guard asked
	// for one (RequireLoginWithin, or Config.FreshFor for RequireFresh);
	// zero when only the fresh flag was required.
	MaxAge time.Duration
	// AuthTime is when the user last actively logged in, from the token's
	// "auth_time" claim; zero if the token has none.
	AuthTime time.Time
	// Refreshed reports that the token came from Refresh rather than a login.
	Refreshed bool
}

func (e *FreshnessError) Error() string {
	switch {
	case e.Refreshed && e.MaxAge == 0:
		return ErrNotFresh.Error() + ": token was refreshed, not issued at login"
	case e.AuthTime.IsZero():
		return ErrNotFresh.Error() + ": token carries no login time"
	default:
		return fmt.Sprintf("%s: last login at %s, more than %s ago",
			ErrNotFresh.Error(), e.AuthTime.UTC().Format(time.RFC3339), e.MaxAge)
	}
}

// Unwrap makes errors.Is(err, ErrNotFresh) true.
func (e *FreshnessError) Unwrap() error { return ErrNotFresh }

// tokenError is a sentinel with a detail for logs, made without fmt on the
// common paths.
type tokenError struct {
	kind   error
	detail string
}

func (e *tokenError) Error() string { return e.kind.Error() + ": " + e.detail }
func (e *tokenError) Unwrap() error { return e.kind }

// withDetail returns an error matching kind whose text adds detail.
func withDetail(kind error, detail string) error { return &tokenError{kind: kind, detail: detail} }
