package freshtoken_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/google/go-cmp/cmp"
)

// userDB is the application's database as a ClaimsLoader sees it: what
// each subject holds now, changed by the test between calls, and every
// call the loader got.
type userDB struct {
	mu     sync.Mutex
	claims map[string]map[string]any
	err    error // returned instead of claims when set
	calls  []loaderCall
}

// loaderCall is one call of the loader: the value the test put in the
// call's context under callKey, and the subject.
type loaderCall struct{ Call, Subject string }

type callKey struct{}

func (db *userDB) load(ctx context.Context, subject string) (map[string]any, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	call, _ := ctx.Value(callKey{}).(string)
	db.calls = append(db.calls, loaderCall{call, subject})
	if db.err != nil {
		return nil, db.err
	}
	return db.claims[subject], nil
}

func (db *userDB) set(subject string, claims map[string]any) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.claims[subject] = claims
}

func (db *userDB) fail(err error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.err = err
}

func newUserDB() *userDB { return &userDB{claims: map[string]map[string]any{}} }

// formats are the token formats the loader tests run in, each with a
// Manager built around the given config changes.
var loaderFormats = []struct {
	name string
	make func(t *testing.T, edit func(*freshtoken.Config)) (*freshtoken.Manager, func(time.Duration))
}{
	{"own", func(t *testing.T, edit func(*freshtoken.Config)) (*freshtoken.Manager, func(time.Duration)) {
		var cfg freshtoken.Config
		edit(&cfg)
		m, clk := newTestManager(t, cfg)
		return m, clk.Advance
	}},
	{"flask", func(t *testing.T, edit func(*freshtoken.Config)) (*freshtoken.Manager, func(time.Duration)) {
		m, clk := newFlaskManager(t, edit)
		return m, clk.Advance
	}},
}

func callCtx(call string) context.Context {
	return context.WithValue(context.Background(), callKey{}, call)
}

// The loader is asked at the login and at every Refresh, with the call's
// context and the subject; a guard never asks it, and neither does a
// Refresh that refuses its token.
func TestClaimsLoaderCalls(t *testing.T) {
	for _, f := range loaderFormats {
		t.Run(f.name, func(t *testing.T) {
			db := newUserDB()
			m, advance := f.make(t, func(c *freshtoken.Config) { c.ClaimsLoader = db.load })
			login, err := m.Issue(callCtx("issue"), "alice")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.RequireAccess(callCtx("guard"), login.Access); err != nil {
				t.Fatal(err)
			}
			for _, call := range []string{"refresh 1", "refresh 2"} {
				advance(time.Minute)
				if _, err := m.Refresh(callCtx(call), login.Refresh); err != nil {
					t.Fatalf("%s: %v", call, err)
				}
			}
			if err := m.Logout(context.Background(), login.Refresh); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Refresh(callCtx("revoked"), login.Refresh); !errors.Is(err, freshtoken.ErrRevoked) {
				t.Fatalf("Refresh after Logout: got %v, want ErrRevoked", err)
			}
			want := []loaderCall{{"issue", "alice"}, {"refresh 1", "alice"}, {"refresh 2", "alice"}}
			if diff := cmp.Diff(want, db.calls); diff != "" {
				t.Errorf("loader calls (-want +got):\n%s", diff)
			}
		})
	}
}

