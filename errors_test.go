package freshtoken

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The typed error survives wrapping by callers, and its message starts with
// the sentinel's text for every variant.
func TestFreshnessErrorWrapping(t *testing.T) {
	for _, fe := range []*FreshnessError{
		{AuthTime: t0, Refreshed: true},
		{MaxAge: 5 * time.Minute, AuthTime: t0},
		{MaxAge: 5 * time.Minute, AuthTime: t0, Refreshed: true},
		{MaxAge: 5 * time.Minute},
		{},
	} {
		wrapped := fmt.Errorf("handler: %w", fe)
		var got *FreshnessError
		if !errors.As(wrapped, &got) || got != fe {
			t.Errorf("errors.As(%v) did not find the FreshnessError", wrapped)
		}
		if !errors.Is(wrapped, ErrNotFresh) {
			t.Errorf("errors.Is(%v, ErrNotFresh) = false", wrapped)
		}
		if n := len(matchedSentinels(wrapped)); n != 1 {
			t.Errorf("%v matches %d sentinels, want 1", wrapped, n)
		}
		if !strings.HasPrefix(fe.Error(), ErrNotFresh.Error()+": ") {
			t.Errorf("Error() = %q, want it to start with %q", fe.Error(), ErrNotFresh.Error())
		}
	}
}
