package freshtoken

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// fuzzManager returns a Manager with a fixed key and a clock stopped at
// t0, and tokens of each kind to seed the corpus with.
func fuzzManager(f *testing.F) (*Manager, ed25519.PublicKey, *Pair, *Pair) {
	f.Helper()
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	m, _ := newTestManager(f, Config{Key: key})
	ctx := context.Background()
	login, err := m.Issue(ctx, "user-42", WithClaims(map[string]any{"role": "admin"}), WithCSRF())
	if err != nil {
		f.Fatal(err)
	}
	refreshed, err := m.Refresh(ctx, login.Refresh)
	if err != nil {
		f.Fatal(err)
	}
	return m, key.Public().(ed25519.PublicKey), login, refreshed
}

// FuzzGuards feeds arbitrary strings to every guard. Whatever the input, no
// guard panics, a failure returns nil claims, and a success means the input
// is a compact token whose signature the configured key really made.
func FuzzGuards(f *testing.F) {
	m, pub, login, refreshed := fuzzManager(f)
	for _, s := range []string{login.Access, login.Refresh, refreshed.Access, "", ".", "..", "a.b.c", "eyJ.eyJ.x"} {
		f.Add(s)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, tok string) {
		check := func(name string, c *Claims, err error, want TokenType) {
			if err != nil {
				if c != nil {
					t.Fatalf("%s returned claims with error %v", name, err)
				}
				return
			}
			if c == nil || c.Type != want {
				t.Fatalf("%s accepted %q with claims %+v", name, tok, c)
			}
			parts := strings.Split(tok, ".")
			sig, derr := base64.RawURLEncoding.DecodeString(parts[2])
			if len(parts) != 3 || derr != nil || !ed25519.Verify(pub, []byte(parts[0]+"."+parts[1]), sig) {
				t.Fatalf("%s accepted %q, which the key did not sign", name, tok)
			}
		}
		c, err := m.RequireAccess(ctx, tok)
		check("RequireAccess", c, err, AccessToken)
		c, err = m.RequireFresh(ctx, tok)
		check("RequireFresh", c, err, AccessToken)
		c, err = m.RequireLoginWithin(ctx, tok, time.Minute)
		check("RequireLoginWithin", c, err, AccessToken)
		c, err = m.RequireRefresh(ctx, tok)
		check("RequireRefresh", c, err, RefreshToken)
		p, err := m.Refresh(ctx, tok)
		if (p == nil) == (err == nil) {
			t.Fatalf("Refresh(%q) = %v, %v", tok, p, err)
		}
	})
}

// FuzzClaims signs arbitrary payloads with the real key, so the fuzzer
// explores the claims decoder behind the signature check: it must never
// panic, and whatever it accepts must carry every required claim.
func FuzzClaims(f *testing.F) {
	m, _, login, _ := fuzzManager(f)
	payload := func(tok string) string {
		b, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
		return string(b)
	}
	f.Add(payload(login.Access))
	f.Add(payload(login.Refresh))
	f.Add(`{"sub":"x","exp":1,"iat":0,"jti":"j","sid":"s","auth_time":0,"type":"access","fresh":true}`)
	f.Add(`{"type":"access","type":"refresh"}`)
	f.Add(`[{}]`)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, body string) {
		input := m.ring.Load().header(AccessToken) + "." + base64.RawURLEncoding.EncodeToString([]byte(body))
		sig, err := m.signer().sign([]byte(input))
		if err != nil {
			t.Fatal(err)
		}
		tok := input + "." + base64.RawURLEncoding.EncodeToString(sig)
		c, err := m.RequireAccess(ctx, tok)
		if err != nil {
			if c != nil {
				t.Fatalf("claims with error %v", err)
			}
			return
		}
		if c.Subject == "" || c.ID == "" || c.SessionID == "" || c.ExpiresAt.IsZero() || c.Type != AccessToken {
			t.Fatalf("accepted %q with incomplete claims %+v", body, c)
		}
	})
}

// FuzzHostile starts from every row of the hostile corpus, in freshtoken's
// own format and in the Flask-JWT-Extended profile, and mutates from there.
// No guard and no Refresh may panic, a failure returns nil, and whatever is
// accepted must carry a signature the profile's real key made.
func FuzzHostile(f *testing.F) {
	profiles := hostileProfiles(f)
	for _, hc := range loadHostile(f) {
		for i, p := range profiles {
			if hc.Raw == nil && hc.Repeat == nil && hc.runs(p.name) {
				f.Add(i == 1, hc.build(f, p))
			}
		}
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, flask bool, tok string) {
		p := profiles[0]
		if flask {
			p = profiles[1]
		}
		signed := func() bool {
			parts := strings.Split(tok, ".")
			if len(parts) != 3 {
				return false
			}
			sig, err := base64.RawURLEncoding.DecodeString(parts[2])
			if err != nil {
				return false
			}
			input := []byte(parts[0] + "." + parts[1])
			if flask {
				mac := hmac.New(sha256.New, p.hmac)
				mac.Write(input)
				return hmac.Equal(sig, mac.Sum(nil))
			}
			return ed25519.Verify(p.pub, input, sig)
		}
		for _, g := range []struct {
			name  string
			guard func(context.Context, string) (*Claims, error)
			want  TokenType
		}{
			{"RequireAccess", p.m.RequireAccess, AccessToken},
			{"RequireFresh", p.m.RequireFresh, AccessToken},
			{"RequireRefresh", p.m.RequireRefresh, RefreshToken},
		} {
			c, err := g.guard(ctx, tok)
			switch {
			case err != nil && c != nil:
				t.Fatalf("%s returned claims with error %v", g.name, err)
			case err == nil && (c == nil || c.Type != g.want):
				t.Fatalf("%s accepted %q with claims %+v", g.name, tok, c)
			case err == nil && !signed():
				t.Fatalf("%s accepted %q, which the key did not sign", g.name, tok)
			}
		}
		pair, err := p.m.Refresh(ctx, tok)
		if (pair == nil) == (err == nil) {
			t.Fatalf("Refresh(%q) = %v, %v", tok, pair, err)
		}
		if err == nil && !signed() {
			t.Fatalf("Refresh accepted %q, which the key did not sign", tok)
		}
	})
}
