package idempotency

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestMemoryStoreBounds(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	s, err := NewMemoryStore(MemoryConfig{MaxRecords: 2, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		if _, ok, err := s.Acquire(ctx, Key{ID: id}, "fp", time.Minute, time.Minute); !ok || err != nil {
			t.Fatalf("Acquire(%s) = %v, %v", id, ok, err)
		}
	}
	// Full of live records: refuse rather than evict one.
	if _, _, err := s.Acquire(ctx, Key{ID: "c"}, "fp", time.Minute, time.Minute); !errors.Is(err, ErrStoreFull) {
		t.Fatalf("Acquire on a full store: %v, want ErrStoreFull", err)
	}
	// Once they expire, they are evicted for new ones.
	now = now.Add(2 * time.Minute)
	if _, ok, err := s.Acquire(ctx, Key{ID: "c"}, "fp", time.Minute, time.Minute); !ok || err != nil {
		t.Fatalf("Acquire after expiry = %v, %v", ok, err)
	}
	if n := s.Len(); n > 2 {
		t.Fatalf("Len = %d, want at most 2", n)
	}
}

func TestMemoryStoreBytes(t *testing.T) {
	ctx := context.Background()
	s, err := NewMemoryStore(MemoryConfig{MaxBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	rec, _, _ := s.Acquire(ctx, Key{ID: "big"}, "fp", time.Minute, time.Minute)
	res := &Response{Status: 201, Header: http.Header{"A": {"b"}}, Body: make([]byte, 8192)}
	if err := s.Complete(ctx, Key{ID: "big"}, rec.Token, res, time.Minute); err != nil {
		t.Fatal(err)
	}
	got, _, _ := s.Get(ctx, Key{ID: "big"})
	// A response that does not fit is kept as a tombstone, never dropped.
	if got.Response == nil || got.Response.Tombstone != TombstoneTooLarge || got.Response.Status != 201 {
		t.Fatalf("record = %+v, want a too_large tombstone", got.Response)
	}
	if _, err := NewMemoryStore(MemoryConfig{MaxRecords: -1}); err == nil {
		t.Fatal("negative bounds accepted")
	}
}

func TestMemoryStoreCancelledContext(t *testing.T) {
	s, _ := NewMemoryStore(MemoryConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	k := Key{ID: "k"}
	if _, _, err := s.Acquire(ctx, k, "fp", time.Minute, time.Minute); err == nil {
		t.Error("Acquire with a cancelled context succeeded")
	}
	if err := s.Renew(ctx, k, 1, time.Minute); err == nil {
		t.Error("Renew with a cancelled context succeeded")
	}
	if err := s.Complete(ctx, k, 1, &Response{}, time.Minute); err == nil {
		t.Error("Complete with a cancelled context succeeded")
	}
	if err := s.Release(ctx, k, 1); err == nil {
		t.Error("Release with a cancelled context succeeded")
	}
	if _, _, err := s.Get(ctx, k); err == nil {
		t.Error("Get with a cancelled context succeeded")
	}
}
