package freshtoken

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// An access token never passes where a refresh token is required, or the
// reverse (RFC 8725 §3.12).
func TestGuardsTokenTypes(t *testing.T) {
	m, clk := newTestManager(t, Config{})
	login := mustIssue(t, m, "user-42")
	clk.Advance(time.Minute)
	refreshed, err := m.Refresh(ctxBG, login.Refresh)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	tests := []struct {
		guard  guardFunc
		token  string
		kind   string
		want   error
		reason string
	}{
		{guardAccess, login.Access, "login access", nil, "the token it is for"},
		{guardAccess, refreshed.Access, "refreshed access", nil, "refreshed tokens are access tokens"},
		{guardAccess, login.Refresh, "refresh", ErrWrongType, "a refresh token is no access token"},
		{guardFresh, login.Access, "login access", nil, "fresh from the login"},
		{guardFresh, login.Refresh, "refresh", ErrWrongType, "type is checked before freshness"},
		{guardLoginWithinHr, login.Access, "login access", nil, "logged in a minute ago"},
		{guardLoginWithinHr, login.Refresh, "refresh", ErrWrongType, "type is checked before freshness"},
		{guardRefresh, login.Refresh, "refresh", nil, "the token it is for"},
		{guardRefresh, login.Access, "login access", ErrWrongType, "an access token must not act as a refresh token"},
		{guardRefresh, refreshed.Access, "refreshed access", ErrWrongType, "an access token must not act as a refresh token"},
	}
	for _, tt := range tests {
		t.Run(tt.guard.name+"/"+tt.kind, func(t *testing.T) {
			checkGuard(t, tt.guard, m, tt.token, tt.want, tt.reason)
		})
	}
}

// One Manager serves many goroutines at once.
func TestConcurrentUse(t *testing.T) {
	for _, key := range []struct {
		name string
		key  any
	}{{"HS256", testKeys().hs256}, {"EdDSA", testKeys().ed}} {
		t.Run(key.name, func(t *testing.T) {
			m, clk := newTestManager(t, Config{Key: key.key, FreshFor: 10 * time.Minute})
			clk.Set(t0.Add(time.Hour))
			const workers, rounds = 8, 20
			ids := make([][]string, workers)
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for range rounds {
						pair, err := m.Issue(ctxBG, "user-42", WithClaims(map[string]any{"worker": w}), WithCSRF())
						if err != nil {
							t.Errorf("Issue: %v", err)
							return
						}
						c, err := m.RequireFresh(ctxBG, pair.Access)
						if err != nil {
							t.Errorf("RequireFresh(login): %v", err)
							return
						}
						if c.Extra["worker"] != float64(w) {
							t.Errorf("worker %d got claims of worker %v", w, c.Extra["worker"])
						}
						refreshed, err := m.Refresh(ctxBG, pair.Refresh)
						if err != nil {
							t.Errorf("Refresh: %v", err)
							return
						}
						if _, err := m.RequireFresh(ctxBG, refreshed.Access); !errors.Is(err, ErrNotFresh) {
							t.Errorf("RequireFresh(refreshed) = %v, want ErrNotFresh", err)
						}
						rc, err := m.RequireAccess(ctxBG, refreshed.Access)
						if err != nil {
							t.Errorf("RequireAccess(refreshed): %v", err)
							return
						}
						if _, err := m.RequireRefresh(ctxBG, pair.Access); !errors.Is(err, ErrWrongType) {
							t.Errorf("RequireRefresh(access) = %v, want ErrWrongType", err)
						}
						ids[w] = append(ids[w], c.ID, c.SessionID, rc.ID)
					}
				})
			}
			wg.Wait()
			seen := make(map[string]bool)
			for _, list := range ids {
				for _, id := range list {
					if seen[id] {
						t.Errorf("ID %q handed out twice", id)
					}
					seen[id] = true
				}
			}
			if got, want := len(seen), workers*rounds*3; got != want {
				t.Errorf("%d distinct IDs, want %d", got, want)
			}
		})
	}
}

// Claims returned by a guard are the caller's: changing them does not
// change what a later guard call returns.
func TestClaimsAreNotShared(t *testing.T) {
	m, _ := newTestManager(t, Config{Audience: []string{"api"}})
	pair := mustIssue(t, m, "user-42", WithClaims(map[string]any{"roles": []string{"user"}}))
	first, err := m.RequireAccess(ctxBG, pair.Access)
	if err != nil {
		t.Fatal(err)
	}
	want := *first
	want.Extra = map[string]any{"roles": []any{"user"}}
	want.Audience = []string{"api"}
	first.Subject = "admin"
	first.Extra["roles"] = []any{"admin"}
	first.Audience[0] = "other"
	second, err := m.RequireAccess(ctxBG, pair.Access)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&want, second, claimsOpts); diff != "" {
		t.Errorf("second RequireAccess (-want +got):\n%s", diff)
	}
}
