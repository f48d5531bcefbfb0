package freshtoken

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken/internal/testclock"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// eventLog records what a Config.Events hook receives, with the value each
// event's context holds under eventCtxKey.
type eventLog struct {
	mu     sync.Mutex
	events []Event
	values []any
	// seen, when not nil, is sent every event too, for events that come
	// from a goroutine of the Verifier's own.
	seen chan Event
}

type eventCtxKey struct{}

func (l *eventLog) hook(ctx context.Context, e Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.values = append(l.values, ctx.Value(eventCtxKey{}))
	l.mu.Unlock()
	if l.seen != nil {
		l.seen <- e
	}
}

// take returns the events recorded so far, and the context values, and
// forgets them.
func (l *eventLog) take() ([]Event, []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, v := l.events, l.values
	l.events, l.values = nil, nil
	return e, v
}

// takeEvents is take without the context values.
func (l *eventLog) takeEvents() []Event {
	e, _ := l.take()
	return e
}

// eventOpts compare events with errors matched by errors.Is: a want of
// ErrRevoked matches any error that wraps it.
var eventOpts = cmp.Options{cmpopts.EquateErrors()}

func diffEvents(want, got []Event) string { return cmp.Diff(want, got, eventOpts) }

// eventSentinels is the sentinel the Err of each guard-side kind matches.
var eventSentinels = map[EventKind]error{
	EventRevokedToken:     ErrRevoked,
	EventStoreUnavailable: ErrStoreUnavailable,
	EventUnknownKey:       ErrUnknownKey,
}

// checkEventSentinels checks that each event's Err matches its kind's
// sentinel, which a want of the store's own error does not check.
func checkEventSentinels(t *testing.T, events []Event) {
	t.Helper()
	for _, e := range events {
		if want := eventSentinels[e.Kind]; want != nil && !errors.Is(e.Err, want) {
			t.Errorf("a %v event's Err is %v, want it to match %v", e.Kind, e.Err, want)
		}
	}
}

// eventProfile is a token format the guard-side events are tested in.
type eventProfile struct {
	name string
	cfg  Config
	// unknownKid is a header naming a key nobody has, in the format.
	unknownKid func(kid string) string
}

func eventProfiles() []eventProfile {
	return []eventProfile{
		{"native", Config{Key: testKeys().ed}, func(kid string) string {
			return `{"alg":"EdDSA","typ":"at+jwt","kid":"` + kid + `"}`
		}},
		// Flask-format tokens name a key only with Config.KeyID.
		{"flask", Config{Key: testKeys().hs256, Flask: &FlaskOptions{}, KeyID: "flask-1"}, func(kid string) string {
			return `{"alg":"HS256","typ":"JWT","kid":"` + kid + `"}`
		}},
	}
}

// withHeader is tok with its header replaced by header: a kid is
// looked up before the signature is checked, so the signature may stay.
func withHeader(tok, header string) string {
	return b64([]byte(header)) + tok[strings.IndexByte(tok, '.'):]
}

// guardSetup is a Manager with a hook, a store that can fail, and a login.
type guardSetup struct {
	m      *Manager
	clk    *testclock.Clock
	store  *switchStore
	pair   *Pair
	at, rt *Claims // the claims of pair.Access and pair.Refresh
}

// guardCall is a guard, or another call that verifies a token.
type guardCall func(context.Context, string) (*Claims, error)

type guardEventCase struct {
	name    string
	prepare func(s *guardSetup) (tok string, call guardCall)
	want    func(s *guardSetup) []Event
	reason  string
}

