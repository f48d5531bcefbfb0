package httpauth

import "errors"

// Errors the middleware adds to freshtoken's. Match them with errors.Is; the
// text after the sentinel (and the sentinel's own text) is for logs and is not
// part of the API.
//
// Every request a Middleware refuses gets an error wrapping exactly one
// sentinel: one of these two, freshtoken.ErrMalformed for an Authorization
// header or cookies that hold no single token, or the guard's own; the
// exception is a FromFunc Source, whose extractor's error is passed on as
// it is, wrapped with the Source's name.
var (
	// ErrNoToken: the request carries no token in any of the places the
	// Middleware looks (an Authorization header with another scheme, such as
	// Basic or JWT, counts as none; the error's text then names the scheme).
	// The HTTP answer is a 401 challenge without an error code (RFC 6750
	// §3.1); OptionalAccess lets such a request through without claims.
	ErrNoToken = errors.New("httpauth: no token in the request")

	// ErrCSRF: a token came from a cookie on a state-changing request, and
	// the CSRF header is missing or does not match the token's "csrf" claim
	// (or the token has none). The HTTP answer is 403: the token is fine,
	// this request is not. The client gets one answer for every case; the
	// error's text tells them apart for the logs.
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
