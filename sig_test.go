package freshtoken

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// sigInput is a signing input of the usual shape and size.
var sigInput = []byte("eyJhbGciOiJFUzI1NiIsImtpZCI6IkJ6VjRzbE1uTjVRRnY4bVlKaXdDIiwidHlwIjoiYXQrand0In0." +
	"eyJpc3MiOiJodHRwczovL2F1dGguZXhhbXBsZS5jb20iLCJzdWIiOiJ1c2VyLTQyIiwiaWF0IjoxNzcyMzU1NjAwLCJleHAiOjE3NzIzNTY1MDAsImp0aSI6IjNmOGQ5YzJlIiwidHlwZSI6ImFjY2VzcyIsImZyZXNoIjp0cnVlfQ")

// sigCase is one JWS algorithm with a key for it.
type sigCase struct {
	alg     string
	private any // as Config.Key takes it
	public  any // as a verifier takes it
}

func sigCases() []sigCase {
	k := testKeys()
	var out []sigCase
	for _, alg := range []string{"HS256", "HS384", "HS512"} {
		secret := map[string][]byte{"HS256": k.hs256, "HS384": k.hs384, "HS512": k.hs512}[alg]
		out = append(out, sigCase{alg, secret, secret})
	}
	out = append(out,
		sigCase{"EdDSA", k.ed, k.ed.Public()},
		sigCase{"ES256", k.p256, &k.p256.PublicKey},
		sigCase{"ES384", k.p384, &k.p384.PublicKey},
		sigCase{"ES512", k.p521, &k.p521.PublicKey},
	)
	for _, alg := range []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"} {
		out = append(out, sigCase{alg, k.rsa, &k.rsa.PublicKey})
	}
	return out
}

func (c sigCase) signingKey(t testing.TB) *signingKey {
	t.Helper()
	sk, err := newSigningKey(c.private, c.alg, "")
	if err != nil {
		t.Fatalf("newSigningKey(%T, %s): %v", c.private, c.alg, err)
	}
	return sk
}

// verifyKey is the key as a verifier holds it: the public half only.
func (c sigCase) verifyKey(t testing.TB) *key {
	t.Helper()
	k, err := newKey(c.public, c.alg, "")
	if err != nil {
		t.Fatalf("newKey(%T, %s): %v", c.public, c.alg, err)
	}
	return k
}

// sigLen is the length of c's signatures: RFC 7518 §3.2–3.5, RFC 8037 §3.1.
func (c sigCase) sigLen() int {
	switch c.alg {
	case "HS256":
		return 32
	case "HS384":
		return 48
	case "HS512", "EdDSA", "ES256":
		return 64
	case "ES384":
		return 96
	case "ES512":
		return 132
	}
	return 256 // the 2048-bit RSA test key
}

func mustSign(t testing.TB, sk *signingKey, input []byte) []byte {
	t.Helper()
	sig, err := sk.sign(input)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return sig
}

func TestSigRoundTrip(t *testing.T) {
	for _, c := range sigCases() {
		t.Run(c.alg, func(t *testing.T) {
			sk, vk := c.signingKey(t), c.verifyKey(t)
			sig := mustSign(t, sk, sigInput)
			if len(sig) != c.sigLen() {
				t.Errorf("signature has %d bytes, want %d", len(sig), c.sigLen())
			}
			if !sk.verify(sigInput, sig) {
				t.Error("the signing key does not verify its own signature")
			}
			if !vk.verify(sigInput, sig) {
				t.Error("the verification key does not verify the signature")
			}
			other := bytes.Clone(sigInput)
			other[len(other)-1] ^= 1
			if vk.verify(other, sig) {
				t.Error("the signature verifies for another input")
			}
			if _, err := vk.algo.sign(sigInput); err == nil && !c.isHMAC() {
				t.Error("a verification key signed")
			}
		})
	}
}

func (c sigCase) isHMAC() bool { return c.alg[0] == 'H' }

