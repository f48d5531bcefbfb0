package bench

import (
	"slices"
	"testing"
)

// Benchmark names are Benchmark<Group>/<algorithm>/<case>; cmd/report reads
// them to build RESULTS.md, so rename with care.

// BenchmarkVerify is the guard every request runs.
func BenchmarkVerify(b *testing.B) { runCases(b, (*suite).verifyCases) }

// BenchmarkIssue is a login: an access and a refresh token.
func BenchmarkIssue(b *testing.B) { runCases(b, (*suite).issueCases) }

// BenchmarkRefresh swaps a refresh token for a new access token.
func BenchmarkRefresh(b *testing.B) { runCases(b, (*suite).refreshCases) }

// BenchmarkParallelVerify runs RequireFresh on every core at once, without
// the verified-token cache and with it (hits, and misses that fill it), next
// to the bare primitive, which shows how far this machine lets any guard
// scale. Run it with -cpu 1,2,... to see the speed-up.
func BenchmarkParallelVerify(b *testing.B) {
	for _, alg := range algorithms {
		s := suiteFor(b, alg)
		for _, c := range s.verifyCases() {
			if !slices.Contains(parallelCases, c.name) {
				continue
			}
			b.Run(alg+"/"+c.name, func(b *testing.B) {
				if err := c.newRun()(); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					run := c.newRun()
					for pb.Next() {
						if err := run(); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}

// parallelCases are the verifyCases BenchmarkParallelVerify runs.
var parallelCases = []string{
	"freshtoken-RequireFresh", "raw", "freshtoken-RequireFresh-cache-hit", "freshtoken-RequireFresh-cache-miss",
}

func runCases(b *testing.B, cases func(*suite) []benchCase) {
	for _, alg := range algorithms {
		s := suiteFor(b, alg)
		for _, c := range cases(s) {
			b.Run(alg+"/"+c.name, func(b *testing.B) {
				run := c.newRun()
				if err := run(); err != nil { // warm: the cache-hit case needs one miss first
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if err := run(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
