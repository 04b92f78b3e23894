package etag

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestLateWriteDoesNotReachLaterResponses leaks, from a handler behind
// the middleware, a goroutine that writes, sets headers and flushes once
// the request is over, while later requests are tagged and revalidated
// on the middleware's pooled state: their responses are exactly their
// own.
func TestLateWriteDoesNotReachLaterResponses(t *testing.T) {
	kept := make(chan http.ResponseWriter, 1)
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/leak" {
			kept <- w
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("own " + r.URL.Path))
	}))
	first := httptest.NewRecorder()
	h.ServeHTTP(first, httptest.NewRequest("GET", "/leak", nil))
	late := <-kept
	tag := Of([]byte("own /next"))

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 200 {
			late.Header().Set("ETag", `"forged"`)
			late.WriteHeader(http.StatusOK)
			_, _ = late.Write([]byte("LEAK"))
			late.(http.Flusher).Flush()
		}
	}()
	for i := range 200 {
		req := httptest.NewRequest("GET", "/next", nil)
		if i%2 == 1 {
			req.Header.Set("If-None-Match", tag)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		wantCode, wantBody := 200, "own /next"
		if i%2 == 1 {
			wantCode, wantBody = 304, ""
		}
		if rec.Code != wantCode || rec.Body.String() != wantBody || rec.Header().Get("ETag") != tag {
			t.Fatalf("request %d: %d %v %q, want %d with %q and ETag %s", i, rec.Code, rec.Header(), rec.Body.String(), wantCode, wantBody, tag)
		}
	}
	wg.Wait()
	if first.Body.String() != "own /leak" || strings.Contains(first.Header().Get("ETag"), "forged") || first.Flushed {
		t.Errorf("first response changed: %v %q flushed %v", first.Header(), first.Body.String(), first.Flushed)
	}
}
