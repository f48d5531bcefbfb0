package freshtoken

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// This file turns untrusted bytes into a header and claims. It accepts only
// what freshtoken writes: the JWS compact serialization (RFC 7515 §7.1) with
// strict base64url, and JSON objects without duplicate or escaped member
// names, in valid UTF-8. Every loop is bounded by the input, which the
// guard has capped.

// maxMembers bounds the number of members in a header or claims object.
const maxMembers = 64

// parse checks everything a token proves by itself, cheapest first and the
// signature before anything in the payload is believed: size, shape, header,
// key and algorithm, signature, claims and their JSON types. The header's
// "typ" and the "type" claim must agree.
func (m *Manager) parse(ctx context.Context, tok string) (*Claims, error) {
	c, _, err := m.prove(ctx, tok)
	return c, err
}

// parseOwn is parse for freshtoken's own format. It also returns the key
// that verified the token.
func (m *Manager) parseOwn(ctx context.Context, tok string) (*Claims, *key, error) {
	if len(tok) > m.maxSize {
		return nil, nil, errorf(ErrMalformed, "token larger than the configured maximum")
	}
	h64, p64, s64, err := splitCompact(tok)
	if err != nil {
		return nil, nil, err
	}
	typ, k, err := m.header(ctx, h64)
	if err != nil {
		return nil, nil, err
	}
	n := len(h64) + 1 + len(p64)
	bp := getInput(n + strictB64.DecodedLen(len(s64)))
	defer putInput(bp)
	input := append((*bp)[:0], tok[:n]...)
	sig, err := decodePart(input[n:], s64)
	if err != nil {
		return nil, nil, err
	}
	if !k.verify(input[:n:n], sig) {
		return nil, nil, errorf(ErrSignature, "signature does not verify")
	}
	var pbuf [512]byte
	payload, err := decodePart(pbuf[:0], p64)
	if err != nil {
		return nil, nil, err
	}
	c, err := decodeClaims(payload)
	if err != nil {
		return nil, nil, err
	}
	if c.Type != typ {
		return nil, nil, errorf(ErrInvalidClaims, "the type claim disagrees with the header typ")
	}
	return c, k, nil
}

// The verifier is reached through an interface, so the signing input and
// signature it is given would be moved to the heap on every call; parseOwn
// borrows them from inputPool instead, and so does sign for the token it
// hands the signer. Verifiers and signers do not keep their input past
// their return (jws.Verifier and jws.Signer only read it), and the buffer
// goes back to the pool only then.
var inputPool = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledInput bounds the buffers kept in inputPool, so that one large
// token (Config.MaxTokenSize may be raised) does not pin its buffer.
const maxPooledInput = 16 << 10

// getInput returns a pooled buffer with room for size bytes.
func getInput(size int) *[]byte {
	bp := inputPool.Get().(*[]byte)
	if cap(*bp) < size {
		*bp = make([]byte, 0, max(size, 1024))
	}
	return bp
}

func putInput(bp *[]byte) {
	if cap(*bp) <= maxPooledInput {
		inputPool.Put(bp)
	}
}

// header returns the token type and key an encoded JOSE header names.
func (m *Manager) header(ctx context.Context, h64 string) (TokenType, *key, error) {
	for _, h := range m.knownHeaders {
		if h.encoded == h64 {
			return h.typ, h.key, nil
		}
	}
	var hbuf [256]byte
	hdr, err := decodePart(hbuf[:0], h64)
	if err != nil {
		return 0, nil, err
	}
	return m.readHeader(ctx, hdr)
}

// knownHeader is an encoded header exactly as this Manager writes it. Such
// a header needs no decoding: learnHeaders ran it through readHeader, which
// gives the same answer for the same bytes.
type knownHeader struct {
	encoded string
	typ     TokenType
	key     *key
}

// learnHeaders records the headers of the tokens the Manager signs.
func (m *Manager) learnHeaders() {
	for _, h := range []knownHeader{
		{m.accessHeader, AccessToken, &m.signing.key},
		{m.refreshHeader, RefreshToken, &m.signing.key},
	} {
		hdr, err := decodePart(nil, h.encoded)
		if err != nil {
			continue
		}
		// Only a header readHeader accepts becomes a shortcut, so the
		// shortcut never changes an answer.
		if typ, k, err := m.readHeader(context.Background(), hdr); err == nil && typ == h.typ && k == h.key {
			m.knownHeaders = append(m.knownHeaders, h)
		}
	}
}

