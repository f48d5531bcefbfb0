package freshtoken

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// FlaskOptions, set as Config.Flask, makes a Manager read and write the
// tokens of Flask-JWT-Extended 4.x, so that a Go service can stand beside a
// Flask one, or take over its endpoints one by one, without logging anyone
// out. Both sides must share the key: Config.Key is JWT_SECRET_KEY (as
// []byte, at least 32 bytes for HS256: a shorter secret must be replaced
// first), or JWT_PRIVATE_KEY for RS256, ES256 and the other asymmetric
// algorithms, with Config.Algorithm as JWT_ALGORITHM.
//
// The tokens written are the ones Flask-JWT-Extended writes: the header
// {"alg":"HS256","typ":"JWT"} (with the configured algorithm, and a "kid"
// only when Config.KeyID is set) and the claims "fresh", "iat", "jti" (a
// UUID), "type", the identity claim, "nbf" (equal to "iat"), "csrf" (a UUID,
// with WithCSRF), "aud" and "iss" (when Config.Audience and Config.Issuer are
// set), "exp", and the WithClaims claims. Refresh tokens carry "fresh": false.
// Issue writes "fresh": true, or, when Config.FreshFor is set, the Unix time
// the freshness ends, counted from the login instant to the microsecond, as
// create_access_token(fresh=timedelta(...)) does. One claim is freshtoken's
// own: "sid", the session link, which Flask-JWT-Extended reads and ignores.
// Every token of a login carries it, so Logout, refresh rotation and reuse
// detection reach the whole login, and LogoutEverywhere tells a login just
// before it from one just after.
//
// Tokens are read as Flask-JWT-Extended reads them, with the Manager's
// rules on top:
//   - The header holds "alg", "typ" (which must be "JWT") and optionally
//     "kid"; any other parameter is refused with ErrMalformed. The algorithm
//     must be the one configured for the key. Without a kid, the token is
//     checked against each configured key of that algorithm in turn,
//     Config.Key first (so a forged token costs one check per such key);
//     with one, against the key it names (ErrUnknownKey when there is none).
//   - "exp", "iat", a non-empty "jti" and the identity claim are required;
//     "exp", "iat" and "nbf" are whole seconds written as integers. A
//     "sid" must be a non-empty string; a token without one (as
//     Flask-JWT-Extended writes them) is its own session, named by its jti.
//     The identity must be a non-empty string:
//     integer or object identities (accepted by Flask-JWT-Extended before
//     4.7, refused by later releases with PyJWT 2.10) fail with
//     ErrInvalidClaims, so the Flask side must issue str(user.id).
//   - A missing "type" reads as "access"; "access" and "refresh" are the
//     only values (compared after decoding escapes, as Python does). A
//     missing "fresh" reads as false; otherwise it is a boolean or a number
//     (any JSON number; one beyond float64's range is an infinity, as in
//     Python), and anything else fails with ErrInvalidClaims.
//   - "iss" and "aud" are compared only when Config.Issuer and
//     Config.Audience are set, whatever their type, as PyJWT does; "aud"
//     may be a string or a list of strings. "csrf" is compared only on a
//     token from a cookie (a value that is not a string then matches
//     nothing).
//   - Times are compared as PyJWT compares them: the current time is cut
//     to the whole second, and then the leeway (which may have a fraction)
//     is added or subtracted.
//   - Freshness is judged exactly as Flask-JWT-Extended judges it: true is
//     fresh, false is not, and a number is fresh while the current Unix
//     time (to the microsecond) is not past it, with no leeway. Config.FreshFor
//     plays no part in reading. Claims.Fresh holds the verdict at the moment
//     of verification and Claims.FreshUntil the time a numeric claim names.
//   - Every other claim, "sub" too when the identity claim is renamed, is an
//     application claim in Claims.Extra, which Refresh copies. Claim names
//     written with escapes are refused with ErrMalformed, as in
//     freshtoken's own format; PyJWT escapes names that are not ASCII.
//   - The checks run in Flask-JWT-Extended's order: the signature and the
//     claims' JSON types, then "iat" and "nbf" (ErrNotYetValid), the issuer
//     and audience, the identity claim (ErrInvalidClaims), then "exp"
//     (ErrExpired: Flask decodes an expired token again without "exp", so
//     an expired token without an identity is "Missing claim"), then the
//     lifetime caps, the type (ErrWrongType) and the freshness. So an
//     expired refresh token presented as an access token fails with
//     ErrExpired, where Flask answers "Token has expired".
//
// Config's other fields keep their meaning. Config.Leeway defaults to none,
// as JWT_DECODE_LEEWAY does, so both services accept and refuse a token at
// the same moment. Config.AccessTTL and RefreshTTL still cap the lifetime of
// the tokens read: set them to the longest expires_delta the Flask side
// issues. Flask-format tokens carry no "auth_time", so Claims.AuthTime stays
// empty and RequireLoginWithin refuses every token; use RequireFresh with a
// freshness window instead. Refresh and RotateRefresh work as in
// freshtoken's own format; inside the leeway after a refresh token's "exp",
// Refresh answers as Flask-JWT-Extended's refresh view does (see Refresh).
type FlaskOptions struct {
	// IdentityClaim is the claim that holds the subject, as
	// JWT_IDENTITY_CLAIM. Zero: "sub". It may not be one of the claims
	// listed above, and must be written with letters, digits and "_-.:/"
	// only.
	IdentityClaim string
}

