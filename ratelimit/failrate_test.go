package ratelimit_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/ratelimit"
)

// patternStore fails the calls that pattern marks, cyclically, and
// counts them all.
type patternStore struct {
	ratelimit.Store
	pattern string // 'F' fails, anything else succeeds
	calls   atomic.Int64
}

func (s *patternStore) Take(ctx context.Context, key string, p []ratelimit.Policy, cost int64, res []ratelimit.Result) (bool, error) {
	n := s.calls.Add(1) - 1
	if s.pattern[n%int64(len(s.pattern))] == 'F' {
		return false, apierrors.New("i/o timeout")
	}
	return s.Store.Take(ctx, key, p, cost, res)
}

// TestFailRate: a store that fails a share of its calls, never FailAfter
// in a row, is left alone once more than FailRate of the calls of the
// window failed, and not before at least 20 calls.
func TestFailRate(t *testing.T) {
	cases := []struct {
		name      string
		pattern   string
		rate      float64
		wantCalls int64 // of 100 requests
	}{
		// Two failures in three: call 20 fails, the 14th failure of 20
		// calls, the first count at which the rate may switch.
		{"two in three", "FFS", 0, 20},
		// Every other call fails, the even ones. Calls count from the
		// first failure on, so this is "FS" one call later: 11 failures
		// of the 21 calls from call 2 to 22.
		{"one in two, counted from the first failure", "SF", 0, 22},
		// Two in five never exceed half, wherever the count starts.
		{"two in five", "SFSFS", 0, 100},
		// The odd ones: 11 failures of 21 calls are more than half.
		{"one in two, starting with a failure", "FS", 0, 21},
		{"one in three", "FSS", 0, 100},
		{"two in three, under a higher rate", "FFS", 0.7, 100},
		{"two in three, rate off", "FFS", 1, 100},
		{"three in four, under 0.7", "FFFS", 0.7, 3}, // FailAfter (3 in a row) first
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			store := &patternStore{Store: newStore(t, ratelimit.MemoryConfig{}), pattern: c.pattern}
			l := newLimiter(t, ratelimit.Config{
				Policies:   []ratelimit.Policy{{Name: "p", Limit: 1000, Window: time.Hour}},
				Store:      store,
				StoreRetry: time.Hour,
				FailRate:   c.rate,
				Logger:     slog.New(slog.DiscardHandler),
			})
			for i := 0; i < 100; i++ {
				if _, err := l.Allow(context.Background(), "k"); err != nil {
					t.Fatal(err)
				}
			}
			if got := store.calls.Load(); got != c.wantCalls {
				t.Errorf("store asked %d times for 100 requests, want %d", got, c.wantCalls)
			}
		})
	}
}

// TestFailWindow: failures older than FailWindow do not count.
func TestFailWindow(t *testing.T) {
	store := &patternStore{Store: newStore(t, ratelimit.MemoryConfig{}), pattern: "FFS"}
	l := newLimiter(t, ratelimit.Config{
		Policies:   []ratelimit.Policy{{Name: "p", Limit: 1000, Window: time.Hour}},
		Store:      store,
		StoreRetry: time.Hour,
		FailWindow: 200 * time.Millisecond,
		Logger:     slog.New(slog.DiscardHandler),
	})
	// 15 calls a window: never the 20 a rate needs.
	for i := 0; i < 60; i++ {
		if i%15 == 0 {
			time.Sleep(250 * time.Millisecond)
		}
		_, _ = l.Allow(context.Background(), "k")
	}
	if got := store.calls.Load(); got != 60 {
		t.Errorf("store asked %d times for 60 requests spread over windows, want 60", got)
	}
}

func TestFailRateConfig(t *testing.T) {
	for _, cfg := range []ratelimit.Config{{FailRate: -0.1}, {FailWindow: -time.Second}} {
		cfg.Policies = []ratelimit.Policy{{Name: "p", Limit: 1, Window: time.Hour}}
		if _, err := ratelimit.New(cfg); err == nil {
			t.Errorf("New(FailRate %v, FailWindow %v): no error", cfg.FailRate, cfg.FailWindow)
		}
	}
}
