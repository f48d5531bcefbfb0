package httpauth

import (
	"errors"
	"net/http/httptest"
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
