package freshtoken_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/freshtoken/freshtoken"
)

// TestMiddlewareStoreDown checks over real HTTP that a guard whose store
// fails answers 503 without a challenge: the token is not known to be bad.
func TestMiddlewareStoreDown(t *testing.T) {
	good := must(freshtoken.New(freshtoken.Config{Key: exampleKey()}))
	login := must(good.Issue(context.Background(), "alice"))
	m := must(freshtoken.New(freshtoken.Config{Key: exampleKey(), Store: brokenStore{}}))
	mw := must(freshtoken.NewMiddleware(m, freshtoken.MiddlewareConfig{Realm: "api"}))
	srv := httptest.NewServer(mw.RequireAccess(http.NotFoundHandler()))
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Authorization", "Bearer "+login.Access)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	got := [3]string{res.Status, res.Header.Get("WWW-Authenticate"), string(body)}
	want := [3]string{"503 Service Unavailable", "", `{"error":"temporarily_unavailable","error_description":"The token cannot be checked right now; try again later"}` + "\n"}
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
