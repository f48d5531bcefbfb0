package main

import "testing"

// The walkthrough checks each step's outcome itself (a fresh login passes
// RequireFresh, a refreshed token fails it with a *FreshnessError, ...) and
// returns an error when one differs, so running it is the test.
func TestWalkthrough(t *testing.T) {
	if err := run(); err != nil {
		t.Fatal(err)
	}
}