// TestSigAlgorithmIsTheKeys checks that a signature made under one
// algorithm does not pass a key configured for another, with the same key
// material: the key's algorithm is the only one tried (RFC 8725 §2.1).
func TestSigAlgorithmIsTheKeys(t *testing.T) {
	k := testKeys()
	tests := []struct {
		name      string
		signer    sigCase
		verifyAlg string
		reason    string
	}{
		{"HS256 under HS512", sigCase{"HS256", k.hs512, k.hs512}, "HS512", "a 64-byte secret suits both"},
		{"RS256 under PS256", sigCase{"RS256", k.rsa, &k.rsa.PublicKey}, "PS256", "same RSA key, other padding"},
		{"PS256 under RS256", sigCase{"PS256", k.rsa, &k.rsa.PublicKey}, "RS256", "same RSA key, other padding"},
		{"RS256 under RS384", sigCase{"RS256", k.rsa, &k.rsa.PublicKey}, "RS384", "same RSA key, other hash"},
		{"PS384 under PS256", sigCase{"PS384", k.rsa, &k.rsa.PublicKey}, "PS256", "same RSA key, other hash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig := mustSign(t, tt.signer.signingKey(t), sigInput)
			vk := sigCase{tt.verifyAlg, tt.signer.private, tt.signer.public}.verifyKey(t)
			if vk.verify(sigInput, sig) {
				t.Errorf("a %s signature verifies under %s (%s)", tt.signer.alg, tt.verifyAlg, tt.reason)
			}
		})
	}
}

// TestSigJWXInterop checks every algorithm against jwx's jws, which
// freshtoken used before: signatures each writes verify with the other, at
// the level of signatures and of whole tokens.
func TestSigJWXInterop(t *testing.T) {
	ctx := context.Background()
	for _, c := range sigCases() {
		t.Run(c.alg, func(t *testing.T) {
			alg := jwa.SignatureAlgorithm(c.alg)
			jsigner, err := jws.NewSigner(alg)
			if err != nil {
				t.Fatal(err)
			}
			jverifier, err := jws.NewVerifier(alg)
			if err != nil {
				t.Fatal(err)
			}
			sk, vk := c.signingKey(t), c.verifyKey(t)

			theirs, err := jsigner.Sign(sigInput, c.private)
			if err != nil {
				t.Fatal(err)
			}
			if !vk.verify(sigInput, theirs) {
				t.Error("a signature jwx wrote does not verify with ours")
			}
			if err := jverifier.Verify(sigInput, mustSign(t, sk, sigInput), c.public); err != nil {
				t.Errorf("a signature we wrote does not verify with jwx: %v", err)
			}

			m, _ := newTestManager(t, Config{Key: c.private, Algorithm: c.alg})
			tok := mustIssue(t, m, "user-42").Access
			if _, err := jws.Verify([]byte(tok), jws.WithKey(alg, c.public)); err != nil {
				t.Errorf("jws.Verify refuses our token: %v", err)
			}
			input := tok[:strings.LastIndexByte(tok, '.')]
			theirs, err = jsigner.Sign([]byte(input), c.private)
			if err != nil {
				t.Fatal(err)
			}
			resigned := input + "." + base64.RawURLEncoding.EncodeToString(theirs)
			if _, err := m.RequireAccess(ctx, resigned); err != nil {
				t.Errorf("RequireAccess refuses our token signed again by jwx: %v", err)
			}
		})
	}
}

// badSig is a signature that must not verify, and what is wrong with it.
type badSig struct {
	name string
	sig  []byte
}

