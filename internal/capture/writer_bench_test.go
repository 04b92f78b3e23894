package capture

import (
	"net/http"
	"testing"
)

// sink is a ResponseWriter that keeps nothing, so a benchmark measures
// the Writer alone.
type sink struct{ h http.Header }

func (s *sink) Header() http.Header         { return s.h }
func (s *sink) WriteHeader(int)             {}
func (s *sink) Write(p []byte) (int, error) { return len(p), nil }
func (s *sink) Flush()                      {}

// BenchmarkRequest is one request's life on a Writer: Get, a handler that
// sets a header and writes a small body, the middleware's look at the
// result, Release and Put.
func BenchmarkRequest(b *testing.B) {
	body := []byte(`{"id":"42","name":"widget","price":1999}`)
	for _, bc := range []struct {
		name string
		mode Mode
	}{{"Pass", Pass}, {"Tee", Tee}, {"Hold", Hold}} {
		b.Run(bc.name, func(b *testing.B) {
			s := &sink{h: make(http.Header, 2)}
			b.ReportAllocs()
			for b.Loop() {
				w, rw := Get(s, bc.mode, 1<<10)
				rw.WriteHeader(http.StatusOK)
				_, _ = rw.Write(body)
				if w.Started() && w.Held() {
					_ = w.Release()
				}
				Put(w)
			}
		})
	}
}
