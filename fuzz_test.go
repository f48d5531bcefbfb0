package freshtoken

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fuzzManager returns a Manager with a fixed key and clock, and tokens of
// each kind to seed the corpus with.
func fuzzManager(f *testing.F) (*Manager, ed25519.PublicKey, *Pair, *Pair) {
	f.Helper()
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	m, err := New(Config{Key: key, Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
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
		input := m.accessHeader + "." + base64.RawURLEncoding.EncodeToString([]byte(body))
		sig, err := m.signing.sign([]byte(input))
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

// FuzzBearerToken feeds arbitrary Authorization headers to BearerToken:
// it returns exactly one token of RFC 6750's b64token syntax taken from a
// Bearer header, or an error of exactly one class, and never panics.
func FuzzBearerToken(f *testing.F) {
	_, _, login, _ := fuzzManager(f)
	for _, s := range []string{
		"Bearer " + login.Access, "bearer " + login.Access, "BEARER   " + login.Access,
		"Bearer", "Bearer ", "Bearer a b", "Bearer\t" + login.Access, "Basic dXNlcjpwYXNz",
		" Bearer x", "Bearer x==", "Bearer =", "Bearer x=y", "Bearer, Basic x", "Bearer \x00",
		"Bearer " + login.Access + "\r\n", "Beärer x", "",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, value string, twice bool) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["Authorization"] = []string{value}
		if twice {
			r.Header["Authorization"] = append(r.Header["Authorization"], "Bearer x")
		}
		tok, err := BearerToken(r)
		if err != nil {
			if tok != "" {
				t.Fatalf("BearerToken(%q) = %q with error %v", value, tok, err)
			}
			if errors.Is(err, ErrNoToken) == errors.Is(err, ErrMalformed) {
				t.Fatalf("BearerToken(%q): %v is not exactly one of ErrNoToken and ErrMalformed", value, err)
			}
			return
		}
		scheme, rest, ok := strings.Cut(value, " ")
		switch {
		case twice:
			t.Fatalf("BearerToken accepted two Authorization headers")
		case !ok || !strings.EqualFold(scheme, "Bearer"):
			t.Fatalf("BearerToken(%q) = %q, but the scheme is not Bearer", value, tok)
		case tok != strings.TrimLeft(rest, " "):
			t.Fatalf("BearerToken(%q) = %q, not the rest of the header", value, tok)
		case tok == "" || strings.ContainsAny(tok, " \t\r\n,\x00"):
			t.Fatalf("BearerToken(%q) = %q, not a single token", value, tok)
		}
	})
}

// FuzzMiddleware feeds arbitrary methods, cookies, CSRF and Authorization
// headers to a Middleware that reads cookies first and the header second.
// It never panics and never answers 5xx; a request it lets through carries
// a token the key signed, and when that token came from a cookie on an
// unsafe method, the CSRF header matched the token's csrf claim.
func FuzzMiddleware(f *testing.F) {
	m, pub, login, refreshed := fuzzManager(f)
	mw, err := NewMiddleware(m, MiddlewareConfig{Sources: []Source{FromCookie, FromHeader}})
	if err != nil {
		f.Fatal(err)
	}
	claims, err := m.RequireAccess(context.Background(), login.Access)
	if err != nil {
		f.Fatal(err)
	}
	csrf := claims.CSRF
	cookie := "access_token_cookie=" + login.Access
	for _, s := range [][4]string{
		{"POST", cookie, csrf, ""},
		{"POST", cookie, csrf + "x", ""},
		{"POST", cookie, "", ""},
		{"GET", cookie, "", ""},
		{"DELETE", cookie + "; " + cookie, csrf, ""},
		{"POST", "access_token_cookie=" + refreshed.Refresh, csrf, ""},
		{"POST", "", "", "Bearer " + login.Access},
		{"PUT", "access_token_cookie=", csrf, "Bearer " + refreshed.Access},
		{"PATCH", "access_token_cookie=\"" + login.Access + "\"", csrf, ""},
		{"get", cookie, "", ""},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, method, cookies, csrfHeader, authorization string) {
		r, err := http.NewRequest(method, "http://example.com/", nil)
		if err != nil {
			return // not a method net/http would hand to a handler
		}
		r.Header.Set("Cookie", cookies)
		r.Header.Set("X-CSRF-TOKEN", csrfHeader)
		r.Header.Set("Authorization", authorization)
		var got *Claims
		var gotToken string
		h := mw.RequireAccess(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got, gotToken = ClaimsFromContext(r.Context()), TokenFromContext(r.Context())
		}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		switch {
		case rec.Code >= 500:
			t.Fatalf("%s with cookies %q, CSRF %q, Authorization %q: status %d", method, cookies, csrfHeader, authorization, rec.Code)
		case rec.Code != http.StatusOK:
			if got != nil {
				t.Fatalf("status %d, but the handler ran", rec.Code)
			}
			return
		case got == nil || got.Type != AccessToken:
			t.Fatalf("status 200 with claims %+v", got)
		}
		parts := strings.Split(gotToken, ".")
		sig, derr := base64.RawURLEncoding.DecodeString(parts[len(parts)-1])
		if len(parts) != 3 || derr != nil || !ed25519.Verify(pub, []byte(parts[0]+"."+parts[1]), sig) {
			t.Fatalf("let %q through, which the key did not sign", gotToken)
		}
		if c, _ := cookieToken(r, "access_token_cookie"); c == gotToken && !safeMethod(r.Method) && csrfHeader != got.CSRF {
			t.Fatalf("%s from a cookie with CSRF header %q let through; the token's claim is %q", r.Method, csrfHeader, got.CSRF)
		}
	})
}