// guardEventCases are the cases of TestGuardEvents in profile p.
func guardEventCases(t *testing.T, p eventProfile) []guardEventCase {
	ctx := context.Background()
	none := func(*guardSetup) []Event { return nil }
	revoked := func(c func(s *guardSetup) *Claims) func(s *guardSetup) []Event {
		return func(s *guardSetup) []Event {
			c := c(s)
			return []Event{{Kind: EventRevokedToken, Subject: c.Subject, SessionID: c.SessionID, TokenID: c.ID, Err: ErrRevoked}}
		}
	}
	access := func(s *guardSetup) *Claims { return s.at }
	refresh := func(s *guardSetup) *Claims { return s.rt }
	logout := func(s *guardSetup) {
		if err := s.m.Logout(ctx, s.pair.Refresh); err != nil {
			t.Fatal(err)
		}
	}
	longKid := strings.Repeat("k", 200)
	return []guardEventCase{
		{
			name:    "valid",
			prepare: func(s *guardSetup) (string, guardCall) { return s.pair.Access, s.m.RequireAccess },
			want:    none,
			reason:  "a token that passes builds no event",
		},
		{
			name:    "malformed",
			prepare: func(s *guardSetup) (string, guardCall) { return "not.a.token", s.m.RequireAccess },
			want:    none,
			reason:  "scanners send these all day; nothing in them is verified",
		},
		{
			name: "bad signature",
			prepare: func(s *guardSetup) (string, guardCall) {
				tok := s.pair.Access
				dot := strings.LastIndexByte(tok, '.')
				return tok[:dot+1] + "AAAA" + tok[dot+5:], s.m.RequireAccess
			},
			want:   none,
			reason: "its subject is whatever the forger wrote: the error is the caller's to count",
		},
		{
			name: "expired",
			prepare: func(s *guardSetup) (string, guardCall) {
				s.clk.Advance(time.Hour)
				return s.pair.Access, s.m.RequireAccess
			},
			want:   none,
			reason: "every access token expires; that is no news",
		},
		{
			name:    "wrong type",
			prepare: func(s *guardSetup) (string, guardCall) { return s.pair.Refresh, s.m.RequireAccess },
			want:    none,
			reason:  "a client's bug, answered 401",
		},
		{
			name: "revoked access token",
			prepare: func(s *guardSetup) (string, guardCall) {
				if err := s.m.RevokeAccessToken(ctx, s.at.ID); err != nil {
					t.Fatal(err)
				}
				return s.pair.Access, s.m.RequireAccess
			},
			want:   revoked(access),
			reason: "a genuine token presented after its revocation",
		},
		{
			name:    "logged out, at RequireFresh",
			prepare: func(s *guardSetup) (string, guardCall) { logout(s); return s.pair.Access, s.m.RequireFresh },
			want:    revoked(access),
			reason:  "every guard asks the store alike",
		},
		{
			name: "logged out, at RequireLoginWithin",
			prepare: func(s *guardSetup) (string, guardCall) {
				logout(s)
				return s.pair.Access, func(ctx context.Context, tok string) (*Claims, error) {
					return s.m.RequireLoginWithin(ctx, tok, time.Hour)
				}
			},
			want:   revoked(access),
			reason: "every guard asks the store alike",
		},
		{
			name:    "logged out, refresh token",
			prepare: func(s *guardSetup) (string, guardCall) { logout(s); return s.pair.Refresh, s.m.RequireRefresh },
			want:    revoked(refresh),
			reason:  "the refresh token's own IDs",
		},
		{
			name: "logged out, at Refresh",
			prepare: func(s *guardSetup) (string, guardCall) {
				logout(s)
				return s.pair.Refresh, func(ctx context.Context, tok string) (*Claims, error) {
					_, err := s.m.Refresh(ctx, tok)
					return nil, err
				}
			},
			want:   revoked(refresh),
			reason: "Refresh verifies as RequireRefresh does, and reports the revocation once",
		},
		{
			name: "logged out everywhere",
			prepare: func(s *guardSetup) (string, guardCall) {
				if err := s.m.LogoutEverywhere(ctx, s.at.Subject); err != nil {
					t.Fatal(err)
				}
				return s.pair.Access, s.m.RequireAccess
			},
			want:   revoked(access),
			reason: "the subject's cutoff is a revocation too",
		},
		{
			name:    "store down",
			prepare: func(s *guardSetup) (string, guardCall) { s.store.down = true; return s.pair.Access, s.m.RequireAccess },
			want: func(s *guardSetup) []Event {
				return []Event{{Kind: EventStoreUnavailable, Subject: s.at.Subject, SessionID: s.at.SessionID, TokenID: s.at.ID, Err: errStoreDown}}
			},
			reason: "an outage refuses every request: the store's error, under ErrStoreUnavailable",
		},
		{
			name: "unknown kid",
			prepare: func(s *guardSetup) (string, guardCall) {
				return withHeader(s.pair.Access, p.unknownKid("retired-2025")), s.m.RequireAccess
			},
			want: func(*guardSetup) []Event {
				return []Event{{Kind: EventUnknownKey, KeyID: "retired-2025", Err: ErrUnknownKey}}
			},
			reason: "the kid, and nothing of the claims, which are not verified",
		},
		{
			name: "long unknown kid",
			prepare: func(s *guardSetup) (string, guardCall) {
				return withHeader(s.pair.Access, p.unknownKid(longKid)), s.m.RequireAccess
			},
			want: func(*guardSetup) []Event {
				return []Event{{Kind: EventUnknownKey, KeyID: longKid[:maxEventKeyID] + "…", Err: ErrUnknownKey}}
			},
			reason: "a kid is chosen by the token's writer: cut",
		},
	}
}

