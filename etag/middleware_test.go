package etag

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/internal/sfv"
)

const jsonBody = `{"id":1,"name":"mug","price":{"amount":1200,"currency":"EUR"}}`

func writeBody(status int, body string, headers ...hdr) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, h := range headers {
			w.Header().Add(h.name, h.value)
		}
		if status != 0 {
			w.WriteHeader(status)
		}
		io.WriteString(w, body)
	})
}

func serve(t *testing.T, h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func mustNew(t *testing.T, cfg Config) *Middleware {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAutoTag(t *testing.T) {
	h := Handler(writeBody(0, jsonBody, hdr{"Content-Type", "application/json"}))
	rec := serve(t, h, request("GET"))
	tag := Of([]byte(jsonBody))
	if rec.Code != 200 || rec.Body.String() != jsonBody {
		t.Fatalf("GET: %d %q", rec.Code, rec.Body.String())
	}
	if got := rec.Header().Get("ETag"); got != tag {
		t.Errorf("ETag = %q, want %q", got, tag)
	}
	if got := rec.Header().Get("Content-Length"); got != fmt.Sprint(len(jsonBody)) {
		t.Errorf("Content-Length = %q, want %d", got, len(jsonBody))
	}

	rec = serve(t, h, request("GET", hdr{"If-None-Match", tag}))
	if rec.Code != 304 || rec.Body.Len() != 0 || rec.Header().Get("ETag") != tag {
		t.Errorf("revalidation: %d body %q ETag %q, want 304, no body, the tag", rec.Code, rec.Body.String(), rec.Header().Get("ETag"))
	}
	for _, k := range []string{"Content-Type", "Content-Length"} {
		if v := rec.Header().Get(k); v != "" {
			t.Errorf("304 carries %s: %q", k, v)
		}
	}

	rec = serve(t, h, request("GET", hdr{"If-Match", `"stale"`}))
	if rec.Code != 412 || !strings.Contains(rec.Body.String(), `"code":"precondition_failed"`) || strings.Contains(rec.Body.String(), "mug") {
		t.Errorf("If-Match mismatch: %d %q, want a 412 envelope without the representation", rec.Code, rec.Body.String())
	}
	if rec.Header().Get("ETag") != "" {
		t.Errorf("412 carries ETag %q", rec.Header().Get("ETag"))
	}
	rec = serve(t, h, request("GET", hdr{"If-Match", tag}))
	if rec.Code != 200 || rec.Body.String() != jsonBody {
		t.Errorf("If-Match current: %d %q", rec.Code, rec.Body.String())
	}
}

func TestAutoTagWithLastModified(t *testing.T) {
	h := Handler(writeBody(0, jsonBody, hdr{"Last-Modified", httpDate(T)}))
	rec := serve(t, h, request("GET", hdr{"If-Modified-Since", httpDate(T)}))
	if rec.Code != 304 || rec.Header().Get("ETag") != Of([]byte(jsonBody)) || rec.Header().Get("Last-Modified") != "" {
		t.Errorf("got %d ETag %q Last-Modified %q, want 304 with the tag and no Last-Modified",
			rec.Code, rec.Header().Get("ETag"), rec.Header().Get("Last-Modified"))
	}
	rec = serve(t, h, request("GET", hdr{"If-Unmodified-Since", httpDate(T.Add(-time.Second))}))
	if rec.Code != 412 {
		t.Errorf("If-Unmodified-Since before Last-Modified: %d, want 412", rec.Code)
	}
}

func TestAutoTagOptions(t *testing.T) {
	sum := Of([]byte(jsonBody))
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, sum},
		{Config{Weak: true}, "W/" + sum},
		{Config{Format: Hex}, ""},
		{Config{Format: Hex, Weak: true}, ""},
	} {
		rec := serve(t, mustNew(t, tc.cfg).Handler(writeBody(0, jsonBody)), request("GET"))
		got := rec.Header().Get("ETag")
		opaque, weak, ok := Parse(got)
		if !ok || weak != tc.cfg.Weak {
			t.Errorf("%+v: ETag %q is not a valid tag of the right strength", tc.cfg, got)
		}
		if tc.cfg.Format == Hex {
			if len(opaque) != 32 || strings.Trim(opaque, "0123456789abcdef") != "" {
				t.Errorf("%+v: opaque %q is not 32 hex digits", tc.cfg, opaque)
			}
		} else if got != tc.want {
			t.Errorf("%+v: ETag %q, want %q", tc.cfg, got, tc.want)
		}
		if tc.cfg.Weak {
			// A weak tag revalidates but never satisfies If-Match.
			h := mustNew(t, tc.cfg).Handler(writeBody(0, jsonBody))
			if rec := serve(t, h, request("GET", hdr{"If-None-Match", got})); rec.Code != 304 {
				t.Errorf("%+v: If-None-Match: %d, want 304", tc.cfg, rec.Code)
			}
			if rec := serve(t, h, request("GET", hdr{"If-Match", got})); rec.Code != 412 {
				t.Errorf("%+v: If-Match weak: %d, want 412", tc.cfg, rec.Code)
			}
		}
	}
}

