package redisstore

import (
	"context"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// WithDial returns o with the tracking connections opened by dial, which
// receives the client's own dialer.
func WithDial(o Options, dial func(ctx context.Context, opt *redis.Options) (net.Conn, error)) Options {
	o.dial = dial
	return o
}

// DialClient dials as the client would.
var DialClient = dialClient

// LookupTraced is Lookup, and tells whether the view answered and when the
// heartbeat that vouched for it was sent (a wall-clock time with a
// monotonic reading, comparable with time.Now()).
func (s *Store) LookupTraced(ctx context.Context, now time.Time, subject, tokenID, sessionID string) (revoked, fromView bool, vouched time.Time, err error) {
	revoked, _, at, err := s.lookup(ctx, now, subject, tokenID, sessionID)
	if at < 0 {
		return revoked, false, time.Time{}, err
	}
	return revoked, true, s.tracker.start.Add(time.Duration(at)), err
}

// Vouching reports whether the view may answer now.
func (s *Store) Vouching() bool {
	_, ok := s.tracker.vouch()
	return ok
}