// The issue's story: an admin demoted after the login loses the role at the
// next Refresh, not when the session ends. The login's own claims stay,
// refresh tokens (rotated ones too) never carry the loader's, and a claim
// the loader stops returning is gone.
func TestClaimsLoaderRoleChange(t *testing.T) {
	for _, f := range loaderFormats {
		for _, rotate := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/rotate=%v", f.name, rotate), func(t *testing.T) {
				db := newUserDB()
				db.set("alice", map[string]any{"role": "admin", "admin": true})
				m, advance := f.make(t, func(c *freshtoken.Config) { c.ClaimsLoader = db.load; c.RotateRefresh = rotate })
				ctx := context.Background()
				login := mustIssue(t, m, "alice", freshtoken.WithClaims(map[string]any{"device": "phone"}))
				perLogin := map[string]any{"device": "phone"}
				checkExtra(t, m, "the login's access token", login.Access, map[string]any{"device": "phone", "role": "admin", "admin": true})
				checkExtra(t, m, "the login's refresh token", login.Refresh, perLogin)

				db.set("alice", map[string]any{"role": "user"})
				advance(time.Minute)
				next := mustRefresh(t, m, login.Refresh)
				checkExtra(t, m, "the access token refreshed after the demotion", next.Access, map[string]any{"device": "phone", "role": "user"})
				checkExtra(t, m, "the refresh token after the demotion", next.Refresh, perLogin)
				if rotate == (next.Refresh == login.Refresh) {
					t.Errorf("rotate=%v, but the refresh token changed: %v", rotate, next.Refresh != login.Refresh)
				}

				db.set("alice", nil)
				advance(time.Minute)
				last := mustRefresh(t, m, next.Refresh)
				checkExtra(t, m, "an access token refreshed once the loader returns nothing", last.Access, perLogin)
				if _, err := m.RequireAccess(ctx, login.Access); err != nil {
					t.Errorf("the login's access token, still alive: %v", err)
				}
			})
		}
	}
}

// checkExtra checks the application claims of a token the Manager accepts.
func checkExtra(t *testing.T, m *freshtoken.Manager, what, tok string, want map[string]any) {
	t.Helper()
	c, err := m.RequireAccess(context.Background(), tok)
	if errors.Is(err, freshtoken.ErrWrongType) {
		c, err = m.RequireRefresh(context.Background(), tok)
	}
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if diff := cmp.Diff(want, c.Extra); diff != "" {
		t.Errorf("%s: claims (-want +got):\n%s", what, diff)
	}
}

// dbError is an error type of the application's, reached with errors.As
// through the error freshtoken returns.
type dbError struct{ op string }

func (e *dbError) Error() string { return "db: " + e.op + " timed out" }

// A loader's error fails Issue and Refresh. An outage matches
// ErrStoreUnavailable (503, not 401) and keeps the loader's own error; a
// sentinel the loader returns, as ErrRevoked for a banned user, is returned
// as it is. A rotated refresh token is not spent by a Refresh that failed.
func TestClaimsLoaderErrors(t *testing.T) {
	banned := fmt.Errorf("user deleted: %w", freshtoken.ErrRevoked)
	cases := []struct {
		name, reason string
		err          error
		want         []error // the error must match each
		not          error   // and must not match this
	}{
		{"outage", "the loader could not tell; that is not the token's fault", &dbError{"select"}, []error{freshtoken.ErrStoreUnavailable}, freshtoken.ErrRevoked},
		{"deadline", "a context error is an outage too", context.DeadlineExceeded, []error{freshtoken.ErrStoreUnavailable, context.DeadlineExceeded}, freshtoken.ErrRevoked},
		{"banned user", "the loader speaks freshtoken's language: a 401", banned, []error{freshtoken.ErrRevoked, banned}, freshtoken.ErrStoreUnavailable},
		{"sentinel itself", "", freshtoken.ErrRevoked, []error{freshtoken.ErrRevoked}, freshtoken.ErrStoreUnavailable},
	}
	for _, f := range loaderFormats {
		for _, c := range cases {
			t.Run(f.name+"/"+c.name, func(t *testing.T) {
				db := newUserDB()
				db.set("alice", map[string]any{"role": "admin"})
				m, advance := f.make(t, func(cfg *freshtoken.Config) { cfg.ClaimsLoader = db.load; cfg.RotateRefresh = true })
				ctx := context.Background()
				login := mustIssue(t, m, "alice")
				db.fail(c.err)
				advance(time.Minute)
				pair, refreshErr := m.Refresh(ctx, login.Refresh)
				issued, issueErr := m.Issue(ctx, "alice")
				for call, err := range map[string]error{"Refresh": refreshErr, "Issue": issueErr} {
					for _, want := range c.want {
						if !errors.Is(err, want) {
							t.Errorf("%s: got %v, want it to match %v (%s)", call, err, want, c.reason)
						}
					}
					if errors.Is(err, c.not) {
						t.Errorf("%s: got %v, which matches %v", call, err, c.not)
					}
					var de *dbError
					if errors.As(c.err, &de) && (!errors.As(err, &de) || de.op != "select") {
						t.Errorf("%s: got %v, want the loader's *dbError reachable with errors.As", call, err)
					}
				}
				if pair != nil || issued != nil {
					t.Errorf("got pairs %v, %v with errors, want nil", pair, issued)
				}
				if errors.Is(c.err, freshtoken.ErrRevoked) && refreshErr != c.err {
					t.Errorf("Refresh: got %v, want the loader's error itself", refreshErr)
				}
				db.fail(nil)
				// Not spent: no reuse detected, the session goes on.
				next := mustRefresh(t, m, login.Refresh)
				checkExtra(t, m, "the access token once the loader answers", next.Access, map[string]any{"role": "admin"})
			})
		}
	}
}

