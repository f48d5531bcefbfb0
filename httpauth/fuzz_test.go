package httpauth

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/freshtoken/freshtoken"
)

// fuzzManager returns a Manager with a fixed key and a clock stopped at t0,
// and tokens of each kind to seed the corpus with (as freshtoken's own fuzz
// tests do).
func fuzzManager(f *testing.F) (*freshtoken.Manager, ed25519.PublicKey, *freshtoken.Pair, *freshtoken.Pair) {
	f.Helper()
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	m, _ := newTestManager(f, freshtoken.Config{Key: key})
	ctx := context.Background()
	login, err := m.Issue(ctx, "user-42", freshtoken.WithClaims(map[string]any{"role": "admin"}), freshtoken.WithCSRF())
	if err != nil {
		f.Fatal(err)
	}
	refreshed, err := m.Refresh(ctx, login.Refresh)
	if err != nil {
		f.Fatal(err)
	}
	return m, key.Public().(ed25519.PublicKey), login, refreshed
}

// FuzzBearerToken feeds arbitrary Authorization headers to BearerToken:
// it returns exactly one token of RFC 6750's b64token syntax taken from a
// Bearer header, or an error of exactly one class, and never panics.
func FuzzBearerToken(f *testing.F) {
	_, _, login, _ := fuzzManager(f)
	for _, s := range []string{
		"Bearer " + login.Access, "bearer " + login.Access, "BEARER   " + login.Access,
		"Bearer", "Bearer ", "Bearer a b", "Bearer\t" + login.Access, "Basic dXNlcjpwYXNz",
		" Bearer x", "Bearer x==", "Bearer =", "Bearer x=y", "Bearer, Basic x", "Bearer \x00",
		"Bearer " + login.Access + "\r\n", "Beärer x", "",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, value string, twice bool) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["Authorization"] = []string{value}
		if twice {
			r.Header["Authorization"] = append(r.Header["Authorization"], "Bearer x")
		}
		tok, err := BearerToken(r)
		if err != nil {
			if tok != "" {
				t.Fatalf("BearerToken(%q) = %q with error %v", value, tok, err)
			}
			if errors.Is(err, ErrNoToken) == errors.Is(err, freshtoken.ErrMalformed) {
				t.Fatalf("BearerToken(%q): %v is not exactly one of ErrNoToken and ErrMalformed", value, err)
			}
			return
		}
		scheme, rest, ok := strings.Cut(value, " ")
		switch {
		case twice:
			t.Fatalf("BearerToken accepted two Authorization headers")
		case !ok || !strings.EqualFold(scheme, "Bearer"):
			t.Fatalf("BearerToken(%q) = %q, but the scheme is not Bearer", value, tok)
		case tok != strings.TrimLeft(rest, " "):
			t.Fatalf("BearerToken(%q) = %q, not the rest of the header", value, tok)
		case tok == "" || strings.ContainsAny(tok, " \t\r\n,\x00"):
			t.Fatalf("BearerToken(%q) = %q, not a single token", value, tok)
		}
	})
}