// TestGuardEvents checks, in both token formats, which refusals of a
// guard are events and what each carries: a genuine token refused by the
// store's answer is one event with its subject and IDs; an unknown kid is
// one with the kid and nothing the token claims; ordinary bad tokens are
// none.
func TestGuardEvents(t *testing.T) {
	ctx := context.Background()
	for _, p := range eventProfiles() {
		for _, tt := range guardEventCases(t, p) {
			t.Run(p.name+"/"+tt.name, func(t *testing.T) {
				log := &eventLog{}
				store := &switchStore{MemoryStore: NewMemoryStore()}
				cfg := p.cfg
				cfg.Store, cfg.Events = store, log.hook
				m, clk := newTestManager(t, cfg)
				s := &guardSetup{m: m, clk: clk, store: store, pair: mustIssue(t, m, "user-42", WithCSRF())}
				var err error
				if s.at, err = m.RequireAccess(ctx, s.pair.Access); err != nil {
					t.Fatal(err)
				}
				if s.rt, err = m.RequireRefresh(ctx, s.pair.Refresh); err != nil {
					t.Fatal(err)
				}
				clk.Advance(time.Second) // after the login, for LogoutEverywhere
				tok, call := tt.prepare(s)
				log.take() // what Issue, Logout and the others report is not this test's
				call(ctx, tok)
				got := log.takeEvents()
				if diff := diffEvents(tt.want(s), got); diff != "" {
					t.Errorf("events differ (%s) (-want +got):\n%s", tt.reason, diff)
				}
				checkEventSentinels(t, got)
			})
		}
	}
}

