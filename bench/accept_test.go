package bench

import (
	"context"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	kjwt "github.com/kataras/jwt"
)

// These tests make sure every benchmark times the success path: each
// competitor accepts the token it is benchmarked on and rejects a tampered
// one, and every token a competitor signs carries claims freshtoken itself
// accepts, so all libraries do the same work on the same claims.

// tamper flips one bit of the signature's first byte, keeping the token
// well formed.
func tamper(tok string) string {
	b := []byte(tok)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '.' {
			if b[i+1] == 'A' {
				b[i+1] = 'Q'
			} else {
				b[i+1] = 'A'
			}
			break
		}
	}
	return string(b)
}

func TestVerifiersAcceptTheBenchmarkedToken(t *testing.T) {
	for _, alg := range algorithms {
		s := suiteFor(t, alg)
		for _, v := range s.verifiers() {
			if err := v.verify(s.pair.Access); err != nil {
				t.Errorf("%s %s rejects the access token: %v", alg, v.name, err)
			}
			if err := v.verify(s.withRole.Access); err != nil {
				t.Errorf("%s %s rejects the access token with a role claim: %v", alg, v.name, err)
			}
			if err := v.verify(tamper(s.pair.Access)); err == nil {
				t.Errorf("%s %s accepts a tampered access token", alg, v.name)
			}
			if err := v.verify(s.pair.Refresh); err == nil {
				t.Errorf("%s %s accepts a refresh token where an access token is needed", alg, v.name)
			}
		}
		if !s.rawVerify(s.accessInput, s.accessSig) {
			t.Errorf("%s: the raw primitive rejects the access token's signature", alg)
		}
		bad := append([]byte(nil), s.accessInput...)
		bad[len(bad)-1] ^= 1
		if s.rawVerify(bad, s.accessSig) {
			t.Errorf("%s: the raw primitive accepts a changed signing input", alg)
		}
	}
}

func TestCachedManagersAcceptAndReject(t *testing.T) {
	ctx := context.Background()
	for _, alg := range algorithms {
		s := suiteFor(t, alg)
		for range 2 { // a miss, then a hit
			if _, err := s.cached.RequireFresh(ctx, s.pair.Access); err != nil {
				t.Errorf("%s: cached RequireFresh: %v", alg, err)
			}
		}
		if _, err := s.cached.RequireFresh(ctx, tamper(s.pair.Access)); !errors.Is(err, freshtoken.ErrSignature) {
			t.Errorf("%s: cached RequireFresh on a tampered token: got %v, want ErrSignature", alg, err)
		}
		run := s.cacheMissRun()
		for range missTokens + 1 {
			if err := run(); err != nil {
				t.Fatalf("%s: cache-miss run: %v", alg, err)
			}
		}
	}
}

func TestEveryCaseRuns(t *testing.T) {
	for _, alg := range algorithms {
		s := suiteFor(t, alg)
		for _, group := range [][]benchCase{s.verifyCases(), s.issueCases(), s.refreshCases()} {
			for _, c := range group {
				if err := c.newRun()(); err != nil {
					t.Errorf("%s %s: %v", alg, c.name, err)
				}
			}
		}
	}
}

// Every library signs a pair freshtoken accepts as its own: the same
// header parameters and claims, so the sign benchmarks compare like with like.
func TestSignersWriteFreshtokensClaims(t *testing.T) {
	ctx := context.Background()
	for _, alg := range algorithms {
		s := suiteFor(t, alg)
		for _, p := range s.pairSigners() {
			at, rt, err := p.sign()
			if err != nil {
				t.Errorf("%s %s: %v", alg, p.name, err)
				continue
			}
			c, err := s.m.RequireFresh(ctx, at)
			if err != nil {
				t.Errorf("%s %s: access token rejected: %v", alg, p.name, err)
			} else if c.Extra != nil || c.Subject != subject {
				t.Errorf("%s %s: access token claims: sub %q, claims freshtoken does not write %v", alg, p.name, c.Subject, c.Extra)
			}
			if _, err := s.m.RequireRefresh(ctx, rt); err != nil {
				t.Errorf("%s %s: refresh token rejected: %v", alg, p.name, err)
			}
		}
		sig, err := s.rawSign(s.accessInput)
		if err != nil || !s.rawVerify(s.accessInput, sig) {
			t.Errorf("%s: the raw primitive's signature does not verify (%v)", alg, err)
		}
	}
}

