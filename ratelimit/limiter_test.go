package ratelimit_test

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/ratelimit"
)

func TestNewErrors(t *testing.T) {
	p := ratelimit.Policy{Name: "p", Limit: 1, Window: time.Second}
	many := make([]ratelimit.Policy, ratelimit.MaxPolicies+1)
	for i := range many {
		many[i] = ratelimit.Policy{Name: string(rune('a' + i)), Limit: 1, Window: time.Second}
	}
	cases := []struct {
		name string
		cfg  ratelimit.Config
	}{
		{"no policies", ratelimit.Config{}},
		{"too many policies", ratelimit.Config{Policies: many}},
		{"empty name", ratelimit.Config{Policies: []ratelimit.Policy{{Limit: 1, Window: time.Second}}}},
		{"name with newline", ratelimit.Config{Policies: []ratelimit.Policy{{Name: "a\nb", Limit: 1, Window: time.Second}}}},
		{"zero limit", ratelimit.Config{Policies: []ratelimit.Policy{{Name: "p", Window: time.Second}}}},
		{"sub-second window", ratelimit.Config{Policies: []ratelimit.Policy{{Name: "p", Limit: 1, Window: 500 * time.Millisecond}}}},
		{"fractional window", ratelimit.Config{Policies: []ratelimit.Policy{{Name: "p", Limit: 1, Window: 1500 * time.Millisecond}}}},
		{"negative burst", ratelimit.Config{Policies: []ratelimit.Policy{{Name: "p", Limit: 1, Window: time.Second, Burst: -1}}}},
		{"huge burst", ratelimit.Config{Policies: []ratelimit.Policy{{Name: "p", Limit: 1, Window: 1000 * time.Hour, Burst: 1 << 40}}}},
		{"limit above the largest sf-integer", ratelimit.Config{Policies: []ratelimit.Policy{{Name: "p", Limit: 1_000_000_000_000_000, Window: 1000 * time.Hour, Burst: 1}}}},
		{"duplicate name", ratelimit.Config{Policies: []ratelimit.Policy{p, p}}},
		{"bad key failure", ratelimit.Config{Policies: []ratelimit.Policy{p}, KeyFailure: 7}},
		{"bad store failure", ratelimit.Config{Policies: []ratelimit.Policy{p}, StoreFailure: 7}},
	}
	for _, c := range cases {
		_, err := ratelimit.New(c.cfg)
		if err == nil {
			t.Errorf("%s: no error", c.name)
		} else if !strings.HasPrefix(err.Error(), "ratelimit: ") {
			t.Errorf("%s: error %q lacks the ratelimit: prefix", c.name, err)
		}
	}
}

