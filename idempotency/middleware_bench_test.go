package idempotency_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/restwell/restwell/idempotency"
)

// discard is a ResponseWriter that keeps nothing, so the benchmarks
// measure the middleware rather than a recorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header       { return d.h }
func (*discard) WriteHeader(int)             {}
func (*discard) Write(p []byte) (int, error) { return len(p), nil }

var benchResponse = []byte(`{"id":"ord_123","status":"created","amount":1999}`)

func benchHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header()["Content-Type"] = []string{"application/json"}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(benchResponse)
	})
}

// benchRequest is a reusable POST with a 1 KiB body.
type benchRequest struct {
	r    *http.Request
	body *bytes.Reader
	data []byte
}

func newBenchRequest() *benchRequest {
	br := &benchRequest{data: bytes.Repeat([]byte("x"), 1024)}
	br.body = bytes.NewReader(br.data)
	r, _ := http.NewRequest("POST", "http://api.example.com/orders", nil)
	r.RemoteAddr = "192.0.2.1:1234"
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Idempotency-Key", "bench-key")
	r.Body = io.NopCloser(br.body)
	r.ContentLength = int64(len(br.data))
	br.r = r
	return br
}

// reset rewinds the body and sets the key, without allocating.
func (br *benchRequest) reset(key string) *http.Request {
	br.body.Reset(br.data)
	br.r.Header["Idempotency-Key"][0] = key
	return br.r
}

// benchKeys is how many distinct keys BenchmarkFirstRequest cycles
// through before it empties the store and starts again, so the heap stays
// small and GC cost does not grow with b.N.
const benchKeys = 4096

func newBenchMiddleware(b testing.TB) (http.Handler, *idempotency.MemoryStore) {
	s, err := idempotency.NewMemoryStore(idempotency.MemoryConfig{})
	if err != nil {
		b.Fatal(err)
	}
	return newMiddleware(b, idempotency.Config{Store: s}).Handler(benchHandler()), s
}

// BenchmarkFirstRequest: a new key each time, memory store, 1 KiB body:
// read, fingerprint, acquire, run the handler, record its response.
//
// Every benchKeys requests the store is emptied outside the timer. Its map
// keeps the capacity it grew to, so the loop measures a store in its
// steady state (records replaced as they expire) rather than the one-off
// growth of a new map; the records dropped are still garbage the
// collector pays for inside the timer.
func BenchmarkFirstRequest(b *testing.B) {
	keys := make([]string, benchKeys)
	for i := range keys {
		keys[i] = "key-" + strconv.Itoa(i)
	}
	br := newBenchRequest()
	w := &discard{h: http.Header{}}
	h, s := newBenchMiddleware(b)
	// Grow the store's map once, outside the measurement.
	for _, k := range keys {
		h.ServeHTTP(w, br.reset(k))
	}
	idempotency.ClearMemoryStore(s)
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		if i > 0 && i%benchKeys == 0 {
			b.StopTimer()
			idempotency.ClearMemoryStore(s)
			b.StartTimer()
		}
		clear(w.h)
		h.ServeHTTP(w, br.reset(keys[i%benchKeys]))
	}
	reportCPU(b, start)
}

// BenchmarkReplay: the same key and body each time, answered from the
// record.
func BenchmarkReplay(b *testing.B) {
	br := newBenchRequest()
	w := &discard{h: http.Header{}}
	h, _ := newBenchMiddleware(b)
	h.ServeHTTP(w, br.reset("bench-key"))
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		clear(w.h)
		h.ServeHTTP(w, br.reset("bench-key"))
	}
	reportCPU(b, start)
}

// BenchmarkNoKey: a request without Idempotency-Key passes through.
func BenchmarkNoKey(b *testing.B) {
	m := newMiddleware(b, idempotency.Config{})
	h := m.Handler(benchHandler())
	r, _ := http.NewRequest("POST", "/orders", http.NoBody)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		clear(w.h)
		h.ServeHTTP(w, r)
	}
	reportCPU(b, start)
}

func BenchmarkDefaultFingerprint(b *testing.B) {
	r := newBenchRequest().r
	r.URL.RawQuery = "expand=customer&limit=10"
	body := bytes.Repeat([]byte("x"), 1024)
	b.ReportAllocs()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		_ = idempotency.DefaultFingerprint(r, body)
	}
	reportCPU(b, start)
}

// reportCPU adds the CPU time per operation since start (all threads, GC
// included) as cpu-ns/op.
func reportCPU(b *testing.B, start int64) {
	if start > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}