func TestCacheControlConfig(t *testing.T) {
	m := mustNew(t, Config{CacheControl: Public(time.Hour)})
	rec := serve(t, m.Handler(writeBody(0, jsonBody)), request("GET"))
	if got := rec.Header().Get("Cache-Control"); got != "public, max-age=3600" {
		t.Errorf("Cache-Control = %q", got)
	}
	rec = serve(t, m.Handler(writeBody(0, jsonBody)), request("GET", hdr{"If-None-Match", Of([]byte(jsonBody))}))
	if rec.Code != 304 || rec.Header().Get("Cache-Control") != "public, max-age=3600" {
		t.Errorf("304: %d Cache-Control %q", rec.Code, rec.Header().Get("Cache-Control"))
	}
	rec = serve(t, m.Handler(writeBody(0, jsonBody, hdr{"Cache-Control", PrivateNoCache})), request("GET"))
	if got := rec.Header().Get("Cache-Control"); got != PrivateNoCache {
		t.Errorf("handler's Cache-Control replaced: %q", got)
	}
	rec = serve(t, m.Handler(writeBody(0, jsonBody, hdr{"ETag", `"own"`})), request("GET"))
	if got := rec.Header().Get("Cache-Control"); got != "public, max-age=3600" {
		t.Errorf("Cache-Control with the handler's own tag = %q", got)
	}
	if _, err := New(Config{CacheControl: "no-cache\r\nX: y"}); err == nil {
		t.Error("New accepted a CacheControl with a line break")
	}
}

func TestAutoTagSkips(t *testing.T) {
	tests := []struct {
		name string
		h    http.Handler
		code int
	}{
		{"201", writeBody(201, jsonBody), 201},
		{"404", writeBody(404, jsonBody), 404},
		{"204", writeBody(204, ""), 204},
		{"no-store", writeBody(0, jsonBody, hdr{"Cache-Control", "private, No-Store"}), 200},
		{"event stream", writeBody(0, "data: 1\n\n", hdr{"Content-Type", "text/event-stream; charset=utf-8"}), 200},
		{"declared length differs", writeBody(0, jsonBody[:10], hdr{"Content-Length", "999"}), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, Handler(tt.h), request("GET", hdr{"If-None-Match", "*"}, hdr{"If-Match", `"x"`}))
			if rec.Code != tt.code || rec.Header().Get("ETag") != "" {
				t.Errorf("got %d ETag %q, want %d untagged", rec.Code, rec.Header().Get("ETag"), tt.code)
			}
		})
	}
}

func TestDisableAuto(t *testing.T) {
	m := mustNew(t, Config{DisableAuto: true})
	rec := serve(t, m.Handler(writeBody(0, jsonBody)), request("GET", hdr{"If-None-Match", "*"}))
	if rec.Code != 200 || rec.Header().Get("ETag") != "" {
		t.Errorf("got %d ETag %q, want an untagged 200", rec.Code, rec.Header().Get("ETag"))
	}
	rec = serve(t, m.Handler(writeBody(0, jsonBody, hdr{"ETag", `"own"`})), request("GET", hdr{"If-None-Match", `"own"`}))
	if rec.Code != 304 {
		t.Errorf("handler's own tag: %d, want 304", rec.Code)
	}
}

