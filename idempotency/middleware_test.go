package idempotency_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	stderrors "errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/idempotency"
	"github.com/restwell/restwell/internal/sfv"
)

func newMiddleware(t testing.TB, cfg idempotency.Config) *idempotency.Middleware {
	t.Helper()
	m, err := idempotency.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func newMemory(t testing.TB) *idempotency.MemoryStore {
	t.Helper()
	s, err := idempotency.NewMemoryStore(idempotency.MemoryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// req builds a request; headers come in name, value pairs.
func req(method, target, key, body string, headers ...string) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	if key != "" {
		r.Header.Set("Idempotency-Key", key)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return r
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// counter is a handler that counts its runs and answers 201 with a body
// naming the run.
type counter struct {
	n      atomic.Int32
	status int
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := c.n.Add(1)
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Location", "/orders/1")
	w.Header().Set("Set-Cookie", "session=secret")
	w.Header().Set("X-Internal", "1")
	status := c.status
	if status == 0 {
		status = http.StatusCreated
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"run":%d,"echo":%q}`, n, body)
}

// wantError checks a refusal: status, the envelope's code, and whether
// Retry-After is set.
func wantError(t *testing.T, w *httptest.ResponseRecorder, status int, code string, retryAfter bool) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
	var env struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
		t.Fatalf("body %q is not the error envelope: %v", w.Body, err)
	}
	if env.Error.Code != code {
		t.Fatalf("code %q, want %q", env.Error.Code, code)
	}
	if got := w.Header().Get("Retry-After"); (got != "") != retryAfter {
		t.Fatalf("Retry-After %q, want present %v", got, retryAfter)
	}
	if w.Header().Get("Idempotent-Replayed") != "" {
		t.Fatal("a refusal carries Idempotent-Replayed")
	}
}

func wantReplay(t *testing.T, w, first *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code != first.Code || !bytes.Equal(w.Body.Bytes(), first.Body.Bytes()) {
		t.Fatalf("replay = %d %q, want %d %q", w.Code, w.Body, first.Code, first.Body)
	}
	if got := w.Header().Get("Idempotent-Replayed"); got != "true" {
		t.Fatalf("Idempotent-Replayed = %q, want true", got)
	}
}

func TestReplay(t *testing.T) {
	h := &counter{}
	m := newMiddleware(t, idempotency.Config{})
	srv := m.Handler(h)
	first := serve(srv, req("POST", "/orders", "k1", `{"n":1}`))
	if first.Code != http.StatusCreated || first.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("first = %d, Idempotent-Replayed %q", first.Code, first.Header().Get("Idempotent-Replayed"))
	}
	for i := 0; i < 3; i++ {
		w := serve(srv, req("POST", "/orders", "k1", `{"n":1}`))
		wantReplay(t, w, first)
		for name, want := range map[string]string{
			"Content-Type":   "application/json",
			"Location":       "/orders/1",
			"Content-Length": fmt.Sprint(first.Body.Len()),
			"Set-Cookie":     "",
			"X-Internal":     "",
		} {
			if got := w.Header().Get(name); got != want {
				t.Errorf("replayed %s = %q, want %q", name, got, want)
			}
		}
	}
	if n := h.n.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want 1", n)
	}
}

func TestReplayedHeaderIsStructured(t *testing.T) {
	m := newMiddleware(t, idempotency.Config{})
	srv := m.Handler(&counter{})
	serve(srv, req("POST", "/", "k", "{}"))
	w := serve(srv, req("POST", "/", "k", "{}"))
	it, err := sfv.ParseItem(w.Header().Get("Idempotent-Replayed"))
	if err != nil {
		// "true" is an sf-token.
		t.Fatalf("Idempotent-Replayed: %v", err)
	}
	if it.Value != sfv.Token("true") {
		t.Fatalf("Idempotent-Replayed = %v, want the token true", it.Value)
	}
}

func TestSetCookieNeverReplayed(t *testing.T) {
	for _, name := range []string{"Set-Cookie", "set-cookie", "Authorization", "Connection", "Transfer-Encoding", "Upgrade", "Keep-Alive", "Trailer", "TE", "Proxy-Authenticate"} {
		if _, err := idempotency.New(idempotency.Config{ReplayHeaders: []string{"Content-Type", name}}); err == nil {
			t.Errorf("New accepted %s in ReplayHeaders", name)
		} else if !strings.HasPrefix(err.Error(), "idempotency: ") {
			t.Errorf("error %q lacks the package prefix", err)
		}
	}
	m := newMiddleware(t, idempotency.Config{ReplayHeaders: []string{"Content-Type", "X-Internal"}})
	srv := m.Handler(&counter{})
	serve(srv, req("POST", "/", "k", "{}"))
	w := serve(srv, req("POST", "/", "k", "{}"))
	if w.Header().Get("Set-Cookie") != "" || w.Header().Get("Location") != "" {
		t.Errorf("replayed headers %v include a field outside the allowlist", w.Header())
	}
	if w.Header().Get("X-Internal") != "1" {
		t.Errorf("configured X-Internal not replayed: %v", w.Header())
	}
}

func TestQuotedAndBareKeysAreOne(t *testing.T) {
	h := &counter{}
	srv := newMiddleware(t, idempotency.Config{}).Handler(h)
	first := serve(srv, req("POST", "/", `"8e03978e-40d5-43e8-bc93-6894a57f9324"`, "{}"))
	wantReplay(t, serve(srv, req("POST", "/", `8e03978e-40d5-43e8-bc93-6894a57f9324`, "{}")), first)
	if h.n.Load() != 1 {
		t.Fatalf("handler ran %d times", h.n.Load())
	}
}

func TestKeyMissing(t *testing.T) {
	h := &counter{}
	m := newMiddleware(t, idempotency.Config{})
	// Optional by default: no key, no idempotency.
	for i := 0; i < 2; i++ {
		if w := serve(m.Handler(h), req("POST", "/", "", "{}")); w.Code != http.StatusCreated {
			t.Fatalf("status %d", w.Code)
		}
	}
	if h.n.Load() != 2 {
		t.Fatalf("handler ran %d times, want 2", h.n.Load())
	}
	h.n.Store(0)
	wantError(t, serve(m.Require(h), req("POST", "/", "", "{}")), 400, "idempotency_key_missing", false)
	mr := newMiddleware(t, idempotency.Config{Required: true})
	wantError(t, serve(mr.Handler(h), req("PATCH", "/", "", "{}")), 400, "idempotency_key_missing", false)
	// Methods outside the configured ones are never refused.
	if w := serve(mr.Handler(h), req("GET", "/", "", "")); w.Code != http.StatusCreated {
		t.Fatalf("GET status %d", w.Code)
	}
	if h.n.Load() != 1 {
		t.Fatalf("handler ran %d times, want 1 (the GET)", h.n.Load())
	}
}

func TestKeyInvalid(t *testing.T) {
	h := &counter{}
	srv := newMiddleware(t, idempotency.Config{}).Handler(h)
	for _, key := range []string{`""`, strings.Repeat("k", 256), `a b`, "clé", `"abc`, "a\x01b", `"a\tb"`, `"a", "b"`} {
		wantError(t, serve(srv, req("POST", "/", key, "{}")), 400, "idempotency_key_invalid", false)
	}
	r := req("POST", "/", "a", "{}")
	r.Header.Add("Idempotency-Key", "b")
	wantError(t, serve(srv, r), 400, "idempotency_key_invalid", false)
	r = req("POST", "/", "", "{}")
	r.Header["Idempotency-Key"] = []string{""}
	wantError(t, serve(srv, r), 400, "idempotency_key_invalid", false)
	if h.n.Load() != 0 {
		t.Fatalf("handler ran %d times", h.n.Load())
	}
}

// TestKeySpaces pins that any sf-string is a key, spaces included, and
// that keys differing only in spaces or escapes are different records.
func TestKeySpaces(t *testing.T) {
	h := &counter{}
	srv := newMiddleware(t, idempotency.Config{}).Handler(h)
	keys := []string{`"a b"`, `"a  b"`, `" a b"`, `"a b "`, `"ab"`, `" "`, `"  "`, `"a \"b\""`, `"a \\b"`}
	first := make([]*httptest.ResponseRecorder, len(keys))
	for i, k := range keys {
		first[i] = serve(srv, req("POST", "/orders", k, "{}"))
		if first[i].Code != http.StatusCreated || first[i].Header().Get("Idempotent-Replayed") != "" {
			t.Fatalf("first request with %s: %d, replayed %q; want a new 201", k, first[i].Code, first[i].Header().Get("Idempotent-Replayed"))
		}
	}
	if got := h.n.Load(); got != int32(len(keys)) {
		t.Fatalf("handler ran %d times for %d distinct keys", got, len(keys))
	}
	for i, k := range keys {
		wantReplay(t, serve(srv, req("POST", "/orders", k, "{}")), first[i])
	}
	// The bare form of a key without spaces is its quoted form.
	wantReplay(t, serve(srv, req("POST", "/orders", "ab", "{}")), first[4])
	if got := h.n.Load(); got != int32(len(keys)) {
		t.Fatalf("handler ran %d times, want %d: a retry ran it again", got, len(keys))
	}
}

// TestKeyLogged pins that a key with spaces and quotes reaches a log
// record as one quoted value that reads back as the key.
func TestKeyLogged(t *testing.T) {
	var logs bytes.Buffer
	store := &flaky{Store: newMemory(t)}
	store.down.Store(true)
	srv := newMiddleware(t, idempotency.Config{Store: store, Logger: slog.New(slog.NewTextHandler(&logs, nil))}).Handler(&counter{})
	wantError(t, serve(srv, req("POST", "/", `"order 42 \"x\" key=y"`, "{}")), 503, "idempotency_unavailable", true)
	const want = ` key="order 42 \"x\" key=y" `
	if !strings.Contains(logs.String(), want) {
		t.Fatalf("log %q does not hold %q", logs.String(), want)
	}
	if strings.Count(logs.String(), "\n") != 1 {
		t.Fatalf("log %q is not one record", logs.String())
	}
}

func TestKeyReused(t *testing.T) {
	h := &counter{}
	srv := newMiddleware(t, idempotency.Config{Methods: []string{"POST", "PATCH", "PUT"}}).Handler(h)
	first := serve(srv, req("POST", "/orders?a=1", "k", `{"n":1}`))
	for _, r := range []*http.Request{
		req("POST", "/orders?a=1", "k", `{"n":2}`),
		req("PATCH", "/orders?a=1", "k", `{"n":1}`),
		req("POST", "/orders/2?a=1", "k", `{"n":1}`),
		req("POST", "/orders?a=2", "k", `{"n":1}`),
		req("POST", "/orders", "k", `{"n":1}`),
		func() *http.Request {
			r := req("POST", "/orders?a=1", "k", `{"n":1}`)
			r.Header.Set("Content-Type", "text/plain")
			return r
		}(),
	} {
		wantError(t, serve(srv, r), 422, "idempotency_key_reused", false)
	}
	wantReplay(t, serve(srv, req("POST", "/orders?a=1", "k", `{"n":1}`)), first)
	if h.n.Load() != 1 {
		t.Fatalf("handler ran %d times", h.n.Load())
	}
}

func TestCanonicalQuery(t *testing.T) {
	h := &counter{}
	srv := newMiddleware(t, idempotency.Config{}).Handler(h)
	first := serve(srv, req("POST", "/orders?b=2&a=1", "k", "{}"))
	wantReplay(t, serve(srv, req("POST", "/orders?a=%31&b=2", "k", "{}")), first)
}

// block is a handler that signals when it starts and waits to be let go.
type block struct {
	started chan struct{}
	release chan struct{}
	n       atomic.Int32
	ctxErr  atomic.Value
}

func newBlock() *block {
	return &block{started: make(chan struct{}, 100), release: make(chan struct{})}
}

func (b *block) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := b.n.Add(1)
	b.started <- struct{}{}
	select {
	case <-b.release:
	case <-r.Context().Done():
		b.ctxErr.Store(context.Cause(r.Context()))
		<-b.release
	}
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, "run %d", n)
}

func TestInProgress(t *testing.T) {
	for _, mk := range []func() idempotency.Store{
		func() idempotency.Store { return newMemory(t) },
	} {
		b := newBlock()
		srv := newMiddleware(t, idempotency.Config{Store: mk(), RetryAfter: 1500 * time.Millisecond}).Handler(b)
		done := make(chan *httptest.ResponseRecorder)
		go func() { done <- serve(srv, req("POST", "/", "k", "{}")) }()
		<-b.started
		w := serve(srv, req("POST", "/", "k", "{}"))
		wantError(t, w, 409, "idempotency_in_progress", true)
		if got := w.Header().Get("Retry-After"); got != "2" {
			t.Errorf("Retry-After = %q, want 2 (1.5 s rounded up)", got)
		}
		// A different request under the held key is refused as reuse.
		wantError(t, serve(srv, req("POST", "/", "k", `{"other":1}`)), 422, "idempotency_key_reused", false)
		close(b.release)
		first := <-done
		wantReplay(t, serve(srv, req("POST", "/", "k", "{}")), first)
		if b.n.Load() != 1 {
			t.Fatalf("handler ran %d times", b.n.Load())
		}
	}
}

func TestWaitThenReplay(t *testing.T) {
	b := newBlock()
	srv := newMiddleware(t, idempotency.Config{Wait: 10 * time.Second}).Handler(b)
	done := make(chan *httptest.ResponseRecorder, 2)
	go func() { done <- serve(srv, req("POST", "/", "k", "{}")) }()
	<-b.started
	go func() { done <- serve(srv, req("POST", "/", "k", "{}")) }()
	time.Sleep(50 * time.Millisecond)
	close(b.release)
	a, c := <-done, <-done
	if a.Code != 201 || c.Code != 201 || a.Body.String() != "run 1" || c.Body.String() != "run 1" {
		t.Fatalf("responses %d %q and %d %q, want both 201 run 1", a.Code, a.Body, c.Code, c.Body)
	}
	if a.Header().Get("Idempotent-Replayed") == c.Header().Get("Idempotent-Replayed") {
		t.Fatal("want exactly one replay")
	}
	if b.n.Load() != 1 {
		t.Fatalf("handler ran %d times", b.n.Load())
	}
}

func TestWaitGivesUp(t *testing.T) {
	b := newBlock()
	srv := newMiddleware(t, idempotency.Config{Wait: 100 * time.Millisecond}).Handler(b)
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() { done <- serve(srv, req("POST", "/", "k", "{}")) }()
	<-b.started
	start := time.Now()
	wantError(t, serve(srv, req("POST", "/", "k", "{}")), 409, "idempotency_in_progress", true)
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("gave up after %v, want the 100ms wait", d)
	}
	close(b.release)
	<-done
}

