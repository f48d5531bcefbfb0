package freshtoken

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"sync"
)

// This file holds the JWS signature algorithms (RFC 7518 §3), on the
// standard library alone. A key gets its algorithm once, when newKey has
// checked that the key suits it, bound to the key's material: the algorithm
// comes from configuration, never from a token (RFC 8725 §2.1), and a
// signature costs no lookup by name or key type.

// algorithm signs and verifies under one JWS algorithm with one key. Both
// methods are safe for concurrent use and only read their arguments, during
// the call (parseOwn and seal hand them pooled buffers).
type algorithm interface {
	// sign fails for a verification key, but for an HMAC secret, which is
	// both halves.
	sign(input []byte) ([]byte, error)
	// verify never panics, whatever sig holds.
	verify(input, sig []byte) bool
}

func (k *signingKey) sign(input []byte) ([]byte, error) {
	return k.algo.sign(input)
}

func (k *key) verify(input, sig []byte) bool {
	return k.algo.verify(input, sig)
}

var errNoPrivateKey = errors.New("a verification key cannot sign")

// newAlgorithm binds alg to public and, for a signing key, private (nil for
// a verification key; unused for an HMAC secret, which public is). newKey
// has checked that public suits alg, and newSigningKey that private is
// public's other half.
func newAlgorithm(alg string, public, private any) (algorithm, error) {
	var a algorithm
	ok := false
	switch alg {
	case "HS256", "HS384", "HS512":
		var secret []byte
		if secret, ok = public.([]byte); ok {
			a = newHMAC(shaFor(alg), secret)
		}
	case "EdDSA":
		e := &ed25519Alg{}
		if e.pub, ok = public.(ed25519.PublicKey); ok {
			e.priv, ok = optional[ed25519.PrivateKey](private)
		}
		a = e
	case "ES256", "ES384", "ES512":
		e := &ecdsaAlg{hash: shaFor(alg)}
		if e.pub, ok = public.(*ecdsa.PublicKey); ok {
			e.size = (e.pub.Curve.Params().BitSize + 7) / 8
			e.priv, ok = optional[*ecdsa.PrivateKey](private)
		}
		a = e
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		r := &rsaAlg{hash: shaFor(alg)}
		if alg[0] == 'P' {
			// RFC 7518 §3.5: the salt is as long as the hash, on both
			// sides. Verifying with PSSSaltLengthAuto would take any
			// salt length, which no JWS signer needs.
			r.pss = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: r.hash}
		}
		if r.pub, ok = public.(*rsa.PublicKey); ok {
			r.priv, ok = optional[*rsa.PrivateKey](private)
		}
		a = r
	default:
		return nil, withDetail(ErrInvalidKey, fmt.Sprintf("unsupported algorithm %q", alg))
	}
	if !ok {
		return nil, algMismatch(alg, public)
	}
	return a, nil
}

// optional returns private as a K, or the zero K when private is nil.
func optional[K any](private any) (K, bool) {
	if private == nil {
		var zero K
		return zero, true
	}
	k, ok := private.(K)
	return k, ok
}

// shaFor is the hash an algorithm name ends with: 256, 384 or 512 (every
// JWS algorithm but EdDSA, which hashes by itself).
func shaFor(alg string) crypto.Hash {
	switch alg[len(alg)-3:] {
	case "384":
		return crypto.SHA384
	case "512":
		return crypto.SHA512
	}
	return crypto.SHA256
}

// digest returns input's hash under h, written into d: the fixed-size sums
// of crypto/sha256 and crypto/sha512 allocate nothing, where h.New() would.
func digest(h crypto.Hash, input []byte, d *[sha512.Size]byte) []byte {
	switch h {
	case crypto.SHA384:
		s := sha512.Sum384(input)
		return d[:copy(d[:], s[:])]
	case crypto.SHA512:
		s := sha512.Sum512(input)
		return d[:copy(d[:], s[:])]
	}
	s := sha256.Sum256(input)
	return d[:copy(d[:], s[:])]
}

// hmacAlg is HS256, HS384 or HS512 (RFC 7518 §3.2). hmac.New hashes the
// secret into its pads, and Reset goes back to that state without
// rehashing it; pooling the keyed states saves that work and the
// allocations on every call.
type hmacAlg struct {
	states sync.Pool // of *hmacState
}

// hmacState is a keyed HMAC and room for its sum: a buffer on verify's
// stack would move to the heap on every call, as the hash.Hash interface
// lets Sum keep it for all the compiler knows.
type hmacState struct {
	mac hash.Hash
	sum [sha512.Size]byte
}

func newHMAC(h crypto.Hash, secret []byte) *hmacAlg {
	a := &hmacAlg{}
	a.states.New = func() any { return &hmacState{mac: hmac.New(h.New, secret)} }
	return a
}

