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
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/restwell/restwell/client"
)

// Run the long form, 3,000 orders in each run (about four minutes in all,
// three of them in the paced run), from the repository root with
//
//	go test -race -run TestClientExactlyOnce ./examples/shop -long -timeout 30m
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
// complete 201 body per Idempotency-Key, and every attempt's origin, key,
// times and status, as the client's requests leave and its answers come
// back.
type recorder struct {
	base     http.RoundTripper
	mu       sync.Mutex
	bodies   map[string][][]byte
	attempts []attempt
}

// attempt is one request the client sent: when it left, when its answer's
// header arrived (or the attempt failed), the status (0 without an
// answer) and the wait a refusal announced.
type attempt struct {
	host, key string
	sent, got time.Time
	status    int
	announced time.Duration
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	a := attempt{host: req.URL.Host, key: req.Header.Get("Idempotency-Key"), sent: time.Now()}
	resp, err := r.base.RoundTrip(req)
	a.got = time.Now()
	if resp != nil {
		a.status = resp.StatusCode
		a.announced = announced(resp.Header, a.got)
	}
	r.mu.Lock()
	r.attempts = append(r.attempts, a)
	r.mu.Unlock()
	if err != nil || resp.StatusCode != http.StatusCreated {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.bodies[a.key] = append(r.bodies[a.key], b)
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// announced is the wait an answer asks for: the larger of Retry-After
// and the t of each quota its RateLimit field reports spent.
func announced(h http.Header, now time.Time) time.Duration {
	var w time.Duration
	if v := h.Get("Retry-After"); v != "" {
		w, _ = client.ParseRetryAfter(v, now)
	}
	for _, q := range client.ParseRateLimit(h["Ratelimit"]) {
		if q.Remaining == 0 {
			w = max(w, q.Reset)
		}
	}
	return w
}

// inFlight is how long after a refusal arrived a request to the same
// origin may still leave without knowing of it: the client checks its
// pacing state before the attempt and learns of the refusal after it,
// and a goroutine between the two may be descheduled for a while on a
// loaded machine. It is small against the 1s the shortest Retry-After
// announces.
const inFlight = 250 * time.Millisecond

// pacingReport is what checkPacing found in the attempts.
type pacingReport struct {
	refusals   int // 429 answers
	inFlight   int // of which sent before the client knew of an earlier wait
	violations []string
}

// checkPacing checks that no request is refused more than once per wait
// the server announced: a logical order refused is not sent again before
// the wait its refusal announced has passed, and no request to the same
// origin that left during a wait announced there (after the refusal had
// arrived, plus inFlight) is refused.
func checkPacing(attempts []attempt) pacingReport {
	var rep pacingReport
	byKey := map[string][]attempt{}
	byHost := map[string][]attempt{}
	for _, a := range attempts {
		byKey[a.key] = append(byKey[a.key], a)
		if a.status == http.StatusTooManyRequests {
			byHost[a.host] = append(byHost[a.host], a)
		}
	}
	for key, as := range byKey {
		sort.Slice(as, func(i, j int) bool { return as[i].sent.Before(as[j].sent) })
		for i := 1; i < len(as); i++ {
			prev := as[i-1]
			if prev.status == http.StatusTooManyRequests && as[i].sent.Before(prev.got.Add(prev.announced)) {
				rep.violations = append(rep.violations, fmt.Sprintf("key %s: sent again %s after a refusal that announced %s",
					key, as[i].sent.Sub(prev.got), prev.announced))
			}
		}
	}
	for host, refused := range byHost {
		rep.refusals += len(refused)
		sort.Slice(refused, func(i, j int) bool { return refused[i].sent.Before(refused[j].sent) })
		for i, a := range refused {
			late := false
			for _, w := range refused[:i] {
				switch {
				case a.sent.Before(w.got):
					// sent before the earlier refusal arrived
				case a.sent.Before(w.got.Add(inFlight)):
					late = true
				case a.sent.Before(w.got.Add(w.announced)):
					rep.violations = append(rep.violations, fmt.Sprintf("%s: a request sent %s into a wait of %s was refused",
						host, a.sent.Sub(w.got), w.announced))
				}
			}
			if late {
				rep.inFlight++
			}
		}
	}
	return rep
}

// TestClientExactlyOnce places orders through client, over two replicas
// behind fault-injecting proxies: every order is made exactly once. The
// first run injects network faults, the second also panics in 5% of the
// order handlers before the commit, and the third holds orders to a rate
// low enough that the client must pace itself by what the shop announces.
func TestClientExactlyOnce(t *testing.T) {
	orders := 300
	if *long {
		orders = 3000
	}
	for _, tt := range []struct {
		name   string
		panics bool
		// orderRate, when set, is the shop's -order-rate; the test's
		// default is too high to be reached.
		orderRate string
	}{
		{name: "faults"},
		{name: "faults and panics", panics: true},
		{name: "faults and a low order rate", orderRate: "25/s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rdb := startRedis(t)
			cfg := testConfig(t)
			cfg.DB = filepath.Join(t.TempDir(), "shared.db")
			cfg.Redis, cfg.RedisPrefix = rdb, "e2e:"
			cfg.Logger = discardLogger()
			if tt.orderRate != "" {
				var err error
				if cfg.OrderRate, err = parseRate("orders", tt.orderRate); err != nil {
					t.Fatal(err)
				}
			}
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
			var retries, waits, paced atomic.Int64
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
					if r.Reason == client.ReasonPacing {
						paced.Add(1)
					} else {
						retries.Add(1)
					}
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
			t.Logf("%d orders: faults injected: %d dropped, %d delayed, %d reset, %d panics; %d retries, %d pacing waits, %d announced waits, %s waited in all",
				orders, drops, delays, resets, panics.Load(), retries.Load(), paced.Load(), waits.Load(), time.Duration(waited.Load()).Round(time.Millisecond))
			if drops+resets == 0 {
				t.Error("no fault was injected")
			}

			if tt.orderRate != "" {
				rep := checkPacing(rec.attempts)
				t.Logf("order rate %s: %d of %d attempts refused with 429 (%d sent within %s of an earlier refusal's arrival)",
					tt.orderRate, rep.refusals, len(rec.attempts), rep.inFlight, inFlight)
				for _, v := range rep.violations {
					t.Errorf("refused more than once per announced wait: %s", v)
				}
				if paced.Load() == 0 {
					t.Error("the client never paced itself: the order rate is not low enough to prove anything")
				}
				return
			}

			// No key stuck: every logical order's key, sent again straight
			// to a replica, is answered with the replay of its 201.
			for i, r := range results {
				if r.status != http.StatusCreated {
					continue
				}
				shop := []*testShop{a, b}[i%2]
				req := mustOrderRequest(context.Background(), clients[0], itemID)
				req.URL.Host = shop.ts.Listener.Addr().String()
				for k, v := range e2eCaller(a) {
					req.Header[k] = v
				}
				req.Header.Set("Idempotency-Key", r.key)
				resp, err := shop.client.Do(req)
				if err != nil {
					t.Errorf("order %d: re-sending key %s: %v", i, r.key, err)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated || resp.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(body, rec.bodies[r.key][0]) {
					t.Errorf("order %d: key %s sent again: %d, Idempotent-Replayed %q, body %s; want the replayed 201 %s",
						i, r.key, resp.StatusCode, resp.Header.Get("Idempotent-Replayed"), body, rec.bodies[r.key][0])
				}
			}
			if got := a.count("orders"); got != orders {
				t.Errorf("%d orders in the database after sending every key again, want %d", got, orders)
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

// TestCheckPacing shows that checkPacing finds what it looks for.
func TestCheckPacing(t *testing.T) {
	t0 := time.Now()
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	refused := func(host, key string, sent, got int) attempt {
		return attempt{host: host, key: key, sent: at(sent), got: at(got), status: 429, announced: time.Second}
	}
	ok := func(host, key string, sent, got int) attempt {
		return attempt{host: host, key: key, sent: at(sent), got: at(got), status: 201}
	}
	for _, tt := range []struct {
		name                             string
		attempts                         []attempt
		wantRefusals, wantInFlight, want int
	}{
		{"retried after the wait", []attempt{refused("a", "k1", 0, 10), ok("a", "k1", 1010, 1020)}, 1, 0, 0},
		{"retried during the wait", []attempt{refused("a", "k1", 0, 10), ok("a", "k1", 500, 510)}, 1, 0, 1},
		{"in flight when the first arrived", []attempt{refused("a", "k1", 0, 10), refused("a", "k2", 5, 15)}, 2, 0, 0},
		{"just after the first arrived", []attempt{refused("a", "k1", 0, 10), refused("a", "k2", 50, 60)}, 2, 1, 0},
		{"sent into the wait", []attempt{refused("a", "k1", 0, 10), refused("a", "k2", 500, 510)}, 2, 0, 1},
		{"sent after the wait", []attempt{refused("a", "k1", 0, 10), refused("a", "k2", 1010, 1020)}, 2, 0, 0},
		{"another origin's wait", []attempt{refused("a", "k1", 0, 10), refused("b", "k2", 500, 510)}, 2, 0, 0},
	} {
		rep := checkPacing(tt.attempts)
		if rep.refusals != tt.wantRefusals || rep.inFlight != tt.wantInFlight || len(rep.violations) != tt.want {
			t.Errorf("%s: %d refusals, %d in flight, violations %q; want %d, %d, %d",
				tt.name, rep.refusals, rep.inFlight, rep.violations, tt.wantRefusals, tt.wantInFlight, tt.want)
		}
	}
}
