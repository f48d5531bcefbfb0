package authtest

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/freshtoken/freshtoken"
)

// hostileRow is a request no guard may let through.
type hostileRow struct {
	name   string
	build  func(*client) req
	reason string
}

// hostile sends attackers' tokens in the Authorization header: forged,
// expired, of the wrong type, garbage, huge, doubled. Each must be refused
// (never a 200, never a panic) exactly as httpauth's Middleware refuses it.
// testdata/hostile.json at the repository root covers the token rules
// themselves in the core's tests; these rows are the representative ones
// that test the middleware's path around them.
func hostile(p *pair) {
	ctx := context.Background()
	login, err := p.m.Issue(ctx, Subject)
	if err != nil {
		p.t.Fatal(err)
	}
	other := managerAt(p, key(2), t0)
	stale := managerAt(p, key(1), t0.Add(-time.Hour))
	wrongKey, err := other.Issue(ctx, Subject)
	if err != nil {
		p.t.Fatal(err)
	}
	expired, err := stale.Issue(ctx, Subject)
	if err != nil {
		p.t.Fatal(err)
	}
	h := func(method, path string, header http.Header) func(*client) req {
		return func(*client) req { return req{method: method, path: path, header: header} }
	}
	b := func(tok string) http.Header { return bearer(tok) }
	rows := []hostileRow{
		{"alg none", h("GET", "/me", b(withHeader(login.Access, `{"alg":"none","typ":"JWT"}`, nil))), "an unsecured JWT"},
		{"alg none, no signature part", h("GET", "/me", b(strings.TrimSuffix(withHeader(login.Access, `{"alg":"none"}`, nil), "."))), "two parts"},
		{"HS256 keyed with the public key", h("GET", "/me", b(withHeader(login.Access, `{"alg":"HS256","typ":"JWT"}`, []byte(key(1).Public().(ed25519.PublicKey))))), "algorithm confusion"},
		{"wrong key", h("GET", "/me", b(wrongKey.Access)), "signed by another Manager's key"},
		{"tampered payload", h("GET", "/me", b(tamper(login.Access))), "the subject changed after signing"},
		{"expired", h("GET", "/me", b(expired.Access)), "issued an hour ago"},
		{"refresh as access", h("GET", "/me", b(login.Refresh)), "a refresh token at an access endpoint"},
		{"access as refresh", h("POST", "/refresh", b(login.Access)), "an access token at the refresh endpoint"},
		{"garbage refresh", h("POST", "/refresh", b(strings.Repeat("A", 10))), "garbage at the refresh endpoint"},
		{"garbage", h("GET", "/me", b("garbage")), "no JWT at all"},
		{"three empty parts", h("GET", "/me", b("..")), ""},
		{"huge", h("GET", "/me", b(strings.Repeat("A", 16<<10))), "beyond freshtoken.DefaultMaxTokenSize"},
		{"two Authorization headers", h("GET", "/me", http.Header{"Authorization": {"Bearer " + login.Access, "Bearer " + login.Access}}), "no telling which is meant"},
		{"two tokens in one header", h("GET", "/me", http.Header{"Authorization": {"Bearer " + login.Access + " " + login.Access}}), ""},
		{"empty bearer", h("GET", "/me", http.Header{"Authorization": {"Bearer "}}), ""},
		{"not credentials", h("GET", "/me", http.Header{"Authorization": {"{}"}}), ""},
		{"another scheme", h("GET", "/me", http.Header{"Authorization": {"JWT " + login.Access}}), "the token, with the wrong scheme"},
		{"fresh-only, wrong key", h("POST", "/settings", b(wrongKey.Access)), ""},
		{"recent login, expired", h("POST", "/recent", b(expired.Access)), ""},
	}
	refuseAll(p, rows)
}

