package freshtoken

import (
	"encoding/base64"
	"fmt"
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
// set; "aud" a string for one audience and a list for several, as
// JWT_ENCODE_AUDIENCE writes what it is given), "exp", and the WithClaims
// claims. Refresh tokens carry "fresh": false.
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
//     checked against each configured key of that algorithm in turn, the
//     signing key first, then the others, the newest first (so a forged
//     token costs one check per such key);
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
//     Config.Audience are set, whatever their type, as PyJWT does. "aud"
//     must then be a string, or a list of strings, that shares a value with
//     Config.Audience, as with JWT_DECODE_AUDIENCE: a missing or empty one,
//     another type, and a list holding anything but strings (a null among
//     them) are refused. "csrf" is compared only on a token from a cookie
//     (a value that is not a string then matches nothing).
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

// flaskFormat is the Flask-JWT-Extended 4.x token format.
type flaskFormat struct {
	kid      string // Config.KeyID, written in every header when set
	s        claimSchema
	freshFor time.Duration // written into fresh tokens as their "fresh" time
}

// flaskClaims are the claims the format interprets; the rest are the
// application's. "sid" is freshtoken's session link.
const flaskClaims = hasExp | hasIat | hasNbf | hasJti | hasSid | hasType | hasFresh | hasCSRF | hasIss | hasAud

func newFlaskFormat(cfg *Config) (*flaskFormat, error) {
	id := cfg.Flask.IdentityClaim
	if id == "" {
		id = "sub"
	}
	if claimBit(id)&flaskClaims != 0 {
		return nil, withDetail(ErrInvalidConfig, fmt.Sprintf("FlaskOptions.IdentityClaim %q names a claim the profile already uses", id))
	}
	if !plainName(id) {
		return nil, withDetail(ErrInvalidConfig, fmt.Sprintf("FlaskOptions.IdentityClaim %q has characters other than letters, digits and _-.:/", id))
	}
	f := &flaskFormat{
		kid:      cfg.KeyID,
		freshFor: cfg.FreshFor,
		s: claimSchema{
			identity:     id,
			required:     hasExp | hasIat | hasJti, // the identity is checked with the rules, in Flask's order
			known:        flaskClaims,
			defaultType:  AccessToken, // Flask-JWT-Extended fills in type=access
			freshTimes:   true,
			loose:        true,
			decodeType:   true,
			wholeSeconds: true,
			freshInToken: true,
			// defaultLeeway: none, as JWT_DECODE_LEEWAY.
		},
	}
	return f, nil
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

func (f *flaskFormat) schema() *claimSchema { return &f.s }

// header is the same for both types: PyJWT's, its members sorted, with
// Config.KeyID as the kid when it is set.
func (f *flaskFormat) header(_ TokenType, sk *key) string {
	h := []byte(`{"alg":`)
	h = appendString(h, sk.alg)
	if f.kid != "" {
		h = append(h, `,"kid":`...)
		h = appendString(h, f.kid)
	}
	h = append(h, `,"typ":"JWT"}`...)
	return base64.RawURLEncoding.EncodeToString(h)
}

func (f *flaskFormat) fixedKeyID() string { return f.kid }

// headerType accepts the "typ" PyJWT writes; the type is in the claims, and
// a kid is optional (see keysFor).
func (*flaskFormat) headerType(typ []byte, _ bool) (TokenType, error) {
	if string(typ) != "JWT" {
		return 0, withDetail(ErrMalformed, `header typ is not "JWT"`)
	}
	return 0, nil
}

func (*flaskFormat) newID() (string, error) { return newUUID() }

// refreshID is a UUID, as for every Flask-JWT-Extended token; the session
// travels in "sid".
func (*flaskFormat) refreshID(string) (string, error) { return newUUID() }

// appendClaims writes the claims in the order Flask-JWT-Extended writes
// them, then freshtoken's session link, which Flask-JWT-Extended reads and
// ignores: it lets Logout and rotation reach every token of the login, and
// LogoutEverywhere tell a login just before it from one just after.
func (f *flaskFormat) appendClaims(b []byte, t *tokenFields) ([]byte, int) {
	fresh := t.typ == AccessToken && t.fresh
	growth := 0
	b = append(b, `{"fresh":`...)
	switch {
	case fresh && f.freshFor > 0:
		// From the login instant, as fresh=timedelta counts from
		// datetime.now(), not from the whole second "iat" holds.
		b = appendPythonFloat(b, float64(t.login.Add(f.freshFor).UnixMicro())/1e6)
	case fresh:
		b = strconv.AppendBool(b, true)
		growth = 2 // the refreshed twin's "false" is a byte longer: two base64url characters
	default:
		b = strconv.AppendBool(b, false)
	}
	b = appendUnix(b, `,"iat":`, t.issuedAt)
	b = append(b, ',')
	b = appendMember(b, "jti", t.id)
	b = append(b, ',')
	b = appendMember(b, "type", t.typ.String())
	b = append(b, ',')
	b = appendMember(b, f.s.identity, t.subject)
	b = appendUnix(b, `,"nbf":`, t.issuedAt)
	if t.csrf != "" {
		b = append(b, ',')
		b = appendMember(b, "csrf", t.csrf)
	}
	if len(t.audience) > 0 {
		b = append(b, ',')
		b = appendAudience(b, t.audience)
	}
	if t.issuer != "" {
		b = append(b, ',')
		b = appendMember(b, "iss", t.issuer)
	}
	b = appendUnix(b, `,"exp":`, t.expiresAt)
	b = append(b, ',')
	b = appendMember(b, "sid", t.sessionID)
	return appendExtra(b, t.extra), growth
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
