package redisstore_test

import (
	"testing"

	"github.com/freshtoken/freshtoken/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// server is a redis-server of this test's own (see redistest), with the
// test to fail when one of its steps does.
type server struct {
	*redistest.Server
	t *testing.T
}

// startServer starts redis-server with the given extra arguments. It skips
// the test when the binary is missing, unless FRESHTOKEN_REQUIRE_REDIS is set.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	return &server{redistest.Start(t, args...), t}
}

func (s *server) must(what string, err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatalf("%s redis-server: %v", what, err)
	}
}

func (s *server) start()  { s.t.Helper(); s.must("restarting", s.Restart()) }
func (s *server) stop()   { s.t.Helper(); s.must("stopping", s.Stop()) }
func (s *server) crash()  { s.t.Helper(); s.must("killing", s.Crash()) }
func (s *server) pause()  { s.t.Helper(); s.must("pausing", s.Pause()) }
func (s *server) resume() { s.t.Helper(); s.must("resuming", s.Resume()) }

// client returns a client for the server with the given options (Addr is
// filled in), closed when the test ends.
func (s *server) client(opt redis.Options) *redis.Client {
	opt.Addr = s.Addr()
	c := redis.NewClient(&opt)
	s.t.Cleanup(func() { _ = c.Close() })
	return c
}

func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	redistest.Eventually(t, what, f)
}