// TestSigRefusesBadSignatures checks signatures that are wrong in form or
// in one bit, each made from a good one. None may verify or panic.
func TestSigRefusesBadSignatures(t *testing.T) {
	for _, c := range sigCases() {
		t.Run(c.alg, func(t *testing.T) {
			sk, vk := c.signingKey(t), c.verifyKey(t)
			good := mustSign(t, sk, sigInput)
			flip := func(bit int) []byte {
				s := bytes.Clone(good)
				s[bit/8] ^= 1 << (bit % 8)
				return s
			}
			cases := []badSig{
				{"empty", []byte{}},
				{"nil", nil},
				{"one byte short", good[:len(good)-1]},
				{"one byte long", append(bytes.Clone(good), 0)},
				{"leading zero", append([]byte{0}, good...)},
				{"zeros", make([]byte, len(good))},
				{"first bit flipped", flip(0)},
				{"last bit flipped", flip(8*len(good) - 1)},
			}
			switch c.alg[:2] {
			case "HS":
				// Every single-bit change, as a MAC compared byte by
				// byte with an early exit would still refuse them all
				// but leak which byte differed: hmac.Equal is kept.
				for bit := range 8 * len(good) {
					cases = append(cases, badSig{"bit flipped", flip(bit)})
				}
				cases = append(cases, badSig{"truncated to half", good[:len(good)/2]})
			case "ES":
				cases = append(cases, ecdsaBadSignatures(t, c, good)...)
			case "PS":
				cases = append(cases, pssOtherSalts(t, c)...)
			}
			for _, b := range cases {
				if vk.verify(sigInput, b.sig) {
					t.Errorf("%s: %x verifies", b.name, b.sig)
				}
			}
		})
	}
}

// ecdsaBadSignatures are ES signatures in a form other than JWS's
// fixed-length r‖s (RFC 7518 §3.4), or with r or s out of range.
func ecdsaBadSignatures(t *testing.T, c sigCase, good []byte) []badSig {
	t.Helper()
	priv := c.private.(*ecdsa.PrivateKey)
	n := priv.Curve.Params().N
	size := len(good) / 2
	var d [64]byte
	der, err := ecdsa.SignASN1(rand.Reader, priv, digest(shaFor(c.alg), sigInput, &d))
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(&priv.PublicKey, digest(shaFor(c.alg), sigInput, &d), der) {
		t.Fatal("the DER signature is not valid, so refusing it proves nothing")
	}
	withR := func(r *big.Int) []byte {
		s := bytes.Clone(good)
		r.FillBytes(s[:size])
		return s
	}
	withS := func(v *big.Int) []byte {
		s := bytes.Clone(good)
		v.FillBytes(s[size:])
		return s
	}
	out := []badSig{
		{"DER (ASN.1), valid as such", der},
		{"r and s each padded one byte more", slices.Concat([]byte{0}, good[:size], []byte{0}, good[size:])},
		{"r = 0", withR(new(big.Int))},
		{"s = 0", withS(new(big.Int))},
		{"r = n", withR(n)},
		{"s = n", withS(n)},
	}
	// r + n and s + n are r and s modulo n; only P-521 leaves room
	// for them in size bytes.
	r := new(big.Int).SetBytes(good[:size])
	s := new(big.Int).SetBytes(good[size:])
	if rn := new(big.Int).Add(r, n); rn.BitLen() <= 8*size {
		out = append(out, badSig{"r + n", withR(rn)})
	}
	if sn := new(big.Int).Add(s, n); sn.BitLen() <= 8*size {
		out = append(out, badSig{"s + n", withS(sn)})
	}
	return out
}

// pssOtherSalts are PS signatures, valid under a salt of any length,
// whose salt is not as long as the hash (RFC 7518 §3.5).
func pssOtherSalts(t *testing.T, c sigCase) []badSig {
	t.Helper()
	priv := c.private.(*rsa.PrivateKey)
	h := shaFor(c.alg)
	var d [64]byte
	hashed := digest(h, sigInput, &d)
	var out []badSig
	for _, salt := range []struct {
		name string
		len  int
	}{{"salt 0", 0}, {"salt 20", 20}, {"salt one byte longer than the hash", h.Size() + 1}, {"longest salt", rsa.PSSSaltLengthAuto}} {
		sig, err := rsa.SignPSS(rand.Reader, priv, h, hashed, &rsa.PSSOptions{SaltLength: salt.len})
		if err != nil {
			t.Fatal(err)
		}
		if err := rsa.VerifyPSS(&priv.PublicKey, h, hashed, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}); err != nil {
			t.Fatalf("%s: not a valid PSS signature, so refusing it proves nothing: %v", salt.name, err)
		}
		out = append(out, badSig{salt.name, sig})
	}
	return out
}

