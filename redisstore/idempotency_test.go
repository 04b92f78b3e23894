package redisstore

import (
	"context"
	stderrors "errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/restwell/restwell/idempotency"
	"github.com/restwell/restwell/idempotency/storetest"
	"github.com/restwell/restwell/internal/testenv"
)

func newIdempotencyStore(t testing.TB, c redis.UniversalClient) *IdempotencyStore {
	t.Helper()
	// A generous Timeout: the conformance suite checks exactly-once
	// execution with 200 callers at once on a busy machine.
	s, err := NewIdempotencyStore(c, IdempotencyConfig{Prefix: testPrefix(t), Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIdempotencyStoreConformance(t *testing.T) {
	c := newClient(t)
	storetest.Run(t, func(t *testing.T) idempotency.Store { return newIdempotencyStore(t, c) })
}

// counter counts the commands a client sends; each is one round trip,
// since the store never pipelines.
type counter struct{ n atomic.Int64 }

func (h *counter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}
func (h *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

func TestIdempotencyRoundTrips(t *testing.T) {
	c := newClient(t)
	hook := &counter{}
	c.AddHook(hook)
	m, err := idempotency.New(idempotency.Config{Store: newIdempotencyStore(t, c)})
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	srv := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("block") != "" {
			started <- struct{}{}
			<-release
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		io.WriteString(w, `{"id":1}`)
	}))
	send := func(key, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/orders", strings.NewReader(body))
		r.Header.Set("Idempotency-Key", key)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w
	}
	// The first use of each script may cost a NOSCRIPT and a load; warm up.
	send("warm", "{}")
	send("warm", "{}")
	hook.n.Store(0)

	tests := []struct {
		name   string
		key    string
		body   string
		status int
		want   int64
	}{
		{"first request (acquire, complete)", "k1", "{}", 201, 2},
		{"replay", "k1", "{}", 201, 1},
		{"key reused", "k1", `{"x":1}`, 422, 1},
	}
	for _, tt := range tests {
		before := hook.n.Load()
		w := send(tt.key, tt.body)
		got := hook.n.Load() - before
		if w.Code != tt.status || got != tt.want {
			t.Errorf("%s: status %d and %d round trips, want %d and %d", tt.name, w.Code, got, tt.status, tt.want)
		}
		t.Logf("%s: %d round trip(s)", tt.name, got)
	}

	// A request while the first is in progress: one round trip for the 409.
	r := httptest.NewRequest("POST", "/orders?block=1", strings.NewReader("{}"))
	r.Header.Set("Idempotency-Key", "k2")
	done := make(chan struct{})
	go func() { srv.ServeHTTP(httptest.NewRecorder(), r); close(done) }()
	<-started
	before := hook.n.Load()
	r = httptest.NewRequest("POST", "/orders?block=1", strings.NewReader("{}"))
	r.Header.Set("Idempotency-Key", "k2")
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	if got := hook.n.Load() - before; w.Code != 409 || got != 1 {
		t.Errorf("in progress: status %d and %d round trips, want 409 and 1", w.Code, got)
	} else {
		t.Logf("in progress (409): %d round trip(s)", got)
	}
	close(release)
	<-done
}

func TestIdempotencyKeysAreHashTagged(t *testing.T) {
	s := &IdempotencyStore{prefix: "p:"}
	for _, k := range []idempotency.Key{{Scope: "a", ID: "b"}, {Scope: "{x}", ID: "}{"}, {Scope: "", ID: "k"}} {
		key := s.key(k)
		open, close := strings.IndexByte(key, '{'), strings.IndexByte(key, '}')
		if !strings.HasPrefix(key, "p:{") || open < 0 || close != len(key)-1 || close-open-1 != 43 {
			t.Errorf("key %q for %+v: want p:{<43 characters>}", key, k)
		}
	}
	if s.key(idempotency.Key{Scope: "ab", ID: "c"}) == s.key(idempotency.Key{Scope: "a", ID: "bc"}) {
		t.Error("scope and key boundary is ambiguous")
	}
}

func TestIdempotencyTTLOnEveryKey(t *testing.T) {
	c := newClient(t)
	s := newIdempotencyStore(t, c)
	ctx := context.Background()
	k := idempotency.Key{Scope: "s", ID: "ttl"}
	rec, ok, err := s.Acquire(ctx, k, "fp", time.Minute, time.Hour)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if d := c.PTTL(ctx, s.key(k)).Val(); d <= 0 || d > time.Hour {
		t.Fatalf("in-progress record TTL %v, want (0, 1h]", d)
	}
	if err := s.Complete(ctx, k, rec.Token, &idempotency.Response{Status: 200}, 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	if d := c.PTTL(ctx, s.key(k)).Val(); d <= time.Hour || d > 2*time.Hour {
		t.Fatalf("completed record TTL %v, want (1h, 2h]", d)
	}
}

func TestIdempotencyRedisDown(t *testing.T) {
	srv := startRedis(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	var n atomic.Int32
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1); w.WriteHeader(201) })
	m, err := idempotency.New(idempotency.Config{Store: newIdempotencyStore(t, c)})
	if err != nil {
		t.Fatal(err)
	}
	send := func() *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/", strings.NewReader("{}"))
		r.Header.Set("Idempotency-Key", "k")
		w := httptest.NewRecorder()
		m.Handler(handler).ServeHTTP(w, r)
		return w
	}
	srv.Stop()
	w := send()
	if w.Code != 503 || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "idempotency_unavailable") || n.Load() != 0 {
		t.Fatalf("with Redis down: %d %q (Retry-After %q), handler ran %d times", w.Code, w.Body, w.Header().Get("Retry-After"), n.Load())
	}
	srv.Start()
	if w := send(); w.Code != 201 || n.Load() != 1 {
		t.Fatalf("after restart: %d, handler ran %d times", w.Code, n.Load())
	}
	if w := send(); w.Code != 201 || w.Header().Get("Idempotent-Replayed") != "true" || n.Load() != 1 {
		t.Fatalf("replay after restart: %d, handler ran %d times", w.Code, n.Load())
	}
}

