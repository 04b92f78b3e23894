package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"github.com/throttled/throttled/v2"
	goredisstore "github.com/throttled/throttled/v2/store/goredisstore.v9"
	"github.com/ulule/limiter/v3"
	"github.com/ulule/limiter/v3/drivers/middleware/stdlib"
	ululeredis "github.com/ulule/limiter/v3/drivers/store/redis"

	"github.com/restwell/restwell/internal/testenv"
	"github.com/restwell/restwell/ratelimit"
	"github.com/restwell/restwell/redisstore"
)

// redisLib is one library that limits HTTP requests with its state in
// Redis, as the benchmarks and tests of this file build it.
type redisLib struct {
	// name is the last element of the benchmark path.
	name string
	// header is the canonical name of a response header that only a
	// decision by the store sets, so that its presence proves the store
	// answered.
	header string
	// new returns the middleware around next, limiting each client IP
	// to limit requests per hour (limit at once), with every key it
	// writes containing prefix.
	new func(c *redis.Client, prefix string, limit int, next http.Handler) (http.Handler, error)
}

// redisLibs returns the libraries compared on Redis. Test and benchmark
// build every limiter from this table, so that they cannot drift apart.
func redisLibs() []redisLib {
	return []redisLib{
		{"restwell", http.CanonicalHeaderKey("RateLimit"), redisRestwell},
		{"restwell-inflight", http.CanonicalHeaderKey("RateLimit"), redisRestwellInflight},
		{"ulule", http.CanonicalHeaderKey("X-RateLimit-Remaining"), redisUlule},
		{"throttled", http.CanonicalHeaderKey("X-RateLimit-Remaining"), redisThrottled},
		{"redis_rate", http.CanonicalHeaderKey("X-RateLimit-Remaining"), redisRate},
	}
}

// redisRestwell builds a restwell Limiter on a redisstore.RateLimitStore.
//
// Round trips: one EVALSHA per request, a Lua script that reads TIME and
// gets and sets the key of each policy; EVAL once more after a NOSCRIPT
// reply (a server restart or SCRIPT FLUSH). The default StoreFailure is
// FailOpen: a failed store lets the request through without the RateLimit
// field, which the callers check for.
func redisRestwell(c *redis.Client, prefix string, limit int, next http.Handler) (http.Handler, error) {
	store, err := redisstore.NewRateLimitStore(c, redisstore.RateLimitConfig{
		Prefix: prefix,
		// The peers wait for Redis as long as it takes; the default 100ms
		// bound would turn a scheduling stall on a loaded benchmark
		// machine into a fail-open request and a failed benchmark.
		Timeout: time.Second,
		// The replica heartbeat is a background command, not a request's
		// round trip: off, so that roundtrips/op counts requests alone.
		Heartbeat: -1,
	})
	if err != nil {
		return nil, err
	}
	lim, err := ratelimit.New(ratelimit.Config{
		Policies: []ratelimit.Policy{{Name: "default", Limit: int64(limit), Window: time.Hour}},
		Store:    store,
	})
	if err != nil {
		return nil, err
	}
	return lim.Handler(next), nil
}

// redisRestwellInflight is redisRestwell with a concurrency limit as
// well: at most 64 requests of a client in progress at once.
//
// Round trips: two EVALSHA per request, one that decides the rate policy
// and takes a slot of the concurrency policy (a sorted set of leases),
// one that releases the slot when the handler returns.
func redisRestwellInflight(c *redis.Client, prefix string, limit int, next http.Handler) (http.Handler, error) {
	store, err := redisstore.NewRateLimitStore(c, redisstore.RateLimitConfig{Prefix: prefix, Timeout: time.Second, Heartbeat: -1})
	if err != nil {
		return nil, err
	}
	lim, err := ratelimit.New(ratelimit.Config{
		Policies: []ratelimit.Policy{
			{Name: "default", Limit: int64(limit), Window: time.Hour},
			{Name: "inflight", Limit: 64, Window: time.Minute, Unit: ratelimit.UnitConcurrentRequests},
		},
		Store: store,
	})
	if err != nil {
		return nil, err
	}
	return lim.Handler(next), nil
}