// sum returns input's MAC and the state holding it, which the caller puts
// back in the pool once done with the MAC.
func (a *hmacAlg) sum(input []byte) (*hmacState, []byte) {
	st := a.states.Get().(*hmacState)
	st.mac.Reset()
	st.mac.Write(input)
	return st, st.mac.Sum(st.sum[:0])
}

func (a *hmacAlg) sign(input []byte) ([]byte, error) {
	st, sum := a.sum(input)
	out := append([]byte(nil), sum...)
	a.states.Put(st)
	return out, nil
}

func (a *hmacAlg) verify(input, sig []byte) bool {
	st, sum := a.sum(input)
	// Constant time: how much of a forged MAC was right must not show.
	ok := hmac.Equal(sum, sig)
	a.states.Put(st)
	return ok
}

// ed25519Alg is EdDSA with Ed25519 (RFC 8037 §3.1).
type ed25519Alg struct {
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
}

func (a *ed25519Alg) sign(input []byte) ([]byte, error) {
	if a.priv == nil {
		return nil, errNoPrivateKey
	}
	return ed25519.Sign(a.priv, input), nil
}

func (a *ed25519Alg) verify(input, sig []byte) bool {
	return len(sig) == ed25519.SignatureSize && ed25519.Verify(a.pub, input, sig)
}

// ecdsaAlg is ES256, ES384 or ES512 (RFC 7518 §3.4). JWS writes the
// signature as r‖s, each left-padded to size bytes, where crypto/ecdsa's
// SignASN1 and VerifyASN1 use DER.
//
// ecdsa.Verify accepts (r, n−s) as well as (r, s). That is kept: other
// signers do not normalise s, and SECURITY.md says why it grants nothing.
type ecdsaAlg struct {
	pub  *ecdsa.PublicKey
	priv *ecdsa.PrivateKey
	hash crypto.Hash
	size int // 32, 48 or 66: the curve's size in bytes
}

// ecdsaScalars holds pairs of big.Ints for verify's r and s, which keep
// the room their words took: converting r‖s then allocates nothing after
// the first few calls. (Words on verify's stack would not stay there:
// big.Int.SetBits stores through a pointer, which escape analysis sends to
// the heap.) ecdsa.Verify only reads r and s, during the call.
var ecdsaScalars = sync.Pool{New: func() any { return new([2]big.Int) }}

func (a *ecdsaAlg) sign(input []byte) ([]byte, error) {
	if a.priv == nil {
		return nil, errNoPrivateKey
	}
	var d [sha512.Size]byte
	r, s, err := ecdsa.Sign(rand.Reader, a.priv, digest(a.hash, input, &d))
	if err != nil {
		return nil, err
	}
	out := make([]byte, 2*a.size)
	r.FillBytes(out[:a.size]) // r and s are below the curve order, so they fit
	s.FillBytes(out[a.size:])
	return out, nil
}

func (a *ecdsaAlg) verify(input, sig []byte) bool {
	// Any other length, DER included, is not a JWS ECDSA signature.
	if len(sig) != 2*a.size {
		return false
	}
	// ecdsa.Verify refuses zero, and values not below the curve order.
	rs := ecdsaScalars.Get().(*[2]big.Int)
	r, s := rs[0].SetBytes(sig[:a.size]), rs[1].SetBytes(sig[a.size:])
	var d [sha512.Size]byte
	ok := ecdsa.Verify(a.pub, digest(a.hash, input, &d), r, s)
	ecdsaScalars.Put(rs)
	return ok
}

// rsaAlg is RS256/384/512 (RSASSA-PKCS1-v1_5, RFC 7518 §3.3) or, with pss
// set, PS256/384/512 (RSASSA-PSS, §3.5).
type rsaAlg struct {
	pub  *rsa.PublicKey
	priv *rsa.PrivateKey
	hash crypto.Hash
	pss  *rsa.PSSOptions // nil for PKCS #1 v1.5
}

func (a *rsaAlg) sign(input []byte) ([]byte, error) {
	if a.priv == nil {
		return nil, errNoPrivateKey
	}
	var d [sha512.Size]byte
	hashed := digest(a.hash, input, &d)
	if a.pss != nil {
		return rsa.SignPSS(rand.Reader, a.priv, a.hash, hashed, a.pss)
	}
	return rsa.SignPKCS1v15(nil, a.priv, a.hash, hashed) // deterministic: no randomness
}

func (a *rsaAlg) verify(input, sig []byte) bool {
	var d [sha512.Size]byte
	hashed := digest(a.hash, input, &d)
	if a.pss != nil {
		return rsa.VerifyPSS(a.pub, a.hash, hashed, sig, a.pss) == nil
	}
	return rsa.VerifyPKCS1v15(a.pub, a.hash, hashed, sig) == nil
}
