package bench

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	kjwt "github.com/kataras/jwt"
)

// kataras/jwt reads the time from a package variable; like every other
// library here, it runs on the benchmarks' fixed clock.
func init() { kjwt.Clock = clock }

// katarasSetup is what a kataras/jwt user keeps to read and write
// freshtoken's tokens.
//
// kataras/jwt does not parse a token's header: its Verify compares the
// decoded header, byte for byte, with the one it writes itself,
// {"alg":"HS256","typ":"JWT"}, so it refuses freshtoken's tokens (whose
// header names the type at+jwt and a kid) with ErrTokenAlg. Its way of
// reading other issuers' tokens is VerifyWithHeaderValidator; the cases here
// give it the same byte comparison, against the header freshtoken writes.
// Signing, the headers are passed already encoded as JSON, which
// kataras/jwt then writes as they are.
type katarasSetup struct {
	alg                         kjwt.Alg // verifies
	signAlg                     kjwt.Alg // signs: alg, but for PS256 (see katarasPS256)
	accessHeader, refreshHeader []byte   // JSON, as freshtoken writes them
	expected                    kjwt.Expected
}

// katarasHeader is freshtoken's header, its members in freshtoken's order.
type katarasHeader struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
	Kid string `json:"kid"`
}

func newKatarasSetup(alg string) (katarasSetup, error) {
	algs := map[string]kjwt.Alg{
		"HS256": kjwt.HS256, "EdDSA": kjwt.EdDSA, "ES256": kjwt.ES256, "RS256": kjwt.RS256, "PS256": kjwt.PS256,
	}
	k := katarasSetup{
		alg:      algs[alg],
		expected: kjwt.Expected{Issuer: issuer, Audience: kjwt.Audience{audience}},
	}
	if k.alg == nil {
		return k, fmt.Errorf("kataras/jwt: no algorithm %q", alg)
	}
	k.signAlg = k.alg
	if alg == "PS256" {
		k.signAlg = katarasPS256{}
	}
	var err error
	if k.accessHeader, err = json.Marshal(katarasHeader{alg, "at+jwt", keyID}); err != nil {
		return k, err
	}
	k.refreshHeader, err = json.Marshal(katarasHeader{alg, "refresh+jwt", keyID})
	return k, err
}

// katarasHeaderIs is a kataras/jwt HeaderValidator accepting exactly the
// header want.
func katarasHeaderIs(want []byte) kjwt.HeaderValidator {
	return func(_ string, header []byte) (kjwt.Alg, kjwt.PublicKey, kjwt.InjectFunc, error) {
		if !bytes.Equal(header, want) {
			return nil, nil, nil, kjwt.ErrTokenAlg
		}
		return nil, nil, nil, nil // the algorithm and key given to Verify
	}
}

// privateClaims are freshtoken's claims outside kataras/jwt's Claims.
type privateClaims struct {
	SessionID string `json:"sid"`
	AuthTime  int64  `json:"auth_time"`
	Type      string `json:"type"`
	Fresh     bool   `json:"fresh"`
}

// katarasVerify checks the signature, the header, exp, nbf, iat, iss and
// aud, and decodes the claims.
func (s *suite) katarasVerify(tok string, header []byte) (kjwt.Claims, privateClaims, error) {
	var pc privateClaims
	vt, err := kjwt.VerifyWithHeaderValidator(s.kataras.alg, s.verifyKey, []byte(tok), katarasHeaderIs(header), s.kataras.expected)
	if err != nil {
		return kjwt.Claims{}, pc, err
	}
	if vt.StandardClaims.Expiry == 0 {
		return kjwt.Claims{}, pc, errNoExpiry // kataras/jwt checks exp only when there is one
	}
	if err := vt.Claims(&pc); err != nil {
		return kjwt.Claims{}, pc, err
	}
	return vt.StandardClaims, pc, nil
}

func (s *suite) katarasVerifyAccess(tok string) error {
	c, pc, err := s.katarasVerify(tok, s.kataras.accessHeader)
	if err != nil {
		return err
	}
	if pc.Type != "access" || !pc.Fresh || c.Subject != subject {
		return errRejected
	}
	return nil
}

func (s *suite) katarasPair() (string, string, error) {
	aid, err := newID()
	if err != nil {
		return "", "", err
	}
	sid, err := newID()
	if err != nil {
		return "", "", err
	}
	t := clock().Truncate(time.Second)
	fresh := true
	at, err := kjwt.SignWithHeader(s.kataras.signAlg, s.signKey, tokenClaims{
		Issuer: issuer, Subject: subject, Audience: audience,
		Expiry: t.Add(accessTTL).Unix(), IssuedAt: t.Unix(), ID: aid, SessionID: sid,
		AuthTime: t.Unix(), Type: "access", Fresh: &fresh,
	}, s.kataras.accessHeader)
	if err != nil {
		return "", "", err
	}
	rt, err := kjwt.SignWithHeader(s.kataras.signAlg, s.signKey, tokenClaims{
		Issuer: issuer, Subject: subject, Audience: audience,
		Expiry: t.Add(refreshTTL).Unix(), IssuedAt: t.Unix(), ID: sid, SessionID: sid,
		AuthTime: t.Unix(), Type: "refresh",
	}, s.kataras.refreshHeader)
	if err != nil {
		return "", "", err
	}
	return string(at), string(rt), nil
}

func (s *suite) katarasRefresh(tok string) (string, error) {
	c, pc, err := s.katarasVerify(tok, s.kataras.refreshHeader)
	if err != nil {
		return "", err
	}
	if pc.Type != "refresh" {
		return "", errRejected
	}
	id, err := newID()
	if err != nil {
		return "", err
	}
	t := clock().Truncate(time.Second)
	fresh := false
	at, err := kjwt.SignWithHeader(s.kataras.signAlg, s.signKey, tokenClaims{
		Issuer: issuer, Subject: c.Subject, Audience: audience,
		Expiry: t.Add(accessTTL).Unix(), IssuedAt: t.Unix(), ID: id, SessionID: pc.SessionID,
		AuthTime: pc.AuthTime, Type: "access", Fresh: &fresh,
	}, s.kataras.accessHeader)
	return string(at), err
}

// katarasPS256 is PS256 as RFC 7518 §3.5 defines it: RSASSA-PSS with a salt
// as long as the hash. kataras/jwt's own PS256 signs with the longest salt
// the key allows (rsa.PSSSaltLengthAuto: 222 bytes for a 2048-bit key),
// which verifiers that hold to the RFC refuse; a kataras/jwt user whose
// tokens must be read elsewhere plugs in an Alg like this one, as its Alg
// interface allows. Its cost is kataras/jwt's PS256 with one option changed.
type katarasPS256 struct{}

var katarasPSS = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}

func (katarasPS256) Name() string { return "PS256" }

func (katarasPS256) Sign(key kjwt.PrivateKey, input []byte) ([]byte, error) {
	priv, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, kjwt.ErrInvalidKey
	}
	h := sha256.Sum256(input)
	return rsa.SignPSS(rand.Reader, priv, crypto.SHA256, h[:], katarasPSS)
}

func (katarasPS256) Verify(key kjwt.PublicKey, input, sig []byte) error {
	pub, ok := key.(*rsa.PublicKey)
	if !ok {
		return kjwt.ErrInvalidKey
	}
	h := sha256.Sum256(input)
	if err := rsa.VerifyPSS(pub, crypto.SHA256, h[:], sig, katarasPSS); err != nil {
		return fmt.Errorf("%w: %v", kjwt.ErrTokenSignature, err)
	}
	return nil
}
