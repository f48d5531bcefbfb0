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
			ErrorResponse{401, `Bearer realm="api"`, "missing_token", "No token was sent"},
			"RFC 6750 §3.1",
		},
		{
			"no token, no realm", "", errNoToken,
			ErrorResponse{401, `Bearer`, "missing_token", "No token was sent"},
			"a challenge may be the scheme alone",
		},
		{
			"expired", "api", newError(freshtoken.ErrExpired, "at noon"),
			ErrorResponse{401, `Bearer realm="api", error="invalid_token", error_description="The token expired"`, "invalid_token", "The token expired"},
			"RFC 6750 §3",
		},
		{
			"revoked", "api", newError(freshtoken.ErrRevoked, "logged out"),
			ErrorResponse{401, `Bearer realm="api", error="invalid_token", error_description="The token was revoked"`, "invalid_token", "The token was revoked"},
			"RFC 6750 §3.1: revoked is an invalid_token",
		},
		{
			"wrapped twice", "", fmt.Errorf("handler: %w", newError(freshtoken.ErrSignature, "x")),
			ErrorResponse{401, `Bearer error="invalid_token", error_description="The token signature is invalid"`, "invalid_token", "The token signature is invalid"},
			"matched with errors.Is",
		},
		{
			"max age", "api", &freshtoken.FreshnessError{MaxAge: 90 * time.Second},
			ErrorResponse{401, `Bearer realm="api", error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="90"`, "insufficient_user_authentication", "More recent authentication is required"},
			"RFC 9470 §3",
		},
		{
			"max age in whole seconds", "", &freshtoken.FreshnessError{MaxAge: 1500 * time.Millisecond},
			ErrorResponse{401, `Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="1"`, "insufficient_user_authentication", "More recent authentication is required"},
			"a login 1.2 s ago would pass a 1 s max_age too",
		},
		{
			"refreshed", "", &freshtoken.FreshnessError{Refreshed: true},
			ErrorResponse{401, `Bearer error="insufficient_user_authentication", error_description="A fresh login is required"`, "insufficient_user_authentication", "A fresh login is required"},
			"no max age was demanded",
		},
		{
			"not fresh without details", "", freshtoken.ErrNotFresh,
			ErrorResponse{401, `Bearer error="insufficient_user_authentication", error_description="A fresh login is required"`, "insufficient_user_authentication", "A fresh login is required"},
			"the bare sentinel",
		},
		{
			"csrf", "api", errCSRFMismatch,
			ErrorResponse{403, "", "csrf_failed", "The CSRF header is missing or does not match the token"},
			"the token is fine; a new login would not help",
		},
		{
			"store", "api", fmt.Errorf("%w: redis: connection refused", freshtoken.ErrStoreUnavailable),
			ErrorResponse{503, "", "temporarily_unavailable", "The token cannot be checked right now; try again later"},
			"not the client's fault",
		},
		{
			"config", "api", newError(freshtoken.ErrInvalidConfig, "x"),
			ErrorResponse{500, "", "server_error", "The server is misconfigured"},
			"",
		},
		{
			"foreign error", "api", errors.New("something else"),
			ErrorResponse{401, `Bearer realm="api", error="invalid_token", error_description="The token is invalid"`, "invalid_token", "The token is invalid"},
			"refuse what is not understood",
		},
		{
			"realm quoting", `a "b" \c`, errNoToken,
			ErrorResponse{401, `Bearer realm="a \"b\" \\c"`, "missing_token", "No token was sent"},
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
	rec := httptest.NewRecorder()
	ResponseFor("api", newError(freshtoken.ErrExpired, "x")).Write(rec)
	got := map[string]any{
		"status":           rec.Code,
		"www-authenticate": rec.Header().Get("WWW-Authenticate"),
		"content-type":     rec.Header().Get("Content-Type"),
		"cache-control":    rec.Header().Get("Cache-Control"),
		"body":             rec.Body.String(),
	}
	want := map[string]any{
		"status":           401,
		"www-authenticate": `Bearer realm="api", error="invalid_token", error_description="The token expired"`,
		"content-type":     "application/json",
		"cache-control":    "no-store",
		"body":             `{"error":"invalid_token","error_description":"The token expired"}` + "\n",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("got %v, want %v (-want +got):\n%s", got, want, diff)
	}
}
