package freshtoken

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken/internal/testclock"
)

// The hostile corpus lives in testdata/hostile.json: each row starts from a
// real token of one profile (freshtoken's own format, or Flask-JWT-Extended's),
// changes its header, claims, signature or encoding as an attacker would,
// and names the error class every guard must answer with. Rows that need our
// signature to get past the signature check are re-signed with the real key,
// so each one tests the rule it names and not the signature.

// hostileCase is one row of testdata/hostile.json.
type hostileCase struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
	// Want is the error class ("malformed", "signature", "unknown_key",
	// "claims", "expired", "not_yet_valid", "wrong_type", "not_fresh", or
	// "ok" for a control row); Flask overrides it for the Flask profile.
	Want  string `json:"want"`
	Flask string `json:"flask,omitempty"`
	// Issuers overrides Want for the "issuers" profile: freshtoken's own
	// format, verified by a Verifier trusting two issuers, whose base
	// tokens carry "iss" (hostileIssuers).
	Issuers string `json:"issuers,omitempty"`
	// Profiles limits the row to "native" or "flask"; empty means both.
	// The "issuers" profile runs the rows of "native".
	Profiles []string `json:"profiles,omitempty"`

	Base  string `json:"base,omitempty"`  // "access" (default) or "refresh"
	Guard string `json:"guard,omitempty"` // "access" (default), "refresh" or "fresh"
	Clock int64  `json:"clock,omitempty"` // seconds to move the clock before checking

	// Raw is the whole token; Repeat builds one from a string repeated.
	Raw    *string `json:"raw,omitempty"`
	Repeat *struct {
		S string `json:"s"`
		N int    `json:"n"`
	} `json:"repeat,omitempty"`

	// Header and Claims set members to the JSON text given as a string,
	// escapes and all (null deletes one; a name the token lacks is
	// appended); Add* append members even when the name is already there.
	// Rel* set claims to the issue time plus seconds.
	Header    map[string]*string `json:"header,omitempty"`
	Claims    map[string]*string `json:"claims,omitempty"`
	AddHeader [][2]string        `json:"add_header,omitempty"`
	AddClaims [][2]string        `json:"add_claims,omitempty"`
	RelClaims map[string]int64   `json:"rel_claims,omitempty"`
	// HeaderJSON and PayloadJSON replace the whole JSON text.
	HeaderJSON  *string `json:"header_json,omitempty"`
	PayloadJSON *string `json:"payload_json,omitempty"`

	// Sign is how the signature is made: "key" (default: the real key),
	// "hmac-public" (HMAC-SHA256 keyed with the Ed25519 public key),
	// "hmac-empty", "hs512-secret" (HMAC-SHA512 with the real HMAC
	// secret), "bitflip", "truncate", "zeros", "empty", "omit" (two parts).
	Sign string `json:"sign,omitempty"`
	// Tamper changes the payload after signing.
	Tamper bool `json:"tamper,omitempty"`
	// Noncanonical sets unused trailing bits in "payload" or "signature",
	// re-signing as needed, so only the encoding is wrong.
	Noncanonical string `json:"noncanonical,omitempty"`
	// Edit changes the finished token's text.
	Edit *struct {
		Part string `json:"part"` // "header", "payload", "signature" or "token"
		At   int    `json:"at"`   // byte offset in the part; -1: the end
		Text string `json:"text"`
	} `json:"edit,omitempty"`
}

var errorClasses = map[string]error{
	"malformed": ErrMalformed, "signature": ErrSignature, "unknown_key": ErrUnknownKey,
	"claims": ErrInvalidClaims, "expired": ErrExpired, "not_yet_valid": ErrNotYetValid,
	"wrong_type": ErrWrongType, "not_fresh": ErrNotFresh, "ok": nil,
}

// member is a JSON object member kept in order, with its raw value.
type rawMember struct{ name, value string }

func loadHostile(t testing.TB) []hostileCase {
	t.Helper()
	b, err := os.ReadFile("testdata/hostile.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []hostileCase
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cases); err != nil {
		t.Fatalf("testdata/hostile.json: %v", err)
	}
	return cases
}

