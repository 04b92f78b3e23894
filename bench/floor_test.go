package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/conditional"
	"github.com/danielgtaylor/huma/v2/humatest"
	"github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/etag"
	"github.com/restwell/restwell/idempotency"
	"github.com/restwell/restwell/pagination"
	"github.com/restwell/restwell/versioning"
)

// The packages below have no maintained Go peer that does the same job
// as a net/http middleware, except precondition checks (Huma's
// conditional package). They are measured against the physical floor:
// the bare handler, or the least code that produces a comparable
// result, shown as its own library row.

// jsonOf returns a JSON array of objects of exactly n bytes.
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

// jsonHandler writes body as a 200 application/json response.
func jsonHandler(body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
}

// run serves r with h b.N times through one reused writer, after checking
// that the first response has the status wanted.
func run(b *testing.B, h http.Handler, r func() *http.Request, want int) {
	b.Helper()
	w := newBenchWriter()
	h.ServeHTTP(w, r())
	if got := w.code(); got != want {
		b.Fatalf("status %d, want %d", got, want)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		w.reset()
		h.ServeHTTP(w, r())
	}
	b.StopTimer()
	reportCPU(b, start)
	if got := w.code(); got != want {
		b.Fatalf("last status %d, want %d", got, want)
	}
}

// postRequest is a reusable POST carrying a 1 KiB JSON body and an
// Idempotency-Key; next rewinds the body without allocating.
type postRequest struct {
	r    *http.Request
	body *bytes.Reader
	data []byte
}

func newPostRequest(target string) *postRequest {
	p := &postRequest{data: jsonOf(1024)}
	p.body = bytes.NewReader(p.data)
	r, _ := http.NewRequest("POST", target, nil)
	r.RemoteAddr = "192.0.2.1:1234"
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Idempotency-Key", "key-0")
	r.Body = io.NopCloser(p.body)
	r.ContentLength = int64(len(p.data))
	p.r = r
	return p
}

func (p *postRequest) next(key string) *http.Request {
	p.body.Reset(p.data)
	p.r.Header["Idempotency-Key"][0] = key
	return p.r
}

// createdHandler reads the request body and answers 201 with a small
// JSON document, like a typical create endpoint.
var createdHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(`{"id":"ord_123","status":"created","amount":1999}`))
})

// idemKeys is how many distinct keys the first-request case cycles
// through: a key comes back only long after its record expired.
const idemKeys = 1 << 20

// newIdempotency returns the middleware with a memory store around next.
// Records expire half a second after completion, so that in a long loop
// of new keys the store reaches a steady state (expired records evicted
// as new ones arrive) instead of growing with b.N; the bounds leave room
// for the records of that half second.
func newIdempotency(tb testing.TB, next http.Handler) http.Handler {
	s, err := idempotency.NewMemoryStore(idempotency.MemoryConfig{MaxRecords: 1 << 20, MaxBytes: 1 << 30})
	if err != nil {
		tb.Fatal(err)
	}
	m, err := idempotency.New(idempotency.Config{Store: s, Lease: 500 * time.Millisecond, Retention: 500 * time.Millisecond})
	if err != nil {
		tb.Fatal(err)
	}
	return m.Handler(next)
}

// BenchmarkIdempotency: a POST with a 1 KiB body and an Idempotency-Key,
// through the middleware with its memory store. first-request is a new
// key each time (read and fingerprint the body, take the key, run the
// handler, record the response); replay is the same request again,
// answered from the record without the handler; bare is the handler
// alone.
func BenchmarkIdempotency(b *testing.B) {
	keys := make([]string, idemKeys)
	for i := range keys {
		keys[i] = "key-" + strconv.Itoa(i)
	}
	b.Run("first-request/bare", func(b *testing.B) {
		p := newPostRequest("http://api.example.com/orders")
		i := 0
		run(b, createdHandler, func() *http.Request { i++; return p.next(keys[i%idemKeys]) }, http.StatusCreated)
	})
	b.Run("first-request/restwell", func(b *testing.B) {
		p := newPostRequest("http://api.example.com/orders")
		h := newIdempotency(b, createdHandler)
		w := newBenchWriter()
		for i := range 1 << 15 { // reach the steady state
			h.ServeHTTP(w, p.next("warm-"+strconv.Itoa(i)))
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			w.reset()
			h.ServeHTTP(w, p.next(keys[i%idemKeys]))
			if w.status != http.StatusCreated || w.h["Idempotent-Replayed"] != nil {
				b.Fatalf("request %d: status %d, replayed %q", i, w.status, w.h.Get("Idempotent-Replayed"))
			}
		}
	})
	b.Run("replay/bare", func(b *testing.B) {
		p := newPostRequest("http://api.example.com/orders")
		run(b, createdHandler, func() *http.Request { return p.next("key-0") }, http.StatusCreated)
	})
	b.Run("replay/restwell", func(b *testing.B) {
		p := newPostRequest("http://api.example.com/orders")
		s, err := idempotency.NewMemoryStore(idempotency.MemoryConfig{})
		if err != nil {
			b.Fatal(err)
		}
		m, err := idempotency.New(idempotency.Config{Store: s})
		if err != nil {
			b.Fatal(err)
		}
		h := m.Handler(createdHandler)
		h.ServeHTTP(newBenchWriter(), p.next("key-0"))
		w := newBenchWriter()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			w.reset()
			h.ServeHTTP(w, p.next("key-0"))
		}
		b.StopTimer()
		if w.status != http.StatusCreated || w.h.Get("Idempotent-Replayed") != "true" {
			b.Fatalf("status %d, Idempotent-Replayed %q, want a replayed 201", w.status, w.h.Get("Idempotent-Replayed"))
		}
	})
}

