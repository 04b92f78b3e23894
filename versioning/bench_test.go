package versioning

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// benchWriter is a ResponseWriter that keeps nothing, so benchmarks count
// the middleware's allocations only.
type benchWriter struct{ h http.Header }

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(int)             {}
func (w *benchWriter) Write(p []byte) (int, error) { return len(p), nil }

func benchServe(b *testing.B, v *Versioner, r *http.Request) {
	b.Helper()
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
	w := &benchWriter{h: http.Header{}}
	h.ServeHTTP(w, r)
	if got := w.h.Get("Api-Version"); got != "2" {
		b.Fatalf("Api-Version = %q, want 2", got)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, r)
	}
}

func benchVersioner(b *testing.B, cfg Config) *Versioner {
	b.Helper()
	cfg.Versions = []Version{
		{Name: "1", Deprecated: time.Unix(1735689600, 0), Successor: "2"},
		{Name: "2"},
		{Name: "3"},
	}
	cfg.Default = "3"
	v, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// BenchmarkPath negotiates from the path with every source enabled (so the
// response gets Vary and the middleware watches the handler's header).
func BenchmarkPath(b *testing.B) {
	v := benchVersioner(b, Config{PathTemplate: "/api/v{version}"})
	benchServe(b, v, httptest.NewRequest("GET", "/api/v2/items/42", nil))
}

// BenchmarkPathStrip also strips the prefix from the path.
func BenchmarkPathStrip(b *testing.B) {
	v := benchVersioner(b, Config{PathTemplate: "/api/v{version}", PathMode: StripPath})
	benchServe(b, v, httptest.NewRequest("GET", "/api/v2/items/42", nil))
}

// BenchmarkPathOnly negotiates from the path alone: no Vary to maintain.
func BenchmarkPathOnly(b *testing.B) {
	v := benchVersioner(b, Config{Sources: []Source{SourcePath}, PathTemplate: "/api/v{version}"})
	benchServe(b, v, httptest.NewRequest("GET", "/api/v2/items/42", nil))
}

// BenchmarkHeader negotiates from Api-Version with every source enabled.
func BenchmarkHeader(b *testing.B) {
	v := benchVersioner(b, Config{})
	r := httptest.NewRequest("GET", "/items/42", nil)
	r.Header.Set("Api-Version", "2")
	benchServe(b, v, r)
}

// BenchmarkMediaType negotiates from a vendor media type in Accept.
func BenchmarkMediaType(b *testing.B) {
	v := benchVersioner(b, Config{Vendor: "acme"})
	r := httptest.NewRequest("GET", "/items/42", nil)
	r.Header.Set("Accept", "application/vnd.acme.v2+json, application/json;q=0.5")
	benchServe(b, v, r)
}

// BenchmarkNegotiate is the core without HTTP serving.
func BenchmarkNegotiate(b *testing.B) {
	v := benchVersioner(b, Config{})
	r := httptest.NewRequest("GET", "/items/42", nil)
	r.Header.Set("Api-Version", "2")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Negotiate(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineWithValue is the least any middleware that puts a value
// in the request context pays (context.WithValue and Request.WithContext),
// for comparing the numbers above on a given machine.
func BenchmarkBaselineWithValue(b *testing.B) {
	type key struct{}
	h := http.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	mw := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Api-Version"] = []string{"2"}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), key{}, "2")))
	})
	r := httptest.NewRequest("GET", "/api/v2/items/42", nil)
	w := &benchWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		mw.ServeHTTP(w, r)
	}
}
