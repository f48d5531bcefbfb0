package freshtoken

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
	"unicode"
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
	// Required. Manager.RotateKey replaces it while the Manager runs.
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
	// until the key is removed from this list (at the next start) or retired
	// with Manager.RetireKey (at once). A retired key that was used with an
	// explicit Algorithm or KeyID must be given as a jwk.Key carrying that
	// "alg" and "kid", or its old tokens will not verify.
	//
	// A rotation takes three steps, with a restart or without one
	// (Manager.RotateKey, Manager.RetireKey): the new key becomes Key and
	// the old one moves here, so it verifies and JWKSHandler publishes it;
	// once its tokens no longer matter (at the latest RefreshTTL later) it
	// is removed. Zero: no key but Key.
	VerifyKeys []any

	// Issuer is written as "iss" and, when set, required to match on every token.
	// It must be valid UTF-8 without control characters (a newline read
	// with it from a file would make every token fail elsewhere).
	// Zero: no "iss" is written or checked. A Verifier that trusts several
	// issuers names them in VerifierConfig.Issuers instead.
	Issuer string

	// Audience names who the tokens are for (RFC 7519 §4.1.3). A Manager
	// writes it as "aud" in every token: one value as a JSON string, several
	// as an array, as Flask-JWT-Extended writes JWT_ENCODE_AUDIENCE. When
	// set, every token's "aud" (a string or a list) must share at least one
	// value with it: a service known by several names accepts a token meant
	// for any of them, and refuses one meant only for another service signed
	// with the same keys. A Manager accepts what it writes; a resource
	// server that accepts another set sets it in VerifierConfig.Config.
	// Each value must be non-empty, given once, and follow the rule for
	// Issuer's characters. Zero: no "aud" is written or checked.
	Audience []string

	// AccessTTL is how long an access token lives. Zero: 15 minutes.
	// A token whose lifetime ("exp" minus "iat") exceeds it is rejected, so
	// lowering it also shortens tokens already out. It may not exceed
	// RefreshTTL: an access token must not outlive its session.
	AccessTTL time.Duration

	// RefreshTTL is how long a refresh token lives, which is also the
	// longest a login session can be kept going by refreshing. Zero: 30 days.
	RefreshTTL time.Duration

	// FreshFor limits how long after the login an access token from Issue
	// counts as fresh. Zero: for its whole life (AccessTTL). Refreshed
	// tokens are never fresh, whatever this says. Under Flask, Issue writes
	// the limit into the token as its "fresh" time, as fresh=timedelta does.
	// It may not exceed AccessTTL, where it would limit nothing.
	FreshFor time.Duration

	// Leeway is the clock skew tolerated on "exp", "nbf" and "iat".
	// Zero: 5 seconds, or none under Flask (as JWT_DECODE_LEEWAY). Negative: none.
	Leeway time.Duration

	// MaxTokenSize is the largest token, in bytes, a guard will look at;
	// larger ones are rejected as ErrMalformed before any decoding, and
	// Issue and Refresh refuse to write them. New refuses a size below the
	// smallest pair this configuration writes (a one-byte subject, no
	// application claims), under which every Issue would fail.
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
	// session. Needs RotateRefresh, and may not exceed RefreshTTL, where
	// reuse would never be detected.
	ReuseInterval time.Duration

	// RefreshIdleTTL ends a session that has not been refreshed for this
	// long: Refresh refuses, with ErrExpired, a refresh token issued longer
	// ago than this. Zero: no limit but RefreshTTL. Needs RotateRefresh,
	// and may not exceed RefreshTTL.
	RefreshIdleTTL time.Duration

	// Sessions configures the registry of live sessions behind
	// Manager.Sessions: see SessionConfig.
	Sessions SessionConfig

	// ClaimsLoader returns the claims the subject holds now (roles,
	// permissions, tenant), read from the application's database. Issue
	// and every Refresh call it with their context, and its claims go into
	// the access token they make; refresh tokens never carry them. So a
	// change (a demoted admin, a revoked permission) reaches the next
	// access token a Refresh makes, at most AccessTTL later, instead of
	// living as long as the session: a claim the loader no longer returns
	// is gone. WithClaims stays for what belongs to one login; Refresh
	// writes those claims, from the refresh token, then the loader's.
	//
	// The loader's claims follow the rules of WithClaims, and breaking one
	// fails the call with ErrInvalidConfig. At Issue, a name that both the
	// loader and the login's WithClaims set fails too: the login's value
	// would ride in the refresh token and come back the day the loader
	// stopped returning the name. At Refresh, the loader's value replaces
	// one the refresh token carries under the same name (a token issued
	// before the claim moved to the loader, or one a Flask service's
	// additional_claims_loader wrote), so deploying a loader logs nobody out.
	//
	// An error fails the call and no token is made (Refresh does not spend
	// a rotated refresh token). An error that matches one of freshtoken's
	// sentinels is returned as it is: return ErrRevoked for a deleted or
	// banned user, so Refresh answers as for a revoked session. Any other
	// error is an outage: it is wrapped to match ErrStoreUnavailable
	// (HTTP 503, not 401), and stays reachable with errors.Is and
	// errors.As. A panic is not recovered. The loader must be safe for
	// concurrent use. NewVerifier ignores it: a Verifier makes no tokens.
	// Zero: no loader; access tokens carry the WithClaims claims alone,
	// copied by Refresh for the whole session.
	ClaimsLoader func(ctx context.Context, subject string) (map[string]any, error)

	// Events receives the security events: a refresh token reused, a
	// revoked token presented, the store out of reach, a token naming an
	// unknown key, a JWK Set fetch failing, a CSRF failure (from package
	// httpauth), logins, refreshes and logouts. EventKind lists them and
	// says when each fires; ordinary bad tokens (malformed, badly signed,
	// expired) are not events. SlogEvents returns a hook that logs them.
	//
	// It is called synchronously, on the goroutine of the call the event
	// happened in, with that call's context, so a request's values (a
	// request ID, a trace span) reach it; a background fetch of a JWK Set
	// passes the context NewVerifier was given, and a fetch a token set
	// off passes that guard's context without its cancellation. So it
	// must be fast (count, log, or hand off to a goroutine of its own) and
	// safe for concurrent use. freshtoken holds none of its locks while it
	// runs, so it may call the Manager, but such a call may report events
	// of its own to the hook, on the same goroutine: a hook holding a lock
	// of its own across it deadlocks. A panic in it is not recovered: it
	// unwinds the call (in a background fetch, it ends the program).
	//
	// A Verifier from NewVerifier reports what its guards and fetches see
	// when VerifierConfig.Config.Events is set. Zero: no events; the
	// guards then cost exactly what they cost without this field.
	Events func(ctx context.Context, e Event)
}

