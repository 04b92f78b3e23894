package ratelimit

import (
	"context"
	"net/http"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// Run with: go test ./ratelimit -run '^$' -bench . -benchmem

// benchWriter is a minimal ResponseWriter reused across iterations, so
// that the numbers are the middleware's own.
type benchWriter struct {
	h      http.Header
	status int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *benchWriter) WriteHeader(code int)        { w.status = code }

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})

// benchIP returns a distinct IPv4 address text for i.
func benchIP(i int) string {
	return strconv.Itoa(10+i>>24&0xff) + "." + strconv.Itoa(i>>16&0xff) + "." + strconv.Itoa(i>>8&0xff) + "." + strconv.Itoa(i&0xff)
}

// benchAddrs returns n distinct RemoteAddr values. The benchmarks reuse
// one request and change its RemoteAddr, so that the live heap is what a
// server's is, not n requests kept for the whole run.
func benchAddrs(n int) []string {
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = benchIP(i) + ":40000"
	}
	return addrs
}

func benchRequest() *http.Request {
	r, _ := http.NewRequest("GET", "http://example.com/items", nil)
	return r
}

// allowPolicies are real, enforced limits that the benchmark loops stay
// within: 10^5 keys cycling at a few million requests per second see each
// key well under 1000 times a second.
var allowPolicies = []Policy{{Name: "burst", Limit: 1000, Window: time.Second}, {Name: "default", Limit: 1000, Window: time.Hour}}

// hotPolicies let one key run for the whole benchmark: 10^9 per second.
var hotPolicies = []Policy{{Name: "hot", Limit: 1_000_000_000, Window: time.Second}}

func benchMiddleware(b *testing.B, policies []Policy, keys int, denied bool) {
	l, err := New(Config{Policies: policies})
	if err != nil {
		b.Fatal(err)
	}
	h := l.Handler(okHandler)
	addrs := benchAddrs(keys)
	r := benchRequest()
	w := &benchWriter{h: make(http.Header)}
	for _, a := range addrs { // warm: every key is known to the store
		clear(w.h)
		r.RemoteAddr = a
		h.ServeHTTP(w, r)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clear(w.h)
		w.status = 0
		r.RemoteAddr = addrs[i%keys]
		h.ServeHTTP(w, r)
	}
	b.StopTimer()
	if got := w.status == http.StatusTooManyRequests; got != denied {
		b.Fatalf("last status %d, want denied=%v", w.status, denied)
	}
}

func BenchmarkMiddleware(b *testing.B) {
	b.Run("hot-key", func(b *testing.B) { benchMiddleware(b, hotPolicies, 1, false) })
	b.Run("keys=1e5", func(b *testing.B) { benchMiddleware(b, allowPolicies, 100_000, false) })
	b.Run("keys=1e6", func(b *testing.B) { benchMiddleware(b, allowPolicies, 1_000_000, false) })
	b.Run("denied", func(b *testing.B) {
		benchMiddleware(b, []Policy{{Name: "tiny", Limit: 1, Window: time.Hour}}, 1000, true)
	})
	b.Run("parallel/keys=1e5", func(b *testing.B) {
		l, err := New(Config{Policies: allowPolicies})
		if err != nil {
			b.Fatal(err)
		}
		h := l.Handler(okHandler)
		addrs := benchAddrs(100_000)
		var next atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			w := &benchWriter{h: make(http.Header)}
			r := benchRequest()
			i := int(next.Add(7919))
			for pb.Next() {
				clear(w.h)
				r.RemoteAddr = addrs[i%len(addrs)]
				h.ServeHTTP(w, r)
				i++
			}
		})
	})
}

func BenchmarkBareHandler(b *testing.B) {
	r := benchRequest()
	w := &benchWriter{h: make(http.Header)}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		okHandler.ServeHTTP(w, r)
	}
}

func benchKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = benchIP(i)
	}
	return keys
}

func BenchmarkMemoryStoreTake(b *testing.B) {
	run := func(b *testing.B, policies []Policy, keys []string) {
		s, err := NewMemoryStore(MemoryConfig{})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		var res [MaxPolicies]Result
		for _, k := range keys {
			s.Take(ctx, k, policies, 1, res[:])
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if ok, err := s.Take(ctx, keys[i%len(keys)], policies, 1, res[:]); !ok || err != nil {
				b.Fatal("denied", err)
			}
		}
	}
	b.Run("hot-key", func(b *testing.B) { run(b, hotPolicies, benchKeys(1)) })
	b.Run("keys=1e5", func(b *testing.B) { run(b, allowPolicies, benchKeys(100_000)) })
	b.Run("keys=1e6", func(b *testing.B) { run(b, allowPolicies, benchKeys(1_000_000)) })
	b.Run("parallel/keys=1e5", func(b *testing.B) {
		s, _ := NewMemoryStore(MemoryConfig{})
		keys := benchKeys(100_000)
		var next atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var res [MaxPolicies]Result
			i := int(next.Add(7919))
			for pb.Next() {
				s.Take(context.Background(), keys[i%len(keys)], allowPolicies, 1, res[:])
				i++
			}
		})
	})
}

// BenchmarkMemoryStoreHeap reports the heap a MemoryStore holding 10^6
// distinct keys (two policies each) needs, key strings included: each
// key is a fresh string only the store keeps.
func BenchmarkMemoryStoreHeap(b *testing.B) {
	const n = 1_000_000
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		// Headroom above 10^6 so that no shard fills up: the table
		// sizes, and so the heap, are the same as with the default.
		s, err := NewMemoryStore(MemoryConfig{MaxKeys: 1 << 21})
		if err != nil {
			b.Fatal(err)
		}
		// Windows long enough that no key goes idle (and so may be
		// dropped) while the others are inserted.
		policies := []Policy{{Name: "hour", Limit: 100, Window: time.Hour}, {Name: "day", Limit: 1000, Window: 24 * time.Hour}}
		var res [MaxPolicies]Result
		for k := 0; k < n; k++ {
			s.Take(context.Background(), benchIP(k), policies, 1, res[:])
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if s.Len() != n {
			b.Fatalf("store holds %d keys, want %d", s.Len(), n)
		}
		heap := float64(after.HeapAlloc) - float64(before.HeapAlloc)
		b.ReportMetric(heap/(1<<20), "heap-MB")
		b.ReportMetric(heap/n, "B/key")
		runtime.KeepAlive(s)
	}
}
