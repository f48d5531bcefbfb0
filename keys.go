package freshtoken

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// This file reads and checks keys; sig.go signs and verifies with them. jwx
// is used for keys and thumbprints only (jwk.Key inputs, RFC 7638 key IDs,
// the JWKs of keyfile.go), here and in jwks.go, which keeps a move off jwx
// v2 small.

// key is one configured key: the signing key, or a verification-only one.
// Once made it never changes: a keyRing and the verified cache share it.
type key struct {
	id     string
	alg    string
	public any // the public key, or the HMAC secret ([]byte)
	hmac   bool
	remote bool        // from NewVerifier's JWK Set, which may drop it
	issuer *issuerKeys // the trusted issuer whose key it is (VerifierConfig.Issuers); nil otherwise

	algo algorithm // alg bound to this key (sig.go)
}

// signingKey is the key tokens are signed with: its algorithm holds the
// private half too.
type signingKey struct {
	key
}

// minHMACLen is the shortest secret accepted for each HMAC algorithm:
// as long as the hash output (RFC 7518 §3.2, RFC 8725 §3.5).
var minHMACLen = map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}

// keySource says where a key came from, so that every error names the
// field at fault, what it was given and what was expected. Key material
// never appears: only types, curves and sizes.
type keySource struct {
	field   string // "Config.Key", "Config.VerifyKeys[1]", a file's path
	given   string // the key as given, described by describeKey
	algFrom string // what set the algorithm: "Config.Algorithm", `the JWK's "alg"`; "" when chosen from the key
	kidFrom string // what set the key ID: "Config.KeyID", `the JWK's "kid"`
}

// jwkKid is keySource.kidFrom for a kid a jwk.Key carries.
const jwkKid = `the JWK's "kid"`

// fail returns an ErrInvalidKey error saying that the source's key has a
// problem: "Config.Key is an RSA private key of 1024 bits; at least ...".
func (s keySource) fail(problem string) error {
	return withDetail(ErrInvalidKey, s.field+" is "+s.given+"; "+problem)
}

// algName names alg and, when configuration chose it, where it came from.
func (s keySource) algName(alg string) string {
	if s.algFrom == "" {
		return alg
	}
	return fmt.Sprintf("%s %q", s.algFrom, alg)
}

// mismatch is the error for an algorithm that does not fit the key.
func (s keySource) mismatch(alg string) error {
	needs, ok := algNeeds[alg]
	if !ok {
		detail := fmt.Sprintf("%s is not a JWS algorithm freshtoken supports (%s)", s.algName(alg), supportedAlgs)
		if _, ok := algNeeds[strings.ToUpper(alg)]; ok || strings.EqualFold(alg, "EdDSA") {
			detail += "; algorithm names are case-sensitive"
		}
		return withDetail(ErrInvalidKey, detail)
	}
	return withDetail(ErrInvalidKey, fmt.Sprintf("%s does not fit %s, %s; %s needs %s", s.algName(alg), s.field, s.given, alg, needs))
}

// algNeeds says, for each supported algorithm, which key it takes.
var algNeeds = map[string]string{
	"EdDSA": "an Ed25519 key",
	"ES256": "an ECDSA P-256 key", "ES384": "an ECDSA P-384 key", "ES512": "an ECDSA P-521 key",
	"RS256": "an RSA key", "RS384": "an RSA key", "RS512": "an RSA key",
	"PS256": "an RSA key", "PS384": "an RSA key", "PS512": "an RSA key",
	"HS256": "an HMAC secret ([]byte)", "HS384": "an HMAC secret ([]byte)", "HS512": "an HMAC secret ([]byte)",
}

const supportedAlgs = "EdDSA, ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512, HS256, HS384, HS512"

// describeKey says what k is, for error texts: its kind, curve or size,
// never its bytes.
func describeKey(k any) string {
	switch k := k.(type) {
	case ed25519.PrivateKey:
		return describeLen("an Ed25519 private key", len(k), ed25519.PrivateKeySize)
	case ed25519.PublicKey:
		return describeLen("an Ed25519 public key", len(k), ed25519.PublicKeySize)
	case *ecdsa.PrivateKey:
		if k == nil || k.D == nil {
			return describeMissing(k == nil, "*ecdsa.PrivateKey")
		}
		return "an ECDSA " + curveName(k.Curve) + " private key"
	case *ecdsa.PublicKey:
		if k == nil || k.X == nil || k.Y == nil {
			return describeMissing(k == nil, "*ecdsa.PublicKey")
		}
		return "an ECDSA " + curveName(k.Curve) + " public key"
	case *rsa.PrivateKey:
		if k == nil || k.D == nil || k.N == nil {
			return describeMissing(k == nil, "*rsa.PrivateKey")
		}
		return fmt.Sprintf("an RSA private key of %d bits", k.N.BitLen())
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return describeMissing(k == nil, "*rsa.PublicKey")
		}
		return fmt.Sprintf("an RSA public key of %d bits", k.N.BitLen())
	case []byte:
		return fmt.Sprintf("an HMAC secret of %d bytes", len(k))
	case string:
		return "a string"
	case nil:
		return "nil"
	}
	return fmt.Sprintf("a value of type %T", k)
}

