package freshtoken

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"time"
	"unicode/utf8"
)

// This file turns untrusted bytes into a header and claims. It accepts only
// what freshtoken writes: the JWS compact serialization (RFC 7515 §7.1) with
// strict base64url, and JSON objects without duplicate or escaped member
// names, in valid UTF-8. Every loop is bounded by the input, which the guard has capped.

// maxMembers bounds the number of members in a header or claims object.
const maxMembers = 64

// parse checks everything a token proves by itself, cheapest first and the
// signature before anything in the payload is believed: size, shape, header,
// key and algorithm, signature, claims and their JSON types. The header's
// "typ" and the "type" claim must agree.
func (m *Manager) parse(tok string) (*Claims, error) {
	if m.flask != nil {
		return m.parseFlask(tok)
	}
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
	typ, k, err := m.readHeader(hdr)
	if err != nil {
		return nil, err
	}
	var sbuf [512]byte
	sig, err := decodePart(sbuf[:0], s64)
	if err != nil {
		return nil, err
	}
	if !k.verify([]byte(tok[:len(h64)+1+len(p64)]), sig) {
		return nil, errorf(ErrSignature, "signature does not verify")
	}
	var pbuf [512]byte
	payload, err := decodePart(pbuf[:0], p64)
	if err != nil {
		return nil, err
	}
	c, err := decodeClaims(payload)
	if err != nil {
		return nil, err
	}
	if c.Type != typ {
		return nil, errorf(ErrInvalidClaims, "the type claim disagrees with the header typ")
	}
	return c, nil
}

// splitCompact checks the shape of a compact token and returns its three
// parts. It runs before anything is decoded.
func splitCompact(tok string) (header, payload, sig string, err error) {
	dot1, dot2 := -1, -1
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		case c == '.':
			switch {
			case dot1 < 0:
				dot1 = i
			case dot2 < 0:
				dot2 = i
			default:
				return "", "", "", errorf(ErrMalformed, "more than three parts")
			}
		default:
			return "", "", "", errorf(ErrMalformed, "character outside the base64url alphabet")
		}
	}
	if dot2 < 0 {
		return "", "", "", errorf(ErrMalformed, "not three dot-separated parts")
	}
	header, payload, sig = tok[:dot1], tok[dot1+1:dot2], tok[dot2+1:]
	if header == "" || payload == "" || sig == "" {
		return "", "", "", errorf(ErrMalformed, "empty part")
	}
	return header, payload, sig, nil
}

// strictB64 rejects non-zero trailing bits, so every token has exactly one encoding.
var strictB64 = base64.RawURLEncoding.Strict()

// decodePart decodes one base64url part into dst's spare room (or a new
// buffer when it lacks room).
func decodePart(dst []byte, part string) ([]byte, error) {
	n := strictB64.DecodedLen(len(part))
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	dst = dst[:n]
	n, err := strictB64.Decode(dst, []byte(part))
	if err != nil {
		return nil, errorf(ErrMalformed, "invalid base64url")
	}
	return dst[:n], nil
}

// object walks the members of a JSON object. It rejects anything that is not
// a single valid object, a member name written with escapes (which could hide
// "type" as "\u0074ype" from a check on raw bytes), and a repeated name
// (which parsers disagree on). Names and values are raw bytes of the input;
// values are undecoded JSON.
type object struct {
	b    []byte
	i    int
	n    int
	seen [maxMembers][]byte
}

// open checks that b is one valid JSON object and positions o before its first member.
func (o *object) open(b []byte) error {
	if !json.Valid(b) {
		return errorf(ErrMalformed, "invalid JSON")
	}
	if !utf8.Valid(b) {
		// json.Valid lets invalid UTF-8 through inside strings; decoders
		// then disagree (encoding/json turns each bad byte into U+FFFD),
		// so two different subjects could read as one.
		return errorf(ErrMalformed, "invalid UTF-8")
	}
	i := skipSpace(b, 0)
	if b[i] != '{' {
		return errorf(ErrMalformed, "not a JSON object")
	}
	o.b, o.i, o.n = b, skipSpace(b, i+1), 0
	return nil
}

