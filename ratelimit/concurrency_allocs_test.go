package ratelimit

import (
	"net/http"
	"testing"
	"time"
)

var concurrencyBench = []Policy{
	{Name: "default", Limit: 1_000_000_000, Window: time.Hour},
	{Name: "inflight", Limit: 100, Window: time.Minute, Unit: UnitConcurrentRequests},
}

// TestConcurrencyAllocs bounds what an admitted request through a
// Limiter with a concurrency policy allocates with the memory store: the
// two of any admitted request, and the context its release runs in
// (the request's, without its cancellation); the slot itself allocates
// nothing once the key has been seen.
func TestConcurrencyAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts differ under -race and -cover")
	}
	l, err := New(Config{Policies: concurrencyBench})
	if err != nil {
		t.Fatal(err)
	}
	h := l.Handler(okHandler)
	r := benchRequest()
	r.RemoteAddr = "192.0.2.7:1234"
	w := &benchWriter{h: make(http.Header)}
	serve := func() {
		clear(w.h)
		w.status = 0
		h.ServeHTTP(w, r)
	}
	serve()
	if w.status != 0 && w.status != http.StatusOK {
		t.Fatalf("status %d", w.status)
	}
	if n := testing.AllocsPerRun(200, serve); n > 3 {
		t.Errorf("%v allocations per request, want at most 3", n)
	}
}

// BenchmarkConcurrencyMiddleware compares an admitted request under one
// rate policy with one under the same policy and a concurrency policy,
// with the memory store, 1000 client keys.
func BenchmarkConcurrencyMiddleware(b *testing.B) {
	b.Run("rate", func(b *testing.B) { benchMiddleware(b, concurrencyBench[:1], 1000, false) })
	b.Run("rate+inflight", func(b *testing.B) { benchMiddleware(b, concurrencyBench, 1000, false) })
}