func describeLen(kind string, n, want int) string {
	if n == want {
		return kind
	}
	return fmt.Sprintf("%s of %d bytes (want %d)", kind, n, want)
}

func describeMissing(isNil bool, typ string) string {
	if isNil {
		return "a nil " + typ
	}
	return "an " + typ + " that lacks part of its key material"
}

func curveName(c elliptic.Curve) string {
	if c == nil || c.Params() == nil {
		return "(no curve)"
	}
	return c.Params().Name
}

// newSigningKey checks Config.Key (with Config.Algorithm and Config.KeyID,
// which may be empty) and prepares it for signing and verifying.
func newSigningKey(k any, alg, kid string) (*signingKey, error) {
	return prepareSigningKey(k, alg, kid, "Config.Key")
}

// prepareSigningKey is newSigningKey for a key that field names.
func prepareSigningKey(k any, alg, kid, field string) (*signingKey, error) {
	raw, jwkAlg, jwkID, err := rawKey(k, field)
	if err != nil {
		return nil, err
	}
	src := keySource{field: field, given: describeInput(k, raw), algFrom: "Config.Algorithm", kidFrom: "Config.KeyID"}
	if alg == "" {
		alg, src.algFrom = jwkAlg, `the JWK's "alg"`
		if alg == "" {
			src.algFrom = ""
		}
	}
	if kid == "" {
		kid, src.kidFrom = jwkID, jwkKid
	}
	private, public, err := splitPrivate(raw, src)
	if err != nil {
		return nil, err
	}
	pk, err := newKeyFrom(public, alg, kid, src)
	if err != nil {
		return nil, err
	}
	if !halvesMatch(private) {
		return nil, src.fail("its public half is not the one its private half makes, so nothing could verify its tokens")
	}
	if pk.algo, err = newAlgorithm(pk.alg, pk.public, private); err != nil {
		return nil, err
	}
	return &signingKey{key: *pk}, nil
}

// splitPrivate returns the halves of a signing key: for an HMAC secret,
// nil and the secret, which newAlgorithm uses for both.
func splitPrivate(raw any, src keySource) (private, public any, err error) {
	switch rk := raw.(type) {
	case ed25519.PrivateKey:
		if len(rk) != ed25519.PrivateKeySize {
			return nil, nil, src.fail("ed25519.NewKeyFromSeed makes one from a 32-byte seed")
		}
		// Keep a copy, as for HMAC secrets: the caller may reuse or wipe
		// its slice.
		private = append(ed25519.PrivateKey(nil), rk...)
		return private, rk.Public(), nil
	case *ecdsa.PrivateKey:
		return rk, &rk.PublicKey, nil
	case *rsa.PrivateKey:
		return rk, &rk.PublicKey, nil
	case []byte:
		return nil, rk, nil // both halves: newAlgorithm signs with newKey's copy
	case ed25519.PublicKey, *ecdsa.PublicKey, *rsa.PublicKey:
		return nil, nil, src.fail("signing needs the private key (public keys belong in Config.VerifyKeys)")
	}
	return nil, nil, src.fail(wantKey)
}

// wantKey lists what Config.Key and Config.VerifyKeys take.
const wantKey = "want an Ed25519, ECDSA or RSA key, an HMAC secret ([]byte) or a jwk.Key"

// halvesMatch reports whether a private key's public half is the one its
// private half makes: a key that fails would sign tokens its own public
// key refuses. A JWK's "d" that does not belong to its "x" ends up here.
func halvesMatch(private any) bool {
	switch k := private.(type) {
	case ed25519.PrivateKey:
		return bytes.Equal(ed25519.NewKeyFromSeed(k.Seed()), k)
	case *ecdsa.PrivateKey:
		d, err := k.Bytes()
		if err != nil {
			return false
		}
		derived, err := ecdsa.ParseRawPrivateKey(k.Curve, d)
		return err == nil && derived.PublicKey.Equal(&k.PublicKey)
	case *rsa.PrivateKey:
		return k.Validate() == nil
	}
	return true
}

