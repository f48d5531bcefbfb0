package httpauth

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/google/go-cmp/cmp"
)

func TestResponseFor(t *testing.T) {
	tests := []struct {
		name   string
		realm  string
		err    error
		want   ErrorResponse
		reason string
	}{
		{
			"no token", "api", errNoToken,
			ErrorResponse{Status: 401, Challenge: `Bearer realm="api"`, Code: "missing_token", Description: "No token was sent"},
			"RFC 6750 §3.1",
		},
		{
			"no token, no realm", "", errNoToken,
			ErrorResponse{Status: 401, Challenge: `Bearer`, Code: "missing_token", Description: "No token was sent"},
			"a challenge may be the scheme alone",
		},
		{
			"other scheme", "api", fmt.Errorf("handler: %w", &schemeError{scheme: "JWT"}),
			ErrorResponse{Status: 401, Challenge: `Bearer realm="api"`, Code: "missing_token", Description: "The Authorization header does not use the Bearer scheme"},
			"RFC 6750 §3.1: still no error code in the challenge; the body tells the developer what went wrong",
		},
		{
			"no header", "", errNoBearer,
			ErrorResponse{Status: 401, Challenge: `Bearer`, Code: "missing_token", Description: "No token was sent"},
			"BearerToken's error without a header",
		},
		{
			"expired", "api", newError(freshtoken.ErrExpired, "at noon"),
			ErrorResponse{Status: 401, Challenge: `Bearer realm="api", error="invalid_token", error_description="The token expired"`, Code: "invalid_token", Description: "The token expired"},
			"RFC 6750 §3",
		},
		{
			"revoked", "api", newError(freshtoken.ErrRevoked, "logged out"),
			ErrorResponse{Status: 401, Challenge: `Bearer realm="api", error="invalid_token", error_description="The token was revoked"`, Code: "invalid_token", Description: "The token was revoked"},
			"RFC 6750 §3.1: revoked is an invalid_token",
		},
		{
			"wrapped twice", "", fmt.Errorf("handler: %w", newError(freshtoken.ErrSignature, "x")),
			ErrorResponse{Status: 401, Challenge: `Bearer error="invalid_token", error_description="The token signature is invalid"`, Code: "invalid_token", Description: "The token signature is invalid"},
			"matched with errors.Is",
		},
		{
			"max age", "api", &freshtoken.FreshnessError{MaxAge: 90 * time.Second},
			ErrorResponse{Status: 401, Challenge: `Bearer realm="api", error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="90"`, Code: "insufficient_user_authentication", Description: "More recent authentication is required"},
			"RFC 9470 §3",
		},
		{
			"max age in whole seconds", "", &freshtoken.FreshnessError{MaxAge: 1500 * time.Millisecond},
			ErrorResponse{Status: 401, Challenge: `Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="1"`, Code: "insufficient_user_authentication", Description: "More recent authentication is required"},
			"a login 1.2 s ago would pass a 1 s max_age too",
		},
		{
			"refreshed", "", &freshtoken.FreshnessError{Refreshed: true},
			ErrorResponse{Status: 401, Challenge: `Bearer error="insufficient_user_authentication", error_description="A fresh login is required"`, Code: "insufficient_user_authentication", Description: "A fresh login is required"},
			"no max age was demanded",
		},
		{
			"not fresh without details", "", freshtoken.ErrNotFresh,
			ErrorResponse{Status: 401, Challenge: `Bearer error="insufficient_user_authentication", error_description="A fresh login is required"`, Code: "insufficient_user_authentication", Description: "A fresh login is required"},
			"the bare sentinel",
		},
		{
			"csrf", "api", newError(ErrCSRF, "no X-Csrf-Token header"),
			ErrorResponse{Status: 403, Code: "csrf_failed", Description: "The CSRF header is missing or does not match the token"},
			"the token is fine; a new login would not help",
		},
		{
			"store", "api", fmt.Errorf("%w: redis: connection refused", freshtoken.ErrStoreUnavailable),
			ErrorResponse{Status: 503, Code: "temporarily_unavailable", Description: "The token cannot be checked right now; try again later", RetryAfter: 5 * time.Second},
			"not the client's fault",
		},
		{
			"keys not fetched yet", "api", fmt.Errorf("%w: jwks: connection refused", freshtoken.ErrKeysUnavailable),
			ErrorResponse{Status: 503, Code: "temporarily_unavailable", Description: "The token cannot be checked right now; try again later", RetryAfter: 5 * time.Second},
			"a verifier without its keys knows nothing bad about the token",
		},
		{
			"no such session", "api", newError(freshtoken.ErrNoSession, "x"),
			ErrorResponse{Status: 404, Code: "not_found", Description: "There is no live session with that ID"},
			"ending a session the user does not have: the ID names nothing of theirs",
		},
		{
			"too many sessions", "api", newError(freshtoken.ErrTooManySessions, "x"),
			ErrorResponse{Status: 403, Code: "too_many_sessions", Description: "The account has as many sessions as it may; end one first"},
			"logging in again would not help, nor would waiting",
		},
		{
			"config", "api", newError(freshtoken.ErrInvalidConfig, "x"),
			ErrorResponse{Status: 500, Code: "server_error", Description: "The server is misconfigured"},
			"",
		},
		{
			"foreign error", "api", errors.New("something else"),
			ErrorResponse{Status: 401, Challenge: `Bearer realm="api", error="invalid_token", error_description="The token is invalid"`, Code: "invalid_token", Description: "The token is invalid"},
			"refuse what is not understood",
		},
		{
			"realm quoting", `a "b" \c`, errNoToken,
			ErrorResponse{Status: 401, Challenge: `Bearer realm="a \"b\" \\c"`, Code: "missing_token", Description: "No token was sent"},
			"quoted-pair escapes",
		},
	}
	for _, tt := range tests {
		got := ResponseFor(tt.realm, tt.err)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: got %+v, want %+v (-want +got):\n%s\n%s", tt.name, got, tt.want, diff, tt.reason)
		}
	}
}

