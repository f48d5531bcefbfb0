package authtest

import (
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/httpauth"
	"github.com/freshtoken/freshtoken/internal/testclock"
	"github.com/google/go-cmp/cmp"
)

// Run runs the suite on app: each part sends every request to app and to
// NetHTTP, built on one Manager, and fails t where app answers otherwise
// or where the answer is not the one the part expects.
func Run(t *testing.T, app App) {
	t.Run("flow/header", func(t *testing.T) { headerFlow(newPair(t, app, headerConfig())) })
	t.Run("flow/session-cookies", func(t *testing.T) { cookieFlow(newPair(t, app, cookieConfig(true)), true) })
	t.Run("flow/expiring-cookies", func(t *testing.T) { cookieFlow(newPair(t, app, cookieConfig(false)), false) })
	t.Run("optional", func(t *testing.T) { optional(newPair(t, app, headerConfig())) })
	t.Run("hostile/header", func(t *testing.T) { hostile(newPair(t, app, headerConfig())) })
	t.Run("hostile/cookie", func(t *testing.T) { hostileCookies(newPair(t, app, cookieConfig(false))) })
	t.Run("store-down", func(t *testing.T) { storeDown(newPairWith(t, app, headerConfig(), brokenStore{})) })
}

// realm is every Setup's realm, so that the challenges carry one.
const realm = "authtest"

func headerConfig() httpauth.Config { return httpauth.Config{Realm: realm} }

func cookieConfig(session bool) httpauth.Config {
	return httpauth.Config{
		Realm:   realm,
		Sources: []httpauth.Source{httpauth.FromHeader, httpauth.FromCookie},
		Cookies: httpauth.CookieConfig{SessionCookies: session},
	}
}

// t0 is when every part's clock starts.
var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// key returns a fixed Ed25519 key; seed selects which.
func key(seed byte) ed25519.PrivateKey {
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	return ed25519.NewKeyFromSeed(s)
}

// pair is the application under test beside the reference, on one Manager.
type pair struct {
	t        *testing.T
	m        *freshtoken.Manager
	clk      *testclock.Clock
	app, ref *client
}

func newPair(t *testing.T, app App, cfg httpauth.Config) *pair {
	return newPairWith(t, app, cfg, nil)
}

