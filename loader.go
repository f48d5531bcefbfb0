package freshtoken

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// This file calls Config.ClaimsLoader: the claims a subject holds now,
// which Issue and every Refresh write into the access token they make.

// sentinelErrors are the errors a loader may return to be passed on as they
// are; every sentinel of errors.go, so that a loader can answer as
// freshtoken would (ErrRevoked for a banned user).
var sentinelErrors = []error{
	ErrMalformed, ErrSignature, ErrUnknownKey, ErrInvalidClaims, ErrExpired, ErrNotYetValid,
	ErrWrongType, ErrNotFresh, ErrRevoked, ErrStoreUnavailable, ErrKeysUnavailable,
	ErrInvalidKey, ErrInvalidConfig,
}

// loaderFrom starts the detail of an error about the loader's claims.
const loaderFrom = "Config.ClaimsLoader: "

// loadClaims calls the loader, if any, for subject and returns its claims,
// checked as WithClaims checks its own and encoded for the access token.
func (m *Manager) loadClaims(ctx context.Context, subject string) (issueOptions, error) {
	var loaded issueOptions
	if m.loader == nil {
		return loaded, nil
	}
	claims, err := m.loader(ctx, subject)
	if err != nil {
		return loaded, loaderError(err)
	}
	if err := loaded.addClaims(claims, loaderFrom); err != nil {
		return loaded, err
	}
	if err := m.notIdentity(loaded.names, loaderFrom); err != nil {
		return loaded, err
	}
	return loaded, nil
}

// checkOneSource refuses, at Issue, a claim that both the login's
// WithClaims and the loader set: the login's value would ride in the
// refresh token and come back the day the loader stopped returning the name.
func checkOneSource(perLogin, loaded []string) error {
	for _, name := range loaded {
		if slices.Contains(perLogin, name) {
			return withDetail(ErrInvalidConfig, fmt.Sprintf(
				"%sclaim %q is also one of the login's WithClaims claims; give each claim one source", loaderFrom, name))
		}
	}
	return nil
}

// withoutClaims returns raw, a refresh token's application claims as
// written (`"k":v` members joined by commas), without those named in drop,
// and how many remain. At Refresh the loader speaks for the user now, so a
// name it returns replaces the one the refresh token carries: one written
// before the application moved the claim to the loader, or by a Flask
// service whose own loader puts it in refresh tokens too.
func withoutClaims(raw string, count int, drop []string) (string, int) {
	if raw == "" || len(drop) == 0 {
		return raw, count
	}
	obj := "{" + raw + "}"
	var found [maxMembers]member
	n, ok := scanObject(obj, found[:])
	if !ok || n > maxMembers {
		// The claims reader read these very bytes; this cannot happen.
		return raw, count
	}
	var b strings.Builder
	kept := 0
	for _, mb := range found[:n] {
		if slices.Contains(drop, obj[mb.name0:mb.name1]) {
			continue
		}
		if kept > 0 {
			b.WriteByte(',')
		}
		b.WriteString(obj[mb.name0-1 : mb.value1])
		kept++
	}
	return b.String(), kept
}

// loaderError is what a call returns for the loader's error err: err
// itself when it matches a sentinel, else an outage, like a store's.
func loaderError(err error) error {
	for _, s := range sentinelErrors {
		if errors.Is(err, s) {
			return err
		}
	}
	return fmt.Errorf("%w: %s%w", ErrStoreUnavailable, loaderFrom, err)
}

// joinExtra joins the login's claims and the loader's, both `"k":v`
// members joined by commas.
func joinExtra(perLogin string, loaded []byte) string {
	switch {
	case len(loaded) == 0:
		return perLogin
	case perLogin == "":
		return string(loaded)
	}
	return perLogin + "," + string(loaded)
}
