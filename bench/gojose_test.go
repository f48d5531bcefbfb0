package bench

import (
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
)

// joseSetup is what a go-jose user keeps to read and write freshtoken's
// tokens: the one algorithm ParseSigned may accept, the claims Validate
// compares, and a signer for each kind of token (go-jose makes a signer per
// key and header).
type joseSetup struct {
	algs            []jose.SignatureAlgorithm
	expected        josejwt.Expected
	access, refresh jose.Signer
}

func newJoseSetup(alg string, signKey any) (joseSetup, error) {
	j := joseSetup{
		algs:     []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)},
		expected: josejwt.Expected{Issuer: issuer, AnyAudience: josejwt.Audience{audience}},
	}
	key := jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: signKey}
	var err error
	if j.access, err = jose.NewSigner(key, (&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", keyID)); err != nil {
		return j, err
	}
	j.refresh, err = jose.NewSigner(key, (&jose.SignerOptions{}).WithType("refresh+jwt").WithHeader("kid", keyID))
	return j, err
}

// joseClaims are freshtoken's claims as a go-jose user would type them.
type joseClaims struct {
	josejwt.Claims
	SessionID string `json:"sid"`
	AuthTime  int64  `json:"auth_time"`
	Type      string `json:"type"`
	Fresh     *bool  `json:"fresh,omitempty"`
}

// joseParse checks the algorithm, the signature, exp, nbf, iat, iss and
// aud, and decodes the claims.
func (s *suite) joseParse(tok string) (*joseClaims, error) {
	t, err := josejwt.ParseSigned(tok, s.jose.algs)
	if err != nil {
		return nil, err
	}
	var c joseClaims
	if err := t.Claims(s.verifyKey, &c); err != nil {
		return nil, err
	}
	if c.Expiry == nil {
		return nil, errNoExpiry // Validate checks exp only when there is one
	}
	// No leeway, as golang-jwt's parser (Validate alone allows a minute).
	if err := c.ValidateWithLeeway(s.jose.expected.WithTime(clock()), 0); err != nil {
		return nil, err
	}
	return &c, nil
}

func (s *suite) joseParseAccess(tok string) error {
	c, err := s.joseParse(tok)
	if err != nil {
		return err
	}
	if c.Type != "access" || c.Fresh == nil || !*c.Fresh || c.Subject != subject {
		return errRejected
	}
	return nil
}

func (s *suite) josePair() (string, string, error) {
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
	at, err := josejwt.Signed(s.jose.access).Claims(joseClaims{
		Claims: josejwt.Claims{
			Issuer: issuer, Subject: subject, Audience: josejwt.Audience{audience},
			Expiry: josejwt.NewNumericDate(t.Add(accessTTL)), IssuedAt: josejwt.NewNumericDate(t), ID: aid,
		},
		SessionID: sid, AuthTime: t.Unix(), Type: "access", Fresh: &fresh,
	}).Serialize()
	if err != nil {
		return "", "", err
	}
	rt, err := josejwt.Signed(s.jose.refresh).Claims(joseClaims{
		Claims: josejwt.Claims{
			Issuer: issuer, Subject: subject, Audience: josejwt.Audience{audience},
			Expiry: josejwt.NewNumericDate(t.Add(refreshTTL)), IssuedAt: josejwt.NewNumericDate(t), ID: sid,
		},
		SessionID: sid, AuthTime: t.Unix(), Type: "refresh",
	}).Serialize()
	if err != nil {
		return "", "", err
	}
	return at, rt, nil
}

func (s *suite) joseRefresh(tok string) (string, error) {
	rc, err := s.joseParse(tok)
	if err != nil {
		return "", err
	}
	if rc.Type != "refresh" {
		return "", errRejected
	}
	id, err := newID()
	if err != nil {
		return "", err
	}
	t := clock().Truncate(time.Second)
	fresh := false
	return josejwt.Signed(s.jose.access).Claims(joseClaims{
		Claims: josejwt.Claims{
			Issuer: issuer, Subject: rc.Subject, Audience: josejwt.Audience{audience},
			Expiry: josejwt.NewNumericDate(t.Add(accessTTL)), IssuedAt: josejwt.NewNumericDate(t), ID: id,
		},
		SessionID: rc.SessionID, AuthTime: rc.AuthTime, Type: "access", Fresh: &fresh,
	}).Serialize()
}