// The loader's claims obey WithClaims's rules, checked by the same code;
// breaking one fails the call with ErrInvalidConfig naming the claim.
func TestClaimsLoaderInvalidClaims(t *testing.T) {
	cases := []struct {
		name, reason string
		claims       map[string]any
		claim        string // the name the error must give
	}{
		{"reserved sub", "the loader must not change who the token is for", map[string]any{"sub": "root"}, `"sub"`},
		{"reserved exp", "nor how long it lives", map[string]any{"role": "x", "exp": 1}, `"exp"`},
		{"reserved fresh", "nor make a refreshed token fresh", map[string]any{"fresh": true}, `"fresh"`},
		{"empty name", "not a usable claim name", map[string]any{"": 1}, `""`},
		{"escaped name", "the guards refuse escaped names", map[string]any{"<role>": 1}, `"<role>"`},
		{"unmarshalable", "a channel has no JSON form", map[string]any{"ch": make(chan int)}, `"ch"`},
		{"NaN", "JSON has no NaN", map[string]any{"score": math.NaN()}, `"score"`},
		{"unreadable raw JSON", "the guards refuse a lone surrogate", map[string]any{"raw": json.RawMessage(`"\ud800"`)}, `"raw"`},
		{"identity claim", "under Flask the identity claim may be a name no rule reserves", map[string]any{"user_id": "root"}, `"user_id"`},
	}
	for _, f := range loaderFormats {
		for _, c := range cases {
			if c.claim == `"user_id"` && f.name != "flask" {
				continue // only Flask renames the identity claim
			}
			t.Run(f.name+"/"+c.name, func(t *testing.T) {
				db := newUserDB()
				m, advance := f.make(t, func(cfg *freshtoken.Config) {
					cfg.ClaimsLoader = db.load
					if cfg.Flask != nil {
						cfg.Flask.IdentityClaim = "user_id"
					}
				})
				ctx := context.Background()
				tenant := freshtoken.WithClaims(map[string]any{"tenant": 1})
				login := mustIssue(t, m, "alice", tenant) // the loader returns nothing yet
				db.set("alice", c.claims)
				advance(time.Minute)
				_, refreshErr := m.Refresh(ctx, login.Refresh)
				_, issueErr := m.Issue(ctx, "alice", tenant)
				for call, err := range map[string]error{"Refresh": refreshErr, "Issue": issueErr} {
					if !errors.Is(err, freshtoken.ErrInvalidConfig) {
						t.Errorf("%s: got %v, want ErrInvalidConfig (%s)", call, err, c.reason)
						continue
					}
					if msg := err.Error(); !strings.Contains(msg, "Config.ClaimsLoader") || !strings.Contains(msg, c.claim) {
						t.Errorf("%s: error %q does not name Config.ClaimsLoader and the claim %s", call, msg, c.claim)
					}
				}
			})
		}
	}
}

