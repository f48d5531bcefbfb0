package freshtoken

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// sessionPattern is idPattern followed by 64 bits of login time.
var sessionPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{33}$`)

func TestIssue(t *testing.T) {
	at := t0.Add(time.Second) // the clock reads t0+1.5s; token times are whole seconds
	tests := []struct {
		name        string
		cfg         Config
		opts        []IssueOption
		wantPair    Pair // expiry times only
		wantAccess  *Claims
		wantRefresh *Claims
		wantCSRF    bool
	}{
		{
			name:        "defaults",
			wantPair:    Pair{IssuedAt: at, AccessExpiresAt: at.Add(15 * time.Minute), RefreshExpiresAt: at.Add(30 * 24 * time.Hour)},
			wantAccess:  &Claims{Type: AccessToken, Subject: "user-42", IssuedAt: at, ExpiresAt: at.Add(15 * time.Minute), AuthTime: at, Fresh: true},
			wantRefresh: &Claims{Type: RefreshToken, Subject: "user-42", IssuedAt: at, ExpiresAt: at.Add(30 * 24 * time.Hour), AuthTime: at},
		},
		{
			name:        "issuer, audience and TTLs",
			cfg:         Config{Issuer: "https://auth.example.com", Audience: []string{"api"}, AccessTTL: 5 * time.Minute, RefreshTTL: 12 * time.Hour},
			wantPair:    Pair{IssuedAt: at, AccessExpiresAt: at.Add(5 * time.Minute), RefreshExpiresAt: at.Add(12 * time.Hour)},
			wantAccess:  &Claims{Type: AccessToken, Subject: "user-42", Issuer: "https://auth.example.com", Audience: []string{"api"}, IssuedAt: at, ExpiresAt: at.Add(5 * time.Minute), AuthTime: at, Fresh: true},
			wantRefresh: &Claims{Type: RefreshToken, Subject: "user-42", Issuer: "https://auth.example.com", Audience: []string{"api"}, IssuedAt: at, ExpiresAt: at.Add(12 * time.Hour), AuthTime: at},
		},
		{
			name:     "extra claims in both tokens",
			opts:     []IssueOption{WithClaims(map[string]any{"role": "admin", "tenant": 7, "perms": []string{"read", "write"}, "org": map[string]any{"id": "o1", "plan": nil}})},
			wantPair: Pair{IssuedAt: at, AccessExpiresAt: at.Add(15 * time.Minute), RefreshExpiresAt: at.Add(30 * 24 * time.Hour)},
			wantAccess: &Claims{Type: AccessToken, Subject: "user-42", IssuedAt: at, ExpiresAt: at.Add(15 * time.Minute), AuthTime: at, Fresh: true,
				Extra: map[string]any{"role": "admin", "tenant": 7.0, "perms": []any{"read", "write"}, "org": map[string]any{"id": "o1", "plan": nil}}},
			wantRefresh: &Claims{Type: RefreshToken, Subject: "user-42", IssuedAt: at, ExpiresAt: at.Add(30 * 24 * time.Hour), AuthTime: at,
				Extra: map[string]any{"role": "admin", "tenant": 7.0, "perms": []any{"read", "write"}, "org": map[string]any{"id": "o1", "plan": nil}}},
		},
		{
			name:        "empty WithClaims adds nothing",
			opts:        []IssueOption{WithClaims(nil), WithClaims(map[string]any{})},
			wantPair:    Pair{IssuedAt: at, AccessExpiresAt: at.Add(15 * time.Minute), RefreshExpiresAt: at.Add(30 * 24 * time.Hour)},
			wantAccess:  &Claims{Type: AccessToken, Subject: "user-42", IssuedAt: at, ExpiresAt: at.Add(15 * time.Minute), AuthTime: at, Fresh: true},
			wantRefresh: &Claims{Type: RefreshToken, Subject: "user-42", IssuedAt: at, ExpiresAt: at.Add(30 * 24 * time.Hour), AuthTime: at},
		},
		{
			name:        "WithCSRF",
			opts:        []IssueOption{WithCSRF()},
			wantPair:    Pair{IssuedAt: at, AccessExpiresAt: at.Add(15 * time.Minute), RefreshExpiresAt: at.Add(30 * 24 * time.Hour)},
			wantAccess:  &Claims{Type: AccessToken, Subject: "user-42", IssuedAt: at, ExpiresAt: at.Add(15 * time.Minute), AuthTime: at, Fresh: true},
			wantRefresh: &Claims{Type: RefreshToken, Subject: "user-42", IssuedAt: at, ExpiresAt: at.Add(30 * 24 * time.Hour), AuthTime: at},
			wantCSRF:    true,
		},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, clk := newTestManager(t, tt.cfg)
			clk.Set(t0.Add(1500 * time.Millisecond))
			pair := mustIssue(t, m, "user-42", tt.opts...)
			if diff := cmp.Diff(&tt.wantPair, pair, cmpopts.IgnoreFields(Pair{}, "Access", "Refresh", "AccessCSRF", "RefreshCSRF")); diff != "" {
				t.Errorf("Issue() pair (-want +got):\n%s", diff)
			}
			access, err := m.RequireAccess(ctx, pair.Access)
			if err != nil {
				t.Fatalf("RequireAccess: %v", err)
			}
			if diff := cmp.Diff(tt.wantAccess, access, claimsOpts); diff != "" {
				t.Errorf("access claims (-want +got):\n%s", diff)
			}
			refresh, err := m.RequireRefresh(ctx, pair.Refresh)
			if err != nil {
				t.Fatalf("RequireRefresh: %v", err)
			}
			if diff := cmp.Diff(tt.wantRefresh, refresh, claimsOpts); diff != "" {
				t.Errorf("refresh claims (-want +got):\n%s", diff)
			}

			if !idPattern.MatchString(access.ID) {
				t.Errorf("access jti %q is not 128 bits of base64url", access.ID)
			}
			// The refresh jti names the session: 128 random bits, then the
			// login time to the microsecond (for LogoutEverywhere).
			if !sessionPattern.MatchString(refresh.ID) {
				t.Errorf("refresh jti %q is not 128 bits plus a login time in base64url", refresh.ID)
			}
			if got, want := loginTime(refresh), clk.Now(); !got.Equal(want) {
				t.Errorf("login time in the session ID = %v, want %v", got, want)
			}
			if access.ID == refresh.ID {
				t.Errorf("access and refresh share jti %q", access.ID)
			}
			if access.SessionID != refresh.ID || refresh.SessionID != refresh.ID {
				t.Errorf("sid = %q (access), %q (refresh), want the refresh jti %q in both", access.SessionID, refresh.SessionID, refresh.ID)
			}
			switch {
			case !tt.wantCSRF && (access.CSRF != "" || refresh.CSRF != ""):
				t.Errorf("csrf = %q, %q without WithCSRF, want none", access.CSRF, refresh.CSRF)
			case tt.wantCSRF && (!idPattern.MatchString(access.CSRF) || !idPattern.MatchString(refresh.CSRF) || access.CSRF == refresh.CSRF):
				t.Errorf("csrf = %q, %q, want two distinct random values", access.CSRF, refresh.CSRF)
			}
		})
	}
}

func TestIssueIDsAreUnique(t *testing.T) {
	m, _ := newTestManager(t, Config{Key: testKeys().hs256})
	seen := make(map[string]bool)
	for range 50 {
		pair := mustIssue(t, m, "user-42", WithCSRF())
		for _, tok := range []string{pair.Access, pair.Refresh} {
			for _, name := range []string{"jti", "csrf"} {
				v := decodeSegment(t, tok, 1)[name].(string)
				if seen[v] {
					t.Fatalf("%s %q seen twice", name, v)
				}
				seen[v] = true
			}
		}
	}
}

func TestIssueErrors(t *testing.T) {
	type row struct {
		name    string
		subject string
		opts    []IssueOption
		reason  string
	}
	tests := []row{
		{"empty subject", "", nil, "a token for nobody authenticates nobody"},
		{"subject not UTF-8", "user-\xff", nil, "JSON writes each bad byte as U+FFFD, so two subjects would share one identity"},
		{"empty claim name", "u", []IssueOption{WithClaims(map[string]any{"": 1})}, "not a usable claim name"},
		{"unmarshalable claim", "u", []IssueOption{WithClaims(map[string]any{"ch": make(chan int)})}, "a channel has no JSON form"},
		{"NaN claim", "u", []IssueOption{WithClaims(map[string]any{"score": math.NaN()})}, "JSON has no NaN"},
		{"error after a good option", "u", []IssueOption{WithCSRF(), WithClaims(map[string]any{"sub": "admin"})}, "the failing option stops Issue"},
		{"claim given twice", "u", []IssueOption{WithClaims(map[string]any{"role": "user"}), WithClaims(map[string]any{"role": "admin"})}, "a token with a repeated member is refused by every guard"},
		{"claim name with <", "u", []IssueOption{WithClaims(map[string]any{"<role>": 1})}, "JSON escapes it and guards refuse escaped names"},
		{"claim name with a quote", "u", []IssueOption{WithClaims(map[string]any{`a"b`: 1})}, "JSON escapes it"},
		{"claim name with a backslash", "u", []IssueOption{WithClaims(map[string]any{`a\b`: 1})}, "JSON escapes it"},
		{"claim name with a control character", "u", []IssueOption{WithClaims(map[string]any{"a\tb": 1})}, "JSON escapes it"},
		{"claim name with U+2028", "u", []IssueOption{WithClaims(map[string]any{"a\u2028b": 1})}, "JSON escapes it"},
		{"claim name with invalid UTF-8", "u", []IssueOption{WithClaims(map[string]any{"a\xffb": 1})}, "JSON rewrites it"},
		{"too many claims", "u", []IssueOption{WithClaims(nClaims(55))}, "10 fixed members (with iss and aud) and 55 extras exceed the 64 members a guard reads"},
		{"too many claims with csrf", "u", []IssueOption{WithClaims(nClaims(54)), WithCSRF()}, "11 fixed members and 54 extras exceed 64"},
		{"token larger than MaxTokenSize", "u", []IssueOption{WithClaims(map[string]any{"blob": strings.Repeat("x", DefaultMaxTokenSize)})}, "the guards would refuse the token"},
	}
	for _, name := range reserved {
		tests = append(tests, row{"reserved " + name, "u", []IssueOption{WithClaims(map[string]any{"role": "x", name: "forged"})}, "freshtoken owns this claim; letting the application set it could forge it"})
	}
	m, _ := newTestManager(t, Config{Issuer: "https://auth.example.com", Audience: []string{"api"}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pair, err := m.Issue(context.Background(), tt.subject, tt.opts...)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("Issue() error = %v, want ErrInvalidConfig (%s)", err, tt.reason)
			}
			if pair != nil {
				t.Errorf("Issue() = %+v with an error, want nil", pair)
			}
		})
	}
}

