package bench

import (
	"strings"
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

// BenchmarkParallelVerify runs the guards on every core at once (run it
// with -cpu 1,2,... to see how they scale).
func BenchmarkParallelVerify(b *testing.B) {
	for _, alg := range algorithms {
		s := suiteFor(b, alg)
		for _, c := range s.verifyCases() {
			if strings.HasSuffix(c.name, "-app-claim") {
				continue // how the claims' cost scales is not the question here
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
