package client

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestResponseBodies reads answers of every shape through the transport:
// the caller always gets the whole body, and a body cut off on the way is
// retried rather than handed over broken.
func TestResponseBodies(t *testing.T) {
	long := strings.Repeat("0123456789", 300)
	for _, tt := range []struct {
		name      string
		buffered  int64
		cutFirst  bool // the first answer is cut off mid-body
		chunked   bool
		body      string
		method    string
		wantCalls int
	}{
		{"buffered", 0, false, false, "hello", "GET", 1},
		{"chunked, buffered", 0, false, true, "hello", "GET", 1},
		{"cut off, retried", 0, true, false, long, "GET", 2},
		{"cut off chunked, retried", 0, true, true, long, "GET", 2},
		{"longer than the buffer", 100, false, false, long, "GET", 1},
		{"chunked, longer than the buffer", 100, false, true, long, "GET", 1},
		{"as long as the buffer", int64(len(long)), false, false, long, "GET", 1},
		{"not buffered", -1, false, false, long, "GET", 1},
		{"not retryable", 0, false, false, long, "POST", 1},
		{"empty", 0, false, false, "", "GET", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := calls.Add(1)
				if !tt.chunked {
					w.Header().Set("Content-Length", strconv.Itoa(len(tt.body)))
				}
				w.WriteHeader(200)
				if tt.cutFirst && n == 1 {
					io.WriteString(w, tt.body[:len(tt.body)/2])
					w.(http.Flusher).Flush()
					c, _, _ := http.NewResponseController(w).Hijack()
					c.Close()
					return
				}
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			cfg := fastConfig()
			cfg.MaxBufferedBody = tt.buffered
			tr, _ := NewTransport(cfg)
			req, _ := http.NewRequest(tt.method, srv.URL, nil)
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			_, err = io.Copy(&got, resp.Body) // through WriteTo where the body has it
			resp.Body.Close()
			if err != nil || got.String() != tt.body {
				t.Errorf("body of %d bytes (%v), want %d", got.Len(), err, len(tt.body))
			}
			if n := calls.Load(); int(n) != tt.wantCalls {
				t.Errorf("%d requests, want %d", n, tt.wantCalls)
			}
		})
	}
}

func TestBufferedBodyReads(t *testing.T) {
	for _, tt := range []struct {
		name string
		b    *bufferedBody
		want string
	}{
		{"memory", &bufferedBody{b: []byte("abc")}, "abc"},
		{"memory and rest", &bufferedBody{b: []byte("abc"), rest: io.NopCloser(strings.NewReader("def"))}, "abcdef"},
		{"rest only", &bufferedBody{rest: io.NopCloser(strings.NewReader("def"))}, "def"},
	} {
		got, err := io.ReadAll(tt.b) // Read, in small steps
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: ReadAll = %q, %v; want %q", tt.name, got, err, tt.want)
		}
		if err := tt.b.Close(); err != nil {
			t.Errorf("%s: Close: %v", tt.name, err)
		}
	}
}

// TestAttemptTimeout: an attempt that takes longer than AttemptTimeout is
// retried, and the answer that comes in time stays readable until closed.
func TestAttemptTimeout(t *testing.T) {
	for _, tt := range []struct {
		name     string
		method   string
		buffered int64
		slow     bool // the first answer is too slow
		want     int32
	}{
		{"slow first answer retried", "GET", 0, true, 2},
		{"buffered answer", "GET", 0, false, 1},
		{"streamed answer", "GET", -1, false, 1},
		{"answer to a request not retried", "POST", 0, false, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 && tt.slow {
					select {
					case <-r.Context().Done():
					case <-time.After(5 * time.Second):
					}
					return
				}
				io.WriteString(w, "done")
			}))
			defer srv.Close()
			cfg := fastConfig()
			cfg.AttemptTimeout = 200 * time.Millisecond
			cfg.MaxBufferedBody = tt.buffered
			tr, _ := NewTransport(cfg)
			req, _ := http.NewRequest(tt.method, srv.URL, nil)
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "done" || err != nil {
				t.Errorf("body %q, %v; want done", b, err)
			}
			if n := calls.Load(); n != tt.want {
				t.Errorf("%d requests, want %d", n, tt.want)
			}
		})
	}
}

