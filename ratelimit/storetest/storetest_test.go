package storetest_test

import (
	"testing"

	"github.com/restwell/restwell/ratelimit"
	"github.com/restwell/restwell/ratelimit/storetest"
)

func TestRunMemoryStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) ratelimit.Store {
		s, err := ratelimit.NewMemoryStore(ratelimit.MemoryConfig{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
