package httpauth

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/freshtoken/freshtoken"
)

// This file turns a refusal into its HTTP answer (RFC 6750, RFC 9470), for
// the Middleware and for any other framework.

// ErrorResponse is the HTTP answer to a refused request. It marshals to the
// JSON body {"error": Code, "error_description": Description}.
type ErrorResponse struct {
	// Status is the HTTP status code.
	Status int `json:"-"`
	// Challenge is the WWW-Authenticate header value; empty when the answer
	// carries none.
	Challenge string `json:"-"`
	// Code is a short machine-readable reason, such as "invalid_token".
	Code string `json:"error"`
	// Description is one sentence for developers, fixed per Code and, for
	// a few codes, per reason that the client itself caused (never the
	// error's own text, which may say more about the token than a client
	// should learn).
	Description string `json:"error_description"`
	// RetryAfter is the Retry-After header of a 503 answer: how long a
	// client should wait before it tries again, sent in whole seconds
	// (rounded up). Zero: no Retry-After header.
	RetryAfter time.Duration `json:"-"`
}

// retryAfter is the RetryAfter of ResponseFor's 503 answers. The outage
// behind them (a revocation store failing over, a verifier fetching its
// first JWK Set) usually ends within seconds; the header keeps clients
// that honour it from retrying in a tight loop meanwhile, and a few
// seconds cost a user little once it has ended.
const retryAfter = 5 * time.Second

// ResponseFor maps an error from a guard, from BearerToken or from the
// middleware to its HTTP answer, so that any framework can answer as the
// Middleware does. realm goes into the challenge when not empty. The rules,
// in the order they apply:
//
//   - ErrNoToken: 401, challenge `Bearer realm="..."` with no error code
//     (RFC 6750 §3.1), code "missing_token", description "No token was
//     sent"; when the request had an Authorization header with another
//     scheme (such as "JWT <token>"), description "The Authorization header
//     does not use the Bearer scheme". A client that sent its token with the
//     wrong scheme is better told so than that it sent nothing, and the
//     description repeats only what the client itself sent.
//   - freshtoken.ErrNotFresh: 401, challenge `Bearer realm="...",
//     error="insufficient_user_authentication", error_description="...",
//     max_age="N"` (RFC 9470 §3), where max_age is the
//     *freshtoken.FreshnessError's MaxAge in whole seconds and appears only
//     when it is set.
//   - ErrCSRF: 403 without a challenge, code "csrf_failed": the token is
//     fine, so logging in again would not help.
//   - freshtoken.ErrStoreUnavailable, freshtoken.ErrKeysUnavailable: 503
//     without a challenge, code "temporarily_unavailable", RetryAfter 5
//     seconds: nothing is known to be wrong with the token, the server
//     cannot check it yet.
//   - freshtoken.ErrNoSession (ending a session the user does not have):
//     404 without a challenge, code "not_found".
//   - freshtoken.ErrTooManySessions (a login over the cap, with
//     SessionConfig.RefuseOverCap): 403 without a challenge, code
//     "too_many_sessions": not 401, as logging in again would not help, and
//     not 429, as waiting would not either until a session ends.
//   - freshtoken.ErrInvalidConfig, freshtoken.ErrInvalidKey: 500, code
//     "server_error".
//   - Anything else, including errors neither package defines: 401,
//     challenge `Bearer realm="...", error="invalid_token",
//     error_description="..."` with a description per sentinel. A failure
//     refuses the request; it never lets it through.
//
// Bad tokens get 401, never 422: the client should get a new token.
func ResponseFor(realm string, err error) ErrorResponse {
	switch {
	case errors.Is(err, ErrNoToken):
		return missingToken(realm, err)
	case errors.Is(err, freshtoken.ErrNotFresh):
		return stepUp(realm, err)
	}
	for _, a := range plainAnswers {
		for _, e := range a.errs {
			if errors.Is(err, e) {
				return a.resp
			}
		}
	}
	return invalidToken(realm, err)
}