// A Verifier with a JWK Set reports the fetches that fail, each with the
// context it runs for, and the unknown kid that set one off after it.
func TestVerifierKeyEvents(t *testing.T) {
	timers := manualTimers(t) // the background fetches happen when the test says
	log := &eventLog{seen: make(chan Event, 16)}
	startCtx, cancel := context.WithCancel(context.WithValue(context.Background(), eventCtxKey{}, "NewVerifier"))
	defer cancel()
	issuer, clk := newTestManager(t, Config{Key: webKey(1)})
	iss := newIssuerServer(t, issuer)
	v := newWebVerifier(t, startCtx, VerifierConfig{JWKSURL: iss.jwksURL(), Config: Config{Now: clk.Now, Events: log.hook}})
	background := nextWait(t, timers)
	stranger, _ := newTestManager(t, Config{Key: webKey(2), Now: clk.Now})
	tok := mustIssue(t, stranger, "user-1").Access
	kid := stranger.signer().id
	reqCtx, reqCancel := context.WithCancel(context.WithValue(context.Background(), eventCtxKey{}, "request-7"))
	defer reqCancel()
	fetchFailed := func(detail string) Event {
		return Event{Kind: EventKeySetFetchFailed, Err: errors.New(`fetching the JWK Set at "` + iss.jwksURL() + `": ` + detail)}
	}
	// The text of Err is for logs; here it is checked as a whole.
	opts := cmp.Options{cmp.Comparer(func(a, b error) bool {
		if a == nil || b == nil {
			return a == b
		}
		return a.Error() == b.Error() || (errors.Is(a, ErrUnknownKey) && errors.Is(b, ErrUnknownKey))
	})}
	unknown := Event{Kind: EventUnknownKey, KeyID: kid, Err: ErrUnknownKey}

	steps := []struct {
		name       string
		advance    time.Duration
		down       bool
		wantEvents []Event
		wantValues []any
		reason     string
	}{
		{"refetch fails", 0, true, []Event{fetchFailed(`the issuer answered "503 Service Unavailable"`), unknown}, []any{"request-7", "request-7"},
			"the fetch the token set off failed, then the guard refused it; both with the request's values"},
		{"rate-limited", time.Second, true, []Event{unknown}, []any{"request-7"},
			"no fetch within MinRefetchInterval, so no fetch event"},
		{"refetch succeeds, kid still unknown", defaultMinRefetch, false, []Event{unknown}, []any{"request-7"},
			"a good fetch is no event; the kid is still nobody's"},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		if s.down {
			iss.publish(unavailable)
		} else {
			iss.publish(issuer.JWKSHandler())
		}
		if _, err := v.RequireAccess(reqCtx, tok); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("%s: RequireAccess = %v, want ErrUnknownKey", s.name, err)
		}
		got, values := log.take()
		if diff := cmp.Diff(s.wantEvents, got, opts); diff != "" {
			t.Errorf("%s: events differ (%s) (-want +got):\n%s", s.name, s.reason, diff)
		}
		if diff := cmp.Diff(s.wantValues, values); diff != "" {
			t.Errorf("%s: context values differ (%s) (-want +got):\n%s", s.name, s.reason, diff)
		}
		for range got {
			<-log.seen
		}
	}

	// The background fetch reports with NewVerifier's context.
	iss.publish(unavailable)
	background.fire <- time.Time{}
	select {
	case <-log.seen:
	case <-time.After(hangGuard):
		t.Fatalf("no event from the failed background fetch within %s", hangGuard)
	}
	got, values := log.take()
	if diff := cmp.Diff([]Event{fetchFailed(`the issuer answered "503 Service Unavailable"`)}, got, opts); diff != "" {
		t.Errorf("background fetch: events differ (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{"NewVerifier"}, values); diff != "" {
		t.Errorf("background fetch: context values differ (-want +got):\n%s", diff)
	}
}