// newPairWith is newPair with the Manager's revocation store; nil means the
// default.
func newPairWith(t *testing.T, app App, cfg httpauth.Config, store freshtoken.Store) *pair {
	clk := testclock.New(t0)
	m, err := freshtoken.New(freshtoken.Config{Key: key(1), Now: clk.Now, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	s := Setup{Manager: m, Config: cfg, Cookies: slices.Contains(cfg.Sources, httpauth.FromCookie)}
	return &pair{
		t: t, m: m, clk: clk,
		app: &client{send: app(t, s), clk: clk, jar: map[string]*http.Cookie{}},
		ref: &client{send: NetHTTP(t, s), clk: clk, jar: map[string]*http.Cookie{}},
	}
}

// Answer is what the suite compares of a response. Token values (in a
// token response's body and in cookies) differ between the two
// applications and are replaced with "<token>".
type Answer struct {
	Status       int
	Challenge    string // WWW-Authenticate
	RetryAfter   string
	ContentType  string // only a JSON one: a guarded handler's own type is the framework's
	CacheControl string
	Pragma       string
	Body         string
	SetCookies   []string
}

// code is the "error" member of a refusal's JSON body.
func (a Answer) code() string {
	var e struct {
		Error string `json:"error"`
	}
	json.Unmarshal([]byte(a.Body), &e)
	return e.Error
}

// client sends requests to one application and keeps what a client keeps:
// the tokens of the last token response, and the cookies, as a browser
// keeps them (gone when Max-Age=0 or past their Expires, by the suite's
// clock).
type client struct {
	send           RoundTrip
	clk            *testclock.Clock
	access, refres string
	jar            map[string]*http.Cookie
}

// req describes a request; the zero req sends no credentials.
type req struct {
	method, path string
	header       http.Header // added as they are
	cookies      bool        // send the jar
	csrf         string      // the jar cookie whose value goes into X-CSRF-TOKEN
}

func (c *client) do(t *testing.T, r req) (a Answer) {
	t.Helper()
	hr := httptest.NewRequest(r.method, "http://example.com"+r.path, nil)
	for name, values := range r.header {
		hr.Header[name] = append([]string(nil), values...)
	}
	if r.cookies {
		for _, name := range sortedKeys(c.jar) {
			if ck := c.jar[name]; ck.Expires.IsZero() || ck.Expires.After(c.clk.Now()) {
				hr.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
			}
		}
	}
	if r.csrf != "" {
		if ck := c.jar[r.csrf]; ck != nil {
			hr.Header.Set("X-CSRF-TOKEN", ck.Value)
		}
	}
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("%s %s: the application panicked: %v", r.method, r.path, p)
			a = Answer{}
		}
	}()
	res, err := c.send(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return c.keep(res, body)
}

// keep takes the tokens and cookies from res and returns its Answer.
func (c *client) keep(res *http.Response, body []byte) Answer {
	a := Answer{
		Status:       res.StatusCode,
		Challenge:    res.Header.Get("WWW-Authenticate"),
		RetryAfter:   res.Header.Get("Retry-After"),
		CacheControl: res.Header.Get("Cache-Control"),
		Pragma:       res.Header.Get("Pragma"),
		Body:         string(body),
	}
	if ct := res.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/json") {
		a.ContentType = ct
	}
	var tr httpauth.TokenResponse
	if res.StatusCode == http.StatusOK && json.Unmarshal(body, &tr) == nil && tr.AccessToken != "" {
		c.access, c.refres = tr.AccessToken, tr.RefreshToken
		tr.AccessToken, tr.RefreshToken = "<token>", "<token>"
		b, _ := json.Marshal(tr)
		a.Body = string(b)
	}
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 {
			delete(c.jar, ck.Name)
		} else {
			c.jar[ck.Name] = ck
		}
		shown := *ck
		if shown.Value != "" {
			shown.Value = "<token>"
		}
		a.SetCookies = append(a.SetCookies, shown.String())
	}
	return a
}

func sortedKeys(m map[string]*http.Cookie) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// want is what a step expects of the reference's answer: its status and,
// for a refusal, its code, or for a 200 from a guarded handler its body.
type want struct {
	status int
	code   string
	body   string
}

// step sends one request, built for each client by build, to both
// applications; the application's answer must equal the reference's, and
// the reference's must be w.
func (p *pair) step(name string, w want, build func(c *client) req) Answer {
	p.t.Helper()
	ref := p.ref.do(p.t, build(p.ref))
	got := p.app.do(p.t, build(p.app))
	if diff := cmp.Diff(ref, got); diff != "" {
		p.t.Errorf("%s: the application answers otherwise than httpauth's Middleware (-httpauth +app):\n%s", name, diff)
	}
	if ref.Status != w.status || w.code != "" && ref.code() != w.code || w.body != "" && ref.Body != w.body {
		p.t.Errorf("%s: got %d %q %s, want %d %q %q", name, ref.Status, ref.code(), ref.Body, w.status, w.code, w.body)
	}
	return got
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

// withAccess and the like build requests with the client's own tokens.
func withAccess(method, path string) func(*client) req {
	return func(c *client) req { return req{method: method, path: path, header: bearer(c.access)} }
}

func withRefresh(path string) func(*client) req {
	return func(c *client) req { return req{method: "POST", path: path, header: bearer(c.refres)} }
}

func plain(method, path string) func(*client) req {
	return func(*client) req { return req{method: method, path: path} }
}

func withCookies(method, path, csrf string) func(*client) req {
	return func(*client) req { return req{method: method, path: path, cookies: true, csrf: csrf} }
}

func ok(body string) want { return want{status: 200, body: body} }

func refused(status int, code string) want { return want{status: status, code: code} }