// TestOwnTagIsEvaluatedWithoutHolding checks that a handler's own ETag is
// kept and evaluated as its header is written: a passing response streams
// through, a failing one is dropped entire, even past MaxBody and across
// a flush.
func TestOwnTagIsEvaluatedWithoutHolding(t *testing.T) {
	m := mustNew(t, Config{MaxBody: 16})
	big := strings.Repeat("x", 100)
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"own"`)
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Encoding", "identity")
		io.WriteString(w, "a")
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		io.WriteString(w, big)
	}))
	rec := serve(t, h, request("GET"))
	if rec.Code != 200 || rec.Header().Get("ETag") != `"own"` || rec.Body.String() != "a"+big {
		t.Errorf("pass: %d ETag %q body %d bytes", rec.Code, rec.Header().Get("ETag"), rec.Body.Len())
	}
	if rec.Flushed != true {
		t.Error("flush did not reach the recorder for a passing response")
	}

	rec = serve(t, h, request("GET", hdr{"If-None-Match", `"own"`}))
	if rec.Code != 304 || rec.Body.Len() != 0 || rec.Flushed || rec.Header().Get("ETag") != `"own"` {
		t.Errorf("304: %d body %q flushed %v ETag %q", rec.Code, rec.Body.String(), rec.Flushed, rec.Header().Get("ETag"))
	}
	rec = serve(t, h, request("GET", hdr{"If-Match", `"other"`}))
	if rec.Code != 412 || strings.Contains(rec.Body.String(), "xxx") || rec.Header().Get("Content-Encoding") != "" {
		t.Errorf("412: %d body %q Content-Encoding %q", rec.Code, rec.Body.String(), rec.Header().Get("Content-Encoding"))
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("412 Content-Type = %q", ct)
	}
}

func TestHandlerWritesNothing(t *testing.T) {
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	rec := serve(t, h, request("GET"))
	if rec.Code != 200 || rec.Header().Get("ETag") != Of(nil) || rec.Header().Get("Content-Length") != "0" {
		t.Errorf("GET: %d ETag %q Content-Length %q, want 200, the empty-body tag, 0", rec.Code, rec.Header().Get("ETag"), rec.Header().Get("Content-Length"))
	}
	rec = serve(t, h, request("GET", hdr{"If-None-Match", Of(nil)}))
	if rec.Code != 304 {
		t.Errorf("revalidation: %d, want 304", rec.Code)
	}
	// A HEAD handler that writes no body: its GET tag is unknown.
	rec = serve(t, h, request("HEAD"))
	if rec.Code != 200 || rec.Header().Get("ETag") != "" {
		t.Errorf("HEAD: %d ETag %q, want untagged 200", rec.Code, rec.Header().Get("ETag"))
	}
	headOnly := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "62")
	}))
	rec = serve(t, headOnly, request("HEAD", hdr{"If-None-Match", "*"}))
	if rec.Code != 200 || rec.Header().Get("ETag") != "" || rec.Header().Get("Content-Length") != "62" {
		t.Errorf("HEAD with a declared length: %d ETag %q Content-Length %q", rec.Code, rec.Header().Get("ETag"), rec.Header().Get("Content-Length"))
	}
}

// countingWriter counts what reaches the client side while the handler
// runs.
type countingWriter struct {
	h      http.Header
	code   int
	n      int
	sum    bytes.Buffer
	keep   bool
	writes int
}

func (c *countingWriter) Header() http.Header { return c.h }
func (c *countingWriter) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
}
func (c *countingWriter) Write(p []byte) (int, error) {
	if c.code == 0 {
		c.code = 200
	}
	c.n += len(p)
	c.writes++
	if c.keep {
		c.sum.Write(p)
	}
	return len(p), nil
}

// TestLargeBody sends 10 MiB: it passes through untagged, complete, and
// no more than MaxBody is held back while the handler writes.
func TestLargeBody(t *testing.T) {
	const size = 10 << 20
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	cw := &countingWriter{h: http.Header{}, keep: true}
	var maxHeld int
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		written := 0
		for written < size {
			w.Write(chunk)
			written += len(chunk)
			if held := written - cw.n; held > maxHeld {
				maxHeld = held
			}
		}
	}))
	h.ServeHTTP(cw, request("GET", hdr{"If-None-Match", "*"}))
	if cw.code != 200 || cw.n != size || cw.h.Get("ETag") != "" {
		t.Errorf("got %d, %d bytes, ETag %q; want 200, %d bytes, no tag", cw.code, cw.n, cw.h.Get("ETag"), size)
	}
	if maxHeld > DefaultMaxBody {
		t.Errorf("held %d bytes at once, more than MaxBody %d", maxHeld, DefaultMaxBody)
	}
	if !bytes.Equal(cw.sum.Bytes()[:len(chunk)], chunk) || !bytes.Equal(cw.sum.Bytes()[size-len(chunk):], chunk) {
		t.Error("body corrupted")
	}

	// Exactly MaxBody is still tagged.
	body := bytes.Repeat([]byte("z"), 100)
	m := mustNew(t, Config{MaxBody: 100})
	rec := serve(t, m.Handler(writeBody(0, string(body))), request("GET"))
	if rec.Header().Get("ETag") != Of(body) {
		t.Errorf("body of exactly MaxBody: ETag %q", rec.Header().Get("ETag"))
	}
	rec = serve(t, m.Handler(writeBody(0, string(body)+"!")), request("GET"))
	if rec.Header().Get("ETag") != "" || rec.Body.Len() != 101 {
		t.Errorf("body of MaxBody+1: ETag %q, %d bytes", rec.Header().Get("ETag"), rec.Body.Len())
	}
}

func TestFlushPassesThroughUntagged(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "data: 1\n\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
		<-release
		io.WriteString(w, "data: 2\n\n")
	})))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// The first event arrives while the handler still runs.
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	close(release)
	if err != nil || line != "data: 1\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	if resp.Header.Get("ETag") != "" {
		t.Errorf("flushed response tagged %q", resp.Header.Get("ETag"))
	}
}

func TestHijack(t *testing.T) {
	srv := httptest.NewServer(Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if err := rc.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Errorf("SetWriteDeadline through the middleware: %v", err)
		}
		conn, brw, err := rc.Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
		brw.Flush()
	})))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hijacked" || resp.Header.Get("ETag") != "" {
		t.Errorf("body %q ETag %q", body, resp.Header.Get("ETag"))
	}
}

func TestUnwrap(t *testing.T) {
	var inner http.ResponseWriter
	rec := httptest.NewRecorder()
	Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if ok {
			inner = u.Unwrap()
		}
		if _, ok := w.(http.Hijacker); ok {
			t.Error("wrapper advertises Hijacker the recorder lacks")
		}
	})).ServeHTTP(rec, request("GET"))
	if inner != rec {
		t.Error("Unwrap does not return the wrapped writer")
	}
}

func TestWriteChecks(t *testing.T) {
	errBoom := fmt.Errorf("database on fire")
	tests := []struct {
		name     string
		v        Validators
		err      error
		headers  []hdr
		want     int
		wantCode string
		calls    int
	}{
		{name: "unconditional write skips the lookup", want: 204},
		{name: "If-Modified-Since alone is no write condition", headers: []hdr{{"If-Modified-Since", httpDate(T)}}, want: 204},
		{name: "lookup error *errors.Error passes through", err: apierrors.NotFound("no item"), headers: []hdr{{"If-Match", `"v1"`}},
			want: 404, wantCode: "not_found", calls: 1},
		{name: "other lookup error is a 500", err: errBoom, headers: []hdr{{"If-Match", `"v1"`}},
			want: 500, wantCode: "internal_error", calls: 1},
		{name: "invalid tag from the lookup is a 500", v: Validators{ETag: "v1"}, headers: []hdr{{"If-Match", `"v1"`}},
			want: 500, wantCode: "internal_error", calls: 1},
		{name: "stale", v: Validators{ETag: `"v2"`}, headers: []hdr{{"If-Match", `"v1"`}},
			want: 412, wantCode: "precondition_failed", calls: 1},
		{name: "current", v: Validators{ETag: `"v1"`}, headers: []hdr{{"If-Match", `"v1"`}}, want: 204, calls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			m := mustNew(t, Config{Validators: func(*http.Request) (Validators, error) { calls++; return tt.v, tt.err }})
			ran := 0
			var log bytes.Buffer
			rd := &apierrors.Renderer{Logger: slog.New(slog.NewTextHandler(&log, nil))}
			rec := serve(t, rd.Handler(m.Handler(resource(fixture{}, &ran))), request("PATCH", tt.headers...))
			if (rec.Code == 500) != (log.Len() > 0) {
				t.Errorf("status %d, log %q: every 500 and only a 500 is logged", rec.Code, log.String())
			}
			if rec.Code != tt.want || calls != tt.calls {
				t.Errorf("status %d, lookups %d; want %d, %d", rec.Code, calls, tt.want, tt.calls)
			}
			if tt.wantCode != "" && !strings.Contains(rec.Body.String(), `"code":"`+tt.wantCode+`"`) {
				t.Errorf("body %q, want code %q", rec.Body.String(), tt.wantCode)
			}
			if (ran > 0) != (tt.want < 300) {
				t.Errorf("handler ran %d times for a %d", ran, rec.Code)
			}
			if strings.Contains(rec.Body.String(), "fire") || strings.Contains(rec.Body.String(), `\"v1\"`) && tt.want == 500 {
				t.Errorf("internal detail leaked: %q", rec.Body.String())
			}
		})
	}
}

