package etag_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	apierrors "github.com/restwell/restwell/errors"
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

// TestObserverEveryEntryPoint checks that a 304 or 412 is reported once,
// and a request that proceeds not at all, whichever decided it: the
// middleware, or a handler calling the Middleware's Check or Respond,
// alone or behind the middleware (which then finds nothing left to
// answer).
func TestObserverEveryEntryPoint(t *testing.T) {
	lm := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	v := etag.Validators{ETag: `"v1"`, LastModified: lm}
	validators := func(*http.Request) (etag.Validators, error) { return v, nil }
	// byRespond and byCheck are handlers that answer their conditional
	// requests themselves.
	byRespond := func(m *etag.Middleware) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if m.Respond(w, r, v) {
				return
			}
			w.Header().Set("Etag", v.ETag)
			_, _ = w.Write([]byte("x"))
		})
	}
	byCheck := func(m *etag.Middleware) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch res := m.Check(r, v); res.Status {
			case http.StatusNotModified:
				etag.WriteNotModified(w)
				return
			case http.StatusPreconditionFailed:
				apierrors.Write(w, r, res.Err())
				return
			}
			w.Header().Set("Etag", v.ETag)
			_, _ = w.Write([]byte("x"))
		})
	}
	plain := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("x")) })
	entries := []struct {
		name  string
		cfg   etag.Config
		build func(m *etag.Middleware) http.Handler
	}{
		{"middleware", etag.Config{Validators: validators}, func(m *etag.Middleware) http.Handler { return m.Handler(plain) }},
		{"Respond", etag.Config{}, byRespond},
		{"Check", etag.Config{}, byCheck},
		{"Respond behind the middleware", etag.Config{Validators: validators},
			func(m *etag.Middleware) http.Handler { return m.Handler(byRespond(m)) }},
		{"Check behind the middleware", etag.Config{Validators: validators},
			func(m *etag.Middleware) http.Handler { return m.Handler(byCheck(m)) }},
		{"Respond behind automatic tags", etag.Config{},
			func(m *etag.Middleware) http.Handler { return m.Handler(byRespond(m)) }},
	}
	before, after := etag.FormatDate(lm.Add(-time.Hour)), etag.FormatDate(lm.Add(time.Hour))
	cases := []struct {
		name, method, header, value string
		outcome, reason             string // empty: the request proceeds, unobserved
		status                      int
	}{
		{"If-None-Match", "GET", "If-None-Match", `"v1"`, observe.NotModified, "If-None-Match", 304},
		{"If-Modified-Since", "GET", "If-Modified-Since", after, observe.NotModified, "If-Modified-Since", 304},
		{"read If-Match", "GET", "If-Match", `"v0"`, observe.PreconditionFailed, "If-Match", 412},
		{"write If-Match", "PUT", "If-Match", `"v0"`, observe.PreconditionFailed, "If-Match", 412},
		{"write If-Unmodified-Since", "DELETE", "If-Unmodified-Since", before, observe.PreconditionFailed, "If-Unmodified-Since", 412},
		{"write If-None-Match", "PUT", "If-None-Match", "*", observe.PreconditionFailed, "If-None-Match", 412},
		{"write matches", "PUT", "If-Match", `"v1"`, "", "", 200},
		{"read changed", "GET", "If-None-Match", `"v0"`, "", "", 200},
		{"unconditional", "GET", "", "", "", "", 200},
	}
	for _, e := range entries {
		for _, c := range cases {
			t.Run(e.name+"/"+c.name, func(t *testing.T) {
				rec := &observetest.Recorder{}
				cfg := e.cfg
				cfg.Observer = rec
				m, err := etag.New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				r := httptest.NewRequest(c.method, "/", nil)
				if c.header != "" {
					r.Header.Set(c.header, c.value)
				}
				w := httptest.NewRecorder()
				e.build(m).ServeHTTP(w, r)
				if w.Code != c.status {
					t.Fatalf("status %d, want %d", w.Code, c.status)
				}
				var want []observe.Event
				if c.outcome != "" {
					want = []observe.Event{{Package: "etag", Outcome: c.outcome, Reason: c.reason, Status: c.status}}
				}
				got := rec.Events()
				if len(got) != len(want) {
					t.Fatalf("events %+v, want %+v", got, want)
				}
				for i := range got {
					if got[i] != want[i] {
						t.Errorf("event %d:\n got %+v\nwant %+v", i, got[i], want[i])
					}
				}
			})
		}
	}
}

