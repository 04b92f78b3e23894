package idempotency_test

import (
	"net/http"
	"strconv"
	"testing"
)

// TestHotPathAllocs bounds the allocations of a first request and of a
// replay through the middleware, as BenchmarkFirstRequest and
// BenchmarkReplay make them, handler included: 13 and 5 today (one is the
// detached context of the completion, which every store gets; two are the
// handler's context.WithCancelCause and its cancel function; each
// replayed or recorded header field is one copied slice). The bounds
// leave room for the race detector, under which a few more values escape
// to the heap.
func TestHotPathAllocs(t *testing.T) {
	br := newBenchRequest()
	w := &discard{h: http.Header{}}
	h, _ := newBenchMiddleware(t)
	keys := make([]string, 202)
	for i := range keys {
		keys[i] = "alloc-" + strconv.Itoa(i)
	}
	i := 0
	first := testing.AllocsPerRun(200, func() {
		clear(w.h)
		i++
		h.ServeHTTP(w, br.reset(keys[i]))
	})
	replay := testing.AllocsPerRun(200, func() {
		clear(w.h)
		h.ServeHTTP(w, br.reset("alloc-1"))
	})
	t.Logf("first request %.2f allocs, replay %.2f", first, replay)
	if first > 14 {
		t.Errorf("first request: %.2f allocations, want at most 14", first)
	}
	if replay > 6 {
		t.Errorf("replay: %.2f allocations, want at most 6", replay)
	}
}