// Manager issues, refreshes and revokes tokens, and verifies them as its
// embedded Verifier does. It is safe for concurrent use; its configuration
// is fixed at New, but for its keys, which RotateKey and RetireKey change.
type Manager struct {
	Verifier
	keysMu sync.Mutex // one RotateKey or RetireKey at a time; guards never take it
	loader func(ctx context.Context, subject string) (map[string]any, error)

	rotate        bool
	reuseInterval time.Duration
	refreshIdle   time.Duration

	sessions sessionState // the registry of live sessions (sessions.go)
}

// New checks cfg and returns a Manager. Errors match ErrInvalidKey or
// ErrInvalidConfig, and name the field at fault and its value.
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
		loader:        cfg.ClaimsLoader,
		rotate:        cfg.RotateRefresh,
		reuseInterval: cfg.ReuseInterval,
		refreshIdle:   cfg.RefreshIdleTTL,
	}
	if err := m.Verifier.init(&cfg, sk); err != nil {
		return nil, err
	}
	if err := m.checkMaxTokenSize(m.ring.Load(), cfg.MaxTokenSize); err != nil {
		return nil, err
	}
	if err := m.initSessions(&cfg); err != nil {
		return nil, err
	}
	return m, nil
}

// checkRotation checks the settings of refresh token rotation.
func checkRotation(cfg *Config) error {
	if err := notNegative("ReuseInterval", cfg.ReuseInterval); err != nil {
		return err
	}
	if err := notNegative("RefreshIdleTTL", cfg.RefreshIdleTTL); err != nil {
		return err
	}
	refresh := setting{"RefreshTTL", cfg.RefreshTTL, DefaultRefreshTTL}
	for _, s := range []setting{{"ReuseInterval", cfg.ReuseInterval, 0}, {"RefreshIdleTTL", cfg.RefreshIdleTTL, 0}} {
		if !cfg.RotateRefresh && s.configured > 0 {
			return withDetail(ErrInvalidConfig, fmt.Sprintf("Config.%s needs Config.RotateRefresh", s))
		}
		if err := notLonger(s, refresh); err != nil {
			return err
		}
	}
	return nil
}

// checkMaxTokenSize refuses a MaxTokenSize (configured, or the default)
// below the smallest pair m writes with the keys of r, measured with one
// probe signature.
func (m *Manager) checkMaxTokenSize(r *keyRing, configured int) error {
	smallest, err := m.smallestPairSize(r)
	if err != nil {
		return err
	}
	if m.maxSize < smallest {
		return withDetail(ErrInvalidConfig, fmt.Sprintf(
			"Config.MaxTokenSize (%s) is smaller than the smallest token this configuration writes (%d bytes with a one-byte subject and no claims)",
			sizeSetting(configured, m.maxSize), smallest))
	}
	return nil
}

// sizeSetting shows a size for an error, saying when it is the default.
func sizeSetting(configured, used int) string {
	if configured == 0 {
		return fmt.Sprintf("%d, the default", used)
	}
	return fmt.Sprint(used)
}

// init sets v up from cfg, with sk as the key the Manager signs with (nil
// for a Verifier that only verifies).
func (v *Verifier) init(cfg *Config, sk *signingKey) error {
	if err := checkLimits(cfg, sk == nil); err != nil {
		return err
	}
	format, err := newFormat(cfg)
	if err != nil {
		return err
	}
	v.format, v.schema = format, format.schema()
	verify, err := verifyKeys(cfg, sk)
	if err != nil {
		return err
	}
	v.issuer, v.audience = cfg.Issuer, slices.Clone(cfg.Audience)
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
	v.events = cfg.Events
	v.ring.Store(v.newKeyRing(sk, verify, nil))
	return nil
}