func TestBodyTooLarge(t *testing.T) {
	h := &counter{}
	srv := newMiddleware(t, idempotency.Config{MaxBodySize: 8}).Handler(h)
	wantError(t, serve(srv, req("POST", "/", "k", `{"n":123456}`)), 413, "content_too_large", false)
	// Unknown length, read until the limit.
	r := req("POST", "/", "k", "")
	r.Body = io.NopCloser(strings.NewReader(`{"n":123456}`))
	r.ContentLength = -1
	wantError(t, serve(srv, r), 413, "content_too_large", false)
	// The key was not used: a request that fits runs.
	if w := serve(srv, req("POST", "/", "k", `{}`)); w.Code != 201 {
		t.Fatalf("status %d", w.Code)
	}
	if h.n.Load() != 1 {
		t.Fatalf("handler ran %d times", h.n.Load())
	}
	// The default limit is 1 MiB.
	srv = newMiddleware(t, idempotency.Config{}).Handler(h)
	wantError(t, serve(srv, req("POST", "/", "k2", strings.Repeat("x", 1<<20+1))), 413, "content_too_large", false)
	if w := serve(srv, req("POST", "/", "k3", strings.Repeat("x", 1<<20))); w.Code != 201 {
		t.Fatalf("1 MiB body: status %d", w.Code)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestBodyUnreadable(t *testing.T) {
	srv := newMiddleware(t, idempotency.Config{}).Handler(&counter{})
	r := req("POST", "/", "k", "")
	r.Body = io.NopCloser(errReader{})
	wantError(t, serve(srv, r), 400, "bad_request", false)
}

func TestBodyRestored(t *testing.T) {
	body := strings.Repeat("0123456789", 1000)
	var got []byte
	var gotLen int64
	srv := newMiddleware(t, idempotency.Config{}).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		gotLen = r.ContentLength
		r.Body.Close()
	}))
	r := req("POST", "/", "k", "")
	r.Body = io.NopCloser(strings.NewReader(body))
	r.ContentLength = -1
	serve(srv, r)
	if string(got) != body || gotLen != int64(len(body)) {
		t.Fatalf("handler read %d bytes (ContentLength %d), want %d", len(got), gotLen, len(body))
	}
}

