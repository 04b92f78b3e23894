package errors

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkHandler measures the adapter around a handler that succeeds
// and one that returns an error before writing.
func BenchmarkHandler(b *testing.B) {
	body := []byte(`{"id":1}`)
	for _, bc := range []struct {
		name string
		h    Handler
	}{
		{"ok", func(w http.ResponseWriter, r *http.Request) error { _, err := w.Write(body); return err }},
		{"error", func(w http.ResponseWriter, r *http.Request) error { return errSinkNotFound }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/items/1", nil)
			w := &discardWriter{h: make(http.Header, 4)}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				bc.h.ServeHTTP(w, req)
			}
		})
	}
}

var errSinkNotFound = NotFound("no item with that id")
