package freshtoken_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
)

// Regression tests for the findings listed in SECURITY.md, one test each,
// named after the finding. Each failed before its fix.

// emptyIDGuard is a Store that records any call with an empty ID, session
// ID or subject before passing it on: none may ever reach a store.
type emptyIDGuard struct {
	freshtoken.Store
	mu    sync.Mutex
	empty []string
}

func (g *emptyIDGuard) note(call string, args ...string) {
	for _, a := range args {
		if a == "" {
			g.mu.Lock()
			g.empty = append(g.empty, call)
			g.mu.Unlock()
			return
		}
	}
}

func (g *emptyIDGuard) Revoke(ctx context.Context, now time.Time, id string, until time.Time) error {
	g.note("Revoke", id)
	return g.Store.Revoke(ctx, now, id, until)
}

func (g *emptyIDGuard) RevokeBefore(ctx context.Context, now time.Time, subject string, until time.Time) error {
	g.note("RevokeBefore", subject)
	return g.Store.RevokeBefore(ctx, now, subject, until)
}

func (g *emptyIDGuard) Lookup(ctx context.Context, now time.Time, subject, tokenID, sessionID string) (bool, time.Time, error) {
	g.note("Lookup", subject, tokenID, sessionID)
	return g.Store.Lookup(ctx, now, subject, tokenID, sessionID)
}

func (g *emptyIDGuard) Redeem(ctx context.Context, now time.Time, sessionID, tokenID string, until time.Time, grace time.Duration) (bool, error) {
	g.note("Redeem", sessionID, tokenID)
	return g.Store.Redeem(ctx, now, sessionID, tokenID, until, grace)
}

// flaskWritten is a token as Flask-JWT-Extended writes it at loginTime: no
// session link, a UUID jti.
func flaskWritten(typ, subject, jti string, ttl time.Duration) string {
	fresh := "false"
	if typ == "access" {
		fresh = "true"
	}
	iat := strconv.FormatInt(loginTime.Unix(), 10)
	return hs256(flaskSecret, plainHeader, `{"fresh":`+fresh+`,"iat":`+iat+`,"jti":"`+jti+`","type":"`+typ+
		`","sub":"`+subject+`","nbf":`+iat+`,"exp":`+strconv.FormatInt(loginTime.Add(ttl).Unix(), 10)+`}`)
}

// Finding 1 (high): under the Flask profile with RotateRefresh, replaying
// one user's spent refresh token revoked session "" and so every Flask
// token of every user. Reuse must end that login's tokens only, and no
// empty ID may reach the store.
func TestSecurityFlaskRotationReuseEndsOneLogin(t *testing.T) {
	ctx := context.Background()
	for _, maker := range []string{"Flask-JWT-Extended", "freshtoken"} {
		t.Run("refresh token written by "+maker, func(t *testing.T) {
			store := &emptyIDGuard{Store: freshtoken.NewMemoryStore()}
			m, clk := newFlaskManager(t, func(c *freshtoken.Config) {
				c.RotateRefresh = true
				c.Store = store
			})
			// Alice's refresh token comes from maker; Bob logs in both ways.
			var aliceRefresh string
			if maker == "freshtoken" {
				p, err := m.Issue(ctx, "alice")
				if err != nil {
					t.Fatal(err)
				}
				aliceRefresh = p.Refresh
			} else {
				aliceRefresh = flaskWritten("refresh", "alice", "0b9c8d52-7f0c-4a3e-9d55-0c6b0f0e1a01", 24*time.Hour)
			}
			bobGo, err := m.Issue(ctx, "bob")
			if err != nil {
				t.Fatal(err)
			}
			bobFlaskAccess := flaskWritten("access", "bob", "5b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", 15*time.Minute)
			bobFlaskRefresh := flaskWritten("refresh", "bob", "6c2f3d4e-5f60-4b7c-9d8e-0f1a2b3c4d5e", 24*time.Hour)

			clk.Advance(time.Minute)
			rotated, err := m.Refresh(ctx, aliceRefresh)
			if err != nil {
				t.Fatalf("first Refresh of Alice's token: %v", err)
			}
			if _, err := m.Refresh(ctx, aliceRefresh); !errors.Is(err, freshtoken.ErrRevoked) {
				t.Fatalf("replaying Alice's spent refresh token: %v, want ErrRevoked", err)
			}
			// The replay ends Alice's login: the rotated pair too.
			if _, err := m.RequireAccess(ctx, rotated.Access); !errors.Is(err, freshtoken.ErrRevoked) {
				t.Errorf("Alice's access token from the spent refresh: %v, want ErrRevoked", err)
			}
			if _, err := m.RequireRefresh(ctx, rotated.Refresh); !errors.Is(err, freshtoken.ErrRevoked) {
				t.Errorf("Alice's rotated refresh token: %v, want ErrRevoked", err)
			}
			// Nobody else's.
			for name, tok := range map[string]string{"Bob's access token (freshtoken)": bobGo.Access, "Bob's access token (Flask)": bobFlaskAccess} {
				if _, err := m.RequireAccess(ctx, tok); err != nil {
					t.Errorf("%s after Alice's replay: %v, want accepted", name, err)
				}
			}
			for name, tok := range map[string]string{"Bob's refresh token (freshtoken)": bobGo.Refresh, "Bob's refresh token (Flask)": bobFlaskRefresh} {
				if _, err := m.Refresh(ctx, tok); err != nil {
					t.Errorf("Refresh of %s after Alice's replay: %v, want a new pair", name, err)
				}
			}
			carol, err := m.Issue(ctx, "carol")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.RequireAccess(ctx, carol.Access); err != nil {
				t.Errorf("a new login after Alice's replay: %v, want accepted", err)
			}
			if len(store.empty) > 0 {
				t.Errorf("the store was called with empty IDs: %v", store.empty)
			}
		})
	}
}

