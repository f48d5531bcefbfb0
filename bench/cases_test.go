package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
	jwxjwt "github.com/lestrrat-go/jwx/v2/jwt"
)

// A benchCase is one thing a user does, done one way. newRun returns the
// function a benchmark calls in its loop, one per goroutine, so a case may
// keep state (which token comes next) without sharing it.
type benchCase struct {
	name   string
	newRun func() func() error
}

func stateless(name string, run func() error) benchCase {
	return benchCase{name: name, newRun: func() func() error { return run }}
}

// verifier checks an access token the way a user of one library would
// before a sensitive action: signature, expiry, issuer, audience, and that
// the token is a fresh access token.
type verifier struct {
	name   string
	verify func(tok string) error
}

func (s *suite) verifiers() []verifier {
	ctx := context.Background()
	return []verifier{
		{"freshtoken-RequireFresh", func(tok string) error {
			_, err := s.m.RequireFresh(ctx, tok)
			return err
		}},
		{"freshtoken-RequireAccess", func(tok string) error {
			_, err := s.m.RequireAccess(ctx, tok)
			return err
		}},
		{"golang-jwt-MapClaims", s.jwtMapClaims},
		{"golang-jwt-struct", s.jwtStruct},
		{"kataras-Verify", s.katarasVerifyAccess},
		{"go-jose-ParseSigned", s.joseParseAccess},
		{"jwx3-Parse", s.jwx3ParseAccess},
		{"jwx2-Parse", s.jwxParseAccess},
	}
}

func (s *suite) keyFunc(*jwt.Token) (any, error) { return s.verifyKey, nil }

func (s *suite) jwtMapClaims(tok string) error {
	t, err := s.jwtParser.Parse(tok, s.keyFunc)
	if err != nil {
		return err
	}
	c := t.Claims.(jwt.MapClaims)
	if c["type"] != "access" || c["fresh"] != true || c["sub"] != subject {
		return errRejected
	}
	return nil
}

// accessClaims is how a golang-jwt user would type freshtoken's claims.
type accessClaims struct {
	jwt.RegisteredClaims
	SessionID string `json:"sid"`
	AuthTime  int64  `json:"auth_time"`
	Type      string `json:"type"`
	Fresh     bool   `json:"fresh"`
}

func (s *suite) jwtStruct(tok string) error {
	var c accessClaims
	if _, err := s.jwtParser.ParseWithClaims(tok, &c, s.keyFunc); err != nil {
		return err
	}
	if c.Type != "access" || !c.Fresh || c.Subject != subject {
		return errRejected
	}
	return nil
}

func (s *suite) jwxParseAccess(tok string) error {
	t, err := jwxjwt.Parse([]byte(tok), s.jwxParse...)
	if err != nil {
		return err
	}
	typ, _ := t.Get("type")
	fresh, _ := t.Get("fresh")
	if typ != "access" || fresh != true || t.Subject() != subject {
		return errRejected
	}
	return nil
}

// verifyCases are the guard benchmarks: every verifier on the same access
// token, the cache's hits and misses, and the bare signature check. The
// cases a ratio compares run next to each other, so that a neighbour's load
// is less likely to fall on one side of it only.
func (s *suite) verifyCases() []benchCase {
	byName := map[string]benchCase{}
	for _, v := range s.verifiers() {
		byName[v.name] = stateless(v.name, func() error { return v.verify(s.pair.Access) })
	}
	ctx := context.Background()
	for _, c := range []benchCase{
		stateless("freshtoken-RequireFresh-app-claim", func() error {
			_, err := s.m.RequireFresh(ctx, s.withRole.Access)
			return err
		}),
		stateless("golang-jwt-MapClaims-app-claim", func() error { return s.jwtMapClaims(s.withRole.Access) }),
		stateless("freshtoken-RequireFresh-cache-hit", func() error {
			_, err := s.cached.RequireFresh(ctx, s.pair.Access)
			return err
		}),
		{name: "freshtoken-RequireFresh-cache-miss", newRun: s.cacheMissRun},
		stateless("raw", func() error {
			if !s.rawVerify(s.accessInput, s.accessSig) {
				return errRejected
			}
			return nil
		}),
	} {
		byName[c.name] = c
	}
	var cases []benchCase
	for _, name := range []string{
		"freshtoken-RequireFresh", "raw", "golang-jwt-MapClaims", "kataras-Verify",
		"freshtoken-RequireAccess", "golang-jwt-struct", "go-jose-ParseSigned", "jwx3-Parse", "jwx2-Parse",
		"freshtoken-RequireFresh-cache-hit", "freshtoken-RequireFresh-cache-miss",
		"freshtoken-RequireFresh-app-claim", "golang-jwt-MapClaims-app-claim",
	} {
		cases = append(cases, byName[name])
		delete(byName, name)
	}
	if len(byName) > 0 {
		panic(fmt.Sprintf("verifyCases: %d cases left out of the order", len(byName)))
	}
	return cases
}