// redisUlule builds ulule/limiter's stdlib middleware on its Redis store,
// a fixed window of one hour, keyed by the client IP from RemoteAddr.
//
// Round trips: one EVALSHA per request (INCRBY, then PEXPIRE or PTTL, in a
// Lua script). The store loads its two scripts with SCRIPT LOAD when it is
// created, and after a NOSCRIPT reply loads both again and retries. Its
// default error handler panics; it is replaced by one answering 500, like
// the other libraries.
func redisUlule(c *redis.Client, prefix string, limit int, next http.Handler) (http.Handler, error) {
	store, err := ululeredis.NewStoreWithOptions(c, limiter.StoreOptions{Prefix: prefix})
	if err != nil {
		return nil, err
	}
	lim := limiter.New(store, limiter.Rate{Period: time.Hour, Limit: int64(limit)})
	return stdlib.NewMiddleware(lim, stdlib.WithErrorHandler(redisError)).Handler(next), nil
}

// redisThrottled builds throttled's GCRA limiter on its go-redis v9 store.
// MaxBurst is one less than the number of requests admitted at once.
//
// Round trips: for a key that exists, a pipeline (TIME, GET) and an EVAL of
// a compare-and-swap script, sent in full every time rather than by SHA:
// two. For a new key, the pipeline, SETNX and EXPIRE: three. A lost
// compare-and-swap race starts over, up to ten times.
func redisThrottled(c *redis.Client, prefix string, limit int, next http.Handler) (http.Handler, error) {
	store, err := goredisstore.NewCtx(c, prefix)
	if err != nil {
		return nil, err
	}
	rl, err := throttled.NewGCRARateLimiterCtx(store, throttled.RateQuota{
		MaxRate:  throttled.PerHour(limit),
		MaxBurst: limit - 1,
	})
	if err != nil {
		return nil, err
	}
	h := &throttled.HTTPRateLimiterCtx{
		RateLimiter: rl,
		VaryBy:      &throttled.VaryBy{RemoteAddr: true},
	}
	return h.RateLimit(next), nil
}

// redisRate builds the minimal middleware a user of go-redis/redis_rate,
// which has none, would write: GCRA keyed by the host part of RemoteAddr.
// redis_rate prepends "rate:" to every key, so the keys contain prefix
// without starting with it.
//
// Round trips: one EVALSHA per request (redis.Script.Run), and EVAL once
// more after a NOSCRIPT reply.
func redisRate(c *redis.Client, prefix string, limit int, next http.Handler) (http.Handler, error) {
	rl := redis_rate.NewLimiter(c)
	l := redis_rate.PerHour(limit) // Rate limit, Burst limit, Period one hour
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		res, err := rl.Allow(r.Context(), prefix+host, l)
		if err != nil {
			redisError(w, r, err)
			return
		}
		if res.Allowed == 0 {
			secs := int(math.Ceil(res.RetryAfter.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
			http.Error(w, "rate limit exceeded", http.StatusTooManyRequests)
			return
		}
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(res.Remaining))
		next.ServeHTTP(w, r)
	}), nil
}

// redisError answers 500 for a failed rate-limit decision.
func redisError(w http.ResponseWriter, _ *http.Request, err error) {
	http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
}

// redisOK is the handler behind every limiter: it answers 200 and nothing
// else.
func redisOK(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusOK)
}

// handler returns l's middleware around redisOK on c, at limit requests per
// hour, under a key prefix of its own that is deleted when tb ends.
func (l redisLib) handler(tb testing.TB, c *redis.Client, limit int) http.Handler {
	tb.Helper()
	prefix := redisPrefix(tb, c, l.name)
	h, err := l.new(c, prefix, limit, http.HandlerFunc(redisOK))
	if err != nil {
		tb.Fatalf("%s: %v", l.name, err)
	}
	return h
}

// redisClient returns a client of the Redis server at RESTWELL_REDIS_ADDR
// (default 127.0.0.1:6379), closed when tb ends. Without a server it skips
// tb, or fails it when RESTWELL_REQUIRE_REDIS=1.
//
// Every library gets a client of its own with the same options: the
// default pool, and ContextTimeoutEnabled, which redisstore asks for (it
// otherwise runs each decision in a goroutine of its own to bound it by
// its timeout). The peers pass no context deadline, so the option leaves
// them unchanged: their reads keep the default ReadTimeout.
func redisClient(tb testing.TB) *redis.Client {
	tb.Helper()
	addr := testenv.RedisAddr()
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	tb.Cleanup(func() { c.Close() })
	testenv.PingRedis(tb, func(ctx context.Context) error { return c.Ping(ctx).Err() })
	return c
}