func TestErrorResponseWrite(t *testing.T) {
	tests := []struct {
		name   string
		resp   ErrorResponse
		want   map[string]any
		reason string
	}{
		{
			"invalid token", ResponseFor("api", newError(freshtoken.ErrExpired, "x")),
			map[string]any{
				"status":           401,
				"www-authenticate": `Bearer realm="api", error="invalid_token", error_description="The token expired"`,
				"retry-after":      "",
				"content-type":     "application/json",
				"cache-control":    "no-store",
				"body":             `{"error":"invalid_token","error_description":"The token expired"}` + "\n",
			},
			"",
		},
		{
			"store down", ResponseFor("api", freshtoken.ErrStoreUnavailable),
			map[string]any{
				"status":           503,
				"www-authenticate": "",
				"retry-after":      "5",
				"content-type":     "application/json",
				"cache-control":    "no-store",
				"body":             `{"error":"temporarily_unavailable","error_description":"The token cannot be checked right now; try again later"}` + "\n",
			},
			"RFC 9110 §10.2.3: Retry-After in seconds",
		},
		{
			"retry after rounded up", ErrorResponse{Status: 503, Code: "c", Description: "d", RetryAfter: 1500 * time.Millisecond},
			map[string]any{
				"status":           503,
				"www-authenticate": "",
				"retry-after":      "2",
				"content-type":     "application/json",
				"cache-control":    "no-store",
				"body":             `{"error":"c","error_description":"d"}` + "\n",
			},
			"a client that waits 1 s would come back too early",
		},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		tt.resp.Write(rec)
		got := map[string]any{
			"status":           rec.Code,
			"www-authenticate": rec.Header().Get("WWW-Authenticate"),
			"retry-after":      rec.Header().Get("Retry-After"),
			"content-type":     rec.Header().Get("Content-Type"),
			"cache-control":    rec.Header().Get("Cache-Control"),
			"body":             rec.Body.String(),
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: got %v, want %v (-want +got):\n%s\n%s", tt.name, got, tt.want, diff, tt.reason)
		}
	}
}
