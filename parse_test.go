package freshtoken

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// signHMAC signs header and payload with HMAC-SHA256 under secret.
func signHMAC(secret []byte, header, payload string) string {
	input := b64([]byte(header)) + "." + b64([]byte(payload))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(input))
	return input + "." + b64(mac.Sum(nil))
}

// nonCanonical returns an encoding of data whose last character carries
// non-zero unused bits: it decodes leniently to the same bytes, but is not
// the one canonical encoding. data's length must not be a multiple of 3.
func nonCanonical(t testing.TB, data []byte) string {
	t.Helper()
	if len(data)%3 == 0 {
		t.Fatalf("nonCanonical: %d bytes leave no unused bits", len(data))
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	enc := b64(data)
	last := strings.IndexByte(alphabet, enc[len(enc)-1])
	return enc[:len(enc)-1] + string(alphabet[last|1])
}

// padTo adds spaces after the first '{' of a JSON object until its length
// modulo 3 is rem.
func padTo(json string, rem int) string {
	for len(json)%3 != rem {
		json = "{ " + json[1:]
	}
	return json
}

// nested returns depth nested arrays.
func nested(depth int) string { return strings.Repeat("[", depth) + strings.Repeat("]", depth) }

type hostileToken struct {
	name    string
	token   func(f *forge) string
	want    error
	refresh bool // presented to the refresh guards instead of the access guards
	reason  string
}

func hostileTokens() []hostileToken {
	return []hostileToken{
		// Shape: compact serialization only, strict base64url.
		{name: "empty", token: func(f *forge) string { return "" }, want: ErrMalformed, reason: "no token"},
		{name: "one part", token: func(f *forge) string { return strings.Split(f.valid(), ".")[0] }, want: ErrMalformed, reason: "not three parts"},
		{name: "two parts", token: func(f *forge) string { return f.valid()[:strings.LastIndexByte(f.valid(), '.')] }, want: ErrMalformed, reason: "unsigned: the signature part is gone"},
		{name: "four parts", token: func(f *forge) string { return f.valid() + ".AAAA" }, want: ErrMalformed, reason: "JWE has five parts, JWS three; four is neither"},
		{name: "five parts", token: func(f *forge) string { return f.valid() + ".AAAA.AAAA" }, want: ErrMalformed, reason: "a JWE shape is not a JWS"},
		{name: "dots only", token: func(f *forge) string { return ".." }, want: ErrMalformed, reason: "three empty parts"},
		{name: "empty header", token: func(f *forge) string { return f.valid()[strings.IndexByte(f.valid(), '.'):] }, want: ErrMalformed, reason: "every part is required"},
		{name: "empty payload", token: func(f *forge) string {
			p := strings.Split(f.valid(), ".")
			return p[0] + ".." + p[2]
		}, want: ErrMalformed, reason: "every part is required"},
		{name: "empty signature", token: func(f *forge) string { return f.valid()[:strings.LastIndexByte(f.valid(), '.')+1] }, want: ErrMalformed, reason: "the unsecured-JWS shape (alg none) has an empty signature"},
		{name: "padding", token: func(f *forge) string {
			p := strings.Split(f.valid(), ".")
			sig, _ := base64.RawURLEncoding.DecodeString(p[2])
			return p[0] + "." + p[1] + "." + base64.URLEncoding.EncodeToString(sig) // 64 bytes: ends in "=="
		}, want: ErrMalformed, reason: "base64url in JWS has no padding (RFC 7515 §2)"},
		{name: "standard alphabet", token: func(f *forge) string {
			// "~~~~~~" encodes to "fn5-" at any alignment; the standard
			// alphabet writes '+' for it. Signed over the rewritten text so
			// that only the alphabet rule can refuse it.
			p64 := b64([]byte(f.accessClaims().add("note", `"~~~~~~"`).String()))
			if !strings.ContainsAny(p64, "-_") {
				panic("payload encoding has no URL-only character")
			}
			return f.signParts(b64([]byte(f.header("at+jwt").String())), strings.NewReplacer("-", "+", "_", "/").Replace(p64))
		}, want: ErrMalformed, reason: "'+' and '/' are not base64url"},
		{name: "leading space", token: func(f *forge) string { return " " + f.valid() }, want: ErrMalformed, reason: "no whitespace is trimmed"},
		{name: "trailing newline", token: func(f *forge) string { return f.valid() + "\n" }, want: ErrMalformed, reason: "no whitespace is trimmed"},
		{name: "CRLF", token: func(f *forge) string { return f.valid() + "\r\n" }, want: ErrMalformed, reason: "no whitespace is trimmed"},
		{name: "newline inside a part", token: func(f *forge) string {
			v := f.valid()
			return v[:10] + "\n" + v[10:]
		}, want: ErrMalformed, reason: "lenient decoders skip newlines; this one must not"},
		{name: "space after a dot", token: func(f *forge) string { return strings.Replace(f.valid(), ".", ". ", 1) }, want: ErrMalformed, reason: "no whitespace anywhere"},
		{name: "tab in the signature", token: func(f *forge) string { return f.valid()[:len(f.valid())-3] + "\t" + f.valid()[len(f.valid())-3:] }, want: ErrMalformed, reason: "no whitespace anywhere"},
		{name: "NUL byte", token: func(f *forge) string { return f.valid() + "\x00" }, want: ErrMalformed, reason: "C-string truncation must not hide trailing bytes"},
		{name: "non-ASCII byte", token: func(f *forge) string { return "é" + f.valid() }, want: ErrMalformed, reason: "outside the alphabet"},
		{name: "JSON serialization, flattened", token: func(f *forge) string {
			p := strings.Split(f.valid(), ".")
			return `{"protected":"` + p[0] + `","payload":"` + p[1] + `","signature":"` + p[2] + `"}`
		}, want: ErrMalformed, reason: "RFC 7519: a JWT is compact; jwt.Parse would accept this"},
		{name: "JSON serialization, general", token: func(f *forge) string {
			p := strings.Split(f.valid(), ".")
			return `{"payload":"` + p[1] + `","signatures":[{"protected":"` + p[0] + `","signature":"` + p[2] + `"}]}`
		}, want: ErrMalformed, reason: "RFC 7519: a JWT is compact"},
		{name: "signature length 4n+1", token: func(f *forge) string {
			v := f.valid()
			for len(v[strings.LastIndexByte(v, '.')+1:])%4 != 1 {
				v += "A"
			}
			return v
		}, want: ErrMalformed, reason: "no base64 encoding has that length"},
		{name: "non-canonical signature bits", token: func(f *forge) string {
			p := strings.Split(f.valid(), ".")
			sig, _ := base64.RawURLEncoding.DecodeString(p[2])
			return p[0] + "." + p[1] + "." + nonCanonical(f.t, sig)
		}, want: ErrMalformed, reason: "a lenient decoder reads the same signature; strict decoding makes every token have one spelling"},
		{name: "non-canonical header bits", token: func(f *forge) string {
			return f.signParts(nonCanonical(f.t, []byte(padTo(f.header("at+jwt").String(), 1))), b64([]byte(f.accessClaims().String())))
		}, want: ErrMalformed, reason: "signed over the odd spelling; only strict decoding refuses it"},
		{name: "non-canonical payload bits", token: func(f *forge) string {
			return f.signParts(b64([]byte(f.header("at+jwt").String())), nonCanonical(f.t, []byte(padTo(f.accessClaims().String(), 2))))
		}, want: ErrMalformed, reason: "signed over the odd spelling; only strict decoding refuses it"},
		{name: "larger than MaxTokenSize", token: func(f *forge) string {
			return f.access(f.accessClaims().add("blob", `"`+strings.Repeat("x", DefaultMaxTokenSize)+`"`))
		}, want: ErrMalformed, reason: "refused by size before anything is decoded"},
		{name: "1 MiB of dots", token: func(f *forge) string { return strings.Repeat(".", 1<<20) }, want: ErrMalformed, reason: "refused by size at once"},
		{name: "1 MiB of base64url", token: func(f *forge) string { return strings.Repeat("A", 1<<20) }, want: ErrMalformed, reason: "refused by size at once"},

		// Header: only alg, typ and kid, and alg fixed by the key.
		{name: "alg none", token: func(f *forge) string { return f.withAccessHeader(f.header("at+jwt").set("alg", `"none"`)) }, want: ErrSignature, reason: "the key fixes the algorithm (RFC 8725 §3.1)"},
		{name: "alg None", token: func(f *forge) string { return f.withAccessHeader(f.header("at+jwt").set("alg", `"None"`)) }, want: ErrSignature, reason: "case variants of none"},
		{name: "alg NONE", token: func(f *forge) string { return f.withAccessHeader(f.header("at+jwt").set("alg", `"NONE"`)) }, want: ErrSignature, reason: "case variants of none"},
		{name: "alg none without signature", token: func(f *forge) string {
			h := f.header("at+jwt").set("alg", `"none"`).String()
			return b64([]byte(h)) + "." + b64([]byte(f.accessClaims().String())) + "."
		}, want: ErrMalformed, reason: "the classic unsecured JWT"},
		{name: "alg HS256 keyed with the Ed25519 public key", token: func(f *forge) string {
			return signHMAC(f.m.signer().public.(ed25519.PublicKey), f.header("at+jwt").set("alg", `"HS256"`).String(), f.accessClaims().String())
		}, want: ErrSignature, reason: "key confusion: the public key is no HMAC secret"},
		{name: "alg HS256 under the Ed25519 kid with a real secret", token: func(f *forge) string {
			return signHMAC(testKeys().hs256, f.header("at+jwt").set("alg", `"HS256"`).String(), f.accessClaims().String())
		}, want: ErrSignature, reason: "a kid selects a key and its algorithm, never another key"},
		{name: "alg EdDSA under the HMAC kid", token: func(f *forge) string {
			return f.withAccessHeader(f.header("at+jwt").set("kid", `"`+hmacKID+`"`))
		}, want: ErrSignature, reason: "the HMAC key's algorithm is HS256"},
		{name: "alg ES256 for an Ed25519 key", token: func(f *forge) string { return f.withAccessHeader(f.header("at+jwt").set("alg", `"ES256"`)) }, want: ErrSignature, reason: "alg differs from the key's"},
		{name: "alg eddsa", token: func(f *forge) string { return f.withAccessHeader(f.header("at+jwt").set("alg", `"eddsa"`)) }, want: ErrSignature, reason: "algorithm names are case-sensitive"},
		{name: "alg missing", token: func(f *forge) string { return f.withAccessHeader(f.header("at+jwt").del("alg")) }, want: ErrMalformed, reason: "every token names its algorithm"},
		{name: "alg as array", token: func(f *forge) string { return f.withAccessHeader(f.header("at+jwt").set("alg", `["EdDSA"]`)) }, want: ErrMalformed, reason: "header values are strings"},
		{name: "kid missing", token: func(f *forge) string { return f.withAccessHeader(f.header("at+jwt").del("kid")) }, want: ErrMalformed, reason: "every freshtoken token names its key"},
		{name: "kid empty", token: func(f *forge) string { return f.withAccessHeader(f.header("at+jwt").set("kid", `""`)) }, want: ErrUnknownKey, reason: "no key has an empty ID"},
		{name: "kid unknown", token: func(f *forge) string { return f.withAccessHeader(f.header("at+jwt").set("kid", `"retired-2019"`)) }, want: ErrUnknownKey, reason: "a removed or foreign key"},
		{name: "kid as number", token: func(f *forge) string { return f.withAccessHeader(f.header("at+jwt").set("kid", `1`)) }, want: ErrMalformed, reason: "header values are strings"},
		{name: "kid escaped", token: func(f *forge) string {
			kid := f.m.signer().id
			return f.withAccessHeader(f.header("at+jwt").set("kid", `"\u00`+strconv.FormatInt(int64(kid[0]), 16)+kid[1:]+`"`))
		}, want: ErrMalformed, reason: "only plain strings, as freshtoken writes them"},
		{name: "crit", token: func(f *forge) string { return f.withAccessHeader(f.header("at+jwt").add("crit", `["exp"]`)) }, want: ErrMalformed, reason: "an extension the verifier must understand (RFC 7515 §4.1.11)"},
		{name: "b64 false", token: func(f *forge) string {
			return f.withAccessHeader(f.header("at+jwt").add("b64", `false`).add("crit", `["b64"]`))
		}, want: ErrMalformed, reason: "RFC 7797 unencoded payloads change what is signed"},
		{name: "jku", token: func(f *forge) string {
			return f.withAccessHeader(f.header("at+jwt").add("jku", `"https://evil.example/jwks.json"`))
		}, want: ErrMalformed, reason: "the token must not say where its key lives"},
		{name: "jwk", token: func(f *forge) string {
			return f.withAccessHeader(f.header("at+jwt").add("jwk", `{"kty":"OKP","crv":"Ed25519","x":"`+b64(f.m.signer().public.(ed25519.PublicKey))+`"}`))
		}, want: ErrMalformed, reason: "an embedded key verifies whatever its holder signs"},
		{name: "x5u", token: func(f *forge) string {
			return f.withAccessHeader(f.header("at+jwt").add("x5u", `"https://evil.example/cert.pem"`))
		}, want: ErrMalformed, reason: "the token must not say where its key lives"},
		{name: "x5c", token: func(f *forge) string {
			return f.withAccessHeader(f.header("at+jwt").add("x5c", `["MIIBszCCAVmgAwIBAgIU"]`))
		}, want: ErrMalformed, reason: "an embedded certificate chain"},
		{name: "cty", token: func(f *forge) string { return f.withAccessHeader(f.header("at+jwt").add("cty", `"JWT"`)) }, want: ErrMalformed, reason: "nested JWTs are not freshtoken's"},
		{name: "unknown header parameter", token: func(f *forge) string { return f.withAccessHeader(f.header("at+jwt").add("zip", `"DEF"`)) }, want: ErrMalformed, reason: "only what freshtoken writes"},
		{name: "typ JWT", token: func(f *forge) string { return f.withAccessHeader(f.header("JWT")) }, want: ErrMalformed, reason: "explicit typing: a generic JWT is not an access token (RFC 9068)"},
		{name: "typ missing", token: func(f *forge) string { return f.withAccessHeader(f.header("at+jwt").del("typ")) }, want: ErrMalformed, reason: "explicit typing is required"},
		{name: "typ application/at+jwt", token: func(f *forge) string { return f.withAccessHeader(f.header("application/at+jwt")) }, want: ErrMalformed, reason: "only the form freshtoken writes"},
		{name: "typ AT+JWT", token: func(f *forge) string { return f.withAccessHeader(f.header("AT+JWT")) }, want: ErrMalformed, reason: "only the form freshtoken writes"},
		{name: "alg twice", token: func(f *forge) string {
			return f.withAccessHeader(f.header("at+jwt").add("alg", `"none"`))
		}, want: ErrMalformed, reason: "parsers disagree on which repeat wins"},
		{name: "escaped header name", token: func(f *forge) string {
			return f.withAccessHeader(members{{`\u0061lg`, `"EdDSA"`}, {"typ", `"at+jwt"`}, {"kid", `"` + f.m.signer().id + `"`}})
		}, want: ErrMalformed, reason: "an escape could hide a name from a raw check"},
		{name: "header not JSON", token: func(f *forge) string { return f.sign("garbage", f.accessClaims().String()) }, want: ErrMalformed, reason: "not JSON"},
		{name: "header array", token: func(f *forge) string { return f.sign(`["EdDSA"]`, f.accessClaims().String()) }, want: ErrMalformed, reason: "not an object"},
		{name: "header null", token: func(f *forge) string { return f.sign(`null`, f.accessClaims().String()) }, want: ErrMalformed, reason: "not an object"},
		{name: "header typ refresh over access claims", token: func(f *forge) string {
			return f.sign(f.header("refresh+jwt").String(), f.accessClaims().String())
		}, want: ErrInvalidClaims, refresh: true, reason: "header typ and type claim must agree"},
		{name: "header typ access over refresh claims", token: func(f *forge) string {
			return f.sign(f.header("at+jwt").String(), f.refreshClaims().String())
		}, want: ErrInvalidClaims, reason: "header typ and type claim must agree"},

		// Signature.
		{name: "tampered payload", token: func(f *forge) string {
			p := strings.Split(f.valid(), ".")
			return p[0] + "." + b64([]byte(f.accessClaims().set("sub", `"admin"`).String())) + "." + p[2]
		}, want: ErrSignature, reason: "the signature covers the payload"},
		{name: "tampered header", token: func(f *forge) string {
			p := strings.Split(f.valid(), ".")
			return b64([]byte("{ "+f.header("at+jwt").String()[1:])) + "." + p[1] + "." + p[2]
		}, want: ErrSignature, reason: "the signature covers the header as written"},
		{name: "truncated signature", token: func(f *forge) string {
			p := strings.Split(f.valid(), ".")
			sig, _ := base64.RawURLEncoding.DecodeString(p[2])
			return p[0] + "." + p[1] + "." + b64(sig[:60])
		}, want: ErrSignature, reason: "a 60-byte Ed25519 signature"},
		{name: "zero signature", token: func(f *forge) string {
			v := f.valid()
			return v[:strings.LastIndexByte(v, '.')+1] + b64(make([]byte, 64))
		}, want: ErrSignature, reason: "all zeros"},
		{name: "null signature", token: func(f *forge) string {
			v := f.valid()
			return v[:strings.LastIndexByte(v, '.')+1] + "null"
		}, want: ErrSignature, reason: "the word null is valid base64url for 3 bytes"},
		{name: "signature of another token", token: func(f *forge) string {
			p := strings.Split(f.valid(), ".")
			q := strings.Split(f.access(f.accessClaims().set("jti", `"j2"`)), ".")
			return p[0] + "." + p[1] + "." + q[2]
		}, want: ErrSignature, reason: "signatures are not transferable"},
		{name: "same kid, other key", token: func(f *forge) string {
			other, _ := newTestManager(f.t, Config{Key: testKeys().ed2, KeyID: f.m.signer().id})
			return mustIssue(f.t, other, "admin").Access
		}, want: ErrSignature, reason: "a kid names a key; it does not prove one"},
		{name: "another key's token", token: func(f *forge) string {
			other, _ := newTestManager(f.t, Config{Key: testKeys().ed2})
			return mustIssue(f.t, other, "admin").Access
		}, want: ErrUnknownKey, reason: "the foreign kid is unknown"},

		// Payload structure.
		{name: "payload not JSON", token: func(f *forge) string { return f.sign(f.header("at+jwt").String(), "not json") }, want: ErrMalformed, reason: "not JSON"},
		{name: "payload array", token: func(f *forge) string { return f.sign(f.header("at+jwt").String(), `[`+f.accessClaims().String()+`]`) }, want: ErrMalformed, reason: "the claims set is an object"},
		{name: "payload string", token: func(f *forge) string { return f.sign(f.header("at+jwt").String(), `"user-42"`) }, want: ErrMalformed, reason: "the claims set is an object"},
		{name: "payload null", token: func(f *forge) string { return f.sign(f.header("at+jwt").String(), `null`) }, want: ErrMalformed, reason: "the claims set is an object"},
		{name: "payload empty object", token: func(f *forge) string { return f.access(members{}) }, want: ErrInvalidClaims, reason: "no required claim"},
		{name: "payload with trailing data", token: func(f *forge) string {
			return f.sign(f.header("at+jwt").String(), f.accessClaims().String()+`{"sub":"admin"}`)
		}, want: ErrMalformed, reason: "one object, nothing after it"},
		{name: "payload with a byte order mark", token: func(f *forge) string {
			return f.sign(f.header("at+jwt").String(), "\ufeff"+f.accessClaims().String())
		}, want: ErrMalformed, reason: "RFC 8259 §8.1: no BOM"},
		{name: "deeply nested payload", token: func(f *forge) string { return f.sign(f.header("at+jwt").String(), nested(2500)) }, want: ErrMalformed, reason: "2500 levels, not an object"},
		{name: "deeply nested sub", token: func(f *forge) string { return f.access(f.accessClaims().set("sub", nested(2000))) }, want: ErrInvalidClaims, reason: "sub is a string"},
		{name: "type twice", token: func(f *forge) string {
			return f.access(f.accessClaims().del("fresh").set("type", `"refresh"`).add("type", `"access"`).add("fresh", "true"))
		}, want: ErrMalformed, reason: "duplicate names: parsers disagree on which wins"},
		{name: "sub twice", token: func(f *forge) string { return f.access(f.accessClaims().add("sub", `"admin"`)) }, want: ErrMalformed, reason: "duplicate names"},
		{name: "escaped type", token: func(f *forge) string {
			return f.access(f.accessClaims().del("type").add(`\u0074ype`, `"access"`))
		}, want: ErrMalformed, reason: "an escape could hide a reserved name"},
		{name: "escaped fresh beside fresh false", token: func(f *forge) string {
			return f.access(f.accessClaims().set("fresh", "false").add(`fr\u0065sh`, "true"))
		}, want: ErrMalformed, reason: "a second fresh, disguised"},
		{name: "65 members", token: func(f *forge) string {
			c := f.accessClaims()
			for i := len(c); i < maxMembers+1; i++ {
				c = c.add("c"+strconv.Itoa(i), strconv.Itoa(i))
			}
			return f.access(c)
		}, want: ErrMalformed, reason: "more members than the parser tracks"},
		{name: "invalid UTF-8 in sub", token: func(f *forge) string { return f.access(f.accessClaims().set("sub", "\"user-42\xff\"")) }, want: ErrMalformed, reason: "decoders disagree on bad bytes; encoding/json reads 0xFF as U+FFFD"},
		{name: "invalid UTF-8 in a claim name", token: func(f *forge) string { return f.access(f.accessClaims().add("role\xff", `"admin"`)) }, want: ErrMalformed, reason: "JSON text is UTF-8 (RFC 8259 §8.1)"},
		{name: "invalid UTF-8 in an extra claim", token: func(f *forge) string { return f.access(f.accessClaims().add("role", "\"adm\xc3\"")) }, want: ErrMalformed, reason: "a truncated sequence"},
		{name: "overlong UTF-8", token: func(f *forge) string { return f.access(f.accessClaims().set("sub", "\"\xc0\xafetc\"")) }, want: ErrMalformed, reason: "an overlong '/' is a classic filter bypass"},
		{name: "UTF-8 encoded surrogate", token: func(f *forge) string { return f.access(f.accessClaims().set("sub", "\"\xed\xa0\x80\"")) }, want: ErrMalformed, reason: "CESU-8 is not UTF-8"},
		{name: "invalid UTF-8 in kid", token: func(f *forge) string {
			return f.withAccessHeader(f.header("at+jwt").set("kid", `"`+f.m.signer().id+"\xff\""))
		}, want: ErrMalformed, reason: "JSON text is UTF-8"},
		{name: "raw control character in a string", token: func(f *forge) string { return f.access(f.accessClaims().set("sub", "\"user\x01\"")) }, want: ErrMalformed, reason: "JSON strings escape control characters"},

		// Claims: required, of the right JSON type.
		{name: "exp as string", token: func(f *forge) string { return f.access(f.accessClaims().set("exp", `"`+f.unix(15*time.Minute)+`"`)) }, want: ErrInvalidClaims, reason: "NumericDate is a number"},
		{name: "exp as float", token: func(f *forge) string { return f.access(f.accessClaims().set("exp", f.unix(15*time.Minute)+".0")) }, want: ErrInvalidClaims, reason: "integers only"},
		{name: "exp with exponent", token: func(f *forge) string { return f.access(f.accessClaims().set("exp", "1.7723565e9")) }, want: ErrInvalidClaims, reason: "integers only"},
		{name: "exp missing", token: func(f *forge) string { return f.access(f.accessClaims().del("exp")) }, want: ErrInvalidClaims, reason: "exp is required; jwx would accept its absence"},
		{name: "exp null", token: func(f *forge) string { return f.access(f.accessClaims().set("exp", "null")) }, want: ErrInvalidClaims, reason: "null is not a time"},
		{name: "exp 0", token: func(f *forge) string { return f.access(f.accessClaims().set("exp", "0")) }, want: ErrExpired, reason: "0 is 1970, not 'never expires' as jwx reads it"},
		{name: "exp negative", token: func(f *forge) string { return f.access(f.accessClaims().set("exp", "-1")) }, want: ErrInvalidClaims, reason: "no time before 1970"},
		{name: "exp 16 digits", token: func(f *forge) string { return f.access(f.accessClaims().set("exp", "1000000000000000")) }, want: ErrInvalidClaims, reason: "out of range"},
		{name: "exp in a hundred years", token: func(f *forge) string { return f.access(f.accessClaims().set("exp", f.unix(100*365*24*time.Hour))) }, want: ErrInvalidClaims, reason: "lifetime beyond AccessTTL"},
		{name: "exp one second beyond the TTL", token: func(f *forge) string {
			return f.access(f.accessClaims().set("exp", f.unix(15*time.Minute+time.Second)))
		}, want: ErrInvalidClaims, reason: "lifetime beyond AccessTTL"},
		{name: "exp equal to iat", token: func(f *forge) string { return f.access(f.accessClaims().set("exp", f.unix(0))) }, want: ErrInvalidClaims, reason: "a lifetime of zero (inside the leeway, so not yet expired)"},
		{name: "iat missing", token: func(f *forge) string { return f.access(f.accessClaims().del("iat")) }, want: ErrInvalidClaims, reason: "iat is required"},
		{name: "iat as string", token: func(f *forge) string { return f.access(f.accessClaims().set("iat", `"`+f.unix(0)+`"`)) }, want: ErrInvalidClaims, reason: "NumericDate is a number"},
		{name: "iat in the future", token: func(f *forge) string {
			return f.access(f.accessClaims().set("iat", f.unix(time.Hour)).set("exp", f.unix(time.Hour+15*time.Minute)).set("auth_time", f.unix(time.Hour)))
		}, want: ErrNotYetValid, reason: "issued an hour from now"},
		{name: "nbf in the future", token: func(f *forge) string { return f.access(f.accessClaims().add("nbf", f.unix(time.Minute))) }, want: ErrNotYetValid, reason: "not valid for a minute"},
		{name: "nbf as string", token: func(f *forge) string { return f.access(f.accessClaims().add("nbf", `"`+f.unix(0)+`"`)) }, want: ErrInvalidClaims, reason: "NumericDate is a number"},
		{name: "sub empty", token: func(f *forge) string { return f.access(f.accessClaims().set("sub", `""`)) }, want: ErrInvalidClaims, reason: "a token for nobody"},
		{name: "sub number", token: func(f *forge) string { return f.access(f.accessClaims().set("sub", `42`)) }, want: ErrInvalidClaims, reason: "sub is a string (RFC 7519 §4.1.2)"},
		{name: "sub null", token: func(f *forge) string { return f.access(f.accessClaims().set("sub", `null`)) }, want: ErrInvalidClaims, reason: "sub is a string"},
		{name: "sub missing", token: func(f *forge) string { return f.access(f.accessClaims().del("sub")) }, want: ErrInvalidClaims, reason: "sub is required"},
		{name: "jti missing", token: func(f *forge) string { return f.access(f.accessClaims().del("jti")) }, want: ErrInvalidClaims, reason: "jti is required"},
		{name: "jti number", token: func(f *forge) string { return f.access(f.accessClaims().set("jti", `1`)) }, want: ErrInvalidClaims, reason: "jti is a string"},
		{name: "sid missing", token: func(f *forge) string { return f.access(f.accessClaims().del("sid")) }, want: ErrInvalidClaims, reason: "every token names its session"},
		{name: "auth_time missing", token: func(f *forge) string { return f.access(f.accessClaims().del("auth_time")) }, want: ErrInvalidClaims, reason: "freshness rules need the login time"},
		{name: "auth_time after iat", token: func(f *forge) string { return f.access(f.accessClaims().set("auth_time", f.unix(time.Second))) }, want: ErrInvalidClaims, reason: "no token predates its login"},
		{name: "fresh as string", token: func(f *forge) string { return f.access(f.accessClaims().set("fresh", `"true"`)) }, want: ErrInvalidClaims, reason: "fresh is a JSON boolean"},
		{name: "fresh as 1", token: func(f *forge) string { return f.access(f.accessClaims().set("fresh", `1`)) }, want: ErrInvalidClaims, reason: "fresh is a JSON boolean"},
		{name: "fresh as timestamp", token: func(f *forge) string { return f.access(f.accessClaims().set("fresh", f.unix(time.Hour))) }, want: ErrInvalidClaims, reason: "Flask-JWT-Extended's numeric fresh is not accepted"},
		{name: "fresh missing", token: func(f *forge) string { return f.access(f.accessClaims().del("fresh")) }, want: ErrInvalidClaims, reason: "an access token says whether it is fresh"},
		{name: "fresh on a refresh token", token: func(f *forge) string { return f.refresh(f.refreshClaims().add("fresh", "true")) }, want: ErrInvalidClaims, refresh: true, reason: "refresh tokens carry no freshness"},
		{name: "type Access", token: func(f *forge) string { return f.access(f.accessClaims().set("type", `"Access"`)) }, want: ErrInvalidClaims, reason: "exact values only"},
		{name: "type missing", token: func(f *forge) string { return f.access(f.accessClaims().del("type")) }, want: ErrInvalidClaims, reason: "Flask-JWT-Extended treats a missing type as access; freshtoken does not"},
		{name: "type id", token: func(f *forge) string { return f.access(f.accessClaims().set("type", `"id"`)) }, want: ErrInvalidClaims, reason: "not a freshtoken type"},
		{name: "typ claim", token: func(f *forge) string { return f.access(f.accessClaims().add("typ", `"at+jwt"`)) }, want: ErrInvalidClaims, reason: "a header name in the payload"},
		{name: "alg claim", token: func(f *forge) string { return f.access(f.accessClaims().add("alg", `"none"`)) }, want: ErrInvalidClaims, reason: "a header name in the payload"},
		{name: "iss as number", token: func(f *forge) string { return f.access(f.accessClaims().add("iss", `1`)) }, want: ErrInvalidClaims, reason: "iss is a string"},
		{name: "aud empty array", token: func(f *forge) string { return f.access(f.accessClaims().add("aud", `[]`)) }, want: ErrInvalidClaims, reason: "an audience names someone"},
		{name: "aud of numbers", token: func(f *forge) string { return f.access(f.accessClaims().add("aud", `[1]`)) }, want: ErrInvalidClaims, reason: "audiences are strings"},
		{name: "csrf as number", token: func(f *forge) string { return f.access(f.accessClaims().add("csrf", `1`)) }, want: ErrInvalidClaims, reason: "csrf is a string"},

		// Types.
		{name: "refresh token as access", token: func(f *forge) string { return f.refresh(f.refreshClaims()) }, want: ErrWrongType, reason: "RFC 8725 §3.12: kinds of token are mutually exclusive"},
		{name: "access token as refresh", token: func(f *forge) string { return f.valid() }, want: ErrWrongType, refresh: true, reason: "an access token must not buy new ones"},
	}
}

// Every hostile token is refused by every guard it could be aimed at, with
// exactly its sentinel, nil claims and no panic.
func TestHostileTokens(t *testing.T) {
	f := newForge(t)
	ctx := context.Background()

	// The forge must make tokens that pass, or every row below would pass
	// for the wrong reason.
	if _, err := f.m.RequireFresh(ctx, f.valid()); err != nil {
		t.Fatalf("forged access token: RequireFresh = %v, want nil", err)
	}
	if _, err := f.m.RequireRefresh(ctx, f.refresh(f.refreshClaims())); err != nil {
		t.Fatalf("forged refresh token: RequireRefresh = %v, want nil", err)
	}
	if _, err := f.m.RequireAccess(ctx, signHMAC(testKeys().hs256, f.header("at+jwt").set("alg", `"HS256"`).set("kid", `"`+hmacKID+`"`).String(), f.accessClaims().String())); err != nil {
		t.Fatalf("forged HS256 token: RequireAccess = %v, want nil", err)
	}

	rows := hostileTokens()
	if len(rows) < 30 {
		t.Errorf("%d hostile tokens, want at least 30", len(rows))
	}
	names := make(map[string]bool)
	for _, tt := range rows {
		if names[tt.name] {
			t.Errorf("hostile token %q listed twice", tt.name)
		}
		names[tt.name] = true
		t.Run(tt.name, func(t *testing.T) {
			tok := tt.token(f)
			type guard struct {
				name string
				call func() (any, error)
			}
			guards := []guard{
				{"RequireAccess", func() (any, error) { return f.m.RequireAccess(ctx, tok) }},
				{"RequireFresh", func() (any, error) { return f.m.RequireFresh(ctx, tok) }},
				{"RequireLoginWithin", func() (any, error) { return f.m.RequireLoginWithin(ctx, tok, time.Hour) }},
			}
			if tt.refresh {
				guards = []guard{
					{"RequireRefresh", func() (any, error) { return f.m.RequireRefresh(ctx, tok) }},
					{"Refresh", func() (any, error) { return f.m.Refresh(ctx, tok) }},
				}
			}
			for _, g := range guards {
				got, err := callNoPanic(g.call)
				if !errors.Is(err, tt.want) {
					t.Errorf("%s() error = %v, want %v (%s)", g.name, err, tt.want, tt.reason)
				}
				if n := len(matchedSentinels(err)); err != nil && n != 1 {
					t.Errorf("%s() error %v matches %d sentinels, want exactly 1", g.name, err, n)
				}
				if !isNil(got) {
					t.Errorf("%s() = %+v with error %v, want nil", g.name, got, err)
				}
			}
		})
	}
}

// callNoPanic turns a panic into an error, so that one bad row does not
// stop the others.
func callNoPanic(call func() (any, error)) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("panic: %v", r)
		}
	}()
	return call()
}

