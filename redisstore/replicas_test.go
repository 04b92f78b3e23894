package redisstore

import (
	"context"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/restwell/restwell/ratelimit"
)

// TestHeartbeat: a store announces itself at most once per Heartbeat,
// besides its decisions, and counts itself.
func TestHeartbeat(t *testing.T) {
	srv := startRedis(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer c.Close()
	hook := &scriptHook{sha: heartbeatScript.Hash()}
	c.AddHook(hook)
	const beat = 100 * time.Millisecond
	s, err := NewRateLimitStore(c, RateLimitConfig{Prefix: testPrefix(t), Timeout: 2 * time.Second, Heartbeat: beat})
	if err != nil {
		t.Fatal(err)
	}
	if s.Replicas() != 0 {
		t.Errorf("Replicas before any decision = %d, want 0", s.Replicas())
	}
	policies := []ratelimit.Policy{{Name: "p", Limit: 1_000_000, Window: time.Hour}}
	res := make([]ratelimit.Result, 1)
	start := time.Now()
	const n = 300
	for i := 0; i < n; i++ {
		if _, err := s.Take(context.Background(), "k"+strconv.Itoa(i%10), policies, 1, res); err != nil {
			t.Fatal(err)
		}
		if i%30 == 0 {
			time.Sleep(beat / 10)
		}
	}
	elapsed := time.Since(start)
	waitFor(t, func() bool { return s.Replicas() == 1 }, "Replicas() == 1")
	beats := hook.n.Load()
	most := 1 + int64(elapsed/beat)
	if beats < 1 || beats > most {
		t.Errorf("%d decisions in %v sent %d heartbeats, want 1 to %d (one per %v at most)", n, elapsed.Round(time.Millisecond), beats, most, beat)
	}
	t.Logf("%d decisions in %v: %d heartbeats", n, elapsed.Round(time.Millisecond), beats)

	off, err := NewRateLimitStore(c, RateLimitConfig{Prefix: testPrefix(t), Heartbeat: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = off.Take(context.Background(), "k", policies, 1, res)
	time.Sleep(50 * time.Millisecond)
	if off.Replicas() != 0 {
		t.Errorf("heartbeats off: Replicas = %d, want 0", off.Replicas())
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLearnedReplicas: three replicas over one Redis count each other
// from their heartbeats; when Redis goes down, each one's fallback
// enforces a third of the quota, so together they admit the quota, not
// three times it.
func TestLearnedReplicas(t *testing.T) {
	srv := startRedis(t)
	prefix := testPrefix(t)
	const replicas, limit = 3, 30
	var stores []*RateLimitStore
	var limiters []*ratelimit.Limiter
	for i := 0; i < replicas; i++ {
		c := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1})
		t.Cleanup(func() { c.Close() })
		s, err := NewRateLimitStore(c, RateLimitConfig{Prefix: prefix, Timeout: 2 * time.Second, Heartbeat: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		l, err := ratelimit.New(ratelimit.Config{
			Policies:     []ratelimit.Policy{{Name: "hourly", Limit: limit, Window: time.Hour}},
			Store:        s,
			StoreFailure: ratelimit.FailLocal,
			Logger:       slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		stores, limiters = append(stores, s), append(limiters, l)
	}
	ctx := context.Background()
	waitFor(t, func() bool {
		all := true
		for i, l := range limiters {
			if _, err := l.Allow(ctx, "warm-up"); err != nil {
				t.Fatal(err)
			}
			all = all && stores[i].Replicas() == replicas
		}
		return all
	}, "every store to count 3 replicas")

	srv.Stop()
	admitted := 0
	for i := 0; i < 3*limit; i++ {
		d, err := limiters[i%replicas].Allow(ctx, "client")
		if err != nil {
			t.Fatal(err)
		}
		if !d.StoreFailed {
			t.Fatalf("request %d decided by a stopped Redis", i)
		}
		if d.Allowed {
			admitted++
		}
	}
	if admitted != limit {
		t.Errorf("three replicas on their fallbacks admitted %d of %d requests, want %d (a third of the quota each)", admitted, 3*limit, limit)
	}
	for i, s := range stores {
		if s.Replicas() != replicas {
			t.Errorf("store %d: Replicas = %d during the outage, want the last count, %d", i, s.Replicas(), replicas)
		}
	}
}

// scriptHook counts the EVALSHA commands of one script.
type scriptHook struct {
	sha string
	n   atomic.Int64
}

func (h *scriptHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *scriptHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if a := cmd.Args(); cmd.Name() == "evalsha" && len(a) > 1 && a[1] == h.sha {
			h.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (h *scriptHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
