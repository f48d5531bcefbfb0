package api

// This file is "where am I logged in": the caller's sessions, listed and
// ended, for both the bearer API and the browser page.
//
//	GET    /sessions        any valid access token: the caller's sessions, newest first
//	DELETE /sessions/{id}   the caller's own session: any valid access token (a logout);
//	                        another of the caller's sessions: a fresh access token
//	GET    /app/sessions, DELETE /app/sessions/{id}: the same with the cookies (and X-CSRF-TOKEN)
//
// Ending another session needs a fresh token so that a stolen token,
// refreshed away from its login, cannot end the owner's sessions and keep
// the thief's; the owner proves it is them by typing the password again,
// then ends the thief's session. Ending one's own session is a logout,
// which any holder of the token may do. An ID that is not one of the
// caller's live sessions answers 404, whoever else it may belong to.

import (
	"net"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/httpauth"
)

// routeSessions adds the session endpoints of both modes to mux.
func (s *server) routeSessions(mux *http.ServeMux) {
	mux.Handle("GET /sessions", s.mw.RequireAccess(s.listSessions(s.mw)))
	mux.Handle("DELETE /sessions/{id}", s.mw.RequireAccess(s.endSession(s.mw, false)))
	mux.Handle("GET /app/sessions", s.cookies.RequireAccess(s.listSessions(s.cookies)))
	mux.Handle("DELETE /app/sessions/{id}", s.cookies.RequireAccess(s.endSession(s.cookies, true)))
}

// sessionJSON is one session as the endpoints show it.
type sessionJSON struct {
	ID            string            `json:"id"`
	LoginAt       time.Time         `json:"login_at"`
	LastRefreshAt *time.Time        `json:"last_refresh_at,omitempty"`
	EndsAt        time.Time         `json:"ends_at"`
	Labels        map[string]string `json:"labels,omitempty"`
	Current       bool              `json:"current"`
}

func (s *server) listSessions(mw *httpauth.Middleware) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := httpauth.ClaimsFromContext(r.Context())
		list, err := s.tokens.Sessions(r.Context(), c.Subject, c)
		if err != nil {
			mw.WriteError(w, r, err)
			return
		}
		out := make([]sessionJSON, len(list))
		for i, sess := range list {
			out[i] = sessionJSON{ID: sess.ID, LoginAt: sess.LoginAt, EndsAt: sess.EndsAt, Labels: sess.Labels, Current: sess.Current}
			if !sess.LastRefreshAt.IsZero() {
				out[i].LastRefreshAt = &list[i].LastRefreshAt
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
	})
}

// endSession ends the session named in the path. clear deletes the
// browser's cookies when the session ended is the caller's own.
func (s *server) endSession(mw *httpauth.Middleware, clear bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		c := httpauth.ClaimsFromContext(ctx)
		id := r.PathValue("id")
		if id == c.SessionID {
			if err := s.tokens.EndSession(ctx, c); err != nil {
				mw.WriteError(w, r, err)
				return
			}
			if clear {
				mw.ClearCookies(w)
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		// The middleware checked the token, and the CSRF header for a
		// cookie; this asks the token for more: a recent login.
		if _, err := s.tokens.RequireFresh(ctx, httpauth.TokenFromContext(ctx)); err != nil {
			mw.WriteError(w, r, err)
			return
		}
		if err := s.tokens.EndSessionByID(ctx, c.Subject, id); err != nil {
			mw.WriteError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// maxLabel is the longest label value freshtoken.WithSessionLabels takes.
const maxLabel = 256

// sessionLabels describes the device a login comes from: its User-Agent,
// cut to what WithSessionLabels takes, and its address. Behind a reverse
// proxy the address would come from the proxy's header, trusted only
// from the proxy itself.
func sessionLabels(r *http.Request) freshtoken.IssueOption {
	labels := map[string]string{}
	if ua := labelText(r.UserAgent()); ua != "" {
		labels["user_agent"] = ua
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		labels["ip"] = host
	}
	return freshtoken.WithSessionLabels(labels)
}

// labelText makes s a valid label value: valid UTF-8 without control
// characters, at most maxLabel bytes, cut at a character boundary.
func labelText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	for len(s) > maxLabel {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}
