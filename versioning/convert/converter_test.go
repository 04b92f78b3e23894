package convert

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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

// TestDeprecatedAndConverted checks the two middlewares together on a
// deprecated version whose bodies are converted: the Versioner's headers
// reach every response the Converter writes or passes on, refusals
// included.
func TestDeprecatedAndConverted(t *testing.T) {
	a := mustNew(t, testConfig{
		Versions:        []Version{{Name: "1", Deprecated: t0, Successor: "2"}, {Name: "2"}},
		PathTemplate:    "/api/v{version}",
		PathMode:        versioning.RewritePath,
		Changes:         []Change{priceChange},
		MaxRequestBytes: 64,
	})
	item := `{"id":1,"name":"mug","price":{"amount":1200,"currency":"USD"}}`
	tests := []struct {
		name, method, body string
		status             int
		wantBody           string // "" for any
		wantLen            string // Content-Length, "" for none
	}{
		{"GET converted", "GET", "", 200, `{"currency":"USD","id":1,"name":"mug","price":1200}`, "51"},
		{"HEAD of a converted GET", "HEAD", "", 200, "", ""},
		{"POST upgraded", "POST", `{"name":"mug","price":1200,"currency":"USD"}`, 200, `{"currency":"USD","id":1,"name":"mug","price":1200}`, "51"},
		{"request body too large to convert", "POST", `{"name":"` + strings.Repeat("m", 64) + `"}`, 413, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &itemAPI{body: item}
			h := a.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("ETag", `"e1"`)
				api.ServeHTTP(w, r)
			}))
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			r := httptest.NewRequest(tt.method, "/api/v1/items/1", body)
			if body != nil {
				r.Header.Set("Content-Type", "application/json")
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			res := w.Result()
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, w.Body)
			}
			if got := res.Header.Get("Deprecation"); got != "@1735689600" {
				t.Errorf("Deprecation %q, want @1735689600", got)
			}
			if got := res.Header.Get("Api-Version"); got != "1" {
				t.Errorf("Api-Version %q, want 1", got)
			}
			if tt.status != 200 {
				return
			}
			if got := res.Header.Get("ETag"); got != `"e1-v1"` {
				t.Errorf("ETag %q, want %q", got, `"e1-v1"`)
			}
			if tt.wantBody != "" && !sameJSON(t, w.Body.String(), tt.wantBody) {
				t.Errorf("body %s, want %s", w.Body, tt.wantBody)
			}
			if got := res.Header.Get("Content-Length"); got != tt.wantLen {
				t.Errorf("Content-Length %q, want %q", got, tt.wantLen)
			}
		})
	}
}
