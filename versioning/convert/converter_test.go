package convert

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/restwell/restwell/versioning"
)

// nopWriter is a ResponseWriter that keeps nothing, so that only the
// middleware's own allocations are counted.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) WriteHeader(int)             {}
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }

// TestHandlerPassesThrough checks that a request with nothing to convert
// (the newest version, or none at all) reaches next as it came, at no
// allocation.
func TestHandlerPassesThrough(t *testing.T) {
	a := newPriceVersioner(t, testConfig{})
	var got *http.Request
	h := a.c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r }))
	tests := []struct {
		name string
		r    *http.Request
	}{
		{"newest version", httptest.NewRequest("GET", "/api/v2/items", nil).WithContext(versioning.NewContext(t.Context(), "2"))},
		{"no version", httptest.NewRequest("GET", "/api/v2/items", nil)},
		{"unknown version", httptest.NewRequest("GET", "/api/v2/items", nil).WithContext(versioning.NewContext(t.Context(), "9"))},
	}
	w := &nopWriter{h: http.Header{}}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(100, func() { h.ServeHTTP(w, tt.r) }); n != 0 {
			t.Errorf("%s: %v allocations per request, want 0", tt.name, n)
		}
		if got != tt.r {
			t.Errorf("%s: next got another request than the caller's", tt.name)
		}
	}
}

// BenchmarkHandler measures the Converter on a request of the newest
// version, which it passes through, and on a v1 GET it downgrades:
//
//	go test ./versioning/convert -run '^$' -bench BenchmarkHandler -benchmem
func BenchmarkHandler(b *testing.B) {
	a := newPriceVersioner(b, testConfig{})
	item := &itemAPI{body: `{"id":1,"name":"mug","price":{"amount":1200,"currency":"USD"}}`}
	h := a.Handler(item)
	for _, bc := range []struct{ name, target string }{
		{"newest", "/api/v2/items/1"},
		{"downgraded", "/api/v1/items/1"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", bc.target, nil)
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(&nopWriter{h: http.Header{}}, r)
			}
		})
	}
}