func isNil(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case *Claims:
		return v == nil
	case *Pair:
		return v == nil
	}
	return false
}

// hugeInput is an input of about 1 MiB, far above DefaultMaxTokenSize.
type hugeInput struct {
	name, tok string
	// shape is what splitCompact says of the input ("" when its shape is
	// fine): the refusal it would get if the size check let it through.
	shape string
	// whole: past the size check, the input would be read to its end
	// (others are refused at their first bytes).
	whole bool
}

func hugeInputs(f *forge) []hugeInput {
	const mib = 1 << 20
	valid := f.valid()
	return []hugeInput{
		{"1 MiB of dots", strings.Repeat(".", mib), "more than three parts", false},
		{"1 MiB of base64url", strings.Repeat("A", mib), "not three dot-separated parts", true},
		{"1 MiB in three parts", strings.Repeat("A", mib/3) + "." + strings.Repeat("A", mib/3) + "." + strings.Repeat("A", mib/3), "", true},
		{"1 MiB of spaces", strings.Repeat(" ", mib), "character outside the base64url alphabet", false},
		{"valid token padded", valid + strings.Repeat("A", mib-len(valid)), "", true},
		{"1 MiB JSON serialization", `{"payload":"` + strings.Repeat("A", mib) + `"}`, "character outside the base64url alphabet", false},
	}
}