// Every refresher makes an access token that freshtoken accepts and that is
// not fresh.
func TestRefreshersWriteFreshtokensClaims(t *testing.T) {
	ctx := context.Background()
	for _, alg := range algorithms {
		s := suiteFor(t, alg)
		for _, r := range s.refreshers() {
			at, err := r.refresh(s.pair.Refresh)
			if err != nil {
				t.Errorf("%s %s: %v", alg, r.name, err)
				continue
			}
			c, err := s.m.RequireAccess(ctx, at)
			if err != nil {
				t.Errorf("%s %s: access token rejected: %v", alg, r.name, err)
				continue
			}
			if c.Fresh || c.Extra != nil {
				t.Errorf("%s %s: refreshed token fresh=%v with claims freshtoken does not write %v", alg, r.name, c.Fresh, c.Extra)
			}
			if _, err := r.refresh(s.pair.Access); err == nil {
				t.Errorf("%s %s: refreshes with an access token", alg, r.name)
			}
		}
	}
}

// Every verifier refuses an expired access token and one without exp, as
// freshtoken does, so none is timed skipping the expiry check.
func TestVerifiersRequireAnUnexpiredExp(t *testing.T) {
	for _, alg := range algorithms {
		s := suiteFor(t, alg)
		expired := expiredAccess(t, s)
		unexpiring := withoutExp(t, s, s.pair.Access)
		for _, v := range s.verifiers() {
			if err := v.verify(expired); err == nil {
				t.Errorf("%s %s accepts an access token that expired 45 minutes ago", alg, v.name)
			}
			if err := v.verify(unexpiring); err == nil {
				t.Errorf("%s %s accepts an access token without exp", alg, v.name)
			}
		}
	}
}

// expiredAccess is an access token issued an hour before now, so expired
// since 45 minutes.
func expiredAccess(t *testing.T, s *suite) string {
	t.Helper()
	cfg := s.cfg
	cfg.Now = func() time.Time { return now.Add(-time.Hour) }
	m, err := freshtoken.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Issue(context.Background(), subject)
	if err != nil {
		t.Fatal(err)
	}
	return p.Access
}

// withoutExp is tok with its exp claim taken out and signed again with the
// suite's key, its header and every other claim as they were.
func withoutExp(t *testing.T, s *suite, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	delete(claims, "exp")
	if payload, err = json.Marshal(claims); err != nil {
		t.Fatal(err)
	}
	input := parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload)
	sig, err := s.rawSign([]byte(input))
	if err != nil {
		t.Fatal(err)
	}
	if s.alg == "ES256" {
		// From ASN.1 back to JWS's two 32-byte integers (RFC 7518 §3.4).
		var rs struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(sig, &rs); err != nil {
			t.Fatal(err)
		}
		sig = append(rs.R.FillBytes(make([]byte, 32)), rs.S.FillBytes(make([]byte, 32))...)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// kataras/jwt's own Verify compares the header with the one it writes, so
// it cannot read freshtoken's tokens; the benchmarked case passes it a
// header check of freshtoken's header instead (see katarasSetup).
func TestKatarasVerifyRefusesFreshtokensHeader(t *testing.T) {
	for _, alg := range algorithms {
		s := suiteFor(t, alg)
		if _, err := kjwt.Verify(s.kataras.alg, s.verifyKey, []byte(s.pair.Access)); !errors.Is(err, kjwt.ErrTokenAlg) {
			t.Errorf("%s: kataras/jwt Verify on freshtoken's token: got %v, want ErrTokenAlg", alg, err)
		}
	}
}

// kataras/jwt's own PS256 writes salts RFC 7518 §3.5 does not allow, which
// is why its PS256 signing cases use katarasPS256.
func TestKatarasPS256SaltIsNotRFC7518s(t *testing.T) {
	s := suiteFor(t, "PS256")
	at, err := kjwt.SignWithHeader(kjwt.PS256, s.signKey, tokenClaims{Subject: subject}, s.kataras.accessHeader)
	if err != nil {
		t.Fatal(err)
	}
	input, sig, err := s.splitForRaw(string(at))
	if err != nil {
		t.Fatal(err)
	}
	if s.rawVerify(input, sig) {
		t.Error("kataras/jwt's PS256 signature verifies with a salt as long as the hash; its sign cases could use kjwt.PS256")
	}
	if err := (katarasPS256{}).Verify(s.verifyKey, input, sig); err == nil {
		t.Error("katarasPS256 accepts a salt longer than the hash")
	}
}
