package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/restwell/restwell/ratelimit"
)

// runConcurrency runs the part of the suite about concurrency limits.
func runConcurrency(t *testing.T, newStore func(t *testing.T) ratelimit.Store) {
	t.Run("ConcurrencyHold", func(t *testing.T) { testHold(t, newStore(t)) })
	t.Run("ConcurrencyWithRate", func(t *testing.T) { testHoldWithRate(t, newStore(t)) })
	t.Run("ConcurrencyTakeHoldsNothing", func(t *testing.T) { testTakeHoldsNothing(t, newStore(t)) })
	t.Run("ConcurrencyExpiry", func(t *testing.T) { testLeaseExpiry(t, newStore(t)) })
	t.Run("ConcurrencyGoroutines", func(t *testing.T) { testHoldConcurrent(t, newStore(t)) })
	t.Run("ConcurrencyInvalidArguments", func(t *testing.T) { testHoldInvalid(t, newStore(t)) })
}

func concurrency(name string, limit int64, window time.Duration) ratelimit.Policy {
	return ratelimit.Policy{Name: name, Limit: limit, Window: window, Unit: ratelimit.UnitConcurrentRequests}
}

func acquire(t *testing.T, s ratelimit.Store, key string, policies []ratelimit.Policy, cost int64, lease uint64) (bool, []ratelimit.Result) {
	t.Helper()
	res := make([]ratelimit.Result, len(policies))
	ok, err := s.Acquire(context.Background(), key, policies, cost, lease, res)
	if err != nil {
		t.Fatalf("Acquire(%q, cost %d, lease %d): %v", key, cost, lease, err)
	}
	return ok, res
}

func release(t *testing.T, s ratelimit.Store, key string, policies []ratelimit.Policy, lease uint64) {
	t.Helper()
	if err := s.Release(context.Background(), key, policies, lease); err != nil {
		t.Fatalf("Release(%q, lease %d): %v", key, lease, err)
	}
}

func testHold(t *testing.T, s ratelimit.Store) {
	p := []ratelimit.Policy{concurrency("c", 2, hour)}
	steps := []struct {
		op      string // "acquire" or "release"
		lease   uint64
		allowed bool
		rem     int64
	}{
		{"acquire", 1, true, 1},
		{"acquire", 2, true, 0},
		{"acquire", 3, false, 0},
		{"release", 1, false, 0},
		{"acquire", 3, true, 0},
		{"release", 1, false, 0},  // released already: frees nothing
		{"release", 99, false, 0}, // never held
		{"acquire", 4, false, 0},
		{"release", 2, false, 0},
		{"release", 3, false, 0},
		{"acquire", 5, true, 1},
	}
	for i, st := range steps {
		if st.op == "release" {
			release(t, s, "k", p, st.lease)
			continue
		}
		ok, res := acquire(t, s, "k", p, 1, st.lease)
		if ok != st.allowed || res[0].Allowed != st.allowed || res[0].Remaining != st.rem {
			t.Errorf("step %d (acquire lease %d): allowed %v, %+v; want %v, Remaining %d", i, st.lease, ok, res[0], st.allowed, st.rem)
		}
		if !ok && res[0].RetryAfter <= 0 {
			t.Errorf("step %d: refused with RetryAfter %v, want > 0", i, res[0].RetryAfter)
		}
		if ok && res[0].RetryAfter != 0 {
			t.Errorf("step %d: admitted with RetryAfter %v", i, res[0].RetryAfter)
		}
	}
	// A free request holds nothing and sees the free slots.
	if ok, res := acquire(t, s, "k", p, 0, 6); !ok || res[0].Remaining != 1 {
		t.Errorf("cost 0: allowed %v, Remaining %d; want allowed, 1", ok, res[0].Remaining)
	}
	if ok, res := acquire(t, s, "k", p, 1, 7); !ok || res[0].Remaining != 0 {
		t.Errorf("after cost 0: allowed %v, Remaining %d; want allowed, 0 (cost 0 held nothing)", ok, res[0].Remaining)
	}
	// Other keys have slots of their own.
	if ok, _ := acquire(t, s, "other", p, 1, 1); !ok {
		t.Error("another key: refused")
	}
}

func testHoldWithRate(t *testing.T, s ratelimit.Store) {
	p := []ratelimit.Policy{{Name: "r", Limit: 3, Window: hour}, concurrency("c", 1, hour)}
	ok, res := acquire(t, s, "k", p, 1, 1)
	if !ok || res[0].Remaining != 2 || res[1].Remaining != 0 {
		t.Fatalf("first: allowed %v, %+v; want allowed, r 2, c 0", ok, res)
	}
	// The slot is taken: the rate policy admits but consumes nothing.
	ok, res = acquire(t, s, "k", p, 1, 2)
	if ok || !res[0].Allowed || res[0].Remaining != 2 || res[1].Allowed {
		t.Fatalf("slot held: allowed %v, %+v; want refused by c alone, r Remaining 2", ok, res)
	}
	release(t, s, "k", p, 1)
	if ok, res = acquire(t, s, "k", p, 1, 2); !ok || res[0].Remaining != 1 {
		t.Fatalf("after release: allowed %v, %+v; want allowed, r 1", ok, res)
	}
	release(t, s, "k", p, 2)
	if ok, _ = acquire(t, s, "k", p, 1, 3); !ok {
		t.Fatal("third: refused")
	}
	release(t, s, "k", p, 3)
	// The rate policy is spent: it refuses, and no slot is held.
	ok, res = acquire(t, s, "k", p, 1, 4)
	if ok || res[0].Allowed || !res[1].Allowed || res[1].Remaining != 1 {
		t.Fatalf("rate spent: allowed %v, %+v; want refused by r alone, c Remaining 1", ok, res)
	}
	if _, res = acquire(t, s, "k", p, 0, 5); res[1].Remaining != 1 || res[1].Reset != 0 {
		t.Errorf("after a refusal: c %+v, want Remaining 1, Reset 0 (nothing held)", res[1])
	}
}

