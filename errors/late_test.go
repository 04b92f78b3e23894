package errors

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/restwell/restwell/internal/testenv"
)

// TestLateWriteIsDroppedAndLogged leaks, from handlers behind Handler,
// Recover and WrapMux, a goroutine that writes once the request is over,
// while the next requests are served: their responses hold only their
// own bytes and headers, and the Renderer's logger reports the late call.
func TestLateWriteIsDroppedAndLogged(t *testing.T) {
	wraps := []struct {
		name string
		wrap func(http.HandlerFunc) http.Handler
	}{
		{"Handler", func(f http.HandlerFunc) http.Handler {
			return Handler(func(w http.ResponseWriter, r *http.Request) error { f(w, r); return nil })
		}},
		{"Recover", func(f http.HandlerFunc) http.Handler { return Recover(f) }},
		{"WrapMux", func(f http.HandlerFunc) http.Handler { return WrapMux(f) }},
		{"Handler inside WrapMux", func(f http.HandlerFunc) http.Handler {
			return WrapMux(Handler(func(w http.ResponseWriter, r *http.Request) error { f(w, r); return nil }))
		}},
	}
	for _, tt := range wraps {
		t.Run(tt.name, func(t *testing.T) {
			var logs testenv.Buffer
			rd := &Renderer{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			kept := make(chan http.ResponseWriter, 1)
			h := rd.Handler(tt.wrap(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/leak" {
					kept <- w
				}
				w.Header().Set("X-Path", r.URL.Path)
				_, _ = w.Write([]byte("own " + r.URL.Path))
			}))
			first := httptest.NewRecorder()
			h.ServeHTTP(first, httptest.NewRequest("GET", "/leak", nil))
			late := <-kept

			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 100 {
					late.Header().Set("X-Leak", "1")
					late.WriteHeader(http.StatusTeapot)
					_, _ = late.Write([]byte("LEAK"))
				}
			}()
			for range 100 {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", "/next", nil))
				if rec.Body.String() != "own /next" || rec.Code != 200 || rec.Header().Get("X-Leak") != "" {
					t.Fatalf("next response: %d %v %q", rec.Code, rec.Header(), rec.Body.String())
				}
			}
			wg.Wait()
			if first.Body.String() != "own /leak" || first.Header().Get("X-Leak") != "" || first.Code != 200 {
				t.Errorf("first response changed: %d %v %q", first.Code, first.Header(), first.Body.String())
			}
			if got := logs.String(); strings.Count(got, "after the handler returned") != 1 {
				t.Errorf("log = %q, want one report of the late call", got)
			}
		})
	}
}
