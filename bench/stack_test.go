package bench

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/etag"
	"github.com/restwell/restwell/ratelimit"
	"github.com/restwell/restwell/requestid"
	"github.com/restwell/restwell/versioning"
)

// stack wraps next in every restwell middleware, in the order a service
// uses them (outermost first): requestid, the error Renderer, Recover,
// ratelimit (memory store, one policy), versioning (from the path, three
// versions), idempotency (memory store; GET passes through) and etag
// (automatic tags).
func stack(tb testing.TB, next http.Handler) http.Handler {
	m, err := etag.New(etag.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	h := m.Handler(next)
	h = newIdempotency(tb, h)
	v, err := versioning.New(versioning.Config{
		Versions: []versioning.Version{
			{Name: "1", Deprecated: time.Unix(1735689600, 0), Successor: "2"},
			{Name: "2"},
			{Name: "3"},
		},
		PathTemplate: "/api/v{version}",
	})
	if err != nil {
		tb.Fatal(err)
	}
	h = v.Handler(h)
	l, err := ratelimit.New(ratelimit.Config{
		// A real limit that the loop, from one client, never reaches.
		Policies: []ratelimit.Policy{{Name: "default", Limit: 1_000_000_000, Window: time.Second}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	h = l.Handler(h)
	h = errors.Recover(h)
	h = (&errors.Renderer{}).Handler(h)
	return requestid.Handler(h)
}

// createdJSON reads the request body and answers 201 with body.
func createdJSON(body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf [512]byte
		for {
			if _, err := r.Body.Read(buf[:]); err != nil {
				break
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(body)
	})
}

// taggedJSON answers 200 with body and its own strong ETag, as a handler
// that knows the version of what it serves (a row version, an update
// counter) does, so that the etag middleware need not hash the body.
func taggedJSON(body []byte, tag string) http.Handler {
	vals := []string{"application/json", tag}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = vals[0:1:1]
		h["Etag"] = vals[1:2:2]
		_, _ = w.Write(body)
	})
}

// BenchmarkStack: one handler answering 1 KiB of JSON, bare and inside
// the whole restwell stack. GET-1KiB is a plain read (tagged, limited,
// versioned, with a request id); GET-1KiB-304 is a revalidation the
// stack answers with 304 from the handler's output; the -own-tag cases
// are the same with a handler that sets its own ETag, which the stack
// checks without hashing the body; POST-1KiB-idempotent creates with a
// 1 KiB body and a new Idempotency-Key each time.
func BenchmarkStack(b *testing.B) {
	body := jsonOf(1024)
	full := stack(b, jsonHandler(body))
	const ownTag = `"items-v42"`
	tagged := stack(b, taggedJSON(body, ownTag))

	get, _ := http.NewRequest("GET", "http://api.example.com/api/v2/items", nil)
	get.RemoteAddr = "192.0.2.1:1234"
	w := newBenchWriter()
	full.ServeHTTP(w, get)
	for _, f := range []string{"ETag", "RateLimit", "RateLimit-Policy", "X-Request-Id", "Api-Version"} {
		if w.h.Get(f) == "" {
			b.Fatalf("full stack response has no %s field: %v", f, w.h)
		}
	}
	cond, _ := http.NewRequest("GET", "http://api.example.com/api/v2/items", nil)
	cond.RemoteAddr = get.RemoteAddr
	cond.Header.Set("If-None-Match", w.h.Get("ETag"))
	ownCond, _ := http.NewRequest("GET", "http://api.example.com/api/v2/items", nil)
	ownCond.RemoteAddr = get.RemoteAddr
	ownCond.Header.Set("If-None-Match", ownTag)

	for _, c := range []struct {
		name string
		h    http.Handler
		r    *http.Request
		want int
	}{
		{"GET-1KiB/bare", jsonHandler(body), get, http.StatusOK},
		{"GET-1KiB/restwell", full, get, http.StatusOK},
		{"GET-1KiB-304/bare", jsonHandler(body), cond, http.StatusOK},
		{"GET-1KiB-304/restwell", full, cond, http.StatusNotModified},
		{"GET-1KiB-own-tag/bare", taggedJSON(body, ownTag), get, http.StatusOK},
		{"GET-1KiB-own-tag/restwell", tagged, get, http.StatusOK},
		{"GET-1KiB-own-tag-304/bare", taggedJSON(body, ownTag), ownCond, http.StatusOK},
		{"GET-1KiB-own-tag-304/restwell", tagged, ownCond, http.StatusNotModified},
	} {
		b.Run(c.name, func(b *testing.B) { run(b, c.h, func() *http.Request { return c.r }, c.want) })
	}

	keys := make([]string, idemKeys)
	for i := range keys {
		keys[i] = "key-" + strconv.Itoa(i)
	}
	for _, c := range []struct {
		name string
		h    func(b *testing.B) http.Handler
	}{
		{"POST-1KiB-idempotent/bare", func(*testing.B) http.Handler { return createdJSON(body) }},
		{"POST-1KiB-idempotent/restwell", func(b *testing.B) http.Handler { return stack(b, createdJSON(body)) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := c.h(b)
			p := newPostRequest("http://api.example.com/api/v2/items")
			w := newBenchWriter()
			for i := range 1 << 15 { // reach the store's steady state
				w.reset()
				h.ServeHTTP(w, p.next("warm-"+strconv.Itoa(i)))
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := cpuTime()
			for i := 0; i < b.N; i++ {
				w.reset()
				h.ServeHTTP(w, p.next(keys[i%idemKeys]))
				if w.status != http.StatusCreated || w.h["Idempotent-Replayed"] != nil {
					b.Fatalf("request %d: status %d, Idempotent-Replayed %q", i, w.status, w.h.Get("Idempotent-Replayed"))
				}
			}
			b.StopTimer()
			reportCPU(b, start)
		})
	}
}
