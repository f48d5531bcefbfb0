package freshtoken

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// freshtoken takes shortcuts on its hot paths (the tokens a Manager writes
// itself, plain strings and scalars). These tests hold each shortcut to the
// answers of the general path.

// general returns a copy of m without its shortcuts.
func general(m *Manager) *Manager {
	g := *m
	g.knownHeaders = nil
	return &g
}

// parseOutcome is what parse said about a token, comparable with cmp.
type parseOutcome struct {
	Claims *Claims
	Err    string
}

func outcome(c *Claims, err error) parseOutcome {
	o := parseOutcome{Claims: c}
	if err != nil {
		o.Err = err.Error()
	}
	return o
}

func TestShortcutsAgreeWithTheGeneralPath(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	old, err := New(Config{Key: ed25519.NewKeyFromSeed(make([]byte, 32)), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(Config{
		Key: []byte("0123456789abcdef0123456789abcdef"), Issuer: "https://auth.example.com", Audience: "api",
		VerifyKeys: []any{ed25519.NewKeyFromSeed(make([]byte, 32))}, Now: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.knownHeaders) != 2 {
		t.Fatalf("got %d known headers, want 2 (access and refresh)", len(m.knownHeaders))
	}
	p, err := m.Issue(ctx, "user-42", WithClaims(map[string]any{"role": "admin", "n": 1.5, "list": []any{"a", map[string]any{"b": nil}}}))
	if err != nil {
		t.Fatal(err)
	}
	fromOld, err := old.Issue(ctx, "user-7")
	if err != nil {
		t.Fatal(err)
	}
	tokens := []string{p.Access, p.Refresh, fromOld.Access, fromOld.Refresh}
	// Every one-character change of the access token, at every fourth position.
	for i := 0; i < len(p.Access); i += 4 {
		for _, c := range []byte{'A', 'e', '.', '_', '='} {
			b := []byte(p.Access)
			b[i] = c
			tokens = append(tokens, string(b))
		}
	}
	for _, tok := range tokens {
		want := outcome(proved(general(m), tok))
		got := outcome(proved(m, tok))
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(Claims{})); diff != "" {
			t.Errorf("parse(%q): the shortcut disagrees with the general path (-want +got):\n%s", tok, diff)
		}
	}
}

func TestShortcutsAgreeOnOddKeyIDs(t *testing.T) {
	// json.Marshal writes "<" as \u003c and readHeader reads only plain
	// strings, so New refuses such key IDs; for the ones it accepts,
	// whatever the general path says about the header, the shortcut must
	// say the same.
	for _, kid := range []string{"a<b", `q"uote`, "caf\u00e9", "k1"} {
		m, err := New(Config{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: kid})
		if errors.Is(err, ErrInvalidKey) && strings.ContainsAny(kid, `<"`) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.Issue(context.Background(), "user-42")
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{p.Access, p.Refresh} {
			want := outcome(proved(general(m), tok))
			got := outcome(proved(m, tok))
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(Claims{})); diff != "" {
				t.Errorf("kid %q: the shortcut disagrees with the general path (-want +got):\n%s", kid, diff)
			}
		}
	}
}

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
	m, err := New(Config{Key: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
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

// splitCompactReference is splitCompact written plainly, one byte at a time.
func splitCompactReference(tok string) (header, payload, sig string, err error) {
	dot1, dot2 := -1, -1
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		case c == '.':
			switch {
			case dot1 < 0:
				dot1 = i
			case dot2 < 0:
				dot2 = i
			default:
				return "", "", "", withDetail(ErrMalformed, "more than three parts")
			}
		default:
			return "", "", "", withDetail(ErrMalformed, "character outside the base64url alphabet")
		}
	}
	if dot2 < 0 {
		return "", "", "", withDetail(ErrMalformed, "not three dot-separated parts")
	}
	header, payload, sig = tok[:dot1], tok[dot1+1:dot2], tok[dot2+1:]
	if header == "" || payload == "" || sig == "" {
		return "", "", "", withDetail(ErrMalformed, "empty part")
	}
	return header, payload, sig, nil
}

func TestSplitCompactMatchesByteByByte(t *testing.T) {
	base := []string{"abcdefghij.klmnopqrstuvw.xyz-_0123456789AB", "a.b.c", "ab.cd", "", "..", "abcdefgh.ijklmnop.qrstuvwx"}
	var toks []string
	for _, b := range base {
		toks = append(toks, b)
		// Every byte value replacing, and inserted before, every position,
		// so each lands in the eight-at-a-time loop and in the tail.
		for i := 0; i <= len(b); i++ {
			for c := 0; c < 256; c++ {
				if i < len(b) {
					toks = append(toks, b[:i]+string([]byte{byte(c)})+b[i+1:])
				}
				toks = append(toks, b[:i]+string([]byte{byte(c)})+b[i:])
			}
		}
	}
	for _, tok := range toks {
		h1, p1, s1, err1 := splitCompactReference(tok)
		h2, p2, s2, err2 := splitCompact(tok)
		want := []string{h1, p1, s1, outcome(nil, err1).Err}
		got := []string{h2, p2, s2, outcome(nil, err2).Err}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("splitCompact(%q) (-want +got):\n%s", tok, diff)
		}
	}
}

