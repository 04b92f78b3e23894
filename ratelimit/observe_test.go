package ratelimit_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/restwell/restwell/observe"
	"github.com/restwell/restwell/observe/observetest"
	"github.com/restwell/restwell/ratelimit"
)

// slowStore delays every Take, so that reported durations can be checked.
type slowStore struct {
	ratelimit.Store
	delay time.Duration
}

func (s slowStore) Take(ctx context.Context, key string, p []ratelimit.Policy, cost int64, res []ratelimit.Result) (bool, error) {
	time.Sleep(s.delay)
	return s.Store.Take(ctx, key, p, cost, res)
}

func TestObserver(t *testing.T) {
	two := []ratelimit.Policy{{Name: "burst", Limit: 1, Window: time.Hour}, {Name: "daily", Limit: 5, Window: 24 * time.Hour}}
	ev := func(outcome, policy string, status int) observe.Event {
		e := observe.Event{Package: "ratelimit", Outcome: outcome, Policy: policy, Status: status}
		if outcome == observe.Allowed || outcome == observe.Limited {
			e.Op = "take"
		}
		return e
	}
	storeErr := func(mode string, status int) observe.Event {
		return observe.Event{Package: "ratelimit", Outcome: observe.StoreError, Reason: mode, Op: "take", Status: status}
	}
	for _, tt := range []struct {
		name     string
		cfg      ratelimit.Config
		down     bool
		requests int
		cost     int64
		want     []observe.Event
	}{
		{name: "allowed then limited", cfg: ratelimit.Config{Policies: two}, requests: 2,
			want: []observe.Event{ev(observe.Allowed, "burst", 0), ev(observe.Limited, "burst", 429)}},
		{name: "invalid key", requests: 1,
			cfg:  ratelimit.Config{Policies: two, Key: func(*http.Request) (string, error) { return "", nil }},
			want: []observe.Event{{Package: "ratelimit", Outcome: observe.InvalidKey, Status: 400}}},
		{name: "cost too high", cfg: ratelimit.Config{Policies: two}, requests: 1, cost: 3,
			want: []observe.Event{ev(observe.CostTooHigh, "", 400)}},
		{name: "fail open", cfg: ratelimit.Config{Policies: two, StoreRetry: -1}, down: true, requests: 1,
			want: []observe.Event{storeErr("fail-open", 0), {Package: "ratelimit", Outcome: observe.Allowed, Reason: "fail-open"}}},
		{name: "fail closed", cfg: ratelimit.Config{Policies: two, StoreRetry: -1, StoreFailure: ratelimit.FailClosed}, down: true, requests: 1,
			want: []observe.Event{storeErr("fail-closed", 503)}},
		{name: "fail local", cfg: ratelimit.Config{Policies: two, StoreRetry: -1, StoreFailure: ratelimit.FailLocal}, down: true, requests: 2,
			want: []observe.Event{
				storeErr("fail-local", 0), {Package: "ratelimit", Outcome: observe.Allowed, Reason: "fail-local", Policy: "burst"},
				storeErr("fail-local", 0), {Package: "ratelimit", Outcome: observe.Limited, Reason: "fail-local", Policy: "burst", Status: 429},
			}},
		{name: "skipped while down", cfg: ratelimit.Config{Policies: two, StoreRetry: time.Hour}, down: true, requests: 2,
			want: []observe.Event{
				storeErr("fail-open", 0), {Package: "ratelimit", Outcome: observe.Allowed, Reason: "fail-open"},
				storeErr("fail-open", 0), {Package: "ratelimit", Outcome: observe.Allowed, Reason: "fail-open"},
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := &observetest.Recorder{}
			store := &flakyStore{inner: newStore(t, ratelimit.MemoryConfig{})}
			store.down.Store(tt.down)
			cfg := tt.cfg
			cfg.Store, cfg.Observer, cfg.ErrorHandler = store, rec, quiet.Write
			cfg.Logger = slog.New(slog.DiscardHandler)
			if tt.cost != 0 {
				cfg.Cost = func(*http.Request) int64 { return tt.cost }
			}
			l := newLimiter(t, cfg)
			h := l.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			for range tt.requests {
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
			}
			got := rec.Events()
			if len(got) != len(tt.want) {
				t.Fatalf("got %d events %+v, want %d %+v", len(got), got, len(tt.want), tt.want)
			}
			for i := range got {
				g := got[i]
				if g.Op != "" && g.Duration <= 0 {
					t.Errorf("event %d: Duration %v with Op %q, want > 0", i, g.Duration, g.Op)
				}
				if g.Outcome == observe.StoreError && tt.name == "fail closed" && g.Err == nil {
					t.Errorf("event %d: fail-closed store_error without Err", i)
				}
				g.Duration, g.Err = 0, nil
				if g != tt.want[i] {
					t.Errorf("event %d:\n got %+v\nwant %+v", i, g, tt.want[i])
				}
			}
		})
	}
}

