package authtest

import (
	"io"
	"net/http"
	"testing"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/httpauth"
)

// NetHTTP is the App of httpauth's own Middleware on an http.ServeMux: the
// reference every other App's answers are compared with.
func NetHTTP(t testing.TB, s Setup) RoundTrip {
	mw, err := httpauth.New(s.Manager, s.Config)
	if err != nil {
		t.Fatal(err)
	}
	return Handler(Routes(mw, s))
}

// Routes is the application of the package doc on an http.ServeMux, for
// a router that takes net/http middleware as it is: wrap it, or rebuild
// it with the router's own methods.
func Routes(mw *httpauth.Middleware, s Setup) http.Handler {
	whoami := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, Body(httpauth.ClaimsFromContext(r.Context()), httpauth.SourceFromContext(r.Context())))
	})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		p, err := s.Manager.Issue(r.Context(), Subject, freshtoken.WithCSRF())
		answerPair(mw, s, w, r, p, err)
	})
	mux.Handle("GET /me", mw.RequireAccess(whoami))
	mux.Handle("POST /me", mw.RequireAccess(whoami))
	mux.Handle("GET /optional", mw.OptionalAccess(whoami))
	mux.Handle("POST /settings", mw.RequireFresh(whoami))
	mux.Handle("POST /recent", mw.RequireLoginWithin(LoginWithin)(whoami))
	mux.Handle("POST /refresh", mw.RequireRefresh(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.Manager.Refresh(r.Context(), httpauth.TokenFromContext(r.Context()))
		answerPair(mw, s, w, r, p, err)
	})))
	mux.Handle("POST /logout", mw.RequireRefresh(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.Manager.Logout(r.Context(), httpauth.TokenFromContext(r.Context())); err != nil {
			mw.WriteError(w, r, err)
			return
		}
		if s.Cookies {
			mw.ClearCookies(w)
		}
		w.WriteHeader(http.StatusNoContent)
	})))
	return mux
}

func answerPair(mw *httpauth.Middleware, s Setup, w http.ResponseWriter, r *http.Request, p *freshtoken.Pair, err error) {
	if err == nil && s.Cookies {
		err = mw.SetCookies(w, p)
	}
	if err == nil {
		err = httpauth.WriteTokenResponse(w, p)
	}
	if err != nil {
		mw.WriteError(w, r, err)
	}
}
