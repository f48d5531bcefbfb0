package freshtoken

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/freshtoken/freshtoken/internal/testclock"
	"github.com/google/go-cmp/cmp"
)

// audMember returns the raw JSON of the "aud" member tok carries, or "".
func audMember(t *testing.T, tok string) string {
	t.Helper()
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return string(claims["aud"])
}

// TestAudienceWritten checks how both formats write Config.Audience: one
// value as a string, several as an array, in the order given, in access
// and refresh tokens alike, refreshed ones too.
func TestAudienceWritten(t *testing.T) {
	tests := []struct {
		name     string
		audience []string
		want     string
		reason   string
	}{
		{"none", nil, "", "no Audience, no aud claim"},
		{"empty list", []string{}, "", "an empty list is no Audience"},
		{"one", []string{"api"}, `"api"`, "RFC 7519 §4.1.3: one audience may be a string"},
		{"two", []string{"api", "web"}, `["api","web"]`, "several are an array, in the order given"},
		{"escaped", []string{"a<b", "é"}, `["a\u003cb","é"]`, "each value written as json.Marshal writes it"},
	}
	for _, flask := range []bool{false, true} {
		for _, tt := range tests {
			cfg := Config{Key: testKeys().hs256, Audience: tt.audience}
			if flask {
				cfg.Flask = &FlaskOptions{}
			}
			m, _ := newTestManager(t, cfg)
			pair := mustIssue(t, m, "user-42")
			refreshed, err := m.Refresh(context.Background(), pair.Refresh)
			if err != nil {
				t.Fatalf("flask=%t %s: Refresh: %v", flask, tt.name, err)
			}
			for _, tok := range []string{pair.Access, pair.Refresh, refreshed.Access} {
				if got := audMember(t, tok); got != tt.want {
					t.Errorf("flask=%t %s: got aud %s, want %s (%s)", flask, tt.name, got, tt.want, tt.reason)
				}
			}
			c := checkGuard(t, guardAccess, m, pair.Access, nil, "a Manager accepts its own audience")
			if c != nil && len(tt.audience) > 0 {
				if diff := cmp.Diff(tt.audience, c.Audience); diff != "" {
					t.Errorf("flask=%t %s: Claims.Audience (-want +got):\n%s", flask, tt.name, diff)
				}
			}
		}
	}
}

// TestAudienceSet has a resource server that answers to several names
// accept a token meant for any of them, and refuse one meant for none.
func TestAudienceSet(t *testing.T) {
	pub := testKeys().ed.Public()
	v, err := NewVerifier(context.Background(), VerifierConfig{Config: Config{
		VerifyKeys: []any{pub}, Audience: []string{"https://api.example.com", "api"}, Now: testclock.New(t0).Now,
	}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		audience []string
		want     error
		reason   string
	}{
		{"first name", []string{"https://api.example.com"}, nil, "one of the set"},
		{"second name", []string{"api"}, nil, "any of the set will do"},
		{"list naming one", []string{"billing", "api"}, nil, "the token's list shares a value with the set"},
		{"list naming both", []string{"api", "https://api.example.com"}, nil, "sharing more is fine"},
		{"another service", []string{"billing"}, ErrInvalidClaims, "meant for someone else"},
		{"list naming none", []string{"billing", "web"}, ErrInvalidClaims, "no value in common"},
		{"differs in case", []string{"API"}, ErrInvalidClaims, "audiences compare exactly"},
		{"no audience", nil, ErrInvalidClaims, "a verifier with an Audience needs an aud"},
	}
	for _, tt := range tests {
		m, _ := newTestManager(t, Config{Key: testKeys().ed, Audience: tt.audience})
		pair := mustIssue(t, m, "user-42")
		c, err := v.RequireAccess(context.Background(), pair.Access)
		if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) || (err != nil) != (c == nil) {
			t.Errorf("%s: got %+v, %v, want %v (%s)", tt.name, c, err, tt.want, tt.reason)
		}
	}
}

// TestAudienceErrors checks what a refusal says, with one configured
// audience and with several.
func TestAudienceErrors(t *testing.T) {
	tests := []struct {
		name           string
		issue, verify  []string
		wantSubstrings []string
	}{
		{"one configured", []string{"x", "y"}, []string{"api"},
			[]string{`"aud" ["x" "y"] does not contain Config.Audience "api"`}},
		{"several configured", []string{"x"}, []string{"api", "web"},
			[]string{`"aud" ["x"] names none of Config.Audience ["api" "web"]`}},
		{"missing, several configured", nil, []string{"api", "web"},
			[]string{`"aud" is missing but Config.Audience is ["api" "web"]`}},
	}
	for _, tt := range tests {
		issuer, _ := newTestManager(t, Config{Audience: tt.issue})
		verifier, _ := newTestManager(t, Config{Audience: tt.verify})
		_, err := verifier.RequireAccess(context.Background(), mustIssue(t, issuer, "u").Access)
		for _, s := range tt.wantSubstrings {
			if err == nil || !strings.Contains(err.Error(), s) {
				t.Errorf("%s: got %v, want it to contain %q", tt.name, err, s)
			}
		}
	}
}

