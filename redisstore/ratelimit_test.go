package redisstore

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/idempotency"
	idemtest "github.com/restwell/restwell/idempotency/storetest"
	"github.com/restwell/restwell/internal/testenv"
	"github.com/restwell/restwell/ratelimit"
	"github.com/restwell/restwell/ratelimit/storetest"
)

// newRateLimitStore returns a store with a generous timeout: tests run
// under -race on busy machines, and TestRateLimitTimeout covers the
// default one.
func newRateLimitStore(t testing.TB, c redis.UniversalClient, prefix string) *RateLimitStore {
	t.Helper()
	s, err := NewRateLimitStore(c, RateLimitConfig{Prefix: prefix, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRateLimitConformance(t *testing.T) {
	c := newClient(t)
	storetest.Run(t, func(t *testing.T) ratelimit.Store {
		return newRateLimitStore(t, c, testPrefix(t))
	})
}

func TestRateLimitConfig(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	if s, err := NewRateLimitStore(c, RateLimitConfig{}); err != nil || s.timeout != 100*time.Millisecond || s.prefix != "restwell:ratelimit:" {
		t.Errorf("defaults: %+v, %v; want a 100ms timeout", s, err)
	}
	for _, cfg := range []RateLimitConfig{{Prefix: "a{b}"}, {Prefix: "}"}, {Timeout: -1}} {
		if _, err := NewRateLimitStore(c, cfg); err == nil {
			t.Errorf("NewRateLimitStore(%+v): no error", cfg)
		}
	}
	if _, err := NewRateLimitStore(nil, RateLimitConfig{}); err == nil {
		t.Error("nil client: no error")
	}
}

var rateLimitOK = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})

// TestRateLimitSharedBudget: two Limiters (two replicas) on one Redis
// enforce one budget between them.
func TestRateLimitSharedBudget(t *testing.T) {
	c := newClient(t)
	prefix := testPrefix(t)
	policies := []ratelimit.Policy{{Name: "burst", Limit: 10, Window: time.Hour}, {Name: "daily", Limit: 100, Window: 24 * time.Hour}}
	var handlers []http.Handler
	for i := 0; i < 2; i++ {
		l, err := ratelimit.New(ratelimit.Config{Policies: policies, Store: newRateLimitStore(t, c, prefix)})
		if err != nil {
			t.Fatal(err)
		}
		handlers = append(handlers, l.Handler(rateLimitOK))
	}
	admitted := 0
	var last *httptest.ResponseRecorder
	for i := 0; i < 30; i++ {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "203.0.113.20:1000"
		w := httptest.NewRecorder()
		handlers[i%2].ServeHTTP(w, r)
		if w.Code == 200 {
			admitted++
		}
		last = w
	}
	if admitted != 10 {
		t.Errorf("two instances admitted %d requests, want the shared budget of 10", admitted)
	}
	if got := last.Header().Get("RateLimit"); !strings.HasPrefix(got, `"burst";r=0;t=`) {
		t.Errorf("last RateLimit %q, want burst exhausted", got)
	}
	if got := last.Header().Get("Retry-After"); got == "" {
		t.Error("429 without Retry-After")
	}
}

// TestRateLimitAtomicity: 50 concurrent clients, each with its own
// connection, spend one budget exactly.
func TestRateLimitAtomicity(t *testing.T) {
	newClient(t) // skip without Redis
	prefix := testPrefix(t)
	policies := []ratelimit.Policy{{Name: "burst", Limit: 60, Window: time.Hour}, {Name: "wide", Limit: 600, Window: time.Hour}}
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 50; g++ {
		c := newClient(t)
		s := newRateLimitStore(t, c, prefix)
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := make([]ratelimit.Result, 2)
			for i := 0; i < 6; i++ {
				ok, err := s.Take(context.Background(), "one-key", policies, 1, res)
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
	if got := admitted.Load(); got != 60 {
		t.Errorf("50 clients x 6 requests admitted %d, want exactly 60", got)
	}
}

// TestRateLimitTTL: every key a decision writes expires once its quota is
// full again, and a refused decision leaves the TTLs in place.
func TestRateLimitTTL(t *testing.T) {
	c := newClient(t)
	prefix := testPrefix(t)
	s := newRateLimitStore(t, c, prefix)
	policies := []ratelimit.Policy{
		{Name: "second", Limit: 5, Window: time.Second},
		{Name: "minute", Limit: 10, Window: time.Minute},
		{Name: "day", Limit: 1000, Window: 24 * time.Hour, Burst: 2},
	}
	res := make([]ratelimit.Result, 3)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		s.Take(ctx, "ttl{key}", policies, 1, res)
	}
	keys, err := c.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	// The heartbeats' set (written in the background, so perhaps not yet)
	// lives three heartbeats.
	if i := slices.Index(keys, prefix+"replicas"); i >= 0 {
		if ttl, err := c.PTTL(ctx, keys[i]).Result(); err != nil || ttl <= 0 || ttl > 3*defaultHeartbeat {
			t.Errorf("key %s: PTTL %v, %v; want within (0, %v]", keys[i], ttl, err, 3*defaultHeartbeat)
		}
		keys = slices.Delete(keys, i, i+1)
	}
	if len(keys) != 3 {
		t.Fatalf("keys %v, want one per policy", keys)
	}
	// Each key lives until its TAT: 2 used units' worth of interval
	// (the day policy refused the third request, so two each).
	want := map[string]time.Duration{"second": 400 * time.Millisecond, "minute": 12 * time.Second, "day": 2 * 86400 * time.Second / 1000}
	for _, k := range keys {
		ttl, err := c.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		name := k[strings.LastIndexByte(k, ':')+1:]
		if ttl <= 0 || ttl > want[name] || ttl < want[name]-time.Second {
			t.Errorf("key %s: PTTL %v, want about %v", k, ttl, want[name])
		}
	}
}

// clusterHashTag extracts a key's Redis Cluster hash tag the way Redis does.
func clusterHashTag(key string) string {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return key
	}
	j := strings.IndexByte(key[i+1:], '}')
	if j <= 0 {
		return key
	}
	return key[i+1 : i+1+j]
}

func TestRateLimitHashTags(t *testing.T) {
	for _, key := range []string{"203.0.113.1", "", "{", "}", "}x", "{}", "a{b}c", "{{61", "x}y{z"} {
		var tags []string
		for _, p := range []string{"burst", "daily"} {
			k := "pre:" + "{" + rateLimitTag(key) + "}:" + p
			tags = append(tags, clusterHashTag(k))
		}
		if tags[0] != tags[1] || tags[0] == "pre:{"+rateLimitTag(key)+"}:burst" {
			t.Errorf("key %q: tags %q do not match", key, tags)
		}
	}
	if rateLimitTag("{{61") == rateLimitTag("a") || rateLimitTag("") == rateLimitTag("{") {
		t.Error("escaped keys collide")
	}
}

// countedStore returns a store on a server of the test's own, through a
// client whose commands hook counts. Heartbeats, which are no request's,
// are off: TestHeartbeat counts them.
func countedStore(t *testing.T) (*redis.Client, *rateLimitHook, *RateLimitStore) {
	t.Helper()
	srv := startRedis(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { c.Close() })
	hook := &rateLimitHook{}
	c.AddHook(hook)
	s, err := NewRateLimitStore(c, RateLimitConfig{Prefix: testPrefix(t), Timeout: 2 * time.Second, Heartbeat: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c, hook, s
}

// runConformance runs both stores' conformance suites through c.
func runConformance(t *testing.T, c redis.UniversalClient) {
	t.Run("RateLimitConformance", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) ratelimit.Store { return newRateLimitStore(t, c, testPrefix(t)) })
	})
	t.Run("IdempotencyConformance", func(t *testing.T) {
		idemtest.Run(t, func(t *testing.T) idempotency.Store { return newIdempotencyStore(t, c) })
	})
}