// Findings 3 and 6: LogoutEverywhere ends the logins before it, by as
// little as a nanosecond, and spares the ones at or after it, in both
// formats. Under Flask, the whole-second "iat" made a login in the same
// second as the cutoff count as before it (the documented
// after-password-change pattern logged the user straight out); and the
// cutoff, kept to the microsecond, spared a login less than a microsecond
// before it.
func TestSecurityLogoutEverywhereIsExact(t *testing.T) {
	ctx := context.Background()
	// Half a second and half a microsecond into the second, so that
	// neither whole seconds nor whole microseconds line up.
	cut := loginTime.Add(500*time.Millisecond + 500*time.Nanosecond)
	formats := map[string]func(c *freshtoken.Config){
		"freshtoken's format": func(c *freshtoken.Config) { c.Flask = nil },
		"Flask format":        nil,
	}
	for format, edit := range formats {
		t.Run(format, func(t *testing.T) {
			m, clk := newFlaskManager(t, edit)
			clk.Set(cut)
			logins := map[string]time.Duration{
				"in the second before":          -time.Second,
				"a microsecond before":          -time.Microsecond,
				"a nanosecond before":           -time.Nanosecond,
				"at the same instant as":        0,
				"a nanosecond after":            time.Nanosecond,
				"later in the same second":      400 * time.Millisecond,
				"in the next second":            time.Second,
				"at the start of the second of": -500*time.Millisecond - 500*time.Nanosecond,
			}
			pairs := map[string]*freshtoken.Pair{}
			issue := func(name string) {
				clk.Set(cut.Add(logins[name]))
				p, err := m.Issue(ctx, "alice")
				if err != nil {
					t.Fatal(err)
				}
				pairs[name] = p
			}
			for name, at := range logins {
				if at < 0 {
					issue(name)
				}
			}
			clk.Set(cut)
			if err := m.LogoutEverywhere(ctx, "alice"); err != nil {
				t.Fatal(err)
			}
			for name, at := range logins {
				if at >= 0 {
					issue(name)
				}
			}
			clk.Set(cut.Add(2 * time.Second))
			for name, at := range logins {
				var want error
				if at < 0 {
					want = freshtoken.ErrRevoked
				}
				p := pairs[name]
				if _, err := m.RequireAccess(ctx, p.Access); !errors.Is(err, want) || (want == nil) != (err == nil) {
					t.Errorf("a login %s the cutoff: access token: %v, want %v", name, err, want)
				}
				if _, err := m.Refresh(ctx, p.Refresh); !errors.Is(err, want) || (want == nil) != (err == nil) {
					t.Errorf("a login %s the cutoff: Refresh: %v, want %v", name, err, want)
				}
			}
		})
	}
}

