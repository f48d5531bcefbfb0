package freshtoken

import (
	"bytes"
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
// signing key and of every asymmetric key in Config.VerifyKeys, each with the
// "kid" its tokens carry, its "alg" and "use": "sig". Serve it at
// /.well-known/jwks.json for resource servers that use NewVerifier.
//
// It never publishes a private part, and never an HMAC secret: a published
// secret would let anyone sign, so services sharing an HMAC key must share
// it some other way and cannot use NewVerifier. The set is built once, when
// JWKSHandler is called; it answers GET and HEAD.
func (m *Manager) JWKSHandler() http.Handler {
	body, err := m.publicKeySet()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if err != nil {
			http.Error(w, "the key set could not be encoded", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
}

// publicKeySet encodes the public keys as a JWK Set.
func (m *Manager) publicKeySet() ([]byte, error) {
	set := jwk.NewSet()
	for _, k := range m.keys {
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
// JWKSURL means the default stated beside it.
type VerifierConfig struct {
	// JWKSURL is where the issuing service publishes its keys (its
	// JWKSHandler), such as "https://auth.example.com/.well-known/jwks.json".
	// It must use https, or http to a loopback address, unless InsecureHTTP
	// is set; so must every URL a fetch is redirected to. Zero: no remote
	// set; Config.VerifyKeys, which must then hold at least one key, are
	// all the Verifier trusts.
	JWKSURL string

	// Config holds the rules every token must pass, as for New: Issuer,
	// Audience, AccessTTL, RefreshTTL, FreshFor, Leeway, MaxTokenSize and Now
	// should match the issuing service's. VerifyKeys, if any, are consulted
	// before the remote set. Store, shared with the issuing service, makes
	// its logouts refuse tokens here too; the default, a MemoryStore of the
	// verifier's own, sees none. Key, Algorithm and KeyID must be empty: a
	// verifier never signs. Flask may be set only without a JWKSURL (the
	// Flask side publishes no JWK Set): give its public key in VerifyKeys.
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
// middleware built on it, work as a Manager's do.
//
// With a JWKSURL, it fetches the set once before returning, so a wrong URL
// or an unreachable issuer shows at start (ErrInvalidConfig), as does a set
// with no usable key (ErrInvalidKey). After that the set is fetched again
// every RefreshInterval, and a token whose "kid" the Verifier does not know
// makes it fetch the set at once (at most once per MinRefetchInterval), so
// a new signing key is picked up with the first token it signed. A key
// removed from the set stops verifying once a fetch has seen it gone; a
// failed fetch keeps the keys of the last good one. Symmetric ("oct") keys,
// keys whose "use" is not "sig" and keys freshtoken cannot use are ignored.
//
// A guard waits for a fetch its token set off no longer than its own ctx
// allows; the fetch goes on for the other callers waiting on it.
//
// ctx bounds the background refresh: cancel it when the service stops.
// The Verifier then keeps verifying with the keys it last fetched.
func NewVerifier(ctx context.Context, cfg VerifierConfig) (*Verifier, error) {
	c := cfg.Config
	switch {
	case c.Key != nil || c.Algorithm != "" || c.KeyID != "":
		return nil, withDetail(ErrInvalidConfig, "a verifier never signs: leave Config.Key, Algorithm and KeyID empty")
	case cfg.JWKSURL == "" && len(c.VerifyKeys) == 0:
		return nil, withDetail(ErrInvalidConfig, "a verifier needs keys: a JWKSURL, Config.VerifyKeys or both")
	}
	v := new(Verifier)
	if err := v.init(&c, nil); err != nil {
		return nil, err
	}
	if cfg.JWKSURL == "" {
		return v, nil
	}
	if !v.schema.namesKey {
		// Flask-JWT-Extended writes no kid, and publishes no JWK Set.
		return nil, withDetail(ErrInvalidConfig, "tokens in this format name no key, so a JWK Set cannot find theirs: give the issuer's public key in Config.VerifyKeys instead of a JWKSURL")
	}
	r, err := newRemoteKeys(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	v.remote = r
	return v, nil
}

// newRemoteKeys fetches the JWK Set at cfg.JWKSURL and keeps it fresh
// until ctx ends.
func newRemoteKeys(ctx context.Context, cfg *VerifierConfig) (*remoteKeys, error) {
	u, err := url.Parse(cfg.JWKSURL)
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
	timeout := jwksFetchTimeout
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{}
	}
	r := &remoteKeys{
		url:          cfg.JWKSURL,
		minRefetch:   orDefault(cfg.MinRefetchInterval, defaultMinRefetch),
		fetchTimeout: timeout,
	}
	ctx, cancel := context.WithCancel(ctx)
	ok := false
	defer func() {
		if !ok {
			cancel() // stops the cache's goroutines
		}
	}()
	// The cache checks for due fetches every window; a quarter of the
	// interval keeps the refresh within 1.25 intervals.
	window := min(max(interval/4, time.Second), defaultJWKSRefresh)
	r.cache = jwk.NewCache(ctx, jwk.WithRefreshWindow(window))
	err = r.cache.Register(cfg.JWKSURL,
		jwk.WithHTTPClient(&jwksClient{client: checkRedirects(client, cfg.InsecureHTTP), timeout: timeout}),
		jwk.WithRefreshInterval(interval),
		jwk.WithPostFetcher(jwk.PostFetchFunc(r.install)),
	)
	if err != nil {
		return nil, withDetail(ErrInvalidConfig, "JWKSURL: "+err.Error())
	}
	if _, err := r.cache.Refresh(ctx, cfg.JWKSURL); err != nil {
		return nil, withDetail(ErrInvalidConfig, "fetching the JWK Set: "+err.Error())
	}
	if len(*r.keys.Load()) == 0 {
		return nil, withDetail(ErrInvalidKey, "the JWK Set at "+cfg.JWKSURL+" holds no key freshtoken can verify signatures with")
	}
	context.AfterFunc(ctx, func() { r.stopped.Store(true) })
	ok = true
	return r, nil
}

// checkJWKSURL refuses a key set that could be swapped on the way.
func checkJWKSURL(u *url.URL, insecureHTTP bool) error {
	if u.Host == "" {
		return withDetail(ErrInvalidConfig, "JWKSURL must be an absolute http or https URL")
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && (insecureHTTP || isLoopback(u.Hostname())):
		return nil
	case u.Scheme == "http":
		return withDetail(ErrInvalidConfig, "JWKSURL uses plain http to "+u.Hostname()+"; use https (or set InsecureHTTP on a trusted network)")
	}
	return withDetail(ErrInvalidConfig, "JWKSURL must be an http or https URL")
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
		if err := checkJWKSURL(req.URL, insecureHTTP); err != nil {
			return fmt.Errorf("redirect refused: %w", err)
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

// jwksClient fetches for jwk.Cache: every fetch, the first, the periodic
// ones and the refetches, goes through its Get.
type jwksClient struct {
	client  *http.Client // from checkRedirects
	timeout time.Duration
}

// Get fetches the set at u. jwk.Cache passes no context, and a caller's
// client need have no Timeout, so the deadline is set here: without one, an
// issuer that never answers would hold the cache's few fetch workers for
// good, and with them every later fetch. The body is read here too, under
// the same deadline, and closed.
func (c *jwksClient) Get(u string) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	res, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxJWKSSize+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxJWKSSize {
		return nil, errors.New("the JWK Set is larger than 1 MiB")
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	return res, nil
}

// remoteKeys are the keys of a remote JWK Set, kept fresh by a jwk.Cache.
type remoteKeys struct {
	url          string
	cache        *jwk.Cache
	keys         atomic.Pointer[map[string]*key] // replaced whole by install
	minRefetch   time.Duration
	fetchTimeout time.Duration
	stopped      atomic.Bool // the cache's context is done: fetching would only time out

	mu          sync.Mutex
	lastRefetch time.Time
	inflight    chan struct{} // closed when the current refetch ends; nil when none runs
}

// install turns each fetched set into keys, for every fetch: the first,
// the periodic ones and the refetches. A key freshtoken cannot use is
// skipped, not fatal: the set may carry keys meant for other verifiers.
func (r *remoteKeys) install(_ string, set jwk.Set) (jwk.Set, error) {
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
		k.remote = true
		if _, dup := keys[k.id]; !dup {
			keys[k.id] = k
		}
	}
	// A key the set still holds, unchanged, stays the same *key, so the
	// tokens it verified stay cached (see holds) across refetches.
	if old := r.keys.Load(); old != nil {
		for id, k := range keys {
			if prev := (*old)[id]; prev != nil && sameKey(prev, k) {
				keys[id] = prev
			}
		}
	}
	r.keys.Store(&keys)
	return set, nil
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
func (r *remoteKeys) lookup(ctx context.Context, kid []byte, now func() time.Time) (*key, error) {
	if k := (*r.keys.Load())[string(kid)]; k != nil {
		return k, nil
	}
	done := r.refetch(now())
	if done == nil {
		return nil, nil
	}
	select {
	case <-done:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: the JWK Set was still being fetched: %w", ErrUnknownKey, ctx.Err())
	}
	// A failed fetch left the keys as they were, so no error of its own.
	return (*r.keys.Load())[string(kid)], nil
}

// holds reports whether k is still one of the set's keys.
func (r *remoteKeys) holds(k *key) bool {
	return (*r.keys.Load())[k.id] == k
}

// refetch starts a fetch of the set, if the rate limit allows and none runs,
// and returns a channel closed when the running fetch ends; nil if none runs.
func (r *remoteKeys) refetch(now time.Time) <-chan struct{} {
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
	// caller can walk away when its context ends.
	go func() {
		// jwksClient.Get bounds the request; this bounds the wait before it,
		// for a fetch worker that another fetch may hold as long.
		ctx, cancel := context.WithTimeout(context.Background(), 2*r.fetchTimeout)
		r.cache.Refresh(ctx, r.url) // a failed fetch keeps the last keys
		cancel()
		r.mu.Lock()
		r.inflight = nil
		r.mu.Unlock()
		close(done)
	}()
	return done
}
