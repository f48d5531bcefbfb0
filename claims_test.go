package freshtoken

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// jsonScalar is the claims reader's shortcut for plain scalars; it must
// give what the general path, unmarshalAny, gives.
func TestJSONScalarMatchesUnmarshal(t *testing.T) {
	values := []string{
		`"admin"`, `""`, `"caf\u00e9"`, `"a\"b"`, "\"caf\xc3\xa9\"", "\"\xff\"", `"\/"`,
		`0`, `-0`, `1`, `-17`, `1.5`, `1e3`, `1E-3`, `-2.5e+10`, `12345678901234567890`,
		`1e308`, `1e309`, `-1e400`, `1e-400`, `4.9e-324`, `0.1`,
		`true`, `false`, `null`, `[]`, `{}`, `[1,"a"]`, `{"a":{"b":null}}`,
	}
	for _, v := range values {
		// unmarshalAny is json.Unmarshal, with json.Number for numbers
		// beyond float64, which json.Unmarshal refuses.
		want, wantErr := unmarshalAny(v)
		got, ok := jsonScalar(v)
		if !ok {
			// Left to unmarshalAny: nothing to compare.
			continue
		}
		if wantErr != nil {
			t.Errorf("jsonScalar(%s) = %v, but unmarshalAny fails: %v", v, got, wantErr)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("jsonScalar(%s): got %#v, unmarshalAny gives %#v (-want +got):\n%s", v, got, want, diff)
		}
	}
	for _, v := range []string{`1e309`, `-1e400`} {
		if got, _ := jsonScalar(v); got != json.Number(v) {
			t.Errorf("jsonScalar(%s) = %#v, want json.Number(%q)", v, got, v)
		}
	}
	for _, v := range []string{`"admin"`, `-17`, `1.5`, `true`, `null`} {
		if _, ok := jsonScalar(v); !ok {
			t.Errorf("jsonScalar(%s) leaves a plain scalar to json.Unmarshal", v)
		}
	}
}

func TestApplicationClaimsDecodeAsEncodingJSONDoes(t *testing.T) {
	extra := map[string]any{
		"role": "admin", "empty": "", "escaped": "a\"b\\c\u2028", "accent": "café",
		"int": 42, "neg": -7, "float": 1.25, "big": 1e300, "yes": true, "no": false, "nothing": nil,
		"list": []any{"a", 1, map[string]any{"b": nil}}, "obj": map[string]any{"k": []any{}},
	}
	m, _ := newTestManager(t, Config{Key: testKeys().hs256})
	p, err := m.Issue(context.Background(), "user-42", WithClaims(extra))
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.RequireAccess(context.Background(), p.Access)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(extra)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, c.Extra); diff != "" {
		t.Errorf("got Extra %v, want what encoding/json decodes (-want +got):\n%s", c.Extra, diff)
	}
}

