// Package storetest is the conformance suite for ratelimit.Store
// implementations. Every store runs it in its tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) ratelimit.Store {
//			return newMyStore(t) // a fresh, empty store (or key space)
//		})
//	}
//
// It covers concurrency limits too (policies of unit
// ratelimit.UnitConcurrentRequests, Acquire and Release): slots held and
// given back, all or nothing with rate policies, leases that expire after
// the policy's Window, and goroutines that never hold more than the limit.
//
// The suite works on the store's own clock: it uses long windows where
// exact values matter and waits real time (well under a second) only to
// see quota come back.
package storetest

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/restwell/restwell/ratelimit"
)

// Run runs the conformance suite. newStore must return a store with no
// state for any key the suite uses; it is called once per subtest.
func Run(t *testing.T, newStore func(t *testing.T) ratelimit.Store) {
	t.Run("Burst", func(t *testing.T) { testBurst(t, newStore(t)) })
	t.Run("AllOrNothing", func(t *testing.T) { testAllOrNothing(t, newStore(t)) })
	t.Run("Cost", func(t *testing.T) { testCost(t, newStore(t)) })
	t.Run("CostAboveBurst", func(t *testing.T) { testCostAboveBurst(t, newStore(t)) })
	t.Run("BurstBelowLimit", func(t *testing.T) { testBurstBelowLimit(t, newStore(t)) })
	t.Run("KeysIndependent", func(t *testing.T) { testKeys(t, newStore(t)) })
	t.Run("Refill", func(t *testing.T) { testRefill(t, newStore(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newStore(t)) })
	t.Run("InvalidArguments", func(t *testing.T) { testInvalid(t, newStore(t)) })
	runConcurrency(t, newStore)
}

const hour = time.Hour

func take(t *testing.T, s ratelimit.Store, key string, policies []ratelimit.Policy, cost int64) (bool, []ratelimit.Result) {
	t.Helper()
	res := make([]ratelimit.Result, len(policies))
	ok, err := s.Take(context.Background(), key, policies, cost, res)
	if err != nil {
		t.Fatalf("Take(%q, cost %d): %v", key, cost, err)
	}
	return ok, res
}

// near reports whether got is within [want-slack, want].
func near(got, want, slack time.Duration) bool { return got <= want && got >= want-slack }

const slack = 5 * time.Second // time passing during a test, and clock resolution

func testBurst(t *testing.T, s ratelimit.Store) {
	p := []ratelimit.Policy{{Name: "default", Limit: 5, Window: hour}}
	interval := p[0].Interval() // 12 minutes
	ok, res := take(t, s, "k", p, 0)
	if !ok || res[0].Remaining != 5 || res[0].Reset != 0 {
		t.Fatalf("fresh key, cost 0: allowed %v, %+v; want allowed, Remaining 5, Reset 0", ok, res[0])
	}
	for i := int64(1); i <= 5; i++ {
		ok, res := take(t, s, "k", p, 1)
		if !ok || !res[0].Allowed {
			t.Fatalf("request %d denied: %+v", i, res[0])
		}
		if res[0].Remaining != 5-i {
			t.Errorf("request %d: Remaining %d, want %d", i, res[0].Remaining, 5-i)
		}
		if res[0].RetryAfter != 0 {
			t.Errorf("request %d: RetryAfter %v on an admitted request", i, res[0].RetryAfter)
		}
		if !near(res[0].Reset, interval, slack) {
			t.Errorf("request %d: Reset %v, want about %v", i, res[0].Reset, interval)
		}
	}
	ok, res = take(t, s, "k", p, 1)
	if ok || res[0].Allowed {
		t.Fatalf("request 6 admitted: %+v", res[0])
	}
	if res[0].Remaining != 0 {
		t.Errorf("denied: Remaining %d, want 0", res[0].Remaining)
	}
	if !near(res[0].RetryAfter, interval, slack) {
		t.Errorf("denied: RetryAfter %v, want about %v", res[0].RetryAfter, interval)
	}
	if res[0].Reset > res[0].RetryAfter {
		t.Errorf("denied: Reset %v later than RetryAfter %v", res[0].Reset, res[0].RetryAfter)
	}
	// A denied request consumed nothing: the wait has not grown.
	_, again := take(t, s, "k", p, 1)
	if again[0].RetryAfter > res[0].RetryAfter {
		t.Errorf("second denial: RetryAfter %v, more than the first %v", again[0].RetryAfter, res[0].RetryAfter)
	}
}

func testAllOrNothing(t *testing.T, s ratelimit.Store) {
	p := []ratelimit.Policy{{Name: "small", Limit: 2, Window: hour}, {Name: "large", Limit: 10, Window: hour}}
	for i := 0; i < 2; i++ {
		if ok, res := take(t, s, "k", p, 1); !ok {
			t.Fatalf("request %d denied: %+v", i+1, res)
		}
	}
	for i := 0; i < 3; i++ {
		ok, res := take(t, s, "k", p, 1)
		if ok {
			t.Fatalf("request %d admitted past the small policy", i+3)
		}
		if res[0].Allowed || !res[1].Allowed {
			t.Errorf("per-policy Allowed = %v, %v; want false, true", res[0].Allowed, res[1].Allowed)
		}
		if res[1].Remaining != 8 {
			t.Errorf("large: Remaining %d in a refused request, want 8 (two consumed, none now)", res[1].Remaining)
		}
		if res[1].RetryAfter != 0 {
			t.Errorf("large: RetryAfter %v on a policy that admits", res[1].RetryAfter)
		}
	}
	// A free request sees what is left: large has lost only the two
	// admitted requests.
	ok, res := take(t, s, "k", p, 0)
	if !ok || res[0].Remaining != 0 || res[1].Remaining != 8 {
		t.Errorf("cost 0: allowed %v, Remaining %d, %d; want 0, 8", ok, res[0].Remaining, res[1].Remaining)
	}
}

func testCost(t *testing.T, s ratelimit.Store) {
	p := []ratelimit.Policy{{Name: "units", Limit: 10, Window: hour}}
	steps := []struct {
		cost    int64
		allowed bool
		rem     int64
	}{
		{4, true, 6}, {4, true, 2}, {4, false, 2}, {0, true, 2}, {2, true, 0}, {1, false, 0}, {0, true, 0},
	}
	for i, st := range steps {
		ok, res := take(t, s, "k", p, st.cost)
		if ok != st.allowed || res[0].Remaining != st.rem {
			t.Errorf("step %d (cost %d): allowed %v, Remaining %d; want %v, %d", i, st.cost, ok, res[0].Remaining, st.allowed, st.rem)
		}
		if !ok && !near(res[0].RetryAfter, time.Duration(st.cost-st.rem)*p[0].Interval(), slack) {
			t.Errorf("step %d: RetryAfter %v, want about %v", i, res[0].RetryAfter, time.Duration(st.cost-st.rem)*p[0].Interval())
		}
	}
}

func testCostAboveBurst(t *testing.T, s ratelimit.Store) {
	p := []ratelimit.Policy{{Name: "units", Limit: 10, Window: hour}}
	ok, res := take(t, s, "k", p, 11)
	if ok || res[0].Allowed || res[0].RetryAfter >= 0 {
		t.Errorf("cost 11 > burst 10: allowed %v, %+v; want denied with negative RetryAfter", ok, res[0])
	}
	if ok, res := take(t, s, "k", p, 10); !ok || res[0].Remaining != 0 {
		t.Errorf("cost 10 after a refused 11: allowed %v, Remaining %d; want allowed, 0", ok, res[0].Remaining)
	}
}

func testBurstBelowLimit(t *testing.T, s ratelimit.Store) {
	p := []ratelimit.Policy{{Name: "smooth", Limit: 60, Window: hour, Burst: 3}}
	for i := int64(1); i <= 3; i++ {
		if ok, res := take(t, s, "k", p, 1); !ok || res[0].Remaining != 3-i {
			t.Fatalf("request %d: allowed %v, Remaining %d; want allowed, %d", i, ok, res[0].Remaining, 3-i)
		}
	}
	if ok, res := take(t, s, "k", p, 1); ok || !near(res[0].RetryAfter, time.Minute, slack) {
		t.Errorf("request 4: allowed %v, RetryAfter %v; want denied, about 1m", ok, res[0].RetryAfter)
	}
}

func testKeys(t *testing.T, s ratelimit.Store) {
	p := []ratelimit.Policy{{Name: "one", Limit: 1, Window: hour}}
	keys := []string{"a", "b", "", "{", "}", "}x", "{}", "a{b}c", "a}b{c", "x:y", "é", "sp ace", "nul\x00", strings.Repeat("k", 1000)}
	for _, k := range keys {
		if ok, _ := take(t, s, k, p, 1); !ok {
			t.Errorf("key %q: first request denied", k)
		}
	}
	for _, k := range keys {
		if ok, _ := take(t, s, k, p, 1); ok {
			t.Errorf("key %q: second request admitted", k)
		}
	}
}

func testRefill(t *testing.T, s ratelimit.Store) {
	p := []ratelimit.Policy{{Name: "fast", Limit: 10, Window: time.Second, Burst: 1}} // one unit per 100ms
	if ok, _ := take(t, s, "k", p, 1); !ok {
		t.Fatal("first request denied")
	}
	ok, res := take(t, s, "k", p, 1)
	if ok {
		t.Fatal("second request admitted at once")
	}
	if res[0].RetryAfter <= 0 || res[0].RetryAfter > 100*time.Millisecond {
		t.Fatalf("RetryAfter %v, want within (0, 100ms]", res[0].RetryAfter)
	}
	time.Sleep(res[0].RetryAfter + 20*time.Millisecond)
	if ok, res := take(t, s, "k", p, 1); !ok {
		t.Errorf("after waiting RetryAfter: denied, %+v", res[0])
	}
}

func testConcurrent(t *testing.T, s ratelimit.Store) {
	p := []ratelimit.Policy{{Name: "burst", Limit: 100, Window: hour}, {Name: "wide", Limit: 1000, Window: hour}}
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 50; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := make([]ratelimit.Result, 2)
			for i := 0; i < 10; i++ {
				ok, err := s.Take(context.Background(), "shared", p, 1, res)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					admitted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if got := admitted.Load(); got != 100 {
		t.Errorf("50 goroutines x 10 requests admitted %d, want exactly 100", got)
	}
	if _, res := take(t, s, "shared", p, 0); res[1].Remaining != 900 {
		t.Errorf("wide: Remaining %d, want 900 (denied requests consume nothing)", res[1].Remaining)
	}
}

func testInvalid(t *testing.T, s ratelimit.Store) {
	good := []ratelimit.Policy{{Name: "p", Limit: 1, Window: hour}}
	res := make([]ratelimit.Result, ratelimit.MaxPolicies+1)
	many := make([]ratelimit.Policy, ratelimit.MaxPolicies+1)
	for i := range many {
		many[i] = ratelimit.Policy{Name: string(rune('a' + i)), Limit: 1, Window: hour}
	}
	cases := []struct {
		name     string
		policies []ratelimit.Policy
		cost     int64
		res      []ratelimit.Result
	}{
		{"no policies", nil, 1, res},
		{"too many policies", many, 1, res},
		{"zero limit", []ratelimit.Policy{{Name: "p", Window: hour}}, 1, res},
		{"negative cost", good, -1, res},
		{"short res", good, 1, nil},
	}
	for _, c := range cases {
		if _, err := s.Take(context.Background(), "k", c.policies, c.cost, c.res); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	if ok, _ := take(t, s, "k", good, 1); !ok {
		t.Error("invalid calls consumed quota")
	}
}
