package httpauth

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/freshtoken/freshtoken"
)

// This file is where a Middleware looks for a token: the Sources, the
// first of which that holds a token decides.

// Source is a place in a request where a Middleware looks for a token:
// FromHeader, FromCookie, or one made with FromFunc. Sources compare with
// ==; the zero Source is no place, what SourceFromContext returns when no
// token was found.
type Source struct{ p *source }

type source struct {
	name string
	read func(mw *Middleware, r Request, want freshtoken.TokenType) (string, error)
}

var (
	// FromHeader reads "Authorization: Bearer <token>" (RFC 6750 §2.1), as
	// BearerToken does.
	FromHeader = Source{&source{name: "header", read: readHeader}}

	// FromCookie reads the access or refresh cookie that
	// Middleware.SetCookies writes. A token from a cookie must also pass the
	// double-submit CSRF check on requests whose method is not safe.
	FromCookie = Source{&source{name: "cookie", read: readCookie}}
)

// FromFunc returns a Source that reads the token with extract, for a place
// FromHeader and FromCookie do not cover; name identifies it in error texts
// and String. extract returns "" and a nil error when the request holds no
// token there, and the Middleware tries the next Source; an error matching
// ErrNoToken means the same. Any other error refuses the request, and the
// next Sources are not tried. Return an error wrapping freshtoken.ErrMalformed
// when the place holds something that is not one token; an error matching
// none of freshtoken's or this package's sentinels is answered as an invalid
// token (401).
//
// A token from such a Source gets no CSRF check, as a bearer token does not.
// That is safe only for a place a browser never fills by itself: never read
// a cookie, or any other credential the browser sends on its own, with
// FromFunc.
//
// A query parameter is the usual reason for FromFunc: browsers cannot set
// headers on a WebSocket handshake or an EventSource request. RFC 6750 §2.3
// advises against it, because URLs are written down in many places a
// header is not: proxy and server access logs, browser history, and the
// Referer header of requests the page makes next. Accept a token in the URL
// on those endpoints only, keep the access token short-lived, and never
// accept a refresh token there. See the example.
//
// It panics if name is empty or extract is nil.
func FromFunc(name string, extract func(r *http.Request) (string, error)) Source {
	if name == "" || extract == nil {
		panic("httpauth: FromFunc needs a name and an extract function")
	}
	return Source{&source{name: name, read: func(_ *Middleware, r Request, _ freshtoken.TokenType) (string, error) {
		hr, err := r.HTTPRequest()
		if err != nil {
			return "", fmt.Errorf("httpauth: source %s: %w", name, err)
		}
		tok, err := extract(hr)
		if err != nil {
			return "", fmt.Errorf("httpauth: source %s: %w", name, err)
		}
		return tok, nil
	}}}
}

// String returns the Source's name: "header", "cookie", the name given to
// FromFunc, or "none" for the zero Source.
func (s Source) String() string {
	if s.p == nil {
		return "none"
	}
	return s.p.name
}

func readHeader(_ *Middleware, r Request, _ freshtoken.TokenType) (string, error) {
	return bearerToken(r.Header("Authorization"))
}

func readCookie(mw *Middleware, r Request, want freshtoken.TokenType) (string, error) {
	name := mw.cookies.AccessName
	if want == freshtoken.RefreshToken {
		name = mw.cookies.RefreshName
	}
	return cookieToken(r, name)
}

// checkSources returns a copy of sources, or the default, once checked.
func checkSources(sources []Source) ([]Source, error) {
	if len(sources) == 0 {
		return []Source{FromHeader}, nil
	}
	for i, s := range sources {
		if s.p == nil {
			return nil, newError(freshtoken.ErrInvalidConfig, "Sources["+strconv.Itoa(i)+"] is the zero Source; use FromHeader, FromCookie or FromFunc")
		}
		for j, other := range sources[:i] {
			if s.p.name == other.p.name {
				return nil, newError(freshtoken.ErrInvalidConfig, fmt.Sprintf("Sources[%d] and Sources[%d] are both %q", j, i, s.p.name))
			}
		}
	}
	return append([]Source(nil), sources...), nil
}

var errNoToken = newError(ErrNoToken, "none in the places the middleware looks")

// extract returns the token from the first Source that holds one, and that
// Source. When none holds a token, src is the zero Source and err matches
// ErrNoToken: the one sign of absence OptionalAccess trusts, so that an error
// of any other kind can never let a request through anonymously. A Source
// that found no token but can say why (a header with another scheme) gives
// the error; the first such reason wins.
func (mw *Middleware) extract(r Request, want freshtoken.TokenType) (tok string, src Source, err error) {
	absent := errNoToken
	for _, s := range mw.sources {
		tok, err := s.p.read(mw, r, want)
		switch {
		case err == nil && tok != "":
			return tok, s, nil
		case errors.Is(err, ErrNoToken):
			if absent == errNoToken {
				absent = err
			}
		case err != nil:
			return "", s, err
		}
	}
	return "", Source{}, absent
}
