package freshtoken_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/google/go-cmp/cmp"
)

// The registry of live sessions through the Manager. What every store must
// do is checked by package storetest (TestMemoryStore runs it); these tests
// check the Manager's side: configuration, labels, Refresh's touch, the
// Flask profile and failures.

// plainStore is a Store without the registry: its embedded interface hides
// MemoryStore's SessionStore methods.
type plainStore struct{ freshtoken.Store }

func sessionIDsOf(list []freshtoken.Session) []string {
	out := []string{}
	for _, s := range list {
		out = append(out, s.ID)
	}
	return out
}

func mustSessions(t *testing.T, m *freshtoken.Manager, sub string, current *freshtoken.Claims) []freshtoken.Session {
	t.Helper()
	list, err := m.Sessions(context.Background(), sub, current)
	if err != nil {
		t.Fatalf("Sessions(%q): %v", sub, err)
	}
	return list
}

func mustClaims(t *testing.T, m *freshtoken.Manager, access string) *freshtoken.Claims {
	t.Helper()
	c, err := m.RequireAccess(context.Background(), access)
	if err != nil {
		t.Fatalf("RequireAccess: %v", err)
	}
	return c
}

func TestSessionConfig(t *testing.T) {
	cases := []struct {
		name, reason string
		store        freshtoken.Store
		sessions     freshtoken.SessionConfig
		wantErr      string // a part of the error; "" for none
	}{
		{name: "zero", reason: "a registry in the default MemoryStore, no cap"},
		{name: "cap", reason: "", sessions: freshtoken.SessionConfig{MaxPerUser: 3}},
		{name: "refusing cap", reason: "", sessions: freshtoken.SessionConfig{MaxPerUser: 3, RefuseOverCap: true}},
		{name: "disabled", reason: "", sessions: freshtoken.SessionConfig{Disable: true}},
		{name: "store without the registry", reason: "the registry is optional", store: plainStore{freshtoken.NewMemoryStore()}},
		{
			name: "negative cap", reason: "no meaning",
			sessions: freshtoken.SessionConfig{MaxPerUser: -1}, wantErr: "MaxPerUser (-1) must not be negative",
		},
		{
			name: "refuse without a cap", reason: "it would refuse nothing",
			sessions: freshtoken.SessionConfig{RefuseOverCap: true}, wantErr: "RefuseOverCap needs Config.Sessions.MaxPerUser",
		},
		{
			name: "cap without a registry", reason: "a cap nobody enforces is worse than none",
			sessions: freshtoken.SessionConfig{MaxPerUser: 2, Disable: true}, wantErr: "Disable is set",
		},
		{
			name: "cap on a store without the registry", reason: "the error names the store's type",
			store: plainStore{freshtoken.NewMemoryStore()}, sessions: freshtoken.SessionConfig{MaxPerUser: 2},
			wantErr: "the store (freshtoken_test.plainStore) does not implement freshtoken.SessionStore",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := freshtoken.New(freshtoken.Config{Key: testKey, Store: c.store, Sessions: c.sessions})
			switch {
			case c.wantErr == "" && err != nil:
				t.Errorf("New: %v, want no error (%s)", err, c.reason)
			case c.wantErr != "" && (!errors.Is(err, freshtoken.ErrInvalidConfig) || !strings.Contains(err.Error(), c.wantErr)):
				t.Errorf("New: got %v, want ErrInvalidConfig saying %q (%s)", err, c.wantErr, c.reason)
			}
		})
	}
}

// Without a registry the session calls say why, and everything else works
// as before: Issue does not consult the store, labels are dropped.
func TestSessionsWithoutRegistry(t *testing.T) {
	cases := []struct {
		name, reason string
		cfg          freshtoken.Config
		want         string
	}{
		{"disabled", "the opt-out", freshtoken.Config{Sessions: freshtoken.SessionConfig{Disable: true}}, "Disable is set"},
		{"plain store", "a store of one's own without SessionStore", freshtoken.Config{Store: plainStore{freshtoken.NewMemoryStore()}}, "plainStore"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			m, _ := newTestManager(t, c.cfg)
			p := mustIssue(t, m, "alice", freshtoken.WithSessionLabels(map[string]string{"device": "phone"}))
			claims := mustClaims(t, m, p.Access)
			calls := map[string]error{
				"Sessions":         func() error { _, err := m.Sessions(ctx, "alice", claims); return err }(),
				"EndSessionByID":   m.EndSessionByID(ctx, "alice", claims.SessionID),
				"EndOtherSessions": m.EndOtherSessions(ctx, claims),
			}
			for name, err := range calls {
				if !errors.Is(err, freshtoken.ErrInvalidConfig) || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: got %v, want ErrInvalidConfig saying %q (%s)", name, err, c.want, c.reason)
				}
			}
			if err := m.EndSession(ctx, claims); err != nil {
				t.Errorf("EndSession without a registry: %v", err)
			}
			expect(t, m, checkRefresh, "the ended session's refresh token", p.Refresh, freshtoken.ErrRevoked)
		})
	}

	// Disabled, Issue still works while the store is down.
	m, _ := newTestManager(t, freshtoken.Config{Store: brokenStore{}, Sessions: freshtoken.SessionConfig{Disable: true}})
	mustIssue(t, m, "alice")
}

