package httpauth

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/freshtoken/freshtoken"
)

func TestBearerToken(t *testing.T) {
	tests := []struct {
		name    string
		header  []string
		want    string
		wantErr error
	}{
		{"none", nil, "", ErrNoToken},
		{"digest", []string{`Digest username="x"`}, "", ErrNoToken},
		{"token", []string{"Bearer a.b.c"}, "a.b.c", nil},
		{"padding", []string{"Bearer abc=="}, "abc==", nil},
		{"only padding", []string{"Bearer =="}, "", freshtoken.ErrMalformed},
		{"non-token scheme", []string{"Bear(er) abc"}, "", freshtoken.ErrMalformed},
		{"quote in token", []string{`Bearer "abc"`}, "", freshtoken.ErrMalformed},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		if tt.header != nil {
			r.Header["Authorization"] = tt.header
		}
		got, err := BearerToken(r)
		if got != tt.want || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
			t.Errorf("%s: BearerToken = %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestBearerTokenOtherScheme checks that a token sent with another scheme
// is still no bearer token (RFC 6750 §3.1), but that the error says which
// scheme came and that Bearer is expected, since "JWT <token>" is a common
// client mistake that "no token" would hide.
func TestBearerTokenOtherScheme(t *testing.T) {
	for _, h := range []string{"JWT a.b.c", "jwt a.b.c", "Token abc"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", h)
		scheme, _, _ := strings.Cut(h, " ")
		_, err := BearerToken(r)
		if !errors.Is(err, ErrNoToken) || !strings.Contains(err.Error(), `"`+scheme+`"`) || !strings.Contains(err.Error(), "Bearer") {
			t.Errorf("%q: BearerToken error %v; want ErrNoToken naming %q and Bearer", h, err, scheme)
		}
	}
}