// hostileCookies sends attackers' cookies.
func hostileCookies(p *pair) {
	ctx := context.Background()
	login, err := p.m.Issue(ctx, Subject, freshtoken.WithCSRF())
	if err != nil {
		p.t.Fatal(err)
	}
	wrongKey, err := managerAt(p, key(2), t0).Issue(ctx, Subject, freshtoken.WithCSRF())
	if err != nil {
		p.t.Fatal(err)
	}
	c := func(method, path string, cookie ...string) func(*client) req {
		return func(*client) req {
			return req{method: method, path: path, header: http.Header{"Cookie": cookie, "X-Csrf-Token": {login.AccessCSRF}}}
		}
	}
	rows := []hostileRow{
		{"two access cookies", c("GET", "/me", "access_token_cookie="+login.Access, "access_token_cookie="+login.Access), "a tossed cookie beside the real one"},
		{"two access cookies in one line", c("GET", "/me", "access_token_cookie="+login.Access+"; access_token_cookie="+login.Access), ""},
		{"wrong key", c("GET", "/me", "access_token_cookie="+wrongKey.Access), ""},
		{"alg none", c("GET", "/me", "access_token_cookie="+withHeader(login.Access, `{"alg":"none"}`, nil)), ""},
		{"refresh token in the access cookie", c("GET", "/me", "access_token_cookie="+login.Refresh), ""},
		{"garbage", c("GET", "/me", "access_token_cookie=garbage"), ""},
		{"CSRF of another login", func(*client) req {
			return req{method: "POST", path: "/me", header: http.Header{"Cookie": {"access_token_cookie=" + login.Access}, "X-Csrf-Token": {wrongKey.AccessCSRF}}}
		}, "the header must repeat this token's value"},
		{"two CSRF headers", func(*client) req {
			return req{method: "POST", path: "/me", header: http.Header{"Cookie": {"access_token_cookie=" + login.Access}, "X-Csrf-Token": {login.AccessCSRF, login.AccessCSRF}}}
		}, ""},
	}
	refuseAll(p, rows)
}

func refuseAll(p *pair, rows []hostileRow) {
	for _, row := range rows {
		ref := p.ref.do(p.t, row.build(p.ref))
		got := p.step(row.name, want{status: ref.Status}, row.build)
		if got.Status == http.StatusOK || got.Status == 0 || ref.Status == http.StatusOK {
			p.t.Errorf("%s: answered %d (httpauth: %d); want a refusal (%s)", row.name, got.Status, ref.Status, row.reason)
		}
	}
}

// storeDown is a Manager whose revocation store fails: 503 with Retry-After.
func storeDown(p *pair) {
	p.step("login", want{status: 200}, plain("POST", "/login"))
	p.step("store down", refused(503, "temporarily_unavailable"), withAccess("GET", "/me"))
}

// brokenStore fails every call, as a store that cannot be reached does.
type brokenStore struct{}

var errDown = errors.New("connection refused")

func (brokenStore) Revoke(context.Context, time.Time, string, time.Time) error { return errDown }
func (brokenStore) RevokeBefore(context.Context, time.Time, string, time.Time) error {
	return errDown
}
func (brokenStore) Lookup(context.Context, time.Time, string, string, string) (bool, time.Time, error) {
	return false, time.Time{}, errDown
}
func (brokenStore) Redeem(context.Context, time.Time, string, string, time.Time, time.Duration) (bool, error) {
	return false, errDown
}

// managerAt is a Manager with key k whose clock stands at now.
func managerAt(p *pair, k any, now time.Time) *freshtoken.Manager {
	m, err := freshtoken.New(freshtoken.Config{Key: k, Now: func() time.Time { return now }})
	if err != nil {
		p.t.Fatal(err)
	}
	return m
}

var b64 = base64.RawURLEncoding

// withHeader gives tok the JOSE header hdr; with hmacKey, an HS256
// signature made with it, else an empty signature.
func withHeader(tok, hdr string, hmacKey []byte) string {
	parts := strings.Split(tok, ".")
	signing := b64.EncodeToString([]byte(hdr)) + "." + parts[1]
	if hmacKey == nil {
		return signing + "."
	}
	mac := hmac.New(sha256.New, hmacKey)
	mac.Write([]byte(signing))
	return signing + "." + b64.EncodeToString(mac.Sum(nil))
}

// tamper changes the token's subject and keeps its signature.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	payload, _ := b64.DecodeString(parts[1])
	var claims map[string]any
	json.Unmarshal(payload, &claims)
	claims["sub"] = "admin"
	payload, _ = json.Marshal(claims)
	parts[1] = b64.EncodeToString(payload)
	return strings.Join(parts, ".")
}
