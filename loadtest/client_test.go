package loadtest

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/examples/server/api"
)

// The account every simulated user logs in to, and the PBKDF2 iterations:
// far below production's, so that logins cost the test little.
const (
	username   = "demo"
	password   = "demo-password"
	iterations = 1000
)

// startAPI serves the example API with store (nil: its MemoryStore) on a
// loopback port, until the test ends.
func startAPI(t *testing.T, store freshtoken.Store) *httptest.Server {
	t.Helper()
	h, err := api.New(api.Config{
		Key:        ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)),
		Username:   username,
		Password:   password,
		Iterations: iterations,
		Store:      store,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// session is one simulated user's login and the tokens it got.
type session struct {
	n                          int    // numbers the session, for its e-mail address
	access, refreshed, refresh string // from the login, from the refresh, the refresh token
}

// tokenSlot says which of the session's tokens a step sends.
type tokenSlot int

const (
	noToken tokenSlot = iota
	loginAccess
	refreshedAccess
	refreshToken
)

func (s *session) token(slot tokenSlot) string {
	switch slot {
	case loginAccess:
		return s.access
	case refreshedAccess:
		return s.refreshed
	case refreshToken:
		return s.refresh
	}
	return ""
}

// step is one request of a session and the answer it must get.
type step struct {
	name         string
	method, path string
	token        tokenSlot
	body         func(s *session) string // nil: none
	status       int
	code, desc   string                                      // the JSON error, when status is 400 or more
	ok           func(s *session, body map[string]any) error // checks a 200's body and keeps its tokens
	store        bool                                        // the answer needs the revocation store
}

// The errors of a revoked token (invalid_token with revokedDesc), and of a
// valid token that is not fresh at a sensitive endpoint (RFC 9470).
const (
	invalidToken = "invalid_token"
	revokedDesc  = "The token was revoked"
	notFresh     = "insufficient_user_authentication"
)

func credentials(pw string) func(*session) string {
	return func(*session) string { return fmt.Sprintf(`{"username":%q,"password":%q}`, username, pw) }
}

func email(s *session) string { return fmt.Sprintf(`{"email":"user%d@example.com"}`, s.n) }

// script is every session's life: a wrong password, a login, ordinary and
// sensitive calls, a refresh and the sensitive call it cannot make, logout,
// and every token of the session presented again afterwards.
var script = []step{
	{name: "login, wrong password", method: "POST", path: "/login", body: credentials("wrong"), status: 400, code: "invalid_grant"},
	{name: "login", method: "POST", path: "/login", body: credentials(password), status: 200, ok: keepLogin, store: true},
	{name: "profile, fresh token", method: "GET", path: "/profile", token: loginAccess, status: 200, ok: isProfile(true), store: true},
	{name: "change-email, fresh token", method: "POST", path: "/change-email", token: loginAccess, body: email, status: 200, ok: isEmail, store: true},
	{name: "refresh", method: "POST", path: "/refresh", token: refreshToken, status: 200, ok: keepRefreshed, store: true},
	{name: "profile, refreshed token", method: "GET", path: "/profile", token: refreshedAccess, status: 200, ok: isProfile(false), store: true},
	{name: "change-email, refreshed token", method: "POST", path: "/change-email", token: refreshedAccess, body: email, status: 401, code: notFresh, desc: "A fresh login is required", store: true},
	{name: "logout", method: "POST", path: "/logout", token: refreshToken, status: 204, store: true},
	{name: "profile after logout", method: "GET", path: "/profile", token: loginAccess, status: 401, code: invalidToken, desc: revokedDesc, store: true},
	{name: "profile after logout, refreshed token", method: "GET", path: "/profile", token: refreshedAccess, status: 401, code: invalidToken, desc: revokedDesc, store: true},
	{name: "change-email after logout", method: "POST", path: "/change-email", token: loginAccess, body: email, status: 401, code: invalidToken, desc: revokedDesc, store: true},
	{name: "refresh after logout", method: "POST", path: "/refresh", token: refreshToken, status: 401, code: invalidToken, desc: revokedDesc, store: true},
	{name: "logout again", method: "POST", path: "/logout", token: refreshToken, status: 401, code: invalidToken, desc: revokedDesc, store: true},
}

// scripted returns the step of the script with the given name.
func scripted(name string) step {
	for _, st := range script {
		if st.name == name {
			return st
		}
	}
	panic("no step " + name + " in the script")
}

func keepLogin(s *session, body map[string]any) error {
	access, _ := body["access_token"].(string)
	refresh, _ := body["refresh_token"].(string)
	if access == "" || refresh == "" || body["token_type"] != "Bearer" {
		return fmt.Errorf("not a token response: %v", body)
	}
	s.access, s.refresh = access, refresh
	return nil
}

func keepRefreshed(s *session, body map[string]any) error {
	access, _ := body["access_token"].(string)
	if access == "" || body["refresh_token"] != s.refresh {
		return fmt.Errorf("want a new access token and the same refresh token, got %v", body)
	}
	s.refreshed = access
	return nil
}

func isProfile(fresh bool) func(*session, map[string]any) error {
	return func(_ *session, body map[string]any) error {
		if body["username"] != username || body["fresh"] != fresh {
			return fmt.Errorf("profile %v, want user %q with fresh %v", body, username, fresh)
		}
		return nil
	}
}

func isEmail(s *session, body map[string]any) error {
	if want := fmt.Sprintf("user%d@example.com", s.n); body["email"] != want {
		return fmt.Errorf("e-mail %v, want %s", body["email"], want)
	}
	return nil
}

// answer is what a request got, and the fault phase when it was sent and
// when its answer came.
type answer struct {
	status   int
	body     map[string]any
	err      error // the request itself failed
	from, to int32
}

// check compares a with what st must get.
func (st step) check(s *session, a answer) error {
	switch {
	case a.err != nil:
		return a.err
	case a.status != st.status:
		return fmt.Errorf("status %d %v, want %d", a.status, a.body, st.status)
	case a.status == http.StatusOK:
		return st.ok(s, a.body)
	case a.status >= 400 && (a.body["error"] != st.code || (st.desc != "" && a.body["error_description"] != st.desc)):
		return fmt.Errorf("error %v (%v), want %s (%s)", a.body["error"], a.body["error_description"], st.code, st.desc)
	}
	return nil
}

// unavailable reports whether a is the answer to a store failure.
func unavailable(a answer) bool {
	return a.err == nil && a.status == http.StatusServiceUnavailable && a.body["error"] == "temporarily_unavailable"
}

// driver sends sessions' requests from many clients until a fixed number
// has been sent.
type driver struct {
	url    string
	http   *http.Client
	left   atomic.Int64 // steps not yet sent; a step sent again after a 503 is not counted
	resent atomic.Int64 // steps sent again
	phase  atomic.Int32 // the fault phase; stays 0 without faults
	nextID atomic.Int64

	// judge decides on each answer: retry sends the step again, and a
	// non-nil problem is a wrong answer. It may keep state of its own.
	judge func(st step, s *session, a answer, retried bool) (retry bool, problem error)

	mu       sync.Mutex
	counts   map[string]int // "step name: status" -> answers
	statuses map[int]int
	problems []string
}

func newDriver(url string, clients int, requests int64, judge func(step, *session, answer, bool) (bool, error)) *driver {
	d := &driver{
		url: url,
		http: &http.Client{Transport: &http.Transport{
			MaxIdleConns:        clients,
			MaxIdleConnsPerHost: clients, // reuse connections rather than exhaust ports
			IdleConnTimeout:     time.Minute,
		}},
		judge:    judge,
		counts:   make(map[string]int),
		statuses: make(map[int]int),
	}
	d.left.Store(requests)
	return d
}

// exact is the judge without faults: every answer is the scripted one.
func exact(st step, s *session, a answer, _ bool) (bool, error) {
	return false, st.check(s, a)
}

// run starts clients goroutines and waits for them; they stop when every
// request has been sent or ctx ends. A step the judge sends again (after a
// 503) does not count against the requests: otherwise how many were left
// for after a fault would depend on how fast the clients resend during it,
// that is on the machine.
func (d *driver) run(ctx context.Context, clients int) {
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.client(ctx)
		}()
	}
	wg.Wait()
	d.http.CloseIdleConnections()
}

