package httpauth

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/freshtoken/freshtoken"
)

// This file answers a login or a refresh with the tokens, in the shape
// OAuth 2.0 clients already parse (RFC 6749 §5.1).

// TokenResponse is the body of a successful OAuth 2.0 token response (RFC
// 6749 §5.1), for clients that keep their tokens themselves rather than in
// cookies. Build it with NewTokenResponse; WriteTokenResponse sends it.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	// TokenType is always "Bearer" (RFC 6750 §4).
	TokenType string `json:"token_type"`
	// ExpiresIn is the access token's lifetime in seconds, counted from
	// its issue: Pair.AccessExpiresAt minus Pair.IssuedAt. It does not
	// depend on the clock at the time of the answer.
	ExpiresIn int64 `json:"expires_in"`
	// RefreshToken is left out of the JSON when the Pair has none.
	RefreshToken string `json:"refresh_token,omitempty"`
}

// NewTokenResponse builds the token response for a Pair from Issue or
// Refresh. A nil Pair, or one without an access token or with no positive
// lifetime (AccessExpiresAt not after IssuedAt, as in a Pair built by hand
// without IssuedAt), fails with freshtoken.ErrInvalidConfig: it did not come
// from the Manager, and a client would be told a wrong expires_in.
func NewTokenResponse(p *freshtoken.Pair) (TokenResponse, error) {
	switch {
	case p == nil:
		return TokenResponse{}, newError(freshtoken.ErrInvalidConfig, "NewTokenResponse needs a Pair, not a nil Pair")
	case p.Access == "":
		return TokenResponse{}, newError(freshtoken.ErrInvalidConfig, "NewTokenResponse needs a Pair with an access token")
	case p.IssuedAt.IsZero() || !p.AccessExpiresAt.After(p.IssuedAt):
		return TokenResponse{}, newError(freshtoken.ErrInvalidConfig, "NewTokenResponse needs a Pair whose AccessExpiresAt comes after its IssuedAt")
	}
	return TokenResponse{
		AccessToken:  p.Access,
		TokenType:    "Bearer",
		ExpiresIn:    int64(p.AccessExpiresAt.Sub(p.IssuedAt) / time.Second),
		RefreshToken: p.Refresh,
	}, nil
}

// WriteTokenResponse answers a login or refresh request with the Pair as an
// OAuth 2.0 token response: status 200, the JSON of NewTokenResponse, and
// "Cache-Control: no-store" and "Pragma: no-cache", so that no cache keeps
// the tokens (RFC 6749 §5.1). On error, from NewTokenResponse, nothing is
// written: answer with Middleware.WriteError.
func WriteTokenResponse(w http.ResponseWriter, p *freshtoken.Pair) error {
	resp, err := NewTokenResponse(p)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(resp) // strings and a number always marshal
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
	w.Write(append(body, '\n'))
	return nil
}