func TestErrorHandlerGetsSentinels(t *testing.T) {
	var got []error
	m := mustNew(t, Config{
		Validators:       func(*http.Request) (Validators, error) { return Validators{ETag: `"v1"`}, nil },
		RequireCondition: RequireForUpdates,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			got = append(got, err)
			w.WriteHeader(499)
		},
	})
	var ran int
	h := m.Handler(resource(fixture{}, &ran))
	serve(t, h, request("PUT"))
	serve(t, h, request("PUT", hdr{"If-Match", `"v0"`}))
	serve(t, h, request("GET", hdr{"If-Match", `"v0"`}))
	want := []error{ErrPreconditionRequired, ErrPreconditionFailed, ErrPreconditionFailed}
	if len(got) != len(want) {
		t.Fatalf("ErrorHandler called %d times, want %d", len(got), len(want))
	}
	for i := range want {
		var e *apierrors.Error
		if !apierrors.Is(got[i], want[i]) || !apierrors.As(got[i], &e) {
			t.Errorf("error %d = %v, want an *errors.Error wrapping %v", i, got[i], want[i])
		}
	}
}

func TestLenientIfMatch(t *testing.T) {
	v := Validators{ETag: `"v1"`}
	for _, tc := range []struct {
		member  string
		lenient bool
		want    int
	}{
		{`"v1-gzip"`, false, 412},
		{`W/"v1"`, false, 412},
		{`"v1-gzip"`, true, 204},
		{`W/"v1-zstd"`, true, 204},
		{`"v2-gzip"`, true, 412},
	} {
		m := mustNew(t, Config{Validators: func(*http.Request) (Validators, error) { return v, nil }, LenientIfMatch: tc.lenient})
		var ran int
		rec := serve(t, m.Handler(resource(fixture{}, &ran)), request("PUT", hdr{"If-Match", tc.member}))
		if rec.Code != tc.want {
			t.Errorf("If-Match %s lenient=%v: %d, want %d", tc.member, tc.lenient, rec.Code, tc.want)
		}
		if res := m.Check(request("PUT", hdr{"If-Match", tc.member}), v); res.Proceed() != (tc.want == 204) {
			t.Errorf("Middleware.Check %s lenient=%v = %+v", tc.member, tc.lenient, res)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{MaxBody: -1},
		{Format: 7},
		{RequireCondition: RequireForUpdates},
		{CacheControl: "a\nb"},
	} {
		if _, err := New(cfg); err == nil || !strings.HasPrefix(err.Error(), "etag: ") {
			t.Errorf("New(%+v) error = %v, want an etag: error", cfg, err)
		}
	}
}

// TestConcurrentRequests runs many requests with different bodies at
// once: every response carries the tag of its own body (pooled state is
// never shared).
func TestConcurrentRequests(t *testing.T) {
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat(r.URL.Query().Get("b"), 1000))
	}))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				b := fmt.Sprintf("g%di%d", g, i)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", "/?b="+b, nil))
				if want := Of([]byte(strings.Repeat(b, 1000))); rec.Header().Get("ETag") != want || rec.Body.Len() != 1000*len(b) {
					t.Errorf("%s: ETag %q, want %q; %d bytes", b, rec.Header().Get("ETag"), want, rec.Body.Len())
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestRespond(t *testing.T) {
	v := Validators{ETag: `"v1"`, LastModified: T}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if Respond(w, r, v) {
			return
		}
		io.WriteString(w, "representation")
	})
	rec := serve(t, h, request("GET"))
	if rec.Code != 200 || rec.Header().Get("ETag") != `"v1"` || rec.Header().Get("Last-Modified") != httpDate(T) {
		t.Errorf("GET: %d ETag %q Last-Modified %q", rec.Code, rec.Header().Get("ETag"), rec.Header().Get("Last-Modified"))
	}
	rec = serve(t, h, request("GET", hdr{"If-None-Match", `"v1"`}))
	if rec.Code != 304 || rec.Body.Len() != 0 || rec.Header().Get("Last-Modified") != "" {
		t.Errorf("revalidation: %d %q Last-Modified %q", rec.Code, rec.Body.String(), rec.Header().Get("Last-Modified"))
	}
	rec = serve(t, h, request("PUT", hdr{"If-Match", `"v0"`}))
	if rec.Code != 412 || rec.Header().Get("ETag") != "" || !strings.Contains(rec.Body.String(), `"If-Match":[`) {
		t.Errorf("stale write: %d ETag %q body %s", rec.Code, rec.Header().Get("ETag"), rec.Body.String())
	}
	rec = serve(t, h, request("PUT", hdr{"If-Match", `"v1"`}))
	if rec.Code != 200 || rec.Header().Get("ETag") != "" {
		t.Errorf("current write: %d ETag %q", rec.Code, rec.Header().Get("ETag"))
	}
}