// hostileProfile is one token format the corpus runs against.
type hostileProfile struct {
	name string
	m    *Manager
	// clock is m's clock, at t0 until a row moves it.
	clock *testclock.Clock
	pub   ed25519.PublicKey // native only
	hmac  []byte            // Flask only
	// v, when set, holds the guards instead of m, which then only issues.
	v *Verifier
}

// guards are the profile's guards: its Verifier's, or its Manager's.
func (p hostileProfile) guards() *Verifier {
	if p.v != nil {
		return p.v
	}
	return &p.m.Verifier
}

// guard is the guard the case calls on the profile: RequireAccess unless
// the case names "refresh" or "fresh".
func (hc hostileCase) guard(p hostileProfile) func(context.Context, string) (*Claims, error) {
	g := p.guards()
	switch hc.Guard {
	case "refresh":
		return g.RequireRefresh
	case "fresh":
		return g.RequireFresh
	}
	return g.RequireAccess
}

// Names in the "issuers" profile: the Manager signs as hostileIssuerA, under
// a kid that hostileIssuerB's keys use too, and hostileIssuerA's keys also
// hold hostileOnlyA, a kid hostileIssuerB's keys lack.
const (
	hostileIssuerA = "https://a.example"
	hostileIssuerB = "https://b.example"
	hostileOnlyA   = "only-a"
)

// hostileIssuers is the "issuers" profile: freshtoken's own format, with
// tokens issued as hostileIssuerA and checked by a Verifier that trusts it
// and hostileIssuerB, whose keys share its signing key's kid.
func hostileIssuers(t testing.TB) hostileProfile {
	t.Helper()
	edKey := ed25519.NewKeyFromSeed([]byte("freshtoken hostile corpus seed!!"))
	m, clock := newTestManager(t, Config{Key: edKey, Issuer: hostileIssuerA})
	kid := m.signer().id
	other := ed25519.NewKeyFromSeed([]byte("freshtoken hostile other issuer!"))
	third := ed25519.NewKeyFromSeed([]byte("freshtoken hostile third key...!"))
	issuers := []TrustedIssuer{
		{Issuer: hostileIssuerA, VerifyKeys: []any{edKey.Public(), mustJWK(t, third.Public(), map[string]any{"kid": hostileOnlyA})}},
		{Issuer: hostileIssuerB, VerifyKeys: []any{mustJWK(t, other.Public(), map[string]any{"kid": kid})}},
	}
	cfg := VerifierConfig{Issuers: issuers, Config: Config{Now: clock.Now, AccessTTL: DefaultAccessTTL, RefreshTTL: DefaultRefreshTTL, Store: m.store}}
	// An issuer named twice is refused before any token is seen.
	dup := cfg
	dup.Issuers = append(slices.Clone(issuers), TrustedIssuer{Issuer: hostileIssuerA, VerifyKeys: []any{other.Public()}})
	if _, err := NewVerifier(context.Background(), dup); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("NewVerifier with %q named twice: %v, want ErrInvalidConfig", hostileIssuerA, err)
	}
	v, err := NewVerifier(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return hostileProfile{name: "issuers", m: m, clock: clock, pub: edKey.Public().(ed25519.PublicKey), v: v}
}

func hostileProfiles(t testing.TB) []hostileProfile {
	t.Helper()
	edKey := ed25519.NewKeyFromSeed([]byte("freshtoken hostile corpus seed!!"))
	secret := []byte("freshtoken hostile corpus shared secret!")
	var profiles []hostileProfile
	for _, p := range []struct {
		name string
		cfg  Config
	}{
		{"native", Config{Key: edKey}},
		{"flask", Config{Key: secret, Flask: &FlaskOptions{}}},
	} {
		m, clock := newTestManager(t, p.cfg)
		hp := hostileProfile{name: p.name, m: m, clock: clock}
		if p.name == "native" {
			hp.pub = edKey.Public().(ed25519.PublicKey)
		} else {
			hp.hmac = secret
		}
		profiles = append(profiles, hp)
	}
	return profiles
}