// redisPrefix returns a key prefix no other run, process or library uses,
// without braces (which redisstore refuses) or glob characters, and deletes
// every key containing it when tb ends.
func redisPrefix(tb testing.TB, c *redis.Client, lib string) string {
	tb.Helper()
	var b [8]byte
	_, _ = rand.Read(b[:])
	prefix := "restwell-bench:" + hex.EncodeToString(b[:]) + ":" + lib + ":"
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := redisDelete(ctx, c, "*"+prefix+"*"); err != nil {
			tb.Errorf("deleting the keys of %s: %v", lib, err)
		}
	})
	return prefix
}

// redisDelete unlinks every key matching pattern, walking the keyspace with
// SCAN.
func redisDelete(ctx context.Context, c *redis.Client, pattern string) error {
	var keys []string
	iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return err
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if err := c.Unlink(ctx, keys[:n]...).Err(); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

// redisCounter is a go-redis hook counting round trips to the server: one
// per command, one per pipeline. The handshake of a new connection (HELLO,
// CLIENT SETINFO and the like) is the pool's doing, not the library's, and
// is not counted.
type redisCounter struct {
	n atomic.Int64
}

// DialHook implements redis.Hook; it passes dials through.
func (h *redisCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook; it counts one round trip per command.
func (h *redisCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !redisHandshake(cmd) {
			h.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements redis.Hook; it counts one round trip per
// pipeline.
func (h *redisCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, cmd := range cmds {
			if !redisHandshake(cmd) {
				h.n.Add(1)
				break
			}
		}
		return next(ctx, cmds)
	}
}

// redisHandshake reports whether cmd is one go-redis sends to set up a new
// connection. None of the libraries compared sends these itself.
func redisHandshake(cmd redis.Cmder) bool {
	switch cmd.Name() {
	case "hello", "client", "auth", "select", "readonly":
		return true
	}
	return false
}

// redisAddrs returns n distinct client socket addresses, "10.x.y.z:40000".
func redisAddrs(n int) []string {
	addrs := make([]string, n)
	for i := range addrs {
		v := i + 1
		addrs[i] = fmt.Sprintf("10.%d.%d.%d:40000", v>>16&0xff, v>>8&0xff, v&0xff)
	}
	return addrs
}

// redisCheck returns an error unless w holds an admitted response that the
// store decided: status 200 and lib's rate-limit field.
func redisCheck(lib redisLib, w *benchWriter, addr string) error {
	if w.code() != http.StatusOK {
		return fmt.Errorf("%s: status %d for %s, want 200 (each key has 1000 requests per hour)", lib.name, w.code(), addr)
	}
	if len(w.h[lib.header]) == 0 {
		return fmt.Errorf("%s: 200 for %s without %s: the store did not decide", lib.name, addr, lib.header)
	}
	return nil
}

// redisLimit is the quota per key and hour of the benchmarks.
const redisLimit = 1000

// redisSetup builds lib's limiter at redisLimit on a client of its own and
// warms it up with workers goroutines, which together send one request from
// each of addrs: scripts get loaded, every key exists (as for returning
// clients) and the pool holds a connection per worker. It returns the
// handler and the counter of the client's round trips.
func redisSetup(b *testing.B, lib redisLib, addrs []string, workers int) (http.Handler, *redisCounter) {
	b.Helper()
	c := redisClient(b)
	cnt := &redisCounter{}
	c.AddHook(cnt)
	h := lib.handler(b, c, redisLimit)

	errs := make([]error, workers)
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			w := newBenchWriter()
			for i := g; i < len(addrs); i += workers {
				r.RemoteAddr = addrs[i]
				w.reset()
				h.ServeHTTP(w, r)
				if err := redisCheck(lib, w, addrs[i]); err != nil {
					errs[g] = fmt.Errorf("warm-up: %w", err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	return h, cnt
}

// BenchmarkRedisRateLimit measures rate-limiting middleware with its state in
// a Redis server, requests cycling through 1000 client addresses: serially,
// then from GOMAXPROCS goroutines. roundtrips/op is the number of commands
// and pipelines sent to Redis per request. Each round of b.N gets fresh keys
// with a full quota, enough for about 10^6 requests.
func BenchmarkRedisRateLimit(b *testing.B) {
	addrs := redisAddrs(1000)
	b.Run("keys=1e3", func(b *testing.B) {
		for _, lib := range redisLibs() {
			b.Run(lib.name, func(b *testing.B) { redisSerial(b, lib, addrs) })
		}
	})
	b.Run("keys=1e3-parallel", func(b *testing.B) {
		for _, lib := range redisLibs() {
			b.Run(lib.name, func(b *testing.B) {
				h, cnt := redisSetup(b, lib, addrs, runtime.GOMAXPROCS(0))
				var seq atomic.Int64
				b.ReportAllocs()
				b.ResetTimer()
				cnt.n.Store(0)
				start := cpuTime()
				b.RunParallel(func(pb *testing.PB) {
					r := httptest.NewRequest(http.MethodGet, "/", nil)
					w := newBenchWriter()
					// 389 is prime to 1000: goroutines start far apart.
					i := int(seq.Add(1)-1) * 389
					for pb.Next() {
						r.RemoteAddr = addrs[i%len(addrs)]
						i++
						w.reset()
						h.ServeHTTP(w, r)
						if err := redisCheck(lib, w, r.RemoteAddr); err != nil {
							b.Errorf("b.N=%d: %v", b.N, err)
							return
						}
					}
				})
				b.StopTimer()
				if b.Failed() {
					b.FailNow()
				}
				reportCPU(b, start)
				b.ReportMetric(float64(cnt.n.Load())/float64(b.N), "roundtrips/op")
			})
		}
	})
}

// redisSerial runs lib's limiter on one goroutine, requests cycling
// through addrs, and reports roundtrips/op.
func redisSerial(b *testing.B, lib redisLib, addrs []string) {
	h, cnt := redisSetup(b, lib, addrs, 1)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	w := newBenchWriter()
	b.ReportAllocs()
	b.ResetTimer()
	cnt.n.Store(0)
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		r.RemoteAddr = addrs[i%len(addrs)]
		w.reset()
		h.ServeHTTP(w, r)
		if err := redisCheck(lib, w, r.RemoteAddr); err != nil {
			b.Fatalf("request %d of %d: %v", i, b.N, err)
		}
	}
	b.StopTimer()
	reportCPU(b, start)
	b.ReportMetric(float64(cnt.n.Load())/float64(b.N), "roundtrips/op")
}

// TestRedisLimitersDeny checks that every benchmarked limiter really limits:
// built as the benchmark builds it but at 5 requests per hour, it admits
// requests 1 to 5 from one client IP, reporting a different quota state on
// each, and refuses the 6th with 429, while another IP is still admitted.
func TestRedisLimitersDeny(t *testing.T) {
	const limit = 5
	for _, lib := range redisLibs() {
		t.Run(lib.name, func(t *testing.T) {
			t.Parallel()
			h := lib.handler(t, redisClient(t), limit)
			do := func(addr string) *httptest.ResponseRecorder {
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.RemoteAddr = addr
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				return w
			}

			seen := make(map[string]int)
			for i := 1; i <= limit; i++ {
				w := do("192.0.2.1:40000")
				if got, want := w.Code, http.StatusOK; got != want {
					t.Fatalf("request %d: got status %d, want %d", i, got, want)
				}
				v := w.Header().Get(lib.header)
				if v == "" {
					t.Fatalf("request %d: got no %s field, want one (did the store decide?)", i, lib.header)
				}
				if j, ok := seen[v]; ok {
					t.Errorf("request %d: got %s %q, as for request %d; want it to change", i, lib.header, v, j)
				}
				seen[v] = i
			}
			w := do("192.0.2.1:40000")
			if got, want := w.Code, http.StatusTooManyRequests; got != want {
				t.Fatalf("request %d: got status %d, want %d (body %q)", limit+1, got, want, strings.TrimSpace(w.Body.String()))
			}
			w = do("192.0.2.2:40000")
			if got, want := w.Code, http.StatusOK; got != want {
				t.Errorf("other IP: got status %d, want %d", got, want)
			}
		})
	}
}