// TestRetryReported: every retry reaches OnRetry and the logger, with the
// attempt, the reason, the status or the error, and the wait.
func TestRetryReported(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			c, _, _ := http.NewResponseController(w).Hijack()
			c.Close()
		case 2:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(503)
		}
	}))
	defer srv.Close()
	h := &recordHandler{}
	var hooked []Retry
	cfg := fastConfig()
	cfg.Logger = slog.New(h)
	cfg.OnRetry = func(r Retry) { hooked = append(hooked, r) }
	tr, _ := NewTransport(cfg)
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/x?token=secret")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(hooked) != 2 || hooked[0].Reason != ReasonConnection || hooked[0].Err == nil ||
		hooked[1].Reason != ReasonStatus || hooked[1].Status != 503 || hooked[1].Attempt != 2 {
		t.Fatalf("hook saw %+v, want a connection retry then a 503 one", hooked)
	}
	logged := h.records(slog.LevelInfo, "client: retrying")
	if len(logged) != 2 {
		t.Fatalf("%d retry records, want 2", len(logged))
	}
	for i, want := range []map[string]string{
		{"attempt": "1", "reason": "connection", "url": srv.URL + "/x"},
		{"attempt": "2", "reason": "status", "status": "503", "url": srv.URL + "/x"},
	} {
		for k, v := range want {
			if logged[i][k] != v {
				t.Errorf("record %d: %s = %q, want %q", i, k, logged[i][k], v)
			}
		}
		if _, ok := logged[i]["wait"]; !ok {
			t.Errorf("record %d has no wait", i)
		}
	}
	if logged[0]["error"] == "" {
		t.Error("the connection retry's record has no error")
	}
}

func TestCanceledWhileWaiting(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "2")
		w.WriteHeader(503)
	}))
	defer srv.Close()
	tr, _ := NewTransport(fastConfig())
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	start := time.Now()
	_, err := tr.RoundTrip(req)
	if !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Errorf("error %v after %s, want Canceled at once", err, time.Since(start))
	}
}

func TestBaseMisbehaves(t *testing.T) {
	for _, tt := range []struct {
		name string
		base baseFunc
		req  func() *http.Request
		want string
	}{
		{"neither response nor error", func(*http.Request) (*http.Response, error) { return nil, nil },
			func() *http.Request { r, _ := http.NewRequest("GET", "http://a.example/", nil); return r }, "neither"},
		{"body not replayable the second time", func(*http.Request) (*http.Response, error) { return nil, errors.New("lost") },
			func() *http.Request {
				r, _ := http.NewRequest("PUT", "http://a.example/", strings.NewReader("x"))
				r.GetBody = func() (io.ReadCloser, error) { return nil, errors.New("gone") }
				return r
			}, "replaying the request body"},
		{"attempts exhausted", func(*http.Request) (*http.Response, error) { return nil, errors.New("lost") },
			func() *http.Request { r, _ := http.NewRequest("GET", "http://a.example/", nil); return r }, "gave up after 4 attempts: lost"},
	} {
		cfg := fastConfig()
		cfg.Base = tt.base
		tr, _ := NewTransport(cfg)
		_, err := tr.RoundTrip(tt.req())
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want it to say %q", tt.name, err, tt.want)
		}
	}
}

// TestLongConflictNotInProgress: a 409 whose body is too long to be an
// in-progress answer is returned whole, not retried.
func TestLongConflictNotInProgress(t *testing.T) {
	body := `{"error":{"code":"idempotency_in_progress"` + strings.Repeat(" ", maxErrorBody) + `}}`
	s := &script{steps: []func(http.ResponseWriter, *http.Request){func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(409)
		io.WriteString(w, body)
	}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	tr, _ := NewTransport(fastConfig())
	req, _ := http.NewRequest("POST", srv.URL, strings.NewReader("x"))
	req.Header.Set("Idempotency-Key", `"k"`)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 409 || string(b) != body || len(s.reqs) != 1 {
		t.Errorf("status %d, %d of %d body bytes, %d requests; want 409, the whole body, 1", resp.StatusCode, len(b), len(body), len(s.reqs))
	}
}

// cutReader returns its text and then fails, as a connection lost
// mid-body does.
type cutReader struct{ s string }

func (r *cutReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, r.s)
	r.s = r.s[n:]
	return n, nil
}

