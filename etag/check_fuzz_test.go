package etag

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// FuzzCheck calls Check directly with arbitrary condition fields and
// validators, and holds it to what RFC 9110 §13 allows whatever the
// input: only 0, 304 or 412; 304 only for GET and HEAD; the deciding
// header named; Range only for a GET that goes on with a Range field;
// no conditions at all for OPTIONS, CONNECT, TRACE and reads of a missing
// resource; and a request that quotes the current strong tag in If-Match
// and If-None-Match fails on If-None-Match, never on If-Match.
//
//	go test ./etag -run '^$' -fuzz FuzzCheck -fuzztime 60s
func FuzzCheck(f *testing.F) {
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace}
	f.Add(uint8(0), `"v1"`, int64(1714564800), false, `"v0"`, `"x", W/"v1"`, "", "", "bytes=0-1", `"v1"`)
	f.Add(uint8(3), `W/"v1"`, int64(0), false, `*`, ``, "Wed, 01 May 2024 12:00:00 GMT", "", "", "")
	f.Add(uint8(1), `"v1-gzip"`, int64(-1), true, ``, `*`, "", "Sunday, 06-Nov-94 08:49:37 GMT", "", "")
	f.Add(uint8(4), `"a,b"`, int64(1714564800), false, `"a,b" , "c"`, `,,`, "garbage", "Sun Nov  6 08:49:37 1994", "bytes=5-", "Wed, 01 May 2024 12:00:00 GMT")
	f.Fuzz(func(t *testing.T, mi uint8, tag string, mod int64, missing bool, ifMatch, ifNoneMatch, ius, ims, rng, ifRange string) {
		method := methods[int(mi)%len(methods)]
		v := Validators{ETag: tag, Missing: missing}
		if mod >= 0 {
			v.LastModified = time.Unix(mod%(1<<40), 0)
		}
		r := httptest.NewRequest(method, "/", nil)
		for name, val := range map[string]string{
			"If-Match": ifMatch, "If-None-Match": ifNoneMatch, "If-Unmodified-Since": ius,
			"If-Modified-Since": ims, "Range": rng, "If-Range": ifRange,
		} {
			if val != "" {
				r.Header[name] = []string{val}
			}
		}
		res := Check(r, v)
		if again := Check(r, v); again != res {
			t.Fatalf("Check gave %+v, then %+v for the same request", res, again)
		}
		read := method == http.MethodGet || method == http.MethodHead
		switch res.Status {
		case 0:
			if res.Header != "" {
				t.Fatalf("going on, yet Header %q", res.Header)
			}
		case http.StatusNotModified:
			if !read {
				t.Fatalf("304 for %s", method)
			}
			if res.Header != "If-None-Match" && res.Header != "If-Modified-Since" {
				t.Fatalf("304 decided by %q", res.Header)
			}
		case http.StatusPreconditionFailed:
			switch res.Header {
			case "If-Match", "If-Unmodified-Since", "If-None-Match":
			default:
				t.Fatalf("412 decided by %q", res.Header)
			}
		default:
			t.Fatalf("status %d", res.Status)
		}
		if res.Header != "" && r.Header.Get(res.Header) == "" {
			t.Fatalf("decided by %s, which the request does not carry", res.Header)
		}
		if res.Range && (method != http.MethodGet || rng == "" || res.Status != 0) {
			t.Fatalf("Range honoured for %s with Range %q and status %d", method, rng, res.Status)
		}
		ignored := method == http.MethodOptions || method == http.MethodConnect || method == http.MethodTrace || missing && read
		if ignored && res != (Result{}) {
			t.Fatalf("%s (missing %v): conditions ignored, want Result{}, got %+v", method, missing, res)
		}
		if res.Err() == nil != (res.Status != http.StatusPreconditionFailed) {
			t.Fatalf("Err() is %v for status %d", res.Err(), res.Status)
		}

		// The current strong tag in both lists: If-Match holds, so the
		// answer is If-None-Match's.
		if op, weak, ok := Parse(tag); ok && !weak && !missing && !ignored {
			r.Header["If-Match"] = []string{Strong(op)}
			r.Header["If-None-Match"] = []string{Strong(op)}
			res := Check(r, v)
			want := http.StatusPreconditionFailed
			if read {
				want = http.StatusNotModified
			}
			if res.Status != want || res.Header != "If-None-Match" {
				t.Fatalf("%s with If-Match and If-None-Match both %s: got %+v, want %d on If-None-Match", method, tag, res, want)
			}
		}
	})
}