// next returns the next member; ok is false after the last one.
func (o *object) next() (name, value []byte, ok bool, err error) {
	b, i := o.b, o.i
	if b[i] == '}' {
		return nil, nil, false, nil
	}
	if b[i] == ',' {
		i = skipSpace(b, i+1)
	}
	// json.Valid has accepted b, so a name string starts at i.
	end := stringEnd(b, i)
	name = b[i+1 : end-1]
	if bytes.IndexByte(name, '\\') >= 0 {
		return nil, nil, false, errorf(ErrMalformed, "escaped member name")
	}
	for _, s := range o.seen[:o.n] {
		if bytes.Equal(s, name) {
			return nil, nil, false, errorf(ErrMalformed, "duplicate member "+string(name))
		}
	}
	if o.n == maxMembers {
		return nil, nil, false, errorf(ErrMalformed, "too many members")
	}
	o.seen[o.n] = name
	o.n++
	i = skipSpace(b, end)
	i = skipSpace(b, i+1) // past the colon
	vend := valueEnd(b, i)
	o.i = skipSpace(b, vend)
	return name, b[i:vend], true, nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string that starts at b[i].
func stringEnd(b []byte, i int) int {
	for i++; ; i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
}

// valueEnd returns the index just past the JSON value that starts at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
	default: // number, true, false, null
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
			i++
		}
		return i
	}
}

// jsonString decodes a JSON string value; ok is false for any other kind of value.
func jsonString(v []byte) (s string, ok bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), true
	}
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false
	}
	return s, true
}