// Inputs above MaxTokenSize are refused by their length alone, before any
// copy or decoding, whatever they hold; with the cap raised, a mis-shapen
// input is refused by the shape check (splitCompact, one pass over the
// input), before anything is decoded.
//
// The order is observed through the error each stage gives: every input
// here would get another error from the stage after the size check (or
// none), so a guard that answers sizeRefusal checked the size first. What
// a rejection costs in time and memory is measured by BenchmarkRejection,
// not asserted here: the runtime's allocation counters are process-wide,
// and other goroutines move them.
func TestHugeInputsAreRefusedBeforeDecoding(t *testing.T) {
	f := newForge(t)
	ctx := context.Background()
	cached, _ := newTestManager(t, Config{VerifiedCacheSize: 16})
	flask, _ := newTestManager(t, Config{Key: testKeys().hs256, Flask: &FlaskOptions{}})
	managers := []struct {
		name string
		m    *Manager
	}{{"default", f.m}, {"cached", cached}, {"flask", flask}}

	for _, in := range hugeInputs(f) {
		if len(in.tok) <= DefaultMaxTokenSize {
			t.Fatalf("%s: %d bytes, not above DefaultMaxTokenSize", in.name, len(in.tok))
		}
		// The next stage's answer, which the guards must not give.
		_, _, _, err := splitCompact(in.tok)
		if got := errDetail(err); got != in.shape {
			t.Errorf("%s: splitCompact says %q, want %q", in.name, got, in.shape)
		}
		for _, mm := range managers {
			guards := []struct {
				name string
				call func() (any, error)
			}{
				{"RequireAccess", func() (any, error) { return mm.m.RequireAccess(ctx, in.tok) }},
				{"RequireFresh", func() (any, error) { return mm.m.RequireFresh(ctx, in.tok) }},
				{"RequireLoginWithin", func() (any, error) { return mm.m.RequireLoginWithin(ctx, in.tok, time.Hour) }},
				{"RequireRefresh", func() (any, error) { return mm.m.RequireRefresh(ctx, in.tok) }},
				{"Refresh", func() (any, error) { return mm.m.Refresh(ctx, in.tok) }},
			}
			for _, g := range guards {
				c, err := g.call()
				switch {
				case !errors.Is(err, ErrMalformed) || len(matchedSentinels(err)) != 1:
					t.Errorf("%s, %s Manager: %s = %v, want ErrMalformed alone", in.name, mm.name, g.name, err)
				case !isNil(c):
					t.Errorf("%s, %s Manager: %s returned %+v with %v", in.name, mm.name, g.name, c, err)
				case err.Error() != sizeRefusal:
					t.Errorf("%s, %s Manager: %s = %q, want %q: the size must be checked first", in.name, mm.name, g.name, err, sizeRefusal)
				}
			}
		}
		if n := cacheLen(cached); n != 0 {
			t.Errorf("%s: the cache holds %d entries after rejections", in.name, n)
		}
	}

	// A Manager that allows 2 MiB still refuses a mis-shapen 1 MiB input
	// at the shape check, before anything is decoded.
	big, _ := newTestManager(t, Config{MaxTokenSize: 2 << 20})
	for _, in := range hugeInputs(f) {
		if in.shape == "" {
			continue
		}
		c, err := big.RequireAccess(ctx, in.tok)
		if !errors.Is(err, ErrMalformed) || c != nil || errDetail(err) != in.shape {
			t.Errorf("%s with a 2 MiB cap: RequireAccess = %v, %v; want nil and ErrMalformed from the shape check (%q)", in.name, c, err, in.shape)
		}
	}
}

