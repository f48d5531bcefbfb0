// Package testclock is the clock freshtoken's tests inject as Config.Now,
// so that tokens expire because a test moves time, never because it sleeps.
// It is the tests' one settable clock. The examples do not use it: a reader
// cannot import an internal package, so each example keeps its own.
package testclock

import (
	"sync"
	"time"
)

// Clock is a settable clock, safe for goroutines (servers, stores) to read
// while the test moves it.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a Clock that reads start until it is moved.
func New(start time.Time) *Clock { return &Clock{now: start} }

// Now is the Config.Now function.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