// TestPackageLevelReportsNothing checks that the package-level Check and
// Respond, which have no Config, stay silent and answer as the
// Middleware's methods do.
func TestPackageLevelReportsNothing(t *testing.T) {
	v := etag.Validators{ETag: `"v1"`}
	for _, tt := range []struct {
		method, header, value string
		status                int
	}{
		{"GET", "If-None-Match", `"v1"`, 304},
		{"PUT", "If-Match", `"v0"`, 412},
	} {
		rec := &observetest.Recorder{}
		m, err := etag.New(etag.Config{Observer: rec})
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(tt.method, "/", nil)
		r.Header.Set(tt.header, tt.value)
		pkg, meth := httptest.NewRecorder(), httptest.NewRecorder()
		got := etag.Check(r, v)
		etag.Respond(pkg, r, v)
		if n := len(rec.Events()); n != 0 {
			t.Errorf("%s %s: the package-level Check and Respond reported %d events, want none", tt.method, tt.header, n)
		}
		if mgot := m.Check(r, v); got != mgot || got.Status != tt.status {
			t.Errorf("%s %s: Check = %+v, Middleware.Check = %+v, want status %d", tt.method, tt.header, got, mgot, tt.status)
		}
		m.Respond(meth, r, v)
		if pkg.Code != tt.status || meth.Code != tt.status || pkg.Body.String() != meth.Body.String() {
			t.Errorf("%s %s: Respond %d %q, Middleware.Respond %d %q, want %d from both",
				tt.method, tt.header, pkg.Code, pkg.Body, meth.Code, meth.Body, tt.status)
		}
		if n := len(rec.Events()); n != 2 {
			t.Errorf("%s %s: Middleware.Check and Middleware.Respond reported %d events, want one each", tt.method, tt.header, n)
		}
	}
}

// selfRevalidation is a 304 a handler answers with Middleware.Respond.
func selfRevalidation(tb testing.TB, obs observe.Observer) (http.Handler, *http.Request) {
	m, err := etag.New(etag.Config{Observer: obs})
	if err != nil {
		tb.Fatal(err)
	}
	v := etag.Validators{ETag: `"v1"`}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !m.Respond(w, r, v) {
			_, _ = w.Write([]byte("x"))
		}
	})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("If-None-Match", `"v1"`)
	return h, r
}

// selfCheck is a 304 a handler decides with Middleware.Check.
func selfCheck(tb testing.TB, obs observe.Observer) (http.Handler, *http.Request) {
	m, err := etag.New(etag.Config{Observer: obs})
	if err != nil {
		tb.Fatal(err)
	}
	v := etag.Validators{ETag: `"v1"`}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.Check(r, v).Status == http.StatusNotModified {
			w.WriteHeader(http.StatusNotModified)
		}
	})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("If-None-Match", `"v1"`)
	return h, r
}

// TestObserverAllocsOfMethods checks that observing adds no allocation to
// a 304 decided by Middleware.Respond or Middleware.Check, and that
// Middleware.Check with no Observer allocates nothing, as Check.
func TestObserverAllocsOfMethods(t *testing.T) {
	observetest.SameAllocs(t, "Middleware.Respond 304", selfRevalidation)
	observetest.SameAllocs(t, "Middleware.Check 304", selfCheck)
	m, err := etag.New(etag.Config{})
	if err != nil {
		t.Fatal(err)
	}
	v := etag.Validators{ETag: `"v1"`}
	get := httptest.NewRequest("GET", "/", nil)
	get.Header.Set("If-None-Match", `"v1"`)
	put := httptest.NewRequest("PUT", "/", nil)
	put.Header.Set("If-Match", `"v0"`)
	if n := testing.AllocsPerRun(100, func() { m.Check(get, v); m.Check(put, v) }); n != 0 {
		t.Errorf("Middleware.Check with no Observer: %v allocations, want 0", n)
	}
}
