package freshtoken

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
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

// Manager issues and verifies tokens. It is safe for concurrent use; its
// configuration is fixed at New (a Manager from NewVerifier follows the
// remote JWK Set's keys, nothing else).
type Manager struct {
	signing    *signingKey // nil for a Manager from NewVerifier
	keys       []*key      // signing key first, then VerifyKeys
	remote     *remoteKeys // NewVerifier's JWK Set, consulted after keys; nil for New
	issuer     string
	audience   string
	accessTTL  time.Duration
	refreshTTL time.Duration
	freshFor   time.Duration
	leeway     time.Duration
	maxSize    int
	now        func() time.Time
	cache      *verifiedCache // nil unless Config.VerifiedCacheSize > 0

	store         Store
	rotate        bool
	reuseInterval time.Duration
	refreshIdle   time.Duration

	// The encoded headers never change, so they are built once.
	accessHeader, refreshHeader string
	knownHeaders                []knownHeader // see header

	flask *flaskProfile // nil: freshtoken's own token format
}

// New checks cfg and returns a Manager. Errors match ErrInvalidKey or ErrInvalidConfig.
func New(cfg Config) (*Manager, error) {
	if cfg.Key == nil {
		return nil, errorf(ErrInvalidKey, "Config.Key is required")
	}
	sk, err := newSigningKey(cfg.Key, cfg.Algorithm, cfg.KeyID)
	if err != nil {
		return nil, err
	}
	return newManager(cfg, sk)
}

