package freshtoken

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// Defaults for the zero values of Config.
const (
	DefaultAccessTTL    = 15 * time.Minute
	DefaultRefreshTTL   = 30 * 24 * time.Hour
	DefaultLeeway       = 5 * time.Second
	DefaultMaxTokenSize = 8 << 10
)

// Config configures a Manager. The zero value of every field but Key means the
// default stated beside it.
type Config struct {
	// Key signs new tokens and verifies them. It is one of:
	//   - ed25519.PrivateKey: EdDSA
	//   - *ecdsa.PrivateKey: ES256, ES384 or ES512, by curve
	//   - *rsa.PrivateKey (at least 2048 bits): RS256, or PS256 and the
	//     others when Algorithm says so
	//   - []byte: an HMAC secret, HS256 unless Algorithm says HS384 or HS512;
	//     at least as long as the hash (32 bytes for HS256), so a password
	//     will not do
	//   - a jwk.Key holding one of the above; its "alg" and "kid" are used
	//     when Algorithm and KeyID are empty.
	// Required.
	Key any

	// Algorithm is the JWS algorithm ("EdDSA", "ES256", "PS256", "HS512", ...).
	// Zero: chosen from Key as above. Verification always uses the algorithm
	// configured for the key a token names; the token's header never chooses it.
	Algorithm string

	// KeyID is the "kid" written in every token's header.
	// Zero: the RFC 7638 thumbprint of the public key (for HMAC, a hash of the secret).
	// Under Flask, the header carries a kid only when KeyID is set.
	KeyID string

	// VerifyKeys are keys that verify tokens but never sign them: the keys a
	// service signed with before a rotation. Each is a public key, a private
	// key (only its public half is used), an HMAC secret or a jwk.Key, its
	// algorithm and kid found as for Key. Tokens signed by a key stay valid
	// until the key is removed from this list. A retired key that was used
	// with an explicit Algorithm or KeyID must be given as a jwk.Key carrying
	// that "alg" and "kid", or its old tokens will not verify.
	VerifyKeys []any

	// Issuer is written as "iss" and, when set, required to match on every token.
	// Zero: no "iss" is written or checked.
	Issuer string

	// Audience is written as "aud" and, when set, every token's "aud" must contain it.
	// Zero: no "aud" is written or checked.
	Audience string

	// AccessTTL is how long an access token lives. Zero: 15 minutes.
	// A token whose lifetime ("exp" minus "iat") exceeds it is rejected, so
	// lowering it also shortens tokens already out.
	AccessTTL time.Duration

	// RefreshTTL is how long a refresh token lives, which is also the
	// longest a login session can be kept going by refreshing. Zero: 30 days.
	RefreshTTL time.Duration

	// FreshFor limits how long after the login an access token from Issue
	// counts as fresh. Zero: for its whole life (AccessTTL). Refreshed
	// tokens are never fresh, whatever this says. Under Flask, Issue writes
	// the limit into the token as its "fresh" time, as fresh=timedelta does.
	FreshFor time.Duration

	// Leeway is the clock skew tolerated on "exp", "nbf" and "iat".
	// Zero: 5 seconds, or none under Flask (as JWT_DECODE_LEEWAY). Negative: none.
	Leeway time.Duration

	// MaxTokenSize is the largest token, in bytes, a guard will look at;
	// larger ones are rejected as ErrMalformed before any decoding.
	// Zero: 8 KiB.
	MaxTokenSize int

	// VerifiedCacheSize is how many verified tokens the Manager remembers,
	// so that a token presented again (an access token is, on every request
	// of its life) skips the signature check and the decoding. The cache
	// only ever answers for the exact same token string; expiry, freshness,
	// issuer, audience, the token type, the revocation store and every other
	// rule that depends on the clock, the configuration or the store still
	// run on every call (under Flask, the "fresh" time too). A token
	// verified by a key of NewVerifier's JWK Set is verified again once
	// that key has left the set. Each entry costs about the token's length
	// plus a few hundred bytes; when the cache is full the oldest entries
	// make room first. Zero: no cache.
	VerifiedCacheSize int

	// Now is the clock. Zero: time.Now. Tests inject a fake one.
	Now func() time.Time

	// Flask, when set, makes the Manager read and write the tokens of
	// Flask-JWT-Extended 4.x instead of freshtoken's own, so a Go service can
	// share logins with a Flask one. See FlaskOptions. Zero: freshtoken's
	// own format.
	Flask *FlaskOptions

	// Store records revocations (Logout, LogoutEverywhere,
	// RevokeAccessToken) and, with RotateRefresh, spent refresh tokens.
	// Every guard and Refresh consults it; when it fails they refuse the
	// token with ErrStoreUnavailable. Zero: a new MemoryStore for this
	// Manager alone, which is right for a single process only: with several
	// instances, give them all one shared store (see the redisstore module),
	// or a token revoked on one instance keeps working on the others.
	Store Store

	// RotateRefresh makes Refresh return a new refresh token each time and
	// spend the one presented (RFC 9700 §4.14.2). A spent token presented
	// again, by an attacker who stole it or by the client that it was stolen
	// from, revokes the whole session: every refresh and access token of the
	// login. New refresh tokens keep the login's expiry, so rotation never
	// extends a session beyond RefreshTTL. Zero: off; the refresh token is
	// never re-issued and may be used until it expires.
	RotateRefresh bool

	// ReuseInterval lets a spent refresh token be redeemed again for this
	// long after its first use, so a client that lost Refresh's answer can
	// retry; each retry gets a new pair. A thief holding the token gets the
	// same grace, so keep it to seconds. Zero: none, any reuse revokes the
	// session. Needs RotateRefresh.
	ReuseInterval time.Duration

	// RefreshIdleTTL ends a session that has not been refreshed for this
	// long: Refresh refuses, with ErrExpired, a refresh token issued longer
	// ago than this. Zero: no limit but RefreshTTL. Needs RotateRefresh.
	RefreshIdleTTL time.Duration
}