func TestReplayable(t *testing.T) {
	tests := []struct {
		status int
		policy idempotency.Replayable
		stored bool
	}{
		{200, nil, true}, {201, nil, true}, {204, nil, true}, {302, nil, true},
		{400, nil, true}, {404, nil, true}, {409, nil, true}, {422, nil, true},
		{408, nil, false}, {429, nil, false}, {500, nil, false}, {502, nil, false}, {503, nil, false},
		{500, idempotency.ReplayAll, true}, {429, idempotency.ReplayAll, true}, {408, idempotency.ReplayAll, true},
	}
	for _, tt := range tests {
		h := &counter{status: tt.status}
		srv := newMiddleware(t, idempotency.Config{Replayable: tt.policy}).Handler(h)
		first := serve(srv, req("POST", "/", "k", "{}"))
		second := serve(srv, req("POST", "/", "k", "{}"))
		if tt.stored {
			wantReplay(t, second, first)
			if h.n.Load() != 1 {
				t.Errorf("status %d: handler ran %d times, want 1", tt.status, h.n.Load())
			}
		} else if h.n.Load() != 2 || second.Header().Get("Idempotent-Replayed") != "" {
			t.Errorf("status %d: handler ran %d times, want 2 (key released)", tt.status, h.n.Load())
		}
	}
}