func testTakeHoldsNothing(t *testing.T, s ratelimit.Store) {
	p := []ratelimit.Policy{concurrency("c", 1, hour)}
	for i := 0; i < 3; i++ {
		if ok, res := take(t, s, "k", p, 1); !ok || res[0].Remaining != 1 {
			t.Fatalf("Take %d: allowed %v, %+v; want allowed, Remaining 1 (Take holds nothing)", i, ok, res[0])
		}
	}
	if ok, _ := acquire(t, s, "k", p, 1, 1); !ok {
		t.Fatal("Acquire after Takes: refused")
	}
	if ok, res := take(t, s, "k", p, 1); ok || res[0].RetryAfter <= 0 {
		t.Errorf("Take while the slot is held: allowed %v, %+v; want refused", ok, res[0])
	}
}

func testLeaseExpiry(t *testing.T, s ratelimit.Store) {
	p := []ratelimit.Policy{concurrency("c", 1, time.Second)}
	if ok, _ := acquire(t, s, "k", p, 1, 1); !ok { // never released: its holder died
		t.Fatal("first: refused")
	}
	if ok, _ := acquire(t, s, "k", p, 1, 2); ok {
		t.Fatal("second: admitted while the first holds the slot")
	}
	time.Sleep(1100 * time.Millisecond)
	if ok, res := acquire(t, s, "k", p, 1, 2); !ok {
		t.Errorf("after the Window: refused, %+v; want the expired lease's slot", res[0])
	}
}

func testHoldConcurrent(t *testing.T, s ratelimit.Store) {
	const limit = 3
	p := []ratelimit.Policy{concurrency("c", limit, hour), {Name: "r", Limit: 100000, Window: 1000 * hour}} // a unit back every 36s
	var inflight, peak, admitted atomic.Int64
	var next atomic.Uint64
	var wg sync.WaitGroup
	for g := 0; g < 20; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := make([]ratelimit.Result, len(p))
			for i := 0; i < 20; i++ {
				lease := next.Add(1)
				ok, err := s.Acquire(context.Background(), "shared", p, 1, lease, res)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					continue
				}
				admitted.Add(1)
				n := inflight.Add(1)
				for {
					m := peak.Load()
					if n <= m || peak.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(time.Millisecond)
				inflight.Add(-1)
				if err := s.Release(context.Background(), "shared", p, lease); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := peak.Load(); got > limit {
		t.Errorf("%d requests held slots at once, want at most %d", got, limit)
	}
	if admitted.Load() < limit {
		t.Errorf("%d requests admitted, want at least %d", admitted.Load(), limit)
	}
	if ok, res := acquire(t, s, "shared", p, 0, 0); !ok || res[0].Remaining != limit {
		t.Errorf("after every release: c Remaining %d, want %d", res[0].Remaining, limit)
	}
	if _, res := take(t, s, "shared", p, 0); res[1].Remaining != 100000-admitted.Load() {
		t.Errorf("r: Remaining %d, want %d (one unit per admitted request)", res[1].Remaining, 100000-admitted.Load())
	}
}

func testHoldInvalid(t *testing.T, s ratelimit.Store) {
	res := make([]ratelimit.Result, 2)
	cases := []struct {
		name     string
		policies []ratelimit.Policy
		cost     int64
		res      []ratelimit.Result
	}{
		{"no policies", nil, 1, res},
		{"zero limit", []ratelimit.Policy{concurrency("c", 0, hour)}, 1, res},
		{"burst", []ratelimit.Policy{{Name: "c", Limit: 2, Burst: 1, Window: hour, Unit: ratelimit.UnitConcurrentRequests}}, 1, res},
		{"negative cost", []ratelimit.Policy{concurrency("c", 1, hour)}, -1, res},
		{"short res", []ratelimit.Policy{concurrency("c", 1, hour)}, 1, nil},
	}
	for _, c := range cases {
		if _, err := s.Acquire(context.Background(), "k", c.policies, c.cost, 1, c.res); err == nil {
			t.Errorf("Acquire, %s: no error", c.name)
		}
	}
	if err := s.Release(context.Background(), "k", nil, 1); err == nil {
		t.Error("Release with no policies: no error")
	}
	if ok, _ := acquire(t, s, "k", []ratelimit.Policy{concurrency("c", 1, hour)}, 1, 1); !ok {
		t.Error("invalid calls held a slot")
	}
}
