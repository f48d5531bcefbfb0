package authtest_test

import (
	"testing"

	"github.com/freshtoken/freshtoken/httpauth/authtest"
)

// TestNetHTTP runs the suite on the reference itself, which checks the
// suite's expectations against httpauth's Middleware.
func TestNetHTTP(t *testing.T) { authtest.Run(t, authtest.NetHTTP) }
