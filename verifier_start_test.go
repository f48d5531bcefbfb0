package freshtoken

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// timerRequest is one wait the verifier's background goroutine asked for.
type timerRequest struct {
	d    time.Duration
	fire chan time.Time
}

// manualTimers replaces the background goroutine's timer, for the
// verifiers the test builds from now on: each wait it asks for is sent on
// the returned channel, and ends only when the test fires it. So the
// goroutine fetches exactly when the test says, however busy the machine.
func manualTimers(t *testing.T) <-chan timerRequest {
	requests := make(chan timerRequest)
	ended := make(chan struct{})
	old := jwksAfter
	jwksAfter = func(d time.Duration) <-chan time.Time {
		r := timerRequest{d, make(chan time.Time, 1)}
		select {
		case requests <- r:
		case <-ended: // the test is over; the verifier's ctx ends it
		}
		return r.fire
	}
	t.Cleanup(func() { jwksAfter = old; close(ended) })
	return requests
}

// nextWait returns the next wait the background goroutine asks for,
// failing the test if none comes within hangGuard.
func nextWait(t *testing.T, requests <-chan timerRequest) timerRequest {
	t.Helper()
	select {
	case r := <-requests:
		return r
	case <-time.After(hangGuard):
		t.Fatalf("the background goroutine asked for no wait within %s", hangGuard)
		return timerRequest{}
	}
}

// unavailable answers 503, as an issuer still starting up does.
var unavailable = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, "starting", http.StatusServiceUnavailable)
})

// onlySentinel reports whether err matches want and no other sentinel.
func onlySentinel(err, want error) bool {
	got := matchedSentinels(err)
	return len(got) == 1 && got[0] == want
}

// A verifier started without keys answers ErrKeysUnavailable, wrapping the
// last fetch's error, until the issuer is up; a guard call fetches at
// once, rate-limited on the injected clock; then tokens verify as usual.
func TestStartWithoutKeys(t *testing.T) {
	timers := manualTimers(t) // the background goroutine never fires: the guards drive
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	issuer, clk := newTestManager(t, Config{Key: webKey(1)})
	iss := newIssuerServer(t, issuer)
	iss.publish(unavailable)
	local, _ := newTestManager(t, Config{Key: webKey(2), Now: clk.Now})
	v := newWebVerifier(t, ctx, VerifierConfig{
		JWKSURL: iss.jwksURL(), StartWithoutKeys: true, MinRefetchInterval: time.Minute,
		Config: Config{Now: clk.Now, VerifyKeys: []any{webKey(2).Public()}},
	})
	if w := nextWait(t, timers); w.d != 0 {
		t.Errorf("the first background fetch waits %s, want none", w.d)
	}
	tok := mustIssue(t, issuer, "user-1").Access

	steps := []struct {
		name        string
		advance     time.Duration
		up          bool
		tok         string
		want        error
		detail      string
		wantFetches int32
		reason      string
	}{
		{"issuer down", 0, false, tok, ErrKeysUnavailable, `answered "503 Service Unavailable"`, 1, "the guard fetches at once"},
		{"again at once", 0, false, tok, ErrKeysUnavailable, `answered "503 Service Unavailable"`, 1, "rate-limited; the last error is kept"},
		{"malformed", 0, false, "not.a.token", ErrMalformed, "", 1, "known bad without keys"},
		{"a VerifyKeys key", 0, false, mustIssue(t, local, "user-2").Access, nil, "", 1, "local keys need no fetch"},
		{"issuer up, limit holds", 59 * time.Second, true, tok, ErrKeysUnavailable, "503", 1, "a minute between fetches"},
		{"limit over", time.Second, false, tok, nil, "", 2, "the keys arrive"},
		{"keys known", 0, false, tok, nil, "", 2, "as a verifier started with keys"},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		if s.up {
			iss.publish(issuer.JWKSHandler())
		}
		c, err := v.RequireAccess(ctx, s.tok)
		switch {
		case s.want == nil && (err != nil || c == nil):
			t.Errorf("%s: RequireAccess = %v, %v; want claims (%s)", s.name, c, err, s.reason)
		case s.want != nil && (c != nil || !onlySentinel(err, s.want) || !strings.Contains(err.Error(), s.detail)):
			t.Errorf("%s: RequireAccess = %v, %v; want nil and %v alone, saying %q (%s)", s.name, c, err, s.want, s.detail, s.reason)
		}
		if n := iss.fetches.Load(); n != s.wantFetches {
			t.Errorf("%s: %d fetches, want %d (%s)", s.name, n, s.wantFetches, s.reason)
		}
	}
}