func TestWithSessionLabels(t *testing.T) {
	long := strings.Repeat("x", 256)
	cases := []struct {
		name, reason string
		labels       []map[string]string
		wantErr      bool
	}{
		{"none", "", nil, false},
		{"typical", "", []map[string]string{{"user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "ip": "2001:db8::1", "device": "Ana's phone 📱"}}, false},
		{"at the limits", "8 labels, a 32-byte key, a 256-byte value", []map[string]string{{
			"a": long, "b": "", "c": "", "d": "", "e": "", "f": "", "g": "", strings.Repeat("k", 32): "",
		}}, false},
		{"across options", "4 and 4 labels", []map[string]string{{"a": "", "b": "", "c": "", "d": ""}, {"e": "", "f": "", "g": "", "h": ""}}, false},
		{"too many", "a client must not blow up the registry", []map[string]string{{"a": "", "b": "", "c": "", "d": "", "e": ""}, {"f": "", "g": "", "h": "", "i": ""}}, true},
		{"given twice", "across options, as WithClaims", []map[string]string{{"ip": "a"}, {"ip": "b"}}, true},
		{"empty key", "", []map[string]string{{"": "x"}}, true},
		{"long key", "", []map[string]string{{strings.Repeat("k", 33): "x"}}, true},
		{"key with a space", "keys are identifiers, not text", []map[string]string{{"user agent": "x"}}, true},
		{"non-ASCII key", "", []map[string]string{{"gerät": "x"}}, true},
		{"long value", "a User-Agent must be shortened first", []map[string]string{{"user_agent": long + "x"}}, true},
		{"invalid UTF-8", "", []map[string]string{{"device": "\xff"}}, true},
		{"control character", "a newline in a label would forge lines in a log", []map[string]string{{"device": "a\nb"}}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, _ := newTestManager(t, freshtoken.Config{})
			var opts []freshtoken.IssueOption
			for _, l := range c.labels {
				opts = append(opts, freshtoken.WithSessionLabels(l))
			}
			p, err := m.Issue(context.Background(), "alice", opts...)
			if c.wantErr {
				if !errors.Is(err, freshtoken.ErrInvalidConfig) || p != nil {
					t.Errorf("Issue: got %v, %v; want nil, ErrInvalidConfig (%s)", p, err, c.reason)
				}
				if list := mustSessions(t, m, "alice", nil); len(list) != 0 {
					t.Errorf("a refused login was listed: %v", list)
				}
				return
			}
			if err != nil {
				t.Fatalf("Issue: %v (%s)", err, c.reason)
			}
			want := map[string]string{}
			for _, l := range c.labels {
				for k, v := range l {
					want[k] = v
				}
			}
			if len(want) == 0 {
				want = nil
			}
			list := mustSessions(t, m, "alice", nil)
			if len(list) != 1 {
				t.Fatalf("got %d sessions, want 1", len(list))
			}
			if diff := cmp.Diff(want, list[0].Labels); diff != "" {
				t.Errorf("labels: got %v, want %v (-want +got):\n%s", list[0].Labels, want, diff)
			}
		})
	}
}

// Refresh records its time in the session; with RefreshIdleTTL, the
// session's end moves with each refresh, and the session leaves the list
// exactly when Refresh starts refusing it.
func TestSessionsRefresh(t *testing.T) {
	ctx := context.Background()
	t.Run("no rotation", func(t *testing.T) {
		m, clk := newTestManager(t, freshtoken.Config{})
		p := mustIssue(t, m, "alice")
		clk.Advance(10 * time.Minute)
		mustRefresh(t, m, p.Refresh)
		got := mustSessions(t, m, "alice", nil)[0]
		if !got.LastRefreshAt.Equal(clk.Now()) || !got.EndsAt.Equal(p.RefreshExpiresAt) {
			t.Errorf("after a refresh: LastRefreshAt %v, EndsAt %v; want %v, %v", got.LastRefreshAt, got.EndsAt, clk.Now(), p.RefreshExpiresAt)
		}
	})
	t.Run("idle TTL", func(t *testing.T) {
		m, clk := newTestManager(t, freshtoken.Config{RotateRefresh: true, RefreshIdleTTL: time.Hour})
		p := mustIssue(t, m, "alice")
		if got := mustSessions(t, m, "alice", nil)[0].EndsAt; !got.Equal(t0.Add(time.Hour)) {
			t.Errorf("a new session ends at %v, want the idle limit %v", got, t0.Add(time.Hour))
		}
		clk.Advance(30 * time.Minute)
		p = mustRefresh(t, m, p.Refresh)
		if got := mustSessions(t, m, "alice", nil)[0].EndsAt; !got.Equal(t0.Add(90 * time.Minute)) {
			t.Errorf("after a refresh the session ends at %v, want %v", got, t0.Add(90*time.Minute))
		}
		clk.Set(t0.Add(90*time.Minute - time.Microsecond))
		if n := len(mustSessions(t, m, "alice", nil)); n != 1 {
			t.Errorf("just before the idle limit: %d sessions, want 1", n)
		}
		clk.Set(t0.Add(90 * time.Minute))
		if n := len(mustSessions(t, m, "alice", nil)); n != 0 {
			t.Errorf("at the idle limit: %d sessions, want 0", n)
		}
		if _, err := m.Refresh(ctx, p.Refresh); !errors.Is(err, freshtoken.ErrExpired) {
			t.Errorf("Refresh at the idle limit: got %v, want ErrExpired", err)
		}
	})
	t.Run("expiry", func(t *testing.T) {
		m, clk := newTestManager(t, freshtoken.Config{RefreshTTL: time.Hour})
		mustIssue(t, m, "alice")
		clk.Advance(time.Hour - time.Second)
		if n := len(mustSessions(t, m, "alice", nil)); n != 1 {
			t.Errorf("a second before the refresh token expires: %d sessions, want 1", n)
		}
		clk.Advance(time.Second)
		if n := len(mustSessions(t, m, "alice", nil)); n != 0 {
			t.Errorf("when the refresh token expires: %d sessions, want 0", n)
		}
	})
}

func TestSessionsArguments(t *testing.T) {
	ctx := context.Background()
	m, _ := newTestManager(t, freshtoken.Config{})
	alice := mustClaims(t, m, mustIssue(t, m, "alice").Access)
	calls := []struct {
		name, reason string
		err          error
	}{
		{"Sessions with another subject's claims", "a handler mixing two users", func() error { _, err := m.Sessions(ctx, "bob", alice); return err }()},
		{"Sessions without a subject", "", func() error { _, err := m.Sessions(ctx, "", nil); return err }()},
		{"EndSessionByID without a subject", "", m.EndSessionByID(ctx, "", alice.SessionID)},
		{"EndSessionByID without an ID", "", m.EndSessionByID(ctx, "alice", "")},
		{"EndOtherSessions without claims", "", m.EndOtherSessions(ctx, nil)},
	}
	for _, c := range calls {
		if !errors.Is(c.err, freshtoken.ErrInvalidConfig) {
			t.Errorf("%s: got %v, want ErrInvalidConfig (%s)", c.name, c.err, c.reason)
		}
	}
	if n := len(mustSessions(t, m, "alice", nil)); n != 1 {
		t.Errorf("after refused calls: %d sessions, want 1", n)
	}
}

// Under Flask, the logins freshtoken makes are listed; a session begun by
// a refresh token that Flask-JWT-Extended wrote is not, and EndSession
// still ends it.
func TestSessionsFlask(t *testing.T) {
	ctx := context.Background()
	m, _ := newFlaskManager(t, func(c *freshtoken.Config) { c.RotateRefresh = true })
	own := mustIssue(t, m, "alice", freshtoken.WithSessionLabels(map[string]string{"device": "go"}))
	ownClaims := mustClaims(t, m, own.Access)
	flaskRefresh := hs256(flaskSecret, plainHeader, fill(`{"fresh":false,"iat":$iat,"jti":"flask-session-1","type":"refresh","sub":"alice","nbf":$iat,"exp":$exp}`))
	rotated := mustRefresh(t, m, flaskRefresh)

	list := mustSessions(t, m, "alice", ownClaims)
	if diff := cmp.Diff([]string{ownClaims.SessionID}, sessionIDsOf(list)); diff != "" || !list[0].Current {
		t.Errorf("listed %v, want only freshtoken's own login, current (-want +got):\n%s", list, diff)
	}
	flaskClaims := mustClaims(t, m, rotated.Access)
	if err := m.EndSessionByID(ctx, "alice", flaskClaims.SessionID); !errors.Is(err, freshtoken.ErrNoSession) {
		t.Errorf("EndSessionByID of a Flask session: got %v, want ErrNoSession (it is not listed)", err)
	}
	if err := m.EndSession(ctx, flaskClaims); err != nil {
		t.Fatalf("EndSession of a Flask session: %v", err)
	}
	expect(t, m, checkRefreshCall, "the Flask session's rotated refresh token", rotated.Refresh, freshtoken.ErrRevoked)
	expect(t, m, checkAccess, "freshtoken's own session", own.Access, nil)
}

// failingSessions is a registry whose AddSession fails: a store down at
// login.
type failingSessions struct{ *freshtoken.MemoryStore }

func (failingSessions) AddSession(context.Context, time.Time, string, freshtoken.Session, int, bool) (bool, []freshtoken.Session, error) {
	return false, nil, errDown
}

// With a registry, a login the store cannot record fails: a session
// nobody could see or end, and that escapes the cap, is worse than a
// failed login.
func TestSessionsIssueStoreDown(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{Store: failingSessions{freshtoken.NewMemoryStore()}})
	p, err := m.Issue(context.Background(), "alice")
	if !errors.Is(err, freshtoken.ErrStoreUnavailable) || !errors.Is(err, errDown) || p != nil {
		t.Errorf("Issue with the registry down: got %v, %v; want nil and ErrStoreUnavailable wrapping the store's error", p, err)
	}
}