// flaskProfile is a Manager's Flask-JWT-Extended configuration.
type flaskProfile struct {
	identity string
	freshFor time.Duration
	header   string // encoded once: it is the same for every token
}

// flaskClaims are the claims the profile interprets; the rest are the application's.
var flaskClaims = []string{"exp", "iat", "nbf", "jti", "sid", "type", "fresh", "csrf", "iss", "aud"}

func (m *Manager) setupFlask(cfg Config) error {
	id := cfg.Flask.IdentityClaim
	if id == "" {
		id = "sub"
	}
	for _, name := range flaskClaims {
		if id == name {
			return errorf(ErrInvalidConfig, fmt.Sprintf("FlaskOptions.IdentityClaim %q names a claim the profile already uses", id))
		}
	}
	if !plainName(id) {
		return errorf(ErrInvalidConfig, fmt.Sprintf("FlaskOptions.IdentityClaim %q has characters other than letters, digits and _-.:/", id))
	}
	// PyJWT writes the header with its members sorted.
	h := []byte(`{"alg":`)
	h = appendString(h, m.signing.alg)
	if cfg.KeyID != "" {
		h = append(h, `,"kid":`...)
		h = appendString(h, cfg.KeyID)
	}
	h = append(h, `,"typ":"JWT"}`...)
	m.flask = &flaskProfile{
		identity: id,
		freshFor: cfg.FreshFor,
		header:   base64.RawURLEncoding.EncodeToString(h),
	}
	m.freshFor = 0 // the window is written into the token instead
	if cfg.Leeway == 0 {
		m.leeway = 0
	}
	return nil
}

// plainName reports whether a claim name is written the same raw and as JSON.
func plainName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '_', c == '-', c == '.', c == ':', c == '/':
		default:
			return false
		}
	}
	return true
}

