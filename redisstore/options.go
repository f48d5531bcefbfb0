package redisstore

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/redis/go-redis/v9"
)

// Defaults for the zero values of Options.
const (
	DefaultViewSize = 1 << 20
	DefaultFence    = 50 * time.Millisecond
)

// Options are a Store's settings. The zero value is a Store without a
// local view, whose every Lookup is a round trip to Redis.
type Options struct {
	// LocalView keeps a copy of the revocations and cutoffs that lookups
	// read in this process's memory, which Redis keeps exact by telling
	// the process of every change (see the package doc). A warm lookup then
	// costs a few map reads instead of a round trip. The Store opens one
	// connection of its own to every master, which Close closes.
	//
	// Security: a revocation made elsewhere is honoured here once Redis's
	// message arrives (typically well under a millisecond), and never later
	// than Fence after it returned: for that long at most, a token revoked
	// on another instance may still pass on this one. Without the view it
	// is refused as soon as the revocation has returned.
	LocalView bool

	// ViewSize caps the entries the view holds, the answer "not revoked"
	// included. Zero means DefaultViewSize, about 115 MB when full (an entry
	// takes about 110 bytes, its ID included). When it is full, arbitrary entries are dropped and
	// read again from Redis when needed: the cap costs round trips, never
	// correctness.
	ViewSize int

	// Fence is how old the view's latest confirmation from Redis may be for
	// the view to answer. Zero means DefaultFence (50 ms); it must be at
	// least 5 ms. A smaller fence bounds how long a revocation may go
	// unnoticed when the connection that carries Redis's messages stalls,
	// and makes lookups fall back to round trips sooner when this process
	// or Redis hiccups. It costs a heartbeat to every master every fifth of
	// it.
	Fence time.Duration

	// dial opens a tracking connection; tests replace it to cut or stall one.
	dial func(ctx context.Context, opt *redis.Options) (net.Conn, error)
}

// dialClient dials as the client would, TLS included.
func dialClient(ctx context.Context, opt *redis.Options) (net.Conn, error) {
	return opt.Dialer(ctx, opt.Network, opt.Addr)
}

func (s *Store) startView(o Options) error {
	switch {
	case o.ViewSize < 0:
		return fmt.Errorf("%w: redisstore: negative ViewSize %d", freshtoken.ErrInvalidConfig, o.ViewSize)
	case o.Fence < 0 || (o.Fence > 0 && o.Fence < 5*time.Millisecond):
		return fmt.Errorf("%w: redisstore: Fence %v is below 5ms", freshtoken.ErrInvalidConfig, o.Fence)
	}
	if o.ViewSize == 0 {
		o.ViewSize = DefaultViewSize
	}
	if o.Fence == 0 {
		o.Fence = DefaultFence
	}
	if o.dial == nil {
		o.dial = dialClient
	}
	var masters func(context.Context) ([]*redis.Options, error)
	streaming := fmt.Errorf("%w: redisstore: LocalView cannot authenticate with a StreamingCredentialsProvider", freshtoken.ErrInvalidConfig)
	switch c := s.client.(type) {
	case *redis.Client:
		// A failover (Sentinel) client's Dialer finds the current master.
		opt := c.Options()
		if opt.StreamingCredentialsProvider != nil {
			return streaming
		}
		masters = func(context.Context) ([]*redis.Options, error) { return []*redis.Options{opt}, nil }
	case *redis.ClusterClient:
		co := c.Options()
		if co.StreamingCredentialsProvider != nil {
			return streaming
		}
		if co.ReadOnly || co.RouteByLatency || co.RouteRandomly {
			// The view is kept exact by the masters' invalidations, so it
			// may only be filled from the masters: a replica that has not
			// yet applied a revocation, read after the master's
			// invalidation arrived, would leave "not revoked" in the view
			// with nothing left to remove it.
			return fmt.Errorf("%w: redisstore: LocalView reads from the masters only; this cluster client reads replicas (ReadOnly, RouteByLatency or RouteRandomly): give the store a client without them",
				freshtoken.ErrInvalidConfig)
		}
		masters = func(ctx context.Context) ([]*redis.Options, error) {
			var mu sync.Mutex
			var opts []*redis.Options
			err := c.ForEachMaster(ctx, func(_ context.Context, node *redis.Client) error {
				mu.Lock()
				opts = append(opts, node.Options())
				mu.Unlock()
				return nil
			})
			return opts, err
		}
	default:
		return fmt.Errorf("%w: redisstore: LocalView needs a *redis.Client or a *redis.ClusterClient, not a %T",
			freshtoken.ErrInvalidConfig, s.client)
	}
	s.view = newView(o.ViewSize)
	s.tracker = newTracker(s.view, s.prefix, o.Fence, masters, o.dial)
	return nil
}

// Close stops the local view: its connections close and every Lookup is a
// round trip from then on. It does not close the client. Without a local
// view it does nothing; it always returns nil.
func (s *Store) Close() error {
	if s.tracker != nil {
		s.tracker.once.Do(s.tracker.close)
	}
	return nil
}

// ViewStats reports what the local view did; the zero ViewStats without one.
func (s *Store) ViewStats() ViewStats {
	if s.view == nil {
		return ViewStats{}
	}
	return s.view.stats()
}

// wrote forgets the keys this process has just written (a revoked ID or a
// subject's cutoff), so that its own lookups see its writes at once rather
// than when Redis's message arrives.
func (s *Store) wrote(id, subject string) {
	if s.view == nil {
		return
	}
	if id != "" {
		s.view.forgetRevoked(id)
	}
	if subject != "" {
		s.view.forgetCutoff(subject)
	}
}