// FuzzMiddleware feeds arbitrary methods, cookies, CSRF and Authorization
// headers to a Middleware that reads cookies first and the header second.
// It never panics and never answers 5xx; a request it lets through carries
// a token the key signed, and when that token came from a cookie on an
// unsafe method, the CSRF header matched the token's csrf claim.
// OptionalAccess answers every request with a token as RequireAccess does,
// and lets one through without claims only when it holds no token at all.
func FuzzMiddleware(f *testing.F) {
	m, pub, login, refreshed := fuzzManager(f)
	mw, err := New(m, Config{Sources: []Source{FromCookie, FromHeader}})
	if err != nil {
		f.Fatal(err)
	}
	claims, err := m.RequireAccess(context.Background(), login.Access)
	if err != nil {
		f.Fatal(err)
	}
	csrf := claims.CSRF
	cookie := "access_token_cookie=" + login.Access
	for _, s := range [][4]string{
		{"POST", cookie, csrf, ""},
		{"POST", cookie, csrf + "x", ""},
		{"POST", cookie, "", ""},
		{"GET", cookie, "", ""},
		{"DELETE", cookie + "; " + cookie, csrf, ""},
		{"POST", "access_token_cookie=" + refreshed.Refresh, csrf, ""},
		{"POST", "", "", "Bearer " + login.Access},
		{"PUT", "access_token_cookie=", csrf, "Bearer " + refreshed.Access},
		{"PATCH", "access_token_cookie=\"" + login.Access + "\"", csrf, ""},
		{"get", cookie, "", ""},
		{"GET", "", "", "Bearer abc"},
		{"GET", "", "", "JWT " + login.Access},
		{"POST", "access_token_cookie=abc", "", ""},
		{"OPTIONS", "", "", "Basic dXNlcjpwYXNz"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, method, cookies, csrfHeader, authorization string) {
		r, err := http.NewRequest(method, "http://example.com/", nil)
		if err != nil {
			return // not a method net/http would hand to a handler
		}
		r.Header.Set("Cookie", cookies)
		r.Header.Set("X-CSRF-TOKEN", csrfHeader)
		r.Header.Set("Authorization", authorization)
		var got *freshtoken.Claims
		var gotToken string
		ran := false
		h := mw.RequireAccess(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got, gotToken = ClaimsFromContext(r.Context()), TokenFromContext(r.Context())
		}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		opt := mw.OptionalAccess(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ran = true
			if c := ClaimsFromContext(r.Context()); c == nil {
				io.WriteString(w, "anonymous")
			}
		}))
		optRec := httptest.NewRecorder()
		opt.ServeHTTP(optRec, r)
		checkOptional(t, r, rec, optRec, ran)
		switch {
		case rec.Code >= 500:
			t.Fatalf("%s with cookies %q, CSRF %q, Authorization %q: status %d", method, cookies, csrfHeader, authorization, rec.Code)
		case rec.Code != http.StatusOK:
			if got != nil {
				t.Fatalf("status %d, but the handler ran", rec.Code)
			}
			return
		case got == nil || got.Type != freshtoken.AccessToken:
			t.Fatalf("status 200 with claims %+v", got)
		}
		parts := strings.Split(gotToken, ".")
		sig, derr := base64.RawURLEncoding.DecodeString(parts[len(parts)-1])
		if len(parts) != 3 || derr != nil || !ed25519.Verify(pub, []byte(parts[0]+"."+parts[1]), sig) {
			t.Fatalf("let %q through, which the key did not sign", gotToken)
		}
		if c, _ := cookieToken(netRequest{r}, "access_token_cookie"); c == gotToken && !safeMethod(r.Method) && csrfHeader != got.CSRF {
			t.Fatalf("%s from a cookie with CSRF header %q let through; the token's claim is %q", r.Method, csrfHeader, got.CSRF)
		}
	})
}

// checkOptional holds OptionalAccess's answer (opt) to RequireAccess's
// (req) for the same request: an anonymous pass only where neither the
// cookie nor the header held anything but "no token", and otherwise the
// same answer.
func checkOptional(t *testing.T, r *http.Request, req, opt *httptest.ResponseRecorder, ran bool) {
	t.Helper()
	cookie, cerr := cookieToken(netRequest{r}, "access_token_cookie")
	header, herr := bearerToken(r.Header["Authorization"])
	absent := cookie == "" && cerr == nil && header == "" && (herr == nil || errors.Is(herr, ErrNoToken))
	switch {
	case opt.Body.String() == "anonymous" && !absent:
		t.Fatalf("OptionalAccess let a request through anonymously with cookie %q (%v), header token %q (%v)", cookie, cerr, header, herr)
	case absent && (!ran || opt.Body.String() != "anonymous"):
		t.Fatalf("OptionalAccess refused a request without a token: status %d", opt.Code)
	case !absent && (opt.Code != req.Code || opt.Header().Get("WWW-Authenticate") != req.Header().Get("WWW-Authenticate")):
		t.Fatalf("OptionalAccess answered %d %q, RequireAccess %d %q", opt.Code, opt.Header().Get("WWW-Authenticate"), req.Code, req.Header().Get("WWW-Authenticate"))
	}
}