// errDetail is what err says after its sentinel, or "" for nil.
func errDetail(err error) string {
	if err == nil {
		return ""
	}
	var te *tokenError
	if !errors.As(err, &te) {
		return err.Error()
	}
	return te.detail
}

// splitCompactReference is splitCompact written plainly, one byte at a time.
func splitCompactReference(tok string) (header, payload, sig string, err error) {
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
				return "", "", "", withDetail(ErrMalformed, "more than three parts")
			}
		default:
			return "", "", "", withDetail(ErrMalformed, "character outside the base64url alphabet")
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

func TestSplitCompactMatchesByteByByte(t *testing.T) {
	base := []string{"abcdefghij.klmnopqrstuvw.xyz-_0123456789AB", "a.b.c", "ab.cd", "", "..", "abcdefgh.ijklmnop.qrstuvwx"}
	var toks []string
	for _, b := range base {
		toks = append(toks, b)
		// Every byte value replacing, and inserted before, every position,
		// so each lands in the eight-at-a-time loop and in the tail.
		for i := 0; i <= len(b); i++ {
			for c := 0; c < 256; c++ {
				if i < len(b) {
					toks = append(toks, b[:i]+string([]byte{byte(c)})+b[i+1:])
				}
				toks = append(toks, b[:i]+string([]byte{byte(c)})+b[i:])
			}
		}
	}
	for _, tok := range toks {
		h1, p1, s1, err1 := splitCompactReference(tok)
		h2, p2, s2, err2 := splitCompact(tok)
		want := []string{h1, p1, s1, outcome(nil, err1).Err}
		got := []string{h2, p2, s2, outcome(nil, err2).Err}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("splitCompact(%q) (-want +got):\n%s", tok, diff)
		}
	}
}

