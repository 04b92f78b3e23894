package idempotency

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// TestBodyPool: a buffer comes out of the pool empty with the room asked
// for, and only buffers of up to maxPooledBody go back.
func TestBodyPool(t *testing.T) {
	for _, tt := range []struct {
		n      int
		pooled bool
	}{
		{1, true}, {512, true}, {513, true}, {maxPooledBody, true}, {maxPooledBody + 1, false}, {1 << 20, false},
	} {
		b := getBody(tt.n)
		if cap(b.b) < tt.n || len(b.b) != 0 {
			t.Errorf("getBody(%d): len %d, cap %d; want len 0, cap at least %d", tt.n, len(b.b), cap(b.b), tt.n)
		}
		b.b = append(b.b, 'x')
		putBody(b)
		if got := len(b.b) == 0; got != tt.pooled {
			t.Errorf("putBody of a buffer of cap %d: emptied for reuse %v, want %v", cap(b.b), got, tt.pooled)
		}
	}
	putBody(nil)
}

// TestBodyReadSizes: bodies around the sizes where a buffer grows and
// where it stops being pooled, of known and unknown length, reach the
// handler whole, and the fingerprint covers all of them.
func TestBodyReadSizes(t *testing.T) {
	var got []byte
	var gotLen int64
	var info Info
	m, err := New(Config{MaxBodySize: 300_000})
	if err != nil {
		t.Fatal(err)
	}
	srv := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		gotLen = r.ContentLength
		info, _ = FromContext(r.Context())
	}))
	for _, n := range []int{0, 1, 511, 512, 513, 1023, 1024, 1025, 4096, 65535, 65536, 65537, 300_000} {
		for _, known := range []bool{true, false} {
			body := bytes.Repeat([]byte{'a' + byte(n%26)}, n)
			for i := range body {
				body[i] += byte(i % 7)
			}
			r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			r.Header.Set("Idempotency-Key", fmt.Sprintf("k%d-%v", n, known))
			if !known {
				r.ContentLength = -1
				r.Body = io.NopCloser(bytes.NewReader(body)) // hide the length
			}
			got, gotLen = nil, 0
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, r)
			if w.Code != 200 || !bytes.Equal(got, body) || gotLen != int64(n) {
				t.Fatalf("%d bytes (length known %v): status %d, handler read %d bytes, ContentLength %d",
					n, known, w.Code, len(got), gotLen)
			}
			want := DefaultFingerprint(httptest.NewRequest("POST", "/", nil), body)
			if info.Fingerprint != want {
				t.Fatalf("%d bytes (length known %v): fingerprint does not cover the body", n, known)
			}
		}
	}
}

// TestBodyBuffersNotShared: concurrent requests with bodies of many sizes
// each see their own body, and so do their replays (run with -race).
func TestBodyBuffersNotShared(t *testing.T) {
	m, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		want := bytes.Repeat([]byte(r.Header.Get("X-Fill")), len(b))
		if !bytes.Equal(b, want) || strconv.Itoa(len(b)) != r.Header.Get("X-Len") {
			t.Errorf("handler got %d bytes %.20q..., want %s of %s", len(b), b, r.Header.Get("X-Len"), r.Header.Get("X-Fill"))
		}
		w.Write(b)
	}))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				n := (g*977 + i*1543) % 9000
				fill := string(rune('a' + (g*40+i)%26))
				for try := 0; try < 2; try++ { // the first run, then its replay
					r := httptest.NewRequest("POST", "/", bytes.NewReader(bytes.Repeat([]byte(fill), n)))
					r.Header.Set("Idempotency-Key", fmt.Sprintf("g%d-%d", g, i))
					r.Header.Set("X-Fill", fill)
					r.Header.Set("X-Len", strconv.Itoa(n))
					w := httptest.NewRecorder()
					srv.ServeHTTP(w, r)
					if !bytes.Equal(w.Body.Bytes(), bytes.Repeat([]byte(fill), n)) {
						t.Errorf("g%d-%d try %d: response of %d bytes, want %d of %s", g, i, try, w.Body.Len(), n, fill)
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestBodyKeptPastHandler: a body a handler keeps past its return reads
// as empty afterwards, never as another request's bytes.
func TestBodyKeptPastHandler(t *testing.T) {
	m, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	var kept io.Reader
	srv := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { kept = r.Body }))
	r := httptest.NewRequest("POST", "/", bytes.NewReader([]byte("secret")))
	r.Header.Set("Idempotency-Key", "k")
	srv.ServeHTTP(httptest.NewRecorder(), r)
	r = httptest.NewRequest("POST", "/", bytes.NewReader([]byte("other1")))
	r.Header.Set("Idempotency-Key", "k2")
	srv.ServeHTTP(httptest.NewRecorder(), r)
	if b, _ := io.ReadAll(kept); len(b) != 0 {
		t.Fatalf("body read after the handler returned: %q", b)
	}
}