// missBlock is how many consecutive tokens a cache-miss run takes at a time.
const missBlock = 64

// cacheMissRun cycles through more tokens than the cache holds; first in,
// first out, each one was evicted before it comes round again. All the runs
// of a suite, and the goroutines of a parallel run, take their tokens in
// blocks from one sequence that continues from one run to the next, so a
// token comes round again only after about missTokens others (four times
// the cache) went in: a run that started again at the same token, or a
// goroutine close behind another, would find tokens just put in the cache
// and time hits. Taking blocks, not tokens, keeps the shared counter off
// the goroutines' way.
func (s *suite) cacheMissRun() func() error {
	ctx := context.Background()
	var i, end int
	return func() error {
		if i == end {
			i = int((s.missNext.Add(missBlock) - missBlock) % missTokens)
			end = i + missBlock
		}
		_, err := s.missM.RequireFresh(ctx, s.missAccess[i])
		i++
		return err
	}
}

// A pairSigner makes an access and a refresh token, as a login does.
type pairSigner struct {
	name string
	sign func() (access, refresh string, err error)
}

func (s *suite) pairSigners() []pairSigner {
	ctx := context.Background()
	return []pairSigner{
		{"freshtoken-Issue", func() (string, string, error) {
			p, err := s.m.Issue(ctx, subject)
			if err != nil {
				return "", "", err
			}
			return p.Access, p.Refresh, nil
		}},
		{"golang-jwt-SignedString-x2", s.jwtPair},
		{"kataras-SignWithHeader-x2", s.katarasPair},
		{"go-jose-Signed-x2", s.josePair},
		{"jwx3-Sign-x2", s.jwx3Pair},
		{"jwx2-Sign-x2", s.jwxPair},
	}
}

func (s *suite) jwtPair() (string, string, error) {
	aid, err := newID()
	if err != nil {
		return "", "", err
	}
	sid, err := newID()
	if err != nil {
		return "", "", err
	}
	t := clock().Truncate(time.Second)
	access := jwt.NewWithClaims(s.method, jwt.MapClaims{
		"iss": issuer, "sub": subject, "aud": audience,
		"exp": t.Add(accessTTL).Unix(), "iat": t.Unix(), "jti": aid, "sid": sid,
		"auth_time": t.Unix(), "type": "access", "fresh": true,
	})
	access.Header["typ"], access.Header["kid"] = "at+jwt", keyID
	at, err := access.SignedString(s.signKey)
	if err != nil {
		return "", "", err
	}
	refresh := jwt.NewWithClaims(s.method, jwt.MapClaims{
		"iss": issuer, "sub": subject, "aud": audience,
		"exp": t.Add(refreshTTL).Unix(), "iat": t.Unix(), "jti": sid, "sid": sid,
		"auth_time": t.Unix(), "type": "refresh",
	})
	refresh.Header["typ"], refresh.Header["kid"] = "refresh+jwt", keyID
	rt, err := refresh.SignedString(s.signKey)
	if err != nil {
		return "", "", err
	}
	return at, rt, nil
}

func (s *suite) jwxPair() (string, string, error) {
	aid, err := newID()
	if err != nil {
		return "", "", err
	}
	sid, err := newID()
	if err != nil {
		return "", "", err
	}
	t := clock().Truncate(time.Second)
	access, err := jwxjwt.NewBuilder().
		Issuer(issuer).Subject(subject).Audience([]string{audience}).
		Expiration(t.Add(accessTTL)).IssuedAt(t).JwtID(aid).
		Claim("sid", sid).Claim("auth_time", t.Unix()).Claim("type", "access").
		Claim("fresh", true).Build()
	if err != nil {
		return "", "", err
	}
	at, err := s.jwxSign(access, true)
	if err != nil {
		return "", "", err
	}
	refresh, err := jwxjwt.NewBuilder().
		Issuer(issuer).Subject(subject).Audience([]string{audience}).
		Expiration(t.Add(refreshTTL)).IssuedAt(t).JwtID(sid).
		Claim("sid", sid).Claim("auth_time", t.Unix()).Claim("type", "refresh").Build()
	if err != nil {
		return "", "", err
	}
	rt, err := s.jwxSign(refresh, false)
	if err != nil {
		return "", "", err
	}
	return at, rt, nil
}