// BenchmarkETag: a GET answered with a 1 KiB JSON body by a handler that
// sets no validator, through the middleware's automatic tags (SHA-256 of
// the body), without and with a matching If-None-Match.
func BenchmarkETag(b *testing.B) {
	body := jsonOf(1024)
	m, err := etag.New(etag.Config{})
	if err != nil {
		b.Fatal(err)
	}
	tagged := m.Handler(jsonHandler(body))
	w := newBenchWriter()
	get, _ := http.NewRequest("GET", "http://api.example.com/items", nil)
	tagged.ServeHTTP(w, get)
	tag := w.h.Get("ETag")
	if tag == "" {
		b.Fatal("no ETag on the response")
	}
	cond, _ := http.NewRequest("GET", "http://api.example.com/items", nil)
	cond.Header.Set("If-None-Match", tag)
	for _, c := range []struct {
		name string
		h    http.Handler
		r    *http.Request
		want int
	}{
		{"1KiB-200/bare", jsonHandler(body), get, http.StatusOK},
		{"1KiB-200/restwell", tagged, get, http.StatusOK},
		{"1KiB-304/bare", jsonHandler(body), cond, http.StatusOK},
		{"1KiB-304/restwell", tagged, cond, http.StatusNotModified},
	} {
		b.Run(c.name, func(b *testing.B) { run(b, c.h, func() *http.Request { return c.r }, c.want) })
	}
}

// preconditionCase is one request whose preconditions are evaluated
// against the current tag "v1" by both restwell and Huma.
type preconditionCase struct {
	name   string
	method string
	header string
	value  string
	want   int // 0 (go on), 304 or 412
}

// The lists have no spaces after the commas: Huma's header parsing
// splits on "," without trimming, so it would miss `"a", "v1"`; see
// TestHumaSpacedLists.
var preconditionCases = []preconditionCase{
	{"if-none-match-hit", "GET", "If-None-Match", `"a","b","v1"`, http.StatusNotModified},
	{"if-none-match-miss", "GET", "If-None-Match", `"a","b","c"`, 0},
	{"if-match-hit", "PUT", "If-Match", `"v0","v1"`, 0},
	{"if-match-miss", "PUT", "If-Match", `"v0"`, http.StatusPreconditionFailed},
}

// restwellPrecondition evaluates r with etag.Check.
func restwellPrecondition(r *http.Request) int {
	return etag.Check(r, etag.Validators{ETag: `"v1"`}).Status
}

// humaPrecondition does what a Huma operation with conditional.Params
// does: split the header fields on commas (Huma's parameter parsing),
// resolve the method, and call PreconditionFailed with the current tag.
func humaPrecondition(ctx huma.Context, r *http.Request) int {
	var p conditional.Params
	if v := r.Header.Get("If-Match"); v != "" {
		p.IfMatch = strings.Split(v, ",")
	}
	if v := r.Header.Get("If-None-Match"); v != "" {
		p.IfNoneMatch = strings.Split(v, ",")
	}
	p.Resolve(ctx)
	if err := p.PreconditionFailed("v1", time.Time{}); err != nil {
		return err.GetStatus()
	}
	return 0
}

func preconditionRequest(c preconditionCase) *http.Request {
	r, _ := http.NewRequest(c.method, "http://api.example.com/items/1", nil)
	r.Header.Set(c.header, c.value)
	return r
}

