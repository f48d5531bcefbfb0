package freshtoken

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// This file reads and checks keys; sig.go signs and verifies with them. jwx
// is used for keys and thumbprints only (jwk.Key inputs, RFC 7638 key IDs),
// here and in jwks.go, which keeps a move off jwx v2 small.

// key is one configured key: the signing key, or a verification-only one.
type key struct {
	id     string
	alg    string
	public any // the public key, or the HMAC secret ([]byte)
	hmac   bool
	remote bool // from NewVerifier's JWK Set, which may drop it

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

// newSigningKey checks k (with the configured algorithm and key ID, which may
// be empty) and prepares it for signing and verifying.
func newSigningKey(k any, alg, kid string) (*signingKey, error) {
	raw, jwkAlg, jwkID, err := rawKey(k)
	if err != nil {
		return nil, err
	}
	if alg == "" {
		alg = jwkAlg
	}
	if kid == "" {
		kid = jwkID
	}
	var private, public any
	switch rk := raw.(type) {
	case ed25519.PrivateKey:
		if len(rk) != ed25519.PrivateKeySize {
			return nil, withDetail(ErrInvalidKey, "ed25519 private key has the wrong length")
		}
		// Keep a copy, as for HMAC secrets below: the caller may reuse or
		// wipe its slice.
		private = append(ed25519.PrivateKey(nil), rk...)
		public = rk.Public()
	case *ecdsa.PrivateKey:
		private, public = rk, &rk.PublicKey
	case *rsa.PrivateKey:
		private, public = rk, &rk.PublicKey
	case []byte:
		public = rk // both halves: newAlgorithm signs with newKey's copy
	case ed25519.PublicKey, *ecdsa.PublicKey, *rsa.PublicKey:
		return nil, withDetail(ErrInvalidKey, fmt.Sprintf("Config.Key is a public key (%T); it needs the private key to sign (put public keys in VerifyKeys)", k))
	default:
		return nil, withDetail(ErrInvalidKey, fmt.Sprintf("unsupported key type %T", k))
	}
	pk, err := newKey(public, alg, kid)
	if err != nil {
		return nil, err
	}
	if pk.algo, err = newAlgorithm(pk.alg, pk.public, private); err != nil {
		return nil, err
	}
	return &signingKey{key: *pk}, nil
}

// newVerifyKey prepares a verification-only key: a public key, a private key
// (its public half is used), an HMAC secret, or a jwk.Key.
func newVerifyKey(k any) (*key, error) {
	raw, alg, kid, err := rawKey(k)
	if err != nil {
		return nil, err
	}
	switch rk := raw.(type) {
	case ed25519.PrivateKey:
		raw = rk.Public()
	case *ecdsa.PrivateKey:
		raw = &rk.PublicKey
	case *rsa.PrivateKey:
		raw = &rk.PublicKey
	}
	return newKey(raw, alg, kid)
}

// rawKey unwraps a jwk.Key into its raw key, algorithm and key ID.
func rawKey(k any) (raw any, alg, kid string, err error) {
	jk, ok := k.(jwk.Key)
	if !ok {
		if _, ok := k.(string); ok {
			return nil, "", "", withDetail(ErrInvalidKey, "an HMAC secret must be a []byte, not a string")
		}
		if incomplete(k) {
			return nil, "", "", withDetail(ErrInvalidKey, fmt.Sprintf("the %T is nil or lacks its key material", k))
		}
		return k, "", "", nil
	}
	if err := jk.Raw(&raw); err != nil {
		return nil, "", "", withDetail(ErrInvalidKey, err.Error())
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
	if kid != "" && string(appendString(nil, kid)) != `"`+kid+`"` {
		// The header reader accepts only strings written without escapes,
		// so a kid JSON must escape would make every token unverifiable.
		return nil, withDetail(ErrInvalidKey, fmt.Sprintf("key ID %q has characters JSON escapes (quotes, backslashes, control characters, <, >, &)", kid))
	}
	k := &key{id: kid, alg: alg, public: public}
	if err := k.checkAlgorithm(); err != nil {
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
func (k *key) checkAlgorithm() error {
	want, err := keyAlgorithm(k.public)
	if err != nil {
		return err
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
			return withDetail(ErrInvalidKey, fmt.Sprintf("%s secret has %d bytes, at least %d are required", k.alg, len(pub), min))
		}
		// Keep a copy: the caller may reuse its slice.
		k.public = append([]byte(nil), pub...)
		return nil
	default:
		if k.alg == want {
			return nil
		}
	}
	return algMismatch(k.alg, k.public)
}

// keyAlgorithm checks public and returns the algorithm it is used with by
// default.
func keyAlgorithm(public any) (string, error) {
	switch pub := public.(type) {
	case ed25519.PublicKey:
		if len(pub) != ed25519.PublicKeySize {
			return "", withDetail(ErrInvalidKey, "ed25519 public key has the wrong length")
		}
		return "EdDSA", nil
	case *ecdsa.PublicKey:
		switch pub.Curve {
		case elliptic.P256():
			return "ES256", nil
		case elliptic.P384():
			return "ES384", nil
		case elliptic.P521():
			return "ES512", nil
		}
		return "", withDetail(ErrInvalidKey, "unsupported ECDSA curve")
	case *rsa.PublicKey:
		if pub.N.BitLen() < 2048 {
			return "", withDetail(ErrInvalidKey, fmt.Sprintf("RSA key has %d bits, at least 2048 are required", pub.N.BitLen()))
		}
		return "RS256", nil
	case []byte:
		return "HS256", nil
	}
	return "", withDetail(ErrInvalidKey, fmt.Sprintf("unsupported key type %T", public))
}

func algMismatch(alg string, public any) error {
	return withDetail(ErrInvalidKey, fmt.Sprintf("algorithm %q does not fit a %T", alg, public))
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