// TestKeyedBodies reads answers of every length to POSTs the transport
// keys, whose bodies it buffers in the call's own memory when they are
// short: the caller gets each whole, a body cut off is retried under the
// same key, and the caller's request keeps its headers as they were.
func TestKeyedBodies(t *testing.T) {
	short := strings.Repeat("s", smallBody)
	for _, tt := range []struct {
		name      string
		body      string
		announced int64 // the Content-Length; -1 unknown
		cutFirst  bool  // the first answer announces smallBody bytes and breaks off half way
		want      string
		wantCalls int
	}{
		{"empty", "", 0, false, "", 1},
		{"short", `{"ok":true}`, 11, false, `{"ok":true}`, 1},
		{"as long as fits", short, int64(smallBody), false, short, 1},
		{"one byte too long to fit", short + "x", int64(smallBody) + 1, false, short + "x", 1},
		{"long", strings.Repeat("l", 5000), 5000, false, strings.Repeat("l", 5000), 1},
		{"length unknown", `{"ok":true}`, -1, false, `{"ok":true}`, 1},
		{"longer than announced", "hello, world", 5, false, "hello, world", 1},
		{"cut off, retried", short, int64(smallBody), true, short, 2},
		{"cut off, then shorter", `{"ok":true}`, 11, true, `{"ok":true}`, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var keys []string
			base := baseFunc(func(r *http.Request) (*http.Response, error) {
				mu.Lock()
				keys = append(keys, r.Header.Get(hdrKey))
				n := len(keys)
				mu.Unlock()
				var body io.Reader = strings.NewReader(tt.body)
				announced := tt.announced
				if tt.cutFirst && n == 1 {
					body, announced = &cutReader{s: strings.Repeat("x", smallBody/2)}, int64(smallBody)
				}
				return &http.Response{StatusCode: 201, Header: http.Header{}, Body: io.NopCloser(body),
					ContentLength: announced, Request: r}, nil
			})
			cfg := fastConfig()
			cfg.Base = base
			cfg.IdempotencyKeys = true
			tr, _ := NewTransport(cfg)
			req, _ := http.NewRequest("POST", "http://api.example.com/orders", strings.NewReader("order"))
			req.Header.Set("Content-Type", "application/json")
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || string(got) != tt.want {
				t.Errorf("body %q (%v), want %q", got, err, tt.want)
			}
			if len(keys) != tt.wantCalls {
				t.Fatalf("%d requests, want %d", len(keys), tt.wantCalls)
			}
			for i, k := range keys {
				if len(k) != keyLen || k != keys[0] {
					t.Errorf("attempt %d key %q, want %q", i+1, k, keys[0])
				}
			}
			if k := resp.Request.Header.Get(hdrKey); k != keys[0] {
				t.Errorf("the response's request has key %q, want %q", k, keys[0])
			}
			if len(req.Header) != 1 || req.Header.Get("Content-Type") != "application/json" {
				t.Errorf("the caller's request headers became %v", req.Header)
			}
		})
	}
}

// TestKeyedConcurrent makes keyed POSTs from many goroutines through one
// transport: every call gets a key of its own and its own answer whole.
func TestKeyedConcurrent(t *testing.T) {
	base := baseFunc(func(r *http.Request) (*http.Response, error) {
		body := "answer to " + r.Header.Get(hdrKey)
		return &http.Response{StatusCode: 201, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)),
			ContentLength: int64(len(body)), Request: r}, nil
	})
	cfg := fastConfig()
	cfg.Base = base
	cfg.IdempotencyKeys = true
	tr, _ := NewTransport(cfg)
	const workers, calls = 8, 200
	var mu sync.Mutex
	seen := make(map[string]bool)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range calls {
				req, _ := http.NewRequest("POST", "http://api.example.com/orders", nil)
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Error(err)
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				k := resp.Request.Header.Get(hdrKey)
				if want := "answer to " + k; string(b) != want {
					t.Errorf("body %q, want %q", b, want)
				}
				mu.Lock()
				if seen[k] {
					t.Errorf("key %s given twice", k)
				}
				seen[k] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != workers*calls {
		t.Errorf("%d keys, want %d", len(seen), workers*calls)
	}
}