// jsonInt decodes a JSON integer written without fraction or exponent, within
// ±10^15 (far beyond any time a token can carry).
func jsonInt(v []byte) (n int64, ok bool) {
	neg := len(v) > 0 && v[0] == '-'
	if neg {
		v = v[1:]
	}
	if len(v) == 0 || len(v) > 15 {
		return 0, false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// jsonBool decodes a JSON boolean.
func jsonBool(v []byte) (b, ok bool) {
	switch string(v) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// readHeader checks the JOSE header: only "alg", "typ" and "kid", all
// strings, naming a known key and exactly the algorithm configured for it.
func (m *Manager) readHeader(hdr []byte) (TokenType, *key, error) {
	var o object
	if err := o.open(hdr); err != nil {
		return 0, nil, err
	}
	var alg, typ, kid []byte
	for {
		name, value, ok, err := o.next()
		if err != nil {
			return 0, nil, err
		}
		if !ok {
			break
		}
		s, ok := rawString(value)
		if !ok {
			return 0, nil, errorf(ErrMalformed, "header parameter "+string(name)+" is not a plain string")
		}
		switch string(name) {
		case "alg":
			alg = s
		case "typ":
			typ = s
		case "kid":
			kid = s
		default:
			// crit, b64, jku, jwk, x5u, x5c, cty, ...: freshtoken never writes
			// them, and honouring any of them would let the token steer its
			// own verification.
			return 0, nil, errorf(ErrMalformed, "unsupported header parameter "+string(name))
		}
	}
	var tt TokenType
	switch string(typ) {
	case "at+jwt":
		tt = AccessToken
	case "refresh+jwt":
		tt = RefreshToken
	case "":
		return 0, nil, errorf(ErrMalformed, "header has no typ")
	default:
		return 0, nil, errorf(ErrMalformed, "header typ is not a freshtoken type")
	}
	if alg == nil {
		return 0, nil, errorf(ErrMalformed, "header has no alg")
	}
	if kid == nil {
		return 0, nil, errorf(ErrMalformed, "header has no kid")
	}
	k := m.findKey(kid)
	if k == nil {
		return 0, nil, errorf(ErrUnknownKey, "no key with that kid")
	}
	if k.alg != string(alg) {
		return 0, nil, errorf(ErrSignature, "header alg "+string(alg)+" is not the algorithm configured for its key")
	}
	return tt, k, nil
}

// findKey returns the configured key with the given ID, or nil. A Manager
// from NewVerifier then looks in its remote JWK Set.
func (m *Manager) findKey(kid []byte) *key {
	for _, k := range m.keys {
		if k.id == string(kid) {
			return k
		}
	}
	if m.remote != nil {
		return m.remote.find(kid, m.now)
	}
	return nil
}

// rawString returns the contents of a JSON string written without escapes.
func rawString(v []byte) ([]byte, bool) {
	if len(v) < 2 || v[0] != '"' {
		return nil, false
	}
	inner := v[1 : len(v)-1]
	for _, c := range inner {
		if c == '\\' {
			return nil, false
		}
	}
	return inner, true
}

// Bits for the claims decodeClaims has seen.
const (
	hasExp = 1 << iota
	hasIat
	hasSub
	hasJti
	hasType
	hasAuthTime
	hasFresh
	hasSid
)

// decodeClaims reads the payload into Claims, checking each claim's JSON
// type. The rules that depend on configuration or time are in validate.
func decodeClaims(payload []byte) (*Claims, error) {
	var o object
	if err := o.open(payload); err != nil {
		return nil, err
	}
	c := &Claims{}
	var seen int
	for {
		name, value, ok, err := o.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		bad := false
		switch string(name) {
		case "exp":
			c.ExpiresAt, bad = unixClaim(value)
			seen |= hasExp
		case "iat":
			c.IssuedAt, bad = unixClaim(value)
			seen |= hasIat
		case "nbf":
			c.NotBefore, bad = unixClaim(value)
		case "auth_time":
			c.AuthTime, bad = unixClaim(value)
			seen |= hasAuthTime
		case "sub":
			c.Subject, bad = nonEmptyString(value)
			seen |= hasSub
		case "jti":
			c.ID, bad = nonEmptyString(value)
			seen |= hasJti
		case "sid":
			c.SessionID, bad = nonEmptyString(value)
			seen |= hasSid
		case "iss":
			c.Issuer, bad = nonEmptyString(value)
		case "aud":
			bad = decodeAudience(c, value)
		case "type":
			switch string(value) {
			case `"access"`:
				c.Type = AccessToken
			case `"refresh"`:
				c.Type = RefreshToken
			default:
				bad = true
			}
			seen |= hasType
		case "fresh":
			var ok bool
			c.Fresh, ok = jsonBool(value)
			bad = !ok
			seen |= hasFresh
		case "csrf":
			c.CSRF, bad = nonEmptyString(value)
		case "typ", "alg", "kid":
			// Reserved names that never appear in freshtoken's payloads.
			bad = true
		default:
			if err := addExtra(c, name, value); err != nil {
				return nil, err
			}
		}
		if bad {
			return nil, errorf(ErrInvalidClaims, "claim "+string(name)+" has the wrong type or value")
		}
	}
	const required = hasExp | hasIat | hasSub | hasJti | hasType | hasAuthTime | hasSid
	if seen&required != required {
		return nil, errorf(ErrInvalidClaims, "a required claim (exp, iat, sub, jti, sid, auth_time, type) is missing")
	}
	if c.Type == RefreshToken && seen&hasFresh != 0 {
		return nil, errorf(ErrInvalidClaims, "a refresh token has no fresh claim")
	}
	if c.Type == AccessToken && seen&hasFresh == 0 {
		return nil, errorf(ErrInvalidClaims, "an access token must say whether it is fresh")
	}
	return c, nil
}

// addExtra decodes one application claim into c.Extra and keeps its bytes
// in c.rawExtra, for Refresh to copy.
func addExtra(c *Claims, name, value []byte) error {
	var v any
	if err := json.Unmarshal(value, &v); err != nil {
		return errorf(ErrMalformed, "claim "+string(name)+" does not decode")
	}
	if c.Extra == nil {
		c.Extra = make(map[string]any)
	}
	c.Extra[string(name)] = v
	c.rawExtra = append(c.rawExtra, '"')
	c.rawExtra = append(c.rawExtra, name...)
	c.rawExtra = append(c.rawExtra, '"', ':')
	c.rawExtra = append(c.rawExtra, value...)
	c.rawExtra = append(c.rawExtra, ',')
	return nil
}

func unixClaim(v []byte) (time.Time, bool) {
	n, ok := jsonInt(v)
	if !ok || n < 0 {
		return time.Time{}, true
	}
	return time.Unix(n, 0).UTC(), false
}

func nonEmptyString(v []byte) (string, bool) {
	s, ok := jsonString(v)
	return s, !ok || s == ""
}

func decodeAudience(c *Claims, v []byte) (bad bool) {
	if s, ok := jsonString(v); ok {
		c.Audience = []string{s}
		return false
	}
	if err := json.Unmarshal(v, &c.Audience); err != nil || len(c.Audience) == 0 {
		return true
	}
	return false
}
