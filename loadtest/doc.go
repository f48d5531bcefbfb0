// Package loadtest holds no code for users, only tests: the example
// server's API (examples/server/api) under a bounded load from many
// concurrent clients, with the in-memory and the Redis revocation store,
// and with Redis killed and restarted in the middle of the load.
//
// It is a module of its own so that the core module does not depend on
// go-redis. Run it with
//
//	cd loadtest && go test -race ./...
//
// The Redis tests start their own redis-server on a free loopback port.
// They skip when redis-server is not installed, unless
// FRESHTOKEN_REQUIRE_REDIS is set, which makes that a failure.
package loadtest
