package ratelimit_test

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/restwell/restwell/ratelimit"
	"github.com/restwell/restwell/ratelimit/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) ratelimit.Store {
		s, err := ratelimit.NewMemoryStore(ratelimit.MemoryConfig{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// fakeClock is a manual clock, safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newStore(t testing.TB, cfg ratelimit.MemoryConfig) *ratelimit.MemoryStore {
	t.Helper()
	s, err := ratelimit.NewMemoryStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMemoryConfigErrors(t *testing.T) {
	for _, cfg := range []ratelimit.MemoryConfig{
		{MaxKeys: 10},
		{MaxKeys: 1000, Shards: 32},
		{MaxKeys: 1000, Shards: 100},
		{MaxKeys: 100, Shards: 128},
		{MaxKeys: -1},
	} {
		if _, err := ratelimit.NewMemoryStore(cfg); err == nil {
			t.Errorf("NewMemoryStore(%+v): no error", cfg)
		}
	}
}

// refModel is GCRA on a plain map: what the store must compute when
// nothing is evicted.
type refModel map[string][]int64

func (m refModel) take(key string, now int64, policies []ratelimit.Policy, cost int64) (bool, []int64) {
	tats, ok := m[key]
	if !ok {
		tats = make([]int64, len(policies))
		for i := range tats {
			tats[i] = -1 << 62
		}
	}
	next := make([]int64, len(policies))
	rem := make([]int64, len(policies))
	allowed := true
	for i, p := range policies {
		T := int64(p.Interval())
		capacity := p.MaxBurst() * T
		tat := max(tats[i], now)
		level := min(tat-now, capacity)
		n := level + cost*T
		if cost > p.MaxBurst() || n > capacity {
			allowed = false
			rem[i] = (capacity - level) / T
			continue
		}
		next[i] = now + n
		rem[i] = (capacity - n) / T
	}
	if allowed {
		m[key] = next
		return true, rem
	}
	for i, p := range policies { // refused: nothing consumed anywhere
		T := int64(p.Interval())
		capacity := p.MaxBurst() * T
		rem[i] = (capacity - min(max(tats[i], now)-now, capacity)) / T
	}
	return false, rem
}

// TestMemoryStoreMatchesModel drives the store and the model with the
// same random requests, many keys going idle (their slots reused, which
// exercises deletion) but none evicted.
func TestMemoryStoreMatchesModel(t *testing.T) {
	clock := newFakeClock()
	s := newStore(t, ratelimit.MemoryConfig{MaxKeys: 1 << 16, Now: clock.Now})
	policies := []ratelimit.Policy{
		{Name: "fast", Limit: 5, Window: time.Second},
		{Name: "slow", Limit: 20, Window: time.Minute, Burst: 8},
	}
	model := refModel{}
	start := clock.Now()
	rng := rand.New(rand.NewPCG(1, 2))
	res := make([]ratelimit.Result, 2)
	for i := 0; i < 200_000; i++ {
		clock.Advance(time.Duration(rng.IntN(3_000_000)))
		key := string(rune('a'+rng.IntN(26))) + string(rune('a'+rng.IntN(40)))
		cost := int64(rng.IntN(3))
		now := int64(clock.Now().Sub(start))
		want, wantRem := model.take(key, now, policies, cost)
		got, err := s.Take(context.Background(), key, policies, cost, res)
		if err != nil {
			t.Fatal(err)
		}
		if got != want || res[0].Remaining != wantRem[0] || res[1].Remaining != wantRem[1] {
			t.Fatalf("step %d key %q cost %d: allowed %v remaining %d,%d; model %v %d,%d",
				i, key, cost, got, res[0].Remaining, res[1].Remaining, want, wantRem[0], wantRem[1])
		}
	}
	if n := s.Len(); n > 26*40 {
		t.Errorf("Len %d, more than the %d distinct keys", n, 26*40)
	}
}

func TestMemoryStoreCap(t *testing.T) {
	clock := newFakeClock()
	s := newStore(t, ratelimit.MemoryConfig{MaxKeys: 4096, Now: clock.Now})
	p := []ratelimit.Policy{{Name: "p", Limit: 1000, Window: time.Hour}}
	res := make([]ratelimit.Result, 1)
	ctx := context.Background()
	hot := func(i int) string { return "hot" + strconv.Itoa(i) }
	// 100 keys used every round survive 50 rounds of 1000 new keys each:
	// CLOCK evicts keys not used since the hand last passed.
	for round := 0; round < 50; round++ {
		for i := 0; i < 100; i++ {
			s.Take(ctx, hot(i), p, 1, res)
		}
		for i := 0; i < 1000; i++ {
			s.Take(ctx, "churn"+strconv.Itoa(round*1000+i), p, 1, res)
		}
		if n := s.Len(); n > 4096 {
			t.Fatalf("round %d: Len %d > MaxKeys 4096", round, n)
		}
	}
	lost := 0
	for i := 0; i < 100; i++ {
		if s.Take(ctx, hot(i), p, 0, res); res[0].Remaining != 950 {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of 100 hot keys lost their state under churn", lost)
	}
}

func TestMemoryStoreIdleKeysExpire(t *testing.T) {
	clock := newFakeClock()
	s := newStore(t, ratelimit.MemoryConfig{MaxKeys: 64, Now: clock.Now})
	p := []ratelimit.Policy{{Name: "p", Limit: 1, Window: time.Second}}
	res := make([]ratelimit.Result, 1)
	for round := 0; round < 50; round++ {
		for i := 0; i < 64; i++ {
			if ok, _ := s.Take(context.Background(), string(rune(round*64+i)), p, 1, res); !ok {
				t.Fatalf("round %d key %d denied", round, i)
			}
		}
		clock.Advance(2 * time.Second) // every key is idle again
	}
	if n := s.Len(); n > 64 {
		t.Errorf("Len %d > 64", n)
	}
}

func TestMemoryStorePolicyCountChanges(t *testing.T) {
	s := newStore(t, ratelimit.MemoryConfig{})
	one := []ratelimit.Policy{{Name: "a", Limit: 3, Window: time.Hour}}
	three := append(one[:1:1], ratelimit.Policy{Name: "b", Limit: 5, Window: time.Hour}, ratelimit.Policy{Name: "c", Limit: 7, Window: time.Hour})
	res := make([]ratelimit.Result, 3)
	ctx := context.Background()
	for i := 0; i < 100; i++ {
		s.Take(ctx, string(rune(i)), one, 1, res)
	}
	ok, _ := s.Take(ctx, "\x05", three, 1, res)
	if !ok || res[0].Remaining != 1 || res[1].Remaining != 4 || res[2].Remaining != 6 {
		t.Errorf("after widening: allowed %v, remaining %d %d %d; want 1 4 6", ok, res[0].Remaining, res[1].Remaining, res[2].Remaining)
	}
	if ok, _ := s.Take(ctx, "\x07", one, 2, res); !ok || res[0].Remaining != 0 {
		t.Errorf("narrow call after widening: allowed %v, remaining %d; want 0", ok, res[0].Remaining)
	}
}

func TestMemoryStoreConcurrentOneKey(t *testing.T) {
	clock := newFakeClock() // frozen: no quota comes back during the test
	s := newStore(t, ratelimit.MemoryConfig{Now: clock.Now})
	p := []ratelimit.Policy{{Name: "p", Limit: 1000, Window: time.Hour}}
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := make([]ratelimit.Result, 1)
			for i := 0; i < 100; i++ {
				if ok, _ := s.Take(context.Background(), "one", p, 1, res); ok {
					admitted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if got := admitted.Load(); got != 1000 {
		t.Errorf("64 goroutines x 100 requests admitted %d, want exactly the budget 1000", got)
	}
}

func TestMemoryStoreConcurrentManyKeys(t *testing.T) {
	s := newStore(t, ratelimit.MemoryConfig{MaxKeys: 512})
	p := []ratelimit.Policy{{Name: "p", Limit: 5, Window: time.Second}}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := make([]ratelimit.Result, 1)
			for i := 0; i < 5000; i++ {
				if _, err := s.Take(context.Background(), string(rune(g*10000+i%3000)), p, 1, res); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := s.Len(); n > 512 {
		t.Errorf("Len %d > 512", n)
	}
}

func TestMemoryStoreTakeAllocs(t *testing.T) {
	s := newStore(t, ratelimit.MemoryConfig{})
	p := []ratelimit.Policy{{Name: "a", Limit: 1e9, Window: time.Second}, {Name: "b", Limit: 1e9, Window: time.Minute}}
	res := make([]ratelimit.Result, 2)
	ctx := context.Background()
	s.Take(ctx, "k", p, 1, res)
	if n := testing.AllocsPerRun(1000, func() { s.Take(ctx, "k", p, 1, res) }); n != 0 {
		t.Errorf("Take allocates %v times per call, want 0", n)
	}
}

// TestMemoryStoreRevalidates: the store remembers the lists it has
// validated by value, so a list changed in place is validated again, and
// more lists than it remembers are still decided.
func TestMemoryStoreRevalidates(t *testing.T) {
	s := newStore(t, ratelimit.MemoryConfig{})
	ctx := context.Background()
	res := make([]ratelimit.Result, ratelimit.MaxPolicies)
	policies := []ratelimit.Policy{{Name: "p", Limit: 10, Window: time.Hour}}
	if ok, err := s.Take(ctx, "k", policies, 1, res); err != nil || !ok {
		t.Fatalf("Take = %v, %v; want true, nil", ok, err)
	}
	policies[0].Limit = 0
	if _, err := s.Take(ctx, "k", policies, 1, res); err == nil {
		t.Error("Take with a list changed to a zero limit: no error")
	}
	for i := 0; i < 20; i++ {
		p := []ratelimit.Policy{{Name: "p", Limit: int64(i + 1), Window: time.Hour}}
		key := "other" + strconv.Itoa(i)
		for j := 0; j <= i; j++ {
			if ok, err := s.Take(ctx, key, p, 1, res); err != nil || !ok {
				t.Fatalf("list %d, request %d: Take = %v, %v; want true, nil", i, j, ok, err)
			}
		}
		if ok, err := s.Take(ctx, key, p, 1, res); err != nil || ok {
			t.Fatalf("list %d, request %d: Take = %v, %v; want false, nil", i, i+1, ok, err)
		}
	}
}
