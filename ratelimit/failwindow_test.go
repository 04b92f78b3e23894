package ratelimit

import (
	"testing"
	"time"
)

// windowCalls returns the calls the window has counted, in every bucket.
func windowCalls(w *failWindow) (calls, fails int64) {
	for i := range w.buckets {
		calls += w.buckets[i].calls.Load()
		fails += w.buckets[i].fails.Load()
	}
	return calls, fails
}

// TestFailWindowCountsFromFirstFailure: successes cost no bookkeeping
// until a failure comes, are counted while it lies within the window,
// and stop being counted once it has left it.
func TestFailWindowCountsFromFirstFailure(t *testing.T) {
	l, err := New(Config{
		Policies:   []Policy{{Name: "p", Limit: 10, Window: time.Hour}},
		FailWindow: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		l.succeeded()
	}
	if calls, _ := windowCalls(l.window); calls != 0 || l.window.counting.Load() {
		t.Fatalf("healthy store: %d calls counted, counting %v; want 0, false", calls, l.window.counting.Load())
	}
	l.failed()
	for i := 0; i < 5; i++ {
		l.succeeded()
	}
	if calls, fails := windowCalls(l.window); calls != 6 || fails != 1 {
		t.Fatalf("after a failure: %d calls, %d failures counted; want 6, 1", calls, fails)
	}
	time.Sleep(150 * time.Millisecond) // the failure leaves the window
	l.succeeded()
	if l.window.counting.Load() {
		t.Error("still counting a window after the last failure")
	}
	if calls, _ := windowCalls(l.window); calls != 6 {
		t.Errorf("%d calls counted after the failure left the window, want still 6", calls)
	}
}
