package freshtoken

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file reads a payload into Claims, in either format: the format's
// claimSchema says which claims it interprets and how. It checks each
// claim's JSON type; the rules that depend on the configuration or the
// clock are in verify.go.

// Bits for the claims a schema knows and a token carries.
const (
	hasExp = 1 << iota
	hasIat
	hasNbf
	hasSub // the identity claim, whatever its name
	hasJti
	hasSid
	hasType
	hasAuthTime
	hasFresh
	hasIss
	hasAud
	hasCSRF
)

// claimNames are the registered claims a schema may interpret, by bit.
var claimNames = []struct {
	bit  int
	name string
}{
	{hasExp, "exp"}, {hasIat, "iat"}, {hasNbf, "nbf"}, {hasJti, "jti"}, {hasSid, "sid"}, {hasType, "type"},
	{hasAuthTime, "auth_time"}, {hasFresh, "fresh"}, {hasIss, "iss"}, {hasAud, "aud"}, {hasCSRF, "csrf"},
}

// claimBit returns the bit of a registered claim, or 0.
func claimBit(name string) int {
	for _, c := range claimNames {
		if c.name == name {
			return c.bit
		}
	}
	return 0
}

// decodeClaims reads payload, a JSON object, as s says.
func decodeClaims(payload []byte, s *claimSchema) (*Claims, error) {
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
	c.Type = s.defaultType
	r := claimReader{c: c, s: s}
	for {
		name, value, ok, err := o.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if err := r.read(name, value, o.members[o.n-1]); err != nil {
			return nil, err
		}
	}
	if err := r.finish(); err != nil {
		return nil, err
	}
	c.rawExtra = r.rawExtra(o.b, o.members[:o.n])
	return c, nil
}

// claimReader is one payload being read.
type claimReader struct {
	c     *Claims
	s     *claimSchema
	seen  int
	fresh string // the "fresh" value, read once "type" is known

	// The application claims' span in the payload, which rawExtra can
	// share while no other claim interrupts it.
	extra0, extra1 int32
	gap, split     bool
}

// read takes one member of the payload, found at m.
func (r *claimReader) read(name, value string, m member) error {
	c, s := r.c, r.s
	if name == s.identity {
		r.gap = r.extra1 > 0
		r.seen |= hasSub
		var bad bool
		if c.Subject, bad = nonEmptyString(value); bad {
			return withDetail(ErrInvalidClaims, "the identity claim "+strconv.Quote(name)+" is "+rawValue(value)+", want a non-empty string")
		}
		return nil
	}
	bit := claimBit(name)
	if bit&s.known == 0 {
		if slices.Contains(s.forbidden, name) {
			return withDetail(ErrInvalidClaims, "claim "+strconv.Quote(name)+" does not belong in the payload")
		}
		r.spanExtra(m)
		return addExtra(c, name, value)
	}
	r.gap = r.extra1 > 0
	r.seen |= bit
	if bit == hasFresh {
		r.fresh = value
		return nil
	}
	if r.readKnown(bit, value) {
		return withDetail(ErrInvalidClaims, "claim "+strconv.Quote(name)+" is "+rawValue(value)+", want "+claimWant(bit))
	}
	return nil
}

// readKnown decodes a registered claim; bad reports a wrong type or value.
func (r *claimReader) readKnown(bit int, v string) (bad bool) {
	c, loose := r.c, r.s.loose
	switch bit {
	case hasExp:
		c.ExpiresAt, bad = unixClaim(v)
	case hasIat:
		c.IssuedAt, bad = unixClaim(v)
	case hasNbf:
		c.NotBefore, bad = unixClaim(v)
	case hasAuthTime:
		c.AuthTime, bad = unixClaim(v)
	case hasJti:
		c.ID, bad = nonEmptyString(v)
	case hasSid:
		c.SessionID, bad = nonEmptyString(v)
	case hasIss:
		if loose { // compared, whatever its type, only when an issuer is configured
			c.Issuer, _ = jsonString(v)
			return false
		}
		c.Issuer, bad = nonEmptyString(v)
	case hasAud:
		if bad = decodeAudience(c, v, !loose); bad && loose {
			c.Audience, bad = c.Audience[:0], false // fails only when an audience is configured
		}
	case hasCSRF:
		if loose { // compared only on a cookie request, where a non-string matches nothing
			c.CSRF, _ = jsonString(v)
			return false
		}
		c.CSRF, bad = nonEmptyString(v)
	case hasType:
		c.Type, bad = r.tokenType(v)
	}
	return bad
}

