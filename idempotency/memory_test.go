package idempotency_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/restwell/restwell/idempotency"
	"github.com/restwell/restwell/idempotency/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) idempotency.Store {
		s, err := idempotency.NewMemoryStore(idempotency.MemoryConfig{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestMemoryStoreNow drives a store by MemoryConfig.Now: leases and
// expiries follow the injected clock, not the real one.
func TestMemoryStoreNow(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s, err := idempotency.NewMemoryStore(idempotency.MemoryConfig{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	k := idempotency.Key{Scope: "s", ID: "k"}
	rec, ok, err := s.Acquire(ctx, k, "fp", time.Minute, time.Hour)
	if err != nil || !ok {
		t.Fatalf("Acquire: %v %v", ok, err)
	}
	if want := clock().Add(time.Minute); !rec.LeaseExpires.Equal(want) {
		t.Errorf("LeaseExpires %v, want %v", rec.LeaseExpires, want)
	}
	for _, tt := range []struct {
		advance  time.Duration
		acquired bool // by another request with the same fingerprint
		found    bool
	}{
		{59 * time.Second, false, true}, // the lease still holds
		{2 * time.Second, true, true},   // the lease ran out: taken over
		{time.Hour, false, false},       // the record expired
	} {
		advance(tt.advance)
		if _, found, err := s.Get(ctx, k); err != nil || found != tt.found {
			t.Fatalf("after %v: Get found %v, %v; want %v", tt.advance, found, err, tt.found)
		}
		if !tt.found {
			break
		}
		if _, ok, err := s.Acquire(ctx, k, "fp", time.Minute, time.Hour); err != nil || ok != tt.acquired {
			t.Fatalf("after %v: Acquire %v, %v; want %v", tt.advance, ok, err, tt.acquired)
		}
	}
}
