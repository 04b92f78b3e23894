package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	apierrors "github.com/restwell/restwell/errors"
)

// Benchmarks of the item reads in-process (no network), with the bare
// handlers, the full middleware stack, and the full stack with Telemetry
// (-metrics, exported by Prometheus), to see what the middleware and the
// metrics cost per request. The access log goes to io.Discard (it is still
// formatted). examples/loadtest measures the same over TCP with wrk.
//
//	go test ./examples/shop -run '^$' -bench . -benchmem
func BenchmarkItemReads(b *testing.B) {
	for _, name := range []string{"bare", "full", "metrics"} {
		cfg := testConfig(b)
		cfg.Rate.Limit, cfg.Rate.Window = 1e9, time.Second // decides every request, refuses none
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		if name == "metrics" {
			tel, err := NewTelemetry(b.Context(), TelemetryConfig{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { tel.Shutdown(context.Background()) })
			cfg.Telemetry = tel
		}
		s, err := NewServer(b.Context(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		for i := range 100 {
			if _, err := s.store.CreateItem(b.Context(), "item "+strings.Repeat("x", i%10), Price{int64(i) * 10, "USD"}); err != nil {
				b.Fatal(err)
			}
		}
		h := s.Handler()
		if name == "bare" {
			h = bareHandler(s)
		}
		for _, sc := range []struct{ name, path, inm string }{
			{"item", "/api/v2/items/1", ""},
			{"item-304", "/api/v2/items/1", `"1.1"`},
			{"list", "/api/v2/items", ""},
		} {
			b.Run(name+"/"+sc.name, func(b *testing.B) {
				req := httptest.NewRequest("GET", sc.path, nil)
				req.RemoteAddr = "192.0.2.1:1234"
				if sc.inm != "" {
					req.Header.Set("If-None-Match", sc.inm)
				}
				b.ReportAllocs()
				for b.Loop() {
					w := &discardWriter{h: http.Header{}}
					h.ServeHTTP(w, req)
					if w.code != 200 && w.code != 304 {
						b.Fatalf("status %d", w.code)
					}
				}
			})
		}
	}
}

// bareHandler serves the item reads of s, GET /api/v2/items and
// GET /api/v2/items/{id}, with their handlers and none of the middleware:
// what the middleware's cost is measured against, here and by
// examples/loadtest (loadtest_test.go).
func bareHandler(s *Server) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /api/v2/items", apierrors.Handler(s.listItems))
	mux.Handle("GET /api/v2/items/{id}", apierrors.Handler(s.getItem))
	return mux
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
func (w *discardWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = 200
	}
	return len(b), nil
}

// BenchmarkStack measures the service-wide middleware alone, around a
// handler that writes a small JSON body without touching the database:
// "none" is the handler by itself.
func BenchmarkStack(b *testing.B) {
	cfg := testConfig(b)
	cfg.Rate.Limit, cfg.Rate.Window = 1e9, time.Second
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := NewServer(b.Context(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	key, sum := newAPIKey()
	if err := s.store.AddAPIKey(b.Context(), sum, "bench"); err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/ping", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"pong": "yes"})
	})
	for _, tt := range []struct {
		name string
		h    http.Handler
	}{{"none", mux}, {"full", s.stack(mux)}} {
		b.Run(tt.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/api/v2/ping", nil)
			req.RemoteAddr = "192.0.2.1:1234"
			req.Header.Set("Authorization", "Bearer "+key)
			b.ReportAllocs()
			for b.Loop() {
				w := &discardWriter{h: http.Header{}}
				tt.h.ServeHTTP(w, req)
				if w.code != 200 {
					b.Fatalf("status %d", w.code)
				}
			}
		})
	}
}