// At Issue, a name both WithClaims and the loader set is a mistake: the
// login's value would ride in the refresh token and come back the day the
// loader stopped returning the name.
func TestClaimsLoaderOneSourcePerClaim(t *testing.T) {
	for _, f := range loaderFormats {
		t.Run(f.name, func(t *testing.T) {
			db := newUserDB()
			db.set("alice", map[string]any{"tenant": 2})
			m, _ := f.make(t, func(c *freshtoken.Config) { c.ClaimsLoader = db.load })
			_, err := m.Issue(context.Background(), "alice", freshtoken.WithClaims(map[string]any{"tenant": 1}))
			if !errors.Is(err, freshtoken.ErrInvalidConfig) || !strings.Contains(err.Error(), `"tenant"`) {
				t.Errorf("Issue with tenant from both WithClaims and the loader: got %v, want ErrInvalidConfig naming \"tenant\"", err)
			}
		})
	}
}

// A refresh token may carry a claim the loader now returns: one issued with
// WithClaims before the application moved the claim to a loader, or one a
// Flask service wrote with its own additional_claims_loader. At Refresh the
// loader's value replaces it, and the refresh goes through; refusing would
// log out every user the day the loader is deployed.
func TestClaimsLoaderReplacesCopiedClaims(t *testing.T) {
	for _, f := range loaderFormats {
		t.Run(f.name, func(t *testing.T) {
			db := newUserDB()
			store := freshtoken.NewMemoryStore()
			before, advance := f.make(t, func(c *freshtoken.Config) { c.Store = store })
			login := mustIssue(t, before, "alice", freshtoken.WithClaims(map[string]any{"role": "admin", "device": "phone", "n": json.Number("9007199254740993")}))

			db.set("alice", map[string]any{"role": "user"})
			after, _ := f.make(t, func(c *freshtoken.Config) { c.Store = store; c.ClaimsLoader = db.load })
			advance(time.Minute)
			next, err := after.Refresh(context.Background(), login.Refresh)
			if err != nil {
				t.Fatalf("Refresh of a token carrying a claim the loader now returns: %v", err)
			}
			c, err := after.RequireAccess(context.Background(), next.Access)
			if err != nil {
				t.Fatalf("RequireAccess(refreshed): %v", err)
			}
			var got struct {
				Role   string `json:"role"`
				Device string `json:"device"`
				N      int64  `json:"n"`
			}
			if err := c.Decode(&got); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got.Role != "user" || got.Device != "phone" || got.N != 9007199254740993 {
				t.Errorf("refreshed claims = %+v, want the loader's role, the login's device and n byte for byte", got)
			}
		})
	}
}

// The loader's claims count towards MaxTokenSize like the login's.
func TestClaimsLoaderTokenSize(t *testing.T) {
	db := newUserDB()
	m, _ := newTestManager(t, freshtoken.Config{ClaimsLoader: db.load})
	login := mustIssue(t, m, "alice")
	db.set("alice", map[string]any{"blob": strings.Repeat("x", freshtoken.DefaultMaxTokenSize)})
	if _, err := m.Refresh(context.Background(), login.Refresh); !errors.Is(err, freshtoken.ErrInvalidConfig) {
		t.Errorf("Refresh with a loader claim too large for a token: got %v, want ErrInvalidConfig", err)
	}
	if _, err := m.Issue(context.Background(), "alice"); !errors.Is(err, freshtoken.ErrInvalidConfig) {
		t.Errorf("Issue with a loader claim too large for a token: got %v, want ErrInvalidConfig", err)
	}
}