// TestSigECDSAKeepsBothSpellings pins what SECURITY.md documents: (r, n−s)
// verifies as (r, s) does, because other signers do not normalise s.
func TestSigECDSAKeepsBothSpellings(t *testing.T) {
	for _, c := range sigCases() {
		if c.alg[:2] != "ES" {
			continue
		}
		t.Run(c.alg, func(t *testing.T) {
			good := mustSign(t, c.signingKey(t), sigInput)
			size := len(good) / 2
			n := c.private.(*ecdsa.PrivateKey).Curve.Params().N
			s := new(big.Int).SetBytes(good[size:])
			other := bytes.Clone(good)
			new(big.Int).Sub(n, s).FillBytes(other[size:])
			if !c.verifyKey(t).verify(sigInput, other) {
				t.Error("(r, n−s) does not verify")
			}
		})
	}
}

// TestSigHMACConcurrent shares one HMAC key, and so its pool of keyed
// states, between goroutines that verify good and bad MACs and sign; run
// it with -race.
func TestSigHMACConcurrent(t *testing.T) {
	c := sigCases()[0]
	sk := c.signingKey(t)
	inputs := [][]byte{sigInput, []byte("a.b"), bytes.Repeat([]byte("x"), 3000)}
	var want [][]byte
	for _, in := range inputs {
		mac := hmac.New(sha256.New, c.private.([]byte))
		mac.Write(in)
		want = append(want, mac.Sum(nil))
	}
	var wg sync.WaitGroup
	for g := range 8 * runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range 200 {
				j := (g + i) % len(inputs)
				if !sk.verify(inputs[j], want[j]) {
					t.Error("a good MAC does not verify")
					return
				}
				if sk.verify(inputs[j], want[(j+1)%len(inputs)]) {
					t.Error("another input's MAC verifies")
					return
				}
				if got := mustSign(t, sk, inputs[j]); !bytes.Equal(got, want[j]) {
					t.Errorf("sign: got %x, want %x", got, want[j])
					return
				}
			}
		})
	}
	wg.Wait()
}

// raceEnabled reports a test binary built with -race, under which
// sync.Pool drops items at random and allocation counts mean little.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// TestSigAllocs pins the allocations of verifying: none for HMAC and
// Ed25519, and for ECDSA none beyond ecdsa.Verify's own.
func TestSigAllocs(t *testing.T) {
	if raceEnabled() {
		t.Skip("allocation counts are not stable under -race")
	}
	for _, c := range sigCases() {
		t.Run(c.alg, func(t *testing.T) {
			k := c.verifyKey(t)
			sig := mustSign(t, c.signingKey(t), sigInput)
			got := testing.AllocsPerRun(100, func() {
				if !k.verify(sigInput, sig) {
					t.Fatal("does not verify")
				}
			})
			var want float64
			switch c.alg[:2] {
			case "ES":
				size := len(sig) / 2
				r := new(big.Int).SetBytes(sig[:size])
				s := new(big.Int).SetBytes(sig[size:])
				var d [64]byte
				hashed := digest(shaFor(c.alg), sigInput, &d)
				want = testing.AllocsPerRun(100, func() {
					ecdsa.Verify(c.public.(*ecdsa.PublicKey), hashed, r, s)
				})
			case "RS", "PS":
				return // crypto/rsa allocates as it must; not pinned
			}
			if got > want {
				t.Errorf("verify makes %v allocations, want at most %v", got, want)
			}
		})
	}
}

// sigBench is one algorithm as the signature benchmarks use it: a Manager,
// a fresh access token, and that token split into signing input and signature.
type sigBench struct {
	alg    string
	m      *Manager
	access string
	input  []byte
	sig    []byte
}

