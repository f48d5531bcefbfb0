package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/freshtoken/freshtoken/examples/server/api"
	"github.com/google/go-cmp/cmp"
)

// The cookies the app sets, by their default names.
const (
	accessCookie  = "access_token_cookie"
	refreshCookie = "refresh_token_cookie"
	accessCSRF    = "csrf_access_token"
	refreshCSRF   = "csrf_refresh_token"
)

// TestBrowserFlow walks the page through a whole session in Chromium: log in
// with the form, change the email while the login is fresh, refuse a form
// posted from another origin, refresh silently once the access token has
// expired, ask for the password again before the next change, end the
// browser's earlier session from the list of sessions, and log out.
// Each step saves a screenshot.
func TestBrowserFlow(t *testing.T) {
	begin := time.Now()
	f := &flow{t: t, app: startApp(t), ctx: newBrowser(t), shots: newScreenshots(t)}
	f.login()
	f.changeEmailWhileFresh()
	f.formFromAnotherOrigin()
	f.silentRefresh()
	f.changeEmailNeedsPassword()
	f.endOtherSession()
	f.logout()
	f.refreshCookieTravelsOnlyToItsPath()
	t.Logf("the browser flow took %v", time.Since(begin).Round(time.Millisecond))
}

// flow is one browser session against one app.
type flow struct {
	t     *testing.T
	app   *app
	ctx   context.Context
	shots *screenshots
}

// do runs the browser actions of one step. When one fails, it saves a
// screenshot of the page as it was, if the browser still answers, and
// fails the test with the step's name.
func (f *flow) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	f.t.Helper()
	err := chromedp.Do(f.ctx, actions...)
	if err == nil {
		return
	}
	if path, shotErr := f.shots.save(f.ctx, "failed"); shotErr == nil {
		f.t.Logf("screenshot of the failure: %s", path)
	}
	f.t.Fatalf("%s: %v", step, err)
}

// login logs in with the form and checks which cookies page scripts can
// read, and how the browser keeps them.
func (f *flow) login() {
	t := f.t
	f.do("open the page", chromedp.Navigate(f.app.url+"/app/"), chromedp.WaitVisible(chromedp.ID("login-form")))
	f.shots.take(f.ctx, "login-form")
	f.do("log in",
		logIn(),
		chromedp.WaitVisible(chromedp.ID("profile")),
		waitText("p-email", "demo@example.com"),
		waitText("p-fresh", "yes"),
	)
	f.shots.take(f.ctx, "logged-in")

	script, err := chromedp.Run(f.ctx, chromedp.Evaluate[string]("document.cookie"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range strings.Split(script, "; ") {
		name, _, _ := strings.Cut(c, "=")
		seen[name] = true
	}
	want := map[string]bool{accessCSRF: true, refreshCSRF: true}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("document.cookie = %q: page scripts must read the CSRF cookies and not the token cookies (-want +got):\n%s", script, diff)
	}

	type attrs struct {
		Path                      string
		HTTPOnly, Secure, Session bool
	}
	got := map[string]attrs{}
	for name, c := range browserCookies(t, f.ctx) {
		got[name] = attrs{c.Path, c.HTTPOnly, c.Secure, c.Session}
	}
	wantAttrs := map[string]attrs{
		accessCookie:  {"/", true, true, true},
		refreshCookie: {"/app/auth/", true, true, true},
		accessCSRF:    {"/", false, true, true},
		refreshCSRF:   {"/", false, true, true},
	}
	if diff := cmp.Diff(wantAttrs, got); diff != "" {
		t.Errorf("the browser keeps the cookies as %+v, want %+v: HttpOnly tokens, Secure and session cookies, the refresh cookie on /app/auth/ only (-want +got):\n%s", got, wantAttrs, diff)
	}
}

// logIn fills in the login form and submits it.
func logIn() chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("login-button")),
	)
}

// changeEmail fills in the email form and submits it.
func changeEmail(email string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.SetValue(chromedp.ID("new-email"), email),
		chromedp.Click(chromedp.ID("email-button")),
	)
}

func (f *flow) changeEmailWhileFresh() {
	f.do("change the email while fresh",
		changeEmail("fresh@example.com"),
		waitText("status", "Email changed."),
		waitText("p-email", "fresh@example.com"),
	)
	f.shots.take(f.ctx, "email-changed-while-fresh")
	if got := f.app.email(f.t); got != "fresh@example.com" {
		f.t.Errorf("after the change the server has email %q, want fresh@example.com", got)
	}
}

