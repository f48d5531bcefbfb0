package bench

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/golang-jwt/jwt/v5"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
	jwxjwt "github.com/lestrrat-go/jwx/v2/jwt"
)

// Every library reads this clock, so tokens are issued and verified at the
// same instant whatever the wall clock says.
var now = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// The claims every library writes and checks: the ones freshtoken puts in a
// pair, with an issuer and an audience. A second access token also carries
// one application claim ("role"), to show what such claims cost.
const (
	issuer   = "https://auth.example.com"
	audience = "https://api.example.com"
	subject  = "user-42"
	role     = "admin"
	keyID    = "k1"

	accessTTL  = 15 * time.Minute
	refreshTTL = 30 * 24 * time.Hour
)

// The cache-miss runs cycle through missTokens distinct tokens on a cache
// of missCacheSize entries, so (the cache evicting first in, first out)
// every lookup misses.
const (
	missCacheSize = 256
	missTokens    = 4 * missCacheSize // a multiple of missBlock
)

// algorithms are benchmarked in this order: every algorithm freshtoken
// supports that every library here supports too, one of each family.
var algorithms = []string{"HS256", "EdDSA", "ES256", "RS256", "PS256"}

// suite is one algorithm's keys, managers, tokens and competitors' setups.
type suite struct {
	alg string

	signKey, verifyKey any // as every library takes them
	method             jwt.SigningMethod

	// The bare primitive over a signing input, its signature in the
	// primitive's own encoding (ASN.1 DER for ECDSA).
	rawSign   func(input []byte) ([]byte, error)
	rawVerify func(input, sig []byte) bool

	cfg    freshtoken.Config   // m's
	m      *freshtoken.Manager // no cache
	cached *freshtoken.Manager // VerifiedCacheSize large enough for every token used
	missM  *freshtoken.Manager // VerifiedCacheSize missCacheSize

	pair                      *freshtoken.Pair // issued by m at now
	withRole                  *freshtoken.Pair // the same, with a "role" claim
	accessInput, accessSig    []byte           // pair.Access split for the raw cases
	refreshInput, refreshSig  []byte
	missAccess                []string      // missTokens access tokens for the cache-miss runs
	missNext                  atomic.Uint64 // the cache-miss runs' next token (see cacheMissRun)
	accessHeader, refreshHdrs jws.Headers

	jwtParser *jwt.Parser
	jwxParse  []jwxjwt.ParseOption
	kataras   katarasSetup
	jose      joseSetup
	jwx3      jwx3Setup
}

var (
	suitesMu sync.Mutex
	suites   = map[string]*suite{}
)

// suiteFor builds the suite for alg once per process.
func suiteFor(tb testing.TB, alg string) *suite {
	tb.Helper()
	suitesMu.Lock()
	defer suitesMu.Unlock()
	if s, ok := suites[alg]; ok {
		return s
	}
	s, err := newSuite(alg)
	if err != nil {
		tb.Fatalf("setting up %s: %v", alg, err)
	}
	suites[alg] = s
	return s
}