// newVerifyKey prepares a verification-only key: a public key, a private key
// (its public half is used), an HMAC secret, or a jwk.Key. Its errors name
// no field: it reads the keys of a JWK Set, and config.go names
// Config.VerifyKeys with prepareVerifyKey.
func newVerifyKey(k any) (*key, error) {
	return prepareVerifyKey(k, "the verification key")
}

// prepareVerifyKey is newVerifyKey for a key that field names.
func prepareVerifyKey(k any, field string) (*key, error) {
	raw, alg, kid, err := rawKey(k, field)
	if err != nil {
		return nil, err
	}
	src := keySource{field: field, given: describeInput(k, raw), kidFrom: jwkKid}
	if alg != "" {
		src.algFrom = `the JWK's "alg"`
	}
	switch rk := raw.(type) {
	case ed25519.PrivateKey:
		if len(rk) != ed25519.PrivateKeySize {
			return nil, src.fail("ed25519.NewKeyFromSeed makes one from a 32-byte seed")
		}
		raw = rk.Public()
	case *ecdsa.PrivateKey:
		raw = &rk.PublicKey
	case *rsa.PrivateKey:
		raw = &rk.PublicKey
	}
	return newKeyFrom(raw, alg, kid, src)
}

// describeInput describes the key as the caller gave it: raw, unwrapped
// from k when k is a jwk.Key.
func describeInput(k, raw any) string {
	if _, ok := k.(jwk.Key); ok {
		return describeKey(raw) + " (a jwk.Key)"
	}
	return describeKey(raw)
}

// rawKey unwraps a jwk.Key into its raw key, algorithm and key ID; field
// names k in errors.
func rawKey(k any, field string) (raw any, alg, kid string, err error) {
	jk, ok := k.(jwk.Key)
	if !ok {
		src := keySource{field: field, given: describeKey(k)}
		if _, ok := k.(string); ok {
			return nil, "", "", src.fail("an HMAC secret must be a []byte of random bytes, not a string")
		}
		if incomplete(k) {
			return nil, "", "", src.fail("it holds no usable key (did loading it fail?)")
		}
		return k, "", "", nil
	}
	if err := jk.Raw(&raw); err != nil {
		return nil, "", "", withDetail(ErrInvalidKey, fmt.Sprintf("%s, a jwk.Key of type %q, cannot be read: %v", field, jk.KeyType(), err))
	}
	if a := jk.Algorithm(); a != nil {
		alg = a.String()
	}
	return raw, alg, jk.KeyID(), nil
}

// incomplete reports a key pointer that is nil or lacks a number New or
// Issue would use: a key left nil by a failed load, or a zero struct.
func incomplete(k any) bool {
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		return k == nil || k.D == nil || incomplete(&k.PublicKey)
	case *ecdsa.PublicKey:
		return k == nil || k.Curve == nil || k.X == nil || k.Y == nil
	case *rsa.PrivateKey:
		return k == nil || k.D == nil || incomplete(&k.PublicKey)
	case *rsa.PublicKey:
		return k == nil || k.N == nil
	}
	return false
}

// newKey checks that public suits alg (choosing alg from the key when empty)
// and derives the key ID when kid is empty.
func newKey(public any, alg, kid string) (*key, error) {
	src := keySource{field: "the key", given: describeKey(public), algFrom: "the algorithm", kidFrom: "the key ID"}
	if alg == "" {
		src.algFrom = ""
	}
	return newKeyFrom(public, alg, kid, src)
}

// newKeyFrom is newKey for a key from src.
func newKeyFrom(public any, alg, kid string, src keySource) (*key, error) {
	if kid != "" && string(appendString(nil, kid)) != `"`+kid+`"` {
		// The header reader accepts only strings written without escapes,
		// so a kid JSON must escape would make every token unverifiable.
		from := fmt.Sprintf("%s %q", src.kidFrom, kid)
		if src.kidFrom == jwkKid {
			from += " of " + src.field
		}
		return nil, withDetail(ErrInvalidKey, from+" has characters JSON escapes (quotes, backslashes, control characters, <, >, &, invalid UTF-8)")
	}
	k := &key{id: kid, alg: alg, public: public}
	if err := k.checkAlgorithm(src); err != nil {
		return nil, err
	}
	a, err := newAlgorithm(k.alg, k.public, nil)
	if err != nil {
		return nil, err
	}
	k.algo = a
	if k.id == "" {
		id, err := deriveKeyID(k.public, k.hmac)
		if err != nil {
			return nil, err
		}
		k.id = id
	}
	return k, nil
}