// build makes the row's token for profile p, whose clock is at the start.
func (hc *hostileCase) build(t testing.TB, p hostileProfile) string {
	t.Helper()
	if hc.Raw != nil {
		return *hc.Raw
	}
	if hc.Repeat != nil {
		return strings.Repeat(hc.Repeat.S, hc.Repeat.N)
	}
	pair, err := p.m.Issue(context.Background(), "user-42")
	if err != nil {
		t.Fatal(err)
	}
	base := pair.Access
	if hc.Base == "refresh" {
		base = pair.Refresh
	}
	parts := strings.Split(base, ".")
	header := decodeMembers(t, parts[0])
	claims := decodeMembers(t, parts[1])
	for name, v := range hc.Header {
		header = setMember(header, name, v)
	}
	for name, v := range hc.Claims {
		claims = setMember(claims, name, v)
	}
	iat := p.clock.Now().Unix()
	for name, d := range hc.RelClaims {
		v := fmt.Sprint(iat + d)
		claims = setMember(claims, name, &v)
	}
	for _, m := range hc.AddHeader {
		header = append(header, rawMember{m[0], m[1]})
	}
	for _, m := range hc.AddClaims {
		claims = append(claims, rawMember{m[0], m[1]})
	}
	hjson, pjson := encodeMembers(header), encodeMembers(claims)
	if hc.HeaderJSON != nil {
		hjson = *hc.HeaderJSON
	}
	if hc.PayloadJSON != nil {
		pjson = *hc.PayloadJSON
	}
	enc := base64.RawURLEncoding
	h64 := enc.EncodeToString([]byte(hjson))
	if hc.Noncanonical == "payload" {
		for len(enc.EncodeToString([]byte(pjson)))%4 == 0 {
			pjson += " "
		}
	}
	p64 := enc.EncodeToString([]byte(pjson))
	if hc.Noncanonical == "payload" {
		p64 = setTrailingBit(p64)
	}
	input := h64 + "." + p64
	sig := hc.sign(t, p, input)
	s64 := enc.EncodeToString(sig)
	if hc.Noncanonical == "signature" {
		if len(s64)%4 == 0 {
			t.Fatalf("%s: the signature has no unused bits", hc.Name)
		}
		s64 = setTrailingBit(s64)
	}
	if hc.Tamper {
		p64 = enc.EncodeToString([]byte(strings.Replace(pjson, `"user-42"`, `"admin-1"`, 1)))
	}
	tok := h64 + "." + p64 + "." + s64
	if hc.Sign == "omit" {
		tok = h64 + "." + p64
	}
	if e := hc.Edit; e != nil {
		parts := strings.SplitN(tok, ".", 3)
		idx := map[string]int{"header": 0, "payload": 1, "signature": 2}[e.Part]
		if e.Part == "token" {
			parts, idx = []string{tok}, 0
		}
		s := parts[idx]
		at := e.At
		if at < 0 || at > len(s) {
			at = len(s)
		}
		parts[idx] = s[:at] + e.Text + s[at:]
		tok = strings.Join(parts, ".")
	}
	return tok
}

func (hc *hostileCase) sign(t testing.TB, p hostileProfile, input string) []byte {
	t.Helper()
	mac := func(h func() hash.Hash, key []byte) []byte {
		m := hmac.New(h, key)
		m.Write([]byte(input))
		return m.Sum(nil)
	}
	real := func() []byte {
		sig, err := p.m.signer().sign([]byte(input))
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	switch hc.Sign {
	case "", "key", "omit":
		return real()
	case "hmac-public":
		key := []byte(p.pub)
		if key == nil {
			key = p.hmac
		}
		return mac(sha256.New, key)
	case "hmac-empty":
		return mac(sha256.New, nil)
	case "hs512-secret":
		return mac(sha512.New, p.hmac)
	case "bitflip":
		sig := real()
		sig[len(sig)-1] ^= 1
		return sig
	case "truncate":
		sig := real()
		return sig[:len(sig)/2]
	case "zeros":
		return make([]byte, len(real()))
	case "empty":
		return nil
	}
	t.Fatalf("%s: unknown signing mode %q", hc.Name, hc.Sign)
	return nil
}

// setTrailingBit sets the lowest unused bit of an unpadded base64url
// string's last character: the decoded bytes stay the same, but the
// encoding is no longer the canonical one.
func setTrailingBit(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, s[len(s)-1])
	return s[:len(s)-1] + string(alphabet[i|1])
}

