package freshtoken

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// appClaims is an application's own type for its claims, with the
// registered claims it wants too.
type appClaims struct {
	Roles   []string    `json:"roles"`
	Tenant  int64       `json:"tenant"`
	Big     int64       `json:"big"`
	Ratio   json.Number `json:"ratio"`
	Profile struct {
		Name  string `json:"name"`
		Admin bool   `json:"admin"`
	} `json:"profile"`
	Subject  string `json:"sub"`
	Expires  int64  `json:"exp"`
	Audience string `json:"aud"`
	Type     string `json:"type"`
}

// Decode fills the caller's type as encoding/json would from the payload:
// lists stay lists, integers stay exact integers (2^53+1 too, which Extra's
// float64 cannot hold), json.Number keeps the text, and the registered
// claims are there. It does so on a cache hit too.
func TestClaimsDecode(t *testing.T) {
	for _, size := range []int{0, 16} {
		m, _ := newTestManager(t, Config{Audience: []string{"api"}, VerifiedCacheSize: size})
		pair := mustIssue(t, m, "user-42", WithClaims(map[string]any{
			"roles": []string{"admin", "ops"}, "tenant": 7, "big": json.Number("9007199254740993"),
			"ratio": json.Number("1.50"), "profile": map[string]any{"name": "Ada", "admin": true},
		}))
		for round := range 2 { // the second is a cache hit when there is a cache
			c, err := m.RequireAccess(ctxBG, pair.Access)
			if err != nil {
				t.Fatal(err)
			}
			var got appClaims
			if err := c.Decode(&got); err != nil {
				t.Fatalf("cache %d, round %d: Decode: %v", size, round, err)
			}
			want := appClaims{
				Roles: []string{"admin", "ops"}, Tenant: 7, Big: 9007199254740993, Ratio: "1.50",
				Subject: "user-42", Expires: t0.Add(DefaultAccessTTL).Unix(), Audience: "api", Type: "access",
			}
			want.Profile.Name, want.Profile.Admin = "Ada", true
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("cache %d, round %d: got %+v, want %+v (-want +got):\n%s", size, round, got, want, diff)
			}
		}
	}
}

// Decoding into a map gives the payload the token carries.
func TestClaimsDecodeIntoMap(t *testing.T) {
	m, _ := newTestManager(t, Config{Issuer: "https://auth.example.com"})
	pair := mustIssue(t, m, "user-42", WithClaims(map[string]any{"role": "admin"}))
	c, err := m.RequireAccess(ctxBG, pair.Access)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := c.Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := decodeSegment(t, pair.Access, 1)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Decode into a map differs from the payload (-want +got):\n%s", diff)
	}

	r, err := m.RequireRefresh(ctxBG, pair.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	if err := r.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(decodeSegment(t, pair.Refresh, 1), got); diff != "" {
		t.Errorf("a refresh token's Decode differs from its payload (-want +got):\n%s", diff)
	}
}

// Decode's failures are the caller's type not fitting, never a panic and
// never one of the package's sentinels.
func TestClaimsDecodeErrors(t *testing.T) {
	m, _ := newTestManager(t, Config{})
	c, err := m.RequireAccess(ctxBG, mustIssue(t, m, "user-42", WithClaims(map[string]any{"tenant": "acme"})).Access)
	if err != nil {
		t.Fatal(err)
	}
	var typeErr *json.UnmarshalTypeError
	var invalid *json.InvalidUnmarshalError
	var app appClaims
	var nilClaims *Claims
	tests := []struct {
		name   string
		c      *Claims
		dst    any
		as     any
		detail string
	}{
		{"claim of another type", c, &app, &typeErr, "do not decode into *freshtoken.appClaims"},
		{"nil dst", c, nil, &invalid, "into <nil>"},
		{"non-pointer dst", c, app, &invalid, "into freshtoken.appClaims"},
		{"nil pointer dst", c, (*appClaims)(nil), &invalid, ""},
		{"nil claims", nilClaims, &app, nil, "nil claims"},
	}
	for _, tt := range tests {
		err := tt.c.Decode(tt.dst)
		if err == nil || len(matchedSentinels(err)) != 0 || !strings.Contains(err.Error(), tt.detail) {
			t.Errorf("%s: Decode = %v; want an error saying %q, matching no sentinel", tt.name, err, tt.detail)
		}
		if tt.as != nil && !errors.As(err, tt.as) {
			t.Errorf("%s: Decode = %v; want it to wrap a %T", tt.name, err, tt.as)
		}
	}
}

// Claims made by hand, as a handler's tests make them, decode their
// fields and Extra; the zero Claims decodes to nothing.
func TestClaimsDecodeHandMade(t *testing.T) {
	var zero struct{ Sub string }
	if err := new(Claims).Decode(&zero); err != nil || zero.Sub != "" {
		t.Errorf("zero Claims: Decode = %v, %+v; want nil and nothing", err, zero)
	}
	c := &Claims{Type: AccessToken, Subject: "user-42", ExpiresAt: t0, Extra: map[string]any{"roles": []any{"admin"}}}
	var got appClaims
	if err := c.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Subject != "user-42" || got.Expires != t0.Unix() || !cmp.Equal(got.Roles, []string{"admin"}) || got.Type != "access" {
		t.Errorf("hand-made Claims decoded to %+v", got)
	}
	bad := &Claims{Extra: map[string]any{"f": func() {}}}
	if err := bad.Decode(&got); err == nil {
		t.Error("Extra that does not marshal: Decode = nil, want an error")
	}
}

// Under Flask, a "fresh" time is written back as the number it was, and
// infinities (1e400, which PyJWT reads as one) as numbers read as infinite.
func TestClaimsDecodeFreshTime(t *testing.T) {
	for _, tt := range []struct {
		until float64
		want  string
	}{{1772355600.25, `"fresh":1772355600.25`}, {math.Inf(1), `"fresh":1e400`}, {math.Inf(-1), `"fresh":-1e400`}, {1e22, `"fresh":1e+22`}} {
		c := &Claims{Type: AccessToken, freshTime: true, freshUntil: tt.until, IssuedAt: t0, ExpiresAt: t0.Add(time.Minute)}
		b, err := c.appendJSON(nil)
		if err != nil || !strings.Contains(string(b), tt.want) || !json.Valid(b) {
			t.Errorf("freshUntil %v: %s, %v; want valid JSON with %s", tt.until, b, err, tt.want)
		}
	}
}
