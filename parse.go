package freshtoken

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
)

// This file turns untrusted bytes into a header and claims. It accepts only
// what freshtoken writes: the JWS compact serialization (RFC 7515 §7.1) with
// strict base64url, and JSON objects without duplicate or escaped member
// names, in valid UTF-8. Every loop is bounded by the input, which the
// guard has capped.

// maxMembers bounds the number of members in a header or claims object.
const maxMembers = 64

// The signature algorithm is reached through an interface, so the signing
// input and signature it is given would be moved to the heap on every call;
// prove borrows them from inputPool instead, and so does seal for the token
// it hands the signer. The algorithms (sig.go) do not keep their input past
// their return, and the buffer goes back to the pool only then.
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
			return "", "", "", withDetail(ErrMalformed, "character outside the base64url alphabet")
		}
		switch {
		case dot1 < 0:
			dot1 = i
		case dot2 < 0:
			dot2 = i
		default:
			return "", "", "", withDetail(ErrMalformed, "more than three parts")
		}
	}
	if dot2 < 0 {
		return "", "", "", withDetail(ErrMalformed, "not three dot-separated parts")
	}
	header, payload, sig = tok[:dot1], tok[dot1+1:dot2], tok[dot2+1:]
	if header == "" || payload == "" || sig == "" {
		return "", "", "", withDetail(ErrMalformed, "empty part")
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
		return nil, withDetail(ErrMalformed, "invalid base64url")
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
		return withDetail(ErrMalformed, "not a valid JSON object")
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
		return zero, zero, false, withDetail(ErrMalformed, "escaped member name")
	}
	for _, p := range o.members[:o.n] {
		if string(o.b[p.name0:p.name1]) == string(name) {
			return zero, zero, false, withDetail(ErrMalformed, "duplicate member "+quoteValue(string(name)))
		}
	}
	if o.n == maxMembers {
		return zero, zero, false, withDetail(ErrMalformed, "too many members")
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

// readHeader reads a JOSE header as both formats write it: "alg", "typ"
// and "kid", all strings written without escapes, and nothing else. An
// absent member is nil. What "typ" and "kid" must be is the format's
// question (tokenFormat.headerType).
func readHeader(hdr []byte) (alg, typ, kid []byte, err error) {
	var o object[[]byte]
	if err := o.open(hdr); err != nil {
		return nil, nil, nil, err
	}
	for {
		name, value, ok, err := o.next()
		if err != nil {
			return nil, nil, nil, err
		}
		if !ok {
			break
		}
		s, ok := rawString(value)
		if !ok {
			return nil, nil, nil, withDetail(ErrMalformed, "header parameter "+string(name)+" is not a plain string")
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
			return nil, nil, nil, withDetail(ErrMalformed, "unsupported header parameter "+string(name))
		}
	}
	if alg == nil {
		return nil, nil, nil, withDetail(ErrMalformed, "header has no alg")
	}
	return alg, typ, kid, nil
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