// TestIdempotencyTimeout slows every reply of a Redis beyond the store's
// Timeout and checks that each call of the store gives up at the
// deadline, for a client that honours context deadlines and for one that
// does not.
func TestIdempotencyTimeout(t *testing.T) {
	newClient(t) // skips when no Redis answers
	const delay, timeout = time.Second, 50 * time.Millisecond
	for _, direct := range []bool{true, false} {
		t.Run(map[bool]string{true: "ContextTimeoutEnabled", false: "plain client"}[direct], func(t *testing.T) {
			proxy := startProxy(t, testenv.RedisAddr(), delay)
			c := redis.NewClient(&redis.Options{Addr: proxy.Addr(), ContextTimeoutEnabled: direct, MaxRetries: -1})
			t.Cleanup(func() { c.Close() })
			s, err := NewIdempotencyStore(c, IdempotencyConfig{Prefix: testPrefix(t), Timeout: timeout})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			k := idempotency.Key{Scope: "s", ID: "slow"}
			rec, ok, err := s.Acquire(ctx, k, "fp", time.Minute, time.Hour)
			if err != nil || !ok {
				t.Fatalf("Acquire before the slowdown: %v %v", ok, err)
			}
			proxy.slow.Store(true)
			for _, tt := range []struct {
				op   string
				call func() error
			}{
				{"acquire", func() error { _, _, err := s.Acquire(ctx, k, "fp", time.Minute, time.Hour); return err }},
				{"renew", func() error { return s.Renew(ctx, k, rec.Token, time.Minute) }},
				{"complete", func() error {
					return s.Complete(ctx, k, rec.Token, &idempotency.Response{Status: 201}, time.Hour)
				}},
				{"release", func() error { return s.Release(ctx, k, rec.Token) }},
				{"get", func() error { _, _, err := s.Get(ctx, k); return err }},
			} {
				start := time.Now()
				err := tt.call()
				if elapsed := time.Since(start); elapsed >= delay/2 {
					t.Errorf("%s took %v with a %v Timeout; want it to give up at the deadline", tt.op, elapsed, timeout)
				}
				// go-redis reports a deadline it enforces on the socket as
				// a net.Error timeout.
				var ne net.Error
				if !stderrors.Is(err, context.DeadlineExceeded) && !(stderrors.As(err, &ne) && ne.Timeout()) {
					t.Errorf("%s error %v, want a timeout", tt.op, err)
				}
			}
		})
	}
}

func TestIdempotencyConfigNegativeTimeout(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	if _, err := NewIdempotencyStore(c, IdempotencyConfig{Timeout: -1}); err == nil {
		t.Fatal("NewIdempotencyStore accepted a negative Timeout")
	}
}
