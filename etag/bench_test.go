package etag

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"net/http"
	"testing"
)

// Run with:
//
//	go test ./etag -run '^$' -bench . -benchmem
//
// BenchmarkAutoTag1KiB against BenchmarkBaseline1KiB gives the cost of
// automatic tags relative to what they cannot avoid: the bare handler
// plus SHA-256 over its body.

// sink is a reusable ResponseWriter, so benchmarks measure the middleware
// and not a recorder. Its header map is cleared for every request.
type sink struct {
	h    http.Header
	code int
	n    int
}

func newSink() *sink                 { return &sink{h: make(http.Header, 8)} }
func (s *sink) Header() http.Header  { return s.h }
func (s *sink) WriteHeader(code int) { s.code = code }
func (s *sink) Write(p []byte) (int, error) {
	s.n += len(p)
	return len(p), nil
}
func (s *sink) reset() {
	clear(s.h)
	s.code, s.n = 0, 0
}

// jsonOf returns a JSON array of objects of about n bytes.
func jsonOf(n int) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	for i := 0; b.Len() < n-80; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"item %d","price":{"amount":%d,"currency":"EUR"}}`, i, i, 100*i)
	}
	b.WriteByte(']')
	for b.Len() < n {
		b.WriteByte(' ')
	}
	return b.Bytes()[:n]
}

// jsonHandler is a typical handler: it sets Content-Type and writes a
// prepared body.
func jsonHandler(body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
}

func BenchmarkCheck(b *testing.B) {
	v := Validators{ETag: `"v1"`, LastModified: T}
	cases := []struct {
		name    string
		method  string
		headers []hdr
	}{
		{"none", "GET", nil},
		{"IfNoneMatch/match", "GET", []hdr{{"If-None-Match", `"a", "b", W/"v1"`}}},
		{"IfNoneMatch/list", "GET", []hdr{{"If-None-Match", `"a", junk, "b"`}, {"If-None-Match", `"c", "d"`}}},
		{"IfModifiedSince", "GET", []hdr{{"If-Modified-Since", FormatDate(T)}}},
		{"IfMatch/PUT", "PUT", []hdr{{"If-Match", `"v0", "v1"`}}},
		{"IfUnmodifiedSince/PUT", "PUT", []hdr{{"If-Unmodified-Since", "Wednesday, 01-May-24 12:00:00 GMT"}}},
		{"IfRange", "GET", []hdr{{"Range", "bytes=0-99"}, {"If-Range", "Wed May  1 12:00:00 2024"}}},
	}
	for _, c := range cases {
		r := request(c.method, c.headers...)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Check(r, v)
			}
		})
	}
}

func benchServe(b *testing.B, h http.Handler, r *http.Request, size int) {
	w := newSink()
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		w.reset()
		h.ServeHTTP(w, r)
	}
}

// BenchmarkBaseline1KiB is the floor for automatic tags: the bare handler
// and SHA-256 over its body.
func BenchmarkBaseline1KiB(b *testing.B) {
	body := jsonOf(1 << 10)
	h := jsonHandler(body)
	r := request("GET")
	w := newSink()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		w.reset()
		h.ServeHTTP(w, r)
		sha256.Sum256(body)
	}
}

func BenchmarkAutoTag1KiB(b *testing.B) {
	body := jsonOf(1 << 10)
	benchServe(b, Handler(jsonHandler(body)), request("GET"), len(body))
}

func BenchmarkAutoTag1KiBNotModified(b *testing.B) {
	body := jsonOf(1 << 10)
	benchServe(b, Handler(jsonHandler(body)), request("GET", hdr{"If-None-Match", Of(body)}), len(body))
}

func BenchmarkOwnTag1KiB(b *testing.B) {
	body := jsonOf(1 << 10)
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Etag"] = []string{`"v1"`}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	benchServe(b, h, request("GET"), len(body))
}

func BenchmarkBaseline1MiB(b *testing.B) {
	body := jsonOf(1 << 20)
	h := jsonHandler(body)
	r := request("GET")
	w := newSink()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		w.reset()
		h.ServeHTTP(w, r)
		sha256.Sum256(body)
	}
}

func BenchmarkAutoTag1MiB(b *testing.B) {
	body := jsonOf(1 << 20)
	benchServe(b, Handler(jsonHandler(body)), request("GET"), len(body))
}

// BenchmarkPassThrough10MiB is a body past MaxBody written in 32 KiB
// pieces, as io.Copy would: held up to 1 MiB, then streamed untagged.
func BenchmarkPassThrough10MiB(b *testing.B) {
	body := jsonOf(10 << 20)
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for p := body; len(p) > 0; p = p[min(len(p), 32<<10):] {
			w.Write(p[:min(len(p), 32<<10)])
		}
	}))
	benchServe(b, h, request("GET"), len(body))
}

func BenchmarkWriteCheck(b *testing.B) {
	m, _ := New(Config{Validators: func(*http.Request) (Validators, error) { return Validators{ETag: `"v1"`}, nil }})
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	benchServe(b, h, request("PUT", hdr{"If-Match", `"v1"`}), 0)
}

func TestCheckAllocatesNothing(t *testing.T) {
	v := Validators{ETag: `"v1"`, LastModified: T}
	reqs := []*http.Request{
		request("GET", hdr{"If-None-Match", `"a", junk, W/"v1"`}, hdr{"If-None-Match", `"c"`}),
		request("GET", hdr{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}),
		request("HEAD", hdr{"If-Modified-Since", "not a date"}),
		request("PUT", hdr{"If-Match", `"v0", *`}, hdr{"If-Unmodified-Since", "Sun Nov  6 08:49:37 1994"}),
		request("DELETE", hdr{"If-Unmodified-Since", "Sunday, 06-Nov-94 08:49:37 GMT"}),
		request("GET", hdr{"Range", "bytes=0-1"}, hdr{"If-Range", `"v1"`}),
		request("GET", hdr{"Range", "bytes=0-1"}, hdr{"If-Range", FormatDate(T)}),
	}
	allocs := testing.AllocsPerRun(100, func() {
		for _, r := range reqs {
			Check(r, v)
		}
	})
	if allocs != 0 {
		t.Errorf("Check allocates %.1f times per round", allocs)
	}
}

// TestAutoTagAllocations pins the allocations of a tagged 1 KiB response:
// the handler's Content-Type header, the response's capture.Writer (never
// pooled, so a goroutine the handler leaks cannot reach another request)
// and two for the tag (the string with the tag and Content-Length, and
// their header slices). Pools make the count unreliable under the race
// detector.
func TestAutoTagAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	body := jsonOf(1 << 10)
	h := Handler(jsonHandler(body))
	r := request("GET")
	w := newSink()
	allocs := testing.AllocsPerRun(200, func() {
		w.reset()
		h.ServeHTTP(w, r)
	})
	if allocs > 4 {
		t.Errorf("a tagged 1 KiB response allocates %.1f times, want at most 4", allocs)
	}
	if w.h.Get("ETag") != Of(body) || w.n != len(body) {
		t.Errorf("ETag %q, %d bytes", w.h.Get("ETag"), w.n)
	}
}
