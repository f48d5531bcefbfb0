// Package freshtoken issues and checks paired access and refresh tokens
// (JWTs) where only a real login yields a fresh token, and sensitive actions
// demand one.
//
// # The story
//
// A user logs in with a password. The application calls [Manager.Issue] and
// gets a [Pair]: a short-lived access token marked fresh, and a long-lived
// refresh token. The access token goes with every API call; ordinary
// endpoints check it with [Manager.RequireAccess].
//
// When the access token expires, the client calls the refresh endpoint,
// which calls [Manager.Refresh]: a new access token, not fresh, and (unless
// Config.RotateRefresh is set) the same refresh token as before. Only a login
// starts a session, so a session ends at the latest when its login's refresh
// token expires.
//
// Some actions are too sensitive for a token that a stolen refresh token
// could have produced: changing a password or an email address, paying,
// deleting an account. Those endpoints use [Manager.RequireFresh], which
// accepts only access tokens from a login, or [Manager.RequireLoginWithin],
// which accepts any access token whose user logged in recently enough. A
// valid token that is not fresh fails with a [*FreshnessError]; the client
// should ask the user to log in again, not refresh.
//
// # Configuration
//
// [New] takes a [Config]. Only the key is required; every other field's
// zero value is a documented default (15-minute access tokens, 30-day
// refresh tokens, 5 seconds of leeway, freshness for the access token's
// whole life). The clock is injectable, so tests move time instead of
// sleeping.
//
// An access token is verified again on every request of its life. Set
// Config.VerifiedCacheSize to keep that many verified tokens: a token seen
// before, byte for byte, skips the signature check and the decoding, which
// is most of a guard's cost. Everything that depends on the clock, the
// configuration or the revocation store is still checked on every call.
//
// [LoadOrCreateKey] loads the signing key, or creates it on first start;
// [LoadKey], [LoadKeyEnv] and [ParseKey] read PEM or JWK keys. New refuses
// a configuration that cannot work (an AccessTTL longer than RefreshTTL, a
// MaxTokenSize no token fits, a weak key) with an error naming the field
// and the value.
//
// # Claims
//
// Config.ClaimsLoader is called at every login and every refresh; its
// claims (roles, permissions) go into each new access token and never into
// refresh tokens, so a change reaches the user at the next refresh instead
// of living as long as the session. [WithClaims] adds claims that belong to
// one login. [Claims.Decode] reads them into the application's own type.
//
// # Errors
//
// Guards return nil claims and an error on failure. Match errors with
// [errors.Is] against the sentinels ([ErrMalformed], [ErrSignature],
// [ErrUnknownKey], [ErrInvalidClaims], [ErrExpired], [ErrNotYetValid],
// [ErrWrongType], [ErrNotFresh], [ErrRevoked], [ErrStoreUnavailable],
// [ErrKeysUnavailable], and [ErrInvalidConfig] for a bad argument such as a
// zero maximum age); reach
// the details of a freshness failure with [errors.As] and a *FreshnessError.
// Error text is for people and logs and may change; the sentinels and types
// will not.
//
// # Logout and sessions
//
// Every token of a login names the login's session. [Manager.EndSession]
// with the claims of any of its tokens (or [Manager.Logout] with the refresh
// token) ends the session: the refresh token and every access token made
// from it then fail with [ErrRevoked]. [Manager.LogoutEverywhere]
// ends every session of a subject that began before the call (after a
// password change), and [Manager.RevokeAccessToken] a single access token.
// Revocations live in Config.Store: a [MemoryStore] by default, for one
// process; services with several instances share one store, such as the
// redisstore sub-module. A store that cannot answer makes guards fail with
// [ErrStoreUnavailable], never succeed. Config.RotateRefresh turns on
// refresh token rotation with reuse detection.
//
// Stores that implement [SessionStore] (both of freshtoken's do) also keep
// a registry of live sessions: [Manager.Sessions] lists a user's, with the
// labels given at login ([WithSessionLabels]), [Manager.EndSessionByID]
// ends one of them and [Manager.EndOtherSessions] all but the caller's;
// Config.Sessions caps them per user.
//
// # Events
//
// Config.Events hears of what operators watch: a reused refresh token, a
// revoked token presented, a store outage, an unknown key, a failed key
// fetch, CSRF failures, logins, refreshes and logouts, each as an [Event]
// with the caller's context and the IDs involved, never a token or a key.
// [SlogEvents] logs them with log/slog.
//
// # HTTP
//
// Nothing in this package reads a request. The sub-package
// github.com/freshtoken/freshtoken/httpauth puts the guards in front of
// net/http handlers: it finds the token (an Authorization: Bearer header, or
// cookies with double-submit CSRF protection for browsers), hands the
// verified claims to the handler, and answers refusals with 401 and an RFC
// 6750 challenge, or an RFC 9470 "insufficient_user_authentication"
// challenge when a fresh login is needed; its ResponseFor gives the same
// answers to other frameworks; sub-modules adapt it to gin, echo and fiber.
// [Manager.JWKSHandler] publishes the public keys, and [NewVerifier]
// builds a [Verifier] for a resource server: the guards, with the keys of a
// remote JWK Set (or given keys, or several issuers' sets), and nothing
// that signs or revokes. Its zero configuration accepts every token the
// issuer accepts, and with VerifierConfig.StartWithoutKeys it starts before
// the issuer is up.
//
// # Flask-JWT-Extended
//
// With Config.Flask set, a Manager reads and writes the tokens
// Flask-JWT-Extended 4.x reads and writes, and judges them as it does (its
// order of checks, PyJWT's rounding of the clock, its freshness rule), so
// Go and Flask services can share users and sessions. The tokens freshtoken
// writes carry its session link as a "sid" claim, which Flask-JWT-Extended
// ignores, so logout, rotation and LogoutEverywhere reach the whole login.
//
// # Security
//
// freshtoken follows RFC 8725. The algorithm comes from the configured key,
// never from the token's header. Tokens are accepted only in the compact
// form freshtoken writes: three strict base64url parts, a header with
// nothing but "alg", "typ" and "kid", and JSON without duplicate names.
// Access tokens are typed "at+jwt" (RFC 9068) and refresh tokens
// "refresh+jwt", and the "type" claim must agree, so neither can stand in
// for the other. "exp", "iat", "sub" and "jti" are required, "exp" is always
// checked, and a token may not live longer than its configured TTL. HMAC
// secrets shorter than the hash and RSA keys under 2048 bits are refused.
//
// # Key rotation
//
// Every token in freshtoken's own format names its key with "kid", so a
// Manager can hold several keys: one signs, the others only verify. A
// rotation takes three steps:
//
//  1. [Manager.RotateKey] with the new key: it signs every token from then
//     on; the old key verifies the tokens it signed and stays in the JWK Set
//     ([Manager.JWKSHandler]), where resource servers ([NewVerifier]) find
//     the new key with the first token it signed.
//  2. Wait until the old key's tokens no longer matter: Config.RefreshTTL
//     later, every token it signed has expired. Retiring it sooner
//     (Config.AccessTTL later, once its access tokens have expired) ends
//     the sessions whose refresh token it signed: their users log in again.
//  3. [Manager.RetireKey] with the old key's ID: its tokens fail with
//     [ErrUnknownKey] from then on, cached ones too, and it leaves the JWK
//     Set.
//
// Both calls are safe while requests run: guards read the keys without a
// lock and see them before or after a call, never half changed. The same
// steps work across restarts: the new key becomes Config.Key and the old
// one moves to Config.VerifyKeys, which it leaves at step 3.
//
// The keys live in each Manager, and a restart goes back to its Config.
// Several instances of a service must rotate together, and RotateKey on
// each in turn leaves a window in which a token signed by the new key on
// one instance is refused by an instance not yet told ([ErrUnknownKey]),
// whose JWK Set lacks the new key too. To close it, rotate in two rounds:
// first give every instance the new key in Config.VerifyKeys (a restart; a
// key file shared through [LoadKey] will do), so that all verify and
// publish it; then make it sign everywhere, with RotateKey on each
// instance (a key that verifies already is promoted) or a second restart
// with it as Config.Key. Retire the old key only once no instance signs
// with it, and make the configuration follow every RotateKey and
// RetireKey, or a restarted instance goes back to the old keys.
//
// Flask-format tokens carry a "kid" only when Config.KeyID is set, and a
// Manager with one cannot rotate without a restart (RotateKey explains
// why). Without one, every key configured for the token's algorithm is
// tried, and a retired key gives [ErrSignature].
package freshtoken