// BenchmarkPrecondition: evaluating If-Match and If-None-Match against a
// known current tag, restwell's etag.Check against Huma's
// conditional.Params. Neither writes a response here.
func BenchmarkPrecondition(b *testing.B) {
	for _, c := range preconditionCases {
		r := preconditionRequest(c)
		b.Run(c.name+"/restwell", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if got := restwellPrecondition(r); got != c.want {
					b.Fatalf("status %d, want %d", got, c.want)
				}
			}
		})
		b.Run(c.name+"/huma", func(b *testing.B) {
			ctx := humatest.NewContext(nil, r, newBenchWriter())
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if got := humaPrecondition(ctx, r); got != c.want {
					b.Fatalf("status %d, want %d", got, c.want)
				}
			}
		})
	}
}

// TestPreconditionsAgree shows that restwell and Huma decide every
// benchmarked case the same way, so the benchmark compares equal work.
func TestPreconditionsAgree(t *testing.T) {
	for _, c := range preconditionCases {
		t.Run(c.name, func(t *testing.T) {
			r := preconditionRequest(c)
			if got := restwellPrecondition(r); got != c.want {
				t.Errorf("restwell: got %d, want %d", got, c.want)
			}
			if got := humaPrecondition(humatest.NewContext(nil, r, newBenchWriter()), r); got != c.want {
				t.Errorf("huma: got %d, want %d", got, c.want)
			}
		})
	}
}

// TestHumaSpacedLists records a difference the benchmark works around:
// for the list `"a", "v1"` as clients commonly send it (RFC 9110 lists
// allow spaces after commas) restwell answers 304, Huma's split leaves
// ` "v1"` and finds no match. It also compares a weak tag in If-Match,
// which RFC 9110 forbids to match (strong comparison) and Huma accepts.
func TestHumaSpacedLists(t *testing.T) {
	for _, c := range []struct {
		name          string
		pc            preconditionCase
		restwell, hum int
	}{
		{"spaced If-None-Match", preconditionCase{method: "GET", header: "If-None-Match", value: `"a", "v1"`}, http.StatusNotModified, 0},
		{"weak If-Match", preconditionCase{method: "PUT", header: "If-Match", value: `W/"v1"`}, http.StatusPreconditionFailed, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := preconditionRequest(c.pc)
			if got := restwellPrecondition(r); got != c.restwell {
				t.Errorf("restwell: got %d, want %d", got, c.restwell)
			}
			if got := humaPrecondition(humatest.NewContext(nil, r, newBenchWriter()), r); got != c.hum {
				t.Errorf("huma: got %d, want %d", got, c.hum)
			}
		})
	}
}

// problem is what a hand-written handler encodes for an error: the
// RFC 9457 members and, for validation, a list of field errors.
type problem struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Detail string         `json:"detail"`
	Errors []problemField `json:"errors,omitempty"`
}

type problemField struct {
	Pointer string `json:"pointer"`
	Detail  string `json:"detail"`
}

// BenchmarkErrorWrite: writing an error response. stdlib is http.Error
// (text/plain, the least a handler can send); encoding-json encodes a
// problem struct with json.NewEncoder, as a hand-written handler would;
// restwell is errors.Write with the default envelope, which also carries
// the request id, a code and, for 422, the field errors.
func BenchmarkErrorWrite(b *testing.B) {
	r, _ := http.NewRequest("GET", "http://api.example.com/items/42", nil)
	encode := func(w http.ResponseWriter, p *problem) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(p.Status)
		_ = json.NewEncoder(w).Encode(p)
	}
	fields := []errors.FieldError{
		errors.BodyField("/name", "is required"),
		errors.BodyField("/price/amount", "must be greater than 0"),
	}
	cases := []struct {
		name string
		fn   func(w http.ResponseWriter)
		want int
	}{
		{"404/stdlib", func(w http.ResponseWriter) { http.Error(w, "item 42 not found", http.StatusNotFound) }, 404},
		{"404/encoding-json", func(w http.ResponseWriter) {
			encode(w, &problem{Type: "about:blank", Title: "Not Found", Status: 404, Detail: "item 42 not found"})
		}, 404},
		{"404/restwell", func(w http.ResponseWriter) { errors.Write(w, r, errors.NotFound("item 42 not found")) }, 404},
		{"422-2-fields/stdlib", func(w http.ResponseWriter) {
			http.Error(w, "invalid body: /name is required; /price/amount must be greater than 0", http.StatusUnprocessableEntity)
		}, 422},
		{"422-2-fields/encoding-json", func(w http.ResponseWriter) {
			encode(w, &problem{Type: "about:blank", Title: "Unprocessable Entity", Status: 422, Detail: "invalid body",
				Errors: []problemField{{"/name", "is required"}, {"/price/amount", "must be greater than 0"}}})
		}, 422},
		{"422-2-fields/restwell", func(w http.ResponseWriter) {
			errors.Write(w, r, errors.Validation("invalid body", fields...))
		}, 422},
	}
	for _, c := range cases {
		h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { c.fn(w) })
		b.Run(c.name, func(b *testing.B) { run(b, h, func() *http.Request { return r }, c.want) })
	}
}