// checkLimits checks the durations, sizes and names of cfg, the rules a
// Verifier shares with a Manager. On a verifier (verifyOnly) a zero TTL
// means no cap rather than the default, so it is compared with nothing.
func checkLimits(cfg *Config, verifyOnly bool) error {
	for _, d := range []struct {
		name  string
		value time.Duration
	}{{"AccessTTL", cfg.AccessTTL}, {"RefreshTTL", cfg.RefreshTTL}, {"FreshFor", cfg.FreshFor}} {
		if err := notNegative(d.name, d.value); err != nil {
			return err
		}
	}
	for _, n := range []struct {
		name  string
		value int
	}{{"MaxTokenSize", cfg.MaxTokenSize}, {"VerifiedCacheSize", cfg.VerifiedCacheSize}} {
		if n.value < 0 {
			return withDetail(ErrInvalidConfig, fmt.Sprintf("Config.%s (%d) must not be negative", n.name, n.value))
		}
	}
	access := setting{"AccessTTL", cfg.AccessTTL, DefaultAccessTTL}
	refresh := setting{"RefreshTTL", cfg.RefreshTTL, DefaultRefreshTTL}
	if verifyOnly {
		access.def, refresh.def = 0, 0
	}
	for _, s := range []setting{access, refresh} {
		if s.used() != 0 && s.used() < time.Second {
			// Token times are whole seconds.
			return withDetail(ErrInvalidConfig, fmt.Sprintf("Config.%s must be at least one second", s))
		}
	}
	if err := notLonger(access, refresh); err != nil {
		return err
	}
	if err := notLonger(setting{"FreshFor", cfg.FreshFor, 0}, access); err != nil {
		return err
	}
	if err := plainText("Config.Issuer", cfg.Issuer); err != nil {
		return err
	}
	return checkAudience(cfg.Audience)
}

// checkAudience refuses an Audience value no token could match (empty, or
// as plainText says) and one given twice, most likely a copying mistake.
func checkAudience(aud []string) error {
	for i, a := range aud {
		name := fmt.Sprintf("Config.Audience[%d]", i)
		switch {
		case a == "":
			return withDetail(ErrInvalidConfig, name+" is empty, which no token's \"aud\" can name")
		case slices.Contains(aud[:i], a):
			return withDetail(ErrInvalidConfig, fmt.Sprintf("%s %q is given twice", name, a))
		}
		if err := plainText(name, a); err != nil {
			return err
		}
	}
	return nil
}

// setting is a duration field of Config, for the checks and their errors.
type setting struct {
	name       string
	configured time.Duration
	def        time.Duration // what zero means
}

func (s setting) used() time.Duration { return orDefault(s.configured, s.def) }

// String names the field and the value in force: "AccessTTL (15m0s, the default)".
func (s setting) String() string {
	if s.configured == 0 && s.def != 0 {
		return fmt.Sprintf("%s (%v, the default)", s.name, s.def)
	}
	return fmt.Sprintf("%s (%v)", s.name, s.configured)
}

// notLonger refuses a longer than b, both as in force; a zero b (a
// verifier's TTL left unset) is no limit.
func notLonger(a, b setting) error {
	if b.used() != 0 && a.used() > b.used() {
		return withDetail(ErrInvalidConfig, fmt.Sprintf("Config.%s is longer than Config.%s", a, b))
	}
	return nil
}

func notNegative(name string, d time.Duration) error {
	if d < 0 {
		return withDetail(ErrInvalidConfig, fmt.Sprintf("Config.%s (%v) must not be negative", name, d))
	}
	return nil
}

// plainText refuses an issuer or audience, named by field, that no token
// could match: JSON rewrites invalid UTF-8, and a control character is a
// newline or a NUL read along with the value, never part of a real name.
func plainText(field, s string) error {
	if !utf8.ValidString(s) {
		return withDetail(ErrInvalidConfig, fmt.Sprintf("%s %q is not valid UTF-8", field, s))
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return withDetail(ErrInvalidConfig, fmt.Sprintf("%s %q has a control character (%U)", field, s, r))
		}
	}
	return nil
}

// verifyKeys prepares cfg.VerifyKeys, whose IDs must differ from each
// other and from the signing key's, if any.
func verifyKeys(cfg *Config, sk *signingKey) ([]*key, error) {
	var keys []*key
	for i, vk := range cfg.VerifyKeys {
		field := fmt.Sprintf("Config.VerifyKeys[%d]", i)
		k, err := prepareVerifyKey(vk, field)
		if err != nil {
			return nil, err
		}
		if (sk != nil && sk.id == k.id) || slices.ContainsFunc(keys, func(have *key) bool { return have.id == k.id }) {
			return nil, withDetail(ErrInvalidKey, fmt.Sprintf("%s has key ID %q, which another key already uses", field, k.id))
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
