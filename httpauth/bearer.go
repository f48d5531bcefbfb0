package httpauth

import (
	"net/http"
	"strings"

	"github.com/freshtoken/freshtoken"
)

// BearerToken returns the token of the request's "Authorization: Bearer
// <token>" header (RFC 6750 §2.1). The scheme is matched without regard to
// case and may be followed by several spaces; exactly one token must follow.
// No Authorization header, or one with another scheme (Basic, JWT, ...),
// fails with ErrNoToken, whose text names the scheme that came; a header
// that is not valid credentials, has no token or more than one, or appears
// twice fails with freshtoken.ErrMalformed.
func BearerToken(r *http.Request) (string, error) {
	tok, err := bearerToken(r.Header["Authorization"])
	if err == nil && tok == "" {
		return "", errNoBearer
	}
	return tok, err
}

var errNoBearer = newError(ErrNoToken, "no Authorization header")

// bearerToken is BearerToken on the values of the Authorization header,
// with "" and no error when there are none.
func bearerToken(values []string) (string, error) {
	switch len(values) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", newError(freshtoken.ErrMalformed, "more than one Authorization header")
	}
	v := values[0]
	scheme, rest, _ := strings.Cut(v, " ")
	if !isToken(scheme) {
		return "", newError(freshtoken.ErrMalformed, "the Authorization header is not valid credentials")
	}
	if !strings.EqualFold(scheme, "Bearer") {
		return "", &schemeError{scheme: scheme} // RFC 6750 §3.1: no token
	}
	tok := strings.TrimLeft(rest, " ")
	if !isB64Token(tok) {
		return "", newError(freshtoken.ErrMalformed, `the Authorization header is not "Bearer" and one token`)
	}
	return tok, nil
}

// schemeError is the ErrNoToken of an Authorization header with another
// scheme. It names the scheme because "JWT <token>" and "Token <token>" are
// common client mistakes that a bare "no token" would hide; ResponseFor
// gives it its own description for the same reason. The scheme is an RFC
// 9110 token, so it cannot break a log line; a long one is cut.
type schemeError struct{ scheme string }

func (e *schemeError) Error() string {
	s := e.scheme
	if len(s) > 32 {
		s = s[:32] + "..."
	}
	return ErrNoToken.Error() + `: the Authorization header uses the scheme "` + s + `"; send "Authorization: Bearer <token>"`
}

func (e *schemeError) Unwrap() error { return ErrNoToken }

// isToken reports whether s is an RFC 9110 token (an auth-scheme, a header name).
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return len(s) > 0
}

// isB64Token reports whether s is RFC 6750's b64token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	s = strings.TrimRight(s, "=")
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/':
		default:
			return false
		}
	}
	return len(s) > 0
}
