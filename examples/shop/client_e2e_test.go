package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/restwell/restwell/client"
)

// Run the long form, 3,000 orders, with
//
//	go test -race -run TestClientExactlyOnce ./examples/shop -long
var long = flag.Bool("long", false, "place 3,000 orders instead of 300 in TestClientExactlyOnce")

// e2eCaller is who the end-to-end test calls as: a real API key of
// account e2e, made in s's database (which the replicas share).
func e2eCaller(s *testShop) http.Header { return http.Header{"Authorization": {s.bearer("e2e")}} }

// startRedis starts a redis-server of the test's own on a free loopback
// port and stops it, by pid, when the test ends.
func startRedis(t *testing.T) *redis.Client {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("no redis-server on PATH")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(path, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	for i := 0; ; i++ {
		if rdb.Ping(context.Background()).Err() == nil {
			return rdb
		}
		if i == 100 {
			t.Fatal("the test's redis-server does not answer")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// faultProxy forwards loopback TCP connections to target, and spoils a
// share of them: drop (the request reaches the shop, the connection is
// closed before any of the response), delay (the response waits), reset
// (the connection is reset part way through the response).
type faultProxy struct {
	l                     net.Listener
	target                string
	n                     atomic.Int64
	drops, delays, resets atomic.Int64
}

func startProxy(t *testing.T, target string) *faultProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{l: l, target: target}
	go p.serve()
	t.Cleanup(func() { l.Close() })
	return p
}

func (p *faultProxy) url() string { return "http://" + p.l.Addr().String() }

func (p *faultProxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		go p.handle(c, p.n.Add(1))
	}
}

func (p *faultProxy) handle(c net.Conn, n int64) {
	defer c.Close()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	go io.Copy(s, c)
	buf := make([]byte, 32<<10)
	first := true
	for {
		m, err := s.Read(buf)
		if m > 0 {
			if first {
				first = false
				switch n % 10 {
				case 3, 7: // the request was served; its answer never arrives
					p.drops.Add(1)
					return
				case 5:
					p.delays.Add(1)
					time.Sleep(time.Duration(20+rand.IntN(80)) * time.Millisecond)
				case 9:
					p.resets.Add(1)
					c.Write(buf[:m/2])
					if tc, ok := c.(*net.TCPConn); ok {
						tc.SetLinger(0)
					}
					return
				}
			}
			if _, err := c.Write(buf[:m]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// recorder is the base transport under the client: it keeps every
// complete 201 body per Idempotency-Key.
type recorder struct {
	base   http.RoundTripper
	mu     sync.Mutex
	bodies map[string][][]byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	k := req.Header.Get("Idempotency-Key")
	r.bodies[k] = append(r.bodies[k], b)
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// TestClientExactlyOnce places orders through client, over two replicas
// behind fault-injecting proxies: every order is made exactly once.
func TestClientExactlyOnce(t *testing.T) {
	orders := 300
	if *long {
		orders = 3000
	}
	for _, tt := range []struct {
		name   string
		panics bool
	}{
		{"faults", false},
		{"faults and panics", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rdb := startRedis(t)
			cfg := testConfig(t)
			cfg.DB = filepath.Join(t.TempDir(), "shared.db")
			cfg.Redis, cfg.RedisPrefix = rdb, "e2e:"
			cfg.Logger = discardLogger()
			a, b := startShop(t, cfg), startShop(t, cfg)
			var panics atomic.Int64
			if tt.panics {
				hook := func(*http.Request) {
					if rand.IntN(20) == 0 {
						panics.Add(1)
						panic("injected before the commit")
					}
				}
				a.srv.hooks.beforeOrderCommit, b.srv.hooks.beforeOrderCommit = hook, hook
			}
			item, _ := a.createItem("mug", 1200, "USD")
			itemID, _ := strconv.ParseInt(idOf(t, item), 10, 64)
			proxies := []*faultProxy{startProxy(t, a.ts.Listener.Addr().String()), startProxy(t, b.ts.Listener.Addr().String())}

			// One connection per request, so that every request may meet a fault.
			rec := &recorder{base: &http.Transport{DisableKeepAlives: true}, bodies: map[string][][]byte{}}
			var retries, waits atomic.Int64
			var waited atomic.Int64
			ccfg := client.Config{
				Base:            rec,
				IdempotencyKeys: true,
				MaxAttempts:     20,
				MinBackoff:      5 * time.Millisecond,
				MaxBackoff:      100 * time.Millisecond,
				AttemptTimeout:  10 * time.Second,
				Header:          e2eCaller(a),
				Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
				OnRetry: func(r client.Retry) {
					retries.Add(1)
					if r.Announced > 0 {
						waits.Add(1)
					}
					waited.Add(int64(r.Wait))
				},
			}
			if tt.panics {
				ccfg.RetryStatuses = []int{http.StatusInternalServerError} // the shop rolls a failed order back
			}
			clients := make([]*client.Client, 2)
			for i, p := range proxies {
				c, err := client.New(p.url(), ccfg)
				if err != nil {
					t.Fatal(err)
				}
				clients[i] = c
			}

			type result struct {
				status int
				key    string
				body   []byte
				err    error
			}
			results := make([]result, orders)
			next := atomic.Int64{}
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1)) - 1
						if i >= orders {
							return
						}
						ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
						resp, err := clients[i%2].HTTPClient().Do(mustOrderRequest(ctx, clients[i%2], itemID))
						cancel()
						if err != nil {
							results[i] = result{err: err}
							continue
						}
						body, err := io.ReadAll(resp.Body)
						resp.Body.Close()
						results[i] = result{status: resp.StatusCode, key: resp.Request.Header.Get("Idempotency-Key"), body: body, err: err}
					}
				}()
			}
			wg.Wait()

			if got := a.count("orders"); got != orders {
				t.Errorf("%d orders in the database, want exactly %d", got, orders)
			}
			keys := map[string]bool{}
			for i, r := range results {
				if r.err != nil || r.status != http.StatusCreated {
					t.Errorf("order %d: status %d, error %v; want a final 201", i, r.status, r.err)
					continue
				}
				if keys[r.key] {
					t.Errorf("order %d: key %s used by two logical orders", i, r.key)
				}
				keys[r.key] = true
				seen := rec.bodies[r.key]
				for j, b := range seen {
					if !bytes.Equal(b, seen[0]) {
						t.Errorf("order %d: answer %d %s differs from the first %s", i, j, b, seen[0])
					}
				}
				if !bytes.Equal(r.body, seen[0]) {
					t.Errorf("order %d: final body %s, first answer %s", i, r.body, seen[0])
				}
			}
			var drops, delays, resets int64
			for _, p := range proxies {
				drops, delays, resets = drops+p.drops.Load(), delays+p.delays.Load(), resets+p.resets.Load()
			}
			t.Logf("%d orders: faults injected: %d dropped, %d delayed, %d reset, %d panics; %d retries, %d announced waits, %s waited in all",
				orders, drops, delays, resets, panics.Load(), retries.Load(), waits.Load(), time.Duration(waited.Load()).Round(time.Millisecond))
			if drops+resets == 0 {
				t.Error("no fault was injected")
			}
		})
	}
}

func mustOrderRequest(ctx context.Context, c *client.Client, itemID int64) *http.Request {
	u, _ := c.URL("/api/v2/orders")
	body := []byte(fmt.Sprintf(`{"item_id":%d,"quantity":1}`, itemID))
	req, _ := http.NewRequestWithContext(ctx, "POST", u.String(), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}