// TestNewLargestQuota: a quota of exactly the largest sf-integer is
// advertised as it is.
func TestNewLargestQuota(t *testing.T) {
	l, err := ratelimit.New(ratelimit.Config{Policies: []ratelimit.Policy{{Name: "p", Limit: 999_999_999_999_999, Window: 1000 * time.Hour, Burst: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	h := l.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if got, want := w.Header().Get("RateLimit-Policy"), `"p";q=999999999999999;w=3600000`; got != want {
		t.Errorf("RateLimit-Policy %q, want %q", got, want)
	}
	_, err = ratelimit.New(ratelimit.Config{Policies: []ratelimit.Policy{{Name: "p", Limit: 1_000_000_000_000_000, Window: 1000 * time.Hour, Burst: 1}}})
	if err == nil || !strings.Contains(err.Error(), "999999999999999") {
		t.Errorf("limit 10^15: error %v, want one naming the largest sf-integer", err)
	}
}

func TestAllowN(t *testing.T) {
	clock := newFakeClock()
	l := newLimiter(t, ratelimit.Config{
		Policies: []ratelimit.Policy{{Name: "a", Limit: 4, Window: time.Minute}, {Name: "b", Limit: 4, Window: time.Second}},
		Store:    newStore(t, ratelimit.MemoryConfig{Now: clock.Now}),
	})
	ctx := context.Background()
	steps := []struct {
		advance  time.Duration
		cost     int64
		allowed  bool
		reported int
		retry    time.Duration
		rem      [2]int64
	}{
		// a: one unit per 15s; b: one per 250ms. On a tie in remaining
		// units the policy slower to regain one is reported.
		{0, 2, true, 0, 0, [2]int64{2, 2}},
		// Both refuse: the longest wait is reported.
		{0, 3, false, 0, 15 * time.Second, [2]int64{2, 2}},
		{time.Second, 2, true, 0, 0, [2]int64{0, 2}},
		{0, 0, true, 0, 0, [2]int64{0, 2}},
		{0, 1, false, 0, 14 * time.Second, [2]int64{0, 2}}, // b consumed nothing
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		d, err := l.AllowN(ctx, "k", s.cost)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		r := d.Results()
		if d.Allowed != s.allowed || d.Reported() != s.reported || d.RetryAfter != s.retry || len(r) != 2 ||
			r[0].Remaining != s.rem[0] || r[1].Remaining != s.rem[1] {
			t.Errorf("step %d: allowed %v reported %d retry %v results %+v; want %v %d %v %v",
				i, d.Allowed, d.Reported(), d.RetryAfter, r, s.allowed, s.reported, s.retry, s.rem)
		}
	}
	if d, err := l.AllowN(ctx, "k", 5); err != ratelimit.ErrCostTooHigh || d.Allowed || d.Reported() != -1 {
		t.Errorf("cost 5 > smallest burst 4: %+v, %v; want ErrCostTooHigh", d, err)
	}
	if d, err := l.Allow(ctx, ""); err != ratelimit.ErrInvalidKey || d.Allowed || d.Reported() != -1 || len(d.Results()) != 0 {
		t.Errorf("empty key: %+v, %v; want ErrInvalidKey and no decision", d, err)
	}
	if d, err := l.Allow(ctx, "other"); err != nil || !d.Allowed || d.StoreFailed {
		t.Errorf("Allow(other): %+v %v", d, err)
	}
	if got := l.Policies(); len(got) != 2 || got[0].Name != "a" {
		t.Errorf("Policies() = %v", got)
	}
}

func TestCost(t *testing.T) {
	l := newLimiter(t, ratelimit.Config{
		Policies: []ratelimit.Policy{{Name: "units", Limit: 10, Window: time.Hour}},
		Cost: func(r *http.Request) int64 {
			switch r.Method {
			case "POST":
				return 4
			case "HEAD":
				return 0
			case "PUT":
				return 11
			}
			return 1
		},
	})
	h := l.Handler(ok200)
	do := func(method string) (int, string) {
		r, _ := http.NewRequest(method, "http://x/", nil)
		r.RemoteAddr = "192.0.2.9:1"
		w := &recorder{h: http.Header{}}
		h.ServeHTTP(w, r)
		return w.code, w.h.Get("RateLimit")
	}
	steps := []struct {
		method string
		code   int
		rl     string
	}{
		{"POST", 200, `"units";r=6;t=360`},
		{"POST", 200, `"units";r=2;t=360`},
		{"POST", 429, `"units";r=2;t=360`},
		{"HEAD", 200, `"units";r=2;t=360`},
		{"GET", 200, `"units";r=1;t=360`},
		{"PUT", 400, ``},
	}
	for i, s := range steps {
		code, rl := do(s.method)
		if code != s.code || rl != s.rl {
			t.Errorf("step %d %s: %d %q, want %d %q", i, s.method, code, rl, s.code, s.rl)
		}
	}
}

type recorder struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.h }
func (w *recorder) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = 200
	}
	return w.body.Write(p)
}
func (w *recorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func TestMiddlewareConcurrentOneKey(t *testing.T) {
	clock := newFakeClock()
	l := newLimiter(t, ratelimit.Config{
		Policies: []ratelimit.Policy{{Name: "burst", Limit: 500, Window: time.Hour}, {Name: "default", Limit: 5000, Window: 24 * time.Hour}},
		Store:    newStore(t, ratelimit.MemoryConfig{Now: clock.Now}),
	})
	var served atomic.Int64
	h := l.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served.Add(1) }))
	var wg sync.WaitGroup
	var limited atomic.Int64
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				r, _ := http.NewRequest("GET", "http://x/", nil)
				r.RemoteAddr = "198.51.100.7:" + string(rune('0'+g%10))
				w := &recorder{h: http.Header{}}
				h.ServeHTTP(w, r)
				if w.code == http.StatusTooManyRequests {
					limited.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if served.Load() != 500 || limited.Load() != 6400-500 {
		t.Errorf("64 x 100 requests: %d served, %d limited; want exactly 500 and 5900", served.Load(), limited.Load())
	}
}

