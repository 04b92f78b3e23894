package etag_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/restwell/restwell/etag"
	"github.com/restwell/restwell/observe"
	"github.com/restwell/restwell/observe/observetest"
)

func TestObserver(t *testing.T) {
	validators := func(*http.Request) (etag.Validators, error) { return etag.Validators{ETag: `"v1"`}, nil }
	for _, tt := range []struct {
		name, method, header, value string
		want                        []observe.Event
	}{
		{"304", "GET", "If-None-Match", `"v1"`, []observe.Event{{Outcome: observe.NotModified, Reason: "If-None-Match", Status: 304}}},
		{"read 412", "GET", "If-Match", `"v0"`, []observe.Event{{Outcome: observe.PreconditionFailed, Reason: "If-Match", Status: 412}}},
		{"write 412", "PUT", "If-Match", `"v0"`, []observe.Event{{Outcome: observe.PreconditionFailed, Reason: "If-Match", Status: 412}}},
		{"write 412 create", "PUT", "If-None-Match", `*`, []observe.Event{{Outcome: observe.PreconditionFailed, Reason: "If-None-Match", Status: 412}}},
		{"428", "PUT", "", "", []observe.Event{{Outcome: observe.PreconditionRequired, Status: 428}}},
		{"match passes", "PUT", "If-Match", `"v1"`, nil},
		{"plain read", "GET", "", "", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := &observetest.Recorder{}
			m, err := etag.New(etag.Config{Validators: validators, RequireCondition: etag.RequireForUpdates, Observer: rec})
			if err != nil {
				t.Fatal(err)
			}
			h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("x")) }))
			r := httptest.NewRequest(tt.method, "/", nil)
			if tt.header != "" {
				r.Header.Set(tt.header, tt.value)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			got := rec.Events()
			if len(got) != len(tt.want) {
				t.Fatalf("status %d, events %+v, want %+v", w.Code, got, tt.want)
			}
			for i := range got {
				want := tt.want[i]
				want.Package = "etag"
				if got[i] != want {
					t.Errorf("event %d:\n got %+v\nwant %+v", i, got[i], want)
				}
				if got[i].Status != w.Code {
					t.Errorf("event status %d, response %d", got[i].Status, w.Code)
				}
			}
		})
	}
}

// revalidation is a 304 answered by the middleware.
func revalidation(tb testing.TB, obs observe.Observer) (http.Handler, *http.Request) {
	m, err := etag.New(etag.Config{Observer: obs})
	if err != nil {
		tb.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("hello")) }))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("If-None-Match", w.Header().Get("Etag"))
	return h, r
}

// TestObserverAllocs checks that observing adds no allocation to a 304.
// The race detector makes sync.Pool drop items at random, which moves the
// two counts apart by chance.
func TestObserverAllocs(t *testing.T) {
	if etag.RaceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	observetest.SameAllocs(t, "304", revalidation)
}

func BenchmarkObserver(b *testing.B) { observetest.Benchmark(b, revalidation) }