// With several issuers, a failed fetch names the issuer as well as the URL.
func TestIssuerKeyEvents(t *testing.T) {
	timers := manualTimers(t)
	log := &eventLog{seen: make(chan Event, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	issuer, clk := newTestManager(t, Config{Key: webKey(1), Issuer: "https://a.example"})
	iss := newIssuerServer(t, issuer)
	newWebVerifier(t, ctx, VerifierConfig{
		Issuers: []TrustedIssuer{{Issuer: "https://a.example", JWKSURL: iss.jwksURL()}},
		Config:  Config{Now: clk.Now, Events: log.hook},
	})
	w := nextWait(t, timers)
	iss.publish(unavailable)
	w.fire <- time.Time{}
	var e Event
	select {
	case e = <-log.seen:
	case <-time.After(hangGuard):
		t.Fatalf("no event from the failed background fetch within %s", hangGuard)
	}
	want := `fetching the JWK Set at "` + iss.jwksURL() + `": the issuer answered "503 Service Unavailable" (issuer "https://a.example")`
	if e.Kind != EventKeySetFetchFailed || e.Err == nil || e.Err.Error() != want {
		t.Errorf("got %v %v, want %v %q", e.Kind, e.Err, EventKeySetFetchFailed, want)
	}
}

// A JWKSURL may carry a password; no event or error repeats it.
func TestKeySetEventsHideURLPassword(t *testing.T) {
	manualTimers(t)
	log := &eventLog{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	issuer, clk := newTestManager(t, Config{Key: webKey(1)})
	iss := newIssuerServer(t, issuer)
	withPassword := strings.Replace(iss.jwksURL(), "http://", "http://ops:hunter2@", 1) + "?api_key=s3cret"
	v := newWebVerifier(t, ctx, VerifierConfig{JWKSURL: withPassword, Config: Config{Now: clk.Now, Events: log.hook}})
	stranger, _ := newTestManager(t, Config{Key: webKey(2), Now: clk.Now})
	iss.publish(unavailable)
	_, err := v.RequireAccess(ctx, mustIssue(t, stranger, "user-1").Access)
	if !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("RequireAccess = %v, want ErrUnknownKey", err)
	}
	got := log.takeEvents()
	if len(got) != 2 || got[0].Kind != EventKeySetFetchFailed {
		t.Fatalf("events %v, want a failed fetch and an unknown key", got)
	}
	redacted := strings.Replace(iss.jwksURL(), "http://", "http://ops:xxxxx@", 1) + "?…"
	if msg := got[0].Err.Error(); strings.Contains(msg, "hunter2") || strings.Contains(msg, "s3cret") || !strings.Contains(msg, redacted) {
		t.Errorf("the event's error is %q; want it to name %s, without the password", msg, redacted)
	}
}

// A hook that calls a guard from inside a fetch's report must not wait for
// that fetch: the report comes once the fetch is no longer in flight.
func TestEventHookMayCallGuards(t *testing.T) {
	manualTimers(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	issuer, clk := newTestManager(t, Config{Key: webKey(1)})
	iss := newIssuerServer(t, issuer)
	stranger, _ := newTestManager(t, Config{Key: webKey(2), Now: clk.Now})
	tok := mustIssue(t, stranger, "user-1").Access
	var v *Verifier
	var inner []error
	hook := func(ctx context.Context, e Event) {
		if e.Kind == EventKeySetFetchFailed {
			_, err := v.RequireAccess(ctx, tok)
			inner = append(inner, err)
		}
	}
	v = newWebVerifier(t, ctx, VerifierConfig{JWKSURL: iss.jwksURL(), MinRefetchInterval: -1, Config: Config{Now: clk.Now, Events: hook}})
	iss.publish(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if iss.fetches.Load() > 3 {
			issuer.JWKSHandler().ServeHTTP(w, r)
			return
		}
		unavailable.ServeHTTP(w, r)
	}))
	returns(t, "a guard whose fetch's hook calls the guard", func() {
		if _, err := v.RequireAccess(ctx, tok); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("RequireAccess = %v, want ErrUnknownKey", err)
		}
	})
	if len(inner) == 0 {
		t.Error("the hook never ran")
	}
}

func TestEventKeyID(t *testing.T) {
	tests := []struct {
		kid, want, reason string
	}{
		{"2026-03", "2026-03", "a plain kid is kept"},
		{"", "", "empty stays empty"},
		{strings.Repeat("a", maxEventKeyID), strings.Repeat("a", maxEventKeyID), "at the limit: kept whole"},
		{strings.Repeat("a", maxEventKeyID+1), strings.Repeat("a", maxEventKeyID) + "…", "one over: cut, and marked"},
		{strings.Repeat("a", maxEventKeyID-1) + "é", strings.Repeat("a", maxEventKeyID-1) + "…", "cut at a character boundary"},
		{"a\nlevel=ERROR", "a\uFFFDlevel=ERROR", "a newline could forge a log line"},
		{"a\x1b[31m", "a\uFFFD[31m", "terminal escapes"},
		{"a\xffb", "a\uFFFDb", "invalid UTF-8"},
	}
	for _, tt := range tests {
		if got := eventKeyID([]byte(tt.kid)); got != tt.want {
			t.Errorf("eventKeyID(%q) = %q, want %q (%s)", tt.kid, got, tt.want, tt.reason)
		}
	}
}