// signClaims signs a hand-written payload with m's key and header.
func signClaims(t *testing.T, m *Manager, payload string) string {
	t.Helper()
	input := m.format.header(AccessToken) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	sig, err := m.signing.sign([]byte(input))
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestAudienceForms(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	m, err := New(Config{Key: []byte("0123456789abcdef0123456789abcdef"), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
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

func TestAppendStringMatchesJSONMarshal(t *testing.T) {
	inputs := []string{"", "user-42", "https://auth.example.com", "café", "a\u2028b", "a\u2029b", "\xff", "a\xc3", "日本"}
	for c := 0; c < 256; c++ {
		inputs = append(inputs, string([]byte{byte(c)}), "a"+string([]byte{byte(c)})+"b")
	}
	for _, in := range inputs {
		want, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendString([]byte("x"), in); string(got) != "x"+string(want) {
			t.Errorf("appendString(%q) = %s, json.Marshal writes %s", in, got[1:], want)
		}
	}
}

// The signing input and signature go through pooled buffers. Concurrent
// guards must each verify their own token: a good token passes with its own
// subject, a tampered one fails, whatever the other goroutines hold.
func TestPooledInputsKeepTokensApart(t *testing.T) {
	ctx := context.Background()
	for _, key := range []any{[]byte("0123456789abcdef0123456789abcdef"), ed25519.NewKeyFromSeed(make([]byte, 32))} {
		m, err := New(Config{Key: key})
		if err != nil {
			t.Fatal(err)
		}
		type tokenCase struct {
			tok, subject string
			good         bool
		}
		var cases []tokenCase
		for i := range 8 {
			subject := "user-" + strings.Repeat("x", i*40) // tokens of different lengths
			p, err := m.Issue(ctx, subject)
			if err != nil {
				t.Fatal(err)
			}
			bad := []byte(p.Access)
			bad[len(bad)-3] ^= 'A' ^ 'B'
			cases = append(cases, tokenCase{p.Access, subject, true}, tokenCase{string(bad), subject, false})
		}
		done := make(chan error, 4)
		for g := range 4 {
			go func() {
				for i := range 200 {
					tc := cases[(g+i)%len(cases)]
					c, err := m.RequireAccess(ctx, tc.tok)
					switch {
					case tc.good && (err != nil || c.Subject != tc.subject):
						done <- fmt.Errorf("%T key: good token of %q: got %v, %v", key, tc.subject, c, err)
						return
					case !tc.good && !errors.Is(err, ErrSignature) && !errors.Is(err, ErrMalformed):
						done <- fmt.Errorf("%T key: tampered token of %q: got %v, want a signature or malformed error", key, tc.subject, err)
						return
					}
				}
				done <- nil
			}()
		}
		for range 4 {
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
	}
}

// A token too large for a pooled buffer is verified in a buffer of its own.
func TestLargeTokensBypassThePool(t *testing.T) {
	ctx := context.Background()
	m, err := New(Config{Key: []byte("0123456789abcdef0123456789abcdef"), MaxTokenSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Issue(ctx, "user-1", WithClaims(map[string]any{"blob": strings.Repeat("b", 20<<10)}))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Access) <= maxPooledInput {
		t.Fatalf("the token has %d bytes, want more than %d", len(p.Access), maxPooledInput)
	}
	for range 2 {
		if _, err := m.RequireAccess(ctx, p.Access); err != nil {
			t.Fatalf("large token: %v", err)
		}
		bad := []byte(p.Access)
		bad[len(bad)-3] ^= 'A' ^ 'B'
		if _, err := m.RequireAccess(ctx, string(bad)); !errors.Is(err, ErrSignature) && !errors.Is(err, ErrMalformed) {
			t.Fatalf("tampered large token: got %v, want a signature or malformed error", err)
		}
	}
}

// sign builds tokens in pooled buffers too: tokens issued at once on many
// goroutines must each be whole and carry their own subject.
func TestPooledSigningKeepsTokensApart(t *testing.T) {
	ctx := context.Background()
	m, err := New(Config{Key: ed25519.NewKeyFromSeed(make([]byte, 32))})
	if err != nil {
		t.Fatal(err)
	}
	type issued struct {
		subject string
		pair    *Pair
	}
	out := make(chan issued, 4*50)
	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			for i := range 50 {
				subject := fmt.Sprintf("user-%d-%s", g, strings.Repeat("y", i))
				p, err := m.Issue(ctx, subject)
				if err != nil {
					errs <- err
					return
				}
				out <- issued{subject, p}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	close(out)
	for is := range out {
		for _, check := range []struct {
			tok   string
			guard func(context.Context, string) (*Claims, error)
		}{{is.pair.Access, m.RequireFresh}, {is.pair.Refresh, m.RequireRefresh}} {
			c, err := check.guard(ctx, check.tok)
			if err != nil || c.Subject != is.subject {
				t.Fatalf("token issued for %q: got %v, %v", is.subject, c, err)
			}
		}
	}
}

// proved is what prove says of tok, without the key.
func proved(m *Manager, tok string) (*Claims, error) {
	c, _, err := m.prove(context.Background(), tok)
	return c, err
}
