// Package bench measures freshtoken against the libraries Go developers would
// otherwise use (golang-jwt/jwt/v5 and lestrrat-go/jwx/v2) and against the bare
// signature primitives, on the same tokens, keys, claims and clock.
//
// It is a module of its own so that the competitors never enter freshtoken's
// go.mod. Run ./run.sh to measure and write RESULTS.md; `go test ./...` checks
// that every benchmarked case accepts the token it is given, so no benchmark
// can quietly time an error path.
package bench