func decodeMembers(t testing.TB, part string) []rawMember {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // {
		t.Fatal(err)
	}
	var ms []rawMember
	for dec.More() {
		name, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, rawMember{name.(string), string(v)})
	}
	return ms
}

// setMember sets name to the JSON text v, appending it when absent, or
// deletes it when v is nil.
func setMember(ms []rawMember, name string, v *string) []rawMember {
	for i, m := range ms {
		if m.name == name {
			if v == nil {
				return append(ms[:i:i], ms[i+1:]...)
			}
			ms[i].value = *v
			return ms
		}
	}
	if v == nil {
		return ms
	}
	return append(ms, rawMember{name, *v})
}

func encodeMembers(ms []rawMember) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			b.WriteByte(',')
		}
		if !strings.HasPrefix(m.name, `"`) {
			b.WriteString(`"` + m.name + `"`)
		} else {
			b.WriteString(m.name) // written escaped on purpose
		}
		b.WriteByte(':')
		b.WriteString(m.value)
	}
	b.WriteByte('}')
	return b.String()
}

// want returns the row's error class in profile, and its sentinel.
func (hc *hostileCase) want(profile string) (string, error) {
	class := hc.Want
	if profile == "flask" && hc.Flask != "" {
		class = hc.Flask
	}
	if profile == "issuers" && hc.Issuers != "" {
		class = hc.Issuers
	}
	return class, errorClasses[class]
}

func (hc *hostileCase) runs(profile string) bool {
	if profile == "issuers" {
		profile = "native"
	}
	if len(hc.Profiles) == 0 {
		return true
	}
	for _, p := range hc.Profiles {
		if p == profile {
			return true
		}
	}
	return false
}

// TestHostileCorpus runs every row against every guard it names, in both
// profiles: the expected class, nil claims on failure, no panic, and
// oversized input refused by its size alone.
func TestHostileCorpus(t *testing.T) {
	cases := loadHostile(t)
	if len(cases) < 50 {
		t.Fatalf("the corpus has %d rows, want at least 50", len(cases))
	}
	seen := map[string]bool{}
	for _, hc := range cases {
		if seen[hc.Name] {
			t.Errorf("row %q appears twice", hc.Name)
		}
		seen[hc.Name] = true
		for _, class := range []string{hc.Want, hc.Flask, hc.Issuers} {
			if _, ok := errorClasses[class]; (!ok && class != "") || hc.Reason == "" {
				t.Errorf("row %q: unknown class %q or no reason", hc.Name, class)
			}
		}
	}
	ctx := context.Background()
	for _, p := range append(hostileProfiles(t), hostileIssuers(t)) {
		for _, hc := range cases {
			if !hc.runs(p.name) {
				continue
			}
			t.Run(p.name+"/"+hc.Name, func(t *testing.T) {
				start := p.clock.Now()
				defer p.clock.Set(start)
				tok := hc.build(t, p)
				p.clock.Set(start.Add(time.Duration(hc.Clock) * time.Second))
				class, want := hc.want(p.name)
				c, err := hc.guard(p)(ctx, tok)
				switch {
				case want == nil && err != nil:
					t.Fatalf("got %v, want the token accepted (%s)", err, hc.Reason)
				case want == nil:
					return
				case !errors.Is(err, want):
					t.Fatalf("got %v, want %s (%s)", err, class, hc.Reason)
				case c != nil:
					t.Fatalf("claims %+v returned with error %v", c, err)
				}
				for other, sentinel := range errorClasses {
					if sentinel != nil && other != class && errors.Is(err, sentinel) {
						t.Errorf("%v also matches %s", err, other)
					}
				}
				// Oversized input is refused by its length, before it is
				// copied or decoded: the error is the size check's, not the
				// shape or decoding error the row's content would get.
				// (What each rejection costs is measured by
				// BenchmarkHostileCorpus; the runtime's allocation counters
				// are process-wide, so a test cannot assert on them.)
				if len(tok) > p.m.maxSize && err.Error() != sizeRefusal {
					t.Errorf("a %d-byte token got %q, want %q", len(tok), err, sizeRefusal)
				}
			})
		}
	}
}
