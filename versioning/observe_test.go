package versioning

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/restwell/restwell/observe"
	"github.com/restwell/restwell/observe/observetest"
)

func TestObserver(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	versions := []Version{
		{Name: "0", Deprecated: now.Add(-48 * time.Hour), Sunset: now.Add(-time.Hour), Successor: "2"},
		{Name: "1", Deprecated: now.Add(-time.Hour), Sunset: now.Add(time.Hour), Successor: "2"},
		{Name: "2"},
	}
	for _, tt := range []struct {
		name, version string
		after         AfterSunset
		route         bool
		want          []observe.Event
	}{
		{name: "deprecated", version: "1", want: []observe.Event{{Outcome: observe.DeprecatedVersion, Version: "1"}}},
		{name: "current", version: "2"},
		{name: "unsupported", version: "9", want: []observe.Event{{Outcome: observe.UnsupportedVersion, Status: 400}}},
		{name: "sunset served", version: "0", want: []observe.Event{{Outcome: observe.Sunset, Version: "0"}}},
		{name: "sunset gone", version: "0", after: Gone, want: []observe.Event{{Outcome: observe.Sunset, Version: "0", Status: 410}}},
		{name: "deprecated route", version: "2", route: true,
			want: []observe.Event{{Outcome: observe.DeprecatedRoute, Version: "2", Route: "search"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := &observetest.Recorder{}
			v := mustNew(t, Config{Versions: versions, Default: "2", AfterSunset: tt.after, Observer: rec,
				Now: func() time.Time { return now }})
			var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
			if tt.route {
				dep, err := v.Deprecate(Route{Name: "search", Deprecated: now.Add(-time.Hour)})
				if err != nil {
					t.Fatal(err)
				}
				h = dep.Handler(h)
			}
			h = v.Handler(h)
			r := httptest.NewRequest("GET", "/items", nil)
			r.Header.Set("Api-Version", tt.version)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			got := rec.Events()
			if len(got) != len(tt.want) {
				t.Fatalf("status %d, events %+v, want %+v", w.Code, got, tt.want)
			}
			for i := range got {
				want := tt.want[i]
				want.Package = "versioning"
				if got[i] != want {
					t.Errorf("event %d:\n got %+v\nwant %+v", i, got[i], want)
				}
				if got[i].Status != 0 && got[i].Status != w.Code {
					t.Errorf("event status %d, response %d", got[i].Status, w.Code)
				}
			}
		})
	}
}

// deprecatedRequest is a request of a deprecated version.
func deprecatedRequest(tb testing.TB, obs observe.Observer) (http.Handler, *http.Request) {
	v := mustNew(tb, Config{Versions: []Version{{Name: "1", Deprecated: time.Unix(1, 0)}, {Name: "2"}}, Observer: obs})
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	r := httptest.NewRequest("GET", "/items", nil)
	r.Header.Set("Api-Version", "1")
	return h, r
}

// TestObserverAllocs checks that observing adds no allocation to a
// request of a deprecated version.
func TestObserverAllocs(t *testing.T) {
	observetest.SameAllocs(t, "deprecated version", deprecatedRequest)
}

func BenchmarkObserver(b *testing.B) { observetest.Benchmark(b, deprecatedRequest) }