// proveFlask is prove for the Flask profile: what depends on the token
// alone (shape, header, signature and the claims' JSON types). Its result
// may be cached; judgeFlask runs on every use.
func (m *Manager) proveFlask(ctx context.Context, tok string) (*Claims, error) {
	if len(tok) > m.maxSize {
		return nil, errorf(ErrMalformed, "token larger than the configured maximum")
	}
	h64, p64, s64, err := splitCompact(tok)
	if err != nil {
		return nil, err
	}
	var hbuf [256]byte
	hdr, err := decodePart(hbuf[:0], h64)
	if err != nil {
		return nil, err
	}
	alg, kid, err := readFlaskHeader(hdr)
	if err != nil {
		return nil, err
	}
	var sbuf [512]byte
	sig, err := decodePart(sbuf[:0], s64)
	if err != nil {
		return nil, err
	}
	if err := m.verifyFlask(ctx, alg, kid, []byte(tok[:len(h64)+1+len(p64)]), sig); err != nil {
		return nil, err
	}
	var pbuf [512]byte
	payload, err := decodePart(pbuf[:0], p64)
	if err != nil {
		return nil, err
	}
	return m.decodeFlaskClaims(payload)
}

// judgeFlask applies the rules that read the clock and the configuration,
// in the order Flask-JWT-Extended applies them. PyJWT checks "iat", "nbf",
// "exp", "iss" and "aud" in that order; when "exp" has passed,
// Flask-JWT-Extended decodes the token again without it, so a wrong issuer
// or audience or a missing identity is reported before "expired". The
// token type is checked after all of these (see check), the freshness last.
func (m *Manager) judgeFlask(c *Claims) error {
	// PyJWT compares the times with the current whole second (it takes
	// timegm of utctimetuple(), which drops the fraction) and only then
	// adds or subtracts the leeway, which may have a fraction.
	sec := m.now().Truncate(time.Second)
	latest := sec.Add(m.leeway)
	switch {
	case c.IssuedAt.After(latest):
		return errorf(ErrNotYetValid, "iat is in the future")
	case c.NotBefore.After(latest):
		return errorf(ErrNotYetValid, "nbf is in the future")
	case m.issuer != "" && c.Issuer != m.issuer:
		return errorf(ErrInvalidClaims, "wrong issuer")
	case m.audience != "" && !contains(c.Audience, m.audience):
		return errorf(ErrInvalidClaims, "wrong audience")
	case c.Subject == "":
		return errorf(ErrInvalidClaims, "the identity claim "+m.flask.identity+" is missing")
	case !c.ExpiresAt.After(sec.Add(-m.leeway)):
		return errorf(ErrExpired, "expired at "+c.ExpiresAt.Format(time.RFC3339))
	}
	if err := m.checkLifetime(c); err != nil {
		return err
	}
	if c.freshTime {
		// Flask-JWT-Extended compares with datetime.timestamp(), which
		// divides whole microseconds by 10^6, as here.
		now := float64(m.now().UnixMicro()) / 1e6
		c.Fresh = !(c.freshUntil < now)
	}
	return nil
}

// readFlaskHeader checks the JOSE header PyJWT writes: "alg", "typ": "JWT"
// and an optional "kid", all plain strings, and nothing else.
func readFlaskHeader(hdr []byte) (alg, kid []byte, err error) {
	var o object[[]byte]
	if err := o.open(hdr); err != nil {
		return nil, nil, err
	}
	var typ []byte
	for {
		name, value, ok, err := o.next()
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			break
		}
		s, ok := rawString(value)
		if !ok {
			return nil, nil, errorf(ErrMalformed, "header parameter "+string(name)+" is not a plain string")
		}
		switch string(name) {
		case "alg":
			alg = s
		case "typ":
			typ = s
		case "kid":
			kid = s
		default:
			// As in freshtoken's own format: nothing in the header may
			// steer verification.
			return nil, nil, errorf(ErrMalformed, "unsupported header parameter "+string(name))
		}
	}
	if string(typ) != "JWT" {
		return nil, nil, errorf(ErrMalformed, `header typ is not "JWT"`)
	}
	if alg == nil {
		return nil, nil, errorf(ErrMalformed, "header has no alg")
	}
	return alg, kid, nil
}