func TestEmptyResponse(t *testing.T) {
	srv := newMiddleware(t, idempotency.Config{}).Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	first := serve(srv, req("POST", "/", "k", "{}"))
	w := serve(srv, req("POST", "/", "k", "{}"))
	wantReplay(t, w, first)
	if w.Code != 200 || w.Body.Len() != 0 {
		t.Fatalf("replay %d %q, want 200 and no body", w.Code, w.Body)
	}
}

func TestPanicReleasesKey(t *testing.T) {
	var n atomic.Int32
	srv := newMiddleware(t, idempotency.Config{}).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			panic("boom")
		}
		w.WriteHeader(201)
		io.WriteString(w, "ok")
	}))
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Errorf("recovered %v, want the handler's panic to go on", v)
			}
		}()
		serve(srv, req("POST", "/", "k", "{}"))
	}()
	w := serve(srv, req("POST", "/", "k", "{}"))
	if w.Code != 201 || w.Body.String() != "ok" || w.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("retry after panic = %d %q, want the handler to run again", w.Code, w.Body)
	}
	// Through errors.Recover the client gets a 500 and the key is free too.
	n.Store(0)
	srv = apierrors.Recover(newMiddleware(t, idempotency.Config{}).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			panic("boom")
		}
		w.WriteHeader(201)
	})))
	if w := serve(srv, req("POST", "/", "k", "{}")); w.Code != 500 {
		t.Fatalf("panic status %d", w.Code)
	}
	if w := serve(srv, req("POST", "/", "k", "{}")); w.Code != 201 {
		t.Fatalf("retry status %d", w.Code)
	}
}

