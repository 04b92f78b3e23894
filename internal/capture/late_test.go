package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// records is a slog.Handler that keeps the messages and "call" attributes
// it receives.
type records struct {
	mu    sync.Mutex
	calls []string
}

func (h *records) Enabled(context.Context, slog.Level) bool { return true }
func (h *records) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *records) WithGroup(string) slog.Handler            { return h }
func (h *records) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "call" {
			h.calls = append(h.calls, a.Value.String())
		}
		return true
	})
	return nil
}

func (h *records) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.calls...)
}

// serve runs handler behind a Writer the way a middleware does: Get, the
// handler, Detach, a look at the result, Release and Put.
func serve(rw http.ResponseWriter, mode Mode, log *slog.Logger, handler func(http.ResponseWriter)) {
	w, hw := Get(rw, mode, 1<<20)
	w.Logger = log
	handler(hw)
	w.Detach()
	if !w.Started() {
		w.WriteHeader(http.StatusOK)
	}
	if w.Held() {
		_ = w.Release()
	}
	Put(w)
}

// lateUse is what a leaked goroutine does with the writer it kept: every
// call a handler can make, each of which must be dropped.
func lateUse(t *testing.T, hw http.ResponseWriter) {
	hw.Header().Set("X-Leak", "1")
	hw.Header()["Set-Cookie"] = []string{"session=stolen"}
	hw.WriteHeader(http.StatusTeapot)
	if n, err := hw.Write([]byte("LEAK")); n != 0 || !errors.Is(err, ErrDetached) {
		t.Errorf("late Write = %d, %v, want 0, ErrDetached", n, err)
	}
	if f, ok := hw.(http.Flusher); ok {
		f.Flush()
	}
	rc := http.NewResponseController(hw)
	_ = rc.Flush()
	if err := rc.EnableFullDuplex(); err == nil {
		t.Error("late EnableFullDuplex reached the connection")
	}
	if h, ok := hw.(http.Hijacker); ok {
		if c, _, err := h.Hijack(); err == nil || c != nil {
			t.Errorf("late Hijack = %v, %v, want nil, an error", c, err)
		}
	}
}

// TestLateWritesNeverReachAnotherResponse leaks a goroutine from a
// handler that uses its writer only after the handler's middleware has
// finished, while other requests run through new Writers in parallel. The
// late calls are dropped and logged once; the other responses, and the
// first one, carry exactly their own bytes and headers.
func TestLateWritesNeverReachAnotherResponse(t *testing.T) {
	for _, mode := range []Mode{Pass, Tee, Hold} {
		t.Run(fmt.Sprint("mode ", mode), func(t *testing.T) {
			log := &records{}
			logger := slog.New(log)
			first := httptest.NewRecorder()
			kept := make(chan http.ResponseWriter, 1)
			serve(first, mode, logger, func(hw http.ResponseWriter) {
				hw.Header().Set("Content-Type", "text/plain")
				_, _ = hw.Write([]byte("first"))
				kept <- hw // the leaked goroutine's copy
			})
			hw := <-kept
			firstBody, firstHeader := first.Body.String(), first.Header().Clone()

			const others = 8
			var wg sync.WaitGroup
			recs := make([]*httptest.ResponseRecorder, others)
			start := make(chan struct{})
			for i := range recs {
				recs[i] = httptest.NewRecorder()
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					for range 50 {
						recs[i].Body.Reset()
						serve(recs[i], mode, logger, func(w http.ResponseWriter) {
							w.Header().Set("X-Request", fmt.Sprint(i))
							_, _ = w.Write(bytes.Repeat([]byte{byte('a' + i)}, ChunkSize+10))
						})
					}
				}()
			}
			wg.Add(1)
			go func() { // the goroutine the first handler leaked
				defer wg.Done()
				<-start
				for range 50 {
					lateUse(t, hw)
				}
			}()
			close(start)
			wg.Wait()

			for i, rec := range recs {
				want := strings.Repeat(string(rune('a'+i)), ChunkSize+10)
				if got := rec.Body.String(); got != want {
					t.Errorf("request %d: body has %d bytes, want %d of %q only", i, len(got), len(want), want[:1])
				}
				if rec.Code != http.StatusOK || rec.Header().Get("X-Leak") != "" || rec.Header().Get("Set-Cookie") != "" {
					t.Errorf("request %d: status %d, header %v", i, rec.Code, rec.Header())
				}
			}
			if got := first.Body.String(); got != firstBody {
				t.Errorf("first response body = %q after the late writes, want %q", got, firstBody)
			}
			if got := first.Header(); len(got) != len(firstHeader) || got.Get("X-Leak") != "" {
				t.Errorf("first response header = %v after the late writes, want %v", got, firstHeader)
			}
			if got := log.got(); len(got) != 1 || got[0] != "Header" {
				t.Errorf("logged calls %q, want one report of the first late call, Header", got)
			}
		})
	}
}

// TestRacingWriterCannotTouchPooledChunks has a leaked goroutine write
// without pause from before its handler returns until well after, in the
// modes that keep the body in pooled chunks, while other requests fill
// chunks of their own. Its writes land in its own response until Detach
// and nowhere afterwards. The race detector checks the claim that the
// handler's calls and Detach are exclusive.
func TestRacingWriterCannotTouchPooledChunks(t *testing.T) {
	for _, mode := range []Mode{Tee, Hold} {
		t.Run(fmt.Sprint("mode ", mode), func(t *testing.T) {
			logger := slog.New(&records{})
			const others = 4
			recs := make([]*httptest.ResponseRecorder, others)
			var wg sync.WaitGroup
			for round := range 20 {
				leaked := httptest.NewRecorder()
				running := make(chan struct{})
				done := make(chan struct{})
				serve(leaked, mode, logger, func(hw http.ResponseWriter) {
					go func() {
						defer close(done)
						close(running)
						for {
							if _, err := hw.Write(bytes.Repeat([]byte("Z"), 512)); err != nil {
								return
							}
						}
					}()
					<-running
				})
				for i := range recs {
					recs[i] = httptest.NewRecorder()
					wg.Add(1)
					go func() {
						defer wg.Done()
						serve(recs[i], mode, logger, func(w http.ResponseWriter) {
							_, _ = w.Write(bytes.Repeat([]byte{byte('a' + i)}, 3*ChunkSize))
						})
					}()
				}
				wg.Wait()
				<-done
				for i, rec := range recs {
					if got := rec.Body.String(); got != strings.Repeat(string(rune('a'+i)), 3*ChunkSize) {
						t.Fatalf("round %d, request %d: body holds bytes of another response (%d Z)", round, i, strings.Count(got, "Z"))
					}
				}
				if strings.Trim(leaked.Body.String(), "Z") != "" {
					t.Fatalf("round %d: the leaking response holds foreign bytes", round)
				}
			}
		})
	}
}
