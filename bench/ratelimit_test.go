package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/httprate"
	"github.com/restwell/restwell/ratelimit"
	golimiter "github.com/sethvargo/go-limiter"
	"github.com/sethvargo/go-limiter/httplimit"
	"github.com/sethvargo/go-limiter/memorystore"
	"github.com/throttled/throttled/v2"
	"github.com/throttled/throttled/v2/store/memstore"
	"github.com/ulule/limiter/v3"
	"github.com/ulule/limiter/v3/drivers/middleware/stdlib"
	"github.com/ulule/limiter/v3/drivers/store/memory"
)

// Rate limiting with in-memory stores. Every library gets the same
// quota (limit units per window, all of which may be spent at once),
// keys clients by the socket peer's IP (no forwarded headers trusted),
// and wraps the same empty handler.

// memQuota is a quota every library enforces the same way.
type memQuota struct {
	limit  int
	window time.Duration
	// maxKeys bounds the stores that take a bound (restwell, throttled);
	// zero means 1<<20.
	maxKeys int
}

// A memLimiter builds one library's middleware around next. The returned
// function releases what the store started (sweeper goroutines).
type memLimiter func(tb testing.TB, q memQuota, next http.Handler) (http.Handler, func())

// memLimiters are the libraries compared, by report name.
var memLimiters = []struct {
	name string
	new  memLimiter
}{
	{"restwell", newRestwellMem},
	{"httprate", newHTTPRate},
	{"ulule", newUlule},
	{"throttled", newThrottled},
	{"go-limiter", newGoLimiter},
}

func (q memQuota) keys() int {
	if q.maxKeys == 0 {
		return 1 << 20
	}
	return q.maxKeys
}

