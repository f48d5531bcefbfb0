package freshtoken

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// This file publishes keys as a JWK Set and verifies with keys fetched from
// one. With keys.go it is the only file that imports jwx.

// JWKSHandler returns an http.Handler that publishes the Manager's public
// verification keys as a JWK Set (RFC 7517 §5): the public half of the
// signing key and of every asymmetric verification key (Config.VerifyKeys,
// and the keys RotateKey replaced and RetireKey has not removed), each
// with the "kid" its tokens carry, its "alg" and "use": "sig". Serve it at
// /.well-known/jwks.json for resource servers that use NewVerifier.
//
// It never publishes a private part, and never an HMAC secret: a published
// secret would let anyone sign, so services sharing an HMAC key must share
// it some other way and cannot use NewVerifier. Each request gets the keys
// of the moment: a key RotateKey adds is published at once, beside the one
// it replaced, and a key RetireKey removes is gone (each set is encoded
// once, when first asked for). It answers GET and HEAD.
func (m *Manager) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := m.ring.Load().publicKeySet()
		if err != nil {
			http.Error(w, "the key set could not be encoded", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
}

// publicKeySet returns the public keys of r as an encoded JWK Set,
// encoding them the first time only: r never changes.
func (r *keyRing) publicKeySet() ([]byte, error) {
	r.jwks.once.Do(func() { r.jwks.body, r.jwks.err = encodeKeySet(r.keys) })
	return r.jwks.body, r.jwks.err
}

// encodeKeySet encodes the asymmetric keys of keys as a JWK Set.
func encodeKeySet(keys []*key) ([]byte, error) {
	set := jwk.NewSet()
	for _, k := range keys {
		if k.hmac {
			continue
		}
		jk, err := jwk.FromRaw(k.public) // k.public is never a private key
		if err != nil {
			return nil, err
		}
		for name, v := range map[string]any{
			jwk.KeyIDKey:     k.id,
			jwk.AlgorithmKey: jwa.SignatureAlgorithm(k.alg),
			jwk.KeyUsageKey:  jwk.ForSignature,
		} {
			if err := jk.Set(name, v); err != nil {
				return nil, err
			}
		}
		if err := set.AddKey(jk); err != nil {
			return nil, err
		}
	}
	return json.Marshal(set)
}

// VerifierConfig configures NewVerifier. The zero value of every field but
// JWKSURL (or Issuers) means the default stated beside it.
type VerifierConfig struct {
	// JWKSURL is where the issuing service publishes its keys (its
	// JWKSHandler), such as "https://auth.example.com/.well-known/jwks.json".
	// It must use https, or http to a loopback address, unless InsecureHTTP
	// is set; so must every URL a fetch is redirected to. Zero: no remote
	// set; Config.VerifyKeys, which must then hold at least one key, are
	// all the Verifier trusts.
	JWKSURL string

	// Issuers are the issuing services the Verifier trusts when there are
	// several, each with its own name and keys. A token's "iss" chooses
	// whose keys must have signed it, and only those keys are tried: a
	// token naming one issuer never verifies with another's keys, even
	// where their key IDs collide, and a token whose "iss" is missing, not
	// a string or names no issuer here is refused with ErrInvalidClaims
	// before any key is looked up or fetched. Each issuer's remote set
	// behaves as JWKSURL's does (RefreshInterval, MinRefetchInterval,
	// StartWithoutKeys and ErrKeysUnavailable, HTTPClient and InsecureHTTP
	// apply to each, on its own), and each issuer's name may appear once.
	// Issuers replaces the single issuer's settings: JWKSURL, Config.Issuer
	// and Config.VerifyKeys must then be empty. Zero: one issuer, as
	// JWKSURL and Config say.
	Issuers []TrustedIssuer

	// Config holds the rules every token must pass. Its zero value accepts
	// every token the issuing service would accept, whatever that service's
	// settings, so a resource server need copy none of them:
	//   - Issuer, Audience: when set, every token's "iss" must equal
	//     Issuer, and its "aud" name at least one of Audience: this
	//     service's own names, which need not be those the issuer's
	//     Manager writes. Zero: not checked. Set them to refuse tokens
	//     another issuer, or the same issuer for another audience, signed
	//     with the same keys. With Issuers, Issuer stays empty: each
	//     issuer's name is checked by choosing its keys.
	//   - AccessTTL, RefreshTTL: when set, a token living longer ("exp"
	//     minus "iat") than its type's TTL is refused, as a Manager refuses
	//     one. Zero: no cap, unlike New's defaults (a Manager's own
	//     tokens never exceed its TTLs; a verifier does not know the
	//     issuer's). "exp" is always enforced.
	//   - FreshFor: as for New; only RequireFresh reads it.
	//   - Leeway, Now: the clock skew tolerated, and the clock, as for New.
	//   - MaxTokenSize: as for New, 8 KiB by default. An issuer that raised
	//     its own MaxTokenSize to write larger tokens needs the same value
	//     here, or those tokens are refused as ErrMalformed.
	//   - VerifiedCacheSize: as for New.
	//   - VerifyKeys, if any, are consulted before the remote set.
	//   - Store, shared with the issuing service (see the redisstore
	//     module), makes its logouts refuse tokens here too; the default,
	//     a MemoryStore of the verifier's own, sees none.
	//   - Key, Algorithm and KeyID must be empty: a verifier never signs.
	//     RotateRefresh, ReuseInterval and RefreshIdleTTL are the issuer's
	//     business; a verifier ignores them.
	//   - Flask may be set only without a JWKSURL (the Flask side publishes
	//     no JWK Set): give its public key, or its secret, in VerifyKeys
	//     (or in each TrustedIssuer's).
	Config Config

	// HTTPClient fetches the set. Zero: a client on http.DefaultTransport.
	// Whatever the client, each fetch ends after 10 seconds at most,
	// responses over 1 MiB are refused, and every redirect must keep to the
	// rule for JWKSURL before the client's own CheckRedirect is consulted.
	// NewVerifier uses a copy of the client and leaves it unchanged.
	HTTPClient *http.Client

	// RefreshInterval is how often the set is fetched in the background.
	// Zero: 15 minutes. At least one second.
	RefreshInterval time.Duration

	// MinRefetchInterval rate-limits the fetches that a token with an
	// unknown "kid" sets off, measured on Config.Now: at most one per
	// interval, so a flood of tokens with made-up kids cannot flood the
	// issuer. Zero: 30 seconds. Negative: no limit.
	MinRefetchInterval time.Duration

	// InsecureHTTP allows a plain-http JWKSURL, or redirect, to a host other
	// than a loopback address. Anyone on the network path can then replace the
	// keys and forge tokens; use it only where the network itself is trusted.
	InsecureHTTP bool

	// StartWithoutKeys makes NewVerifier return at once, without fetching
	// the JWK Set, so a resource server may start before its issuer. Until
	// a fetch brings a set with a usable key, a token whose key is not in
	// Config.VerifyKeys is refused with ErrKeysUnavailable (an HTTP layer
	// answers 503), wrapping the last fetch's error; meanwhile the set is
	// fetched in the background, one second after the first failure, then
	// twice as long after each (at most RefreshInterval), and a guard call
	// fetches it at once, at most once per MinRefetchInterval. A token that
	// is malformed or too large is refused as it would be anyway. Nothing
	// is weakened: no token passes without its key. Zero: NewVerifier
	// fetches the set before returning and fails if it cannot.
	StartWithoutKeys bool
}

const (
	defaultJWKSRefresh  = 15 * time.Minute
	defaultMinRefetch   = 30 * time.Second
	defaultFetchTimeout = 10 * time.Second
	maxJWKSSize         = 1 << 20
)

// jwksFetchTimeout bounds each fetch of a JWK Set. NewVerifier reads it
// once, so the verifier's goroutines never see it change; tests lower it
// rather than wait ten seconds for an issuer that never answers.
var jwksFetchTimeout = defaultFetchTimeout

// NewVerifier returns a Verifier for a resource server: it verifies tokens
// with the public keys another service publishes at cfg.JWKSURL, or with
// cfg.Config.VerifyKeys alone when JWKSURL is empty, and never signs or
// revokes (a Verifier has no Issue, Refresh or Logout). Its guards, and
// middleware built on it, work as a Manager's do. With a zero cfg.Config
// it accepts every token the issuer accepts (see VerifierConfig.Config).
// To trust several issuing services, name each, with its keys, in
// cfg.Issuers instead: a token's "iss" then chooses the keys that must
// have signed it (see VerifierConfig.Issuers).
//
// With a JWKSURL, it fetches the set once before returning, so a wrong URL
// or an unreachable issuer shows at start (ErrInvalidConfig), as does a set
// with no usable key (ErrInvalidKey); with StartWithoutKeys it returns at
// once instead and fetches in the background. After that the set is
// fetched again every RefreshInterval, and a token whose "kid" the
// Verifier does not know makes it fetch the set at once (at most once per
// MinRefetchInterval), so a new signing key is picked up with the first
// token it signed. A key removed from the set stops verifying once a fetch
// has seen it gone; a failed fetch keeps the keys of the last good one.
// Symmetric ("oct") keys, keys whose "use" is not "sig" and keys
// freshtoken cannot use are ignored. A configuration NewVerifier can judge
// without the issuer (the URL's scheme, the fields a verifier must leave
// empty, an issuer named twice in Issuers) fails at once, StartWithoutKeys
// or not. With Issuers, every issuer's set is fetched before NewVerifier
// returns, and the error of one that cannot be names it.
//
// A guard waits for a fetch its token set off no longer than its own ctx
// allows; the fetch goes on for the other callers waiting on it.
//
// ctx bounds the background fetches: cancel it when the service stops.
// The Verifier then keeps verifying with the keys it last fetched.
func NewVerifier(ctx context.Context, cfg VerifierConfig) (*Verifier, error) {
	c := cfg.Config
	switch {
	case c.Key != nil || c.Algorithm != "" || c.KeyID != "":
		return nil, withDetail(ErrInvalidConfig, "a verifier never signs: leave Config.Key, Algorithm and KeyID empty")
	case len(cfg.Issuers) > 0 && (cfg.JWKSURL != "" || c.Issuer != "" || len(c.VerifyKeys) > 0):
		return nil, withDetail(ErrInvalidConfig, "VerifierConfig.Issuers gives each issuer its own name and keys: leave JWKSURL, Config.Issuer and Config.VerifyKeys empty")
	case len(cfg.Issuers) == 0 && cfg.JWKSURL == "" && len(c.VerifyKeys) == 0:
		return nil, withDetail(ErrInvalidConfig, "a verifier needs keys: a JWKSURL, Config.VerifyKeys, both, or Issuers")
	}
	v := new(Verifier)
	if err := v.init(&c, nil); err != nil {
		return nil, err
	}
	// A Manager caps lifetimes at the TTLs it issues with; a verifier knows
	// the issuer's only when told, and a default cap of its own would
	// refuse the tokens of an issuer with longer ones.
	if c.AccessTTL == 0 {
		v.accessTTL = 0
	}
	if c.RefreshTTL == 0 {
		v.refreshTTL = 0
	}
	if len(cfg.Issuers) > 0 {
		if err := v.trustIssuers(ctx, &cfg); err != nil {
			return nil, err
		}
		return v, nil
	}
	if cfg.JWKSURL == "" {
		return v, nil
	}
	if !v.schema.namesKey {
		// Flask-JWT-Extended writes no kid, and publishes no JWK Set.
		return nil, withDetail(ErrInvalidConfig, "tokens in this format name no key, so a JWK Set cannot find theirs: give the issuer's public key in Config.VerifyKeys instead of a JWKSURL")
	}
	r, err := newRemoteKeys(&cfg, cfg.JWKSURL, nil)
	if err != nil {
		return nil, err
	}
	if err := r.open(ctx); err != nil {
		return nil, err
	}
	r.keep(ctx)
	v.remote = r
	return v, nil
}

// newRemoteKeys checks jwksURL and the settings of cfg and returns the
// set's keeper, which has fetched nothing yet (see open and keep). Keys
// it fetches belong to issuer, nil for a Verifier that trusts one.
func newRemoteKeys(cfg *VerifierConfig, jwksURL string, issuer *issuerKeys) (*remoteKeys, error) {
	u, err := url.Parse(jwksURL)
	if err != nil {
		return nil, withDetail(ErrInvalidConfig, "JWKSURL: "+err.Error())
	}
	if err := checkJWKSURL(u, cfg.InsecureHTTP); err != nil {
		return nil, err
	}
	interval := orDefault(cfg.RefreshInterval, defaultJWKSRefresh)
	if interval < time.Second {
		return nil, withDetail(ErrInvalidConfig, "RefreshInterval must be at least one second")
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{}
	}
	shown := shownURL(u)
	return &remoteKeys{
		url:          jwksURL,
		shown:        shown,
		issuer:       issuer,
		events:       cfg.Config.Events,
		client:       &jwksClient{client: checkRedirects(client, cfg.InsecureHTTP), timeout: jwksFetchTimeout},
		interval:     interval,
		lazy:         cfg.StartWithoutKeys,
		minRefetch:   orDefault(cfg.MinRefetchInterval, defaultMinRefetch),
		fetchTimeout: jwksFetchTimeout,
		retryBase:    jwksRetryBase,
		after:        jwksAfter,
		loopDone:     make(chan struct{}),
	}, nil
}

// open fetches the set before NewVerifier returns, unless StartWithoutKeys.
func (r *remoteKeys) open(ctx context.Context) error {
	if r.lazy {
		return nil
	}
	if err := r.fetch(ctx); err != nil {
		return startError(err)
	}
	return nil
}

// keep fetches the set in the background, at once when open fetched
// nothing, until ctx ends.
func (r *remoteKeys) keep(ctx context.Context) {
	first := r.interval
	if r.lazy {
		first = 0
	}
	go r.run(ctx, r.interval, first)
	context.AfterFunc(ctx, func() { r.stopped.Store(true) })
}

// startError is the error of NewVerifier's first fetch.
func startError(err error) error {
	if errors.Is(err, errNoUsableKey) {
		return withDetail(ErrInvalidKey, err.Error())
	}
	return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
}

// shownURL is u as errors and events name it: they are logged, and a
// password or a query string (where API keys travel) is not for logs.
func shownURL(u *url.URL) string {
	s := *u
	if _, ok := s.User.Password(); ok {
		s.User = url.UserPassword(s.User.Username(), "xxxxx")
	}
	if s.RawQuery != "" {
		s.RawQuery = "…"
	}
	return s.String()
}

// checkJWKSURL refuses a key set that could be swapped on the way.
func checkJWKSURL(u *url.URL, insecureHTTP bool) error {
	if problem := jwksURLProblem(u, insecureHTTP); problem != "" {
		return withDetail(ErrInvalidConfig, problem)
	}
	return nil
}

// jwksURLProblem says what is wrong with u as the address of a JWK Set, or
// returns "". Redirects are judged by it too, but their refusal is a failed
// fetch, not a sentinel: with StartWithoutKeys it is wrapped by
// ErrKeysUnavailable, which must stay the only sentinel matched.
func jwksURLProblem(u *url.URL, insecureHTTP bool) string {
	if u.Host == "" {
		return "JWKSURL must be an absolute http or https URL"
	}
	switch {
	case u.Scheme == "https":
		return ""
	case u.Scheme == "http" && (insecureHTTP || isLoopback(u.Hostname())):
		return ""
	case u.Scheme == "http":
		return "JWKSURL uses plain http to " + u.Hostname() + "; use https (or set InsecureHTTP on a trusted network)"
	}
	return "JWKSURL must be an http or https URL"
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkRedirects returns a copy of client that applies the rule for JWKSURL
// to every redirect, then the client's own CheckRedirect. Checking only where
// the redirects end is not enough: whoever answers a plain-http hop in the
// middle can send the fetch on to an https host of their own, whose keys
// would then verify their tokens.
func checkRedirects(client *http.Client, insecureHTTP bool) *http.Client {
	c := *client // the caller may use its client elsewhere, with its own policy
	next := client.CheckRedirect
	if next == nil {
		next = defaultCheckRedirect
	}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if problem := jwksURLProblem(req.URL, insecureHTTP); problem != "" {
			return errors.New("redirect refused: " + problem)
		}
		return next(req, via)
	}
	return &c
}

// defaultCheckRedirect is the policy net/http applies when CheckRedirect is
// nil, which setting our own would otherwise drop.
func defaultCheckRedirect(_ *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return nil
}

// jwksClient fetches a JWK Set's bytes.
type jwksClient struct {
	client  *http.Client // from checkRedirects
	timeout time.Duration
}

// get fetches the body at u. A caller's client need have no Timeout, so
// the deadline is set here, over the body too: without one, an issuer that
// never answers would hold the fetch, and every fetch queued behind it,
// for good.
func (c *jwksClient) get(ctx context.Context, u string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	res, err := c.client.Do(req)
	if err != nil {
		return nil, c.requestError(ctx, u, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, errors.New("the issuer answered " + strconv.Quote(res.Status))
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxJWKSSize+1))
	if err != nil {
		return nil, c.requestError(ctx, u, err)
	}
	if len(body) > maxJWKSSize {
		return nil, errors.New("the JWK Set is larger than 1 MiB")
	}
	return body, nil
}

// requestError makes err, from fetching u under ctx, say what happened
// without repeating u, which the caller's message names: net/http's
// *url.Error names it again.
func (c *jwksClient) requestError(ctx context.Context, u string, err error) error {
	if ue, ok := err.(*url.Error); ok && ue.URL == u {
		err = ue.Err
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no answer within %s: %w", c.timeout, err)
	}
	return err
}

// errNoUsableKey is the failure of a fetch that brought a set without a
// key freshtoken can verify with, before any set did.
var errNoUsableKey = errors.New("holds no key freshtoken can verify signatures with")

// remoteKeys are the keys of a remote JWK Set. One goroutine (run) fetches
// it every refresh interval; tokens with unknown kids fetch it sooner
// (refetch).
type remoteKeys struct {
	url          string
	shown        string      // url as errors show it, without a password
	issuer       *issuerKeys // whose set it is, for a Verifier trusting several; nil otherwise
	events       func(context.Context, Event)
	client       *jwksClient
	interval     time.Duration                   // RefreshInterval
	lazy         bool                            // StartWithoutKeys
	keys         atomic.Pointer[map[string]*key] // replaced whole by install; nil until a set with a usable key came
	lastErr      atomic.Pointer[error]           // the last failed fetch's, for ErrKeysUnavailable
	minRefetch   time.Duration
	fetchTimeout time.Duration
	retryBase    time.Duration                        // jwksRetryBase, read once
	after        func(time.Duration) <-chan time.Time // jwksAfter, read once
	loopDone     chan struct{}                        // closed when run returns
	stopped      atomic.Bool                          // NewVerifier's ctx is done: fetching would only fail

	// fetchMu lets one fetch run at a time, so that a slow fetch cannot
	// install an older set over a newer one.
	fetchMu sync.Mutex

	mu          sync.Mutex
	lastRefetch time.Time
	inflight    chan struct{} // closed when the current refetch ends; nil when none runs
}

// fetch fetches the set and installs its keys. It records a failure for
// ErrKeysUnavailable and returns it, naming the URL once.
func (r *remoteKeys) fetch(ctx context.Context) error {
	r.fetchMu.Lock()
	defer r.fetchMu.Unlock()
	err := r.fetchLocked(ctx)
	if err != nil {
		err = fmt.Errorf("fetching the JWK Set at %q: %w", r.shown, err)
		r.lastErr.Store(&err)
	}
	return err
}

func (r *remoteKeys) fetchLocked(ctx context.Context) error {
	body, err := r.client.get(ctx, r.url)
	if err != nil {
		return err
	}
	set, err := jwk.Parse(body)
	if err != nil {
		return err
	}
	keys := usableKeys(set, r.issuer)
	if len(keys) == 0 && r.keys.Load() == nil {
		// Before the first set, an empty one is no better than none: the
		// issuer may still be setting up its keys.
		return errNoUsableKey
	}
	r.install(keys)
	return nil
}

// usableKeys turns a fetched set into keys of issuer (nil for a Verifier
// that trusts one). A key freshtoken cannot use is skipped, not fatal: the
// set may carry keys meant for other verifiers.
func usableKeys(set jwk.Set, issuer *issuerKeys) map[string]*key {
	keys := make(map[string]*key, set.Len())
	for i := range set.Len() {
		jk, _ := set.Key(i)
		if jk.KeyType() == jwa.OctetSeq {
			continue // a symmetric key must never come from a URL
		}
		if use := jk.KeyUsage(); use != "" && use != string(jwk.ForSignature) {
			continue
		}
		k, err := newVerifyKey(jk)
		if err != nil {
			continue
		}
		k.remote, k.issuer = true, issuer
		if _, dup := keys[k.id]; !dup {
			keys[k.id] = k
		}
	}
	return keys
}

// install makes keys the set's keys. A key the set still holds, unchanged,
// stays the same *key, so the tokens it verified stay cached (see holds)
// across fetches.
func (r *remoteKeys) install(keys map[string]*key) {
	if old := r.keys.Load(); old != nil {
		for id, k := range keys {
			if prev := (*old)[id]; prev != nil && sameKey(prev, k) {
				keys[id] = prev
			}
		}
	}
	r.keys.Store(&keys)
}

// sameKey reports whether a and b verify exactly the same tokens.
func sameKey(a, b *key) bool {
	pub, ok := a.public.(interface{ Equal(crypto.PublicKey) bool })
	return ok && a.id == b.id && a.alg == b.alg && a.hmac == b.hmac && pub.Equal(b.public)
}

// lookup returns the key with the given ID, or nil and no error if there is
// none. When there is none it fetches the set once more, unless a fetch ran
// less than minRefetch ago; callers that arrive while a fetch runs wait for
// it instead of starting another. A caller waits no longer than its ctx
// allows: it then gets an error that wraps ErrUnknownKey and ctx.Err().
// Until a set with a usable key has come (StartWithoutKeys), the error
// wraps ErrKeysUnavailable instead.
func (r *remoteKeys) lookup(ctx context.Context, kid []byte, now func() time.Time) (*key, error) {
	if keys := r.keys.Load(); keys != nil {
		if k := (*keys)[string(kid)]; k != nil {
			return k, nil
		}
	}
	if done := r.refetch(ctx, now()); done != nil {
		select {
		case <-done:
		case <-ctx.Done():
			return nil, r.gaveUp(ctx.Err())
		}
	}
	keys := r.keys.Load()
	if keys == nil {
		return nil, r.unavailable()
	}
	// A failed fetch left the keys as they were, so no error of its own.
	return (*keys)[string(kid)], nil
}

// gaveUp is the error of a caller whose ctx ended while a fetch ran.
func (r *remoteKeys) gaveUp(cause error) error {
	kind := ErrUnknownKey
	if r.keys.Load() == nil {
		kind = ErrKeysUnavailable
	}
	return fmt.Errorf("%w: the JWK Set was still being fetched: %w", kind, cause)
}

// holds reports whether k is still one of the set's keys.
func (r *remoteKeys) holds(k *key) bool {
	keys := r.keys.Load()
	return keys != nil && (*keys)[k.id] == k
}

// refetch starts a fetch of the set, if the rate limit allows and none runs,
// and returns a channel closed when the running fetch ends; nil if none runs.
// A failure is reported with the values of ctx, the context of the guard
// that set the fetch off.
func (r *remoteKeys) refetch(ctx context.Context, now time.Time) <-chan struct{} {
	if r.stopped.Load() {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inflight != nil {
		return r.inflight
	}
	if !r.lastRefetch.IsZero() && now.Sub(r.lastRefetch) < r.minRefetch {
		return nil
	}
	r.lastRefetch = now
	done := make(chan struct{})
	r.inflight = done
	// The fetch serves every caller waiting on it, so it runs on its own
	// goroutine, which no caller's context cuts short and from which each
	// caller can walk away when its context ends. jwksClient.get bounds
	// it, and fetchMu's wait by as much again.
	eventCtx := context.WithoutCancel(ctx)
	go func() {
		err := r.fetch(context.Background()) // a failed fetch keeps the last keys
		r.mu.Lock()
		r.inflight = nil
		r.mu.Unlock()
		// Reported before the waiters go on, so that the hook hears of the
		// failure before the EventUnknownKey it causes; with inflight
		// cleared, a hook that calls a guard cannot wait for itself.
		r.report(eventCtx, err)
		close(done)
	}()
	return done
}

// report passes the failure of a fetch, if err is one, to the
// Config.Events hook. NewVerifier's first fetch is not reported: its
// failure is NewVerifier's error.
func (r *remoteKeys) report(ctx context.Context, err error) {
	if err == nil || r.events == nil {
		return
	}
	if r.issuer != nil {
		err = fmt.Errorf("%w (issuer %s)", err, quoteValue(r.issuer.name))
	}
	r.events(ctx, Event{Kind: EventKeySetFetchFailed, Err: err})
}
