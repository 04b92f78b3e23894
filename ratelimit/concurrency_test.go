package ratelimit_test

import (
	"context"
	"encoding/json"
	"log/slog"
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

func concurrencyPolicy(name string, limit int64) ratelimit.Policy {
	return ratelimit.Policy{Name: name, Limit: limit, Window: time.Hour, Unit: ratelimit.UnitConcurrentRequests}
}

// blocking is a handler that holds each request until release is closed,
// counting the requests in it.
type blocking struct {
	testenv.Gauge
	entered chan struct{}
	release chan struct{}
}

func newBlocking() *blocking {
	return &blocking{entered: make(chan struct{}, 100), release: make(chan struct{})}
}

func (b *blocking) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.Enter()
	b.entered <- struct{}{}
	<-b.release
	b.Leave()
	w.WriteHeader(http.StatusOK)
}

// TestConcurrencyHandler: N requests of one client at once, against a
// limit of 3: three reach the handler, the others get the 429 of every
// unit, and the slots come back when the handler returns.
func TestConcurrencyHandler(t *testing.T) {
	const limit, clients = 3, 10
	l := newLimiter(t, ratelimit.Config{
		Policies: []ratelimit.Policy{concurrencyPolicy("inflight", limit), {Name: "hourly", Limit: 100, Window: time.Hour}},
	})
	b := newBlocking()
	h := l.Handler(b)

	var wg sync.WaitGroup
	codes := make(chan *httptest.ResponseRecorder, clients)
	for i := 0; i < limit; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); codes <- get(h, "192.0.2.1:1") }()
	}
	for i := 0; i < limit; i++ {
		<-b.entered
	}
	// Every slot is held: the rest are refused at once.
	for i := limit; i < clients; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); codes <- get(h, "192.0.2.1:1") }()
	}
	var refused []*httptest.ResponseRecorder
	for i := limit; i < clients; i++ {
		refused = append(refused, <-codes)
	}
	close(b.release)
	wg.Wait()
	close(codes)
	for w := range codes {
		if w.Code != 200 {
			t.Errorf("admitted request: status %d, want 200", w.Code)
		}
		if got, want := w.Header().Get("RateLimit-Policy"), `"inflight";q=3;qu="concurrent-requests", "hourly";q=100;w=3600`; got != want {
			t.Errorf("RateLimit-Policy = %q, want %q", got, want)
		}
		checkFields(t, w.Header())
	}
	if got := b.Peak(); got != limit {
		t.Errorf("%d requests in the handler at once, want %d", got, limit)
	}
	for _, w := range refused {
		if w.Code != http.StatusTooManyRequests {
			t.Fatalf("request over the limit: status %d, want 429", w.Code)
		}
		checkFields(t, w.Header())
		if got, want := w.Header().Get("RateLimit"), `"inflight";r=0;t=1`; got != want {
			t.Errorf("429 RateLimit = %q, want %q", got, want)
		}
		if got := w.Header().Get("Retry-After"); got != "1" {
			t.Errorf("429 Retry-After = %q, want 1", got)
		}
		var body struct {
			Error struct {
				Code     string   `json:"code"`
				Violated []string `json:"violated-policies"`
			} `json:"error"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != "rate_limited" || len(body.Error.Violated) != 1 || body.Error.Violated[0] != "inflight" {
			t.Errorf("429 body %s (%v), want code rate_limited, violated-policies [inflight]", w.Body, err)
		}
	}

	// Every slot is free again; the refused requests spent no quota.
	w := get(l.Handler(ok200), "192.0.2.1:1")
	if w.Code != 200 {
		t.Fatalf("after the handlers returned: status %d", w.Code)
	}
	if got, want := w.Header().Get("RateLimit"), `"inflight";r=2;t=1`; got != want {
		t.Errorf("after release: RateLimit = %q, want %q", got, want)
	}
	d, _ := l.AllowN(context.Background(), "192.0.2.1", 0)
	if r := d.Results()[1]; r.Remaining != 100-limit-1 {
		t.Errorf("hourly: Remaining %d, want %d (refused requests consume nothing)", r.Remaining, 100-limit-1)
	}
}

// TestConcurrencyRace: goroutines sending requests that hold their slot
// for a while never have more than the limit in the handler.
func TestConcurrencyRace(t *testing.T) {
	const limit = 4
	l := newLimiter(t, ratelimit.Config{Policies: []ratelimit.Policy{concurrencyPolicy("inflight", limit)}})
	var g testenv.Gauge
	var served atomic.Int64
	h := l.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.Enter()
		time.Sleep(200 * time.Microsecond)
		g.Leave()
		served.Add(1)
	}))
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if w := get(h, "192.0.2.1:1"); w.Code != 200 && w.Code != 429 {
					t.Errorf("status %d", w.Code)
				}
			}
		}()
	}
	wg.Wait()
	if got := g.Peak(); got > limit {
		t.Errorf("%d requests in the handler at once, want at most %d", got, limit)
	}
	if served.Load() < limit {
		t.Errorf("only %d requests served", served.Load())
	}
	if d, _ := l.AllowN(context.Background(), "192.0.2.1", 0); d.Results()[0].Remaining != limit {
		t.Errorf("after all requests: Remaining %d, want %d", d.Results()[0].Remaining, limit)
	}
}

// TestConcurrencyPanic: a handler that panics gives its slot back.
func TestConcurrencyPanic(t *testing.T) {
	l := newLimiter(t, ratelimit.Config{Policies: []ratelimit.Policy{concurrencyPolicy("inflight", 1)}})
	h := l.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	for i := 0; i < 3; i++ {
		func() {
			defer func() {
				if p := recover(); p != http.ErrAbortHandler {
					t.Fatalf("request %d: recovered %v, want the handler's panic", i, p)
				}
			}()
			get(h, "192.0.2.1:1")
			t.Fatalf("request %d: refused instead of reaching the handler (the slot was not released)", i)
		}()
	}
}

// TestConcurrencyAcquire: the Lease of Acquire holds the slot until it is
// released, once.
func TestConcurrencyAcquire(t *testing.T) {
	l := newLimiter(t, ratelimit.Config{Policies: []ratelimit.Policy{concurrencyPolicy("jobs", 2)}})
	ctx := context.Background()
	d1, l1, err := l.Acquire(ctx, "worker", 1)
	if err != nil || !d1.Allowed {
		t.Fatalf("first: %+v, %v", d1, err)
	}
	d2, l2, _ := l.Acquire(ctx, "worker", 1)
	if d3, l3, _ := l.Acquire(ctx, "worker", 1); d3.Allowed || d3.RetryAfter != time.Second || l3.Held() {
		t.Fatalf("third: allowed %v, RetryAfter %v, held %v; want refused after 1s, no lease", d3.Allowed, d3.RetryAfter, l3.Held())
	}
	if !d2.Allowed {
		t.Fatal("second refused")
	}
	// AllowN checks the limit but holds nothing.
	if d, _ := l.AllowN(ctx, "worker", 1); d.Allowed {
		t.Error("AllowN admitted while every slot is held")
	}
	for i := 0; i < 2; i++ { // a second Release frees nothing more
		if err := l1.Release(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if d, _, _ := l.Acquire(ctx, "worker", 1); !d.Allowed || d.Results()[0].Remaining != 0 {
		t.Errorf("after one release: %+v; want admitted, Remaining 0", d)
	}
	if d, _ := l.AllowN(ctx, "worker", 0); d.Results()[0].Remaining != 0 {
		t.Errorf("double release freed a slot: Remaining %d", d.Results()[0].Remaining)
	}
	_ = l2.Release(ctx)
	if err := (ratelimit.Lease{}).Release(ctx); err != nil {
		t.Errorf("zero Lease: %v", err)
	}
	// A Limiter without concurrency policies returns no lease.
	plain := newLimiter(t, ratelimit.Config{Policies: []ratelimit.Policy{{Name: "p", Limit: 1, Window: time.Hour}}})
	if d, lease, err := plain.Acquire(ctx, "k", 1); err != nil || !d.Allowed || lease.Held() {
		t.Errorf("rate limits only: %+v, held %v, %v", d, lease.Held(), err)
	}
}

// TestConcurrencyFailLocal: while the shared store fails, slots are held
// in the fallback, Limit/Replicas of them.
func TestConcurrencyFailLocal(t *testing.T) {
	store := &flakyStore{inner: newStore(t, ratelimit.MemoryConfig{})}
	l := newLimiter(t, ratelimit.Config{
		Policies:     []ratelimit.Policy{concurrencyPolicy("inflight", 4)},
		Store:        store,
		StoreFailure: ratelimit.FailLocal,
		Replicas:     2,
		Logger:       slog.New(slog.DiscardHandler),
	})
	store.down.Store(true)
	ctx := context.Background()
	var leases []ratelimit.Lease
	for i := 0; i < 3; i++ {
		d, lease, err := l.Acquire(ctx, "k", 1)
		if err != nil || !d.StoreFailed {
			t.Fatalf("request %d: %+v, %v; want a fallback decision", i, d, err)
		}
		if want := i < 2; d.Allowed != want {
			t.Fatalf("request %d: allowed %v, want %v (4 slots over 2 replicas)", i, d.Allowed, want)
		}
		leases = append(leases, lease)
	}
	// The fallback's slot goes back to the fallback.
	if err := leases[0].Release(ctx); err != nil {
		t.Fatal(err)
	}
	if d, _, err := l.Acquire(ctx, "k", 1); err != nil || !d.Allowed || !d.StoreFailed {
		t.Errorf("after a release in the fallback: %+v, %v; want admitted by the fallback", d, err)
	}
}

func TestConcurrencyPolicyValidation(t *testing.T) {
	for _, c := range []struct {
		p  ratelimit.Policy
		ok bool
	}{
		{concurrencyPolicy("c", 1), true},
		{ratelimit.Policy{Name: "c", Limit: 5, Burst: 5, Window: time.Minute, Unit: ratelimit.UnitConcurrentRequests}, true},
		{ratelimit.Policy{Name: "c", Limit: 5, Burst: 2, Window: time.Minute, Unit: ratelimit.UnitConcurrentRequests}, false},
		{ratelimit.Policy{Name: "c", Limit: 5, Unit: ratelimit.UnitConcurrentRequests}, false},
	} {
		if err := c.p.Validate(); (err == nil) != c.ok {
			t.Errorf("Validate(%+v) = %v, want ok %v", c.p, err, c.ok)
		}
	}
}

// TestConcurrencyPlans: a plan's concurrency policy holds slots for the
// requests of that plan only.
func TestConcurrencyPlans(t *testing.T) {
	l := newLimiter(t, ratelimit.Config{
		Policies: []ratelimit.Policy{{Name: "anonymous", Limit: 100, Window: time.Hour}},
		Plans:    map[string][]ratelimit.Policy{"batch": {concurrencyPolicy("batch-inflight", 1)}},
		Plan:     func(r *http.Request) (string, error) { return r.Header.Get("Plan"), nil },
	})
	b := newBlocking()
	h := l.Handler(b)
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- get(h, "192.0.2.1:1", "Plan", "batch") }()
	<-b.entered
	if w := get(h, "192.0.2.1:1", "Plan", "batch"); w.Code != http.StatusTooManyRequests || w.Header().Get("RateLimit-Policy") != `"batch-inflight";q=1;qu="concurrent-requests"` {
		t.Errorf("second batch request: %d, RateLimit-Policy %q; want 429 with the plan's policy", w.Code, w.Header().Get("RateLimit-Policy"))
	}
	// The default plan has no concurrency limit: it is not held up.
	go func() { done <- get(h, "192.0.2.1:1") }()
	<-b.entered
	close(b.release)
	for i := 0; i < 2; i++ {
		if w := <-done; w.Code != 200 {
			t.Errorf("held request: status %d, want 200", w.Code)
		}
	}
	if w := get(h, "192.0.2.1:1", "Plan", "batch"); w.Code != 200 {
		t.Errorf("batch request after the first returned: %d, want 200", w.Code)
	}

	// Without HTTP: the plan's slot, under the key the middleware uses.
	ctx := context.Background()
	d, lease, err := l.AcquirePlan(ctx, "batch", "192.0.2.1", 1)
	if err != nil || !d.Allowed || !lease.Held() {
		t.Fatalf("AcquirePlan: %+v, held %v, %v", d, lease.Held(), err)
	}
	if w := get(h, "192.0.2.1:1", "Plan", "batch"); w.Code != http.StatusTooManyRequests {
		t.Errorf("batch request while AcquirePlan holds the slot: %d, want 429", w.Code)
	}
	if err := lease.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.AcquirePlan(ctx, "nope", "k", 1); err != ratelimit.ErrUnknownPlan {
		t.Errorf("unknown plan: %v, want ErrUnknownPlan", err)
	}
}

// TestConcurrencyRefusals: with a concurrency policy, a request that
// costs more than a burst gets the 400, and a failed store with
// FailClosed the 503, as without one; neither holds a slot.
func TestConcurrencyRefusals(t *testing.T) {
	store := &flakyStore{inner: newStore(t, ratelimit.MemoryConfig{})}
	l := newLimiter(t, ratelimit.Config{
		Policies:     []ratelimit.Policy{concurrencyPolicy("inflight", 1), {Name: "small", Limit: 2, Window: time.Hour}},
		Store:        store,
		StoreFailure: ratelimit.FailClosed,
		StoreRetry:   -1,
		Cost: func(r *http.Request) int64 {
			n, _ := strconv.ParseInt(r.Header.Get("Cost"), 10, 64)
			return n
		},
		Logger:       slog.New(slog.DiscardHandler),
		ErrorHandler: quiet.Write,
	})
	h := l.Handler(ok200)
	for _, c := range []struct {
		name, cost string
		down       bool
		want       int
		header     string
	}{
		{"cost above the burst", "3", false, http.StatusBadRequest, "RateLimit-Policy"},
		{"store down", "1", true, http.StatusServiceUnavailable, "Retry-After"},
		{"store back", "1", false, http.StatusOK, "RateLimit"},
		{"slot free again", "1", false, http.StatusOK, "RateLimit"},
	} {
		store.down.Store(c.down)
		w := get(h, "192.0.2.1:1", "Cost", c.cost)
		if w.Code != c.want || w.Header().Get(c.header) == "" {
			t.Errorf("%s: status %d, %s %q; want %d with %s", c.name, w.Code, c.header, w.Header().Get(c.header), c.want, c.header)
		}
	}
}
