package storetest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/restwell/restwell/idempotency"
)

// testConcurrentMiddleware sends 200 identical requests at once through
// two middlewares sharing the store, as two instances of a service would:
// the handler must run exactly once, and every other request gets 409 or
// the replay.
func testConcurrentMiddleware(t *testing.T, s idempotency.Store) {
	var n atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		time.Sleep(20 * time.Millisecond)
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "created")
	})
	var srv [2]http.Handler
	for i := range srv {
		// A store made for this suite should have a generous timeout of its
		// own: this checks exactly-once execution, not how fast a store
		// serves 200 callers on a busy machine.
		m, err := idempotency.New(idempotency.Config{Store: s})
		if err != nil {
			t.Fatal(err)
		}
		srv[i] = m.Handler(h)
	}
	const total = 200
	var (
		wg                          sync.WaitGroup
		created, replayed, conflict atomic.Int32
		start                       = make(chan struct{})
	)
	for i := 0; i < total; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := httptest.NewRequest("POST", "/orders", strings.NewReader(`{"item":"mug"}`))
			r.Header.Set("Idempotency-Key", "same-key-"+t.Name())
			w := httptest.NewRecorder()
			<-start
			srv[i%2].ServeHTTP(w, r)
			switch {
			case w.Code == 201 && w.Header().Get("Idempotent-Replayed") == "true" && w.Body.String() == "created":
				replayed.Add(1)
			case w.Code == 201 && w.Body.String() == "created":
				created.Add(1)
			case w.Code == 409 && w.Header().Get("Retry-After") != "":
				conflict.Add(1)
			default:
				t.Errorf("unexpected response %d %q", w.Code, w.Body)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n.Load() != 1 || created.Load() != 1 {
		t.Fatalf("handler ran %d times, %d fresh responses; want 1 and 1", n.Load(), created.Load())
	}
	if replayed.Load()+conflict.Load() != total-1 {
		t.Fatalf("%d replays + %d conflicts, want %d", replayed.Load(), conflict.Load(), total-1)
	}
	t.Logf("1 execution, %d replays, %d conflicts", replayed.Load(), conflict.Load())
}