// checkAlgorithm checks that k.public is usable with k.alg, choosing the
// algorithm from the key when k.alg is empty.
func (k *key) checkAlgorithm(src keySource) error {
	want, problem := keyAlgorithm(k.public)
	if problem != "" {
		return src.fail(problem)
	}
	if k.alg == "" {
		k.alg = want
	}
	switch pub := k.public.(type) {
	case *rsa.PublicKey:
		switch k.alg {
		case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
			return nil
		}
	case []byte:
		k.hmac = true
		min, ok := minHMACLen[k.alg]
		if !ok {
			break
		}
		if len(pub) < min {
			return src.fail(fmt.Sprintf("%s needs at least %d bytes", src.algName(k.alg), min))
		}
		// Keep a copy: the caller may reuse its slice.
		k.public = append([]byte(nil), pub...)
		return nil
	default:
		if k.alg == want {
			return nil
		}
	}
	return src.mismatch(k.alg)
}

// keyAlgorithm returns the algorithm public is used with by default, or
// what is wrong with it.
func keyAlgorithm(public any) (alg, problem string) {
	switch pub := public.(type) {
	case ed25519.PublicKey:
		if len(pub) != ed25519.PublicKeySize {
			return "", "its key material is truncated or padded"
		}
		return "EdDSA", ""
	case *ecdsa.PublicKey:
		switch pub.Curve {
		case elliptic.P256():
			return "ES256", ""
		case elliptic.P384():
			return "ES384", ""
		case elliptic.P521():
			return "ES512", ""
		}
		return "", "ECDSA needs P-256 (ES256), P-384 (ES384) or P-521 (ES512)"
	case *rsa.PublicKey:
		if pub.N.BitLen() < 2048 {
			return "", "at least 2048 bits are required"
		}
		return "RS256", ""
	case []byte:
		return "HS256", ""
	}
	return "", wantKey
}

// algMismatch is sig.go's error for an algorithm bound to a key it does not
// fit, which newKeyFrom's checks leave no way to reach from a Config.
func algMismatch(alg string, public any) error {
	return keySource{field: "the key", given: describeKey(public), algFrom: "the algorithm"}.mismatch(alg)
}

// deriveKeyID names a key when the configuration does not: the RFC 7638
// thumbprint for public keys; for HMAC secrets, a hash under a fixed label, so
// the kid reveals nothing usable about the secret.
func deriveKeyID(public any, hmac bool) (string, error) {
	if hmac {
		h := sha256.New()
		h.Write([]byte("freshtoken hmac key id\x00"))
		h.Write(public.([]byte))
		return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12]), nil
	}
	jk, err := jwk.FromRaw(public)
	if err != nil {
		return "", withDetail(ErrInvalidKey, err.Error())
	}
	tp, err := jk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", withDetail(ErrInvalidKey, err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// The JWKs of keyfile.go, whose jwx calls stay in this file.

// parseJWK reads one JWK, which keyfile.go has checked is one JSON object:
// the raw key, or the jwk.Key itself when it carries an "alg" or "kid",
// which the raw key would lose.
func parseJWK(data []byte) (any, error) {
	jk, err := jwk.ParseKey(data)
	if err != nil {
		return nil, withDetail(ErrInvalidKey, "the JWK cannot be read: "+err.Error())
	}
	raw, alg, kid, err := rawKey(jk, "the JWK")
	if err != nil {
		return nil, err
	}
	if alg != "" || kid != "" {
		return jk, nil
	}
	return raw, nil
}

// withAlg returns k as a jwk.Key whose "alg" is alg, keeping the other
// members of a jwk.Key.
func withAlg(k any, alg string) (any, error) {
	var jk jwk.Key
	var err error
	if in, ok := k.(jwk.Key); ok {
		jk, err = in.Clone()
	} else {
		jk, err = jwk.FromRaw(k)
	}
	if err == nil {
		err = jk.Set(jwk.AlgorithmKey, alg)
	}
	if err != nil {
		return nil, withDetail(ErrInvalidKey, fmt.Sprintf("cannot make a JWK of %s: %v", describeKey(k), err))
	}
	return jk, nil
}

// marshalJWK writes k, a jwk.Key, as JSON, or reports false for any other k.
func marshalJWK(k any) ([]byte, bool, error) {
	jk, ok := k.(jwk.Key)
	if !ok {
		return nil, false, nil
	}
	b, err := json.Marshal(jk)
	if err != nil {
		return nil, true, withDetail(ErrInvalidKey, fmt.Sprintf("cannot write the jwk.Key of type %q: %v", jk.KeyType(), err))
	}
	return b, true, nil
}