// TestBurstBound checks the GCRA guarantee on random schedules: over any
// interval of length d, a key is admitted at most burst + d*Limit/Window
// units under each policy.
func TestBurstBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for run := 0; run < 30; run++ {
		policies := []ratelimit.Policy{
			{Name: "a", Limit: 1 + rng.Int64N(20), Window: time.Duration(1+rng.IntN(10)) * time.Second},
			{Name: "b", Limit: 1 + rng.Int64N(100), Window: time.Duration(1+rng.IntN(120)) * time.Second, Burst: rng.Int64N(30)},
		}
		clock := newFakeClock()
		l := newLimiter(t, ratelimit.Config{Policies: policies, Store: newStore(t, ratelimit.MemoryConfig{Now: clock.Now})})
		minBurst := min(policies[0].MaxBurst(), policies[1].MaxBurst())
		type event struct{ at, cost int64 }
		var admitted []event
		var now int64
		for i := 0; i < 1500; i++ {
			var gap time.Duration
			switch rng.IntN(4) {
			case 0: // a burst: no time passes
			case 1:
				gap = time.Duration(rng.Int64N(int64(10 * time.Millisecond)))
			case 2:
				gap = time.Duration(rng.Int64N(int64(time.Second)))
			default:
				gap = time.Duration(rng.Int64N(int64(20 * time.Second)))
			}
			clock.Advance(gap)
			now += int64(gap)
			cost := 1 + rng.Int64N(minBurst)
			d, err := l.AllowN(context.Background(), "k", cost)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				admitted = append(admitted, event{now, cost})
			}
		}
		for _, p := range policies {
			for i := range admitted {
				var sum int64
				for j := i; j < len(admitted); j++ {
					sum += admitted[j].cost
					d := admitted[j].at - admitted[i].at
					// sum <= burst + d*Limit/Window, in integers.
					if sum*int64(p.Window) > p.MaxBurst()*int64(p.Window)+d*p.Limit {
						t.Fatalf("run %d policy %+v: %d units admitted within %v, more than burst %d + rate*d",
							run, p, sum, time.Duration(d), p.MaxBurst())
					}
				}
			}
		}
		if len(admitted) == 0 {
			t.Fatalf("run %d: nothing admitted", run)
		}
	}
}

// quiet renders errors without logging the 503s tests provoke.
var quiet = &apierrors.Renderer{Logger: slog.New(slog.DiscardHandler)}

// flakyStore fails while down is set and counts its calls.
type flakyStore struct {
	inner ratelimit.Store
	down  atomic.Bool
	calls atomic.Int64
	panic bool
}

func (s *flakyStore) Take(ctx context.Context, key string, p []ratelimit.Policy, cost int64, res []ratelimit.Result) (bool, error) {
	s.calls.Add(1)
	if s.down.Load() {
		if s.panic {
			panic("store exploded")
		}
		return false, apierrors.New("connection refused")
	}
	return s.inner.Take(ctx, key, p, cost, res)
}

func (s *flakyStore) Acquire(ctx context.Context, key string, p []ratelimit.Policy, cost int64, lease uint64, res []ratelimit.Result) (bool, error) {
	s.calls.Add(1)
	if s.down.Load() {
		if s.panic {
			panic("store exploded")
		}
		return false, apierrors.New("connection refused")
	}
	return s.inner.Acquire(ctx, key, p, cost, lease, res)
}

func (s *flakyStore) Release(ctx context.Context, key string, p []ratelimit.Policy, lease uint64) error {
	if s.down.Load() {
		return apierrors.New("connection refused")
	}
	return s.inner.Release(ctx, key, p, lease)
}

