package freshtoken

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The events of a session's whole story, exactly, in both token formats:
// a login, a refresh with rotation, the spent refresh token replayed (the
// session is revoked), the session's newer tokens presented again, another
// login ended with EndSession, and a logout everywhere. Each event carries
// the call's context.
func TestManagerEventFlow(t *testing.T) {
	ctx := context.WithValue(context.Background(), eventCtxKey{}, "req-1")
	for _, p := range eventProfiles() {
		t.Run(p.name, func(t *testing.T) {
			log := &eventLog{}
			cfg := p.cfg
			cfg.Events, cfg.RotateRefresh = log.hook, true
			m, clk := newTestManager(t, cfg)
			claims := func(guard func(context.Context, string) (*Claims, error), tok string) *Claims {
				t.Helper()
				c, err := guard(context.Background(), tok)
				if err != nil {
					t.Fatalf("guard: %v", err)
				}
				return c
			}
			step := func(what string, want []Event) {
				t.Helper()
				got, values := log.take()
				if diff := diffEvents(want, got); diff != "" {
					t.Errorf("%s: events (-want +got):\n%s", what, diff)
				}
				checkEventSentinels(t, got)
				for i, v := range values {
					if v != "req-1" {
						t.Errorf("%s: event %d's context holds %v, want the call's (req-1)", what, i, v)
					}
				}
			}

			login, err := m.Issue(ctx, "user-42")
			if err != nil {
				t.Fatal(err)
			}
			la, lr := claims(m.RequireAccess, login.Access), claims(m.RequireRefresh, login.Refresh)
			step("Issue", []Event{{Kind: EventLogin, Subject: "user-42", SessionID: la.SessionID, TokenID: la.ID}})

			clk.Advance(time.Minute)
			next, err := m.Refresh(ctx, login.Refresh)
			if err != nil {
				t.Fatal(err)
			}
			na, nr := claims(m.RequireAccess, next.Access), claims(m.RequireRefresh, next.Refresh)
			step("Refresh", []Event{{Kind: EventRefresh, Subject: "user-42", SessionID: lr.SessionID, TokenID: lr.ID}})

			clk.Advance(time.Minute)
			if _, err := m.Refresh(ctx, login.Refresh); !errors.Is(err, ErrRevoked) {
				t.Fatalf("replayed refresh token: %v, want ErrRevoked", err)
			}
			step("the spent refresh token replayed", []Event{{Kind: EventRefreshReuse, Subject: "user-42", SessionID: lr.SessionID, TokenID: lr.ID, Err: ErrRevoked}})

			if _, err := m.RequireAccess(ctx, next.Access); !errors.Is(err, ErrRevoked) {
				t.Fatalf("access token of the revoked session: %v, want ErrRevoked", err)
			}
			if _, err := m.Refresh(ctx, next.Refresh); !errors.Is(err, ErrRevoked) {
				t.Fatalf("refresh token of the revoked session: %v, want ErrRevoked", err)
			}
			step("the revoked session's tokens", []Event{
				{Kind: EventRevokedToken, Subject: "user-42", SessionID: na.SessionID, TokenID: na.ID, Err: ErrRevoked},
				{Kind: EventRevokedToken, Subject: "user-42", SessionID: nr.SessionID, TokenID: nr.ID, Err: ErrRevoked},
			})

			second, err := m.Issue(ctx, "user-42")
			if err != nil {
				t.Fatal(err)
			}
			sa := claims(m.RequireAccess, second.Access)
			if err := m.EndSession(ctx, sa); err != nil {
				t.Fatal(err)
			}
			step("another login, ended", []Event{
				{Kind: EventLogin, Subject: "user-42", SessionID: sa.SessionID, TokenID: sa.ID},
				{Kind: EventLogout, Subject: "user-42", SessionID: sa.SessionID},
			})

			clk.Advance(time.Second)
			if err := m.LogoutEverywhere(ctx, "user-42"); err != nil {
				t.Fatal(err)
			}
			step("LogoutEverywhere", []Event{{Kind: EventLogoutEverywhere, Subject: "user-42"}})
		})
	}
}

// Ending sessions through the registry reports one logout per session
// ended, and a store that fails a state-changing call reports the outage
// with the IDs the call was about, once.
func TestSessionAndOutageEvents(t *testing.T) {
	ctx := context.Background()
	log := &eventLog{}
	store := &failingWrites{MemoryStore: NewMemoryStore()}
	m, clk := newTestManager(t, Config{Events: log.hook, Store: store})
	var sids []string
	for range 3 {
		p := mustIssue(t, m, "user-42")
		c, err := m.RequireAccess(ctx, p.Access)
		if err != nil {
			t.Fatal(err)
		}
		sids = append(sids, c.SessionID)
		clk.Advance(time.Second)
	}
	current, err := m.RequireAccess(ctx, mustIssue(t, m, "user-42").Access)
	if err != nil {
		t.Fatal(err)
	}
	log.take()

	if err := m.EndSessionByID(ctx, "user-42", sids[0]); err != nil {
		t.Fatal(err)
	}
	if diff := diffEvents([]Event{{Kind: EventLogout, Subject: "user-42", SessionID: sids[0]}}, log.takeEvents()); diff != "" {
		t.Errorf("EndSessionByID: events (-want +got):\n%s", diff)
	}
	if err := m.EndOtherSessions(ctx, current); err != nil {
		t.Fatal(err)
	}
	got := log.takeEvents()
	if len(got) != 2 || got[0].Kind != EventLogout || got[1].Kind != EventLogout {
		t.Errorf("EndOtherSessions: events %+v, want two logouts", got)
	}

	store.down = true
	if err := m.LogoutEverywhere(ctx, "user-42"); !errors.Is(err, ErrStoreUnavailable) {
		t.Fatalf("LogoutEverywhere, store down: %v", err)
	}
	if err := m.EndSession(ctx, current); !errors.Is(err, ErrStoreUnavailable) {
		t.Fatalf("EndSession, store down: %v", err)
	}
	if diff := diffEvents([]Event{
		{Kind: EventStoreUnavailable, Subject: "user-42", Err: errWritesDown},
		{Kind: EventStoreUnavailable, Subject: "user-42", SessionID: current.SessionID, Err: errWritesDown},
	}, log.takeEvents()); diff != "" {
		t.Errorf("store down: events (-want +got):\n%s", diff)
	}
}

// failingWrites is a MemoryStore whose writes fail while down.
type failingWrites struct {
	*MemoryStore
	down bool
}

var errWritesDown = errors.New("writes down")

func (s *failingWrites) Revoke(ctx context.Context, now time.Time, id string, until time.Time) error {
	if s.down {
		return errWritesDown
	}
	return s.MemoryStore.Revoke(ctx, now, id, until)
}

func (s *failingWrites) RevokeBefore(ctx context.Context, now time.Time, subject string, until time.Time) error {
	if s.down {
		return errWritesDown
	}
	return s.MemoryStore.RevokeBefore(ctx, now, subject, until)
}