func TestObserverAllowN(t *testing.T) {
	rec := &observetest.Recorder{}
	l := newLimiter(t, ratelimit.Config{
		Policies: []ratelimit.Policy{{Name: "p", Limit: 1, Window: time.Hour}},
		Store:    slowStore{newStore(t, ratelimit.MemoryConfig{}), 2 * time.Millisecond},
		Observer: rec,
	})
	ctx := context.Background()
	for range 2 {
		if _, err := l.Allow(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Allow(ctx, ""); err != ratelimit.ErrInvalidKey {
		t.Fatalf("Allow(\"\") error %v, want ErrInvalidKey", err)
	}
	got := rec.Events()
	want := []string{observe.Allowed, observe.Limited, observe.InvalidKey}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want outcomes %v", got, want)
	}
	for i, e := range got {
		if e.Outcome != want[i] || e.Status != 0 {
			t.Errorf("event %d: outcome %q status %d, want %q and 0 outside HTTP", i, e.Outcome, e.Status, want[i])
		}
		if i < 2 && (e.Duration < 2*time.Millisecond || e.Op != "take" || e.Policy != "p") {
			t.Errorf("event %d: %+v, want op take, policy p, duration >= 2ms", i, e)
		}
	}
}

// TestObserverAllocs checks that observing costs no allocation: none
// without an Observer, and none more with one that keeps nothing.
func TestObserverAllocs(t *testing.T) {
	var n int
	counter := observe.Func(func(context.Context, observe.Event) { n++ })
	for _, tt := range []struct {
		name string
		obs  observe.Observer
	}{{"none", nil}, {"counter", counter}} {
		t.Run(tt.name, func(t *testing.T) {
			l := newLimiter(t, ratelimit.Config{
				Policies: []ratelimit.Policy{{Name: "p", Limit: 1 << 40, Window: time.Second}},
				Observer: tt.obs,
			})
			ctx := context.Background()
			if allocs := testing.AllocsPerRun(100, func() { _, _ = l.Allow(ctx, "k") }); allocs != 0 {
				t.Errorf("Allow: %v allocations, want 0", allocs)
			}
			h := l.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			r := httptest.NewRequest("GET", "/", nil)
			w := &nopWriter{h: http.Header{}}
			base := testing.AllocsPerRun(100, func() { clear(w.h); h.ServeHTTP(w, r) })
			l0 := newLimiter(t, ratelimit.Config{Policies: []ratelimit.Policy{{Name: "p", Limit: 1 << 40, Window: time.Second}}})
			h0 := l0.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			plain := testing.AllocsPerRun(100, func() { clear(w.h); h0.ServeHTTP(w, r) })
			if base != plain {
				t.Errorf("Handler: %v allocations with observer %s, want %v as without", base, tt.name, plain)
			}
		})
	}
	if n == 0 {
		t.Error("the counting observer saw no event")
	}
}

type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(int)             {}