// rawPayload returns the decoded payload bytes of a compact token.
func rawPayload(t testing.TB, tok string) []byte {
	t.Helper()
	parts := strings.Split(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("payload: %v", err)
	}
	return raw
}

// Refresh copies the application's claims as they were written, so values
// that a decode and re-encode would change (number spellings, big integers,
// escapes) stay the same in every access token of the session.
func TestExtraClaimsRoundTripByteForByte(t *testing.T) {
	m, clk := newTestManager(t, Config{})
	ctx := context.Background()
	extra := map[string]any{
		"big":  json.Number("12345678901234567890"),
		"html": "<b>&</b>",
		"list": []any{1, "x", nil, true},
		"n":    json.Number("1.0e2"),
		"role": "admin",
	}
	const wantExtra = `"big":12345678901234567890,"html":"\u003cb\u003e\u0026\u003c/b\u003e","list":[1,"x",null,true],"n":1.0e2,"role":"admin"}`
	pair := mustIssue(t, m, "user-42", WithClaims(extra))
	clk.Advance(20 * time.Minute)
	refreshed, err := m.Refresh(ctx, pair.Refresh)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	for name, tok := range map[string]string{"issued access": pair.Access, "refresh": pair.Refresh, "refreshed access": refreshed.Access} {
		payload := rawPayload(t, tok)
		if !bytes.HasSuffix(payload, []byte(","+wantExtra)) {
			t.Errorf("%s payload = %s, want it to end with ,%s", name, payload, wantExtra)
		}
	}
	c, err := m.RequireAccess(ctx, refreshed.Access)
	if err != nil {
		t.Fatalf("RequireAccess(refreshed): %v", err)
	}
	want := map[string]any{"big": 12345678901234567890.0, "html": "<b>&</b>", "list": []any{1.0, "x", nil, true}, "n": 100.0, "role": "admin"}
	if diff := cmp.Diff(want, c.Extra); diff != "" {
		t.Errorf("refreshed Extra (-want +got):\n%s", diff)
	}
}