func TestStoreFailure(t *testing.T) {
	policies := []ratelimit.Policy{{Name: "p", Limit: 2, Window: time.Hour}}
	for _, c := range []struct {
		mode   ratelimit.StoreFailure
		panics bool
	}{{ratelimit.FailOpen, false}, {ratelimit.FailClosed, false}, {ratelimit.FailLocal, false}, {ratelimit.FailOpen, true}} {
		t.Run(c.mode.String(), func(t *testing.T) {
			store := &flakyStore{inner: newStore(t, ratelimit.MemoryConfig{}), panic: c.panics}
			var logs bytes.Buffer
			var handled error
			l := newLimiter(t, ratelimit.Config{
				Policies:     policies,
				Store:        store,
				StoreFailure: c.mode,
				StoreRetry:   -1, // ask the store on every request
				Logger:       slog.New(slog.NewTextHandler(&logs, nil)),
				ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
					handled = err
					quiet.Write(w, r, err)
				},
			})
			h := l.Handler(ok200)
			if w := get(h, "192.0.2.1:1"); w.Code != 200 || w.Header().Get("RateLimit") == "" {
				t.Fatalf("store up: %d %v", w.Code, w.Header())
			}
			store.down.Store(true)
			for i := 0; i < 3; i++ {
				w := get(h, "192.0.2.1:1")
				checkFields(t, w.Header())
				switch c.mode {
				case ratelimit.FailOpen:
					if w.Code != 200 || w.Header().Get("RateLimit") != "" || w.Header().Get("RateLimit-Policy") != "" {
						t.Errorf("fail-open request %d: %d %v; want 200 without rate fields", i, w.Code, w.Header())
					}
				case ratelimit.FailClosed:
					if w.Code != 503 || w.Header().Get("Retry-After") != "1" || !strings.Contains(w.Body.String(), `"unavailable"`) {
						t.Errorf("fail-closed request %d: %d %v %s", i, w.Code, w.Header(), w.Body)
					}
					if strings.Contains(w.Body.String(), "refused") {
						t.Errorf("fail-closed body leaks the store error: %s", w.Body)
					}
					if !apierrors.Is(handled, ratelimit.ErrStoreUnavailable) {
						t.Errorf("fail-closed error %v, want ErrStoreUnavailable", handled)
					}
				case ratelimit.FailLocal:
					// The fallback has spent the one request the store
					// admitted: 1 more admitted, then 429.
					want := []int{200, 429, 429}[i]
					if w.Code != want || w.Header().Get("RateLimit") == "" {
						t.Errorf("fail-local request %d: %d %v; want %d with rate fields", i, w.Code, w.Header(), want)
					}
				}
			}
			if !strings.Contains(logs.String(), "ratelimit: store failed") {
				t.Errorf("failure not logged: %q", logs.String())
			}
			if n := strings.Count(logs.String(), "store failed"); n != 1 {
				t.Errorf("%d failure records for 3 failures within a second, want 1", n)
			}
			store.down.Store(false)
			if w := get(h, "192.0.2.1:1"); w.Code != 200 || w.Header().Get("RateLimit") != `"p";r=0;t=1800` {
				t.Errorf("after recovery: %d %q; want 200 from the store (second request, r=0)", w.Code, w.Header().Get("RateLimit"))
			}
			if !strings.Contains(logs.String(), "store recovered") {
				t.Errorf("recovery not logged: %q", logs.String())
			}
		})
	}
}

func TestStoreRetryBackoff(t *testing.T) {
	store := &flakyStore{inner: newStore(t, ratelimit.MemoryConfig{})}
	l := newLimiter(t, ratelimit.Config{
		Policies:     []ratelimit.Policy{{Name: "p", Limit: 100, Window: time.Hour}},
		Store:        store,
		StoreFailure: ratelimit.FailClosed,
		StoreRetry:   50 * time.Millisecond,
		Logger:       slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)),
		ErrorHandler: quiet.Write,
	})
	h := l.Handler(ok200)
	store.down.Store(true)
	for i := 0; i < 10; i++ {
		if w := get(h, "192.0.2.1:1"); w.Code != 503 {
			t.Fatalf("request %d: %d, want 503", i, w.Code)
		}
	}
	// The default FailAfter: three failures in a row, then the store is
	// left alone for StoreRetry.
	if n := store.calls.Load(); n != 3 {
		t.Errorf("store asked %d times within StoreRetry, want 3 (FailAfter)", n)
	}
	store.down.Store(false)
	deadline := time.Now().Add(5 * time.Second)
	for get(h, "192.0.2.1:1").Code != 200 {
		if time.Now().After(deadline) {
			t.Fatal("no recovery after StoreRetry")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAllocsPerRequest(t *testing.T) {
	l := newLimiter(t, ratelimit.Config{Policies: []ratelimit.Policy{{Name: "p", Limit: 1e9, Window: time.Second}}})
	h := l.Handler(ok200)
	r, _ := http.NewRequest("GET", "http://x/", nil)
	r.RemoteAddr = "192.0.2.1:1234"
	w := &recorder{h: http.Header{}}
	n := testing.AllocsPerRun(1000, func() {
		clear(w.h)
		h.ServeHTTP(w, r)
	})
	if n > 3 {
		t.Errorf("%v allocations per allowed request, want at most 3", n)
	}
}
