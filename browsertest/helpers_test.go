package browsertest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
	"github.com/freshtoken/freshtoken/examples/server/api"
	"github.com/freshtoken/freshtoken/internal/testclock"
)

// requireEnv names the environment variable that makes a missing Chromium a
// failure instead of a skip; CI sets it.
const requireEnv = "FRESHTOKEN_REQUIRE_BROWSER"

// testLimit bounds a whole browser test, the browser's start included, so
// that a hang fails the test instead of blocking the run.
const testLimit = 60 * time.Second

// The demo account and the access token's lifetime of the app under test.
const (
	username  = "demo"
	password  = "demo-password"
	accessTTL = 15 * time.Minute
)

// chromiumNames are the names Chromium's binary goes by, Debian's first.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"}

// findChromium returns the path of a Chromium binary. It skips the test when
// there is none, unless requireEnv is set.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range chromiumNames {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv(requireEnv) != "" {
		t.Fatalf("%s is set but no Chromium is installed (looked for %s)", requireEnv, strings.Join(chromiumNames, ", "))
	}
	t.Skipf("no Chromium installed (apt-get install chromium; set %s to make this a failure)", requireEnv)
	return ""
}

// newBrowser starts headless Chromium for the test and returns the context
// of its first tab. The context ends, and the browser with it, after
// testLimit or when the test ends; every action run with it fails from then
// on. Chromium's own output is logged when the test fails.
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(findChromium(t)),
		chromedp.WindowSize(900, 760),
	)
	opts = append(opts, extra...)
	// Chromium's sandbox refuses to run as root, as CI does; elsewhere keep it.
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	var output syncBuffer
	opts = append(opts, chromedp.CombinedOutput(&output))

	ctx, cancel := context.WithTimeout(context.Background(), testLimit)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancel()
		if t.Failed() && output.Len() > 0 {
			t.Logf("Chromium's output:\n%s", output.String())
		}
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// syncBuffer is a bytes.Buffer that Chromium's output goroutine and the test
// may use at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Len() int { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.Len() }

func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }

// waitText waits until the element with the given id has exactly the text
// want.
func waitText(id, want string) chromedp.Action[chromedp.Void] {
	return waitUntil(fmt.Sprintf("document.getElementById(%s)?.textContent === %s", jsString(id), jsString(want)))
}

// waitUntil waits until the JavaScript expression is true in the page. It
// polls the DOM: no sleep, no assumption about timing.
func waitUntil(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if _, err := chromedp.Poll[bool](expr)(ctx, t); err != nil {
			return chromedp.Void{}, fmt.Errorf("waiting for %s: %w", expr, err)
		}
		return chromedp.Void{}, nil
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// app is the example server under test, in process, with a clock the test
// moves and a recorder of every request it serves.
type app struct {
	url   string // http://localhost:port
	clock *testclock.Clock
	rec   *recorder
}

// startApp serves the example API on a loopback port. Its URL names the
// host localhost, which Chromium counts as a secure context: it keeps the
// app's Secure cookies over plain http.
func startApp(t *testing.T) *app {
	t.Helper()
	return startAppWith(t, api.Config{})
}

// startAppWith is startApp with the other fields of cfg.
func startAppWith(t *testing.T, cfg api.Config) *app {
	t.Helper()
	// The clock starts at the real time, which the browser's own clock
	// reads: expiring cookies, were the app to set them, would then expire
	// in the browser when the tokens do, not at once. The test moves only
	// the server's clock; nothing waits for the real one.
	clk := testclock.New(time.Now())
	cfg.Key = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	cfg.Username, cfg.Password = username, password
	cfg.Iterations = 1000 // cheap logins; the default is for production
	cfg.Now = clk.Now
	cfg.AccessTTL = accessTTL
	h, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{next: h}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return &app{url: localhost(srv.URL), clock: clk, rec: rec}
}

// localhost turns httptest's http://127.0.0.1:port into
// http://localhost:port, the name a developer opens.
func localhost(u string) string { return onHost(u, "localhost") }

// onHost returns the URL u with its host name replaced by host, the port
// kept.
func onHost(u, host string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		panic(err) // httptest's URLs parse
	}
	parsed.Host = net.JoinHostPort(host, parsed.Port())
	return parsed.String()
}