// formFromAnotherOrigin opens a page of another origin that posts a form to
// the change-email endpoint, with a body the endpoint would accept. The
// other origin is localhost on another port: the same site, so SameSite=Lax
// does not keep the cookies back, and only the CSRF header stops it.
func (f *flow) formFromAnotherOrigin() {
	t := f.t
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, crossOriginPage, f.app.url+"/app/change-email")
	}))
	t.Cleanup(evil.Close)
	evilURL := localhost(evil.URL)

	mark := f.app.rec.mark()
	f.do("post a form from another origin",
		chromedp.Navigate(evilURL),
		waitUntil(`document.body.dataset.answered === "yes"`),
	)
	f.shots.take(f.ctx, "form-from-another-origin-refused")

	var posts []exchange
	for _, e := range f.app.rec.since(mark) {
		if e.Path == "/app/change-email" {
			posts = append(posts, e)
		}
	}
	if len(posts) != 1 {
		t.Fatalf("the app saw %d requests to /app/change-email from the other origin, want 1: %+v", len(posts), posts)
	}
	if p := posts[0]; p.Origin != evilURL || !p.has(accessCookie) || p.Status != http.StatusForbidden {
		t.Errorf("the form's request: %+v; want Origin %s, the access cookie sent along (same site), and 403 from the CSRF check", p, evilURL)
	}
	if got := f.app.email(t); got != "fresh@example.com" {
		t.Errorf("after the cross-origin form the server has email %q, want it unchanged (fresh@example.com)", got)
	}
}

// crossOriginPage posts a form into a frame as soon as it loads. The
// text/plain body, {"email":"attacker@example.com"}= and a line break, is
// JSON the endpoint would decode; the frame's load event says the answer
// came.
const crossOriginPage = `<!doctype html>
<title>another origin</title>
<h1>Another origin</h1>
<p>This page posts a form to the app's change-email endpoint as it loads. Below, the app's answer:</p>
<form id="f" method="POST" action="%s" enctype="text/plain" target="answer">
<input type="hidden" name='{"email":"attacker@example.com"}' value="">
</form>
<iframe name="answer" title="the app's answer" width="600" height="120"></iframe>
<script>
document.querySelector("iframe").addEventListener("load", () => { document.body.dataset.answered = "yes"; });
document.getElementById("f").submit();
</script>
`

// silentRefresh moves the server's clock past the access token's expiry and
// reloads the profile: the page must refresh and retry without a word.
func (f *flow) silentRefresh() {
	t := f.t
	f.do("back to the app",
		chromedp.Navigate(f.app.url+"/app/"),
		chromedp.WaitVisible(chromedp.ID("profile")),
		waitText("p-fresh", "yes"),
	)
	f.app.clock.Advance(accessTTL + time.Minute)
	mark := f.app.rec.mark()
	f.do("reload the profile after the access token expired",
		chromedp.Click(chromedp.ID("reload")),
		waitText("p-fresh", "no"),
		waitText("p-email", "fresh@example.com"),
	)
	f.shots.take(f.ctx, "refreshed-silently")

	type call struct {
		Method, Path string
		Status       int
		Challenge    string
	}
	var got []call
	for _, e := range f.app.rec.since(mark) {
		got = append(got, call{e.Method, e.Path, e.Status, e.Challenge})
	}
	want := []call{
		{"GET", "/app/profile", 401, `Bearer realm="example", error="invalid_token", error_description="The token expired"`},
		{"POST", "/app/auth/refresh", 204, ""},
		{"GET", "/app/profile", 200, ""},
		{"GET", "/app/sessions", 200, ""}, // the list under the profile, once the profile is shown
	}
	if len(got) == len(want)-1 {
		// The page asks for the list after showing the profile, which the
		// step waited for; the request may still be on its way.
		want = want[:len(want)-1]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the page's requests: %+v, want %+v: the expired token answered 401 expired, one refresh, one retry (-want +got):\n%s", got, want, diff)
	}
}

// changeEmailNeedsPassword changes the email with the refreshed, not fresh,
// access token: the page must ask for the password, log in again and then
// make the change.
func (f *flow) changeEmailNeedsPassword() {
	t := f.t
	f.do("change the email with a refreshed token",
		changeEmail("again@example.com"),
		chromedp.WaitVisible(chromedp.ID("reauth-form")),
	)
	f.shots.take(f.ctx, "password-asked-again")
	if got := f.app.email(t); got != "fresh@example.com" {
		t.Errorf("before the password was entered again the server has email %q, want fresh@example.com", got)
	}
	f.do("enter the password again",
		chromedp.SendKeys(chromedp.ID("reauth-password"), password),
		chromedp.Click(chromedp.ID("reauth-button")),
		chromedp.WaitVisible(chromedp.ID("profile")),
		waitText("p-email", "again@example.com"),
		waitText("p-fresh", "yes"),
	)
	f.shots.take(f.ctx, "email-changed-after-login")
	if got := f.app.email(t); got != "again@example.com" {
		t.Errorf("after logging in again the server has email %q, want again@example.com", got)
	}
}

