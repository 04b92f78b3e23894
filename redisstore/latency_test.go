package redisstore

import (
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/restwell/restwell/ratelimit"
)

// latencyProxy forwards loopback TCP connections to a Redis server and
// holds back the server's replies: every reply while slow is set, and
// every nth reply otherwise (n > 0).
type latencyProxy struct {
	ln     net.Listener
	target string
	delay  time.Duration
	slow   atomic.Bool
	every  atomic.Int64
	chunks atomic.Int64
	held   atomic.Int64 // replies held back

	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func startProxy(t testing.TB, target string, delay time.Duration) *latencyProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &latencyProxy{ln: ln, target: target, delay: delay}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *latencyProxy) Addr() string { return p.ln.Addr().String() }

func (p *latencyProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			io.Copy(s, c)
			s.Close()
		}()
		go func() {
			defer p.wg.Done()
			buf := make([]byte, 32<<10)
			for {
				n, err := s.Read(buf)
				if n > 0 {
					i := p.chunks.Add(1)
					if e := p.every.Load(); p.slow.Load() || e > 0 && i%e == 0 {
						p.held.Add(1)
						time.Sleep(p.delay)
					}
					if _, err := c.Write(buf[:n]); err != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			c.Close()
		}()
	}
}

func (p *latencyProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// TestRateLimitSlowRedis drives two Limiters (two replicas, FailLocal,
// Replicas 2) over one Redis of the test's own whose replies a proxy
// slows beyond the store timeout: first one reply in five, then all of
// them, then none. Occasional slow replies do not switch a replica to
// its fallback, and the two together admit no more than the documented
// bound, Burst + Limit*d/Window, over the whole run: each fallback has
// already spent what its replica admitted through Redis.
func TestRateLimitSlowRedis(t *testing.T) {
	srv := startRedis(t)
	proxy := startProxy(t, srv.Addr, 150*time.Millisecond)
	policy := ratelimit.Policy{Name: "m", Limit: 60, Window: time.Minute}
	prefix := testPrefix(t)
	var lims []*ratelimit.Limiter
	for i := 0; i < 2; i++ {
		c := redis.NewClient(&redis.Options{Addr: proxy.Addr(), ContextTimeoutEnabled: true, MaxRetries: -1})
		t.Cleanup(func() { c.Close() })
		s, err := NewRateLimitStore(c, RateLimitConfig{Prefix: prefix, Timeout: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		l, err := ratelimit.New(ratelimit.Config{
			Policies:     []ratelimit.Policy{policy},
			Store:        s,
			StoreFailure: ratelimit.FailLocal,
			Replicas:     2,
			StoreRetry:   200 * time.Millisecond,
			Logger:       rateLimitErrors.Logger,
		})
		if err != nil {
			t.Fatal(err)
		}
		lims = append(lims, l)
	}
	ctx := context.Background()
	var shared, local, failed int
	start := time.Now()
	run := func(n int) {
		for i := 0; i < n; i++ {
			d, err := lims[i%2].Allow(ctx, "client")
			if err != nil {
				t.Fatal(err)
			}
			if d.StoreFailed {
				failed++
			}
			switch {
			case d.Allowed && d.StoreFailed:
				local++
			case d.Allowed:
				shared++
			}
		}
	}
	run(2) // connections up, scripts loaded

	// One reply in five held back: those requests are decided locally,
	// the others still by Redis.
	proxy.every.Store(5)
	run(100)
	proxy.every.Store(0)
	sporadic := failed
	if held := int(proxy.held.Load()); sporadic > held+2 {
		t.Errorf("one reply in five slow: %d decisions made locally for %d slow replies; a replica switched to its fallback", sporadic, held)
	}
	if sporadic == 0 {
		t.Error("no reply was slow enough to time out; the test proves nothing")
	}

	// Every reply held back: both replicas decide alone.
	proxy.slow.Store(true)
	run(60)
	proxy.slow.Store(false)
	run(40)
	elapsed := time.Since(start)

	bound := policy.MaxBurst() + int64(float64(policy.Limit)*elapsed.Seconds()/policy.Window.Seconds()) + 1
	total := int64(shared + local)
	t.Logf("one reply in five slow: %d of 100 decisions local", sporadic)
	t.Logf("%.1fs: %d admitted by Redis, %d by the fallbacks (%d local decisions, %d replies held); bound %d", elapsed.Seconds(), shared, local, failed, proxy.held.Load(), bound)
	if total > bound {
		t.Errorf("two replicas admitted %d (%d shared + %d local), more than the bound %d", total, shared, local, bound)
	}
	if failed <= sporadic {
		t.Errorf("no decision was made locally while every reply was slow")
	}
}
