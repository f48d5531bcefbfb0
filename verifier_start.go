package freshtoken

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// This file is how a Verifier from NewVerifier keeps its JWK Set: the one
// background goroutine that fetches it, and the answer of a verifier
// started without keys (VerifierConfig.StartWithoutKeys) until they come.

// jwksRetryBase is the first wait before fetching again when the set could
// not be had yet; it doubles with each failure, up to the refresh interval.
// jwksAfter is the timer of the background fetches. NewVerifier reads both
// once, so a verifier's goroutine never sees them change; tests lower the
// first, or replace the second to fire the timer themselves.
var (
	jwksRetryBase = time.Second
	jwksAfter     = time.After
)

// run fetches the set first after a wait of first, then every interval
// once it has keys, and until then after a backoff from retryBase that
// doubles up to interval. It returns when ctx ends.
func (r *remoteKeys) run(ctx context.Context, interval, first time.Duration) {
	defer close(r.loopDone)
	wait, retry := first, r.retryBase
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.after(wait):
		}
		// A failure is recorded for ErrKeysUnavailable, and keeps the last
		// keys. One that ctx's end caused is the service stopping, not news.
		if err := r.fetch(ctx); ctx.Err() == nil {
			r.report(ctx, err)
		}
		if r.keys.Load() != nil {
			wait = interval
			continue
		}
		wait = jitter(retry)
		retry = min(2*retry, interval)
	}
}

// jitter returns a random duration between d/2 and d, so that resource
// servers started together by the same outage do not fetch in step.
func jitter(d time.Duration) time.Duration {
	half := d / 2
	return half + rand.N(d-half+1)
}

// unavailable is a guard's answer while no set with a usable key has come:
// the last fetch's error, if one failed (it wraps no sentinel: see
// jwksURLProblem), or that none has ended yet.
func (r *remoteKeys) unavailable() error {
	if err := r.lastErr.Load(); err != nil {
		return fmt.Errorf("%w: %w", ErrKeysUnavailable, *err)
	}
	return withDetail(ErrKeysUnavailable, "the JWK Set at "+quoteValue(r.shown)+" has not been fetched yet")
}
