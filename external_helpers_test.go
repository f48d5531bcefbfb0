package freshtoken_test

// This file holds the helpers shared by the tests of package
// freshtoken_test, the tests that use only the exported API. The tests of
// package freshtoken, which see unexported names, keep theirs in
// helpers_test.go: a Go file belongs to one package, so each test package
// has a helpers file of its own. A helper that one test file uses stays in
// that file. The examples use none of these: each builds what it needs, so
// that the code go doc shows runs as shown.

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/internal/testclock"
)

// Managers and the tokens they issue.

var (
	// t0 is when every test's clock starts.
	t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	// testKey is what the tests' Managers sign with unless a test says otherwise.
	testKey = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
)

// newTestManager is the tests' one way to make a Manager: freshtoken.New(cfg),
// with a nil cfg.Key meaning testKey and a nil cfg.Now a test clock at t0,
// which it returns (unused when cfg.Now was set).
func newTestManager(t testing.TB, cfg freshtoken.Config) (*freshtoken.Manager, *testclock.Clock) {
	t.Helper()
	clk := testclock.New(t0)
	if cfg.Key == nil {
		cfg.Key = testKey
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

// newFlaskManager is newTestManager for the Flask profile: cfg starts as
// flaskSecret with Config.Flask set, and edit, if not nil, changes it.
func newFlaskManager(t testing.TB, edit func(*freshtoken.Config)) (*freshtoken.Manager, *testclock.Clock) {
	t.Helper()
	cfg := freshtoken.Config{Key: flaskSecret, Flask: &freshtoken.FlaskOptions{}}
	if edit != nil {
		edit(&cfg)
	}
	return newTestManager(t, cfg)
}

// mustIssue logs in subject and fails the test on error.
func mustIssue(t *testing.T, m *freshtoken.Manager, subject string, opts ...freshtoken.IssueOption) *freshtoken.Pair {
	t.Helper()
	p, err := m.Issue(context.Background(), subject, opts...)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return p
}

// mustRefresh refreshes token and fails the test on error.
func mustRefresh(t *testing.T, m *freshtoken.Manager, token string) *freshtoken.Pair {
	t.Helper()
	p, err := m.Refresh(context.Background(), token)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	return p
}

// What the guards answer.

// tokenCheck names a call that judges a token.
type tokenCheck struct {
	name string
	call func(ctx context.Context, m *freshtoken.Manager, token string) error
}

var (
	checkAccess = tokenCheck{"RequireAccess", func(ctx context.Context, m *freshtoken.Manager, tok string) error {
		_, err := m.RequireAccess(ctx, tok)
		return err
	}}
	checkFresh = tokenCheck{"RequireFresh", func(ctx context.Context, m *freshtoken.Manager, tok string) error {
		_, err := m.RequireFresh(ctx, tok)
		return err
	}}
	checkWithin = tokenCheck{"RequireLoginWithin", func(ctx context.Context, m *freshtoken.Manager, tok string) error {
		_, err := m.RequireLoginWithin(ctx, tok, time.Hour)
		return err
	}}
	checkRefresh = tokenCheck{"RequireRefresh", func(ctx context.Context, m *freshtoken.Manager, tok string) error {
		_, err := m.RequireRefresh(ctx, tok)
		return err
	}}
	checkRefreshCall = tokenCheck{"Refresh", func(ctx context.Context, m *freshtoken.Manager, tok string) error {
		_, err := m.Refresh(ctx, tok)
		return err
	}}
)

// expect checks that g judges token with an error matching want (nil: accepted).
func expect(t *testing.T, m *freshtoken.Manager, g tokenCheck, what, token string, want error) {
	t.Helper()
	err := g.call(context.Background(), m, token)
	if !errors.Is(err, want) || (want == nil) != (err == nil) {
		t.Errorf("%s of %s: got %v, want %v", g.name, what, err, want)
	}
}

// Stores that fail.

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

// The Flask profile.

// The Flask profile's tests write tokens by hand, as Flask-JWT-Extended
// would with flaskSecret, logged in at loginTime.
var (
	flaskSecret = []byte("flask-profile-test-secret-32byte")
	// loginTime is t0, where the clocks of newTestManager start.
	loginTime = t0
	// checkTime is when the Flask profile's tests run the guards: a minute
	// after login.
	checkTime = loginTime.Add(time.Minute)
)

// plainHeader is the header PyJWT writes for HS256.
const plainHeader = `{"alg":"HS256","typ":"JWT"}`

// hs256 signs header and payload as PyJWT would, with crypto/hmac directly.
func hs256(secret []byte, header, payload string) string {
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(input))
	return input + "." + enc.EncodeToString(mac.Sum(nil))
}

// guard names the guard a Flask profile test runs, as Flask's endpoints do.
type guard int

const (
	access guard = iota
	refresh
	fresh
)

func (g guard) run(ctx context.Context, m *freshtoken.Manager, tok string) (*freshtoken.Claims, error) {
	switch g {
	case refresh:
		return m.RequireRefresh(ctx, tok)
	case fresh:
		return m.RequireFresh(ctx, tok)
	}
	return m.RequireAccess(ctx, tok)
}

func (g guard) String() string {
	return [...]string{"RequireAccess", "RequireRefresh", "RequireFresh"}[g]
}