// Manager issues, refreshes and revokes tokens, and verifies them as its
// embedded Verifier does. It is safe for concurrent use; its configuration
// is fixed at New.
type Manager struct {
	Verifier
	signing *signingKey

	rotate        bool
	reuseInterval time.Duration
	refreshIdle   time.Duration
}

// New checks cfg and returns a Manager. Errors match ErrInvalidKey or
// ErrInvalidConfig, and name the field at fault.
func New(cfg Config) (*Manager, error) {
	if cfg.Key == nil {
		return nil, withDetail(ErrInvalidKey, "Config.Key is required")
	}
	sk, err := newSigningKey(cfg.Key, cfg.Algorithm, cfg.KeyID)
	if err != nil {
		return nil, err
	}
	if err := checkRotation(&cfg); err != nil {
		return nil, err
	}
	m := &Manager{
		signing:       sk,
		rotate:        cfg.RotateRefresh,
		reuseInterval: cfg.ReuseInterval,
		refreshIdle:   cfg.RefreshIdleTTL,
	}
	if err := m.Verifier.init(&cfg, sk); err != nil {
		return nil, err
	}
	return m, nil
}

// checkRotation checks the settings of refresh token rotation.
func checkRotation(cfg *Config) error {
	switch {
	case cfg.ReuseInterval < 0, cfg.RefreshIdleTTL < 0:
		return withDetail(ErrInvalidConfig, "ReuseInterval and RefreshIdleTTL must not be negative")
	case !cfg.RotateRefresh && (cfg.ReuseInterval > 0 || cfg.RefreshIdleTTL > 0):
		return withDetail(ErrInvalidConfig, "ReuseInterval and RefreshIdleTTL need RotateRefresh")
	}
	return nil
}

// init sets v up from cfg, with sk as the key the Manager signs with (nil
// for a Verifier that only verifies).
func (v *Verifier) init(cfg *Config, sk *signingKey) error {
	if err := checkLimits(cfg); err != nil {
		return err
	}
	format, err := newFormat(cfg, sk)
	if err != nil {
		return err
	}
	v.format, v.schema = format, format.schema()
	if err := v.addKeys(cfg, sk); err != nil {
		return err
	}
	v.issuer, v.audience = cfg.Issuer, cfg.Audience
	v.accessTTL = orDefault(cfg.AccessTTL, DefaultAccessTTL)
	v.refreshTTL = orDefault(cfg.RefreshTTL, DefaultRefreshTTL)
	if !v.schema.freshInToken {
		v.freshFor = cfg.FreshFor
	}
	v.leeway = max(orDefault(cfg.Leeway, v.schema.defaultLeeway), 0)
	v.maxSize = cfg.MaxTokenSize
	if v.maxSize == 0 {
		v.maxSize = DefaultMaxTokenSize
	}
	v.now = cfg.Now
	if v.now == nil {
		v.now = time.Now
	}
	if cfg.VerifiedCacheSize > 0 {
		v.cache = newVerifiedCache(cfg.VerifiedCacheSize)
	}
	v.store = cfg.Store
	if v.store == nil {
		v.store = NewMemoryStore()
	}
	if sk != nil {
		v.learnHeaders(format)
	}
	return nil
}

// checkLimits checks the durations, sizes and names of cfg.
func checkLimits(cfg *Config) error {
	switch {
	case cfg.AccessTTL < 0, cfg.RefreshTTL < 0, cfg.FreshFor < 0, cfg.MaxTokenSize < 0, cfg.VerifiedCacheSize < 0:
		return withDetail(ErrInvalidConfig, "durations and sizes must not be negative (except Leeway)")
	case orDefault(cfg.AccessTTL, DefaultAccessTTL) < time.Second || orDefault(cfg.RefreshTTL, DefaultRefreshTTL) < time.Second:
		return withDetail(ErrInvalidConfig, "AccessTTL and RefreshTTL must be at least one second")
	case !utf8.ValidString(cfg.Issuer) || !utf8.ValidString(cfg.Audience):
		// JSON would rewrite them, and no token would then match them.
		return withDetail(ErrInvalidConfig, "Issuer and Audience must be valid UTF-8")
	}
	return nil
}

// addKeys installs the signing key, if any, then cfg.VerifyKeys.
func (v *Verifier) addKeys(cfg *Config, sk *signingKey) error {
	if sk != nil {
		v.keys = []*key{&sk.key}
	}
	for i, vk := range cfg.VerifyKeys {
		k, err := newVerifyKey(vk)
		if err != nil {
			return fmt.Errorf("VerifyKeys[%d]: %w", i, err)
		}
		for _, have := range v.keys {
			if have.id == k.id {
				return withDetail(ErrInvalidKey, fmt.Sprintf("VerifyKeys[%d] has key ID %q, which another key already uses", i, k.id))
			}
		}
		v.keys = append(v.keys, k)
	}
	return nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
