package idempotency_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/restwell/restwell/idempotency"
	"github.com/restwell/restwell/observe"
	"github.com/restwell/restwell/observe/observetest"
)

func TestObserver(t *testing.T) {
	quietLog := slog.New(slog.DiscardHandler)
	type step struct {
		key, body string
		multi     bool
	}
	for _, tt := range []struct {
		name  string
		cfg   idempotency.Config
		down  bool
		steps []step
		want  []observe.Event
	}{
		{name: "stored then replayed then reused",
			steps: []step{{key: "a", body: "{}"}, {key: "a", body: "{}"}, {key: "a", body: `{"x":1}`}},
			want: []observe.Event{
				{Outcome: observe.Acquired, Op: "acquire"},
				{Outcome: observe.Stored, Op: "complete", Status: 201},
				{Outcome: observe.Replayed, Op: "acquire", Status: 201},
				{Outcome: observe.KeyReused, Op: "acquire", Status: 422},
			}},
		{name: "missing and invalid", cfg: idempotency.Config{Required: true},
			steps: []step{{body: "{}"}, {key: "a\x01", body: "{}"}, {key: "a", multi: true}},
			want: []observe.Event{
				{Outcome: observe.MissingKey, Status: 400},
				{Outcome: observe.InvalidKey, Status: 400},
				{Outcome: observe.InvalidKey, Status: 400},
			}},
		{name: "fail closed", down: true, steps: []step{{key: "a", body: "{}"}},
			want: []observe.Event{{Outcome: observe.StoreError, Reason: "fail-closed", Op: "acquire", Status: 503}}},
		{name: "fail open", down: true, cfg: idempotency.Config{StoreFailure: idempotency.FailOpen}, steps: []step{{key: "a", body: "{}"}},
			want: []observe.Event{{Outcome: observe.StoreError, Reason: "fail-open", Op: "acquire"}}},
		{name: "released", cfg: idempotency.Config{Replayable: func(int) bool { return false }}, steps: []step{{key: "a", body: "{}"}},
			want: []observe.Event{{Outcome: observe.Acquired, Op: "acquire"}, {Outcome: observe.Released, Op: "release"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := &observetest.Recorder{}
			store := &flaky{Store: newMemory(t)}
			store.down.Store(tt.down)
			cfg := tt.cfg
			cfg.Store, cfg.Observer, cfg.Logger = store, rec, quietLog
			h := newMiddleware(t, cfg).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.WriteHeader(201)
			}))
			for _, s := range tt.steps {
				r := req("POST", "/", s.key, s.body)
				if s.multi {
					r.Header.Add("Idempotency-Key", "b")
				}
				h.ServeHTTP(httptest.NewRecorder(), r)
			}
			got := rec.Events()
			if len(got) != len(tt.want) {
				t.Fatalf("got %d events %+v, want %d %+v", len(got), got, len(tt.want), tt.want)
			}
			for i, g := range got {
				if g.Op != "" && g.Duration <= 0 {
					t.Errorf("event %d: Duration %v with Op %q, want > 0", i, g.Duration, g.Op)
				}
				if (g.Outcome == observe.StoreError) != (g.Err != nil) {
					t.Errorf("event %d: outcome %q with Err %v", i, g.Outcome, g.Err)
				}
				w := tt.want[i]
				w.Package = "idempotency"
				g.Duration, g.Err = 0, nil
				if g != w {
					t.Errorf("event %d:\n got %+v\nwant %+v", i, g, w)
				}
			}
		})
	}
}

func TestObserverInProgress(t *testing.T) {
	rec := &observetest.Recorder{}
	b := newBlock()
	h := newMiddleware(t, idempotency.Config{Observer: rec}).Handler(b)
	done := make(chan struct{})
	go func() { serve(h, req("POST", "/", "k", "{}")); close(done) }()
	<-b.started
	serve(h, req("POST", "/", "k", "{}"))
	close(b.release)
	<-done
	want := []string{observe.Acquired, observe.InProgress, observe.Stored}
	got := rec.Outcomes()
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
	if e := rec.Events()[1]; e.Status != 409 {
		t.Errorf("in_progress status %d, want 409", e.Status)
	}
}

func TestObserverDo(t *testing.T) {
	rec := &observetest.Recorder{}
	m := newMiddleware(t, idempotency.Config{Observer: rec})
	k := idempotency.Key{ID: "job-1"}
	fn := func(context.Context) (*idempotency.Response, error) { return &idempotency.Response{Status: 200}, nil }
	for range 2 {
		if _, _, err := m.Do(context.Background(), k, "fp", fn); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{observe.Acquired, observe.Stored, observe.Replayed}
	got := rec.Outcomes()
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
	for i, e := range rec.Events() {
		if e.Status != 0 && e.Outcome != observe.Stored {
			t.Errorf("event %d: status %d outside HTTP", i, e.Status)
		}
	}
}

// replay is a request whose response is stored and replayed.
func replay(tb testing.TB, obs observe.Observer) (http.Handler, *http.Request) {
	h := newMiddleware(tb, idempotency.Config{Observer: obs}).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(201)
	}))
	serve(h, req("POST", "/", "k", ""))
	return h, req("POST", "/", "k", "")
}

// TestObserverAllocs checks that observing adds no allocation to a
// replay, with an Observer that keeps nothing or with none.
func TestObserverAllocs(t *testing.T) { observetest.SameAllocs(t, "replay", replay) }

func BenchmarkObserver(b *testing.B) { observetest.Benchmark(b, replay) }