// tokenType reads the "type" claim: "access" or "refresh".
func (r *claimReader) tokenType(v string) (TokenType, bool) {
	if r.s.decodeType {
		v, _ = jsonString(v) // as Python compares: "\u0061ccess" is "access"
	} else if len(v) >= 2 {
		v = v[1 : len(v)-1] // written plainly, or not at all
	}
	switch v {
	case "access":
		return AccessToken, false
	case "refresh":
		return RefreshToken, false
	}
	return 0, true
}

// finish applies the rules that need the whole payload.
func (r *claimReader) finish() error {
	c, s := r.c, r.s
	if missing := s.required &^ r.seen; missing != 0 {
		return withDetail(ErrInvalidClaims, "missing claim "+r.names(missing))
	}
	if err := r.readFresh(); err != nil {
		return err
	}
	if c.SessionID == "" {
		// A token written by Flask-JWT-Extended names no session: it is
		// its own, so that revocation never sees an empty session ID.
		c.SessionID = c.ID
	}
	if len(c.Audience) == 0 {
		c.Audience = nil // no "aud" claim
	}
	return nil
}

// spanExtra records m, an application claim.
func (r *claimReader) spanExtra(m member) {
	switch {
	case r.extra1 == 0:
		r.extra0 = m.name0 - 1 // the name's opening quote
	case r.gap:
		r.split = true
	}
	r.extra1 = m.value1
}

// rawExtra returns the application claims of payload, whose members are
// at members, as written, for Refresh to copy: a slice of the payload when
// they are written together, as both formats write them; otherwise the
// members joined by commas.
func (r *claimReader) rawExtra(payload string, members []member) string {
	if r.extra1 == 0 {
		return ""
	}
	if !r.split {
		return payload[r.extra0:r.extra1]
	}
	var b []byte
	for _, m := range members {
		name := payload[m.name0:m.name1]
		if name == r.s.identity || claimBit(name)&r.s.known != 0 {
			continue
		}
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = append(b, payload[m.name0-1:m.value1]...)
	}
	return string(b)
}

// claimWant says, for an error, what a registered claim must hold.
func claimWant(bit int) string {
	switch bit {
	case hasExp, hasIat, hasNbf, hasAuthTime:
		return "whole non-negative seconds since 1970"
	case hasAud:
		return "a non-empty string or a non-empty list of them"
	case hasType:
		return `"access" or "refresh"`
	}
	return "a non-empty string" // jti, sid, iss, csrf
}

// freshWant says, for an error, what "fresh" must hold under s.
func freshWant(s *claimSchema) string {
	if s.freshTimes {
		return "a boolean or a time"
	}
	return "a boolean"
}

// rawValue writes v, a JSON value as a token wrote it, for an error: as it
// is when short and plain ASCII, otherwise quoted and cut (quoteValue).
func rawValue(v string) string {
	if len(v) > maxQuoted {
		return quoteValue(v)
	}
	for i := range len(v) {
		if v[i] < 0x20 || v[i] > 0x7e {
			return quoteValue(v)
		}
	}
	return v
}

// names lists the claims of bits, for an error.
func (r *claimReader) names(bits int) string {
	var out []string
	if bits&hasSub != 0 {
		out = append(out, strconv.Quote(r.s.identity))
	}
	for _, c := range claimNames {
		if bits&c.bit != 0 {
			out = append(out, strconv.Quote(c.name))
		}
	}
	return strings.Join(out, ", ")
}

