package freshtoken

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// keyServer publishes m's JWK Set and counts the fetches.
type keyServer struct {
	*httptest.Server
	fetches atomic.Int32
}

func newKeyServer(t *testing.T, m *Manager, tls bool) *keyServer {
	t.Helper()
	s := &keyServer{}
	h := m.JWKSHandler()
	serve := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		h.ServeHTTP(w, r)
	})
	if tls {
		s.Server = httptest.NewTLSServer(serve)
	} else {
		s.Server = httptest.NewServer(serve)
	}
	t.Cleanup(s.Close)
	return s
}

// redirectServer answers every request with a redirect to url.
func redirectServer(t *testing.T, url string, tls bool) *httptest.Server {
	t.Helper()
	h := http.RedirectHandler(url, http.StatusFound)
	var s *httptest.Server
	if tls {
		s = httptest.NewTLSServer(h)
	} else {
		s = httptest.NewServer(h)
	}
	t.Cleanup(s.Close)
	return s
}

// routedClient returns a client that trusts the httptest TLS certificate and
// dials hosts[name] for a URL naming host name. A test can then use a host
// name that is not loopback-looking, as an attacker's host would be, while
// every connection stays on loopback; any other name is refused, not looked
// up.
func routedClient(tlsServer *httptest.Server, hosts map[string]string) *http.Client {
	tr := tlsServer.Client().Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if to, ok := hosts[host]; ok {
			addr = to
		} else if !isLoopback(host) {
			return nil, errors.New("the test dials loopback only, not " + addr)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: tr}
}

// TestVerifierRedirectHops fetches the JWK Set through redirects. Every hop,
// not only the last, must pass the rule for JWKSURL: a plain-http hop to a
// host that is not loopback can be answered by anyone on its path, who can
// then send the fetch on to an https host of their own and have their keys
// installed, although the chain starts and ends at https.
func TestVerifierRedirectHops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	issuer, clk := newTestManager(t, Config{Key: webKey(1)})
	attacker, _ := newTestManager(t, Config{Key: webKey(9), Now: clk.Now})

	// The attacker: a plain-http hop at attacker.example that sends the
	// fetch on to an https server with the attacker's keys.
	attackerKeys := newKeyServer(t, attacker, true)
	hop := redirectServer(t, attackerKeys.URL+"/keys", false)
	routes := map[string]string{"attacker.example": hop.Listener.Addr().String()}

	httpsToPlainHop := redirectServer(t, "http://attacker.example/hop", true)
	issuerKeys := newKeyServer(t, issuer, true)
	httpsToHTTPS := redirectServer(t, issuerKeys.URL+"/jwks", true)
	plainIssuerKeys := newKeyServer(t, issuer, false)
	loopbackToLoopback := redirectServer(t, plainIssuerKeys.URL+"/jwks", false)

	tests := []struct {
		name     string
		cfg      VerifierConfig
		wantErr  error
		wantSign *Manager // whose tokens the verifier accepts, if it is built
		reason   string
	}{
		{
			"https, plain-http hop, https",
			VerifierConfig{JWKSURL: httpsToPlainHop.URL, HTTPClient: routedClient(attackerKeys.Server, routes)},
			ErrInvalidConfig, nil,
			"the plain-http hop must be refused although the chain ends at https",
		},
		{
			"https, plain-http hop, https, caller's CheckRedirect",
			VerifierConfig{JWKSURL: httpsToPlainHop.URL, HTTPClient: withCheckRedirect(routedClient(attackerKeys.Server, routes), func(*http.Request, []*http.Request) error { return nil })},
			ErrInvalidConfig, nil,
			"a caller's permissive CheckRedirect does not replace the rule",
		},
		{
			"https, plain-http hop, https, InsecureHTTP",
			VerifierConfig{JWKSURL: httpsToPlainHop.URL, HTTPClient: routedClient(attackerKeys.Server, routes), InsecureHTTP: true},
			nil, attacker,
			"InsecureHTTP allows plain http to any host, on every hop",
		},
		{
			"https to https",
			VerifierConfig{JWKSURL: httpsToHTTPS.URL, HTTPClient: tlsClient(issuerKeys.Server)},
			nil, issuer,
			"",
		},
		{
			"loopback http to loopback http, default client",
			VerifierConfig{JWKSURL: loopbackToLoopback.URL},
			nil, issuer,
			"plain http to a loopback address stays allowed",
		},
	}
	for _, tt := range tests {
		before := attackerKeys.fetches.Load()
		tt.cfg.Config.Now = clk.Now // the issuers' clock
		v, err := NewVerifier(ctx, tt.cfg)
		if tt.wantErr != nil {
			if v != nil || !errors.Is(err, tt.wantErr) {
				t.Errorf("%s: NewVerifier = (verifier: %t), %v; want nil, %v (%s)", tt.name, v != nil, err, tt.wantErr, tt.reason)
			}
			if v != nil {
				if _, err := v.RequireAccess(ctx, mustIssue(t, attacker, "user-1").Access); err == nil {
					t.Errorf("%s: the verifier accepts the attacker's tokens", tt.name)
				}
			}
			if n := attackerKeys.fetches.Load() - before; n != 0 {
				t.Errorf("%s: the attacker's key server was fetched %d times, want 0", tt.name, n)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: NewVerifier: %v (%s)", tt.name, err, tt.reason)
			continue
		}
		if _, err := v.RequireAccess(ctx, mustIssue(t, tt.wantSign, "user-1").Access); err != nil {
			t.Errorf("%s: the verifier refused a token of the keys at the end of the chain: %v", tt.name, err)
		}
	}
}