func TestPublic(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{time.Hour, "public, max-age=3600"},
		{1500 * time.Millisecond, "public, max-age=1"},
		{-time.Second, "public, max-age=0"},
		{1 << 62, "public, max-age=2147483648"},
	} {
		got := Public(tc.d)
		if got != tc.want {
			t.Errorf("Public(%v) = %q, want %q", tc.d, got, tc.want)
		}
		// Cache-Control is no structured field, but its directives here
		// are valid dictionary members.
		if _, err := sfv.ParseDictionary(got); err != nil {
			t.Errorf("Public(%v) = %q does not parse: %v", tc.d, got, err)
		}
	}
}

// TestValidatorsDescribeReads checks that with Config.Validators, GET and
// HEAD carry the tags writes are checked against, so a client can read,
// then write with If-Match.
func TestValidatorsDescribeReads(t *testing.T) {
	version := 7
	m := mustNew(t, Config{Validators: func(r *http.Request) (Validators, error) {
		switch r.URL.Path {
		case "/gone":
			return Validators{}, apierrors.NotFound("no such item")
		case "/new":
			return Validators{Missing: true}, nil
		case "/bare":
			return Validators{}, nil
		}
		return Validators{ETag: Strong(fmt.Sprint(version)), LastModified: T}, nil
	}})
	ran := 0
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ran++
		switch {
		case r.URL.Path == "/new":
			http.Error(w, "not found", http.StatusNotFound)
		case r.URL.Query().Has("fail"):
			http.Error(w, "boom", http.StatusInternalServerError)
		case r.Method == http.MethodPut:
			version++
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Vary", "Accept-Language")
			io.WriteString(w, jsonBody)
		}
	}))
	get := func(path string, headers ...hdr) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		for _, x := range headers {
			r.Header.Add(x.name, x.value)
		}
		return serve(t, h, r)
	}

	rec := get("/items/1")
	tag := rec.Header().Get("ETag")
	if rec.Code != 200 || tag != `"7"` || rec.Header().Get("Last-Modified") != httpDate(T) || rec.Body.String() != jsonBody {
		t.Fatalf("GET: %d ETag %q Last-Modified %q", rec.Code, tag, rec.Header().Get("Last-Modified"))
	}
	if rec := serve(t, h, request("HEAD")); rec.Header().Get("ETag") != tag {
		t.Errorf("HEAD ETag %q, GET %q", rec.Header().Get("ETag"), tag)
	}
	rec = get("/items/1", hdr{"If-None-Match", tag})
	if rec.Code != 304 || rec.Body.Len() != 0 || rec.Header().Get("Vary") != "Accept-Language" || rec.Header().Get("ETag") != tag {
		t.Errorf("revalidation: %d Vary %q ETag %q, want 304 with the handler's headers", rec.Code, rec.Header().Get("Vary"), rec.Header().Get("ETag"))
	}
	if rec := get("/items/1", hdr{"If-Match", `"6"`}); rec.Code != 412 {
		t.Errorf("GET If-Match stale: %d, want 412", rec.Code)
	}
	// Read, then write with the tag read: accepted once, then stale.
	put := request("PUT", hdr{"If-Match", tag})
	if rec := serve(t, h, put); rec.Code != 204 {
		t.Errorf("PUT with the tag from GET: %d, want 204", rec.Code)
	}
	if rec := serve(t, h, request("PUT", hdr{"If-Match", tag})); rec.Code != 412 {
		t.Errorf("PUT with the old tag: %d, want 412", rec.Code)
	}

	ran = 0
	if rec := get("/gone"); rec.Code != 404 || ran != 0 || !strings.Contains(rec.Body.String(), `"not_found"`) {
		t.Errorf("lookup error: %d ran %d body %q, want the 404 without running the handler", rec.Code, ran, rec.Body.String())
	}
	if rec := get("/new", hdr{"If-Match", "*"}); rec.Code != 404 || rec.Header().Get("ETag") != "" {
		t.Errorf("missing: %d ETag %q, want the handler's 404", rec.Code, rec.Header().Get("ETag"))
	}
	if rec := get("/items/1?fail"); rec.Code != 500 || rec.Header().Get("ETag") != "" || rec.Header().Get("Last-Modified") != "" {
		t.Errorf("error response: %d ETag %q Last-Modified %q, want a 500 without validators",
			rec.Code, rec.Header().Get("ETag"), rec.Header().Get("Last-Modified"))
	}
	// A handler answering 304 itself keeps the preset tag.
	h304 := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if Respond(w, r, Validators{ETag: w.Header().Get("ETag")}) {
			return
		}
		io.WriteString(w, jsonBody)
	}))
	if rec := serve(t, h304, request("GET", hdr{"If-None-Match", `"8"`})); rec.Code != 304 || rec.Header().Get("ETag") != `"8"` {
		t.Errorf("handler's own 304: %d ETag %q, want 304 with the tag", rec.Code, rec.Header().Get("ETag"))
	}
	if rec := get("/bare"); rec.Code != 200 || rec.Header().Get("ETag") != "" {
		t.Errorf("no validators: %d ETag %q, want an untagged 200 (no digest)", rec.Code, rec.Header().Get("ETag"))
	}
}