func TestSlowHandlerKeepsLease(t *testing.T) {
	const lease = 150 * time.Millisecond
	store := newMemory(t)
	var n atomic.Int32
	started := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			close(started)
		}
		select {
		case <-time.After(6 * lease):
		case <-r.Context().Done():
			t.Errorf("handler context cancelled: %v", context.Cause(r.Context()))
		}
		w.WriteHeader(201)
		io.WriteString(w, "slow")
	})
	a := newMiddleware(t, idempotency.Config{Store: store, Lease: lease}).Handler(slow)
	b := newMiddleware(t, idempotency.Config{Store: store, Lease: lease}).Handler(slow)
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- serve(a, req("POST", "/", "k", "{}")) }()
	<-started
	// Well past the lease, the key is still held: renewals keep it.
	for i := 0; i < 3; i++ {
		time.Sleep(lease)
		wantError(t, serve(b, req("POST", "/", "k", "{}")), 409, "idempotency_in_progress", true)
	}
	first := <-done
	wantReplay(t, serve(b, req("POST", "/", "k", "{}")), first)
	if n.Load() != 1 {
		t.Fatalf("handler ran %d times, want 1", n.Load())
	}
}

func TestStreamingLeavesTombstone(t *testing.T) {
	tests := []struct {
		name    string
		cfg     idempotency.Config
		handler http.HandlerFunc
	}{
		{"flush", idempotency.Config{}, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "event 1\n")
			w.(http.Flusher).Flush()
			io.WriteString(w, "event 2\n")
		}},
		{"too large", idempotency.Config{MaxResponseSize: 16}, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, strings.Repeat("x", 17))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv := newMiddleware(t, tt.cfg).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				tt.handler(w, r)
			}))
			first := serve(srv, req("POST", "/", "k", "{}"))
			if first.Code != 200 || first.Body.Len() == 0 {
				t.Fatalf("first response %d %q: the client must get it in full", first.Code, first.Body)
			}
			w := serve(srv, req("POST", "/", "k", "{}"))
			wantError(t, w, 409, "idempotency_response_unavailable", false)
			if n.Load() != 1 {
				t.Fatalf("handler ran %d times, want 1", n.Load())
			}
		})
	}
}

func TestHijackLeavesTombstone(t *testing.T) {
	var n atomic.Int32
	m := newMiddleware(t, idempotency.Config{Scope: idempotency.Global})
	ts := httptest.NewServer(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		c, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
		brw.Flush()
		c.Close()
	})))
	defer ts.Close()
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; i < 2; i++ {
		conn, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nIdempotency-Key: k\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		conn.Close()
		if i == 0 && (resp.StatusCode != 200 || string(body) != "hi") {
			t.Fatalf("hijacked response %d %q", resp.StatusCode, body)
		}
		if i == 1 && strings.Contains(string(body), "idempotency_in_progress") && time.Now().Before(deadline) {
			i-- // the client read the response before the handler returned
			time.Sleep(5 * time.Millisecond)
			continue
		}
		if i == 1 && (resp.StatusCode != 409 || !strings.Contains(string(body), "idempotency_response_unavailable")) {
			t.Fatalf("retry after hijack = %d %s, want 409 idempotency_response_unavailable", resp.StatusCode, body)
		}
	}
	if n.Load() != 1 {
		t.Fatalf("handler ran %d times", n.Load())
	}
}

func TestClientDisconnectThenRetryReplays(t *testing.T) {
	var n atomic.Int32
	finished := make(chan struct{})
	m := newMiddleware(t, idempotency.Config{Scope: idempotency.Global})
	ts := httptest.NewServer(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { finished <- struct{}{} }()
		if n.Add(1) == 1 {
			<-r.Context().Done() // the client gave up; the work still completes
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, strings.Repeat("order 1 ", 2000)) // larger than the server's write buffer
	})))
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	r, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/orders", strings.NewReader("{}"))
	r.Header.Set("Idempotency-Key", "k")
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	if _, err := ts.Client().Do(r); err == nil {
		t.Fatal("the cancelled request succeeded")
	}
	<-finished
	// The handler returned after the client left; the completion write
	// must not have used the cancelled context. Retry:
	r, _ = http.NewRequest("POST", ts.URL+"/orders", strings.NewReader("{}"))
	r.Header.Set("Idempotency-Key", "k")
	var resp *http.Response
	deadline := time.Now().Add(5 * time.Second)
	for {
		var err error
		resp, err = ts.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 409 || time.Now().After(deadline) {
			break
		}
		resp.Body.Close() // completion still being written
		time.Sleep(10 * time.Millisecond)
		r, _ = http.NewRequest("POST", ts.URL+"/orders", strings.NewReader("{}"))
		r.Header.Set("Idempotency-Key", "k")
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 || string(body) != strings.Repeat("order 1 ", 2000) || resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry = %d (replayed %q), %d bytes; want the replayed 201", resp.StatusCode, resp.Header.Get("Idempotent-Replayed"), len(body))
	}
	if n.Load() != 1 {
		t.Fatalf("handler ran %d times", n.Load())
	}
}