// readFresh reads "fresh". Without freshTimes it is a boolean that access
// tokens must carry and refresh tokens must not. With them (Flask) it may
// be missing (false) or a number: a time, which the rules compare, as a
// float, with the current Unix time taken to the microsecond. A refresh
// token is never fresh, whatever it says.
func (r *claimReader) readFresh() error {
	c, v := r.c, r.fresh
	if !r.s.freshTimes {
		switch {
		case c.Type == RefreshToken && v != "":
			return withDetail(ErrInvalidClaims, `a refresh token has no "fresh" claim, but this one is `+rawValue(v))
		case c.Type == AccessToken && v == "":
			return withDetail(ErrInvalidClaims, `missing claim "fresh": an access token must say whether it is fresh`)
		}
	}
	if v == "" {
		return nil
	}
	if b, ok := jsonBool(v); ok {
		c.Fresh = b && c.Type == AccessToken
		return nil
	}
	if !r.s.freshTimes || (v[0] != '-' && (v[0] < '0' || v[0] > '9')) {
		return withDetail(ErrInvalidClaims, `claim "fresh" is `+rawValue(v)+", want "+freshWant(r.s))
	}
	// The payload is valid JSON, so v is a JSON number, which ParseFloat
	// reads. A magnitude beyond float64 reads as an infinity, as in
	// Python: 1e400 is fresh for ever, -1e400 never.
	until, err := strconv.ParseFloat(v, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return withDetail(ErrInvalidClaims, `claim "fresh" is `+rawValue(v)+", want "+freshWant(r.s))
	}
	if c.Type == AccessToken {
		c.freshTime, c.freshUntil = true, until
		c.FreshUntil = floatTime(until)
	}
	return nil
}

// floatTime converts Unix seconds to a time, to the microsecond. Values
// beyond ±2^40 seconds (35,000 years) are clamped to that.
func floatTime(s float64) time.Time {
	const limit = 1 << 40
	s = max(min(s, limit), -limit)
	return time.UnixMicro(int64(math.Round(s * 1e6))).UTC()
}

