package freshtoken

import (
	"context"
	"sync/atomic"
	"time"
)

// Verifier checks tokens and never signs or revokes them: it has the
// guards (RequireAccess, RequireFresh, RequireLoginWithin, RequireRefresh)
// and nothing else, so a resource server holding one cannot issue a token
// or log anyone out by mistake. NewVerifier returns one; a Manager embeds
// one, so every Manager is a Verifier too (&m.Verifier, or m itself
// wherever an interface with the guard methods is asked for).
//
// It is safe for concurrent use; its configuration is fixed when it is
// made, but for its keys: a Verifier from NewVerifier follows the remote
// JWK Set's, and a Manager's change with RotateKey and RetireKey.
type Verifier struct {
	format tokenFormat
	schema *claimSchema
	ring   atomic.Pointer[keyRing] // the keys of the moment: read once per token, replaced whole (rotate.go)
	remote *remoteKeys             // NewVerifier's JWK Set, consulted after ring's keys; nil otherwise
	// issuers are the keys of each issuer of VerifierConfig.Issuers, by
	// name; nil for a Verifier that trusts one (ring and remote are then
	// its keys).
	issuers map[string]*issuerKeys

	issuer                string
	audience              []string
	accessTTL, refreshTTL time.Duration
	freshFor              time.Duration // judged on read; zero when the format writes it into tokens
	leeway                time.Duration
	maxSize               int
	now                   func() time.Time

	cache  *verifiedCache // nil unless Config.VerifiedCacheSize > 0
	store  Store
	events func(context.Context, Event) // Config.Events; nil: no hook, and the guards build no Event
}

// RequireAccess returns the claims of a valid access token: signed by a
// configured key, well formed, of the access type, not expired, not
// revoked. It is the guard for ordinary authenticated actions. On failure
// the claims are nil and the error matches one of the package's sentinels;
// ErrStoreUnavailable means the revocation store could not be asked, and
// ErrKeysUnavailable that a Verifier started without its JWK Set
// (VerifierConfig.StartWithoutKeys) has not fetched it yet: neither says
// the token is bad.
func (v *Verifier) RequireAccess(ctx context.Context, token string) (*Claims, error) {
	return v.verify(ctx, token, AccessToken)
}

// RequireRefresh returns the claims of a valid, unrevoked refresh token. An
// access token fails with ErrWrongType. With Config.RotateRefresh it does
// not spend the token and accepts one already spent: only Refresh redeems.
func (v *Verifier) RequireRefresh(ctx context.Context, token string) (*Claims, error) {
	return v.verify(ctx, token, RefreshToken)
}
