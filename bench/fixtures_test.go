package bench

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
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
	missTokens    = 4 * missCacheSize
)

// algorithms are benchmarked in this order.
var algorithms = []string{"HS256", "EdDSA", "ES256"}

// suite is one algorithm's keys, managers, tokens and competitors' setups.
type suite struct {
	alg string

	signKey, verifyKey any // as golang-jwt and jwx take them
	method             jwt.SigningMethod

	// The bare primitive over a signing input, its signature in the
	// primitive's own encoding (ASN.1 DER for ECDSA).
	rawSign   func(input []byte) ([]byte, error)
	rawVerify func(input, sig []byte) bool

	m      *freshtoken.Manager // no cache
	cached *freshtoken.Manager // VerifiedCacheSize large enough for every token used
	missM  *freshtoken.Manager // VerifiedCacheSize missCacheSize

	pair                      *freshtoken.Pair // issued by m at now
	withRole                  *freshtoken.Pair // the same, with a "role" claim
	accessInput, accessSig    []byte           // pair.Access split for the raw cases
	refreshInput, refreshSig  []byte
	missAccess                []string // missTokens access tokens for the cache-miss runs
	accessHeader, refreshHdrs jws.Headers

	jwtParser *jwt.Parser
	jwxParse  []jwxjwt.ParseOption
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
	default:
		return nil, fmt.Errorf("unknown algorithm %q", alg)
	}

	cfg := freshtoken.Config{
		Key: s.signKey, KeyID: keyID, Issuer: issuer, Audience: audience,
		AccessTTL: accessTTL, RefreshTTL: refreshTTL, Now: clock,
	}
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
	return s, nil
}

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

var errRejected = errors.New("token rejected")

// newID is how every competitor makes a jti, the way freshtoken does.
func newID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