// verifyFlask checks the signature with the key the kid names or, as
// Flask-JWT-Extended writes no kid, with each key configured for alg.
func (m *Manager) verifyFlask(ctx context.Context, alg, kid, input, sig []byte) error {
	if kid != nil {
		k, err := m.findKey(ctx, kid)
		if err != nil {
			return err
		}
		if k == nil {
			return errorf(ErrUnknownKey, "no key with that kid")
		}
		if k.alg != string(alg) {
			return errorf(ErrSignature, "header alg "+string(alg)+" is not the algorithm configured for its key")
		}
		if !k.verify(input, sig) {
			return errorf(ErrSignature, "signature does not verify")
		}
		return nil
	}
	tried := false
	for _, k := range m.keys {
		if k.alg != string(alg) {
			continue
		}
		if k.verify(input, sig) {
			return nil
		}
		tried = true
	}
	if !tried {
		return errorf(ErrSignature, "header alg "+string(alg)+" is not the algorithm of any configured key")
	}
	return errorf(ErrSignature, "signature does not verify")
}

// Bits for the claims decodeFlaskClaims has seen.
const (
	flaskHasExp = 1 << iota
	flaskHasIat
	flaskHasJti
)

// decodeFlaskClaims reads a Flask-JWT-Extended payload into Claims, checking
// each claim's JSON type. What a numeric "fresh" claim means depends on the
// clock: judgeFlask decides it.
func (m *Manager) decodeFlaskClaims(payload []byte) (*Claims, error) {
	var o object[string]
	if err := o.open(string(payload)); err != nil {
		return nil, err
	}
	c := &Claims{Type: AccessToken} // a missing "type" reads as access
	var seen int
	var fresh string
	for {
		name, value, ok, err := o.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if string(name) == m.flask.identity {
			var bad bool
			if c.Subject, bad = nonEmptyString(value); bad {
				return nil, errorf(ErrInvalidClaims, "identity claim "+m.flask.identity+" is not a non-empty string")
			}
			continue
		}
		bad := false
		switch string(name) {
		case "exp":
			c.ExpiresAt, bad = unixClaim(value)
			seen |= flaskHasExp
		case "iat":
			c.IssuedAt, bad = unixClaim(value)
			seen |= flaskHasIat
		case "nbf":
			c.NotBefore, bad = unixClaim(value)
		case "jti":
			// Flask-JWT-Extended accepts a token without one; freshtoken
			// revokes by it, so it must be there and not empty.
			c.ID, bad = nonEmptyString(value)
			seen |= flaskHasJti
		case "sid":
			// The session link freshtoken writes (see signFlask).
			c.SessionID, bad = nonEmptyString(value)
		case "iss":
			// Read as PyJWT reads it: compared, whatever its type, only
			// when an issuer is configured (see judgeFlask).
			c.Issuer, _ = jsonString(value)
		case "aud":
			// Likewise: a string or a list of strings matches; any other
			// value fails only when an audience is configured.
			if decodeAudience(c, value) {
				c.Audience = c.Audience[:0]
			}
		case "type":
			// Compared after decoding, as Python does: "\u0061ccess" is "access".
			switch t, _ := jsonString(value); t {
			case "access":
				c.Type = AccessToken
			case "refresh":
				c.Type = RefreshToken
			default:
				bad = true
			}
		case "fresh":
			fresh = value
		case "csrf":
			// Only a cookie request compares it (see checkCSRF), and then
			// a value that is not a non-empty string matches nothing.
			if s, ok := jsonString(value); ok {
				c.CSRF = s
			}
		default:
			if err := addExtra(c, name, value); err != nil {
				return nil, err
			}
		}
		if bad {
			return nil, errorf(ErrInvalidClaims, "claim "+string(name)+" has the wrong type or value")
		}
	}
	const required = flaskHasExp | flaskHasIat | flaskHasJti
	if seen&required != required {
		return nil, errorf(ErrInvalidClaims, "a required claim (exp, iat, jti) is missing")
	}
	if fresh != "" {
		if err := readFlaskFresh(c, fresh); err != nil {
			return nil, err
		}
	}
	if c.SessionID == "" {
		// A token Flask-JWT-Extended wrote names no session: it is its
		// own, so that revocation never sees an empty session ID.
		c.SessionID = c.ID
	}
	if len(c.Audience) == 0 {
		c.Audience = nil
	}
	return c, nil
}

