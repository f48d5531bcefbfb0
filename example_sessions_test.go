package freshtoken_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/freshtoken/freshtoken"
)

// A user logs in on a laptop and a phone, finds a login they do not
// recognise on the "where am I logged in" page, and ends it; then, from
// the laptop, ends every session but this one.
func ExampleManager_Sessions() {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) // a clock the example moves
	m, err := freshtoken.New(freshtoken.Config{
		Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)), // in production, from a secret store
		Now: func() time.Time { return now },
		// At most 5 sessions per user; a sixth login ends the oldest.
		Sessions: freshtoken.SessionConfig{MaxPerUser: 5},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	login := func(device string) *freshtoken.Claims {
		now = now.Add(time.Hour)
		// A web handler would attach the User-Agent header and the client's address.
		pair, err := m.Issue(ctx, "user-42", freshtoken.WithSessionLabels(map[string]string{"device": device}))
		if err != nil {
			log.Fatal(err)
		}
		claims, err := m.RequireAccess(ctx, pair.Access)
		if err != nil {
			log.Fatal(err)
		}
		return claims
	}
	laptop := login("laptop")
	login("phone")
	stranger := login("unknown")

	show := func() {
		list, err := m.Sessions(ctx, "user-42", laptop) // the laptop's request
		if err != nil {
			log.Fatal(err)
		}
		for _, s := range list {
			fmt.Printf("%-8s logged in %s current=%v\n", s.Labels["device"], s.LoginAt.Format(time.Kitchen), s.Current)
		}
		fmt.Println()
	}
	show()

	// The page sends the session's ID; the subject comes from the caller's token.
	if err := m.EndSessionByID(ctx, "user-42", stranger.SessionID); err != nil {
		log.Fatal(err)
	}
	show()

	// Another user's session ID, or a guess, ends nothing.
	err = m.EndSessionByID(ctx, "someone-else", laptop.SessionID)
	fmt.Println(errors.Is(err, freshtoken.ErrNoSession))

	if err := m.EndOtherSessions(ctx, laptop); err != nil {
		log.Fatal(err)
	}
	show()
	// Output:
	// unknown  logged in 12:00PM current=false
	// phone    logged in 11:00AM current=false
	// laptop   logged in 10:00AM current=true
	//
	// phone    logged in 11:00AM current=false
	// laptop   logged in 10:00AM current=true
	//
	// true
	// laptop   logged in 10:00AM current=true
}
