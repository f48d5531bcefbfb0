// Package bench measures freshtoken against the libraries Go developers would
// otherwise use (golang-jwt/jwt/v5, kataras/jwt, go-jose/go-jose/v4 and
// lestrrat-go/jwx v3 and v2) and against the bare signature primitives, on
// the same tokens, keys, claims and clock, for HS256, EdDSA, ES256, RS256
// and PS256.
//
// It is a module of its own so that the competitors never enter freshtoken's
// go.mod. Run ./run.sh to measure and write RESULTS.md; `go test ./...` checks
// that every benchmarked case accepts the token it is given and refuses an
// expired one, a tampered one and one without exp, so no benchmark can
// quietly time an error path or skip a check the others make.
//
// Each competitor has a file of its own (cases_test.go for golang-jwt and
// jwx v2, kataras_test.go, gojose_test.go, jwx3_test.go) saying how it is set
// up to read and write freshtoken's tokens, and where it could not do so as
// shipped.
package bench
