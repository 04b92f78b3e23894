package redisstore

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/restwell/restwell/internal/testenv"
	"github.com/restwell/restwell/ratelimit"
)

func concurrencyLimiter(t testing.TB, s ratelimit.Store, limit int64, window time.Duration) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.New(ratelimit.Config{
		Policies: []ratelimit.Policy{
			{Name: "inflight", Limit: limit, Window: window, Unit: ratelimit.UnitConcurrentRequests},
			{Name: "hourly", Limit: 1_000_000, Window: time.Hour},
		},
		Store:        s,
		StoreFailure: ratelimit.FailClosed, // a store failure shows as a 503, not as a pass
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestConcurrencyRoundTrips: a request through a Limiter with a rate
// policy and a concurrency policy costs two round trips, the decision
// with the acquisition, then the release.
func TestConcurrencyRoundTrips(t *testing.T) {
	_, hook, s := countedStore(t)
	l := concurrencyLimiter(t, s, 5, time.Minute)
	h := l.Handler(rateLimitOK)
	serve := func(addr string) int {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	if code := serve("203.0.113.1:1"); code != 200 { // loads both scripts
		t.Fatalf("warm-up: status %d", code)
	}
	hook.n.Store(0)
	hook.evalsha.Store(0)
	const n = 100
	for i := 0; i < n; i++ {
		if code := serve("203.0.113." + strconv.Itoa(i%50) + ":1"); code != 200 {
			t.Fatalf("request %d: status %d", i, code)
		}
	}
	if got := hook.n.Load(); got != 2*n || hook.evalsha.Load() != 2*n {
		t.Errorf("%d requests sent %d commands (%d EVALSHA), want %d: an acquisition and a release each", n, got, hook.evalsha.Load(), 2*n)
	}
	t.Logf("round trips per request: %.2f", float64(hook.n.Load())/n)
	// Every slot came back: no lease is left in Redis.
	d, err := l.AllowN(context.Background(), "203.0.113.7", 0)
	if err != nil || d.Results()[0].Remaining != 5 {
		t.Errorf("after the requests: inflight %+v, %v; want 5 free slots", d.Results(), err)
	}
}

// TestConcurrencyDeadReplica: a replica that dies holding slots (its
// leases never released) keeps another replica out for the policy's
// Window, not longer; the sorted set of leases carries that TTL.
func TestConcurrencyDeadReplica(t *testing.T) {
	c := newClient(t)
	prefix := testPrefix(t)
	dead := concurrencyLimiter(t, newRateLimitStore(t, c, prefix), 2, time.Second)
	alive := concurrencyLimiter(t, newRateLimitStore(t, c, prefix), 2, time.Second)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if d, _, err := dead.Acquire(ctx, "client", 1); err != nil || !d.Allowed {
			t.Fatalf("dying replica, request %d: %+v, %v", i, d, err)
		}
	}
	key := prefix + "{client}#inflight"
	if ttl, err := c.PTTL(ctx, key).Result(); err != nil || ttl <= 0 || ttl > time.Second {
		t.Errorf("PTTL %s = %v, %v; want within (0, 1s]", key, ttl, err)
	}
	if n, err := c.ZCard(ctx, key).Result(); err != nil || n != 2 {
		t.Errorf("ZCARD %s = %d, %v; want 2 leases", key, n, err)
	}
	if d, _, err := alive.Acquire(ctx, "client", 1); err != nil || d.Allowed {
		t.Fatalf("other replica while the slots are held: %+v, %v; want refused", d, err)
	}
	time.Sleep(1100 * time.Millisecond)
	d, lease, err := alive.Acquire(ctx, "client", 1)
	if err != nil || !d.Allowed || d.Results()[0].Remaining != 1 {
		t.Fatalf("after the Window: %+v, %v; want admitted with 1 slot left", d, err)
	}
	if err := lease.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Exists(ctx, key).Result(); n != 0 {
		t.Errorf("%s still exists after its last lease was released", key)
	}
}

// TestConcurrencyReplicas: requests spread over three replicas sharing
// one Redis never have more than the limit in their handlers at once.
func TestConcurrencyReplicas(t *testing.T) {
	c := newClient(t)
	prefix := testPrefix(t)
	const limit = 3
	var gauge testenv.Gauge
	var served, refused atomic.Int64
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gauge.Enter()
		time.Sleep(2 * time.Millisecond)
		gauge.Leave()
		served.Add(1)
	})
	var handlers []http.Handler
	for i := 0; i < 3; i++ {
		handlers = append(handlers, concurrencyLimiter(t, newRateLimitStore(t, c, prefix), limit, time.Minute).Handler(next))
	}
	var wg sync.WaitGroup
	for g := 0; g < 12; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				r := httptest.NewRequest("GET", "/", nil)
				r.RemoteAddr = "203.0.113.9:1"
				w := httptest.NewRecorder()
				handlers[(g+i)%3].ServeHTTP(w, r)
				switch w.Code {
				case 200:
				case 429:
					refused.Add(1)
				default:
					t.Errorf("status %d: %s", w.Code, w.Body)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := gauge.Peak(); got > limit {
		t.Errorf("%d requests in the handlers at once, want at most %d", got, limit)
	}
	if served.Load() < limit || refused.Load() == 0 {
		t.Errorf("served %d, refused %d: the limit was not exercised", served.Load(), refused.Load())
	}
	t.Logf("served %d, refused %d, peak %d", served.Load(), refused.Load(), gauge.Peak())
}