// TestAudienceConfig refuses audiences no token could name, and keeps its
// own copy of the list.
func TestAudienceConfig(t *testing.T) {
	tests := []struct {
		name     string
		audience []string
		want     string
	}{
		{"empty value", []string{"api", ""}, `Config.Audience[1] is empty`},
		{"twice", []string{"api", "web", "api"}, `Config.Audience[2] "api" is given twice`},
		{"control character", []string{"api\n"}, `Config.Audience[0] "api\n" has a control character`},
		{"not UTF-8", []string{"web", "\xff"}, `Config.Audience[1] "\xff" is not valid UTF-8`},
	}
	for _, tt := range tests {
		for _, verifier := range []bool{false, true} {
			var err error
			if verifier {
				_, err = NewVerifier(context.Background(), VerifierConfig{Config: Config{VerifyKeys: []any{testKeys().ed.Public()}, Audience: tt.audience}})
			} else {
				_, err = New(Config{Key: testKeys().ed, Audience: tt.audience})
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s (verifier %t): got %v, want ErrInvalidConfig saying %q", tt.name, verifier, err, tt.want)
			}
		}
	}

	aud := []string{"api"}
	m, _ := newTestManager(t, Config{Audience: aud})
	aud[0] = "changed"
	if got := audMember(t, mustIssue(t, m, "u").Access); got != `"api"` {
		t.Errorf("after the caller changed its slice, the Manager writes aud %s, want \"api\"", got)
	}
}

// TestFlaskAudienceLists judges the Flask profile's "aud" as
// Flask-JWT-Extended 4.4.4 with PyJWT 2.6 does (what each row says Flask
// answers was read from the real library; flask_diff_test.go keeps
// checking it): without JWT_DECODE_AUDIENCE "aud" is never read, whatever
// it holds; with one, it must be a string or a list of strings sharing a
// value with it. A list holding a null once passed here, read by
// encoding/json as "".
func TestFlaskAudienceLists(t *testing.T) {
	const common = `"fresh":false,"iat":1772355600,"jti":"j","type":"access","sub":"u","nbf":1772355600,"exp":1772356500`
	tests := []struct {
		name        string
		aud         string
		unset, set  error // with no Audience, and with Audience api, web
		flaskAnswer string
	}{
		{"string", `"api"`, nil, nil, "200"},
		{"second of the set", `"web"`, nil, nil, "200"},
		{"list sharing one", `["x","web"]`, nil, nil, "200"},
		{"escaped string", `"\u0061pi"`, nil, nil, "200"},
		{"another", `"other"`, nil, ErrInvalidClaims, "Invalid audience"},
		{"empty string", `""`, nil, ErrInvalidClaims, `Token is missing the "aud" claim`},
		{"empty list", `[]`, nil, ErrInvalidClaims, `Token is missing the "aud" claim`},
		{"list of empty", `[""]`, nil, ErrInvalidClaims, "Invalid audience"},
		{"list of null", `[null]`, nil, ErrInvalidClaims, "Invalid claim format in token"},
		{"null among", `["api",null]`, nil, ErrInvalidClaims, "Invalid claim format in token"},
		{"number among", `["api",1]`, nil, ErrInvalidClaims, "Invalid claim format in token"},
		{"list among", `["api",["api"]]`, nil, ErrInvalidClaims, "Invalid claim format in token"},
		{"number", `5`, nil, ErrInvalidClaims, "Invalid claim format in token"},
		{"object", `{}`, nil, ErrInvalidClaims, `Token is missing the "aud" claim`},
		{"null", `null`, nil, ErrInvalidClaims, `Token is missing the "aud" claim`},
	}
	unset, _ := newTestManager(t, Config{Key: testKeys().hs256, Flask: &FlaskOptions{}})
	set, _ := newTestManager(t, Config{Key: testKeys().hs256, Flask: &FlaskOptions{}, Audience: []string{"api", "web"}})
	for _, tt := range tests {
		tok := signClaims(t, unset, `{`+common+`,"aud":`+tt.aud+`}`)
		for _, m := range []struct {
			m    *Manager
			want error
		}{{unset, tt.unset}, {set, tt.set}} {
			c, err := m.m.RequireAccess(context.Background(), tok)
			if !errors.Is(err, m.want) || (err == nil) != (m.want == nil) || (err != nil) != (c == nil) {
				t.Errorf("%s, Audience %q: got %v, want %v (Flask: %s)", tt.name, m.m.audience, err, m.want, tt.flaskAnswer)
			}
		}
	}
}