// rateLimitHook counts the commands a client sends.
type rateLimitHook struct{ n, evalsha, eval atomic.Int64 }

func (h *rateLimitHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *rateLimitHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		switch cmd.Name() {
		case "evalsha":
			h.evalsha.Add(1)
		case "eval":
			h.eval.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (h *rateLimitHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// TestRateLimitOneRoundTrip counts the commands of each decision, on the
// client (a hook) and on a server of the test's own (INFO commandstats).
func TestRateLimitOneRoundTrip(t *testing.T) {
	c, hook, s := countedStore(t)
	policies := []ratelimit.Policy{{Name: "a", Limit: 1000, Window: time.Second}, {Name: "b", Limit: 100, Window: time.Minute}, {Name: "c", Limit: 5000, Window: time.Hour}}
	res := make([]ratelimit.Result, 3)
	ctx := context.Background()
	if err := c.Ping(ctx).Err(); err != nil { // connection set-up commands
		t.Fatal(err)
	}
	hook.n.Store(0)

	// A fresh server has no script: EVALSHA fails with NOSCRIPT, EVAL runs it.
	if _, err := s.Take(ctx, "k", policies, 1, res); err != nil {
		t.Fatal(err)
	}
	if hook.n.Load() != 2 || hook.evalsha.Load() != 1 || hook.eval.Load() != 1 {
		// A PING, then EVALSHA and EVAL.
		t.Fatalf("first decision: %d commands (%d EVALSHA, %d EVAL), want EVALSHA then EVAL", hook.n.Load(), hook.evalsha.Load(), hook.eval.Load())
	}
	before := rateLimitCommandCalls(t, c, "evalsha")
	hook.n.Store(0)
	const n = 100
	for i := 0; i < n; i++ {
		if _, err := s.Take(ctx, "k"+strconv.Itoa(i%7), policies, 1, res); err != nil {
			t.Fatal(err)
		}
	}
	sent := hook.n.Load()
	if sent != n {
		t.Errorf("%d decisions sent %d commands, want %d (one round trip each)", n, sent, n)
	}
	if got := rateLimitCommandCalls(t, c, "evalsha") - before; got != n {
		t.Errorf("server ran EVALSHA %d times for %d decisions", got, n)
	}
	t.Logf("round trips per decision: %.2f (%d commands for %d decisions)", float64(sent)/n, sent, n)

	// After SCRIPT FLUSH the store recovers with EVAL, in the same call.
	if err := c.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Take(ctx, "k", policies, 1, res); err != nil {
		t.Fatalf("after SCRIPT FLUSH: %v", err)
	}
}

func rateLimitCommandCalls(t *testing.T, c *redis.Client, cmd string) int64 {
	t.Helper()
	info, err := c.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if rest, ok := strings.CutPrefix(line, "cmdstat_"+cmd+":calls="); ok {
			n, _ := strconv.ParseInt(rest[:strings.IndexByte(rest, ',')], 10, 64)
			return n
		}
	}
	return 0
}

// TestRateLimitTimeout: a server that does not answer costs a decision
// the store timeout, not more.
func TestRateLimitTimeout(t *testing.T) {
	srv := startRedis(t)
	for _, ctxTimeouts := range []bool{false, true} {
		t.Run("ContextTimeoutEnabled="+strconv.FormatBool(ctxTimeouts), func(t *testing.T) {
			testRateLimitTimeout(t, srv, ctxTimeouts)
		})
	}
}

func testRateLimitTimeout(t *testing.T, srv *redisServer, ctxTimeouts bool) {
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, ContextTimeoutEnabled: ctxTimeouts})
	defer c.Close()
	s, err := NewRateLimitStore(c, RateLimitConfig{Prefix: testPrefix(t), Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	policies := []ratelimit.Policy{{Name: "p", Limit: 10, Window: time.Second}}
	res := make([]ratelimit.Result, 1)
	if _, err := s.Take(context.Background(), "k", policies, 1, res); err != nil {
		t.Fatal(err)
	}
	admin := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer admin.Close()
	if err := admin.Do(context.Background(), "CLIENT", "PAUSE", "1000", "ALL").Err(); err != nil {
		t.Fatal(err)
	}
	defer admin.Do(context.Background(), "CLIENT", "UNPAUSE")
	start := time.Now()
	_, err = s.Take(context.Background(), "k", policies, 1, res)
	if elapsed := time.Since(start); err == nil || elapsed > 800*time.Millisecond {
		t.Errorf("server paused for 1s: %v after %v, want a timeout error after about 200ms", err, elapsed)
	}
	// The request context is honoured too.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Take(ctx, "k", policies, 1, res); err == nil {
		t.Error("canceled context: no error")
	}
}

// TestRateLimitOutage kills a Redis server of the test's own under each
// store failure mode and restarts it: requests keep being answered as
// the mode says, nothing panics, and limiting resumes by itself.
func TestRateLimitOutage(t *testing.T) {
	srv := startRedis(t)
	policies := []ratelimit.Policy{{Name: "p", Limit: 3, Window: time.Hour}}
	for _, mode := range []ratelimit.StoreFailure{ratelimit.FailOpen, ratelimit.FailClosed, ratelimit.FailLocal} {
		t.Run(mode.String(), func(t *testing.T) {
			c := redis.NewClient(&redis.Options{Addr: srv.Addr})
			defer c.Close()
			store, err := NewRateLimitStore(c, RateLimitConfig{Prefix: testPrefix(t), Timeout: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			l, err := ratelimit.New(ratelimit.Config{
				Policies:     policies,
				Store:        store,
				StoreFailure: mode,
				StoreRetry:   100 * time.Millisecond,
				ErrorHandler: rateLimitErrors.Write,
			})
			if err != nil {
				t.Fatal(err)
			}
			h := l.Handler(rateLimitOK)
			do := func(ip string) *httptest.ResponseRecorder {
				r := httptest.NewRequest("GET", "/", nil)
				r.RemoteAddr = net.JoinHostPort(ip, "1")
				w := httptest.NewRecorder()
				start := time.Now()
				h.ServeHTTP(w, r)
				// The store timeout (300ms) bounds a request; go-redis's
				// own dial and read timeouts (3-5s) must never show.
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("request took %v", d)
				}
				return w
			}
			if w := do("203.0.113.1"); w.Code != 200 || w.Header().Get("RateLimit") != `"p";r=2;t=1200` {
				t.Fatalf("before the outage: %d %q", w.Code, w.Header().Get("RateLimit"))
			}
			srv.Stop()
			for i := 0; i < 5; i++ {
				w := do("203.0.113.1")
				switch mode {
				case ratelimit.FailOpen:
					if w.Code != 200 || w.Header().Get("RateLimit") != "" {
						t.Errorf("down, request %d: %d %q; want 200 without RateLimit", i, w.Code, w.Header().Get("RateLimit"))
					}
				case ratelimit.FailClosed:
					if w.Code != 503 || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), `"code":"unavailable"`) {
						t.Errorf("down, request %d: %d %v %s; want 503 envelope with Retry-After", i, w.Code, w.Header(), w.Body)
					}
				case ratelimit.FailLocal:
					// The fallback has spent the request the store admitted.
					want := 200
					if i >= 2 {
						want = 429
					}
					if w.Code != want || w.Header().Get("RateLimit") == "" {
						t.Errorf("down, request %d: %d, want %d from the local fallback", i, w.Code, want)
					}
				}
			}
			srv.Start()
			deadline := time.Now().Add(10 * time.Second)
			for {
				w := do("203.0.113.1")
				if w.Code == 200 && w.Header().Get("RateLimit") == `"p";r=1;t=1200` {
					break // the shared store again: its second request
				}
				if time.Now().After(deadline) {
					t.Fatalf("no recovery: %d %q", w.Code, w.Header().Get("RateLimit"))
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

var rateLimitErrors = &apierrors.Renderer{Logger: slog.New(slog.DiscardHandler)}

// TestRateLimitWorkers: with a client that leaves context deadlines to
// the store, concurrent decisions share workers that exit once idle.
func TestRateLimitWorkers(t *testing.T) {
	c := newClient(t)
	s := newRateLimitStore(t, c, testPrefix(t))
	policies := []ratelimit.Policy{{Name: "p", Limit: 1000, Window: time.Hour}}
	before := runtime.NumGoroutine()
	const clients, each = 20, 25
	var wg sync.WaitGroup
	var admitted atomic.Int64
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := make([]ratelimit.Result, 1)
			for range each {
				ok, err := s.Take(context.Background(), "k"+strconv.Itoa(i%2), policies, 1, res)
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
	if got := admitted.Load(); got != clients*each {
		t.Errorf("%d of %d decisions admitted, want all", got, clients*each)
	}
	deadline := time.Now().Add(workerIdle + 5*time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines %v after the last decision, %d before", runtime.NumGoroutine(), workerIdle+5*time.Second, before)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func BenchmarkRateLimitTake(b *testing.B) {
	for _, ctxTimeouts := range []bool{false, true} {
		b.Run("ContextTimeoutEnabled="+strconv.FormatBool(ctxTimeouts), func(b *testing.B) {
			newClient(b) // skip without Redis
			c := redis.NewClient(&redis.Options{Addr: testenv.RedisAddr(), ContextTimeoutEnabled: ctxTimeouts})
			defer c.Close()
			s := newRateLimitStore(b, c, testPrefix(b))
			policies := []ratelimit.Policy{{Name: "burst", Limit: 1_000_000, Window: time.Second}, {Name: "default", Limit: 1_000_000_000, Window: time.Hour}}
			res := make([]ratelimit.Result, 2)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			start := cpuTime()
			for i := 0; i < b.N; i++ {
				if _, err := s.Take(ctx, "k"+strconv.Itoa(i%1000), policies, 1, res); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}
