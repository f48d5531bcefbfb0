package freshtoken_test

import (
	"testing"

	"github.com/freshtoken/freshtoken"
	"github.com/freshtoken/freshtoken/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) freshtoken.Store { return freshtoken.NewMemoryStore() })
}