// Before any fetch has ended, the error says so; a caller whose context
// ends while the fetch runs gets ErrKeysUnavailable and ctx.Err().
func TestStartWithoutKeysBeforeAnyFetch(t *testing.T) {
	manualTimers(t)
	setFetchTimeout(t, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	issuer, clk := newTestManager(t, Config{Key: webKey(1)})
	iss := newIssuerServer(t, issuer)
	arrived := stall(t, iss)
	v := newWebVerifier(t, ctx, VerifierConfig{JWKSURL: iss.jwksURL(), StartWithoutKeys: true, Config: Config{Now: clk.Now}})
	if err := v.remote.unavailable(); !onlySentinel(err, ErrKeysUnavailable) || !strings.Contains(err.Error(), "not been fetched yet") {
		t.Errorf("before any fetch: %v", err)
	}
	reqCtx, cancelReq := context.WithCancel(ctx)
	var err error
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		_, err = v.RequireAccess(reqCtx, mustIssue(t, issuer, "user-1").Access)
	}()
	if !returns(t, "waiting for the fetch to reach the issuer", func() { <-arrived }) {
		t.FailNow()
	}
	cancelReq()
	if !returns(t, "RequireAccess after its context ended", func() { <-returned }) {
		t.FailNow()
	}
	if !onlySentinel(err, ErrKeysUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("RequireAccess = %v; want ErrKeysUnavailable alone, and context.Canceled", err)
	}
}

// The background goroutine retries a failing issuer after 1 s, then twice
// as long each time, with jitter, never longer than RefreshInterval; once
// the keys come it fetches every RefreshInterval.
func TestStartWithoutKeysBackoff(t *testing.T) {
	timers := manualTimers(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	issuer, clk := newTestManager(t, Config{Key: webKey(1)})
	iss := newIssuerServer(t, issuer)
	iss.publish(unavailable)
	v := newWebVerifier(t, ctx, VerifierConfig{
		JWKSURL: iss.jwksURL(), StartWithoutKeys: true, RefreshInterval: 5 * time.Second,
		Config: Config{Now: clk.Now},
	})
	tok := mustIssue(t, issuer, "user-1").Access
	// The longest each wait may be; each is at least half that.
	for i, most := range []time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second} {
		w := nextWait(t, timers)
		if w.d > most || w.d < most/2 {
			t.Errorf("wait %d: %s, want between %s and %s", i, w.d, most/2, most)
		}
		if i == 5 {
			iss.publish(issuer.JWKSHandler())
		}
		w.fire <- time.Time{}
	}
	if w := nextWait(t, timers); w.d != 5*time.Second {
		t.Errorf("with keys: wait %s, want the RefreshInterval", w.d)
	}
	if n := iss.fetches.Load(); n != 6 {
		t.Errorf("%d fetches, want 6, one per wait", n)
	}
	if _, err := v.RequireAccess(ctx, tok); err != nil {
		t.Errorf("after the background fetch brought the keys: %v", err)
	}
}

// Cancelling NewVerifier's ctx ends the background goroutine, keys or not.
func TestVerifierGoroutineStops(t *testing.T) {
	for _, start := range []bool{false, true} {
		t.Run(fmt.Sprintf("StartWithoutKeys=%t", start), func(t *testing.T) {
			timers := manualTimers(t) // no wait ever ends: only ctx can stop the goroutine
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			issuer, clk := newTestManager(t, Config{Key: webKey(1)})
			v := newWebVerifier(t, ctx, VerifierConfig{JWKSURL: newIssuerServer(t, issuer).jwksURL(), StartWithoutKeys: start, Config: Config{Now: clk.Now}})
			nextWait(t, timers) // the goroutine is waiting
			cancel()
			returns(t, "the background goroutine, after its context ended", func() { <-v.remote.loopDone })
		})
	}
}

