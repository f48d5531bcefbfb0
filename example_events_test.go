package freshtoken_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/freshtoken/freshtoken"
)

// flakyStore is the revocation store shared with the issuer, which an
// outage can take away.
type flakyStore struct {
	*freshtoken.MemoryStore
	down bool
}

func (s *flakyStore) Lookup(ctx context.Context, now time.Time, subject, tokenID, sessionID string) (bool, time.Time, error) {
	if s.down {
		return false, time.Time{}, errors.New("dial tcp 10.0.0.7:6379: connection refused")
	}
	return s.MemoryStore.Lookup(ctx, now, subject, tokenID, sessionID)
}

// A resource server logs the security events its guards see. It shares
// the issuer's revocation store, so a token presented after its logout is
// refused and logged as a warning; when the store cannot be reached, every
// token is refused, and that is logged as an error, to stand out.
func ExampleSlogEvents() {
	ctx := context.Background()
	clock := func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)) // use freshtoken.LoadOrCreateKey
	shared := freshtoken.NewMemoryStore()                         // in production, a shared one: see redisstore
	issuer, err := freshtoken.New(freshtoken.Config{Key: key, Store: shared, Now: clock})
	if err != nil {
		fmt.Println(err)
		return
	}

	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey:
				return slog.Attr{} // so that the output below never changes
			case "session_id", "token_id":
				a.Value = slog.StringValue("…") // random, for the same reason
			}
			return a
		},
	}))
	store := &flakyStore{MemoryStore: shared}
	verifier, err := freshtoken.NewVerifier(ctx, freshtoken.VerifierConfig{Config: freshtoken.Config{
		VerifyKeys: []any{key.Public()},
		Store:      store,
		Now:        clock,
		Events:     freshtoken.SlogEvents(logger),
	}})
	if err != nil {
		fmt.Println(err)
		return
	}

	pair, err := issuer.Issue(ctx, "user-42")
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := verifier.RequireAccess(ctx, pair.Access); err == nil {
		fmt.Println("accepted, and nothing logged")
	}
	if err := issuer.Logout(ctx, pair.Refresh); err != nil {
		fmt.Println(err)
		return
	}
	_, err = verifier.RequireAccess(ctx, pair.Access)
	fmt.Println("after the logout, revoked:", errors.Is(err, freshtoken.ErrRevoked))

	store.down = true
	again, err := issuer.Issue(ctx, "user-7")
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = verifier.RequireAccess(ctx, again.Access)
	fmt.Println("store down, unavailable:", errors.Is(err, freshtoken.ErrStoreUnavailable))
	// Output:
	// accepted, and nothing logged
	// level=WARN msg="freshtoken: revoked_token" subject=user-42 session_id=… token_id=… error="freshtoken: token revoked: the token or its session was revoked"
	// after the logout, revoked: true
	// level=ERROR msg="freshtoken: store_unavailable" subject=user-7 session_id=… token_id=… error="freshtoken: revocation store unavailable: dial tcp 10.0.0.7:6379: connection refused"
	// store down, unavailable: true
}
