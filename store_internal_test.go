package freshtoken

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// The memory store drops ended entries as it writes, so a long stream of
// short-lived revocations holds only about as many entries as are live.
func TestMemoryStoreForgetsEndedEntries(t *testing.T) {
	const writes, life = 20000, time.Minute
	ctx := context.Background()
	s := NewMemoryStore()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	held := func() int { return len(s.revoked) + len(s.cutoffs) + len(s.spent) }
	most := 0
	for i := range writes {
		now = now.Add(time.Second)
		id := strconv.Itoa(i)
		var err error
		switch i % 3 {
		case 0:
			err = s.Revoke(ctx, now, id, now.Add(life))
		case 1:
			err = s.RevokeBefore(ctx, now, id, now.Add(life))
		case 2:
			_, err = s.Redeem(ctx, now, "session", id, now.Add(life), 0)
		}
		if err != nil {
			t.Fatal(err)
		}
		most = max(most, held())
	}
	// About 60 entries are live at any time; the store may hold up to its
	// minimum sweep size of ended ones besides.
	if most > minSweep {
		t.Errorf("the store held up to %d entries, want at most %d", most, minSweep)
	}
	// The live ones are all still there.
	checked := 0
	for i := writes - int(life/time.Second) + 1; i < writes; i++ {
		if i%3 != 0 {
			continue
		}
		checked++
		if revoked, _, _ := s.Lookup(ctx, now, "subject", strconv.Itoa(i), strconv.Itoa(i)); !revoked {
			t.Errorf("live revocation %d was dropped", i)
		}
	}
	if checked < 15 {
		t.Fatalf("checked only %d live revocations", checked)
	}
}

// With many live entries the threshold grows, so sweeps stay rare: each
// write pays a constant share.
func TestMemoryStoreSweepThresholdFollowsLiveEntries(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	const live = 3 * minSweep
	for i := range live {
		if err := s.Revoke(ctx, now, strconv.Itoa(i), now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(s.revoked); got != live {
		t.Fatalf("holding %d entries, want %d (none has ended)", got, live)
	}
	if s.limit < live || s.limit > 4*live {
		t.Errorf("sweep threshold is %d with %d live entries, want between %d and %d", s.limit, live, live, 4*live)
	}
}
