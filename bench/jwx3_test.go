package bench

import (
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// jwx3Setup is what a jwx v3 user keeps to read and write freshtoken's
// tokens: the checks Parse makes, and the protected header of each kind of
// token. It is set up as the v2 cases are (cases_test.go), so the two
// versions compare like with like.
type jwx3Setup struct {
	alg                         jwa.SignatureAlgorithm
	parse                       []jwt.ParseOption
	accessHeader, refreshHeader jws.Headers
}

func newJWX3Setup(alg string, verifyKey any) (jwx3Setup, error) {
	var j jwx3Setup
	var ok bool
	if j.alg, ok = jwa.LookupSignatureAlgorithm(alg); !ok {
		return j, fmt.Errorf("jwx v3: no algorithm %q", alg)
	}
	j.parse = []jwt.ParseOption{
		jwt.WithKey(j.alg, verifyKey),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithClock(jwt.ClockFunc(clock)),
		jwt.WithValidate(true),
		jwt.WithRequiredClaim(jwt.ExpirationKey), // jwx takes a token without exp as never expiring
	}
	j.accessHeader, j.refreshHeader = jws.NewHeaders(), jws.NewHeaders()
	for _, h := range []struct {
		hdr jws.Headers
		typ string
	}{{j.accessHeader, "at+jwt"}, {j.refreshHeader, "refresh+jwt"}} {
		if err := h.hdr.Set(jws.TypeKey, h.typ); err != nil {
			return j, err
		}
		if err := h.hdr.Set(jws.KeyIDKey, keyID); err != nil {
			return j, err
		}
	}
	return j, nil
}

func (s *suite) jwx3ParseAccess(tok string) error {
	t, err := jwt.Parse([]byte(tok), s.jwx3.parse...)
	if err != nil {
		return err
	}
	var typ string
	var fresh bool
	if err := t.Get("type", &typ); err != nil {
		return err
	}
	if err := t.Get("fresh", &fresh); err != nil {
		return err
	}
	if sub, _ := t.Subject(); typ != "access" || !fresh || sub != subject {
		return errRejected
	}
	return nil
}

func (s *suite) jwx3Pair() (string, string, error) {
	aid, err := newID()
	if err != nil {
		return "", "", err
	}
	sid, err := newID()
	if err != nil {
		return "", "", err
	}
	t := clock().Truncate(time.Second)
	access, err := jwt.NewBuilder().
		Issuer(issuer).Subject(subject).Audience([]string{audience}).
		Expiration(t.Add(accessTTL)).IssuedAt(t).JwtID(aid).
		Claim("sid", sid).Claim("auth_time", t.Unix()).Claim("type", "access").
		Claim("fresh", true).Build()
	if err != nil {
		return "", "", err
	}
	at, err := s.jwx3Sign(access, s.jwx3.accessHeader)
	if err != nil {
		return "", "", err
	}
	refresh, err := jwt.NewBuilder().
		Issuer(issuer).Subject(subject).Audience([]string{audience}).
		Expiration(t.Add(refreshTTL)).IssuedAt(t).JwtID(sid).
		Claim("sid", sid).Claim("auth_time", t.Unix()).Claim("type", "refresh").Build()
	if err != nil {
		return "", "", err
	}
	rt, err := s.jwx3Sign(refresh, s.jwx3.refreshHeader)
	if err != nil {
		return "", "", err
	}
	return at, rt, nil
}

func (s *suite) jwx3Sign(t jwt.Token, hdr jws.Headers) (string, error) {
	b, err := jwt.Sign(t, jwt.WithKey(s.jwx3.alg, s.signKey, jws.WithProtectedHeaders(hdr)))
	return string(b), err
}

func (s *suite) jwx3Refresh(tok string) (string, error) {
	rt, err := jwt.Parse([]byte(tok), s.jwx3.parse...)
	if err != nil {
		return "", err
	}
	var typ, sid string
	var authTime float64 // a JSON number, as jwx decodes it
	if err := rt.Get("type", &typ); err != nil {
		return "", err
	}
	if typ != "refresh" {
		return "", errRejected
	}
	if err := rt.Get("sid", &sid); err != nil {
		return "", err
	}
	if err := rt.Get("auth_time", &authTime); err != nil {
		return "", err
	}
	sub, _ := rt.Subject()
	id, err := newID()
	if err != nil {
		return "", err
	}
	t := clock().Truncate(time.Second)
	access, err := jwt.NewBuilder().
		Issuer(issuer).Subject(sub).Audience([]string{audience}).
		Expiration(t.Add(accessTTL)).IssuedAt(t).JwtID(id).
		Claim("sid", sid).Claim("auth_time", int64(authTime)).Claim("type", "access").
		Claim("fresh", false).Build()
	if err != nil {
		return "", err
	}
	return s.jwx3Sign(access, s.jwx3.accessHeader)
}