// plainAnswers are ResponseFor's answers without a challenge, in the
// order they apply: the token is fine or not the point, so logging in
// again would not help.
var plainAnswers = []struct {
	errs []error
	resp ErrorResponse
}{
	{[]error{ErrCSRF}, ErrorResponse{
		Status: http.StatusForbidden, Code: "csrf_failed",
		Description: "The CSRF header is missing or does not match the token",
	}},
	{[]error{freshtoken.ErrStoreUnavailable, freshtoken.ErrKeysUnavailable}, ErrorResponse{
		Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable",
		Description: "The token cannot be checked right now; try again later", RetryAfter: retryAfter,
	}},
	{[]error{freshtoken.ErrNoSession}, ErrorResponse{
		Status: http.StatusNotFound, Code: "not_found",
		Description: "There is no live session with that ID",
	}},
	{[]error{freshtoken.ErrTooManySessions}, ErrorResponse{
		Status: http.StatusForbidden, Code: "too_many_sessions",
		Description: "The account has as many sessions as it may; end one first",
	}},
	{[]error{freshtoken.ErrInvalidConfig, freshtoken.ErrInvalidKey}, ErrorResponse{
		Status: http.StatusInternalServerError, Code: "server_error",
		Description: "The server is misconfigured",
	}},
}

// missingToken is the RFC 6750 answer to a request without a bearer
// token: a challenge with no error code.
func missingToken(realm string, err error) ErrorResponse {
	desc := "No token was sent"
	var se *schemeError
	if errors.As(err, &se) {
		desc = "The Authorization header does not use the Bearer scheme"
	}
	return ErrorResponse{
		Status:      http.StatusUnauthorized,
		Challenge:   challenge(realm, "", "", ""),
		Code:        "missing_token",
		Description: desc,
	}
}

// invalidToken is the RFC 6750 answer to a token that fails, with a
// description per sentinel.
func invalidToken(realm string, err error) ErrorResponse {
	desc := "The token is invalid"
	for _, d := range invalidTokenDescriptions {
		if errors.Is(err, d.err) {
			desc = d.desc
			break
		}
	}
	return ErrorResponse{
		Status:      http.StatusUnauthorized,
		Challenge:   challenge(realm, "invalid_token", desc, ""),
		Code:        "invalid_token",
		Description: desc,
	}
}

// stepUp is the RFC 9470 answer to a valid token that is not fresh enough.
func stepUp(realm string, err error) ErrorResponse {
	const code = "insufficient_user_authentication"
	desc, maxAge := "A fresh login is required", ""
	var fe *freshtoken.FreshnessError
	if errors.As(err, &fe) && fe.MaxAge > 0 {
		desc = "More recent authentication is required"
		maxAge = strconv.FormatInt(int64(fe.MaxAge/time.Second), 10)
	}
	return ErrorResponse{
		Status:      http.StatusUnauthorized,
		Challenge:   challenge(realm, code, desc, maxAge),
		Code:        code,
		Description: desc,
	}
}

var invalidTokenDescriptions = []struct {
	err  error
	desc string
}{
	{freshtoken.ErrExpired, "The token expired"},
	{freshtoken.ErrRevoked, "The token was revoked"},
	{freshtoken.ErrNotYetValid, "The token is not valid yet"},
	{freshtoken.ErrWrongType, "The token is of the wrong type"},
	{freshtoken.ErrUnknownKey, "The token is signed with an unknown key"},
	{freshtoken.ErrSignature, "The token signature is invalid"},
	{freshtoken.ErrInvalidClaims, "The token claims are invalid"},
	{freshtoken.ErrMalformed, "The token is malformed"},
}

// challenge builds a Bearer challenge (RFC 6750 §3) from the parameters
// that are not empty.
func challenge(realm, code, desc, maxAge string) string {
	var b strings.Builder
	b.WriteString("Bearer")
	sep := " "
	for _, p := range [...]struct{ name, value string }{
		{"realm", realm}, {"error", code}, {"error_description", desc}, {"max_age", maxAge},
	} {
		if p.value == "" {
			continue
		}
		b.WriteString(sep)
		b.WriteString(p.name)
		b.WriteString(`="`)
		for i := 0; i < len(p.value); i++ {
			if c := p.value[i]; c == '"' || c == '\\' {
				b.WriteByte('\\') // a quoted-pair (RFC 9110 §5.6.4)
			}
			b.WriteByte(p.value[i])
		}
		b.WriteByte('"')
		sep = ", "
	}
	return b.String()
}

// Write sends the response: the WWW-Authenticate header when there is a
// challenge, Retry-After when RetryAfter is set, the status, and the JSON
// body. Nothing may have been written to w before.
func (e ErrorResponse) Write(w http.ResponseWriter) {
	h := w.Header()
	if e.Challenge != "" {
		h.Set("WWW-Authenticate", e.Challenge)
	}
	if e.RetryAfter > 0 {
		secs := (e.RetryAfter + time.Second - 1) / time.Second
		h.Set("Retry-After", strconv.FormatInt(int64(secs), 10))
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	body, _ := json.Marshal(e) // strings always marshal
	w.WriteHeader(e.Status)
	w.Write(append(body, '\n'))
}