func newSuite(alg string) (*suite, error) {
	s := &suite{alg: alg}
	switch alg {
	case "HS256":
		secret := []byte("0123456789abcdef0123456789abcdef") // 32 bytes, as RFC 8725 asks
		s.signKey, s.verifyKey, s.method = secret, secret, jwt.SigningMethodHS256
		s.rawSign = func(input []byte) ([]byte, error) {
			h := hmac.New(sha256.New, secret)
			h.Write(input)
			return h.Sum(nil), nil
		}
		s.rawVerify = func(input, sig []byte) bool {
			h := hmac.New(sha256.New, secret)
			h.Write(input)
			return hmac.Equal(h.Sum(nil), sig)
		}
	case "EdDSA":
		priv := ed25519.NewKeyFromSeed([]byte("freshtoken benchmark key seed 32"))
		pub := priv.Public().(ed25519.PublicKey)
		s.signKey, s.verifyKey, s.method = priv, pub, jwt.SigningMethodEdDSA
		s.rawSign = func(input []byte) ([]byte, error) { return ed25519.Sign(priv, input), nil }
		s.rawVerify = func(input, sig []byte) bool { return ed25519.Verify(pub, input, sig) }
	case "ES256":
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		s.signKey, s.verifyKey, s.method = priv, &priv.PublicKey, jwt.SigningMethodES256
		s.rawSign = func(input []byte) ([]byte, error) {
			h := sha256.Sum256(input)
			return ecdsa.SignASN1(rand.Reader, priv, h[:])
		}
		s.rawVerify = func(input, sig []byte) bool {
			h := sha256.Sum256(input)
			return ecdsa.VerifyASN1(&priv.PublicKey, h[:], sig)
		}
	case "RS256", "PS256":
		priv, err := rsaKey()
		if err != nil {
			return nil, err
		}
		s.signKey, s.verifyKey, s.method = priv, &priv.PublicKey, jwt.GetSigningMethod(alg)
		// RFC 7518 §3.5: PS256 uses a salt as long as the hash.
		pss := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}
		s.rawSign = func(input []byte) ([]byte, error) {
			h := sha256.Sum256(input)
			if alg == "PS256" {
				return rsa.SignPSS(rand.Reader, priv, crypto.SHA256, h[:], pss)
			}
			return rsa.SignPKCS1v15(nil, priv, crypto.SHA256, h[:])
		}
		s.rawVerify = func(input, sig []byte) bool {
			h := sha256.Sum256(input)
			if alg == "PS256" {
				return rsa.VerifyPSS(&priv.PublicKey, crypto.SHA256, h[:], sig, pss) == nil
			}
			return rsa.VerifyPKCS1v15(&priv.PublicKey, crypto.SHA256, h[:], sig) == nil
		}
	default:
		return nil, fmt.Errorf("unknown algorithm %q", alg)
	}

	cfg := freshtoken.Config{
		Key: s.signKey, Algorithm: alg, KeyID: keyID, Issuer: issuer, Audience: []string{audience},
		AccessTTL: accessTTL, RefreshTTL: refreshTTL, Now: clock,
	}
	s.cfg = cfg
	var err error
	if s.m, err = freshtoken.New(cfg); err != nil {
		return nil, err
	}
	cfg.VerifiedCacheSize = 1024
	if s.cached, err = freshtoken.New(cfg); err != nil {
		return nil, err
	}
	cfg.VerifiedCacheSize = missCacheSize
	if s.missM, err = freshtoken.New(cfg); err != nil {
		return nil, err
	}
	if s.pair, err = s.m.Issue(context.Background(), subject); err != nil {
		return nil, err
	}
	if s.withRole, err = s.m.Issue(context.Background(), subject, roleClaim); err != nil {
		return nil, err
	}
	if s.accessInput, s.accessSig, err = s.splitForRaw(s.pair.Access); err != nil {
		return nil, err
	}
	if s.refreshInput, s.refreshSig, err = s.splitForRaw(s.pair.Refresh); err != nil {
		return nil, err
	}
	for range missTokens {
		p, err := s.m.Issue(context.Background(), subject)
		if err != nil {
			return nil, err
		}
		s.missAccess = append(s.missAccess, p.Access)
	}

	s.jwtParser = jwt.NewParser(
		jwt.WithValidMethods([]string{alg}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(clock),
	)
	s.jwxParse = []jwxjwt.ParseOption{
		jwxjwt.WithKey(jwa.SignatureAlgorithm(alg), s.verifyKey),
		jwxjwt.WithIssuer(issuer),
		jwxjwt.WithAudience(audience),
		jwxjwt.WithClock(jwxjwt.ClockFunc(clock)),
		jwxjwt.WithValidate(true),
		jwxjwt.WithRequiredClaim(jwxjwt.ExpirationKey), // jwx takes a token without exp as never expiring
	}
	s.accessHeader = jws.NewHeaders()
	s.refreshHdrs = jws.NewHeaders()
	for _, h := range []struct {
		hdr jws.Headers
		typ string
	}{{s.accessHeader, "at+jwt"}, {s.refreshHdrs, "refresh+jwt"}} {
		if err := h.hdr.Set(jws.TypeKey, h.typ); err != nil {
			return nil, err
		}
		if err := h.hdr.Set(jws.KeyIDKey, keyID); err != nil {
			return nil, err
		}
	}
	if s.kataras, err = newKatarasSetup(alg); err != nil {
		return nil, err
	}
	if s.jose, err = newJoseSetup(alg, s.signKey); err != nil {
		return nil, err
	}
	if s.jwx3, err = newJWX3Setup(alg, s.verifyKey); err != nil {
		return nil, err
	}
	return s, nil
}

// rsaKey is the 2048-bit key RS256 and PS256 share, made once per process
// (making one takes a while).
var rsaKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
})

var roleClaim = freshtoken.WithClaims(map[string]any{"role": role})

// splitForRaw returns a token's signing input and its signature in the
// primitive's own encoding.
func (s *suite) splitForRaw(tok string) (input, sig []byte, err error) {
	i := strings.LastIndexByte(tok, '.')
	sig, err = base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		return nil, nil, err
	}
	if s.alg == "ES256" {
		// JWS writes R and S as two 32-byte integers (RFC 7518 §3.4).
		sig, err = asn1.Marshal(struct{ R, S *big.Int }{
			new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]),
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return []byte(tok[:i]), sig, nil
}

var (
	errRejected = errors.New("token rejected")
	errNoExpiry = errors.New("token has no exp")
)

// tokenClaims are the claims of a freshtoken pair, in freshtoken's order,
// for the libraries that sign a Go value as it is (Fresh is absent from
// refresh tokens).
type tokenClaims struct {
	Issuer    string `json:"iss"`
	Subject   string `json:"sub"`
	Audience  string `json:"aud"`
	Expiry    int64  `json:"exp"`
	IssuedAt  int64  `json:"iat"`
	ID        string `json:"jti"`
	SessionID string `json:"sid"`
	AuthTime  int64  `json:"auth_time"`
	Type      string `json:"type"`
	Fresh     *bool  `json:"fresh,omitempty"`
}

// newID is how every competitor makes a jti, the way freshtoken does.
func newID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
