package api

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// sessionsOf returns the sessions a GET /sessions answered.
func sessionsOf(t *testing.T, r result) []map[string]any {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("GET /sessions: got %+v, want 200", r)
	}
	raw, _ := r.Body["sessions"].([]any)
	out := make([]map[string]any, len(raw))
	for i, s := range raw {
		out[i], _ = s.(map[string]any)
	}
	return out
}

func sessionIDs(list []map[string]any) []string {
	out := []string{}
	for _, s := range list {
		out = append(out, s["id"].(string))
	}
	return out
}

// TestSessions walks "where am I logged in" with bearer tokens: two
// logins, the list with its labels and the current one marked, ending the
// other (which needs a fresh login), an ID that is not the caller's, and
// ending one's own session.
func TestSessions(t *testing.T) {
	srv, clk := startServer(t)
	creds := map[string]string{"username": "demo", "password": "demo-password"}
	laptop, laptopRefresh := tokens(t, call(t, srv, "POST", "/login", "", creds))
	clk.Advance(time.Minute)
	_, phoneRefresh := tokens(t, call(t, srv, "POST", "/login", "", creds))

	list := sessionsOf(t, call(t, srv, "GET", "/sessions", laptop, nil))
	if len(list) != 2 {
		t.Fatalf("got %d sessions, want 2: %v", len(list), list)
	}
	phoneID, laptopID := list[0]["id"].(string), list[1]["id"].(string)
	want := []map[string]any{
		{
			"id": phoneID, "login_at": login.Add(time.Minute).Format(time.RFC3339), "ends_at": login.Add(time.Minute + 30*24*time.Hour).Format(time.RFC3339),
			"labels": map[string]any{"user_agent": "Go-http-client/1.1", "ip": "127.0.0.1"}, "current": false,
		},
		{
			"id": laptopID, "login_at": login.Format(time.RFC3339), "ends_at": login.Add(30 * 24 * time.Hour).Format(time.RFC3339),
			"labels": map[string]any{"user_agent": "Go-http-client/1.1", "ip": "127.0.0.1"}, "current": true,
		},
	}
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("GET /sessions, the newest first (-want +got):\n%s", diff)
	}

	clk.Advance(16 * time.Minute) // both access tokens expire
	laptop, _ = tokens(t, call(t, srv, "POST", "/refresh", laptopRefresh, nil))
	list = sessionsOf(t, call(t, srv, "GET", "/sessions", laptop, nil))
	if got := list[1]["last_refresh_at"]; got != clk.Now().Format(time.RFC3339) {
		t.Errorf("last_refresh_at after a refresh: got %v, want %v", got, clk.Now().Format(time.RFC3339))
	}

	steps := []struct {
		name, reason  string
		method, path  string
		token         string
		wantStatus    int
		wantErrorCode string
	}{
		{"list without a token", "", "GET", "/sessions", "", 401, ""},
		{"end another with a refreshed token", "a stolen token must not end the owner's sessions", "DELETE", "/sessions/" + phoneID, laptop, 401, "insufficient_user_authentication"},
		{"end an unknown ID", "IDs are looked up among the caller's sessions only", "DELETE", "/sessions/not-a-session", "", 404, "not_found"},
		{"end another with a fresh token", "", "DELETE", "/sessions/" + phoneID, "", 204, ""},
		{"end it again", "an ended session is no longer the caller's", "DELETE", "/sessions/" + phoneID, "", 404, "not_found"},
		{"end one's own with a refreshed token", "a logout needs no fresh login", "DELETE", "/sessions/" + laptopID, laptop, 204, ""},
	}
	fresh, _ := tokens(t, call(t, srv, "POST", "/login", "", creds))
	for _, s := range steps {
		tok := s.token
		if tok == "" && s.name != "list without a token" {
			tok = fresh
		}
		got := call(t, srv, s.method, s.path, tok, nil)
		code, _ := got.Body["error"].(string)
		if got.Status != s.wantStatus || (s.wantErrorCode != "" && code != s.wantErrorCode && !strings.Contains(got.Challenge, s.wantErrorCode)) {
			t.Errorf("%s: got %d %v %q, want %d %q (%s)", s.name, got.Status, got.Body, got.Challenge, s.wantStatus, s.wantErrorCode, s.reason)
		}
	}
	if got := call(t, srv, "POST", "/refresh", phoneRefresh, nil); got.Status != 401 {
		t.Errorf("the ended phone session's refresh token: got %d, want 401", got.Status)
	}
	if got := call(t, srv, "GET", "/profile", laptop, nil); got.Status != 401 {
		t.Errorf("the laptop's token after ending its own session: got %d, want 401", got.Status)
	}
	if got := sessionIDs(sessionsOf(t, call(t, srv, "GET", "/sessions", fresh, nil))); len(got) != 1 {
		t.Errorf("sessions left: %q, want only the last login's", got)
	}
}

// TestSessionsBrowser lists and ends sessions from the page: the cookies
// carry the token, a DELETE needs the CSRF header, and ending the page's
// own session deletes its cookies.
func TestSessionsBrowser(t *testing.T) {
	srv, clk := startServer(t)
	j := jar{}
	jsonType := map[string]string{"Content-Type": "application/json", "User-Agent": "Mozilla/5.0 (test page)"}
	if got, _ := browse(t, srv, j, "POST", "/app/login", `{"username":"demo","password":"demo-password"}`, jsonType); got.Status != 204 {
		t.Fatalf("login: %+v", got)
	}
	clk.Advance(time.Second)
	other, _ := tokens(t, call(t, srv, "POST", "/login", "", map[string]string{"username": "demo", "password": "demo-password"}))
	got, _ := browse(t, srv, j, "GET", "/app/sessions", "", nil)
	list := sessionsOf(t, got)
	if len(list) != 2 || list[1]["current"] != true || list[1]["labels"].(map[string]any)["user_agent"] != "Mozilla/5.0 (test page)" {
		t.Fatalf("the page's list: %v", list)
	}
	otherID, ownID := list[0]["id"].(string), list[1]["id"].(string)

	if got, _ := browse(t, srv, j, "DELETE", "/app/sessions/"+otherID, "", nil); got.Status != 403 {
		t.Errorf("DELETE without the CSRF header: got %d, want 403", got.Status)
	}
	csrf := map[string]string{"X-CSRF-TOKEN": j["csrf_access_token"].Value}
	if got, _ := browse(t, srv, j, "DELETE", "/app/sessions/"+otherID, "", csrf); got.Status != 204 {
		t.Errorf("DELETE of another session from a fresh login: got %+v, want 204", got)
	}
	if got := call(t, srv, "GET", "/profile", other, nil); got.Status != 401 {
		t.Errorf("the session ended from the page: got %d, want 401", got.Status)
	}
	got, set := browse(t, srv, j, "DELETE", "/app/sessions/"+ownID, "", csrf)
	if got.Status != 204 || len(set) == 0 {
		t.Errorf("DELETE of the page's own session: got %d and cookies %q, want 204 and the cookies deleted", got.Status, set)
	}
	if _, ok := j["access_token_cookie"]; ok {
		t.Error("the access cookie is still there after the page ended its own session")
	}
}
