package ratelimit_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/ratelimit"
)

// TestReduceCapacity: while capacity is reduced every request, of every
// plan, gets the draft's 503 problem with Retry-After and consumes no
// quota; ReduceCapacity(0) and the end of the period restore service.
func TestReduceCapacity(t *testing.T) {
	store := &flakyStore{inner: newStore(t, ratelimit.MemoryConfig{})}
	l := newLimiter(t, ratelimit.Config{
		Policies: []ratelimit.Policy{{Name: "p", Limit: 10, Window: time.Minute}},
		Plans:    map[string][]ratelimit.Policy{"pro": {{Name: "pro", Limit: 100, Window: time.Minute}}},
		Plan:     func(r *http.Request) (string, error) { return r.Header.Get("X-Plan"), nil },
		Store:    store,
	})
	h := (&apierrors.Renderer{Format: apierrors.Problem, Logger: quiet.Logger}).Handler(l.Handler(ok200))
	l.ReduceCapacity(90 * time.Second)
	for _, plan := range []string{"", "pro"} {
		w := planGet(h, plan)
		var body map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		ra, _ := strconv.Atoi(w.Header().Get("Retry-After"))
		if w.Code != 503 || ra < 89 || ra > 90 || body["type"] != ratelimit.ReducedCapacityType || body["status"] != float64(503) {
			t.Errorf("plan %q, reduced: %d Retry-After %q body %s; want 503 %s with Retry-After 90", plan, w.Code, w.Header().Get("Retry-After"), w.Body, ratelimit.ReducedCapacityType)
		}
	}
	if n := store.calls.Load(); n != 0 {
		t.Errorf("store asked %d times while capacity was reduced", n)
	}
	l.ReduceCapacity(0)
	if w := planGet(h, "pro"); w.Code != 200 {
		t.Errorf("after ReduceCapacity(0): %d, want 200", w.Code)
	}
	l.ReduceCapacity(50 * time.Millisecond)
	if w := planGet(h, ""); w.Code != 503 || w.Header().Get("Retry-After") != "1" {
		t.Errorf("reduced for 50ms: %d Retry-After %q, want 503 and 1", w.Code, w.Header().Get("Retry-After"))
	}
	time.Sleep(60 * time.Millisecond)
	if w := planGet(h, ""); w.Code != 200 {
		t.Errorf("after the period: %d, want 200", w.Code)
	}
	// Concurrent toggling and requests: run under -race.
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				if g == 0 {
					l.ReduceCapacity(time.Duration(i%2) * time.Second)
					continue
				}
				if c := planGet(h, "pro").Code; c != 200 && c != 503 && c != 429 {
					t.Errorf("toggling: status %d", c)
				}
			}
		}()
	}
	wg.Wait()
}
