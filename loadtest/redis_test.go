package loadtest

import (
	"testing"

	"github.com/freshtoken/freshtoken/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// startRedis starts a redis-server of the test's own (see redistest), which
// the fault test kills and starts again on the same port and data. It
// skips the test when the binary is missing, unless FRESHTOKEN_REQUIRE_REDIS
// is set.
func startRedis(t *testing.T, args ...string) *redistest.Server {
	t.Helper()
	return redistest.Start(t, args...)
}

// redisClient returns a client for s with the given options (Addr is
// filled in), closed when the test ends.
func redisClient(t *testing.T, s *redistest.Server, opt redis.Options) *redis.Client {
	opt.Addr = s.Addr()
	c := redis.NewClient(&opt)
	t.Cleanup(func() { _ = c.Close() })
	return c
}
