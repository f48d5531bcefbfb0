package bench

import (
	"context"
	"errors"
	"testing"

	"github.com/freshtoken/freshtoken"
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
