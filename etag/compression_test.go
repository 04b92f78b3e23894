package etag

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// gzipTags says what a test compression middleware does to the ETag of a
// response it compresses.
type gzipTags int

const (
	keepTags   gzipTags = iota // leaves them (right only outside the etag middleware)
	weakenTags                 // W/"x", as nginx does
	suffixTags                 // "x-gzip", as Apache mod_deflate does
)

// gzipMiddleware is a small compression middleware: it compresses 2xx
// responses for clients that accept gzip, GET and HEAD alike, and sets
// Vary: Accept-Encoding on every response.
func gzipMiddleware(tags gzipTags) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("Vary", "Accept-Encoding")
			if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
				next.ServeHTTP(w, r)
				return
			}
			gw := &gzipWriter{ResponseWriter: w, tags: tags}
			defer gw.close()
			next.ServeHTTP(gw, r)
		})
	}
}

type gzipWriter struct {
	http.ResponseWriter
	tags        gzipTags
	zw          *gzip.Writer
	wroteHeader bool
}

func (g *gzipWriter) WriteHeader(code int) {
	if g.wroteHeader {
		return
	}
	g.wroteHeader = true
	h := g.Header()
	if code/100 == 2 && code != http.StatusNoContent && h.Get("Content-Encoding") == "" {
		h.Del("Content-Length")
		h.Set("Content-Encoding", "gzip")
		if tag := h.Get("ETag"); strings.HasPrefix(tag, `"`) {
			switch g.tags {
			case weakenTags:
				h.Set("ETag", "W/"+tag)
			case suffixTags:
				h.Set("ETag", tag[:len(tag)-1]+`-gzip"`)
			}
		}
		g.zw = gzip.NewWriter(g.ResponseWriter)
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipWriter) Write(p []byte) (int, error) {
	if !g.wroteHeader {
		g.WriteHeader(http.StatusOK)
	}
	if g.zw == nil {
		return g.ResponseWriter.Write(p)
	}
	return g.zw.Write(p)
}

func (g *gzipWriter) close() {
	if g.zw != nil {
		g.zw.Close()
	}
}

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

var itemHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, strings.Repeat(jsonBody, 20))
})

// TestCompressionOutside places the etag middleware outside the
// compression middleware, as the package documentation advises: the tag
// covers the compressed bytes, GET and HEAD agree, identity and gzip get
// different tags, and revalidation gives 304 with Vary intact.
func TestCompressionOutside(t *testing.T) {
	h := Handler(gzipMiddleware(keepTags)(itemHandler))
	gz := hdr{"Accept-Encoding", "gzip"}
	get := serve(t, h, request("GET", gz))
	head := serve(t, h, request("HEAD", gz))
	plain := serve(t, h, request("GET"))
	tag := get.Header().Get("ETag")
	if get.Code != 200 || get.Header().Get("Content-Encoding") != "gzip" || gunzip(t, get.Body.Bytes()) != strings.Repeat(jsonBody, 20) {
		t.Fatalf("GET: %d Content-Encoding %q", get.Code, get.Header().Get("Content-Encoding"))
	}
	if tag != Of(get.Body.Bytes()) {
		t.Errorf("ETag %q is not the tag of the compressed bytes %q", tag, Of(get.Body.Bytes()))
	}
	if head.Header().Get("ETag") != tag {
		t.Errorf("HEAD ETag %q, GET ETag %q", head.Header().Get("ETag"), tag)
	}
	if plain.Header().Get("ETag") == tag || !Valid(plain.Header().Get("ETag")) {
		t.Errorf("identity ETag %q, gzip ETag %q: want two different strong tags", plain.Header().Get("ETag"), tag)
	}
	if got := get.Header().Get("Content-Length"); got != strconv.Itoa(get.Body.Len()) {
		t.Errorf("Content-Length = %q, want %d", got, get.Body.Len())
	}
	for _, method := range []string{"GET", "HEAD"} {
		rec := serve(t, h, request(method, gz, hdr{"If-None-Match", tag}))
		if rec.Code != 304 || rec.Body.Len() != 0 || rec.Header().Get("Vary") != "Accept-Encoding" || rec.Header().Get("ETag") != tag {
			t.Errorf("%s revalidation: %d body %d bytes Vary %q ETag %q", method, rec.Code, rec.Body.Len(), rec.Header().Get("Vary"), rec.Header().Get("ETag"))
		}
		if rec.Header().Get("Content-Encoding") != "" {
			t.Errorf("%s 304 carries Content-Encoding %q", method, rec.Header().Get("Content-Encoding"))
		}
	}
	// The gzip tag does not revalidate the identity representation.
	if rec := serve(t, h, request("GET", hdr{"If-None-Match", tag})); rec.Code != 200 {
		t.Errorf("identity GET with the gzip tag: %d, want 200", rec.Code)
	}
}

// TestCompressionInside places the etag middleware inside compression
// middlewares that weaken or suffix tags: If-None-Match still
// revalidates, If-Match stays strict unless LenientIfMatch.
func TestCompressionInside(t *testing.T) {
	gz := hdr{"Accept-Encoding", "gzip"}
	for _, tc := range []struct {
		name string
		tags gzipTags
	}{{"weaken", weakenTags}, {"suffix", suffixTags}} {
		t.Run(tc.name, func(t *testing.T) {
			for _, lenient := range []bool{false, true} {
				m := mustNew(t, Config{LenientIfMatch: lenient})
				h := gzipMiddleware(tc.tags)(m.Handler(itemHandler))
				get := serve(t, h, request("GET", gz))
				head := serve(t, h, request("HEAD", gz))
				tag := get.Header().Get("ETag")
				identity := Of([]byte(strings.Repeat(jsonBody, 20)))
				if want := map[gzipTags]string{weakenTags: "W/" + identity, suffixTags: identity[:len(identity)-1] + `-gzip"`}[tc.tags]; tag != want {
					t.Fatalf("ETag %q, want %q", tag, want)
				}
				if head.Header().Get("ETag") != tag {
					t.Errorf("HEAD ETag %q, GET ETag %q", head.Header().Get("ETag"), tag)
				}
				for _, method := range []string{"GET", "HEAD"} {
					rec := serve(t, h, request(method, gz, hdr{"If-None-Match", tag}))
					if rec.Code != 304 || rec.Body.Len() != 0 || rec.Header().Get("Vary") != "Accept-Encoding" {
						t.Errorf("%s revalidation: %d body %d bytes Vary %q", method, rec.Code, rec.Body.Len(), rec.Header().Get("Vary"))
					}
				}
				want := 412
				if lenient {
					want = 200
				}
				if rec := serve(t, h, request("GET", gz, hdr{"If-Match", tag})); rec.Code != want {
					t.Errorf("lenient=%v: If-Match %s: %d, want %d", lenient, tag, rec.Code, want)
				}
			}
		})
	}
}
