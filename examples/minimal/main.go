package main

import (
	"fmt"
	"log"
	"net/http"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/httpauth"
)

func main() {
	key, err := freshtoken.LoadOrCreateKey("freshtoken-key.pem", "EdDSA") // made on first run, mode 0600
	if err != nil {
		log.Fatal(err)
	}
	m, err := freshtoken.New(freshtoken.Config{Key: key})
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe("localhost:8080", routes(m)))
}

func routes(m *freshtoken.Manager) http.Handler {
	mw, err := httpauth.New(m, httpauth.Config{Realm: "example"})
	if err != nil {
		panic(err) // only a bad httpauth.Config fails
	}
	answer := func(w http.ResponseWriter, r *http.Request, pair *freshtoken.Pair, err error) {
		if err != nil {
			mw.WriteError(w, r, err) // 401 with a challenge, or 503 when the store is down
			return
		}
		httpauth.WriteTokenResponse(w, pair) // access_token, token_type, expires_in, refresh_token
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("password") != "demo-password" { // check the user's real password here
			http.Error(w, "wrong user or password", http.StatusUnauthorized)
			return
		}
		pair, err := m.Issue(r.Context(), r.FormValue("user")) // a fresh access token + a refresh token
		answer(w, r, pair, err)
	})
	mux.Handle("POST /refresh", mw.RequireRefresh(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pair, err := m.Refresh(r.Context(), httpauth.TokenFromContext(r.Context())) // not fresh
		answer(w, r, pair, err)
	})))
	mux.Handle("GET /me", mw.RequireAccess(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello", httpauth.ClaimsFromContext(r.Context()).Subject)
	})))
	mux.Handle("POST /password", mw.RequireFresh(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "password changed") // a refreshed token gets 401: log in again
	})))
	mux.Handle("POST /logout", mw.RequireAccess(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := m.EndSession(r.Context(), httpauth.ClaimsFromContext(r.Context())); err != nil {
			mw.WriteError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent) // the session's refresh and access tokens are dead
	})))
	return mux
}