// email asks the server, through the JSON API with a login of its own, which
// email the account has: the server's state, not what the page shows.
func (a *app) email(t *testing.T) string {
	t.Helper()
	creds, _ := json.Marshal(map[string]string{"username": username, "password": password})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	postJSON(t, a.url+"/login", creds, &tok)
	req, err := http.NewRequest("GET", a.url+"/profile", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	var profile struct {
		Email string `json:"email"`
	}
	doJSON(t, req, &profile)
	return profile.Email
}

func postJSON(t *testing.T, url string, body []byte, v any) {
	t.Helper()
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	doJSON(t, req, v)
}

func doJSON(t *testing.T, req *http.Request, v any) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: status %d", req.Method, req.URL.Path, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
}

// exchange is one request the app served, as the server saw it.
type exchange struct {
	Method, Path string
	Origin       string   // the Origin header
	Cookies      []string // the names of the cookies that came with it
	Status       int
	Challenge    string // the WWW-Authenticate header of the answer
}

func (e exchange) has(cookie string) bool { return slices.Contains(e.Cookies, cookie) }

// recorder keeps every exchange of the handler it wraps. An exchange is
// kept when the answer's status is written, before the browser can have
// any of the answer, so a test that has seen the page react to a response
// finds its exchange already kept.
type recorder struct {
	next http.Handler

	mu  sync.Mutex
	log []exchange
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e := exchange{Method: r.Method, Path: r.URL.Path, Origin: r.Header.Get("Origin")}
	for _, c := range r.Cookies() {
		e.Cookies = append(e.Cookies, c.Name)
	}
	sw := &statusWriter{ResponseWriter: w, keep: func(status int) {
		e.Status, e.Challenge = status, w.Header().Get("WWW-Authenticate")
		rec.mu.Lock()
		rec.log = append(rec.log, e)
		rec.mu.Unlock()
	}}
	rec.next.ServeHTTP(sw, r)
	sw.keepOnce(http.StatusOK) // a handler that wrote nothing answered 200
}

// mark returns where the exchanges from now on will start, for since.
func (rec *recorder) mark() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.log)
}

// since returns the exchanges kept from mark on.
func (rec *recorder) since(mark int) []exchange {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.log[mark:])
}

// statusWriter calls keep with the status of the answer, once.
type statusWriter struct {
	http.ResponseWriter
	keep func(status int)
	done bool
}

func (w *statusWriter) keepOnce(status int) {
	if !w.done {
		w.done = true
		w.keep(status)
	}
}

func (w *statusWriter) WriteHeader(status int) {
	w.keepOnce(status)
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	w.keepOnce(http.StatusOK)
	return w.ResponseWriter.Write(p)
}

// browserCookies returns every cookie the browser keeps, by name, whatever
// its path: Network.getCookies would list only those of the page's URL,
// without the refresh cookie.
func browserCookies(t *testing.T, ctx context.Context) map[string]*network.Cookie {
	t.Helper()
	res, err := chromedp.CallBrowser(ctx, storage.GetCookies, storage.GetCookiesParams{})
	if err != nil {
		t.Fatalf("reading the browser's cookies: %v", err)
	}
	m := make(map[string]*network.Cookie)
	for _, c := range res.Cookies {
		m[c.Name] = c
	}
	return m
}

// screenshots saves a PNG of the page at each step of a test, numbered in
// order, into a directory named after the test in $FRESHTOKEN_SCREENSHOTS,
// or into a temporary directory.
type screenshots struct {
	t   *testing.T
	dir string
	n   int
}

func newScreenshots(t *testing.T) *screenshots {
	t.Helper()
	dir := os.Getenv("FRESHTOKEN_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else {
		dir = filepath.Join(dir, t.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &screenshots{t: t, dir: dir}
}

// take saves a screenshot of the page and logs its path.
func (s *screenshots) take(ctx context.Context, name string) {
	s.t.Helper()
	path, err := s.save(ctx, name)
	if err != nil {
		s.t.Fatalf("screenshot %s: %v", name, err)
	}
	s.t.Logf("screenshot: %s", path)
}

func (s *screenshots) save(ctx context.Context, name string) (string, error) {
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return "", err
	}
	s.n++
	path := filepath.Join(s.dir, fmt.Sprintf("%02d-%s.png", s.n, name))
	return path, os.WriteFile(path, png, 0o644)
}