// nClaims returns n distinct application claims.
func nClaims(n int) map[string]any {
	claims := make(map[string]any, n)
	for i := range n {
		claims["c"+strconv.Itoa(i)] = i
	}
	return claims
}

// Whatever Issue accepts, the guards accept, and so does Refresh: the
// limits on claims are enforced when the token is made, not discovered
// when it is presented.
func TestIssueLimitsMatchTheGuards(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, m *Manager, pair *Pair) {
		t.Helper()
		if _, err := m.RequireFresh(ctx, pair.Access); err != nil {
			t.Errorf("RequireFresh(issued) = %v, want nil", err)
		}
		refreshed, err := m.Refresh(ctx, pair.Refresh)
		if err != nil {
			t.Fatalf("Refresh = %v, want nil", err)
		}
		if _, err := m.RequireAccess(ctx, refreshed.Access); err != nil {
			t.Errorf("RequireAccess(refreshed) = %v, want nil", err)
		}
	}
	t.Run("members", func(t *testing.T) {
		for _, cfg := range []struct {
			cfg   Config
			opts  []IssueOption
			fixed int
		}{
			{Config{}, nil, 8},
			{Config{Issuer: "iss", Audience: []string{"aud"}}, []IssueOption{WithCSRF()}, 11},
		} {
			m, _ := newTestManager(t, cfg.cfg)
			most := maxMembers - cfg.fixed
			check(t, m, mustIssue(t, m, "user-42", append(cfg.opts, WithClaims(nClaims(most)))...))
			if _, err := m.Issue(ctx, "user-42", append(cfg.opts, WithClaims(nClaims(most+1)))...); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("Issue with %d extra claims = %v, want ErrInvalidConfig", most+1, err)
			}
		}
	})
	t.Run("size", func(t *testing.T) {
		blob := WithClaims(map[string]any{"blob": strings.Repeat("x", 3000)})
		secret := []byte(strings.Repeat("s", 32))
		for _, p := range []struct {
			name string
			cfg  Config
		}{
			{"native", Config{}},
			{"flask", Config{Key: secret, Flask: &FlaskOptions{}}},
			{"flask with FreshFor", Config{Key: secret, Flask: &FlaskOptions{}, FreshFor: 5 * time.Minute}},
		} {
			with := func(limit int) Config { c := p.cfg; c.MaxTokenSize = limit; return c }
			big, _ := newTestManager(t, with(1<<20))
			pair := mustIssue(t, big, "user-42", blob)
			largest := max(len(pair.Access), len(pair.Refresh))
			if m, _ := newTestManager(t, with(largest-1)); true {
				if _, err := m.Issue(ctx, "user-42", blob); !errors.Is(err, ErrInvalidConfig) {
					t.Errorf("%s: Issue of a %d-byte token with MaxTokenSize %d = %v, want ErrInvalidConfig", p.name, largest, largest-1, err)
				}
			}
			// Find the smallest MaxTokenSize Issue accepts; it is at least the
			// largest token and must leave every later step working.
			found := false
			for limit := largest; limit < largest+8 && !found; limit++ {
				m, _ := newTestManager(t, with(limit))
				pair, err := m.Issue(ctx, "user-42", blob)
				if errors.Is(err, ErrInvalidConfig) {
					continue
				}
				if err != nil {
					t.Fatalf("%s: Issue with MaxTokenSize %d: %v", p.name, limit, err)
				}
				check(t, m, pair)
				found = true
			}
			if !found {
				t.Errorf("%s: Issue refused a %d-byte token up to MaxTokenSize %d", p.name, largest, largest+8)
			}
		}
	})
}