// base64url is 1 for the bytes of the base64url alphabet (RFC 4648 §5). The
// check matters beyond the error message: the decoder skips CR and LF, which
// would give one token many spellings.
var base64url = func() (t [256]byte) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") {
		t[c] = 1
	}
	return t
}()

// splitCompact checks the shape of a compact token and returns its three
// parts. It runs before anything is decoded.
func splitCompact(tok string) (header, payload, sig string, err error) {
	dot1, dot2 := -1, -1
	for i := 0; ; i++ {
		// Skip to the next byte outside the alphabet, eight at a time.
		for i+8 <= len(tok) && base64url[tok[i]]&base64url[tok[i+1]]&base64url[tok[i+2]]&base64url[tok[i+3]]&
			base64url[tok[i+4]]&base64url[tok[i+5]]&base64url[tok[i+6]]&base64url[tok[i+7]] == 1 {
			i += 8
		}
		for i < len(tok) && base64url[tok[i]] == 1 {
			i++
		}
		if i == len(tok) {
			break
		}
		if tok[i] != '.' {
			return "", "", "", errorf(ErrMalformed, "character outside the base64url alphabet")
		}
		switch {
		case dot1 < 0:
			dot1 = i
		case dot2 < 0:
			dot2 = i
		default:
			return "", "", "", errorf(ErrMalformed, "more than three parts")
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
// (which parsers disagree on). Names and values are slices of the input, so
// walking a string hands out strings that share its memory; values are
// undecoded JSON.
type object[T text] struct {
	b       T
	members [maxMembers + 1]member // as found by open, one past the limit
	count   int                    // members in b, which may be more than recorded
	n       int                    // members handed out by next
}

// open checks that b is one valid JSON object and finds its members.
func (o *object[T]) open(b T) error {
	count, ok := scanObject(b, o.members[:])
	if !ok {
		return errorf(ErrMalformed, "not a valid JSON object")
	}
	o.b, o.count, o.n = b, count, 0
	return nil
}

// next returns the next member; ok is false after the last one.
func (o *object[T]) next() (name, value T, ok bool, err error) {
	var zero T
	if o.n == o.count {
		return zero, zero, false, nil
	}
	m := o.members[o.n]
	name = o.b[m.name0:m.name1]
	if strings.IndexByte(string(name), '\\') >= 0 {
		return zero, zero, false, errorf(ErrMalformed, "escaped member name")
	}
	for _, p := range o.members[:o.n] {
		if string(o.b[p.name0:p.name1]) == string(name) {
			return zero, zero, false, errorf(ErrMalformed, "duplicate member "+string(name))
		}
	}
	if o.n == maxMembers {
		return zero, zero, false, errorf(ErrMalformed, "too many members")
	}
	o.n++
	return name, o.b[m.value0:m.value1], true, nil
}

// jsonString decodes a JSON string value; ok is false for any other kind of value.
func jsonString(v string) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	inner := v[1 : len(v)-1]
	if strings.IndexByte(inner, '\\') < 0 {
		return inner, true
	}
	return unescapeString(v)
}

// unescapeString is jsonString's slow path, kept apart so that the common
// case does not put a string on the heap for json.Unmarshal to fill.
func unescapeString(v string) (s string, ok bool) {
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		return "", false
	}
	return s, true
}

// jsonInt decodes a JSON integer written without fraction or exponent, within
// ±10^15 (far beyond any time a token can carry).
func jsonInt(v string) (n int64, ok bool) {
	neg := len(v) > 0 && v[0] == '-'
	if neg {
		v = v[1:]
	}
	if len(v) == 0 || len(v) > 15 {
		return 0, false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
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
func jsonBool(v string) (b, ok bool) {
	switch v {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// readHeader checks the JOSE header: only "alg", "typ" and "kid", all
// strings, naming a known key and exactly the algorithm configured for it.
func (m *Manager) readHeader(ctx context.Context, hdr []byte) (TokenType, *key, error) {
	var o object[[]byte]
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
	k, err := m.findKey(ctx, kid)
	if err != nil {
		return 0, nil, err
	}
	if k == nil {
		return 0, nil, errorf(ErrUnknownKey, "no key with that kid")
	}
	if k.alg != string(alg) {
		return 0, nil, errorf(ErrSignature, "header alg "+string(alg)+" is not the algorithm configured for its key")
	}
	return tt, k, nil
}

// findKey returns the configured key with the given ID, or nil. A Manager
// from NewVerifier then looks in its remote JWK Set, which may fetch the
// set again: waiting for that ends with ctx, and the error then wraps
// ErrUnknownKey and ctx.Err().
func (m *Manager) findKey(ctx context.Context, kid []byte) (*key, error) {
	for _, k := range m.keys {
		if k.id == string(kid) {
			return k, nil
		}
	}
	if m.remote != nil {
		return m.remote.lookup(ctx, kid, m.now)
	}
	return nil, nil
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
	var o object[string]
	if err := o.open(string(payload)); err != nil {
		return nil, err
	}
	// One allocation holds the claims and room for the usual single audience.
	cb := new(struct {
		Claims
		aud [1]string
	})
	c := &cb.Claims
	c.Audience = cb.aud[:0]
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
	if len(c.Audience) == 0 {
		c.Audience = nil // no "aud" claim
	}
	return c, nil
}

// addExtra decodes one application claim into c.Extra and keeps its bytes
// in c.rawExtra, for Refresh to copy.
func addExtra(c *Claims, name, value string) error {
	v, ok := jsonScalar(value)
	if !ok {
		var err error
		if v, err = unmarshalAny(value); err != nil {
			return errorf(ErrMalformed, "claim "+string(name)+" does not decode")
		}
	}
	if c.Extra == nil {
		c.Extra = make(map[string]any)
	}
	c.Extra[name] = v
	c.rawExtra = slices.Grow(c.rawExtra, len(name)+len(value)+4)
	c.rawExtra = append(c.rawExtra, '"')
	c.rawExtra = append(c.rawExtra, name...)
	c.rawExtra = append(c.rawExtra, '"', ':')
	c.rawExtra = append(c.rawExtra, value...)
	c.rawExtra = append(c.rawExtra, ',')
	return nil
}

// unmarshalAny is json.Unmarshal into an interface, apart from addExtra so
// that the common path does not move addExtra's value to the heap. A value
// holding a number beyond float64's range, which json.Unmarshal refuses
// but other JSON writers (Python's among them) produce, is decoded with
// json.Number for its numbers instead.
func unmarshalAny(v string) (x any, err error) {
	if err = json.Unmarshal([]byte(v), &x); err == nil {
		return x, nil
	}
	d := json.NewDecoder(strings.NewReader(v))
	d.UseNumber()
	x = nil
	err = d.Decode(&x)
	return x, err
}

// jsonScalar decodes a string, number, boolean or null to the value
// json.Unmarshal would store in an interface, without its reflection; a
// number beyond float64's range, which json.Unmarshal refuses, becomes a
// json.Number. It leaves objects, arrays, escaped strings and strings that
// are not valid UTF-8 (json.Unmarshal replaces their bytes) to
// json.Unmarshal: ok is false.
func jsonScalar(v string) (any, bool) {
	switch v[0] {
	case '"':
		s := v[1 : len(v)-1]
		if strings.IndexByte(s, '\\') >= 0 || !utf8.ValidString(s) {
			return nil, false
		}
		return s, true
	case 't':
		return true, true
	case 'f':
		return false, true
	case 'n':
		return nil, true
	case '{', '[':
		return nil, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return json.Number(v), true
		}
		return nil, false
	}
	return f, true
}

func unixClaim(v string) (time.Time, bool) {
	n, ok := jsonInt(v)
	if !ok || n < 0 {
		return time.Time{}, true
	}
	return time.Unix(n, 0).UTC(), false
}

func nonEmptyString(v string) (string, bool) {
	s, ok := jsonString(v)
	return s, !ok || s == ""
}

func decodeAudience(c *Claims, v string) (bad bool) {
	if s, ok := jsonString(v); ok {
		c.Audience = append(c.Audience[:0], s)
		return false
	}
	if err := json.Unmarshal([]byte(v), &c.Audience); err != nil || len(c.Audience) == 0 {
		return true
	}
	return false
}