// flaky wraps a Store: it can fail every call, or only renewals.
type flaky struct {
	idempotency.Store
	down       atomic.Bool
	noRenew    atomic.Bool
	lostRenew  atomic.Bool
	renewCalls atomic.Int32
}

var errDown = stderrors.New("connection refused")

func (f *flaky) Acquire(ctx context.Context, k idempotency.Key, fp string, lease, ttl time.Duration) (idempotency.Record, bool, error) {
	if f.down.Load() {
		return idempotency.Record{}, false, errDown
	}
	return f.Store.Acquire(ctx, k, fp, lease, ttl)
}

func (f *flaky) Renew(ctx context.Context, k idempotency.Key, token uint64, lease time.Duration) error {
	f.renewCalls.Add(1)
	switch {
	case f.lostRenew.Load():
		return idempotency.ErrLeaseLost
	case f.noRenew.Load(), f.down.Load():
		return errDown
	}
	return f.Store.Renew(ctx, k, token, lease)
}

func TestZombieCompletionRefused(t *testing.T) {
	const lease = 100 * time.Millisecond
	store := newMemory(t)
	crashed := &flaky{Store: store}
	crashed.noRenew.Store(true) // instance A stops renewing, as if frozen
	b := newBlock()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	a := newMiddleware(t, idempotency.Config{Store: crashed, Lease: lease, Logger: logger}).Handler(b)
	healthy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(201)
		io.WriteString(w, "from B")
	})
	c := newMiddleware(t, idempotency.Config{Store: store, Lease: lease}).Handler(healthy)

	zombie := make(chan *httptest.ResponseRecorder)
	go func() { zombie <- serve(a, req("POST", "/", "k", "{}")) }()
	<-b.started
	// B takes the key over once A's lease runs out.
	var taken *httptest.ResponseRecorder
	deadline := time.Now().Add(5 * time.Second)
	for {
		taken = serve(c, req("POST", "/", "k", "{}"))
		if taken.Code != 409 || time.Now().After(deadline) {
			break
		}
		time.Sleep(lease / 4)
	}
	if taken.Code != 201 || taken.Body.String() != "from B" {
		t.Fatalf("takeover = %d %q", taken.Code, taken.Body)
	}
	close(b.release) // the zombie wakes up and completes
	<-zombie
	w := serve(c, req("POST", "/", "k", "{}"))
	wantReplay(t, w, taken)
	if !strings.Contains(logs.String(), "completion refused") {
		t.Errorf("refused completion not logged: %s", logs.String())
	}
}

func TestLeaseLostCancelsHandler(t *testing.T) {
	store := &flaky{Store: newMemory(t)}
	store.lostRenew.Store(true)
	b := newBlock()
	srv := newMiddleware(t, idempotency.Config{Store: store, Lease: 30 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}).Handler(b)
	done := make(chan struct{})
	go func() { serve(srv, req("POST", "/", "k", "{}")); close(done) }()
	<-b.started
	deadline := time.Now().Add(5 * time.Second)
	for b.ctxErr.Load() == nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err, _ := b.ctxErr.Load().(error); !stderrors.Is(err, idempotency.ErrLeaseLost) {
		t.Fatalf("handler context cause %v, want ErrLeaseLost", err)
	}
	close(b.release)
	<-done
	if n := store.renewCalls.Load(); n != 1 {
		t.Errorf("%d renewals after the lease was lost, want 1", n)
	}
}

func TestTwoCallersNoCrossReplay(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(201)
		io.WriteString(w, "for "+r.Header.Get("Authorization")+r.RemoteAddr)
	})
	var n atomic.Int32
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1); h(w, r) })
	srv := newMiddleware(t, idempotency.Config{}).Handler(counted)
	alice := req("POST", "/", "k", "{}", "Authorization", "Bearer alice")
	bob := req("POST", "/", "k", "{}", "Authorization", "Bearer bob")
	wa, wb := serve(srv, alice), serve(srv, bob)
	if wa.Body.String() == wb.Body.String() || wb.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("bob got %q (replayed %q), alice %q", wb.Body, wb.Header().Get("Idempotent-Replayed"), wa.Body)
	}
	// Without credentials, callers are told apart by address.
	r1 := req("POST", "/", "k", "{}")
	r1.RemoteAddr = "192.0.2.1:1000"
	r2 := req("POST", "/", "k", "{}")
	r2.RemoteAddr = "192.0.2.2:1000"
	w1, w2 := serve(srv, r1), serve(srv, r2)
	if w1.Body.String() == w2.Body.String() || w2.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("second address got %q, first %q", w2.Body, w1.Body)
	}
	if n.Load() != 4 {
		t.Fatalf("handler ran %d times, want 4", n.Load())
	}
	// Each caller's retry replays its own response; another port of the
	// same address is the same caller.
	wantReplay(t, serve(srv, req("POST", "/", "k", "{}", "Authorization", "Bearer alice")), wa)
	r1 = req("POST", "/", "k", "{}")
	r1.RemoteAddr = "192.0.2.1:2000"
	wantReplay(t, serve(srv, r1), w1)
}

