package freshtoken

import (
	"encoding/base64"
	"time"
)

// A tokenFormat is how tokens are written and read: freshtoken's own
// (ownFormat, below) or Flask-JWT-Extended's (flaskFormat, in flask.go).
// It is the one place that knows which format is in use: the pipeline in
// verify.go and the writer in sign.go ask it, and newFormat is the only
// place that chooses one.
type tokenFormat interface {
	// header is the encoded JOSE header of every token of type t that sk
	// signs. It is asked once per signing key (keyRing), not per token.
	header(t TokenType, sk *key) string

	// fixedKeyID is the kid every header carries whatever key signs, or ""
	// when the header names the signing key, or no key. RotateKey cannot
	// change the key under a fixed kid.
	fixedKeyID() string

	// headerType checks a header's "typ" and whether it names a key, and
	// returns the token type the header declares, or 0 when the format
	// types its tokens by the "type" claim alone.
	headerType(typ []byte, hasKid bool) (TokenType, error)

	// schema says which claims the format carries and how they are read
	// and judged (see claimSchema).
	schema() *claimSchema

	// appendClaims writes f as the format's JSON claims object. growth
	// is how many bytes the token may grow when refreshed (see fits).
	appendClaims(b []byte, f *tokenFields) (out []byte, growth int)

	// newID returns a new random token ID ("jti") or CSRF value, in the
	// format's form.
	newID() (string, error)

	// refreshID returns the ID of a login's refresh token, whose session
	// is named sessionID.
	refreshID(sessionID string) (string, error)
}

// claimSchema is what a format's claims mean, as data that the one claims
// reader (claims.go) and the one set of rules (verify.go) follow.
type claimSchema struct {
	// identity is the claim that holds the subject: "sub", or under Flask
	// JWT_IDENTITY_CLAIM.
	identity string
	// required are the claims every token carries (has* bits, claims.go).
	required int
	// known are the claims the format interprets, besides the identity;
	// every other one is an application claim. A known claim outside
	// required may be absent.
	known int
	// forbidden are names that may not appear in the claims at all.
	forbidden []string

	// defaultType is the type of a token without a "type" claim; zero
	// when the claim is required.
	defaultType TokenType
	// freshTimes lets "fresh" be a number: the Unix time until which the
	// token is fresh (Flask's fresh=timedelta). Otherwise it is a boolean,
	// required on access tokens and absent from refresh tokens.
	freshTimes bool
	// loose reads "iss", "aud" and "csrf" as PyJWT and Flask-JWT-Extended
	// do: compared only when configured (a cookie request, for "csrf"), so
	// a value of another type is ignored rather than refused.
	loose bool
	// decodeType compares "type" after decoding JSON escapes, as Python
	// does; otherwise it must be written plainly.
	decodeType bool

	// namesKey: every token names its key with "kid", so keys can come
	// from a JWK Set.
	namesKey bool
	// typedByHeader: the header declares the type, and the token type is
	// checked before the rules that read the clock; otherwise after them.
	typedByHeader bool
	// wholeSeconds: the clock is cut to the whole second before the times
	// are compared, as PyJWT does (timegm of utctimetuple()).
	wholeSeconds bool
	// defaultLeeway is the leeway when Config.Leeway is zero.
	defaultLeeway time.Duration
	// freshInToken: Config.FreshFor is written into each fresh token
	// ("fresh" as a time) instead of being judged when the token is read.
	freshInToken bool
}

// newFormat returns the format cfg asks for. It is the one place that asks
// which format is in use.
func newFormat(cfg *Config) (tokenFormat, error) {
	if cfg.Flask != nil {
		return newFlaskFormat(cfg)
	}
	return &ownFormat{}, nil
}

// ownFormat is freshtoken's own token format: explicitly typed headers
// ("at+jwt", RFC 9068, and "refresh+jwt") naming their key, and claims that
// carry the session ("sid") and the login time ("auth_time").
type ownFormat struct{}

var ownSchema = claimSchema{
	identity:      "sub",
	required:      hasExp | hasIat | hasSub | hasJti | hasType | hasAuthTime | hasSid,
	known:         hasExp | hasIat | hasNbf | hasJti | hasType | hasAuthTime | hasSid | hasIss | hasAud | hasFresh | hasCSRF,
	forbidden:     []string{"typ", "alg", "kid"}, // header names, never in freshtoken's payloads
	namesKey:      true,
	typedByHeader: true,
	defaultLeeway: DefaultLeeway,
}

func (*ownFormat) schema() *claimSchema { return &ownSchema }

func (*ownFormat) header(t TokenType, sk *key) string {
	typ := "refresh+jwt"
	if t == AccessToken {
		typ = "at+jwt"
	}
	h := []byte(`{"alg":`)
	h = appendString(h, sk.alg)
	h = append(h, `,"typ":`...)
	h = appendString(h, typ)
	h = append(h, `,"kid":`...)
	h = appendString(h, sk.id)
	h = append(h, '}')
	return base64.RawURLEncoding.EncodeToString(h)
}

func (*ownFormat) fixedKeyID() string { return "" }

func (*ownFormat) headerType(typ []byte, hasKid bool) (TokenType, error) {
	var t TokenType
	switch string(typ) {
	case "at+jwt":
		t = AccessToken
	case "refresh+jwt":
		t = RefreshToken
	case "":
		return 0, withDetail(ErrMalformed, "header has no typ")
	default:
		return 0, withDetail(ErrMalformed, "header typ is not a freshtoken type")
	}
	if !hasKid {
		return 0, withDetail(ErrMalformed, "header has no kid")
	}
	return t, nil
}

func (*ownFormat) newID() (string, error) { return newRandomID() }

// refreshID: the login's refresh token is named by its session, so the
// session ID is the refresh token's jti.
func (*ownFormat) refreshID(sessionID string) (string, error) { return sessionID, nil }

// appendClaims writes the claims in a fixed order, so tokens are
// reproducible byte for byte.
func (*ownFormat) appendClaims(b []byte, f *tokenFields) ([]byte, int) {
	b = append(b, '{')
	if f.issuer != "" {
		b = appendMember(b, "iss", f.issuer)
		b = append(b, ',')
	}
	b = appendMember(b, "sub", f.subject)
	if len(f.audience) > 0 {
		b = append(b, ',')
		b = appendAudience(b, f.audience)
	}
	b = appendUnix(b, ",\"exp\":", f.expiresAt)
	b = appendUnix(b, ",\"iat\":", f.issuedAt)
	b = append(b, ',')
	b = appendMember(b, "jti", f.id)
	b = append(b, ',')
	b = appendMember(b, "sid", f.sessionID)
	b = appendUnix(b, ",\"auth_time\":", f.authTime)
	b = append(b, ',')
	b = appendMember(b, "type", f.typ.String())
	growth := 0
	if f.typ == AccessToken {
		b = appendBool(b, ",\"fresh\":", f.fresh)
		if f.fresh {
			growth = 2 // the refreshed twin's "false" is a byte longer: two base64url characters
		}
	}
	if f.csrf != "" {
		b = append(b, ',')
		b = appendMember(b, "csrf", f.csrf)
	}
	return appendExtra(b, f.extra), growth
}
