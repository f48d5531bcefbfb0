package freshtoken_test

// These tests pin the Flask profile's rules with tokens written by hand, so
// they do not depend on the code under test to make their input.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/google/go-cmp/cmp"
)

// fill replaces $iat, $exp (15 minutes after login) and $now in a payload template.
func fill(payload string) string {
	return strings.NewReplacer(
		"$iat", strconv.FormatInt(loginTime.Unix(), 10),
		"$exp", strconv.FormatInt(loginTime.Add(15*time.Minute).Unix(), 10),
		"$now", strconv.FormatInt(checkTime.Unix(), 10),
	).Replace(payload)
}

// guardResult is what a test compares after a guard ran.
type guardResult struct {
	Subject    string
	Type       freshtoken.TokenType
	Fresh      bool
	FreshUntil time.Time
	CSRF       string
	Extra      map[string]any
}

func resultOf(c *freshtoken.Claims) *guardResult {
	if c == nil {
		return nil
	}
	return &guardResult{Subject: c.Subject, Type: c.Type, Fresh: c.Fresh, FreshUntil: c.FreshUntil, CSRF: c.CSRF, Extra: c.Extra}
}

func TestFlaskProfileReadsTokens(t *testing.T) {
	const login = `{"fresh":true,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$exp}`
	access1 := &guardResult{Subject: "alice", Type: freshtoken.AccessToken}
	freshAccess := &guardResult{Subject: "alice", Type: freshtoken.AccessToken, Fresh: true}
	window := func(d time.Duration) *guardResult {
		return &guardResult{Subject: "alice", Type: freshtoken.AccessToken, Fresh: d >= 0, FreshUntil: checkTime.Add(d)}
	}
	tests := []struct {
		name    string
		reason  string
		edit    func(*freshtoken.Config)
		header  string // default plainHeader
		payload string
		guard   guard
		wantErr error
		want    *guardResult
	}{
		{
			name: "login token is fresh", reason: "create_access_token(fresh=True)",
			payload: login, guard: fresh, want: freshAccess,
		},
		{
			name: "refreshed token passes RequireAccess", reason: "jwt_required() ignores fresh",
			payload: `{"fresh":false,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   access, want: access1,
		},
		{
			name: "refreshed token is not fresh", reason: "fresh=False fails jwt_required(fresh=True)",
			payload: `{"fresh":false,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   fresh, wantErr: freshtoken.ErrNotFresh,
		},
		{
			name: "missing fresh reads as false", reason: "Flask fills in fresh=False",
			payload: `{"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   fresh, wantErr: freshtoken.ErrNotFresh,
		},
		{
			name: "missing fresh still passes RequireAccess", reason: "only the fresh guard cares",
			payload: `{"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   access, want: access1,
		},
		{
			name: "float fresh inside its window", reason: "fresh=timedelta writes now+delta as a float",
			payload: `{"fresh":$now.25,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   fresh, want: window(250 * time.Millisecond),
		},
		{
			name: "float fresh equal to now", reason: "Flask refuses only a time smaller than now",
			payload: `{"fresh":$now.0,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   fresh, want: window(0),
		},
		{
			name: "float fresh a microsecond ago", reason: "no leeway on freshness",
			payload: `{"fresh":` + strconv.FormatInt(checkTime.Unix()-1, 10) + `.999999,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   fresh, wantErr: freshtoken.ErrNotFresh,
		},
		{
			name: "past window still passes RequireAccess", reason: "the window only limits the fresh guard",
			payload: `{"fresh":$iat,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   access, want: window(-time.Minute),
		},
		{
			name: "integer fresh in the future", reason: "any JSON number is a time",
			payload: `{"fresh":$exp,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   fresh, want: window(14 * time.Minute),
		},
		{
			name: "fresh 1 is a time, not true", reason: "Flask tests for a boolean before comparing numbers",
			payload: `{"fresh":1,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   fresh, wantErr: freshtoken.ErrNotFresh,
		},
		{
			name: "fresh as exponent", reason: "still a JSON number",
			payload: `{"fresh":1e12,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   fresh, want: &guardResult{Subject: "alice", Type: freshtoken.AccessToken, Fresh: true, FreshUntil: time.Unix(1e12, 0).UTC()},
		},
		{
			name: "fresh as string", reason: "neither a boolean nor a number",
			payload: `{"fresh":"true","iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   access, wantErr: freshtoken.ErrInvalidClaims,
		},
		{
			name: "fresh null", reason: "neither a boolean nor a number",
			payload: `{"fresh":null,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   access, wantErr: freshtoken.ErrInvalidClaims,
		},
		{
			name: "fresh beyond float64", reason: "Python reads 1e400 as infinity: fresh for ever",
			payload: `{"fresh":1e400,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   fresh,
			// FreshUntil is the latest time it can name, 2^40 seconds.
			want: &guardResult{Subject: "alice", Type: freshtoken.AccessToken, Fresh: true, FreshUntil: time.Unix(1<<40, 0).UTC()},
		},
		{
			name: "missing type reads as access", reason: "as Flask fills in type=access",
			payload: `{"fresh":true,"iat":$iat,"jti":"j1","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   fresh, want: freshAccess,
		},
		{
			name: "missing type is no refresh token", reason: "jwt_required(refresh=True) wants type refresh",
			payload: `{"fresh":false,"iat":$iat,"jti":"j1","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   refresh, wantErr: freshtoken.ErrWrongType,
		},
		{
			name: "refresh token as access token", reason: "jwt_required() refuses refresh tokens",
			payload: `{"fresh":false,"iat":$iat,"jti":"j1","type":"refresh","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   access, wantErr: freshtoken.ErrWrongType,
		},
		{
			name: "expired refresh token as access token", reason: "Flask checks exp before the type",
			payload: `{"fresh":false,"iat":$iat,"jti":"j1","type":"refresh","sub":"alice","nbf":$iat,"exp":$now}`,
			guard:   access, wantErr: freshtoken.ErrExpired,
		},
		{
			name: "future token without identity", reason: `PyJWT checks iat before Flask-JWT-Extended looks for the identity`,
			payload: `{"fresh":true,"iat":9999999999,"jti":"j1","type":"access","exp":9999999999}`,
			guard:   access, wantErr: freshtoken.ErrNotYetValid,
		},
		{
			name: "expired token without identity", reason: `Flask decodes an expired token again without exp and answers "Missing claim"`,
			payload: `{"fresh":true,"iat":$iat,"jti":"j1","type":"access","nbf":$iat,"exp":$now}`,
			guard:   access, wantErr: freshtoken.ErrInvalidClaims,
		},
		{
			name: "access token as refresh token", reason: "mutually exclusive types",
			payload: login, guard: refresh, wantErr: freshtoken.ErrWrongType,
		},
		{
			name: "refresh token", reason: "create_refresh_token writes fresh=False",
			payload: `{"fresh":false,"iat":$iat,"jti":"j1","type":"refresh","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   refresh, want: &guardResult{Subject: "alice", Type: freshtoken.RefreshToken},
		},
		{
			name: "refresh token claiming freshness", reason: "only access tokens are ever fresh",
			payload: `{"fresh":true,"iat":$iat,"jti":"j1","type":"refresh","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   refresh, want: &guardResult{Subject: "alice", Type: freshtoken.RefreshToken},
		},
		{
			name: "unknown type", reason: "only access and refresh exist",
			payload: `{"fresh":true,"iat":$iat,"jti":"j1","type":"id","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   access, wantErr: freshtoken.ErrInvalidClaims,
		},
		{
			name: "kid naming the configured key", reason: "a JWT_ENCODE_HEADERS kid is honoured",
			edit:   func(c *freshtoken.Config) { c.KeyID = "k1" },
			header: `{"alg":"HS256","kid":"k1","typ":"JWT"}`, payload: login, guard: fresh, want: freshAccess,
		},
		{
			name: "kid naming no key", reason: "a kid must name a configured key",
			header: `{"alg":"HS256","kid":"k9","typ":"JWT"}`, payload: login, guard: access, wantErr: freshtoken.ErrUnknownKey,
		},
		{
			name: "missing typ", reason: "PyJWT always writes typ JWT",
			header: `{"alg":"HS256"}`, payload: login, guard: access, wantErr: freshtoken.ErrMalformed,
		},
		{
			name: "typ of freshtoken's own access tokens", reason: "one format per Manager",
			header: `{"alg":"HS256","typ":"at+jwt"}`, payload: login, guard: access, wantErr: freshtoken.ErrMalformed,
		},
		{
			name: "typ in lower case", reason: "exactly what PyJWT writes",
			header: `{"alg":"HS256","typ":"jwt"}`, payload: login, guard: access, wantErr: freshtoken.ErrMalformed,
		},
		{
			name: "other algorithm", reason: "the configuration fixes the algorithm",
			header: `{"alg":"HS512","typ":"JWT"}`, payload: login, guard: access, wantErr: freshtoken.ErrSignature,
		},
		{
			name: "alg none", reason: "the configuration fixes the algorithm",
			header: `{"alg":"none","typ":"JWT"}`, payload: login, guard: access, wantErr: freshtoken.ErrSignature,
		},
		{
			name: "header parameter that steers verification", reason: "only alg, typ and kid",
			header: `{"alg":"HS256","jku":"https://evil.example/keys","typ":"JWT"}`, payload: login, guard: access, wantErr: freshtoken.ErrMalformed,
		},
		{
			name: "crit header", reason: "only alg, typ and kid",
			header: `{"alg":"HS256","crit":["exp"],"typ":"JWT"}`, payload: login, guard: access, wantErr: freshtoken.ErrMalformed,
		},
		{
			name: "missing identity", reason: `Flask: "Missing claim: sub"`,
			payload: `{"fresh":true,"iat":$iat,"jti":"j1","type":"access","nbf":$iat,"exp":$exp}`,
			guard:   access, wantErr: freshtoken.ErrInvalidClaims,
		},
		{
			name: "integer identity", reason: "identities are strings (RFC 7519 sub; PyJWT 2.10)",
			payload: `{"fresh":true,"iat":$iat,"jti":"j1","type":"access","sub":42,"nbf":$iat,"exp":$exp}`,
			guard:   access, wantErr: freshtoken.ErrInvalidClaims,
		},
		{
			name: "escaped identity", reason: "PyJWT writes non-ASCII as \\u escapes",
			payload: `{"fresh":true,"iat":$iat,"jti":"j1","type":"access","sub":"Jos\u00e9","nbf":$iat,"exp":$exp}`,
			guard:   fresh, want: &guardResult{Subject: "José", Type: freshtoken.AccessToken, Fresh: true},
		},
		{
			name: "empty identity", reason: "names no one",
			payload: `{"fresh":true,"iat":$iat,"jti":"j1","type":"access","sub":"","nbf":$iat,"exp":$exp}`,
			guard:   access, wantErr: freshtoken.ErrInvalidClaims,
		},
		{
			name: "renamed identity claim", reason: "JWT_IDENTITY_CLAIM; sub becomes an application claim",
			edit:    func(c *freshtoken.Config) { c.Flask.IdentityClaim = "identity" },
			payload: `{"fresh":true,"iat":$iat,"jti":"j1","type":"access","identity":"bob","sub":"x","nbf":$iat,"exp":$exp}`,
			guard:   fresh, want: &guardResult{Subject: "bob", Type: freshtoken.AccessToken, Fresh: true, Extra: map[string]any{"sub": "x"}},
		},
		{
			name: "sub where the identity claim is renamed", reason: "the configured claim is required",
			edit:    func(c *freshtoken.Config) { c.Flask.IdentityClaim = "identity" },
			payload: login, guard: access, wantErr: freshtoken.ErrInvalidClaims,
		},
		{
			name: "application claims and csrf", reason: "additional_claims and cookie CSRF",
			payload: `{"fresh":true,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"csrf":"c1","exp":$exp,"roles":["admin"]}`,
			guard:   access, want: &guardResult{Subject: "alice", Type: freshtoken.AccessToken, Fresh: true, CSRF: "c1", Extra: map[string]any{"roles": []any{"admin"}}},
		},
		{
			name: "missing exp", reason: "freshtoken requires exp, whatever JWT_ACCESS_TOKEN_EXPIRES allows",
			payload: `{"fresh":true,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat}`,
			guard:   access, wantErr: freshtoken.ErrInvalidClaims,
		},
		{
			name: "float exp", reason: "PyJWT writes whole seconds",
			payload: `{"fresh":true,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$exp.5}`,
			guard:   access, wantErr: freshtoken.ErrInvalidClaims,
		},
		{
			name: "exp now", reason: "PyJWT: expired when exp <= now; no leeway by default",
			payload: `{"fresh":true,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$now}`,
			guard:   access, wantErr: freshtoken.ErrExpired,
		},
		{
			name: "exp a second from now", reason: "still valid",
			payload: `{"fresh":true,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":` + strconv.FormatInt(checkTime.Unix()+1, 10) + `}`,
			guard:   fresh, want: freshAccess,
		},
		{
			name: "exp now within a configured leeway", reason: "JWT_DECODE_LEEWAY",
			edit:    func(c *freshtoken.Config) { c.Leeway = 5 * time.Second },
			payload: `{"fresh":true,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$now}`,
			guard:   fresh, want: freshAccess,
		},
		{
			name: "missing iat", reason: "Flask always writes iat; the lifetime check needs it",
			payload: `{"fresh":true,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   access, wantErr: freshtoken.ErrInvalidClaims,
		},
		{
			name: "missing nbf", reason: "JWT_ENCODE_NBF=False",
			payload: `{"fresh":true,"iat":$iat,"jti":"j1","type":"access","sub":"alice","exp":$exp}`,
			guard:   fresh, want: freshAccess,
		},
		{
			name: "nbf in the future", reason: "PyJWT: not yet valid",
			payload: `{"fresh":true,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":` + strconv.FormatInt(checkTime.Unix()+1, 10) + `,"exp":$exp}`,
			guard:   access, wantErr: freshtoken.ErrNotYetValid,
		},
		{
			name: "missing jti", reason: "Flask always writes one; revocation needs it",
			payload: `{"fresh":true,"iat":$iat,"type":"access","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   access, wantErr: freshtoken.ErrInvalidClaims,
		},
		{
			name: "lifetime beyond AccessTTL", reason: "AccessTTL caps the tokens read",
			payload: `{"fresh":true,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":` + strconv.FormatInt(loginTime.Add(16*time.Minute).Unix(), 10) + `}`,
			guard:   access, wantErr: freshtoken.ErrInvalidClaims,
		},
		{
			name: "issuer and audience", reason: "JWT_DECODE_ISSUER and JWT_DECODE_AUDIENCE",
			edit:    func(c *freshtoken.Config) { c.Issuer, c.Audience = "auth", []string{"api"} },
			payload: `{"fresh":true,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"aud":["web","api"],"iss":"auth","exp":$exp}`,
			guard:   fresh, want: freshAccess,
		},
		{
			name: "wrong issuer", reason: "JWT_DECODE_ISSUER",
			edit:    func(c *freshtoken.Config) { c.Issuer = "auth" },
			payload: `{"fresh":true,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"iss":"other","exp":$exp}`,
			guard:   access, wantErr: freshtoken.ErrInvalidClaims,
		},
		{
			name: "duplicate claim", reason: "parsers disagree on which one counts",
			payload: `{"fresh":false,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$exp,"fresh":true}`,
			guard:   access, wantErr: freshtoken.ErrMalformed,
		},
		{
			name: "escaped claim name", reason: `"\u0066resh" would hide fresh from a byte-level check`,
			payload: `{"\u0066resh":true,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$exp}`,
			guard:   access, wantErr: freshtoken.ErrMalformed,
		},
	}
	ctx := context.Background()
	for _, tt := range tests {
		header := tt.header
		if header == "" {
			header = plainHeader
		}
		tok := hs256(flaskSecret, header, fill(tt.payload))
		t.Run(tt.name, func(t *testing.T) {
			m, clk := newFlaskManager(t, tt.edit)
			clk.Set(checkTime)
			c, err := tt.guard.run(ctx, m, tok)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("%v: got error %v, want %v (%s)", tt.guard, err, tt.wantErr, tt.reason)
			}
			if diff := cmp.Diff(tt.want, resultOf(c)); diff != "" {
				t.Errorf("%v: got claims %+v, want %+v (-want +got) (%s):\n%s", tt.guard, resultOf(c), tt.want, tt.reason, diff)
			}
		})
		// With a cache of verified tokens, warmed at the login when the
		// token passed every check then, the answers at checkTime must be
		// the same, on the first call and on the next.
		t.Run(tt.name+"/cached", func(t *testing.T) {
			m, clk := newFlaskManager(t, func(c *freshtoken.Config) {
				c.VerifiedCacheSize = 16
				if tt.edit != nil {
					tt.edit(c)
				}
			})
			_, _ = m.RequireAccess(ctx, tok)
			_, _ = m.RequireRefresh(ctx, tok)
			clk.Set(checkTime)
			for _, call := range []string{"first", "second"} {
				c, err := tt.guard.run(ctx, m, tok)
				if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
					t.Fatalf("%v, %s call: got error %v, want %v (%s)", tt.guard, call, err, tt.wantErr, tt.reason)
				}
				if diff := cmp.Diff(tt.want, resultOf(c)); diff != "" {
					t.Errorf("%v, %s call: got claims %+v, want %+v (-want +got) (%s):\n%s", tt.guard, call, resultOf(c), tt.want, tt.reason, diff)
				}
			}
		})
	}
}

func TestFlaskProfileSignatureAndKeys(t *testing.T) {
	ctx := context.Background()
	payload := fill(`{"fresh":true,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$exp}`)
	oldSecret := []byte("flask-profile-old-secret-32bytes")

	m, clk := newFlaskManager(t, nil)
	clk.Set(checkTime)
	if _, err := m.RequireAccess(ctx, hs256(oldSecret, plainHeader, payload)); !errors.Is(err, freshtoken.ErrSignature) {
		t.Errorf("token signed with another secret: got %v, want ErrSignature", err)
	}

	// A rotation: tokens without a kid are tried against every key.
	rotated, _ := newFlaskManager(t, func(c *freshtoken.Config) { c.VerifyKeys, c.Now = []any{oldSecret}, clk.Now })
	for _, secret := range [][]byte{flaskSecret, oldSecret} {
		if _, err := rotated.RequireFresh(ctx, hs256(secret, plainHeader, payload)); err != nil {
			t.Errorf("after rotation: got %v, want tokens of both secrets accepted", err)
		}
	}
}

var uuid4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// decodeToken splits a token into its header text and its payload members in order.
func decodeToken(t *testing.T, tok string) (header string, names []string, claims map[string]json.RawMessage) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	h, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	p, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(p)))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	claims = map[string]json.RawMessage{}
	for dec.More() {
		name, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		names = append(names, name.(string))
		claims[name.(string)] = v
	}
	return string(h), names, claims
}

func TestFlaskProfileWritesFlaskTokens(t *testing.T) {
	ctx := context.Background()
	m, clk := newFlaskManager(t, func(c *freshtoken.Config) {
		c.Issuer, c.Audience = "auth", []string{"api"}
	})
	pair, err := m.Issue(ctx, "alice", freshtoken.WithCSRF(), freshtoken.WithClaims(map[string]any{"role": "admin"}))
	if err != nil {
		t.Fatal(err)
	}
	iat := strconv.FormatInt(loginTime.Unix(), 10)
	// Both tokens carry the session link freshtoken adds, which
	// Flask-JWT-Extended ignores: one session ID for the whole login.
	sessions := map[string]bool{}
	tests := []struct {
		name      string
		tok       string
		wantNames []string
		want      map[string]string // claim: raw JSON; "" for the random UUIDs and the session ID
	}{
		{
			name:      "access",
			tok:       pair.Access,
			wantNames: []string{"fresh", "iat", "jti", "type", "sub", "nbf", "csrf", "aud", "iss", "exp", "sid", "role"},
			want: map[string]string{
				"fresh": "true", "iat": iat, "jti": "", "type": `"access"`, "sub": `"alice"`, "nbf": iat, "csrf": "",
				"aud": `"api"`, "iss": `"auth"`, "exp": strconv.FormatInt(loginTime.Add(freshtoken.DefaultAccessTTL).Unix(), 10), "sid": "", "role": `"admin"`,
			},
		},
		{
			name:      "refresh",
			tok:       pair.Refresh,
			wantNames: []string{"fresh", "iat", "jti", "type", "sub", "nbf", "csrf", "aud", "iss", "exp", "sid", "role"},
			want: map[string]string{
				"fresh": "false", "iat": iat, "jti": "", "type": `"refresh"`, "sub": `"alice"`, "nbf": iat, "csrf": "",
				"aud": `"api"`, "iss": `"auth"`, "exp": strconv.FormatInt(loginTime.Add(freshtoken.DefaultRefreshTTL).Unix(), 10), "sid": "", "role": `"admin"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header, names, claims := decodeToken(t, tt.tok)
			if header != plainHeader {
				t.Errorf("header %s, want %s", header, plainHeader)
			}
			if diff := cmp.Diff(tt.wantNames, names); diff != "" {
				t.Errorf("got claims %v, want %v in Flask-JWT-Extended's order (-want +got):\n%s", names, tt.wantNames, diff)
			}
			got := map[string]string{}
			for name, v := range claims {
				got[name] = string(v)
				if name == "jti" || name == "csrf" {
					var s string
					if err := json.Unmarshal(v, &s); err != nil || !uuid4.MatchString(s) {
						t.Errorf("%s = %s, want a version 4 UUID", name, v)
					}
					got[name] = ""
				}
				if name == "sid" {
					var s string
					if err := json.Unmarshal(v, &s); err != nil || len(s) != 33 {
						t.Errorf("sid = %s, want a session ID of 33 base64url characters", v)
					}
					sessions[s] = true
					got[name] = ""
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("got claims %v, want %v (-want +got):\n%s", got, tt.want, diff)
			}
		})
	}

	if len(sessions) != 1 {
		t.Errorf("the login's tokens name %d sessions, want 1: %v", len(sessions), sessions)
	}

	// A refresh makes a non-fresh access token with a new csrf value and
	// the same application claims.
	clk.Set(loginTime.Add(20 * time.Minute))
	next, err := m.Refresh(ctx, pair.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.RequireAccess(ctx, next.Access)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := m.RequireRefresh(ctx, pair.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	if c.Fresh || c.CSRF == rc.CSRF || !uuid4.MatchString(c.CSRF) || c.Extra["role"] != "admin" || c.Subject != "alice" {
		t.Errorf("refreshed claims %+v: want not fresh, subject alice, role admin, a new csrf UUID", c)
	}
	if _, err := m.RequireFresh(ctx, next.Access); !errors.Is(err, freshtoken.ErrNotFresh) {
		t.Errorf("RequireFresh(refreshed): got %v, want ErrNotFresh", err)
	}
	var fe *freshtoken.FreshnessError
	if _, err := m.RequireFresh(ctx, next.Access); !errors.As(err, &fe) || !fe.Refreshed {
		t.Errorf("RequireFresh(refreshed): got %#v, want a FreshnessError with Refreshed", err)
	}
}

func TestFlaskProfileFreshnessWindow(t *testing.T) {
	ctx := context.Background()
	m, clk := newFlaskManager(t, func(c *freshtoken.Config) { c.FreshFor = 5 * time.Minute })
	pair, err := m.Issue(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	_, _, claims := decodeToken(t, pair.Access)
	if want := strconv.FormatInt(loginTime.Add(5*time.Minute).Unix(), 10) + ".0"; string(claims["fresh"]) != want {
		t.Errorf(`"fresh": %s, want %s (a float, as Python writes now+timedelta)`, claims["fresh"], want)
	}
	end := loginTime.Add(5 * time.Minute)
	tests := []struct {
		name    string
		at      time.Time
		wantErr error
	}{
		{"a second before the end", end.Add(-time.Second), nil},
		{"at the end", end, nil},
		{"a microsecond after the end", end.Add(time.Microsecond), freshtoken.ErrNotFresh},
		{"a second after the end", end.Add(time.Second), freshtoken.ErrNotFresh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Set(tt.at)
			_, err := m.RequireFresh(ctx, pair.Access)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("RequireFresh: got %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			var fe *freshtoken.FreshnessError
			if !errors.As(err, &fe) {
				t.Fatalf("got %T, want *FreshnessError", err)
			}
			want := freshtoken.FreshnessError{MaxAge: 5 * time.Minute, AuthTime: loginTime}
			if diff := cmp.Diff(want, *fe); diff != "" {
				t.Errorf("got %+v, want %+v (-want +got):\n%s", *fe, want, diff)
			}
			if _, err := m.RequireAccess(ctx, pair.Access); err != nil {
				t.Errorf("RequireAccess after the window: got %v, want nil", err)
			}
		})
	}

	// The window does not reach tokens that were not issued with it.
	clk.Set(loginTime.Add(time.Hour))
	plain, _ := newFlaskManager(t, func(c *freshtoken.Config) { c.Now = clk.Now })
	late, err := plain.Issue(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(14 * time.Minute)
	if _, err := m.RequireFresh(ctx, late.Access); err != nil {
		t.Errorf("fresh=true token under a FreshFor manager: got %v, want nil (the token decides)", err)
	}
	if _, err := m.RequireLoginWithin(ctx, late.Access, time.Hour); !errors.Is(err, freshtoken.ErrNotFresh) {
		t.Errorf("RequireLoginWithin: got %v, want ErrNotFresh (Flask tokens carry no auth_time)", err)
	}
}

func TestFlaskProfileKeys(t *testing.T) {
	ctx := context.Background()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		key        any
		keyID      string
		wantHeader string
	}{
		{"HS256 with a kid", flaskSecret, "k1", `{"alg":"HS256","kid":"k1","typ":"JWT"}`},
		{"ES256", ec, "", `{"alg":"ES256","typ":"JWT"}`},
		{"RS256", rk, "", `{"alg":"RS256","typ":"JWT"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newFlaskManager(t, func(c *freshtoken.Config) { c.Key, c.KeyID = tt.key, tt.keyID })
			pair, err := m.Issue(ctx, "alice")
			if err != nil {
				t.Fatal(err)
			}
			if header, _, _ := decodeToken(t, pair.Access); header != tt.wantHeader {
				t.Errorf("header %s, want %s", header, tt.wantHeader)
			}
			if _, err := m.RequireFresh(ctx, pair.Access); err != nil {
				t.Errorf("RequireFresh: %v", err)
			}
			if _, err := m.RequireRefresh(ctx, pair.Refresh); err != nil {
				t.Errorf("RequireRefresh: %v", err)
			}
		})
	}
}

func TestFlaskProfileKeepsFormatsApart(t *testing.T) {
	ctx := context.Background()
	native, _ := newTestManager(t, freshtoken.Config{Key: flaskSecret})
	flask, _ := newFlaskManager(t, nil)
	np, err := native.Issue(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	fp, err := flask.Issue(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := flask.RequireAccess(ctx, np.Access); !errors.Is(err, freshtoken.ErrMalformed) {
		t.Errorf("freshtoken's own token under Flask: got %v, want ErrMalformed", err)
	}
	if _, err := native.RequireAccess(ctx, fp.Access); !errors.Is(err, freshtoken.ErrMalformed) {
		t.Errorf("Flask token under freshtoken's own format: got %v, want ErrMalformed", err)
	}
}

func TestFlaskProfileConfig(t *testing.T) {
	tests := []struct {
		name     string
		identity string
		wantErr  error
	}{
		{"default", "", nil},
		{"renamed", "identity", nil},
		{"URI", "https://example.com/uid", nil},
		{"a claim the profile uses", "exp", freshtoken.ErrInvalidConfig},
		{"fresh", "fresh", freshtoken.ErrInvalidConfig},
		{"needs JSON escapes", `a"b`, freshtoken.ErrInvalidConfig},
		{"HTML escaped by encoding/json", "a<b", freshtoken.ErrInvalidConfig},
		{"space", "user id", freshtoken.ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := freshtoken.New(freshtoken.Config{Key: flaskSecret, Flask: &freshtoken.FlaskOptions{IdentityClaim: tt.identity}})
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("New with IdentityClaim %q: got %v, want %v", tt.identity, err, tt.wantErr)
			}
		})
	}

	m, _ := newFlaskManager(t, func(c *freshtoken.Config) { c.Flask.IdentityClaim = "identity" })
	_, err := m.Issue(context.Background(), "alice", freshtoken.WithClaims(map[string]any{"identity": "mallory"}))
	if !errors.Is(err, freshtoken.ErrInvalidConfig) {
		t.Errorf("WithClaims naming the identity claim: got %v, want ErrInvalidConfig", err)
	}
}

// FuzzFlaskProfile checks that no input makes a guard panic, and that a
// guard returns claims exactly when it returns no error.
func FuzzFlaskProfile(f *testing.F) {
	f.Add(plainHeader, fill(`{"fresh":true,"iat":$iat,"jti":"j1","type":"access","sub":"alice","nbf":$iat,"exp":$exp}`))
	f.Add(plainHeader, fill(`{"fresh":$now.5,"iat":$iat,"jti":"j1","sub":"alice","exp":$exp,"x":{"y":[1,"]"]}}`))
	f.Add(`{"alg":"HS256","kid":"","typ":"JWT"}`, `{"fresh":-1e308,"sub":"\u00e9"}`)
	f.Add(`{"typ":"JWT","alg":"HS256"}`, `{"fresh":1e999}`)
	m, clk := newFlaskManager(f, nil)
	clk.Set(checkTime)
	f.Fuzz(func(t *testing.T, header, payload string) {
		tok := hs256(flaskSecret, header, payload)
		for _, g := range []guard{access, refresh, fresh} {
			c, err := g.run(context.Background(), m, tok)
			if (c == nil) == (err == nil) {
				t.Fatalf("%v: claims %v with error %v", g, c, err)
			}
		}
	})
}

// BenchmarkFlaskProfile measures the profile's guards and issuing with
// HS256, beside freshtoken's own format with the same secret.
func BenchmarkFlaskProfile(b *testing.B) {
	ctx := context.Background()
	flask, clk := newFlaskManager(b, nil)
	clk.Set(checkTime)
	native, _ := newTestManager(b, freshtoken.Config{Key: flaskSecret, Now: clk.Now})
	// A token as Flask-JWT-Extended writes it after fresh=timedelta(minutes=5).
	flaskTok := hs256(flaskSecret, plainHeader, fill(`{"fresh":$now.123456,"iat":$iat,"jti":"5f0c9a52-8b1e-4b8e-9f5a-0c6d1f2e3a4b","type":"access","sub":"alice","nbf":$iat,"exp":$exp}`))
	nativePair, err := native.Issue(ctx, "alice")
	if err != nil {
		b.Fatal(err)
	}
	for _, bm := range []struct {
		name string
		m    *freshtoken.Manager
		tok  string
	}{{"flask", flask, flaskTok}, {"native", native, nativePair.Access}} {
		b.Run("RequireFresh/"+bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bm.m.RequireFresh(ctx, bm.tok); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Issue/"+bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bm.m.Issue(ctx, "alice"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Tokens in the Flask format name no session, so revocation must fall back
// to what they do carry: Logout revokes the refresh token alone, never every
// token without a session ID, and LogoutEverywhere judges logins by "iat".
func TestFlaskProfileRevocation(t *testing.T) {
	ctx := context.Background()
	m, clk := newFlaskManager(t, nil)
	alice := mustIssue(t, m, "alice")
	bob := mustIssue(t, m, "bob")

	if err := m.Logout(ctx, alice.Refresh); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	expect(t, m, checkRefreshCall, "alice's logged-out refresh token", alice.Refresh, freshtoken.ErrRevoked)
	expect(t, m, checkAccess, "bob's access token after alice logged out", bob.Access, nil)
	expect(t, m, checkRefreshCall, "bob's refresh token after alice logged out", bob.Refresh, nil)

	clk.Advance(time.Minute)
	if err := m.LogoutEverywhere(ctx, "bob"); err != nil {
		t.Fatalf("LogoutEverywhere: %v", err)
	}
	expect(t, m, checkAccess, "bob's access token from before", bob.Access, freshtoken.ErrRevoked)
	expect(t, m, checkRefreshCall, "bob's refresh token from before", bob.Refresh, freshtoken.ErrRevoked)
	clk.Advance(time.Second)
	again := mustIssue(t, m, "bob")
	expect(t, m, checkAccess, "bob's login after logging out everywhere", again.Access, nil)
	expect(t, m, checkRefreshCall, "bob's new refresh token", again.Refresh, nil)
}