// newManager applies cfg with sk as the signing key, or with none for a
// Manager that only verifies (NewVerifier).
func newManager(cfg Config, sk *signingKey) (*Manager, error) {
	m := &Manager{
		signing:    sk,
		issuer:     cfg.Issuer,
		audience:   cfg.Audience,
		accessTTL:  orDefault(cfg.AccessTTL, DefaultAccessTTL),
		refreshTTL: orDefault(cfg.RefreshTTL, DefaultRefreshTTL),
		freshFor:   cfg.FreshFor,
		leeway:     orDefault(cfg.Leeway, DefaultLeeway),
		maxSize:    cfg.MaxTokenSize,
		now:        cfg.Now,

		store:         cfg.Store,
		rotate:        cfg.RotateRefresh,
		reuseInterval: cfg.ReuseInterval,
		refreshIdle:   cfg.RefreshIdleTTL,
	}
	if sk != nil {
		m.keys = []*key{&sk.key}
	}
	for i, vk := range cfg.VerifyKeys {
		k, err := newVerifyKey(vk)
		if err != nil {
			return nil, fmt.Errorf("VerifyKeys[%d]: %w", i, err)
		}
		for _, have := range m.keys {
			if have.id == k.id {
				return nil, errorf(ErrInvalidKey, fmt.Sprintf("VerifyKeys[%d] has key ID %q, which another key already uses", i, k.id))
			}
		}
		m.keys = append(m.keys, k)
	}
	switch {
	case cfg.AccessTTL < 0, cfg.RefreshTTL < 0, cfg.FreshFor < 0, cfg.MaxTokenSize < 0, cfg.VerifiedCacheSize < 0:
		return nil, errorf(ErrInvalidConfig, "durations and sizes must not be negative (except Leeway)")
	case m.accessTTL < time.Second || m.refreshTTL < time.Second:
		return nil, errorf(ErrInvalidConfig, "AccessTTL and RefreshTTL must be at least one second")
	case !utf8.ValidString(cfg.Issuer) || !utf8.ValidString(cfg.Audience):
		// JSON would rewrite them, and no token would then match them.
		return nil, errorf(ErrInvalidConfig, "Issuer and Audience must be valid UTF-8")
	case cfg.ReuseInterval < 0, cfg.RefreshIdleTTL < 0:
		return nil, errorf(ErrInvalidConfig, "ReuseInterval and RefreshIdleTTL must not be negative")
	case !cfg.RotateRefresh && (cfg.ReuseInterval > 0 || cfg.RefreshIdleTTL > 0):
		return nil, errorf(ErrInvalidConfig, "ReuseInterval and RefreshIdleTTL need RotateRefresh")
	}
	if m.store == nil {
		m.store = NewMemoryStore()
	}
	if m.leeway < 0 {
		m.leeway = 0
	}
	if m.maxSize == 0 {
		m.maxSize = DefaultMaxTokenSize
	}
	if m.now == nil {
		m.now = time.Now
	}
	if cfg.VerifiedCacheSize > 0 {
		m.cache = newVerifiedCache(cfg.VerifiedCacheSize)
	}
	if sk != nil {
		m.accessHeader = encodeHeader(sk, AccessToken)
		m.refreshHeader = encodeHeader(sk, RefreshToken)
		m.learnHeaders()
	}
	if cfg.Flask != nil { // NewVerifier refuses it: it needs the signing key
		if err := m.setupFlask(cfg); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// TokenType tells access tokens from refresh tokens.
type TokenType uint8

const (
	// AccessToken authorizes API calls. Header "typ": "at+jwt" (RFC 9068), claim "type": "access".
	AccessToken TokenType = iota + 1
	// RefreshToken only buys new access tokens. Header "typ": "refresh+jwt", claim "type": "refresh".
	RefreshToken
)

func (t TokenType) String() string {
	switch t {
	case AccessToken:
		return "access"
	case RefreshToken:
		return "refresh"
	}
	return "TokenType(" + strconv.Itoa(int(t)) + ")"
}

// headerType is the JOSE "typ" of each token type: explicit typing, RFC 8725 §3.11.
func (t TokenType) headerType() string {
	if t == AccessToken {
		return "at+jwt"
	}
	return "refresh+jwt"
}

// Pair is what a login (Issue) or a refresh returns.
type Pair struct {
	Access           string
	Refresh          string
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time
	// AccessCSRF and RefreshCSRF are the tokens' "csrf" claims, the values
	// a browser client echoes for double-submit CSRF protection; empty
	// unless the login used WithCSRF.
	AccessCSRF, RefreshCSRF string
}

// Claims are the verified contents of a token.
type Claims struct {
	Type    TokenType
	Subject string // "sub": who the token is for
	ID      string // "jti": unique per token
	// SessionID ("sid") names the login session: the ID of the login's
	// refresh token, carried by every token of the session (refreshed access
	// tokens and rotated refresh tokens too). Logout revokes it. It is never
	// empty: under Flask, a token Flask-JWT-Extended wrote, which has no
	// "sid", is its own session, and this is its ID.
	SessionID string
	Issuer    string   // "iss", if any
	Audience  []string // "aud", if any

	IssuedAt  time.Time // "iat"
	NotBefore time.Time // "nbf", zero if absent
	ExpiresAt time.Time // "exp"
	// AuthTime ("auth_time") is when the user last actively logged in; Issue
	// sets it and Refresh carries it over.
	AuthTime time.Time
	// Fresh is the token's "fresh" claim: true only on access tokens made by
	// Issue. RequireFresh also applies Config.FreshFor. Under Flask, a
	// "fresh" claim that is a time counts as true until that time, judged
	// when the token is verified.
	Fresh bool
	// FreshUntil is, under Flask, the time a "fresh" claim that is a time
	// names (what fresh=timedelta writes); zero otherwise.
	FreshUntil time.Time

	// CSRF ("csrf") is the double-submit value bound into tokens issued
	// with WithCSRF, for cookie-based clients; empty otherwise.
	CSRF string

	// Extra holds the application's own claims (from WithClaims), decoded as
	// encoding/json decodes into an interface value, except that a claim
	// holding a number beyond float64's range (which encoding/json refuses
	// and Python writes) has its numbers as json.Number. Nil when there are
	// none.
	Extra map[string]any

	// rawExtra is Extra as written in the token (`"k":v,...`), so that
	// Refresh copies the claims byte for byte.
	rawExtra []byte

	// Under Flask, an access token's "fresh" claim that is a time, in Unix
	// seconds as written: the guards judge it against the clock on every call.
	freshTime  bool
	freshUntil float64
}

// IssueOption customizes Issue.
type IssueOption func(*issueOptions) error

type issueOptions struct {
	extra []byte
	names []string // the claim names in extra
	csrf  bool
}

// reserved are the claims freshtoken owns; WithClaims cannot set them.
var reserved = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "auth_time", "type", "fresh", "csrf", "typ", "alg", "kid"}

// WithClaims adds application claims (roles, tenant, ...) to both tokens;
// Refresh copies them into every later access token. Each value must
// marshal to JSON. Issue fails with ErrInvalidConfig for a reserved claim
// name ("sub", "exp", "fresh", "type", ...), a name given twice (across
// several WithClaims), a name JSON would escape (quotes, backslashes,
// control characters, <, >, &), a value the guards would refuse (a
// json.RawMessage with invalid UTF-8 or a lone surrogate such as
// "\ud800"), more claims than a token may hold (about 50), or claims that
// make a token larger than Config.MaxTokenSize.
func WithClaims(claims map[string]any) IssueOption {
	return func(o *issueOptions) error {
		names := make([]string, 0, len(claims))
		for name := range claims {
			switch {
			case name == "" || slices.Contains(reserved, name):
				return errorf(ErrInvalidConfig, fmt.Sprintf("claim %q is reserved", name))
			case slices.Contains(o.names, name):
				return errorf(ErrInvalidConfig, fmt.Sprintf("claim %q is given twice", name))
			case string(appendString(nil, name)) != `"`+name+`"`:
				// The guards refuse escaped member names, which could hide a
				// reserved name; an escaped name would make the token unusable.
				return errorf(ErrInvalidConfig, fmt.Sprintf("claim name %q has characters JSON escapes", name))
			}
			names = append(names, name)
		}
		slices.Sort(names) // tokens are reproducible byte for byte
		for _, name := range names {
			v, err := json.Marshal(claims[name])
			if err != nil {
				return errorf(ErrInvalidConfig, fmt.Sprintf("claim %q: %v", name, err))
			}
			if err := readableClaim(name, v); err != nil {
				return err
			}
			o.extra = appendString(o.extra, name)
			o.extra = append(o.extra, ':')
			o.extra = append(o.extra, v...)
			o.extra = append(o.extra, ',')
		}
		o.names = append(o.names, names...)
		return nil
	}
}

// readableClaim runs an application claim, as Issue would write it,
// through the reader the guards use, so that Issue never writes a token its
// own guards refuse. json.Marshal passes a json.RawMessage through with
// invalid UTF-8 or an escaped lone surrogate ("\ud800") in it, both of
// which the guards refuse.
func readableClaim(name string, v []byte) error {
	obj := make([]byte, 0, len(name)+len(v)+4)
	obj = append(obj, '{')
	obj = appendString(obj, name)
	obj = append(obj, ':')
	obj = append(obj, v...)
	obj = append(obj, '}')
	var o object[string]
	err := o.open(string(obj))
	if err == nil {
		var value string
		if _, value, _, err = o.next(); err == nil {
			err = addExtra(new(Claims), name, value)
		}
	}
	if err != nil {
		return errorf(ErrInvalidConfig, fmt.Sprintf("claim %q would make a token the guards refuse: %v", name, err))
	}
	return nil
}

// WithCSRF gives each token a random "csrf" claim, for clients that keep
// their tokens in cookies: the client must echo the value in a header on
// state-changing requests (double-submit). Refresh gives the new access token
// a new value when the refresh token has one.
func WithCSRF() IssueOption {
	return func(o *issueOptions) error {
		o.csrf = true
		return nil
	}
}

// Issue is the login: call it once the user's credentials are checked. It
// returns a fresh access token and a refresh token, both carrying the
// subject, the login time ("auth_time") and any WithClaims claims. An empty
// subject, or one that is not valid UTF-8, fails with ErrInvalidConfig.
//
// Issue does not consult the Store, so a login succeeds while the store is
// down. That opens no hole: every guard and Refresh asks the store, so the
// new tokens are refused with ErrStoreUnavailable until it answers again,
// and from then on they can be revoked like any others.
func (m *Manager) Issue(ctx context.Context, subject string, opts ...IssueOption) (*Pair, error) {
	if subject == "" {
		return nil, errorf(ErrInvalidConfig, "the subject must not be empty")
	}
	if !utf8.ValidString(subject) {
		// JSON would write each bad byte as U+FFFD, giving different
		// subjects the same token identity.
		return nil, errorf(ErrInvalidConfig, "the subject is not valid UTF-8")
	}
	var o issueOptions
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	// sub, exp, iat, jti, sid, auth_time, type and fresh, then the optional ones.
	members := 8 + len(o.names)
	for _, set := range []bool{m.issuer != "", m.audience != "", o.csrf} {
		if set {
			members++
		}
	}
	if members > maxMembers {
		return nil, errorf(ErrInvalidConfig, fmt.Sprintf("%d extra claims are too many for a token of at most %d members", len(o.names), maxMembers))
	}
	login := m.now()
	now := login.Truncate(time.Second)
	var ids [4]string
	n := 2
	if o.csrf {
		n = 4
	}
	if err := newIDs(ids[:n]); err != nil {
		return nil, err
	}
	sid := sessionID(ids[1], login) // the refresh token's jti names the session
	refresh := tokenFields{
		typ: RefreshToken, subject: subject, id: sid, sessionID: sid, csrf: ids[3],
		issuedAt: now, expiresAt: now.Add(m.refreshTTL), authTime: now, extra: o.extra,
	}
	access := tokenFields{
		typ: AccessToken, subject: subject, id: ids[0], sessionID: sid, csrf: ids[2],
		issuedAt: now, expiresAt: now.Add(m.accessTTL), authTime: now, login: login, fresh: true, extra: o.extra,
	}
	return m.signPair(&access, &refresh)
}

func (m *Manager) signPair(access, refresh *tokenFields) (*Pair, error) {
	at, err := m.sign(access)
	if err != nil {
		return nil, err
	}
	rt, err := m.sign(refresh)
	if err != nil {
		return nil, err
	}
	return &Pair{
		Access: at, Refresh: rt, AccessExpiresAt: access.expiresAt, RefreshExpiresAt: refresh.expiresAt,
		AccessCSRF: access.csrf, RefreshCSRF: refresh.csrf,
	}, nil
}

// tokenFields is what goes into a new token.
type tokenFields struct {
	typ                 TokenType
	subject, id         string
	sessionID           string
	csrf                string // empty: no csrf claim
	issuedAt, expiresAt time.Time
	authTime            time.Time
	login               time.Time // the exact login instant; zero for refreshed tokens
	fresh               bool
	extra               []byte // `"k":v,` pairs, each ending in a comma
}

// sign encodes and signs one token.
func (m *Manager) sign(f *tokenFields) (string, error) {
	if m.signing == nil {
		return "", errorf(ErrInvalidKey, "this Manager comes from NewVerifier and only verifies; it cannot sign tokens")
	}
	if m.flask != nil {
		return m.signFlask(f)
	}
	header := m.accessHeader
	if f.typ == RefreshToken {
		header = m.refreshHeader
	}
	var pbuf [512]byte // the usual payload fits: no allocation
	payload := pbuf[:0]
	payload = append(payload, '{')
	if m.issuer != "" {
		payload = append(payload, `"iss":`...)
		payload = appendString(payload, m.issuer)
		payload = append(payload, ',')
	}
	payload = append(payload, `"sub":`...)
	payload = appendString(payload, f.subject)
	if m.audience != "" {
		payload = append(payload, `,"aud":`...)
		payload = appendString(payload, m.audience)
	}
	payload = append(payload, `,"exp":`...)
	payload = strconv.AppendInt(payload, f.expiresAt.Unix(), 10)
	payload = append(payload, `,"iat":`...)
	payload = strconv.AppendInt(payload, f.issuedAt.Unix(), 10)
	payload = append(payload, `,"jti":"`...)
	payload = append(payload, f.id...) // base64url: nothing to escape
	payload = append(payload, `","sid":"`...)
	payload = append(payload, f.sessionID...)
	payload = append(payload, `","auth_time":`...)
	payload = strconv.AppendInt(payload, f.authTime.Unix(), 10)
	payload = append(payload, `,"type":"`...)
	payload = append(payload, f.typ.String()...)
	payload = append(payload, '"')
	if f.typ == AccessToken {
		payload = append(payload, `,"fresh":`...)
		payload = strconv.AppendBool(payload, f.fresh)
	}
	if f.csrf != "" {
		payload = append(payload, `,"csrf":"`...)
		payload = append(payload, f.csrf...)
		payload = append(payload, '"')
	}
	if len(f.extra) > 0 {
		payload = append(payload, ',')
		payload = append(payload, f.extra[:len(f.extra)-1]...) // drop the last comma
	}
	payload = append(payload, '}')
	return m.seal(header, payload, f.fresh)
}

// seal signs header and payload into a compact token, in either format.
// growth is whether the token's refreshed twin may be two base64url
// characters longer (see fits).
func (m *Manager) seal(header string, payload []byte, growth bool) (string, error) {
	enc := base64.RawURLEncoding
	// The signer is reached through an interface, as the verifier is: the
	// token is built in a pooled buffer (see inputPool) and copied out once.
	bp := getInput(len(header) + 1 + enc.EncodedLen(len(payload)) + 1 + enc.EncodedLen(512))
	defer putInput(bp)
	buf := append((*bp)[:0], header...)
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, payload)
	sig, err := m.signing.sign(buf)
	if err != nil {
		return "", fmt.Errorf("freshtoken: signing failed: %w", err)
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	if err := m.fits(len(buf), growth); err != nil {
		return "", err
	}
	return string(buf), nil
}

// fits refuses a token of size bytes that the guards would refuse: better
// none than a dead one. With growth, it leaves room for the token's
// refreshed twin, whose "false" is one byte longer than "true" (two
// base64url characters at most).
func (m *Manager) fits(size int, growth bool) error {
	if growth {
		size += 2
	}
	if size > m.maxSize {
		return errorf(ErrInvalidConfig, fmt.Sprintf("the token would be %d bytes, more than MaxTokenSize (%d); carry fewer or smaller claims", size, m.maxSize))
	}
	return nil
}

func encodeHeader(k *signingKey, t TokenType) string {
	h := []byte(`{"alg":`)
	h = appendString(h, k.alg)
	h = append(h, `,"typ":`...)
	h = appendString(h, t.headerType())
	h = append(h, `,"kid":`...)
	h = appendString(h, k.id)
	h = append(h, '}')
	return base64.RawURLEncoding.EncodeToString(h)
}

// appendString appends s as a JSON string, exactly as json.Marshal writes it.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		// json.Marshal escapes these (and rewrites non-ASCII when it is not
		// valid UTF-8 or is U+2028 or U+2029): leave them to it.
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			v, _ := json.Marshal(s) // a string always marshals
			return append(b, v...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// newIDs fills ids with random 128-bit identifiers, base64url encoded.
func newIDs(ids []string) error {
	var raw [16]byte
	for i := range ids {
		if _, err := rand.Read(raw[:]); err != nil {
			return fmt.Errorf("freshtoken: reading random bytes: %w", err)
		}
		ids[i] = base64.RawURLEncoding.EncodeToString(raw[:])
	}
	return nil
}