// cursorItem is a row of a list sorted by creation time, newest first,
// then id.
type cursorItem struct {
	At time.Time
	ID int64
}

// cursorValues are the boundary values a cursor carries: a timestamp
// and the id.
var cursorValues = []any{time.Date(2025, 3, 4, 5, 6, 7, 891011121, time.UTC), int64(123456789)}

func newPager(tb testing.TB) *pagination.Pager[cursorItem] {
	p, err := pagination.New(pagination.Config[cursorItem]{
		Keys:    [][]byte{bytes.Repeat([]byte("k"), 32)},
		ID:      pagination.Column[cursorItem]{Name: "id", Value: func(it cursorItem) any { return it.ID }},
		Columns: []pagination.Column[cursorItem]{{Name: "at", Value: func(it cursorItem) any { return it.At }}},
		Sorts:   []string{"-at"},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// plainCursor is the floor: base64url over a JSON array of the sort and
// the values, unsigned, which a client can forge and which loses the
// values' types (the time comes back as a string, the id as a float).
type plainCursor struct {
	Sort   string `json:"s"`
	Values []any  `json:"v"`
}

// BenchmarkCursor: encoding and decoding a two-value cursor.
// restwell's cursors are signed (HMAC-SHA256), carry the sort and the
// issue time, and decode to the values' original types.
func BenchmarkCursor(b *testing.B) {
	p := newPager(b)
	c := pagination.Cursor{Sort: "-at", Values: cursorValues}
	b.Run("encode/base64-json", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			j, err := json.Marshal(plainCursor{Sort: c.Sort, Values: c.Values})
			if err != nil {
				b.Fatal(err)
			}
			_ = base64.RawURLEncoding.EncodeToString(j)
		}
	})
	b.Run("encode/restwell", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := p.EncodeCursor(c); err != nil {
				b.Fatal(err)
			}
		}
	})
	j, _ := json.Marshal(plainCursor{Sort: c.Sort, Values: c.Values})
	plain := base64.RawURLEncoding.EncodeToString(j)
	b.Run("decode/base64-json", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			raw, err := base64.RawURLEncoding.DecodeString(plain)
			if err != nil {
				b.Fatal(err)
			}
			var pc plainCursor
			if err := json.Unmarshal(raw, &pc); err != nil || len(pc.Values) != 2 {
				b.Fatal(err)
			}
		}
	})
	signed, err := p.EncodeCursor(c)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode/restwell", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if got, err := p.DecodeCursor(signed); err != nil || len(got.Values) != 2 {
				b.Fatal(err)
			}
		}
	})
}

// versionKey is the context key of the with-value floor.
type versionKey struct{}

// BenchmarkVersioning: negotiating the version of a GET from its path
// (/api/v2/...) or from the Api-Version header, with three versions
// served, one of them deprecated. with-value is the least any middleware
// that hands a value to the handler pays: one context.WithValue and
// Request.WithContext, plus the response header.
func BenchmarkVersioning(b *testing.B) {
	v, err := versioning.New(versioning.Config{
		Versions: []versioning.Version{
			{Name: "1", Deprecated: time.Unix(1735689600, 0), Successor: "2"},
			{Name: "2"},
			{Name: "3"},
		},
		Default:      "3",
		PathTemplate: "/api/v{version}",
	})
	if err != nil {
		b.Fatal(err)
	}
	withValue := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Api-Version"] = []string{"2"}
		okHandler.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), versionKey{}, "2")))
	})
	path, _ := http.NewRequest("GET", "http://api.example.com/api/v2/items/42", nil)
	header, _ := http.NewRequest("GET", "http://api.example.com/items/42", nil)
	header.Header.Set("Api-Version", "2")
	for _, c := range []struct {
		name string
		r    *http.Request
	}{{"path", path}, {"header", header}} {
		b.Run(c.name+"/bare", func(b *testing.B) { run(b, okHandler, func() *http.Request { return c.r }, 200) })
		b.Run(c.name+"/with-value", func(b *testing.B) { run(b, withValue, func() *http.Request { return c.r }, 200) })
		b.Run(c.name+"/restwell", func(b *testing.B) {
			h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if versioning.FromContext(r.Context()) != "2" {
					w.WriteHeader(http.StatusInternalServerError)
				}
			}))
			run(b, h, func() *http.Request { return c.r }, 200)
		})
	}
}