// newRestwellMem: ratelimit.Limiter with a MemoryStore (GCRA, sharded,
// bounded at MaxKeys), keyed by the default ClientIP (socket peer).
func newRestwellMem(tb testing.TB, q memQuota, next http.Handler) (http.Handler, func()) {
	store, err := ratelimit.NewMemoryStore(ratelimit.MemoryConfig{MaxKeys: q.keys()})
	if err != nil {
		tb.Fatal(err)
	}
	l, err := ratelimit.New(ratelimit.Config{
		Policies: []ratelimit.Policy{{Name: "default", Limit: int64(q.limit), Window: q.window}},
		Store:    store,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return l.Handler(next), func() {}
}

// newHTTPRate: httprate.LimitBy (sliding window counter) keyed by
// KeyByIP, the socket peer's address.
func newHTTPRate(tb testing.TB, q memQuota, next http.Handler) (http.Handler, func()) {
	//lint:ignore SA1019 the comparison keys every limiter by the socket peer, as KeyByIP does; KeyByRealIP would believe headers
	return httprate.LimitBy(q.limit, q.window, httprate.KeyByIP)(next), func() {}
}

// newUlule: limiter.New with the memory store and the stdlib middleware,
// default key getter (socket peer, forwarded headers not trusted). The
// window is fixed: it starts at a key's first request.
func newUlule(tb testing.TB, q memQuota, next http.Handler) (http.Handler, func()) {
	l := limiter.New(memory.NewStore(), limiter.Rate{Period: q.window, Limit: int64(q.limit)})
	return stdlib.NewMiddleware(l).Handler(next), func() {}
}

// newThrottled: GCRA over memstore (an LRU bounded at maxKeys) with
// HTTPRateLimiterCtx varying by RemoteAddr. MaxBurst is limit-1 because
// throttled admits MaxBurst+1 requests at once.
func newThrottled(tb testing.TB, q memQuota, next http.Handler) (http.Handler, func()) {
	store, err := memstore.NewCtx(q.keys())
	if err != nil {
		tb.Fatal(err)
	}
	rl, err := throttled.NewGCRARateLimiterCtx(store, throttled.RateQuota{
		MaxRate:  throttled.PerDuration(q.limit, q.window),
		MaxBurst: q.limit - 1,
	})
	if err != nil {
		tb.Fatal(err)
	}
	h := &throttled.HTTPRateLimiterCtx{RateLimiter: rl, VaryBy: &throttled.VaryBy{RemoteAddr: true}}
	return h.RateLimit(next), func() {}
}

// newGoLimiter: sethvargo/go-limiter's memorystore (token bucket of
// limit tokens per interval) with httplimit.IPKeyFunc (socket peer).
func newGoLimiter(tb testing.TB, q memQuota, next http.Handler) (http.Handler, func()) {
	store, err := memorystore.New(&memorystore.Config{Tokens: uint64(q.limit), Interval: q.window})
	if err != nil {
		tb.Fatal(err)
	}
	m, err := httplimit.NewMiddleware(store, httplimit.IPKeyFunc())
	if err != nil {
		tb.Fatal(err)
	}
	return m.Handle(next), func() { closeStore(store) }
}

func closeStore(s golimiter.Store) { _ = s.Close(context.Background()) }

var (
	// hotQuota lets one key run for the whole benchmark: a real, finite
	// limit of 10^9 an hour that the loop never reaches. (Per second
	// would do for the others, but go-limiter's memorystore refills only
	// Interval/Tokens tokens per interval, one a second at 10^9 a second:
	// see TestGoLimiterRefill.)
	hotQuota = memQuota{limit: 1_000_000_000, window: time.Hour}
	// manyQuota is 1000 an hour per client: with 10^5 clients cycling,
	// each sees a few hundred requests in a benchmark run at most.
	manyQuota = memQuota{limit: 1000, window: time.Hour}
)

// serve sends r to h through w and returns the status.
func serve(h http.Handler, w *benchWriter, r *http.Request) int {
	w.reset()
	h.ServeHTTP(w, r)
	return w.code()
}

// outcome counts the answers of a benchmark loop: refusals (429) and
// failures (any status but 200 and 429).
type outcome struct{ n, denied, failed int64 }

func (o *outcome) add(status int) {
	o.n++
	switch status {
	case http.StatusOK:
	case http.StatusTooManyRequests:
		o.denied++
	default:
		o.failed++
	}
}

// report reports the shares of refused and failed requests, and fails
// the benchmark when the refusals are not the share the case is built
// for, or when restwell failed any request. A peer's failures (throttled
// answers 500 when its compare-and-swap loses ten times in a row) are
// reported, not fatal.
func (o outcome) report(b *testing.B, lib string, wantDenied float64) {
	pct := 100 * float64(o.denied) / float64(o.n)
	b.ReportMetric(pct, "%denied")
	b.ReportMetric(100*float64(o.failed)/float64(o.n), "%failed")
	if o.n >= 100 && (pct < wantDenied-1 || pct > wantDenied+1) {
		b.Fatalf("%.1f%% of requests refused, want %.0f%%", pct, wantDenied)
	}
	if lib == "restwell" && o.failed > 0 {
		b.Fatalf("%d of %d requests failed", o.failed, o.n)
	}
}

// warm sends one request from each of addrs, so that every key is
// known to the store before the timer starts.
func warm(h http.Handler, addrs []string) {
	r, _ := http.NewRequest("GET", "http://example.com/items", nil)
	w := newBenchWriter()
	for _, a := range addrs {
		r.RemoteAddr = a
		serve(h, w, r)
	}
}

// exhaust spends the whole quota of each of addrs and checks that the
// next request is refused.
func exhaust(tb testing.TB, h http.Handler, q memQuota, addrs []string) {
	r, _ := http.NewRequest("GET", "http://example.com/items", nil)
	w := newBenchWriter()
	for _, a := range addrs {
		r.RemoteAddr = a
		for range q.limit {
			serve(h, w, r)
		}
		if got := serve(h, w, r); got != http.StatusTooManyRequests {
			tb.Fatalf("%s: request %d got status %d, want 429", a, q.limit+1, got)
		}
	}
}

func BenchmarkRateLimit(b *testing.B) {
	const clients = 100_000
	type limiter = struct {
		name string
		new  memLimiter
	}
	serial := func(q memQuota, keys int, l limiter) func(*testing.B) {
		return func(b *testing.B) {
			h, done := l.new(b, q, okHandler)
			defer done()
			addrs := benchAddrs(0, keys)
			warm(h, addrs)
			r, _ := http.NewRequest("GET", "http://example.com/items", nil)
			w := newBenchWriter()
			var o outcome
			b.ReportAllocs()
			b.ResetTimer()
			start := cpuTime()
			for i := 0; i < b.N; i++ {
				r.RemoteAddr = addrs[i%keys]
				o.add(serve(h, w, r))
			}
			b.StopTimer()
			reportCPU(b, start)
			o.report(b, l.name, 0)
		}
	}
	parallel := func(q memQuota, keys int, l limiter) func(*testing.B) {
		return func(b *testing.B) {
			h, done := l.new(b, q, okHandler)
			defer done()
			addrs := benchAddrs(0, keys)
			warm(h, addrs)
			var next atomic.Int64
			var mu sync.Mutex
			var total outcome
			b.ReportAllocs()
			b.ResetTimer()
			start := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				r, _ := http.NewRequest("GET", "http://example.com/items", nil)
				w := newBenchWriter()
				i := int(next.Add(7919))
				var o outcome
				for pb.Next() {
					r.RemoteAddr = addrs[i%keys]
					o.add(serve(h, w, r))
					i++
				}
				mu.Lock()
				total.n, total.denied, total.failed = total.n+o.n, total.denied+o.denied, total.failed+o.failed
				mu.Unlock()
			})
			b.StopTimer()
			reportCPU(b, start)
			total.report(b, l.name, 0)
		}
	}
	// halfDenied alternates between clients that have spent their quota
	// (every request refused) and clients far from it (every request
	// admitted), so that both paths are measured at once.
	halfDenied := func(l limiter) func(*testing.B) {
		return func(b *testing.B) {
			q := manyQuota
			h, done := l.new(b, q, okHandler)
			defer done()
			spent := benchAddrs(0, 100)
			fresh := benchAddrs(100, clients)
			exhaust(b, h, q, spent)
			warm(h, fresh)
			r, _ := http.NewRequest("GET", "http://example.com/items", nil)
			w := newBenchWriter()
			var o outcome
			b.ReportAllocs()
			b.ResetTimer()
			start := cpuTime()
			for i := 0; i < b.N; i++ {
				if i&1 == 0 {
					r.RemoteAddr = spent[i>>1%len(spent)]
				} else {
					r.RemoteAddr = fresh[i>>1%len(fresh)]
				}
				o.add(serve(h, w, r))
			}
			b.StopTimer()
			reportCPU(b, start)
			o.report(b, l.name, 50)
		}
	}
	// recorder is keys=1e5 with one httptest.ResponseRecorder per batch
	// of requests instead of a writer reset for each: the header keeps
	// what earlier requests set, as a reused writer does.
	recorder := func(l limiter) func(*testing.B) {
		return func(b *testing.B) {
			const batch = 1000
			h, done := l.new(b, manyQuota, okHandler)
			defer done()
			addrs := benchAddrs(0, clients)
			warm(h, addrs)
			r, _ := http.NewRequest("GET", "http://example.com/items", nil)
			var rec *httptest.ResponseRecorder
			var o outcome
			b.ReportAllocs()
			b.ResetTimer()
			start := cpuTime()
			for i := 0; i < b.N; i++ {
				if i%batch == 0 {
					rec = httptest.NewRecorder()
				}
				r.RemoteAddr = addrs[i%clients]
				h.ServeHTTP(rec, r)
				o.add(rec.Code)
			}
			b.StopTimer()
			reportCPU(b, start)
			o.report(b, l.name, 0)
		}
	}
	for _, c := range []struct {
		name string
		run  func(limiter) func(*testing.B)
	}{
		{"hot-key", func(l limiter) func(*testing.B) { return serial(hotQuota, 1, l) }},
		{"keys=1e5", func(l limiter) func(*testing.B) { return serial(manyQuota, clients, l) }},
		{"keys=1e5-recorder", recorder},
		{"keys=1e6", func(l limiter) func(*testing.B) { return serial(manyQuota, 1_000_000, l) }},
		{"hot-key-parallel", func(l limiter) func(*testing.B) { return parallel(hotQuota, 1, l) }},
		{"keys=1e5-parallel", func(l limiter) func(*testing.B) { return parallel(manyQuota, clients, l) }},
		{"half-denied", halfDenied},
	} {
		for _, l := range memLimiters {
			b.Run(c.name+"/"+l.name, c.run(l))
		}
	}
}

