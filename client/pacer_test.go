package client

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// baseFunc is an in-memory base transport.
type baseFunc func(*http.Request) (*http.Response, error)

func (f baseFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func answer(r *http.Request, status int, hdr ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Set(hdr[i], hdr[i+1])
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader("ok")), ContentLength: 2, Request: r}
}

func (t *Transport) nPacers() int {
	t.pacers.mu.RLock()
	defer t.pacers.mu.RUnlock()
	return len(t.pacers.m)
}

func get(t *testing.T, rt http.RoundTripper, url string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Error(err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// TestPacerOriginsStayBounded has many goroutines call many origins, each
// answering with rate limit fields: the pacing state never holds more
// origins than MaxOrigins.
func TestPacerOriginsStayBounded(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
	}{
		{"learned from answers", Config{MaxOrigins: 4}},
		{"with a caller's limit", Config{MaxOrigins: 4, Limit: rate.Inf}},
		{"default bound", Config{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Logger = fastConfig().Logger
			cfg.Base = baseFunc(func(r *http.Request) (*http.Response, error) {
				return answer(r, 200, "RateLimit-Policy", `"default";q=1000000;w=1`, "RateLimit", `"default";r=999999;t=1`), nil
			})
			tr, _ := NewTransport(cfg)
			bound := cfg.MaxOrigins
			if bound == 0 {
				bound = DefaultMaxOrigins
			}
			origins := 4*bound + 3
			var most atomic.Int64
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Go(func() {
					for i := range 200 {
						get(t, tr, "http://o"+strconv.Itoa((g*200+i*7)%origins)+".example/x")
						if n := int64(tr.nPacers()); n > most.Load() {
							most.Store(n)
						}
					}
				})
			}
			wg.Wait()
			if n := most.Load(); n > int64(bound) || n == 0 {
				t.Errorf("pacing state for up to %d origins, want between 1 and MaxOrigins %d", n, bound)
			}
		})
	}
}

// TestPacerConcurrentLimit has 8 goroutines send as fast as they can to 3
// origins under Config.Limit: no origin receives more than its burst and
// the rate allow over the time the test ran, and the pacing waits are
// reported.
func TestPacerConcurrentLimit(t *testing.T) {
	const limit, burst = 200, 4
	var mu sync.Mutex
	sent := map[string]int{}
	var paced atomic.Int64
	cfg := fastConfig()
	cfg.Limit, cfg.Burst = limit, burst
	cfg.OnRetry = func(r Retry) {
		if r.Reason == ReasonPacing && r.Wait > 0 {
			paced.Add(1)
		}
	}
	cfg.Base = baseFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		sent[r.URL.Host]++
		mu.Unlock()
		return answer(r, 200), nil
	})
	tr, _ := NewTransport(cfg)
	start := time.Now()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for time.Since(start) < 250*time.Millisecond {
				get(t, tr, "http://"+[]string{"a", "b", "c"}[rand.IntN(3)]+".example/")
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	allowed := burst + int(limit*elapsed.Seconds())
	for _, host := range []string{"a.example", "b.example", "c.example"} {
		if n := sent[host]; n > allowed || n == 0 {
			t.Errorf("%s received %d requests in %s, want between 1 and %d", host, n, elapsed, allowed)
		}
	}
	if paced.Load() == 0 {
		t.Error("no pacing wait reported")
	}
}

// TestPacerHoldsSpentQuota spends the quota of two origins (r=0, t=1):
// concurrent requests to them wait until the announced time, those to a
// third origin do not wait at all.
func TestPacerHoldsSpentQuota(t *testing.T) {
	var mu sync.Mutex
	type send struct {
		host string
		at   time.Time
	}
	var sends []send
	primed := map[string]time.Time{}
	cfg := fastConfig()
	var pacedMu sync.Mutex
	paced := map[string]int{}
	cfg.OnRetry = func(r Retry) {
		pacedMu.Lock()
		paced[r.Request.URL.Host]++
		pacedMu.Unlock()
	}
	cfg.Base = baseFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/prime" {
			primed[r.URL.Host] = time.Now()
			return answer(r, 200, "RateLimit-Policy", `"default";q=20;w=1`, "RateLimit", `"default";r=0;t=1`), nil
		}
		sends = append(sends, send{r.URL.Host, time.Now()})
		return answer(r, 200), nil
	})
	tr, _ := NewTransport(cfg)
	get(t, tr, "http://a.example/prime")
	get(t, tr, "http://b.example/prime")
	var wg sync.WaitGroup
	for range 8 {
		for _, h := range []string{"a", "b", "c"} {
			wg.Go(func() { get(t, tr, "http://"+h+".example/x") })
		}
	}
	wg.Wait()
	counts := map[string]int{}
	for _, s := range sends {
		counts[s.host]++
		if p, ok := primed[s.host]; ok && s.at.Before(p.Add(time.Second)) {
			t.Errorf("%s: a request went %s after the quota was spent, before the 1s announced", s.host, s.at.Sub(p))
		}
	}
	for _, h := range []string{"a.example", "b.example", "c.example"} {
		if counts[h] != 8 {
			t.Errorf("%s received %d requests, want 8", h, counts[h])
		}
	}
	if paced["a.example"] == 0 || paced["b.example"] == 0 || paced["c.example"] != 0 {
		t.Errorf("pacing waits per origin %v, want some for a and b, none for c", paced)
	}
}

// TestPaceAllocs: deciding that a request may go at once allocates
// nothing, with and without pacing state.
func TestPaceAllocs(t *testing.T) {
	for _, tt := range []struct {
		name    string
		cfg     Config
		learned bool
	}{
		{"no state", Config{}, false},
		{"caller's limit", Config{Limit: 1e12, Burst: 1 << 30}, false},
		{"learned policy", Config{}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tr, _ := NewTransport(tt.cfg)
			k := pacerKey{"http", "api.example.com", "GET"}
			req, _ := http.NewRequest("GET", "http://api.example.com/", nil)
			if tt.learned {
				tr.observe(k, answer(req, 200, "RateLimit-Policy", `"default";q=1000000000;w=1`, "RateLimit", `"default";r=999999999;t=1`), time.Now())
				if tr.get(k) == nil {
					t.Fatal("no pacing state learned")
				}
			}
			ctx := context.Background()
			allocs := testing.AllocsPerRun(1000, func() {
				if err := tr.pace(ctx, k, req, 1); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%.1f allocations per pacing check, want 0", allocs)
			}
		})
	}
}
