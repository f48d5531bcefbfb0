package httpauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// eventLog records what a Config.Events hook receives, with the request ID
// each event's context carries.
type eventLog struct {
	mu     sync.Mutex
	events []freshtoken.Event
	ids    []any
}

type requestIDKey struct{}

func (l *eventLog) hook(ctx context.Context, e freshtoken.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
	l.ids = append(l.ids, ctx.Value(requestIDKey{}))
}

// take returns the events recorded so far and their request IDs, and
// forgets them.
func (l *eventLog) take() ([]freshtoken.Event, []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ids := l.events, l.ids
	l.events, l.ids = nil, nil
	return e, ids
}

// withRequestID is what an application's logging middleware does in front
// of the guards: a value in the request's context, for the hook to read.
func withRequestID(id string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// eventGuards are the Guards the events reach the hook through: a
// Manager in each token format, and a Verifier from NewVerifier.
func eventGuards(t *testing.T, log *eventLog, store freshtoken.Store) []struct {
	name  string
	m     *freshtoken.Manager // issues
	guard Guard               // guards, and hears of CSRF failures
} {
	t.Helper()
	own, clk := newTestManager(t, freshtoken.Config{Events: log.hook, Store: store})
	flask, _ := newTestManager(t, freshtoken.Config{
		Key: []byte("httpauth events test secret, 32+"), Flask: &freshtoken.FlaskOptions{},
		Events: log.hook, Store: store, Now: clk.Now,
	})
	issuer, _ := newTestManager(t, freshtoken.Config{Store: store, Now: clk.Now}) // no hook: the verifier's reports
	v, err := freshtoken.NewVerifier(context.Background(), freshtoken.VerifierConfig{Config: freshtoken.Config{
		VerifyKeys: []any{webKey(1).Public()}, Store: store, Now: clk.Now, Events: log.hook,
	}})
	if err != nil {
		t.Fatal(err)
	}
	return []struct {
		name  string
		m     *freshtoken.Manager
		guard Guard
	}{{"native", own, own}, {"flask", flask, flask}, {"verifier", issuer, v}}
}

var eventOpts = cmp.Options{cmpopts.EquateErrors()}

// TestCSRFEvents checks that each CSRF failure is one EventCSRFFailed with
// the IDs of the token that failed and the request's context, and that
// nothing else the CSRF check sees is an event.
func TestCSRFEvents(t *testing.T) {
	ctx := context.Background()
	log := &eventLog{}
	for _, g := range eventGuards(t, log, freshtoken.NewMemoryStore()) {
		t.Run(g.name, func(t *testing.T) {
			mw := newWebMiddleware(t, g.guard, Config{Sources: []Source{FromCookie, FromHeader}})
			mux := http.NewServeMux()
			mux.Handle("/access", mw.RequireAccess(whoami))
			mux.Handle("/refresh", mw.RequireRefresh(whoami))
			h := withRequestID("req-1", mux)

			bound := mustIssue(t, g.m, "user-1", freshtoken.WithCSRF())
			unbound := mustIssue(t, g.m, "user-2")
			claims := func(tok string, refresh bool) *freshtoken.Claims {
				c, err := g.m.RequireAccess(ctx, tok)
				if refresh {
					c, err = g.m.RequireRefresh(ctx, tok)
				}
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			failed := func(c *freshtoken.Claims) []freshtoken.Event {
				return []freshtoken.Event{{Kind: freshtoken.EventCSRFFailed, Subject: c.Subject, SessionID: c.SessionID, TokenID: c.ID, Err: ErrCSRF}}
			}
			at, rt, plain := claims(bound.Access, false), claims(bound.Refresh, true), claims(unbound.Access, false)
			log.take()

			steps := []struct {
				name   string
				method string
				path   string
				cookie string   // the token cookie's value
				csrf   []string // X-CSRF-TOKEN values
				bearer string
				want   []freshtoken.Event
				reason string
			}{
				{"safe method", "GET", "/access", bound.Access, nil, "", nil, "GET needs no CSRF header"},
				{"header matches", "POST", "/access", bound.Access, []string{bound.AccessCSRF}, "", nil, "double submit"},
				{"bearer", "POST", "/access", "", nil, bound.Access, nil, "a bearer token needs no CSRF header"},
				{"bad token", "POST", "/access", "not.a.token", nil, "", nil, "the guard refuses first: no CSRF check, and no event"},
				{"no header", "POST", "/access", bound.Access, nil, "", failed(at), "a forged cross-site form"},
				{"wrong header", "POST", "/access", bound.Access, []string{tamper(bound.AccessCSRF)}, "", failed(at), "compared in full"},
				{"refresh value", "POST", "/access", bound.Access, []string{bound.RefreshCSRF}, "", failed(at), "each token has its own value"},
				{"two headers", "POST", "/access", bound.Access, []string{bound.AccessCSRF, bound.AccessCSRF}, "", failed(at), "exactly one header"},
				{"no csrf claim", "POST", "/access", unbound.Access, []string{bound.AccessCSRF}, "", failed(plain), "a token issued without WithCSRF"},
				{"refresh token", "POST", "/refresh", bound.Refresh, nil, "", failed(rt), "the refresh token's own IDs"},
			}
			var all []freshtoken.Event
			for _, s := range steps {
				r := httptest.NewRequest(s.method, s.path, nil)
				if s.cookie != "" {
					name := "access_token_cookie"
					if s.path == "/refresh" {
						name = "refresh_token_cookie"
					}
					r.AddCookie(&http.Cookie{Name: name, Value: s.cookie})
				}
				if s.csrf != nil {
					r.Header["X-Csrf-Token"] = s.csrf
				}
				if s.bearer != "" {
					r.Header.Set("Authorization", "Bearer "+s.bearer)
				}
				a := record(h, r)
				if s.want != nil && a.Status != http.StatusForbidden {
					t.Errorf("%s: answered %d, want 403", s.name, a.Status)
				}
				got, ids := log.take()
				if diff := cmp.Diff(s.want, got, eventOpts); diff != "" {
					t.Errorf("%s: events differ (%s) (-want +got):\n%s", s.name, s.reason, diff)
				}
				for _, id := range ids {
					if id != "req-1" {
						t.Errorf("%s: the hook saw request ID %v, want the request's, req-1", s.name, id)
					}
				}
				all = append(all, got...)
			}

			// The adapters of other frameworks report through Authenticate.
			r := httptest.NewRequest("POST", "/", nil)
			r.AddCookie(&http.Cookie{Name: "access_token_cookie", Value: bound.Access})
			if _, _, _, err := mw.Authenticate(r, RuleAccess); !errors.Is(err, ErrCSRF) {
				t.Errorf("Authenticate: %v, want ErrCSRF", err)
			}
			got, _ := log.take()
			if diff := cmp.Diff(failed(at), got, eventOpts); diff != "" {
				t.Errorf("Authenticate: events differ (-want +got):\n%s", diff)
			}
			all = append(all, got...)

			checkNoSecrets(t, all, bound, unbound)
		})
	}
}

// checkNoSecrets fails t if a field of an event holds a token of pairs,
// a part of one, or a CSRF value.
func checkNoSecrets(t *testing.T, events []freshtoken.Event, pairs ...*freshtoken.Pair) {
	t.Helper()
	var secrets []string
	for _, p := range pairs {
		for _, tok := range []string{p.Access, p.Refresh} {
			parts := strings.Split(tok, ".")
			secrets = append(secrets, tok, parts[1], parts[2])
		}
		for _, v := range []string{p.AccessCSRF, p.RefreshCSRF} {
			if v != "" {
				secrets = append(secrets, v)
			}
		}
	}
	for _, e := range events {
		fields := []string{e.Subject, e.SessionID, e.TokenID, e.KeyID}
		if e.Err != nil {
			fields = append(fields, e.Err.Error())
		}
		for _, f := range fields {
			for _, s := range secrets {
				if strings.Contains(f, s) {
					t.Errorf("a %v event holds a secret %.12q…: %q", e.Kind, s, f)
				}
			}
		}
	}
}

// The guards' own events reach the hook with the request's context too.
func TestGuardEventsThroughMiddleware(t *testing.T) {
	ctx := context.Background()
	log := &eventLog{}
	store := &flakyStore{MemoryStore: freshtoken.NewMemoryStore()}
	for _, g := range eventGuards(t, log, store) {
		t.Run(g.name, func(t *testing.T) {
			mw := newWebMiddleware(t, g.guard, Config{})
			h := withRequestID("req-2", mw.RequireAccess(whoami))
			revoked := mustIssue(t, g.m, "user-1")
			c, err := g.m.RequireAccess(ctx, revoked.Access)
			if err != nil {
				t.Fatal(err)
			}
			if err := g.m.Logout(ctx, revoked.Refresh); err != nil {
				t.Fatal(err)
			}
			other := mustIssue(t, g.m, "user-2")
			oc, err := g.m.RequireAccess(ctx, other.Access)
			if err != nil {
				t.Fatal(err)
			}
			log.take()

			steps := []struct {
				name   string
				tok    string
				down   bool
				status int
				want   []freshtoken.Event
			}{
				{"valid", other.Access, false, 200, nil},
				{"revoked", revoked.Access, false, 401, []freshtoken.Event{{Kind: freshtoken.EventRevokedToken, Subject: c.Subject, SessionID: c.SessionID, TokenID: c.ID, Err: freshtoken.ErrRevoked}}},
				{"store down", other.Access, true, 503, []freshtoken.Event{{Kind: freshtoken.EventStoreUnavailable, Subject: oc.Subject, SessionID: oc.SessionID, TokenID: oc.ID, Err: freshtoken.ErrStoreUnavailable}}},
			}
			for _, s := range steps {
				store.setDown(s.down)
				r := httptest.NewRequest("GET", "/", nil)
				r.Header.Set("Authorization", "Bearer "+s.tok)
				if a := record(h, r); a.Status != s.status {
					t.Errorf("%s: answered %d, want %d", s.name, a.Status, s.status)
				}
				got, ids := log.take()
				if diff := cmp.Diff(s.want, got, eventOpts); diff != "" {
					t.Errorf("%s: events differ (-want +got):\n%s", s.name, diff)
				}
				for _, id := range ids {
					if id != "req-2" {
						t.Errorf("%s: the hook saw request ID %v, want the request's, req-2", s.name, id)
					}
				}
				checkNoSecrets(t, got, revoked, other)
			}
			store.setDown(false)
		})
	}
}

// flakyStore is a MemoryStore whose lookups fail while it is down.
type flakyStore struct {
	*freshtoken.MemoryStore
	mu   sync.Mutex
	down bool
}

func (s *flakyStore) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

func (s *flakyStore) Lookup(ctx context.Context, now time.Time, subject, tokenID, sessionID string) (bool, time.Time, error) {
	s.mu.Lock()
	down := s.down
	s.mu.Unlock()
	if down {
		return false, time.Time{}, errDown
	}
	return s.MemoryStore.Lookup(ctx, now, subject, tokenID, sessionID)
}

// A Guard without Notify refuses CSRF failures all the same, and the
// Manager behind it hears nothing of them.
func TestCSRFWithoutNotifier(t *testing.T) {
	log := &eventLog{}
	m, _ := newTestManager(t, freshtoken.Config{Events: log.hook})
	hidden := struct{ Guard }{m} // the Guard methods alone
	if _, ok := Guard(hidden).(Notifier); ok {
		t.Fatal("the wrapper is a Notifier; the test would prove nothing")
	}
	mw := newWebMiddleware(t, hidden, Config{Sources: []Source{FromCookie}})
	p := mustIssue(t, m, "user-1", freshtoken.WithCSRF())
	log.take()
	r := httptest.NewRequest("POST", "/", nil)
	r.AddCookie(&http.Cookie{Name: "access_token_cookie", Value: p.Access})
	if a := record(mw.RequireAccess(whoami), r); a.Status != http.StatusForbidden {
		t.Errorf("answered %d, want 403", a.Status)
	}
	if got, _ := log.take(); len(got) != 0 {
		t.Errorf("events %v, want none: the Guard cannot be told", got)
	}
}

// The issue's flow through HTTP, in both token formats: log in, refresh
// (with rotation), replay the spent refresh token, use the revoked
// session's access token. The hook hears each step once, with the request
// ID the application's own middleware put in the request's context.
func TestEventFlowOverHTTP(t *testing.T) {
	for _, f := range []struct {
		name string
		cfg  freshtoken.Config
	}{
		{"native", freshtoken.Config{}},
		{"flask", freshtoken.Config{Key: []byte("httpauth events test secret, 32+"), Flask: &freshtoken.FlaskOptions{}}},
	} {
		t.Run(f.name, func(t *testing.T) {
			log := &eventLog{}
			cfg := f.cfg
			cfg.Events, cfg.RotateRefresh = log.hook, true
			m, clk := newTestManager(t, cfg)
			mw, err := New(m, Config{})
			if err != nil {
				t.Fatal(err)
			}
			mux := http.NewServeMux()
			mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
				pair, err := m.Issue(r.Context(), "user-42")
				if err != nil {
					mw.WriteError(w, r, err)
					return
				}
				WriteTokenResponse(w, pair)
			})
			mux.Handle("POST /refresh", mw.RequireRefresh(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				pair, err := m.Refresh(r.Context(), TokenFromContext(r.Context()))
				if err != nil {
					mw.WriteError(w, r, err)
					return
				}
				WriteTokenResponse(w, pair)
			})))
			mux.Handle("GET /me", mw.RequireAccess(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
			send := func(id, method, path, tok string) *httptest.ResponseRecorder {
				r := httptest.NewRequest(method, path, nil)
				if tok != "" {
					r.Header.Set("Authorization", "Bearer "+tok)
				}
				w := httptest.NewRecorder()
				withRequestID(id, mux).ServeHTTP(w, r)
				return w
			}
			tokens := func(w *httptest.ResponseRecorder) TokenResponse {
				t.Helper()
				var tr TokenResponse
				if err := json.Unmarshal(w.Body.Bytes(), &tr); err != nil || w.Code != 200 {
					t.Fatalf("%d %s", w.Code, w.Body)
				}
				return tr
			}
			login := tokens(send("r1", "POST", "/login", ""))
			clk.Advance(time.Minute)
			next := tokens(send("r2", "POST", "/refresh", login.RefreshToken))
			clk.Advance(time.Minute)
			if w := send("r3", "POST", "/refresh", login.RefreshToken); w.Code != 401 {
				t.Errorf("replayed refresh token: %d, want 401", w.Code)
			}
			if w := send("r4", "GET", "/me", next.AccessToken); w.Code != 401 {
				t.Errorf("revoked session's access token: %d, want 401", w.Code)
			}
			got, ids := log.take()
			kinds := make([]freshtoken.EventKind, len(got))
			for i, e := range got {
				kinds[i] = e.Kind
				if e.Subject != "user-42" || e.SessionID == "" {
					t.Errorf("event %v: subject %q, session %q", e.Kind, e.Subject, e.SessionID)
				}
			}
			wantKinds := []freshtoken.EventKind{freshtoken.EventLogin, freshtoken.EventRefresh, freshtoken.EventRefreshReuse, freshtoken.EventRevokedToken}
			if diff := cmp.Diff(wantKinds, kinds); diff != "" {
				t.Errorf("event kinds (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]any{"r1", "r2", "r3", "r4"}, ids); diff != "" {
				t.Errorf("request IDs the hook saw (-want +got):\n%s", diff)
			}
		})
	}
}
