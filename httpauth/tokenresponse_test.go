package httpauth

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/google/go-cmp/cmp"
)

func TestNewTokenResponse(t *testing.T) {
	m, clk := newTestManager(t, freshtoken.Config{})
	login := mustIssue(t, m, "user-1")
	iat := login.IssuedAt
	tests := []struct {
		name    string
		pair    *freshtoken.Pair
		want    TokenResponse
		wantErr error
		reason  string
	}{
		{"login", login, TokenResponse{AccessToken: login.Access, TokenType: "Bearer", ExpiresIn: 900, RefreshToken: login.Refresh}, nil, "AccessTTL is 15 minutes"},
		{"access only", &freshtoken.Pair{Access: "a", IssuedAt: iat, AccessExpiresAt: iat.Add(time.Second)}, TokenResponse{AccessToken: "a", TokenType: "Bearer", ExpiresIn: 1}, nil, "the shortest lifetime a Manager gives"},
		{"sub-second rest", &freshtoken.Pair{Access: "a", IssuedAt: iat, AccessExpiresAt: iat.Add(1999 * time.Millisecond)}, TokenResponse{AccessToken: "a", TokenType: "Bearer", ExpiresIn: 1}, nil, "rounded down: a client that refreshes early loses nothing"},
		{"nil", nil, TokenResponse{}, freshtoken.ErrInvalidConfig, "no panic"},
		{"no access token", &freshtoken.Pair{Refresh: "r", IssuedAt: iat, AccessExpiresAt: iat.Add(time.Minute)}, TokenResponse{}, freshtoken.ErrInvalidConfig, ""},
		{"no issue time", &freshtoken.Pair{Access: "a", AccessExpiresAt: iat.Add(time.Minute)}, TokenResponse{}, freshtoken.ErrInvalidConfig, "expires_in would be 56 years"},
		{"expires at issue", &freshtoken.Pair{Access: "a", IssuedAt: iat, AccessExpiresAt: iat}, TokenResponse{}, freshtoken.ErrInvalidConfig, "RFC 6749 has no expires_in of 0"},
	}
	for _, tt := range tests {
		got, err := NewTokenResponse(tt.pair)
		if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
			t.Errorf("%s: NewTokenResponse error %v, want %v (%s)", tt.name, err, tt.wantErr, tt.reason)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: got %+v, want %+v (-want +got):\n%s\n%s", tt.name, got, tt.want, diff, tt.reason)
		}
	}

	// expires_in is the lifetime at issue, whenever the answer is built.
	clk.Advance(5 * time.Minute)
	refreshed, err := m.Refresh(t.Context(), login.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if got, err := NewTokenResponse(refreshed); err != nil || got.ExpiresIn != 900 {
		t.Errorf("refreshed pair: NewTokenResponse = %+v, %v; want expires_in 900", got, err)
	}
}

func TestWriteTokenResponse(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{})
	login := mustIssue(t, m, "user-1")
	tests := []struct {
		name    string
		pair    *freshtoken.Pair
		want    map[string]any
		wantErr error
	}{
		{
			"login", login,
			map[string]any{
				"status":        200,
				"content-type":  "application/json",
				"cache-control": "no-store",
				"pragma":        "no-cache",
				"body":          `{"access_token":"` + login.Access + `","token_type":"Bearer","expires_in":900,"refresh_token":"` + login.Refresh + `"}` + "\n",
			},
			nil,
		},
		{
			"no refresh token", &freshtoken.Pair{Access: "a.b.c", IssuedAt: login.IssuedAt, AccessExpiresAt: login.AccessExpiresAt},
			map[string]any{
				"status":        200,
				"content-type":  "application/json",
				"cache-control": "no-store",
				"pragma":        "no-cache",
				"body":          `{"access_token":"a.b.c","token_type":"Bearer","expires_in":900}` + "\n",
			},
			nil,
		},
		{
			"nil pair", nil,
			map[string]any{"status": 200, "content-type": "", "cache-control": "", "pragma": "", "body": ""},
			freshtoken.ErrInvalidConfig,
		},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		err := WriteTokenResponse(rec, tt.pair)
		if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
			t.Errorf("%s: WriteTokenResponse = %v, want %v", tt.name, err, tt.wantErr)
		}
		got := map[string]any{
			"status":        rec.Code,
			"content-type":  rec.Header().Get("Content-Type"),
			"cache-control": rec.Header().Get("Cache-Control"),
			"pragma":        rec.Header().Get("Pragma"),
			"body":          rec.Body.String(),
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: got %v, want %v (-want +got):\n%s", tt.name, got, tt.want, diff)
		}
	}
}