// TestVerifierRedirectHopsDefaultClient is the plain-http hop for the
// default client, which dials with http.DefaultTransport: the hop goes to
// 0.0.0.0, which the rule does not count as loopback but which Linux and
// macOS connect to the local machine, and from there to a loopback server
// with the attacker's keys.
func TestVerifierRedirectHopsDefaultClient(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	attacker, _ := newTestManager(t, Config{Key: webKey(9)})
	attackerKeys := newKeyServer(t, attacker, false)
	hop := redirectServer(t, attackerKeys.URL+"/keys", false)
	hopURL := strings.Replace(hop.URL, "127.0.0.1", "0.0.0.0", 1)
	if c, err := net.Dial("tcp", strings.TrimPrefix(hopURL, "http://")); err != nil {
		t.Skipf("this system does not connect to 0.0.0.0: %v", err)
	} else {
		c.Close()
	}
	issuer := redirectServer(t, hopURL+"/hop", false)

	v, err := NewVerifier(ctx, VerifierConfig{JWKSURL: issuer.URL})
	if v != nil || !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("NewVerifier = %p, %v; want nil, ErrInvalidConfig: the hop to plain http at 0.0.0.0 must be refused", v, err)
	}
	if n := attackerKeys.fetches.Load(); n != 0 {
		t.Errorf("the attacker's key server was fetched %d times, want 0", n)
	}
}

// TestVerifierRedirectCallerPolicy checks that a caller's CheckRedirect is
// still consulted for the hops the rule allows, that without one net/http's
// limit of 10 redirects holds, and that the caller's client is not changed.
func TestVerifierRedirectCallerPolicy(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	issuer, _ := newTestManager(t, Config{Key: webKey(1)})
	keys := newKeyServer(t, issuer, true)
	redirect := redirectServer(t, keys.URL+"/jwks", true)

	var consulted atomic.Int32
	refuse := errors.New("the caller's policy refuses")
	client := withCheckRedirect(tlsClient(keys.Server), func(req *http.Request, via []*http.Request) error {
		consulted.Add(1)
		return refuse
	})
	if v, err := NewVerifier(ctx, VerifierConfig{JWKSURL: redirect.URL, HTTPClient: client}); v != nil || !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), refuse.Error()) {
		t.Errorf("caller's CheckRedirect refuses: NewVerifier = %v, %v; want nil and an ErrInvalidConfig that says %q", v, err, refuse)
	}
	if n := consulted.Load(); n != 1 {
		t.Errorf("the caller's CheckRedirect was consulted %d times, want 1", n)
	}

	plain := tlsClient(keys.Server)
	if _, err := NewVerifier(ctx, VerifierConfig{JWKSURL: redirect.URL, HTTPClient: plain}); err != nil {
		t.Errorf("https to https: %v", err)
	}
	if plain.CheckRedirect != nil {
		t.Error("NewVerifier set CheckRedirect on the caller's client")
	}

	var loop *httptest.Server
	loop = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, loop.URL+r.URL.Path+"x", http.StatusFound)
	}))
	defer loop.Close()
	if v, err := NewVerifier(ctx, VerifierConfig{JWKSURL: loop.URL + "/", HTTPClient: tlsClient(loop)}); v != nil || !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "10 redirects") {
		t.Errorf("endless redirects: NewVerifier = %v, %v; want nil, ErrInvalidConfig after 10 redirects", v, err)
	}
}

// tlsClient returns a new client that trusts the httptest TLS certificate.
// (s.Client() is one client per server, which a test must not change.)
func tlsClient(s *httptest.Server) *http.Client {
	return &http.Client{Transport: s.Client().Transport}
}

// withCheckRedirect sets c.CheckRedirect and returns c.
func withCheckRedirect(c *http.Client, f func(*http.Request, []*http.Request) error) *http.Client {
	c.CheckRedirect = f
	return c
}
