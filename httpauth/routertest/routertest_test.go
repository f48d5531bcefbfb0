package routertest_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/httpauth"
	"github.com/freshtoken/freshtoken/httpauth/authtest"
	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"
)

// handlers are authtest's handlers, the guards left to the router.
type handlers struct {
	whoami, login, refresh, logout http.HandlerFunc
}

func newHandlers(mw *httpauth.Middleware, s authtest.Setup) handlers {
	answerPair := func(w http.ResponseWriter, r *http.Request, p *freshtoken.Pair, err error) {
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
	return handlers{
		whoami: func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, authtest.Body(httpauth.ClaimsFromContext(r.Context()), httpauth.SourceFromContext(r.Context())))
		},
		login: func(w http.ResponseWriter, r *http.Request) {
			p, err := s.Manager.Issue(r.Context(), authtest.Subject, freshtoken.WithCSRF())
			answerPair(w, r, p, err)
		},
		refresh: func(w http.ResponseWriter, r *http.Request) {
			p, err := s.Manager.Refresh(r.Context(), httpauth.TokenFromContext(r.Context()))
			answerPair(w, r, p, err)
		},
		logout: func(w http.ResponseWriter, r *http.Request) {
			if err := s.Manager.Logout(r.Context(), httpauth.TokenFromContext(r.Context())); err != nil {
				mw.WriteError(w, r, err)
				return
			}
			if s.Cookies {
				mw.ClearCookies(w)
			}
			w.WriteHeader(http.StatusNoContent)
		},
	}
}

func newMiddleware(t testing.TB, s authtest.Setup) *httpauth.Middleware {
	mw, err := httpauth.New(s.Manager, s.Config)
	if err != nil {
		t.Fatal(err)
	}
	return mw
}

// TestChi: chi's r.With takes the Middleware's methods as they are.
func TestChi(t *testing.T) {
	authtest.Run(t, func(t testing.TB, s authtest.Setup) authtest.RoundTrip {
		mw := newMiddleware(t, s)
		h := newHandlers(mw, s)
		r := chi.NewRouter()
		r.Post("/login", h.login)
		r.With(mw.RequireAccess).Get("/me", h.whoami)
		r.With(mw.RequireAccess).Post("/me", h.whoami)
		r.With(mw.OptionalAccess).Get("/optional", h.whoami)
		r.With(mw.RequireFresh).Post("/settings", h.whoami)
		r.With(mw.RequireLoginWithin(authtest.LoginWithin)).Post("/recent", h.whoami)
		r.With(mw.RequireRefresh).Post("/refresh", h.refresh)
		r.With(mw.RequireRefresh).Post("/logout", h.logout)
		return authtest.Handler(r)
	})
}

// TestGorillaMux: gorilla/mux routes take the wrapped handlers, and
// Router.Use (a subrouter's, here) the Middleware's methods as they are.
func TestGorillaMux(t *testing.T) {
	authtest.Run(t, func(t testing.TB, s authtest.Setup) authtest.RoundTrip {
		mw := newMiddleware(t, s)
		h := newHandlers(mw, s)
		r := mux.NewRouter()
		r.HandleFunc("/login", h.login).Methods("POST")
		me := r.Path("/me").Subrouter()
		me.Use(mw.RequireAccess)
		me.HandleFunc("", h.whoami).Methods("GET", "POST")
		r.Handle("/optional", mw.OptionalAccess(h.whoami)).Methods("GET")
		r.Handle("/settings", mw.RequireFresh(h.whoami)).Methods("POST")
		r.Handle("/recent", mw.RequireLoginWithin(authtest.LoginWithin)(h.whoami)).Methods("POST")
		r.Handle("/refresh", mw.RequireRefresh(h.refresh)).Methods("POST")
		r.Handle("/logout", mw.RequireRefresh(h.logout)).Methods("POST")
		return authtest.Handler(r)
	})
}