// endOtherSession ends, from the list under the profile, a session of an
// earlier login of the browser, which the login before the last email
// change replaced: that login was fresh, so no password is asked.
func (f *flow) endOtherSession() {
	t := f.t
	const others = `[...document.querySelectorAll("#sessions button.end-session")].filter((b) => b.textContent === "End")`
	f.do("wait for the list of sessions",
		waitUntil(others+`.length >= 1`),
	)
	mark := f.app.rec.mark()
	f.do("end the other session",
		waitUntil(`(() => { const b = `+others+`[0]; if (!b) return false; document.getElementById("sessions").dataset.ended = b.dataset.id; b.click(); return true; })()`),
		waitText("status", "Session ended."),
		waitUntil(`[...document.querySelectorAll("#sessions button.end-session")].every((b) => b.dataset.id !== document.getElementById("sessions").dataset.ended)`),
	)
	f.shots.take(f.ctx, "other-session-ended")
	ended := false
	for _, e := range f.app.rec.since(mark) {
		if e.Method == http.MethodDelete && strings.HasPrefix(e.Path, "/app/sessions/") {
			ended = e.Status == http.StatusNoContent
		}
	}
	if !ended {
		t.Errorf("ending the other session made the requests %+v, want a DELETE /app/sessions/{id} answered 204", f.app.rec.since(mark))
	}
}

// logout logs out and checks that the browser keeps no cookie of the app.
func (f *flow) logout() {
	t := f.t
	mark := f.app.rec.mark()
	f.do("log out",
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		waitText("status", "Logged out."),
	)
	f.shots.take(f.ctx, "logged-out")
	if got := f.app.rec.since(mark); len(got) != 1 || got[0].Path != "/app/auth/logout" || got[0].Status != http.StatusNoContent {
		t.Errorf("logging out made the requests %+v, want one POST /app/auth/logout answered 204", got)
	}
	if left := browserCookies(t, f.ctx); len(left) != 0 {
		names := make([]string, 0, len(left))
		for name := range left {
			names = append(names, name)
		}
		t.Errorf("after logout the browser still keeps the cookies %v, want none", names)
	}
}

// refreshCookieTravelsOnlyToItsPath checks, over every request of the
// session, that the refresh cookie came to /app/auth/ and nowhere else,
// while the access cookie came to the profile.
func (f *flow) refreshCookieTravelsOnlyToItsPath() {
	var profiles, refreshes int
	for _, e := range f.app.rec.since(0) {
		if e.has(refreshCookie) && !strings.HasPrefix(e.Path, "/app/auth/") {
			f.t.Errorf("the refresh cookie came with %s %s; it must travel only to /app/auth/", e.Method, e.Path)
		}
		if e.Path == "/app/profile" && e.has(accessCookie) {
			profiles++
		}
		if e.Path == "/app/auth/refresh" && e.has(refreshCookie) {
			refreshes++
		}
	}
	if profiles == 0 || refreshes == 0 {
		f.t.Errorf("%d profile requests carried the access cookie and %d refreshes the refresh cookie; want some of each", profiles, refreshes)
	}
}

// TestSecureCookiesOverPlainHTTP shows why the app's cookies are Secure and
// when api.Config.InsecureCookies (-insecure-cookies) is needed. Over plain
// http to a host that is not localhost (app.test, which Chromium is told to
// find on 127.0.0.1), Chromium drops Secure cookies, so anyone on the path
// never sees them sent; the page tells the user why the login did not
// stick. An app with InsecureCookies works there, and its cookies travel
// in the clear.
func TestSecureCookiesOverPlainHTTP(t *testing.T) {
	ctx := newBrowser(t, chromedp.Flag("host-resolver-rules", "MAP app.test 127.0.0.1"))
	f := &flow{t: t, app: startApp(t), ctx: ctx, shots: newScreenshots(t)}
	f.do("log in over http://app.test with Secure cookies",
		chromedp.Navigate(onHost(f.app.url, "app.test")+"/app/"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		logIn(),
		waitText("login-error", "Logged in, but the browser kept no cookie: open the page over https or on localhost, or start the server with -insecure-cookies."),
	)
	f.shots.take(ctx, "secure-cookies-dropped-over-http")
	if kept := browserCookies(t, ctx); len(kept) != 0 {
		t.Errorf("over plain http to app.test the browser kept %d cookies, want none: they are Secure", len(kept))
	}

	insecure := startAppWith(t, api.Config{InsecureCookies: true})
	f.do("log in over http://app.test with InsecureCookies",
		chromedp.Navigate(onHost(insecure.url, "app.test")+"/app/"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		logIn(),
		chromedp.WaitVisible(chromedp.ID("profile")),
		waitText("p-email", "demo@example.com"),
	)
	f.shots.take(ctx, "insecure-cookies-kept-over-http")
}