func newSigBench(b *testing.B, alg string, k any) sigBench {
	b.Helper()
	m, _ := newTestManager(b, Config{Key: k, Algorithm: alg, Issuer: "https://auth.example.com"})
	p := mustIssue(b, m, "user-42", WithClaims(map[string]any{"role": "admin"}))
	dot := strings.LastIndexByte(p.Access, '.')
	sig, err := base64.RawURLEncoding.DecodeString(p.Access[dot+1:])
	if err != nil {
		b.Fatal(err)
	}
	return sigBench{alg: alg, m: m, access: p.Access, input: []byte(p.Access[:dot]), sig: sig}
}

// BenchmarkSignatures measures, for each algorithm, the bare standard
// library call a signature comes down to, the package's verify and sign,
// and for HS256, ES256 and EdDSA the whole RequireFresh guard, so that the
// guard's overhead over the cryptography can be read off one run.
func BenchmarkSignatures(b *testing.B) {
	ks := testKeys()
	ctx := context.Background()
	for _, c := range []struct {
		alg   string
		key   any
		guard bool
	}{
		{"HS256", ks.hs256, true}, {"HS384", ks.hs384, false}, {"HS512", ks.hs512, false},
		{"EdDSA", ks.ed, true},
		{"ES256", ks.p256, true}, {"ES384", ks.p384, false}, {"ES512", ks.p521, false},
		{"RS256", ks.rsa, false}, {"PS256", ks.rsa, false},
	} {
		sb := newSigBench(b, c.alg, c.key)
		switch c.alg {
		case "HS256":
			b.Run(c.alg+"/bare=hmac.New", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					mac := hmac.New(sha256.New, ks.hs256)
					mac.Write(sb.input)
					if !hmac.Equal(mac.Sum(nil), sb.sig) {
						b.Fatal("bare HMAC does not verify")
					}
				}
			})
			b.Run(c.alg+"/bare=hmac.Reset", func(b *testing.B) {
				b.ReportAllocs()
				mac := hmac.New(sha256.New, ks.hs256)
				var sum [sha256.Size]byte
				for b.Loop() {
					mac.Reset()
					mac.Write(sb.input)
					if !hmac.Equal(mac.Sum(sum[:0]), sb.sig) {
						b.Fatal("bare HMAC does not verify")
					}
				}
			})
		case "EdDSA":
			b.Run(c.alg+"/bare=ed25519.Verify", func(b *testing.B) {
				b.ReportAllocs()
				pub := ks.ed.Public().(ed25519.PublicKey)
				for b.Loop() {
					if !ed25519.Verify(pub, sb.input, sb.sig) {
						b.Fatal("bare ed25519 does not verify")
					}
				}
			})
		case "ES256":
			b.Run(c.alg+"/bare=ecdsa.Verify", func(b *testing.B) {
				b.ReportAllocs()
				r := new(big.Int).SetBytes(sb.sig[:32])
				s := new(big.Int).SetBytes(sb.sig[32:])
				for b.Loop() {
					h := sha256.Sum256(sb.input)
					if !ecdsa.Verify(&ks.p256.PublicKey, h[:], r, s) {
						b.Fatal("bare ecdsa does not verify")
					}
				}
			})
		}
		b.Run(c.alg+"/verify", func(b *testing.B) {
			b.ReportAllocs()
			k := sb.m.signer()
			for b.Loop() {
				if !k.verify(sb.input, sb.sig) {
					b.Fatal("does not verify")
				}
			}
		})
		b.Run(c.alg+"/sign", func(b *testing.B) {
			b.ReportAllocs()
			k := sb.m.signer()
			for b.Loop() {
				if _, err := k.sign(sb.input); err != nil {
					b.Fatal(err)
				}
			}
		})
		if c.guard {
			b.Run(c.alg+"/RequireFresh", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := sb.m.RequireFresh(ctx, sb.access); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