// BenchmarkRateLimitHeap reports the heap each library retains after
// 10^6 distinct clients have made one request each, the key strings
// included: every RemoteAddr is a fresh string that only the limiter
// may keep. The bounded stores get room for 2^21 keys, so that none
// evicts and all hold the same 10^6 clients.
func BenchmarkRateLimitHeap(b *testing.B) {
	const n = 1_000_000
	q := memQuota{limit: 1000, window: time.Hour, maxKeys: 1 << 21}
	for _, l := range memLimiters {
		b.Run("keys=1e6/"+l.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				h, done := l.new(b, q, okHandler)
				r, _ := http.NewRequest("GET", "http://example.com/items", nil)
				w := newBenchWriter()
				for k := range n {
					r.RemoteAddr = clientIP(k) + ":40000"
					if got := serve(h, w, r); got != http.StatusOK {
						b.Fatalf("client %d: status %d", k, got)
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				heap := float64(after.HeapAlloc) - float64(before.HeapAlloc)
				b.ReportMetric(heap/(1<<20), "heap-MB")
				b.ReportMetric(heap/n, "B/key")
				runtime.KeepAlive(h)
				done()
			}
		})
	}
}

// TestMemLimitersDeny shows that the limits the benchmarks configure are
// enforced by every library: a client gets exactly its quota, then 429,
// while another client is unaffected.
func TestMemLimitersDeny(t *testing.T) {
	q := memQuota{limit: 5, window: time.Hour}
	for _, l := range memLimiters {
		t.Run(l.name, func(t *testing.T) {
			h, done := l.new(t, q, okHandler)
			defer done()
			r, _ := http.NewRequest("GET", "http://example.com/items", nil)
			w := newBenchWriter()
			r.RemoteAddr = "192.0.2.1:1234"
			for i := 1; i <= q.limit+1; i++ {
				w.reset()
				h.ServeHTTP(w, r)
				want := http.StatusOK
				if i > q.limit {
					want = http.StatusTooManyRequests
				}
				if got := w.code(); got != want {
					t.Fatalf("request %d: got status %d, want %d", i, got, want)
				}
			}
			r.RemoteAddr = "192.0.2.2:1234"
			w.reset()
			h.ServeHTTP(w, r)
			if got := w.code(); got != http.StatusOK {
				t.Errorf("other client: got status %d, want 200", got)
			}
		})
	}
}

// TestGoLimiterRefill records why the hot-key quota is per hour: with
// more tokens per interval than the square root of the interval in
// nanoseconds, go-limiter's memorystore refills fewer tokens than
// configured (interval/tokens per elapsed interval, as its fill rate is
// nanoseconds per token multiplied by whole intervals). At 10^9 a second
// a client that spent one token gets one back after a second, not 10^9.
func TestGoLimiterRefill(t *testing.T) {
	if testing.Short() {
		t.Skip("waits a second")
	}
	store, err := memorystore.New(&memorystore.Config{Tokens: 1_000_000_000, Interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore(store)
	ctx := context.Background()
	if _, _, _, ok, _ := store.Take(ctx, "k"); !ok {
		t.Fatal("first take refused")
	}
	time.Sleep(1100 * time.Millisecond)
	admitted := 0
	for range 3 {
		if _, _, _, ok, _ := store.Take(ctx, "k"); ok {
			admitted++
		}
	}
	if admitted != 1 {
		t.Errorf("after one interval %d of 3 takes admitted; the refill this test records admits 1", admitted)
	}
}
