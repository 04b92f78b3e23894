package idempotency_test

import (
	stderrors "errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/restwell/restwell/idempotency"
)

// TestLateBodyReadSeesNoOtherRequest leaks, from a handler behind the
// middleware, a goroutine that keeps reading the request body while the
// handler returns and while later requests, with bodies of the same size
// (so they reuse the pooled buffer), run through the same middleware. The
// goroutine reads only bytes of its own body, then
// http.ErrBodyReadAfterClose; every later handler reads exactly its own
// body.
func TestLateBodyReadSeesNoOtherRequest(t *testing.T) {
	const (
		size    = 30000 // one body size for every request
		started = 100   // bytes the goroutine reads before the handler returns
	)
	tests := []struct {
		name     string
		failOpen bool // the store is down and the handler runs without a lease
	}{
		{name: "lease"},
		{name: "fail open", failOpen: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &flaky{Store: newMemory(t)}
			store.down.Store(tt.failOpen)
			type result struct {
				foreign int   // bytes read that are not the leaked body's
				total   int   // bytes read
				err     error // the error that ended the reads
			}
			stop := make(chan struct{})
			reading := make(chan struct{}) // the goroutine read its first bytes
			done := make(chan result, 1)
			bodyOf := func(i int) string {
				return strings.Repeat(fmt.Sprintf("%06d", i), size/6)
			}
			h := newMiddleware(t, idempotency.Config{
				Store:        store,
				StoreFailure: failureOf(tt.failOpen),
				Logger:       slog.New(slog.DiscardHandler),
			}).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/leak" {
					go func(body io.Reader) {
						var res result
						p := make([]byte, 1)
						for {
							n, err := body.Read(p)
							res.total += n
							if res.total == started {
								close(reading)
							}
							if n == 1 && p[0] != 'L' {
								res.foreign++
							}
							if err != nil && err != io.EOF {
								res.err = err
								break
							}
							select {
							case <-stop:
								res.err = err
							default:
								if err == io.EOF {
									runtime.Gosched()
								}
								continue
							}
							break
						}
						done <- res
					}(r.Body)
					<-reading // return while the goroutine reads on
					w.WriteHeader(http.StatusAccepted)
					return
				}
				got, err := io.ReadAll(r.Body)
				if err != nil || string(got) != bodyOf(len(r.URL.Path)) {
					http.Error(w, "wrong body", http.StatusTeapot)
					return
				}
				w.WriteHeader(http.StatusCreated)
			}))

			leak := httptest.NewRequest("POST", "/leak", strings.NewReader(strings.Repeat("L", size)))
			leak.Header.Set("Idempotency-Key", "leak")
			if w := serve(h, leak); w.Code != http.StatusAccepted {
				t.Fatalf("leaking request: status %d, want 202", w.Code)
			}
			for i := 1; i <= 200; i++ {
				// The path's length names the body a handler must read.
				r := httptest.NewRequest("POST", "/"+strings.Repeat("x", i-1), strings.NewReader(bodyOf(i)))
				r.Header.Set("Idempotency-Key", fmt.Sprintf("later-%d", i))
				if w := serve(h, r); w.Code != http.StatusCreated {
					t.Fatalf("request %d: status %d %q, want 201", i, w.Code, w.Body)
				}
			}
			close(stop)
			res := <-done
			if res.foreign != 0 || res.total < started || res.total > size {
				t.Errorf("leaked goroutine read %d bytes, %d of them another request's; want %d to %d, none foreign", res.total, res.foreign, started, size)
			}
			t.Logf("the leaked goroutine read %d bytes", res.total)
			if !stderrors.Is(res.err, http.ErrBodyReadAfterClose) {
				t.Errorf("late Read ended with %v, want %v", res.err, http.ErrBodyReadAfterClose)
			}
		})
	}
}

func failureOf(open bool) idempotency.StoreFailure {
	if open {
		return idempotency.FailOpen
	}
	return idempotency.FailClosed
}