// The signing input and signature go through pooled buffers. Concurrent
// guards must each verify their own token: a good token passes with its own
// subject, a tampered one fails, whatever the other goroutines hold.
func TestPooledInputsKeepTokensApart(t *testing.T) {
	ctx := context.Background()
	for _, key := range []any{testKeys().hs256, testKeys().ed} {
		m, _ := newTestManager(t, Config{Key: key})
		type tokenCase struct {
			tok, subject string
			good         bool
		}
		var cases []tokenCase
		for i := range 8 {
			subject := "user-" + strings.Repeat("x", i*40) // tokens of different lengths
			p, err := m.Issue(ctx, subject)
			if err != nil {
				t.Fatal(err)
			}
			bad := []byte(p.Access)
			bad[len(bad)-3] ^= 'A' ^ 'B'
			cases = append(cases, tokenCase{p.Access, subject, true}, tokenCase{string(bad), subject, false})
		}
		done := make(chan error, 4)
		for g := range 4 {
			go func() {
				for i := range 200 {
					tc := cases[(g+i)%len(cases)]
					c, err := m.RequireAccess(ctx, tc.tok)
					switch {
					case tc.good && (err != nil || c.Subject != tc.subject):
						done <- fmt.Errorf("%T key: good token of %q: got %v, %v", key, tc.subject, c, err)
						return
					case !tc.good && !errors.Is(err, ErrSignature) && !errors.Is(err, ErrMalformed):
						done <- fmt.Errorf("%T key: tampered token of %q: got %v, want a signature or malformed error", key, tc.subject, err)
						return
					}
				}
				done <- nil
			}()
		}
		for range 4 {
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
	}
}

// A token too large for a pooled buffer is verified in a buffer of its own.
func TestLargeTokensBypassThePool(t *testing.T) {
	ctx := context.Background()
	m, _ := newTestManager(t, Config{Key: testKeys().hs256, MaxTokenSize: 64 << 10})
	p, err := m.Issue(ctx, "user-1", WithClaims(map[string]any{"blob": strings.Repeat("b", 20<<10)}))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Access) <= maxPooledInput {
		t.Fatalf("the token has %d bytes, want more than %d", len(p.Access), maxPooledInput)
	}
	for range 2 {
		if _, err := m.RequireAccess(ctx, p.Access); err != nil {
			t.Fatalf("large token: %v", err)
		}
		bad := []byte(p.Access)
		bad[len(bad)-3] ^= 'A' ^ 'B'
		if _, err := m.RequireAccess(ctx, string(bad)); !errors.Is(err, ErrSignature) && !errors.Is(err, ErrMalformed) {
			t.Fatalf("tampered large token: got %v, want a signature or malformed error", err)
		}
	}
}

// A duplicate member's name is the token's choice: the error quotes it and
// cuts it short, so a hostile token cannot write kilobytes into the
// application's logs. (JSON keeps control characters out of a raw name, and
// escaped names are refused before this check.)
func TestDuplicateMemberErrorQuotesTheName(t *testing.T) {
	f := newForge(t)
	name := "x" + strings.Repeat("y", 1000)
	tok := f.access(f.accessClaims().add(name, "1").add(name, "2"))
	_, err := f.m.RequireAccess(context.Background(), tok)
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("RequireAccess = %v, want ErrMalformed", err)
	}
	msg := err.Error()
	if len(msg) > 200 {
		t.Errorf("error = %q (%d bytes): want the name quoted and cut", msg, len(msg))
	}
	if !strings.Contains(msg, `duplicate member "xyy`) {
		t.Errorf("error = %q: want it to name the member", msg)
	}
}
