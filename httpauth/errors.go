package httpauth

import "errors"

// Errors the middleware adds to freshtoken's. Match them with errors.Is; the
// text after the sentinel (and the sentinel's own text) is for logs and is not
// part of the API.
//
// Every request a Middleware refuses gets an error wrapping exactly one
// sentinel: one of these two, freshtoken.ErrMalformed for an Authorization
// header or cookies that hold no single token, or the guard's own.
var (
	// ErrNoToken: the request carries no token in any of the places the
	// Middleware looks (an Authorization header with another scheme, such as
	// Basic, counts as none). The HTTP answer is a 401 challenge without an
	// error code (RFC 6750 §3.1).
	ErrNoToken = errors.New("httpauth: no token in the request")

	// ErrCSRF: a token came from a cookie on a state-changing request, and
	// the CSRF header is missing or does not match the token's "csrf" claim
	// (or the token has none). The HTTP answer is 403: the token is fine,
	// this request is not.
	ErrCSRF = errors.New("httpauth: CSRF check failed")
)

// detailError adds a detail to a sentinel, this package's or freshtoken's.
type detailError struct {
	kind   error
	detail string
}

func (e *detailError) Error() string { return e.kind.Error() + ": " + e.detail }
func (e *detailError) Unwrap() error { return e.kind }

func newError(kind error, detail string) error { return &detailError{kind: kind, detail: detail} }