// readFlaskFresh reads a "fresh" claim as Flask-JWT-Extended does: a
// boolean is the verdict; a number is a time, and judgeFlask compares it,
// as a float, with the current Unix time taken to the microsecond, fresh
// unless it is smaller. Refresh tokens are never fresh, whatever they say.
func readFlaskFresh(c *Claims, v string) error {
	if b, ok := jsonBool(v); ok {
		c.Fresh = b && c.Type == AccessToken
		return nil
	}
	if len(v) == 0 || (v[0] != '-' && (v[0] < '0' || v[0] > '9')) {
		return errorf(ErrInvalidClaims, "claim fresh is neither a boolean nor a number")
	}
	// The payload is valid JSON, so v is a JSON number, which ParseFloat
	// reads. A magnitude beyond float64 reads as an infinity, as in
	// Python: 1e400 is fresh for ever, -1e400 never.
	until, err := strconv.ParseFloat(v, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return errorf(ErrInvalidClaims, "claim fresh is not a number")
	}
	if c.Type != AccessToken {
		return nil
	}
	c.freshTime, c.freshUntil = true, until
	c.FreshUntil = floatTime(until)
	return nil
}

// floatTime converts Unix seconds to a time, to the microsecond. Values
// beyond ±2^40 seconds (35,000 years) are clamped to that.
func floatTime(s float64) time.Time {
	const limit = 1 << 40
	s = max(min(s, limit), -limit)
	return time.UnixMicro(int64(math.Round(s * 1e6))).UTC()
}

// signFlask is sign for the Flask profile. It writes the claims in the
// order Flask-JWT-Extended writes them.
func (m *Manager) signFlask(f *tokenFields) (string, error) {
	p := m.flask
	if err := p.checkExtra(f.extra); err != nil {
		return "", err
	}
	var ids [2]string // jti, csrf
	n := 1
	if f.csrf != "" {
		n = 2
	}
	if err := newUUIDs(ids[:n]); err != nil {
		return "", err
	}
	// The Flask format's IDs are UUIDs: they replace the ones given, so
	// that the caller (signPair) reports what the token carries.
	f.id, f.csrf = ids[0], ids[1]
	payload := make([]byte, 0, 320+len(f.extra))
	payload = append(payload, `{"fresh":`...)
	if f.typ == AccessToken && f.fresh && p.freshFor > 0 {
		// From the login instant, as fresh=timedelta counts from
		// datetime.now(), not from the whole second "iat" holds.
		payload = appendPythonFloat(payload, float64(f.login.Add(p.freshFor).UnixMicro())/1e6)
	} else {
		payload = strconv.AppendBool(payload, f.typ == AccessToken && f.fresh)
	}
	payload = append(payload, `,"iat":`...)
	payload = strconv.AppendInt(payload, f.issuedAt.Unix(), 10)
	payload = append(payload, `,"jti":"`...)
	payload = append(payload, ids[0]...)
	payload = append(payload, `","type":"`...)
	payload = append(payload, f.typ.String()...)
	payload = append(payload, `",`...)
	payload = appendString(payload, p.identity)
	payload = append(payload, ':')
	payload = appendString(payload, f.subject)
	payload = append(payload, `,"nbf":`...)
	payload = strconv.AppendInt(payload, f.issuedAt.Unix(), 10)
	if f.csrf != "" {
		payload = append(payload, `,"csrf":"`...)
		payload = append(payload, ids[1]...)
		payload = append(payload, '"')
	}
	if m.audience != "" {
		payload = append(payload, `,"aud":`...)
		payload = appendString(payload, m.audience)
	}
	if m.issuer != "" {
		payload = append(payload, `,"iss":`...)
		payload = appendString(payload, m.issuer)
	}
	payload = append(payload, `,"exp":`...)
	payload = strconv.AppendInt(payload, f.expiresAt.Unix(), 10)
	// The session link, which Flask-JWT-Extended ignores: it lets Logout
	// and rotation reach every token of the login, and LogoutEverywhere
	// tell a login just before it from one just after.
	payload = append(payload, `,"sid":"`...)
	payload = append(payload, f.sessionID...) // base64url: nothing to escape
	payload = append(payload, '"')
	if len(f.extra) > 0 {
		payload = append(payload, ',')
		payload = append(payload, f.extra[:len(f.extra)-1]...) // drop the last comma
	}
	payload = append(payload, '}')
	// With FreshFor, "fresh" is a time, longer than the refreshed "false".
	return m.seal(p.header, payload, f.fresh && p.freshFor == 0)
}