// Subjects round-trip exactly, including characters JSON must escape.
func TestSubjectRoundTrip(t *testing.T) {
	m, _ := newTestManager(t, Config{})
	for _, subject := range []string{
		"user-42", "<script>&amp;", `quote" and back\slash`, "line\nbreak\ttab", "é 日本 🙂", "sep\u2028arator", "nul\x00byte",
	} {
		pair := mustIssue(t, m, subject)
		for _, g := range []guardFunc{guardAccess, guardRefresh} {
			tok := pair.Access
			if g.name == guardRefresh.name {
				tok = pair.Refresh
			}
			c, err := g.call(m, tok)
			if err != nil {
				t.Errorf("%s(token for %q): %v", g.name, subject, err)
				continue
			}
			if c.Subject != subject {
				t.Errorf("%s: Subject = %q, want %q", g.name, c.Subject, subject)
			}
		}
	}
}

func TestTokenTypeString(t *testing.T) {
	got := []string{AccessToken.String(), RefreshToken.String(), TokenType(0).String(), TokenType(9).String()}
	want := []string{"access", "refresh", "TokenType(0)", "TokenType(9)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TokenType.String (-want +got):\n%s", diff)
	}
}

// A Pair reports the "csrf" claims its tokens carry, in both formats and
// after a refresh, so that an HTTP layer can set the readable CSRF cookies
// without reading the tokens again.
func TestPairCarriesCSRF(t *testing.T) {
	ctx := context.Background()
	for _, flask := range []*FlaskOptions{nil, {}} {
		for _, rotate := range []bool{false, true} {
			m, clk := newTestManager(t, Config{Key: testKeys().hs256, Flask: flask, RotateRefresh: rotate})
			login := mustIssue(t, m, "alice", WithCSRF())
			clk.Advance(time.Minute)
			next, err := m.Refresh(ctx, login.Refresh)
			if err != nil {
				t.Fatal(err)
			}
			plain := mustIssue(t, m, "bob")
			for name, p := range map[string]*Pair{"login": login, "refresh": next, "login without WithCSRF": plain} {
				ac, err := m.RequireAccess(ctx, p.Access)
				if err != nil {
					t.Fatal(err)
				}
				rc, err := m.RequireRefresh(ctx, p.Refresh)
				if err != nil {
					t.Fatal(err)
				}
				if p.AccessCSRF != ac.CSRF || p.RefreshCSRF != rc.CSRF {
					t.Errorf("flask=%v rotate=%v %s: Pair CSRF %q/%q, claims %q/%q", flask != nil, rotate, name, p.AccessCSRF, p.RefreshCSRF, ac.CSRF, rc.CSRF)
				}
				if (p.AccessCSRF == "") != (name == "login without WithCSRF") {
					t.Errorf("flask=%v rotate=%v %s: AccessCSRF %q", flask != nil, rotate, name, p.AccessCSRF)
				}
			}
		}
	}
}