func TestEventKindString(t *testing.T) {
	seen := map[string]bool{}
	for k := EventLogin; k <= EventCSRFFailed; k++ {
		s := k.String()
		if seen[s] || strings.HasPrefix(s, "EventKind(") || strings.ToLower(s) != s {
			t.Errorf("EventKind %d is named %q: want a new snake-case name", k, s)
		}
		seen[s] = true
	}
	for _, k := range []EventKind{0, EventCSRFFailed + 1, 255} {
		if got, want := k.String(), "EventKind("+strconv.Itoa(int(k))+")"; got != want {
			t.Errorf("EventKind(%d).String() = %q, want %q", k, got, want)
		}
	}
}

// Secrets.

// secrets lists what no event may ever carry: each token, its payload and
// signature, each CSRF value and each key.
type secrets []string

func (s *secrets) token(tok string) {
	*s = append(*s, tok)
	if parts := strings.Split(tok, "."); len(parts) == 3 {
		*s = append(*s, parts[1], parts[2])
	}
}

func (s *secrets) pair(p *Pair) {
	s.token(p.Access)
	s.token(p.Refresh)
	for _, v := range []string{p.AccessCSRF, p.RefreshCSRF} {
		if v != "" {
			*s = append(*s, v)
		}
	}
}

// key adds a key in every form it may be written in.
func (s *secrets) key(k any) {
	var raw [][]byte
	switch k := k.(type) {
	case ed25519.PrivateKey:
		raw = [][]byte{k.Seed(), k, k.Public().(ed25519.PublicKey)}
	case ed25519.PublicKey:
		raw = [][]byte{k}
	case []byte:
		raw = [][]byte{k}
		*s = append(*s, string(k))
	}
	for _, r := range raw {
		*s = append(*s, base64.RawURLEncoding.EncodeToString(r), base64.RawStdEncoding.EncodeToString(r))
	}
}

// checkNoSecrets fails t if a field of an event holds one of s.
func checkNoSecrets(t *testing.T, events []Event, s secrets) {
	t.Helper()
	for _, e := range events {
		fields := []string{e.Subject, e.SessionID, e.TokenID, e.KeyID}
		if e.Err != nil {
			fields = append(fields, e.Err.Error())
		}
		for _, f := range fields {
			for _, secret := range s {
				if len(secret) >= 8 && strings.Contains(f, secret) {
					t.Errorf("a %v event holds a secret %.12q…: %q", e.Kind, secret, f)
				}
			}
		}
	}
}