func TestGlobalScope(t *testing.T) {
	var n atomic.Int32
	srv := newMiddleware(t, idempotency.Config{Scope: idempotency.Global}).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
	}))
	serve(srv, req("POST", "/", "k", "{}", "Authorization", "Bearer alice"))
	w := serve(srv, req("POST", "/", "k", "{}", "Authorization", "Bearer bob"))
	if w.Header().Get("Idempotent-Replayed") != "true" || n.Load() != 1 {
		t.Fatalf("global scope: handler ran %d times", n.Load())
	}
}

func TestScopeError(t *testing.T) {
	srv := newMiddleware(t, idempotency.Config{Scope: func(*http.Request) (string, error) {
		return "", apierrors.Unauthorized("sign in first")
	}}).Handler(&counter{})
	if w := serve(srv, req("POST", "/", "k", "{}")); w.Code != 401 {
		t.Fatalf("status %d, want the scope function's 401", w.Code)
	}
}

func TestStoreDown(t *testing.T) {
	store := &flaky{Store: newMemory(t)}
	store.down.Store(true)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	h := &counter{}
	srv := newMiddleware(t, idempotency.Config{Store: store, Logger: logger, RetryAfter: 5 * time.Second}).Handler(h)
	w := serve(srv, req("POST", "/", "k", "{}"))
	wantError(t, w, 503, "idempotency_unavailable", true)
	if w.Header().Get("Retry-After") != "5" || h.n.Load() != 0 {
		t.Fatalf("Retry-After %q, handler ran %d times", w.Header().Get("Retry-After"), h.n.Load())
	}
	if strings.Contains(w.Body.String(), "refused") {
		t.Fatalf("503 body leaks the store error: %s", w.Body)
	}
	if !strings.Contains(logs.String(), "connection refused") {
		t.Fatalf("store failure not logged: %q", logs.String())
	}
	logs.Reset()
	open := newMiddleware(t, idempotency.Config{Store: store, Logger: logger, StoreFailure: idempotency.FailOpen}).Handler(h)
	if w := serve(open, req("POST", "/", "k", `{"a":1}`)); w.Code != 201 || !strings.Contains(w.Body.String(), `{\"a\":1}`) {
		t.Fatalf("fail-open: %d %q", w.Code, w.Body)
	}
	if !strings.Contains(logs.String(), "connection refused") {
		t.Fatalf("fail-open store failure not logged: %q", logs.String())
	}
}

func TestErrorHandlerGetsSentinels(t *testing.T) {
	var got []error
	eh := func(w http.ResponseWriter, r *http.Request, err error) {
		got = append(got, err)
		apierrors.Write(w, r, err)
	}
	store := &flaky{Store: newMemory(t)}
	b := newBlock()
	m := newMiddleware(t, idempotency.Config{Store: store, ErrorHandler: eh, MaxBodySize: 100, Logger: slog.New(slog.DiscardHandler)})
	srv := m.Handler(b)
	go serve(srv, req("POST", "/", "busy", "{}"))
	<-b.started
	serve(m.Require(b), req("POST", "/", "", "{}"))
	serve(srv, req("POST", "/", `"`, "{}"))
	serve(srv, req("POST", "/", "busy", `{"x":1}`))
	serve(srv, req("POST", "/", "busy", "{}"))
	serve(srv, req("POST", "/", "big", strings.Repeat("x", 101)))
	store.down.Store(true)
	serve(srv, req("POST", "/", "down", "{}"))
	close(b.release)
	want := []error{idempotency.ErrKeyMissing, idempotency.ErrKeyInvalid, idempotency.ErrKeyReused,
		idempotency.ErrInProgress, idempotency.ErrBodyTooLarge, idempotency.ErrUnavailable}
	if len(got) != len(want) {
		t.Fatalf("ErrorHandler called %d times, want %d", len(got), len(want))
	}
	for i, w := range want {
		var e *apierrors.Error
		if !stderrors.Is(got[i], w) || !stderrors.As(got[i], &e) {
			t.Errorf("error %d = %v, want an *errors.Error wrapping %v", i, got[i], w)
		}
	}
	if !stderrors.Is(got[5], errDown) {
		t.Errorf("503 error %v does not wrap the store's error", got[5])
	}
}