// retryPause is how long a client waits before sending a step again after
// a 503, as a polite client would.
const retryPause = 5 * time.Millisecond

func (d *driver) client(ctx context.Context) {
	for {
		s := &session{n: int(d.nextID.Add(1))}
		retried := false
		for i := 0; i < len(script); {
			if ctx.Err() != nil || (!retried && d.left.Add(-1) < 0) {
				return
			}
			if retried {
				d.resent.Add(1)
			}
			st := script[i]
			a := d.send(ctx, st, s)
			if a.err != nil && ctx.Err() != nil {
				return
			}
			retry, problem := d.judge(st, s, a, retried)
			d.record(st, a, problem)
			if problem != nil {
				break // the rest of the session would only repeat the problem
			}
			if retried = retry; retry {
				time.Sleep(retryPause)
				continue
			}
			i++
		}
	}
}

func (d *driver) send(ctx context.Context, st step, s *session) answer {
	var body io.Reader
	if st.body != nil {
		body = strings.NewReader(st.body(s))
	}
	a := answer{from: d.phase.Load()}
	req, err := http.NewRequestWithContext(ctx, st.method, d.url+st.path, body)
	if err != nil {
		a.err, a.to = err, a.from
		return a
	}
	if tok := s.token(st.token); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := d.http.Do(req)
	if err != nil {
		a.err = err
		a.to = d.phase.Load()
		return a
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	a.to = d.phase.Load()
	a.status = res.StatusCode
	switch {
	case err != nil:
		a.err = err
	case len(data) > 0:
		if err := json.Unmarshal(data, &a.body); err != nil {
			a.err = fmt.Errorf("status %d, body %q is not a JSON object", res.StatusCode, data)
		}
	}
	return a
}

func (d *driver) record(st step, a answer, problem error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.counts[fmt.Sprintf("%s: %d", st.name, a.status)]++
	d.statuses[a.status]++
	if problem != nil {
		d.problems = append(d.problems, fmt.Sprintf("%s: %v", st.name, problem))
	}
}

// total is how many answers (or failed requests) the clients recorded,
// steps sent again included.
func (d *driver) total() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, c := range d.statuses {
		n += c
	}
	return n
}

// report fails t for every wrong answer (the first few in full) and logs
// the answers by step and status.
func (d *driver) report(t *testing.T) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	keys := make([]string, 0, len(d.counts))
	for k := range d.counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %6d  %s", d.counts[k], k)
	}
	t.Logf("answers by step and status:%s", b.String())
	for i, p := range d.problems {
		if i == 10 {
			t.Errorf("... and %d more wrong answers", len(d.problems)-i)
			break
		}
		t.Errorf("wrong answer: %s", p)
	}
}

// fiveXX counts the answers with a 5xx status.
func (d *driver) fiveXX() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for status, c := range d.statuses {
		if status >= 500 {
			n += c
		}
	}
	return n
}
