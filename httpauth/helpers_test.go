package httpauth

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken/internal/testhttp"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/internal/testclock"
)

// This file holds the helpers the tests of package httpauth share; a helper
// that one test file uses stays in that file. Where freshtoken's own tests
// have the same helper, this is a copy of it: test helpers are not exported
// from the core. The examples (package httpauth_test) use none of these:
// each builds what it needs, so that the code go doc shows runs as shown.

// t0 is when every test's clock starts.
var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// webKey returns a fixed Ed25519 key; seed selects which.
func webKey(seed byte) ed25519.PrivateKey {
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	return ed25519.NewKeyFromSeed(s)
}

// newTestManager is the tests' one way to make a Manager: freshtoken.New(cfg),
// with a nil cfg.Key meaning webKey(1) and a nil cfg.Now a test clock at t0,
// which it returns (unused when cfg.Now was set).
func newTestManager(t testing.TB, cfg freshtoken.Config) (*freshtoken.Manager, *testclock.Clock) {
	t.Helper()
	clk := testclock.New(t0)
	if cfg.Key == nil {
		cfg.Key = webKey(1)
	}
	if cfg.Now == nil {
		cfg.Now = clk.Now
	}
	m, err := freshtoken.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m, clk
}

func newWebMiddleware(t testing.TB, g Guard, cfg Config) *Middleware {
	t.Helper()
	mw, err := New(g, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return mw
}

// mustIssue logs in subject and fails the test on error.
func mustIssue(t testing.TB, m *freshtoken.Manager, subject string, opts ...freshtoken.IssueOption) *freshtoken.Pair {
	t.Helper()
	p, err := m.Issue(context.Background(), subject, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// errorBody is the JSON body of a refused request, as Body.
func errorBody(code, desc string) string {
	b, _ := json.Marshal(ErrorResponse{Code: code, Description: desc})
	return string(b) + "\n"
}

// answer, send and bearer are the shared HTTP test helpers.
type answer = testhttp.Answer

var (
	send   = testhttp.Send
	bearer = testhttp.Bearer
)

// whoami answers with the claims the middleware put in the context.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c := ClaimsFromContext(r.Context())
	fmt.Fprintf(w, "%s %s fresh=%t", c.Type, c.Subject, c.Fresh)
})

// brokenStore fails every call, as a store that cannot be reached does. It
// claims everything is revoked too, to show the error wins.
type brokenStore struct{}

var errDown = errors.New("connection refused")

func (brokenStore) Revoke(context.Context, time.Time, string, time.Time) error { return errDown }
func (brokenStore) RevokeBefore(context.Context, time.Time, string, time.Time) error {
	return errDown
}
func (brokenStore) Lookup(context.Context, time.Time, string, string, string) (bool, time.Time, error) {
	return true, time.Unix(1<<40, 0), errDown
}
func (brokenStore) Redeem(context.Context, time.Time, string, string, time.Time, time.Duration) (bool, error) {
	return false, errDown
}

// record serves r with h through a recorder and reads the answer.
func record(h http.Handler, r *http.Request) answer {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return answer{Status: rec.Code, Challenge: rec.Header().Get("WWW-Authenticate"), Body: rec.Body.String()}
}

// invalidAnswer is the 401 invalid_token answer with desc, without a realm.
func invalidAnswer(desc string) answer {
	return answer{
		Status:    401,
		Challenge: `Bearer error="invalid_token", error_description="` + desc + `"`,
		Body:      errorBody("invalid_token", desc),
	}
}

// whoamiOrAnonymous answers with the claims and their Source, or
// "anonymous" when a guard let the request through without claims.
var whoamiOrAnonymous = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c := ClaimsFromContext(r.Context())
	if c == nil {
		fmt.Fprintf(w, "anonymous source=%s token=%q", SourceFromContext(r.Context()), TokenFromContext(r.Context()))
		return
	}
	fmt.Fprintf(w, "%s %s source=%s", c.Type, c.Subject, SourceFromContext(r.Context()))
})

// noToken is a FromFunc extractor that never finds a token.
func noToken(*http.Request) (string, error) { return "", nil }