// addExtra decodes one application claim into c.Extra.
func addExtra(c *Claims, name, value string) error {
	v, ok := jsonScalar(value)
	if !ok {
		var err error
		if v, err = unmarshalAny(value); err != nil {
			return withDetail(ErrMalformed, "claim "+quoteValue(name)+" does not decode: "+err.Error())
		}
	}
	if c.Extra == nil {
		c.Extra = make(map[string]any)
	}
	c.Extra[name] = v
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

// unixClaim reads a time claim: whole non-negative seconds, as an integer.
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

// decodeAudience reads "aud", a valid JSON value: a string or a list of
// strings (RFC 7519 §4.1.3). Anything else is bad, a list holding a null or
// a number among them (encoding/json would read a null as ""); so, when
// strict, are an empty string and an empty list, which name nobody. A
// list ends up in c.Audience, an empty one as an empty slice.
func decodeAudience(c *Claims, v string, strict bool) (bad bool) {
	if s, ok := jsonString(v); ok {
		c.Audience = append(c.Audience[:0], s)
		return strict && s == ""
	}
	if v[0] != '[' {
		return true
	}
	aud := c.Audience[:0]
	i := skipSpace(v, 1)
	for i < len(v) && v[i] != ']' {
		end, ok := scanValue(v, i)
		if !ok {
			return true
		}
		s, ok := jsonString(v[i:end])
		if !ok || (strict && s == "") {
			return true
		}
		aud = append(aud, s)
		if i = skipSpace(v, end); i < len(v) && v[i] == ',' {
			i = skipSpace(v, i+1)
		}
	}
	if i >= len(v) {
		return true // never for the valid JSON the caller gives
	}
	c.Audience = aud
	return strict && len(aud) == 0
}

// Decode stores the token's claims in dst, a pointer, as json.Unmarshal
// would store the payload: a struct field tagged `json:"roles"` gets the
// application claim "roles" as a []string, an integer stays an integer in
// an int64 field (not a float64, as in Extra), json.Number and custom
// json.Unmarshaler types work, and the registered claims ("sub", "exp",
// "iat", "aud", ...) are there for a struct that names them. It is how an
// application reads its own claims into its own type:
//
//	var app struct {
//		Roles  []string `json:"roles"`
//		Tenant int64    `json:"tenant"`
//	}
//	err := claims.Decode(&app)
//
// The application claims are decoded exactly as the token wrote them. The
// registered claims are written again from the fields of c, which is what
// was verified: the subject as "sub" (under Flask, whatever the identity
// claim is called), "aud" as a string when it holds one audience, times as
// Unix seconds. Claims made by hand, not by a guard, decode their fields
// and Extra.
//
// The token was verified before; a claim that does not fit dst is dst's
// mismatch, not the token's, so the error is encoding/json's (a
// *json.UnmarshalTypeError, or *json.InvalidUnmarshalError for a nil or
// non-pointer dst), wrapped with a message naming dst's type, and matches
// none of the package's sentinels. As with json.Unmarshal, the fields
// decoded before the mismatch are set. Decode never panics on its input;
// a nil c is an error.
func (c *Claims) Decode(dst any) error {
	if c == nil {
		return errors.New("freshtoken: Claims.Decode called on nil claims")
	}
	payload, err := c.appendJSON(nil)
	if err == nil {
		err = json.Unmarshal(payload, dst)
	}
	if err != nil {
		return fmt.Errorf("freshtoken: the claims do not decode into %T: %w", dst, err)
	}
	return nil
}

// appendJSON writes c as a JSON object: its registered claims, then its
// application claims as the token wrote them (rawExtra), or, for claims
// made by hand, Extra encoded by encoding/json.
func (c *Claims) appendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	b = c.appendRegistered(b)
	extra := c.rawExtra
	if extra == "" && len(c.Extra) > 0 {
		e, err := json.Marshal(c.Extra)
		if err != nil {
			return nil, err
		}
		extra = string(e[1 : len(e)-1])
	}
	if extra != "" {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, extra...)
	}
	return append(b, '}'), nil
}

// appendRegistered writes the registered claims c holds, each followed by
// a comma but the last.
func (c *Claims) appendRegistered(b []byte) []byte {
	start := len(b)
	sep := func() {
		if len(b) > start {
			b = append(b, ',')
		}
	}
	for _, s := range []struct{ name, value string }{
		{"iss", c.Issuer}, {"sub", c.Subject}, {"jti", c.ID}, {"sid", c.SessionID}, {"csrf", c.CSRF},
	} {
		if s.value != "" {
			sep()
			b = appendMember(b, s.name, s.value)
		}
	}
	if len(c.Audience) > 0 {
		sep()
		b = appendAudience(b, c.Audience)
	}
	for _, t := range []struct {
		name string
		at   time.Time
	}{{"exp", c.ExpiresAt}, {"iat", c.IssuedAt}, {"nbf", c.NotBefore}, {"auth_time", c.AuthTime}} {
		if !t.at.IsZero() {
			sep()
			b = appendUnix(b, `"`+t.name+`":`, t.at)
		}
	}
	if c.Type == AccessToken || c.Type == RefreshToken {
		sep()
		b = appendMember(b, "type", c.Type.String())
	}
	switch {
	case c.freshTime:
		sep()
		b = append(b, `"fresh":`...)
		b = appendJSONFloat(b, c.freshUntil)
	case c.Type == AccessToken:
		sep()
		b = appendBool(b, `"fresh":`, c.Fresh)
	}
	return b
}

// appendJSONFloat writes f as a JSON number; an infinity (what a "fresh"
// beyond float64 reads as) is written as a number that reads back as one.
func appendJSONFloat(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "1e400"...)
	case math.IsInf(f, -1):
		return append(b, "-1e400"...)
	}
	format := byte('f') // as encoding/json writes it: no exponent below 1e21
	if math.Abs(f) >= 1e21 {
		format = 'g'
	}
	return strconv.AppendFloat(b, f, format, -1, 64)
}