// TestEventsCarryNoSecrets runs the flows of a service's life, hostile and
// normal, in both formats, with a hook that records every event, and
// checks that none holds a token, a signature, a CSRF value or a key.
func TestEventsCarryNoSecrets(t *testing.T) {
	ctx := context.Background()
	for _, p := range eventProfiles() {
		t.Run(p.name, func(t *testing.T) {
			log := &eventLog{}
			store := &switchStore{MemoryStore: NewMemoryStore()}
			cfg := p.cfg
			cfg.Store, cfg.Events, cfg.RotateRefresh = store, log.hook, true
			m, clk := newTestManager(t, cfg)
			var s secrets
			s.key(cfg.Key)
			var all []Event
			// run calls f, whose answers are not this test's, and keeps
			// the events it made.
			run := func(f func()) {
				f()
				all = append(all, log.takeEvents()...)
			}
			login := mustIssue(t, m, "user-42", WithCSRF())
			s.pair(login)
			run(func() {
				for _, tok := range []string{login.Access, login.Refresh} {
					m.RequireAccess(ctx, tok)
					m.RequireFresh(ctx, tok)
					m.RequireRefresh(ctx, tok)
					m.RequireLoginWithin(ctx, tok, time.Minute)
				}
			})
			// Hostile: kids made of other tokens, which KeyID must not
			// repeat whole. (A kid is echoed up to 64 bytes: what its
			// writer put there, a signature or a secret they hold, they
			// already have.)
			for _, kid := range []string{login.Access, login.Refresh} {
				run(func() { m.RequireAccess(ctx, withHeader(login.Access, p.unknownKid(kid))) })
			}
			clk.Advance(time.Minute)
			refreshed, err := m.Refresh(ctx, login.Refresh)
			if err != nil {
				t.Fatal(err)
			}
			s.pair(refreshed)
			run(func() { m.Refresh(ctx, login.Refresh) })
			run(func() { m.RequireAccess(ctx, refreshed.Access) })
			second := mustIssue(t, m, "user-42", WithCSRF())
			s.pair(second)
			store.down = true
			run(func() { m.RequireAccess(ctx, second.Access) })
			run(func() { m.Refresh(ctx, second.Refresh) })
			store.down = false
			run(func() { m.Logout(ctx, second.Refresh) })
			run(func() { m.LogoutEverywhere(ctx, "user-42") })
			run(func() { m.RequireAccess(ctx, second.Access) })

			kinds := map[EventKind]bool{}
			for _, e := range all {
				kinds[e.Kind] = true
			}
			for _, k := range []EventKind{EventRevokedToken, EventStoreUnavailable, EventUnknownKey, EventLogin, EventRefresh, EventRefreshReuse, EventLogout, EventLogoutEverywhere} {
				if !kinds[k] {
					t.Errorf("the flows made no %v event; the check would prove nothing for it", k)
				}
			}
			checkNoSecrets(t, all, s)
		})
	}
}

// TestHostileCorpusEvents runs the hostile corpus at guards with a hook:
// a row refused for its kid is one EventUnknownKey, every other row no
// event at all, and no event holds the row's token or a key.
func TestHostileCorpusEvents(t *testing.T) {
	cases := loadHostile(t)
	ctx := context.Background()
	for _, p := range append(hostileProfiles(t), hostileIssuers(t)) {
		log := &eventLog{}
		p.guards().events = log.hook // as Config.Events would have set it
		var keys secrets
		keys.key(p.m.signer().public) // the HMAC secret, or the public key
		if a, ok := p.m.signer().algo.(*ed25519Alg); ok {
			keys.key(a.priv)
		}
		for _, hc := range cases {
			if !hc.runs(p.name) {
				continue
			}
			t.Run(p.name+"/"+hc.Name, func(t *testing.T) {
				start := p.clock.Now()
				defer p.clock.Set(start)
				tok := hc.build(t, p)
				log.take() // Issue's events, if any, are not the row's
				p.clock.Set(start.Add(time.Duration(hc.Clock) * time.Second))
				class, _ := hc.want(p.name)
				hc.guard(p)(ctx, tok)
				got := log.takeEvents()
				var want []Event
				if class == "unknown_key" {
					want = []Event{{Kind: EventUnknownKey, Err: ErrUnknownKey}}
				}
				if diff := cmp.Diff(want, got, eventOpts, cmpopts.IgnoreFields(Event{}, "KeyID")); diff != "" {
					t.Errorf("events differ (%s: %s) (-want +got):\n%s", class, hc.Reason, diff)
				}
				s := append(secrets(nil), keys...)
				if len(tok) <= DefaultMaxTokenSize {
					s.token(tok)
				}
				checkNoSecrets(t, got, s)
			})
		}
	}
}
