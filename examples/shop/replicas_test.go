package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"github.com/restwell/restwell/internal/testenv"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/restwell/restwell/ratelimit"
)

// testRedis returns a client of the Redis at RESTWELL_REDIS_ADDR (default
// 127.0.0.1:6379) and a key prefix no other test uses; the keys under it
// are deleted at the end. Without a server the test is skipped, unless
// RESTWELL_REQUIRE_REDIS=1, when it fails. Other test runs share this
// Redis: never FLUSHDB.
func testRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	addr := testenv.RedisAddr()
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	testenv.PingRedis(t, func(ctx context.Context) error { return c.Ping(ctx).Err() })
	b := make([]byte, 8)
	rand.Read(b)
	prefix := "restwell-test:shop:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return c, prefix
}

// replicas starts two shops sharing one SQLite file and one Redis, as two
// replicas of one service behind a load balancer would.
func replicas(t *testing.T, mod func(*Config)) (a, b *testShop) {
	t.Helper()
	rdb, prefix := testRedis(t)
	cfg := testConfig(t)
	cfg.DB = filepath.Join(t.TempDir(), "shared.db")
	cfg.Redis = rdb
	cfg.RedisPrefix = prefix
	if mod != nil {
		mod(&cfg)
	}
	return startShop(t, cfg), startShop(t, cfg)
}

func TestReplicasShareTheRateLimit(t *testing.T) {
	a, b := replicas(t, func(c *Config) {
		c.Rate = ratelimit.Policy{Name: "default", Limit: 6, Window: time.Hour} // no refill during the test
	})
	for i := range 6 {
		s := []*testShop{a, b}[i%2]
		r := s.do("GET", "/api/v2/items", "")
		wantStatus(t, "request", r, 200)
		if got, want := r.header.Get("RateLimit"), `"default";r=`+string(rune('0'+5-i))+`;t=`; len(got) < len(want) || got[:len(want)] != want {
			t.Errorf("request %d: RateLimit %q, want %s...", i, got, want)
		}
	}
	wantError(t, "7th on a", a.do("GET", "/api/v2/items", ""), 429, "rate_limited")
	wantError(t, "7th on b", b.do("GET", "/api/v2/items", ""), 429, "rate_limited")
}

func TestReplicasReplayOrders(t *testing.T) {
	a, b := replicas(t, nil)
	item, _ := a.createItem("mug", 1200, "USD")
	body := `{"item_id":` + idOf(t, item) + `,"quantity":3}`

	first := a.do("POST", "/api/v2/orders", body, "Idempotency-Key", "replica-1")
	wantStatus(t, "on a", first, 201)
	retry := b.do("POST", "/api/v2/orders", body, "Idempotency-Key", "replica-1")
	wantStatus(t, "retry on b", retry, 201)
	if retry.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(retry.body, first.body) {
		t.Errorf("retry on b: %q %s, first %s", retry.header.Get("Idempotent-Replayed"), retry.body, first.body)
	}
	wantError(t, "other body on b", b.do("POST", "/api/v2/orders", `{"item_id":`+idOf(t, item)+`,"quantity":4}`, "Idempotency-Key", "replica-1"),
		422, "idempotency_key_reused")
	if n := a.count("orders"); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
	// Each replica reads what the other wrote, and a cursor from one
	// works on the other.
	wantStatus(t, "b reads the order", b.do("GET", "/api/v2/orders/"+idOf(t, first.json(t)), ""), 200)
	b.createItem("plate", 1, "JPY")
	p := a.do("GET", "/api/v2/items?limit=1", "")
	var pg struct {
		Links struct{ Next string } `json:"links"`
	}
	json.Unmarshal(p.body, &pg)
	wantStatus(t, "a's cursor on b", b.do("GET", pg.Links.Next, ""), 200)
}

// TestReplicasMakeOneOrder sends 20 identical order requests at once,
// spread over both replicas: exactly one order is made, and every
// request gets it, replayed, or is told the first is in progress.
func TestReplicasMakeOneOrder(t *testing.T) {
	a, b := replicas(t, nil)
	item, _ := a.createItem("mug", 1200, "USD")
	body := `{"item_id":` + idOf(t, item) + `,"quantity":1}`

	// The order that runs holds its transaction a moment, so that the
	// others arrive while it is in flight.
	slow := func(*http.Request) { time.Sleep(100 * time.Millisecond) }
	a.srv.hooks.beforeOrderCommit, b.srv.hooks.beforeOrderCommit = slow, slow

	const n = 20
	start := make(chan struct{})
	var wg sync.WaitGroup
	results := make([]*response, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = []*testShop{a, b}[i%2].do("POST", "/api/v2/orders", body, "Idempotency-Key", "stampede-1")
		}()
	}
	close(start)
	wg.Wait()
	var created []byte
	counts := map[int]int{}
	for _, r := range results {
		counts[r.status]++
		switch r.status {
		case http.StatusCreated:
			if created == nil {
				created = r.body
			} else if !bytes.Equal(created, r.body) {
				t.Errorf("two different orders: %s and %s", created, r.body)
			}
		case http.StatusConflict:
			if code := r.errorCode(t); code != "idempotency_in_progress" {
				t.Errorf("409 with code %q", code)
			}
		default:
			t.Errorf("status %d: %s", r.status, r.body)
		}
	}
	if counts[http.StatusCreated] < 1 {
		t.Errorf("no request got the order: %v", counts)
	}
	if got := a.count("orders"); got != 1 {
		t.Fatalf("%d orders, want exactly 1 (statuses %v)", got, counts)
	}
	t.Logf("statuses: %v", counts)
}

// countHook counts the round trips a Redis client makes.
type countHook struct{ n atomic.Int64 }

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}
func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

// TestRedisRoundTrips counts what a request costs in Redis: one round trip
// for the rate limit of any request; an order adds the orders limit and
// the idempotency record (taken, then completed; a replay only reads it).
func TestRedisRoundTrips(t *testing.T) {
	rdb, prefix := testRedis(t)
	cfg := testConfig(t)
	cfg.Redis, cfg.RedisPrefix = rdb, prefix
	s := startShop(t, cfg)
	hook := &countHook{}
	rdb.AddHook(hook)
	item, _ := s.createItem("mug", 1, "USD")
	body := `{"item_id":` + idOf(t, item) + `,"quantity":1}`
	// Warm up: the scripts are loaded on first use.
	s.do("GET", "/api/v2/items/"+idOf(t, item), "")
	s.do("POST", "/api/v2/orders", body, "Idempotency-Key", "warm-up")
	s.do("POST", "/api/v2/orders", body, "Idempotency-Key", "warm-up")

	for _, tt := range []struct {
		name, method, path, body, key string
		want                          int64
	}{
		{"GET item", "GET", "/api/v2/items/" + idOf(t, item), "", "", 1},
		{"GET items", "GET", "/api/v2/items", "", "", 1},
		{"unknown route", "GET", "/nope", "", "", 1},
		{"first order", "POST", "/api/v2/orders", body, "rt-1", 4},
		{"replayed order", "POST", "/api/v2/orders", body, "rt-1", 3},
	} {
		hook.n.Store(0)
		hdr := []string{}
		if tt.key != "" {
			hdr = append(hdr, "Idempotency-Key", tt.key)
		}
		s.do(tt.method, tt.path, tt.body, hdr...)
		if got := hook.n.Load(); got != tt.want {
			t.Errorf("%s: %d Redis round trips, want %d", tt.name, got, tt.want)
		}
	}
}
