package ratelimit_test

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/restwell/restwell/ratelimit"
)

// TestFailAfter: the store is left alone only after FailAfter failures
// in a row; a success in between starts the count again.
func TestFailAfter(t *testing.T) {
	cases := []struct {
		failAfter int
		wantCalls int64 // store calls for 10 requests while it is down
	}{{0, 3}, {1, 1}, {5, 5}, {20, 10}}
	for _, c := range cases {
		store := &flakyStore{inner: newStore(t, ratelimit.MemoryConfig{})}
		l := newLimiter(t, ratelimit.Config{
			Policies:     []ratelimit.Policy{{Name: "p", Limit: 100, Window: time.Hour}},
			Store:        store,
			StoreFailure: ratelimit.FailClosed,
			StoreRetry:   time.Hour,
			FailAfter:    c.failAfter,
			Logger:       slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)),
			ErrorHandler: quiet.Write,
		})
		h := l.Handler(ok200)
		store.down.Store(true)
		for i := 0; i < 10; i++ {
			if w := get(h, "192.0.2.1:1"); w.Code != 503 {
				t.Fatalf("FailAfter %d, request %d: %d, want 503", c.failAfter, i, w.Code)
			}
		}
		if got := store.calls.Load(); got != c.wantCalls {
			t.Errorf("FailAfter %d: store asked %d times for 10 requests, want %d", c.failAfter, got, c.wantCalls)
		}
	}

	// Failures with successes between them never switch modes.
	store := &flakyStore{inner: newStore(t, ratelimit.MemoryConfig{})}
	l := newLimiter(t, ratelimit.Config{
		Policies:     []ratelimit.Policy{{Name: "p", Limit: 100, Window: time.Hour}},
		Store:        store,
		StoreFailure: ratelimit.FailClosed,
		StoreRetry:   time.Hour,
		FailAfter:    2,
		Logger:       slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)),
		ErrorHandler: quiet.Write,
	})
	h := l.Handler(ok200)
	for i := 0; i < 10; i++ {
		down := i%2 == 0
		store.down.Store(down)
		want := 200
		if down {
			want = 503
		}
		if w := get(h, "192.0.2.1:1"); w.Code != want {
			t.Fatalf("alternating, request %d: %d, want %d", i, w.Code, want)
		}
	}
	if got := store.calls.Load(); got != 10 {
		t.Errorf("alternating failures: store asked %d times for 10 requests, want 10", got)
	}
}

// TestFailLocalReplicas: with FailLocal, each replica enforces its share
// of the quota, and replicas together admit at most the whole quota.
func TestFailLocalReplicas(t *testing.T) {
	cases := []struct {
		replicas  int
		limit     int64
		perRep    int // admitted by one replica alone
		wantTotal int // admitted by `replicas` replicas together
	}{
		{0, 60, 60, 60},
		{1, 60, 60, 60},
		{2, 60, 30, 60},
		{3, 60, 20, 60},
		{4, 10, 2, 8},
		{20, 10, 1, 20}, // rounding: at least one each
	}
	for _, c := range cases {
		n := max(c.replicas, 1)
		total := 0
		for r := 0; r < n; r++ {
			store := &flakyStore{inner: newStore(t, ratelimit.MemoryConfig{})}
			store.down.Store(true)
			l := newLimiter(t, ratelimit.Config{
				Policies:     []ratelimit.Policy{{Name: "p", Limit: c.limit, Window: time.Hour}},
				Store:        store,
				StoreFailure: ratelimit.FailLocal,
				Replicas:     c.replicas,
				Logger:       slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)),
				ErrorHandler: quiet.Write,
			})
			h := l.Handler(ok200)
			admitted := 0
			for i := 0; i < int(c.limit)*2; i++ {
				if get(h, "192.0.2.1:1").Code == 200 {
					admitted++
				}
			}
			if r == 0 && admitted != c.perRep {
				t.Errorf("Replicas %d, limit %d: one replica admitted %d, want %d", c.replicas, c.limit, admitted, c.perRep)
			}
			total += admitted
		}
		if total != c.wantTotal {
			t.Errorf("Replicas %d, limit %d: %d replicas admitted %d together, want %d", c.replicas, c.limit, n, total, c.wantTotal)
		}
	}
	if _, err := ratelimit.New(ratelimit.Config{Policies: []ratelimit.Policy{{Name: "p", Limit: 1, Window: time.Second}}, Replicas: -1}); err == nil {
		t.Error("Replicas -1: no error")
	}
}

// countingStore is a flakyStore that reports a number of replicas.
type countingStore struct {
	*flakyStore
	replicas atomic.Int64
}

func (s *countingStore) Replicas() int { return int(s.replicas.Load()) }

// TestLearnedReplicas: with FailLocal and no Config.Replicas, the
// fallback divides each quota by the replicas the store last counted.
func TestLearnedReplicas(t *testing.T) {
	store := &countingStore{flakyStore: &flakyStore{inner: newStore(t, ratelimit.MemoryConfig{})}}
	cases := []struct {
		replicas   int64
		configured int
		want       int
	}{
		{0, 0, 12}, // never counted: the whole quota
		{1, 0, 12},
		{4, 0, 3},
		{3, 0, 4},
		{4, 2, 6}, // Config.Replicas wins
	}
	for i, c := range cases {
		l := newLimiter(t, ratelimit.Config{
			Policies:     []ratelimit.Policy{{Name: "p", Limit: 12, Window: time.Hour}},
			Store:        store,
			StoreFailure: ratelimit.FailLocal,
			Replicas:     c.configured,
			Logger:       slog.New(slog.DiscardHandler),
		})
		store.replicas.Store(c.replicas)
		store.down.Store(true)
		admitted := 0
		for j := 0; j < 20; j++ {
			d, err := l.Allow(context.Background(), "client"+strconv.Itoa(i))
			if err != nil || !d.StoreFailed {
				t.Fatalf("case %d: %+v, %v; want a fallback decision", i, d, err)
			}
			if d.Allowed {
				admitted++
			}
		}
		if admitted != c.want {
			t.Errorf("%d replicas counted, Replicas %d: the fallback admitted %d of 12, want %d", c.replicas, c.configured, admitted, c.want)
		}
	}
}