// signClaims signs a hand-written payload with m's key and header.
func signClaims(t *testing.T, m *Manager, payload string) string {
	t.Helper()
	input := m.ring.Load().header(AccessToken) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	sig, err := m.signer().sign([]byte(input))
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestAudienceForms(t *testing.T) {
	m, _ := newTestManager(t, Config{Key: testKeys().hs256}) // its clock reads t0, 1772355600
	const common = `"sub":"u","exp":1772356500,"iat":1772355600,"jti":"j","sid":"s","auth_time":1772355600,"type":"access","fresh":true`
	tests := []struct {
		name    string
		payload string
		want    []string
		wantErr error
		reason  string
	}{
		{"absent", `{` + common + `}`, nil, nil, "no aud claim leaves Audience nil"},
		{"string", `{"aud":"api",` + common + `}`, []string{"api"}, nil, "a single audience"},
		{"array", `{"aud":["api","web"],` + common + `}`, []string{"api", "web"}, nil, "several audiences"},
		{"empty array", `{"aud":[],` + common + `}`, nil, ErrInvalidClaims, "an empty audience is no audience"},
		{"number", `{"aud":1,` + common + `}`, nil, ErrInvalidClaims, "aud must be strings"},
		{"twice", `{"aud":"a","aud":"b",` + common + `}`, nil, ErrMalformed, "a repeated claim is refused"},
		{"spaced array", `{"aud":[ "api" , "web" ],` + common + `}`, []string{"api", "web"}, nil, "whitespace inside the array is JSON"},
		{"escaped", `{"aud":["api"],` + common + `}`, []string{"api"}, nil, "escapes in values are decoded"},
		{"null in array", `{"aud":[null],` + common + `}`, nil, ErrInvalidClaims, "encoding/json would read null as an empty string, which names nobody"},
		{"null among", `{"aud":["api",null],` + common + `}`, nil, ErrInvalidClaims, "every value must be a string"},
		{"number among", `{"aud":["api",1],` + common + `}`, nil, ErrInvalidClaims, "every value must be a string"},
		{"nested array", `{"aud":[["api"]],` + common + `}`, nil, ErrInvalidClaims, "a list of lists is no audience"},
		{"object", `{"aud":{},` + common + `}`, nil, ErrInvalidClaims, "an object is no audience"},
		{"null", `{"aud":null,` + common + `}`, nil, ErrInvalidClaims, "null is no audience"},
		{"empty string", `{"aud":"",` + common + `}`, nil, ErrInvalidClaims, "an empty audience names nobody"},
		{"empty string in array", `{"aud":["api",""],` + common + `}`, nil, ErrInvalidClaims, "an empty audience names nobody"},
	}
	for _, tt := range tests {
		c, err := m.RequireAccess(context.Background(), signClaims(t, m, tt.payload))
		if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
			t.Errorf("%s: got error %v, want %v (%s)", tt.name, err, tt.wantErr, tt.reason)
			continue
		}
		if err != nil {
			continue
		}
		if diff := cmp.Diff(tt.want, c.Audience); diff != "" || (tt.want == nil) != (c.Audience == nil) {
			t.Errorf("%s: got Audience %#v, want %#v (%s) (-want +got):\n%s", tt.name, c.Audience, tt.want, tt.reason, diff)
		}
	}
}

// Refresh copies the application claims byte for byte from rawExtra: a
// slice of the payload when they are written together, the members joined
// by commas when other claims come between them.
func TestRawExtraKeepsEveryApplicationClaim(t *testing.T) {
	f, err := newFlaskFormat(&Config{Flask: &FlaskOptions{IdentityClaim: "identity"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, payload, want string }{
		{"none", `{"exp":2,"iat":1,"jti":"j","identity":"a"}`, ``},
		{"together", `{"exp":2,"iat":1,"jti":"j","identity":"a","x":1,"y":"z"}`, `"x":1,"y":"z"`},
		{"together, spaced", `{"exp":2,"iat":1,"jti":"j","identity":"a", "x" : 1 , "y":"z" }`, `"x" : 1 , "y":"z"`},
		{"interleaved", `{"x":1,"exp":2,"iat":1,"y": [1, 2] ,"jti":"j","sub":"s","identity":"a","z":{}}`, `"x":1,"y": [1, 2],"sub":"s","z":{}`},
	} {
		c, err := decodeClaims([]byte(tt.payload), f.schema())
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if c.rawExtra != tt.want {
			t.Errorf("%s: rawExtra %q, want %q", tt.name, c.rawExtra, tt.want)
		}
		if tt.want != "" && !json.Valid([]byte("{"+c.rawExtra+"}")) {
			t.Errorf("%s: rawExtra %q is not a list of members", tt.name, c.rawExtra)
		}
	}

	// Through Refresh: a refresh token written with its claims apart.
	m, _ := newTestManager(t, Config{Key: testKeys().hs256, Flask: &FlaskOptions{}})
	iat := t0.Unix()
	payload := fmt.Sprintf(`{"x":1,"fresh":false,"iat":%d,"role":"admin","jti":"j1","type":"refresh","sub":"alice","exp":%d,"tags":["a"]}`, iat, iat+3600)
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(payload))
	mac := hmac.New(sha256.New, testKeys().hs256)
	mac.Write([]byte(input))
	tok := input + "." + enc.EncodeToString(mac.Sum(nil))
	p, err := m.Refresh(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.RequireAccess(context.Background(), p.Access)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"x": 1.0, "role": "admin", "tags": []any{"a"}}
	if diff := cmp.Diff(want, c.Extra); diff != "" {
		t.Errorf("the refreshed token's application claims (-want +got):\n%s", diff)
	}
}