// A fetch a token sets off is one fetch: it does not add a periodic one.
// jwk.Cache, which fetched before, queued another periodic fetch after
// every fetch, so refetches multiplied the periodic load for good.
func TestRefetchesAddNoPeriodicFetches(t *testing.T) {
	timers := manualTimers(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	issuer, clk := newTestManager(t, Config{Key: webKey(1)})
	iss := newIssuerServer(t, issuer)
	v := newWebVerifier(t, ctx, VerifierConfig{JWKSURL: iss.jwksURL(), MinRefetchInterval: -1, Config: Config{Now: clk.Now}})
	w := nextWait(t, timers)
	outsider, _ := newTestManager(t, Config{Key: webKey(2), Now: clk.Now})
	stranger := mustIssue(t, outsider, "user-1").Access
	for range 5 {
		if _, err := v.RequireAccess(ctx, stranger); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("stranger: %v", err)
		}
	}
	if n := iss.fetches.Load(); n != 6 {
		t.Fatalf("%d fetches, want NewVerifier's and 5", n)
	}
	w.fire <- time.Time{}
	nextWait(t, timers) // the periodic fetch has ended
	if n := iss.fetches.Load(); n != 7 {
		t.Errorf("%d fetches after one period, want 7", n)
	}
}

// NewVerifier's error says what failed, naming the URL once: it used to
// repeat `failed to fetch "…"` twice, wrapped by two layers of jwk.Cache.
func TestNewVerifierFetchErrorMessage(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	down := httptest.NewServer(unavailable)
	defer down.Close()
	for _, tt := range []struct {
		url, detail string
	}{
		{closed.URL, "connection refused"},
		{down.URL, `the issuer answered "503 Service Unavailable"`},
	} {
		_, err := NewVerifier(context.Background(), VerifierConfig{JWKSURL: tt.url})
		if !onlySentinel(err, ErrInvalidConfig) {
			t.Errorf("%s: NewVerifier = %v, want ErrInvalidConfig alone", tt.url, err)
			continue
		}
		msg := err.Error()
		want := `freshtoken: invalid configuration: fetching the JWK Set at "` + tt.url + `": `
		if !strings.HasPrefix(msg, want) || !strings.Contains(msg, tt.detail) || strings.Count(msg, tt.url) != 1 || strings.Contains(msg, "failed to") {
			t.Errorf("NewVerifier error %q; want it to start %q, say %q, and name the URL once", msg, want, tt.detail)
		}
	}
}

// What NewVerifier can judge without the issuer fails at once, with
// StartWithoutKeys too.
func TestStartWithoutKeysConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  VerifierConfig
	}{
		{"plain http", VerifierConfig{JWKSURL: "http://auth.example.com/jwks.json"}},
		{"file URL", VerifierConfig{JWKSURL: "file:///etc/jwks.json"}},
		{"Flask", VerifierConfig{JWKSURL: "https://auth.example.com/jwks.json", Config: Config{Flask: &FlaskOptions{}}}},
		{"short refresh", VerifierConfig{JWKSURL: "https://auth.example.com/jwks.json", RefreshInterval: time.Millisecond}},
	} {
		tt.cfg.StartWithoutKeys = true
		if v, err := NewVerifier(context.Background(), tt.cfg); v != nil || !onlySentinel(err, ErrInvalidConfig) {
			t.Errorf("%s: NewVerifier = %v, %v; want nil, ErrInvalidConfig", tt.name, v, err)
		}
	}
}

func TestJitter(t *testing.T) {
	for _, d := range []time.Duration{0, 1, 2, time.Millisecond, time.Second, 15 * time.Minute} {
		for range 100 {
			if j := jitter(d); j < d/2 || j > d {
				t.Fatalf("jitter(%s) = %s, want between %s and %s", d, j, d/2, d)
			}
		}
	}
}