func TestProblemFormat(t *testing.T) {
	rd := &apierrors.Renderer{Format: apierrors.Problem}
	srv := rd.Handler(newMiddleware(t, idempotency.Config{}).Handler(&counter{}))
	w := serve(srv, req("POST", "/", `"`, "{}"))
	if w.Code != 400 || w.Header().Get("Content-Type") != "application/problem+json" ||
		!strings.Contains(w.Body.String(), `"code":"idempotency_key_invalid"`) {
		t.Fatalf("problem response %d %s %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
}

func TestContextInfo(t *testing.T) {
	var info idempotency.Info
	var ok bool
	srv := newMiddleware(t, idempotency.Config{Scope: func(*http.Request) (string, error) { return "tenant-7", nil }}).Handler(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { info, ok = idempotency.FromContext(r.Context()) }))
	r := req("POST", "/orders", `"abc"`, "{}")
	serve(srv, r)
	if !ok || info.Scope != "tenant-7" || info.ID != "abc" || info.Token == 0 || info.Retention != 24*time.Hour ||
		info.Fingerprint != idempotency.DefaultFingerprint(req("POST", "/orders", "", "{}"), []byte("{}")) {
		t.Fatalf("FromContext = %+v, %v", info, ok)
	}
	if _, ok := idempotency.FromContext(context.Background()); ok {
		t.Fatal("FromContext found an Info in a bare context")
	}
}

// TestHandlerContextEndsWithHandler: the handler's context carries the
// Info while the handler runs and is cancelled once it returned, as a
// context that work started by the handler may watch.
func TestHandlerContextEndsWithHandler(t *testing.T) {
	for _, waited := range []bool{false, true} {
		var ctx context.Context
		srv := newMiddleware(t, idempotency.Config{}).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx = r.Context()
			if waited {
				select {
				case <-ctx.Done():
					t.Error("context done while the handler runs")
				default:
				}
			}
			if ctx.Err() != nil {
				t.Errorf("Err %v while the handler runs", ctx.Err())
			}
		}))
		serve(srv, req("POST", "/", "k", "{}"))
		if ctx.Err() != context.Canceled || context.Cause(ctx) != context.Canceled {
			t.Errorf("waited %v: after the handler, Err %v and Cause %v, want context.Canceled", waited, ctx.Err(), context.Cause(ctx))
		}
		<-ctx.Done()
		if _, ok := idempotency.FromContext(ctx); !ok {
			t.Errorf("waited %v: Info gone", waited)
		}
	}
}

func TestRoutePattern(t *testing.T) {
	m := newMiddleware(t, idempotency.Config{})
	var n atomic.Int32
	mux := http.NewServeMux()
	mux.Handle("POST /orders/{id}/refund", m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.WriteString(w, "refunded "+r.PathValue("id"))
	})))
	first := serve(mux, req("POST", "/orders/1/refund", "k", "{}"))
	wantReplay(t, serve(mux, req("POST", "/orders/1/refund", "k", "{}")), first)
	// The same key on another order of the same route is another request.
	wantError(t, serve(mux, req("POST", "/orders/2/refund", "k", "{}")), 422, "idempotency_key_reused", false)
	if n.Load() != 1 {
		t.Fatalf("handler ran %d times", n.Load())
	}
}

func TestNewInvalidConfig(t *testing.T) {
	for name, cfg := range map[string]idempotency.Config{
		"negative body":     {MaxBodySize: -1},
		"negative response": {MaxResponseSize: -1},
		"negative lease":    {Lease: -time.Second},
		"tiny lease":        {Lease: time.Millisecond},
		"retention < lease": {Lease: time.Hour, Retention: time.Minute},
		"negative wait":     {Wait: -1},
		"empty method":      {Methods: []string{""}},
		"empty header":      {ReplayHeaders: []string{""}},
		"replay Set-Cookie": {ReplayHeaders: []string{"set-cookie"}},
		"negative retry":    {RetryAfter: -1},
		"unknown failure":   {StoreFailure: idempotency.FailOpen + 1},
	} {
		if _, err := idempotency.New(cfg); err == nil || !strings.HasPrefix(err.Error(), "idempotency: ") {
			t.Errorf("%s: New error %v, want an idempotency: error", name, err)
		}
	}
}

func TestStoreFailureString(t *testing.T) {
	for _, tt := range []struct {
		mode idempotency.StoreFailure
		want string
	}{
		{idempotency.FailClosed, "fail-closed"},
		{idempotency.FailOpen, "fail-open"},
		{7, "StoreFailure(7)"},
	} {
		if got := tt.mode.String(); got != tt.want {
			t.Errorf("StoreFailure(%d).String() = %q, want %q", uint8(tt.mode), got, tt.want)
		}
	}
	var cfg idempotency.Config
	if cfg.StoreFailure != idempotency.FailClosed {
		t.Errorf("zero Config.StoreFailure = %v, want fail-closed", cfg.StoreFailure)
	}
}

func TestWaitRunsAfterRelease(t *testing.T) {
	var n atomic.Int32
	started, release := make(chan struct{}), make(chan struct{})
	srv := newMiddleware(t, idempotency.Config{Wait: 10 * time.Second}).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			close(started)
			<-release
			w.WriteHeader(http.StatusServiceUnavailable) // released, not recorded
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- serve(srv, req("POST", "/", "k", "{}")) }()
	<-started
	go func() { done <- serve(srv, req("POST", "/", "k", "{}")) }()
	time.Sleep(30 * time.Millisecond)
	close(release)
	codes := map[int]bool{(<-done).Code: true, (<-done).Code: true}
	if !codes[503] || !codes[201] || n.Load() != 2 {
		t.Fatalf("codes %v, handler ran %d times; want the waiter to run it after the 503 released the key", codes, n.Load())
	}
}