func (s *suite) jwxSign(t jwxjwt.Token, access bool) (string, error) {
	hdr := s.refreshHdrs
	if access {
		hdr = s.accessHeader
	}
	b, err := jwxjwt.Sign(t, jwxjwt.WithKey(jwa.SignatureAlgorithm(s.alg), s.signKey, jws.WithProtectedHeaders(hdr)))
	return string(b), err
}

// issueCases are the login benchmarks: a pair from each library, and the
// bare primitive signing the same two inputs.
func (s *suite) issueCases() []benchCase {
	var cases []benchCase
	for _, p := range s.pairSigners() {
		cases = append(cases, stateless(p.name, func() error {
			_, _, err := p.sign()
			return err
		}))
	}
	raw := stateless("raw", func() error {
		if _, err := s.rawSign(s.accessInput); err != nil {
			return err
		}
		_, err := s.rawSign(s.refreshInput)
		return err
	})
	return slices.Insert(cases, 1, raw) // next to freshtoken, as in verifyCases
}

// A refresher swaps a refresh token for a new, non-fresh access token.
type refresher struct {
	name    string
	refresh func(refreshToken string) (access string, err error)
}

func (s *suite) refreshers() []refresher {
	ctx := context.Background()
	return []refresher{
		{"freshtoken-Refresh", func(tok string) (string, error) {
			p, err := s.m.Refresh(ctx, tok)
			if err != nil {
				return "", err
			}
			return p.Access, nil
		}},
		{"golang-jwt-Parse+SignedString", s.jwtRefresh},
		{"kataras-Verify+SignWithHeader", s.katarasRefresh},
		{"go-jose-ParseSigned+Signed", s.joseRefresh},
		{"jwx3-Parse+Sign", s.jwx3Refresh},
		{"jwx2-Parse+Sign", s.jwxRefresh},
	}
}

func (s *suite) jwtRefresh(tok string) (string, error) {
	rt, err := s.jwtParser.Parse(tok, s.keyFunc)
	if err != nil {
		return "", err
	}
	rc := rt.Claims.(jwt.MapClaims)
	if rc["type"] != "refresh" {
		return "", errRejected
	}
	id, err := newID()
	if err != nil {
		return "", err
	}
	t := clock().Truncate(time.Second)
	access := jwt.NewWithClaims(s.method, jwt.MapClaims{
		"iss": issuer, "sub": rc["sub"], "aud": audience,
		"exp": t.Add(accessTTL).Unix(), "iat": t.Unix(), "jti": id, "sid": rc["sid"],
		"auth_time": rc["auth_time"], "type": "access", "fresh": false,
	})
	access.Header["typ"], access.Header["kid"] = "at+jwt", keyID
	return access.SignedString(s.signKey)
}

func (s *suite) jwxRefresh(tok string) (string, error) {
	rt, err := jwxjwt.Parse([]byte(tok), s.jwxParse...)
	if err != nil {
		return "", err
	}
	if typ, _ := rt.Get("type"); typ != "refresh" {
		return "", errRejected
	}
	sid, _ := rt.Get("sid")
	authTime, _ := rt.Get("auth_time")
	id, err := newID()
	if err != nil {
		return "", err
	}
	t := clock().Truncate(time.Second)
	access, err := jwxjwt.NewBuilder().
		Issuer(issuer).Subject(rt.Subject()).Audience([]string{audience}).
		Expiration(t.Add(accessTTL)).IssuedAt(t).JwtID(id).
		Claim("sid", sid).Claim("auth_time", authTime).Claim("type", "access").
		Claim("fresh", false).Build()
	if err != nil {
		return "", err
	}
	return s.jwxSign(access, true)
}

// refreshCases are the refresh benchmarks, the bare primitive verifying the
// refresh token and signing one access token.
func (s *suite) refreshCases() []benchCase {
	var cases []benchCase
	for _, r := range s.refreshers() {
		cases = append(cases, stateless(r.name, func() error {
			_, err := r.refresh(s.pair.Refresh)
			return err
		}))
	}
	raw := stateless("raw", func() error {
		if !s.rawVerify(s.refreshInput, s.refreshSig) {
			return errRejected
		}
		_, err := s.rawSign(s.accessInput)
		return err
	})
	return slices.Insert(cases, 1, raw)
}