// Finding 4: Issue wrote tokens its own guards refuse when an application
// claim was a json.RawMessage with invalid UTF-8 or a lone surrogate.
func TestSecurityIssueRefusesUnreadableClaims(t *testing.T) {
	ctx := context.Background()
	for _, flask := range []bool{false, true} {
		m, _ := newFlaskManager(t, func(c *freshtoken.Config) {
			if !flask {
				c.Flask = nil
			}
		})
		for name, raw := range map[string]string{
			"invalid UTF-8":           "\"\xff\"",
			"a lone surrogate":        `"\ud800"`,
			"a lone low surrogate":    `"\udc00"`,
			"nested invalid UTF-8":    "{\"a\":[\"\xc3\"]}",
			"a surrogate in an array": `["ok","\ud83d"]`,
		} {
			_, err := m.Issue(ctx, "alice", freshtoken.WithClaims(map[string]any{"note": json.RawMessage(raw)}))
			if !errors.Is(err, freshtoken.ErrInvalidConfig) {
				t.Errorf("flask=%v, WithClaims with %s: %v, want ErrInvalidConfig", flask, name, err)
			}
		}
		// What the guards read, Issue writes.
		for name, raw := range map[string]string{
			"an escaped letter":       `"\u00e9t\u00e9"`,
			"a surrogate pair":        `"\ud83d\ude00"`,
			"a number beyond float64": `1e400`,
			"nested":                  `{"a":[1,"b",null,{"c":1e400}]}`,
		} {
			p, err := m.Issue(ctx, "alice", freshtoken.WithClaims(map[string]any{"note": json.RawMessage(raw)}))
			if err != nil {
				t.Errorf("flask=%v, WithClaims with %s: %v", flask, name, err)
				continue
			}
			for _, guard := range []func(context.Context, string) (*freshtoken.Claims, error){m.RequireAccess, m.RequireFresh} {
				if _, err := guard(ctx, p.Access); err != nil {
					t.Errorf("flask=%v, a token with %s: %v, want accepted", flask, name, err)
				}
			}
			if _, err := m.Refresh(ctx, p.Refresh); err != nil {
				t.Errorf("flask=%v, Refresh of a token with %s: %v", flask, name, err)
			}
		}
	}
}

// Finding 7: ECDSA signatures are malleable: (r, s) and (r, n-s) both
// verify, so one ES256 token has two spellings, and the verified-token
// cache holds one entry for each. What a token grants hangs on its claims,
// never on its bytes: both spellings carry the same jti and session,
// revoking one revokes the other, and under rotation the second spelling
// of a spent refresh token is a reuse.
func TestSecurityECDSASpellingsGrantNothingMore(t *testing.T) {
	ctx := context.Background()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := newTestManager(t, freshtoken.Config{Key: key, RotateRefresh: true, VerifiedCacheSize: 64})
	p, err := m.Issue(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	twin := func(tok string) string {
		i := strings.LastIndexByte(tok, '.')
		sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
		if err != nil || len(sig) != 64 {
			t.Fatalf("an ES256 signature of %d bytes: %v", len(sig), err)
		}
		s := new(big.Int).SetBytes(sig[32:])
		s.Sub(elliptic.P256().Params().N, s)
		s.FillBytes(sig[32:])
		return tok[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
	}
	access2, refresh2 := twin(p.Access), twin(p.Refresh)
	if access2 == p.Access {
		t.Fatal("the twin is the same token")
	}
	a1, err1 := m.RequireAccess(ctx, p.Access)
	a2, err2 := m.RequireAccess(ctx, access2)
	if err1 != nil || err2 != nil {
		t.Fatalf("both spellings verify (the standard library accepts either s): %v, %v", err1, err2)
	}
	if a1.ID != a2.ID || a1.SessionID != a2.SessionID {
		t.Fatalf("the spellings name different tokens: %s/%s and %s/%s", a1.ID, a1.SessionID, a2.ID, a2.SessionID)
	}
	if err := m.RevokeAccessToken(ctx, a1.ID); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{p.Access, access2} {
		if _, err := m.RequireAccess(ctx, tok); !errors.Is(err, freshtoken.ErrRevoked) {
			t.Errorf("a spelling of a revoked access token: %v, want ErrRevoked", err)
		}
	}
	next, err := m.Refresh(ctx, p.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Refresh(ctx, refresh2); !errors.Is(err, freshtoken.ErrRevoked) {
		t.Errorf("the other spelling of a spent refresh token: %v, want ErrRevoked (a reuse)", err)
	}
	if _, err := m.RequireAccess(ctx, next.Access); !errors.Is(err, freshtoken.ErrRevoked) {
		t.Errorf("the session after the reuse: %v, want ErrRevoked", err)
	}
}