// checkExtra refuses application claims named like the identity claim,
// which WithClaims cannot know about. ("sub" is reserved there already.)
func (p *flaskProfile) checkExtra(extra []byte) error {
	if len(extra) == 0 || p.identity == "sub" {
		return nil
	}
	obj := make([]byte, 0, len(extra)+1)
	obj = append(obj, '{')
	obj = append(obj, extra[:len(extra)-1]...)
	obj = append(obj, '}')
	var o object[[]byte]
	if err := o.open(obj); err != nil {
		return errorf(ErrInvalidConfig, "application claims do not form a JSON object")
	}
	for {
		name, _, ok, err := o.next()
		if err != nil {
			return errorf(ErrInvalidConfig, "application claims: "+err.Error())
		}
		if !ok {
			return nil
		}
		if string(name) == p.identity {
			return errorf(ErrInvalidConfig, fmt.Sprintf("claim %q is the identity claim", p.identity))
		}
	}
}

// appendPythonFloat writes f as Python's json module does for the times a
// token carries: the shortest decimal that reads back as f, with ".0" when
// it is whole.
func appendPythonFloat(b []byte, f float64) []byte {
	start := len(b)
	b = strconv.AppendFloat(b, f, 'f', -1, 64)
	for _, c := range b[start:] {
		if c == '.' {
			return b
		}
	}
	return append(b, ".0"...)
}

// newUUIDs fills ids with random (version 4) UUIDs, the form
// Flask-JWT-Extended gives "jti" and "csrf".
func newUUIDs(ids []string) error {
	var raw [16]byte
	var text [36]byte
	for i := range ids {
		if _, err := rand.Read(raw[:]); err != nil {
			return fmt.Errorf("freshtoken: reading random bytes: %w", err)
		}
		raw[6] = raw[6]&0x0f | 0x40 // version 4
		raw[8] = raw[8]&0x3f | 0x80 // RFC 9562 variant
		hex.Encode(text[0:8], raw[0:4])
		text[8] = '-'
		hex.Encode(text[9:13], raw[4:6])
		text[13] = '-'
		hex.Encode(text[14:18], raw[6:8])
		text[18] = '-'
		hex.Encode(text[19:23], raw[8:10])
		text[23] = '-'
		hex.Encode(text[24:36], raw[10:16])
		ids[i] = string(text[:])
	}
	return nil
}

// requireFreshFlask is RequireFresh for the Flask profile: the token's
// "fresh" claim alone decides, as judged when it was decoded.
func (m *Manager) requireFreshFlask(ctx context.Context, token string) (*Claims, error) {
	c, err := m.verify(ctx, token, AccessToken)
	if err != nil {
		return nil, err
	}
	if c.Fresh {
		return c, nil
	}
	if c.FreshUntil.IsZero() {
		return nil, &FreshnessError{Refreshed: true}
	}
	// A freshness window is opened at login, so the token's iat is the
	// login time and the window its allowed age.
	return nil, &FreshnessError{MaxAge: max(c.FreshUntil.Sub(c.IssuedAt), 0), AuthTime: c.IssuedAt}
}
