package etag_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"

	"github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/etag"
	"github.com/restwell/restwell/observe"
)

func Example() {
	h := etag.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":1,"name":"mug"}`)
	}))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/items/1", nil))
	tag := rec.Header().Get("ETag")
	fmt.Println(rec.Code, tag)

	// The client revalidates with the tag it kept.
	req := httptest.NewRequest("GET", "/items/1", nil)
	req.Header.Set("If-None-Match", tag)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.Len())
	// Output:
	// 200 "NpYBusbO5LjxKjvxzI-aWw"
	// 304 0
}

// item is a stored resource with a version that changes on every write.
type item struct {
	Version int
	Name    string
}

func ExampleNew() {
	var mu sync.Mutex
	items := map[string]*item{"1": {Version: 3, Name: "mug"}}

	tags, err := etag.New(etag.Config{
		Validators: func(r *http.Request) (etag.Validators, error) {
			mu.Lock()
			defer mu.Unlock()
			it, ok := items[r.PathValue("id")]
			switch {
			case !ok && r.Method == http.MethodPut:
				return etag.Validators{Missing: true}, nil // PUT may create it
			case !ok:
				return etag.Validators{}, errors.NotFound("no item with that id")
			}
			return etag.Validators{ETag: etag.Strong(strconv.Itoa(it.Version))}, nil
		},
		RequireCondition: etag.RequireForUpdates,
	})
	if err != nil {
		panic(err)
	}
	// Wrap the route, not the whole mux, so that Validators sees
	// r.PathValue.
	mux := http.NewServeMux()
	mux.Handle("PUT /items/{id}", tags.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		it := items[r.PathValue("id")]
		if it == nil {
			it = &item{}
			items[r.PathValue("id")] = it
		}
		it.Version++
		w.WriteHeader(http.StatusNoContent)
	})))
	h := mux

	put := func(id string, header ...string) {
		req := httptest.NewRequest("PUT", "/items/"+id, nil)
		if len(header) == 2 {
			req.Header.Set(header[0], header[1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Body.Len() > 0 {
			fmt.Println(rec.Code, rec.Body.String())
		} else {
			fmt.Println(rec.Code)
		}
	}
	put("1")                       // unconditional: 428
	put("1", "If-Match", `"2"`)    // stale: 412, nothing written
	put("1", "If-Match", `"3"`)    // current: 204, now version 4
	put("2", "If-None-Match", "*") // create only if absent: 204
	put("2", "If-None-Match", "*") // exists now: 412
	// Output:
	// 428 {"error":{"code":"precondition_required","message":"this request must be conditional: send the If-Match header","details":{"If-Match":["send the entity tag (ETag) of the representation the change is based on"]}}}
	// 412 {"error":{"code":"precondition_failed","message":"the If-Match condition did not hold: the resource has changed since the client last saw it, or does not exist","details":{"If-Match":["does not match the current entity tag of the resource"]}}}
	// 204
	// 204
	// 412 {"error":{"code":"precondition_failed","message":"the If-None-Match condition did not hold: the resource already exists or has not changed","details":{"If-None-Match":["matches the current state of the resource"]}}}
}

// Requiring If-Match: a write carrying only a date condition is refused,
// as is one carrying none; the handler runs only with an entity tag.
func ExampleConfig_requireIfMatch() {
	tags, err := etag.New(etag.Config{
		Validators: func(r *http.Request) (etag.Validators, error) {
			return etag.Validators{ETag: `"7"`, LastModified: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, nil
		},
		RequireIfMatch: etag.RequireMethods(http.MethodPut, http.MethodPatch),
	})
	if err != nil {
		panic(err)
	}
	h := tags.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	for _, header := range [][2]string{
		{"If-Unmodified-Since", "Fri, 02 Jan 2026 03:04:05 GMT"},
		{"If-Match", `"7"`},
	} {
		req := httptest.NewRequest("PATCH", "/items/1", nil)
		req.Header.Set(header[0], header[1])
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(header[0], rec.Code, rec.Header().Get("Cache-Control"))
	}
	// Output:
	// If-Unmodified-Since 428 no-store
	// If-Match 204
}

// A handler works on the resource Validators loaded, the very state its
// precondition was checked against, without a second read.
func ExampleResource() {
	type product struct {
		ID, Name string
		Version  int
	}
	load := func(id string) product { return product{ID: id, Name: "mug", Version: 3} } // a store read

	tags, err := etag.New(etag.Config{
		Validators: func(r *http.Request) (etag.Validators, error) {
			p := load(r.PathValue("id"))
			return etag.Validators{ETag: etag.Strong(strconv.Itoa(p.Version)), Resource: p}, nil
		},
		RequireIfMatch: etag.RequireForUpdates,
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("PATCH /products/{id}", tags.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := etag.Resource[product](r.Context())
		fmt.Println(ok, p.ID, p.Name, p.Version)
		w.WriteHeader(http.StatusNoContent)
	})))

	req := httptest.NewRequest("PATCH", "/products/9", nil)
	req.Header.Set("If-Match", `"3"`)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// true 9 mug 3
	// 204
}

func ExampleCheck() {
	v := etag.Validators{ETag: `"v7"`, LastModified: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}

	req := httptest.NewRequest("GET", "/report", nil)
	req.Header.Set("If-None-Match", `"v6", W/"v7"`)
	fmt.Printf("%+v\n", etag.Check(req, v))

	req = httptest.NewRequest("DELETE", "/report", nil)
	req.Header.Set("If-Unmodified-Since", "Wed, 01 May 2024 11:00:00 GMT")
	fmt.Printf("%+v\n", etag.Check(req, v))

	req = httptest.NewRequest("GET", "/report", nil)
	req.Header.Set("Range", "bytes=0-99")
	req.Header.Set("If-Range", `"v7"`)
	fmt.Printf("%+v\n", etag.Check(req, v))
	// Output:
	// {Status:304 Header:If-None-Match Range:false}
	// {Status:412 Header:If-Unmodified-Since Range:false}
	// {Status:0 Header: Range:true}
}

func ExampleRespond() {
	updated := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := etag.Validators{ETag: etag.Strong("42"), LastModified: updated}
		if etag.Respond(w, r, v) {
			return // 304 or 412 sent, no work done
		}
		io.WriteString(w, "an expensive report")
	})
	req := httptest.NewRequest("GET", "/report", nil)
	req.Header.Set("If-Modified-Since", "Wed, 01 May 2024 12:00:00 GMT")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("ETag"))
	// Output: 304 "42"
}

// A handler that answers its own conditional requests reports them to
// the Observer of a Middleware by calling its Respond.
func ExampleMiddleware_Respond() {
	tags, err := etag.New(etag.Config{
		Observer: observe.Func(func(_ context.Context, e observe.Event) {
			fmt.Println(e.Package, e.Outcome, e.Reason, e.Status)
		}),
	})
	if err != nil {
		panic(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tags.Respond(w, r, etag.Validators{ETag: etag.Strong("42")}) {
			return
		}
		io.WriteString(w, "an expensive report")
	})
	req := httptest.NewRequest("GET", "/report", nil)
	req.Header.Set("If-None-Match", `"42"`)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// etag not_modified If-None-Match 304
	// 304
}

func ExampleMembers() {
	lines := []string{`"a", junk, W/"b"`, `"c,d"`}
	for m := range etag.Members(lines) {
		fmt.Println(m)
	}
	// Output:
	// "a"
	// W/"b"
	// "c,d"
}

func ExampleParseDate() {
	for _, s := range []string{"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "1994-11-06"} {
		t, ok := etag.ParseDate(s)
		fmt.Println(t, ok)
	}
	// Output:
	// 1994-11-06 08:49:37 +0000 UTC true
	// 1994-11-06 08:49:37 +0000 UTC true
	// 1994-11-06 08:49:37 +0000 UTC true
	// 0001-01-01 00:00:00 +0000 UTC false
}

func ExampleStrongMatch() {
	fmt.Println(etag.StrongMatch(`"1"`, `"1"`), etag.StrongMatch(`W/"1"`, `"1"`))
	fmt.Println(etag.WeakMatch(`"1"`, `"1"`), etag.WeakMatch(`W/"1"`, `"1"`))
	// Output:
	// true false
	// true true
}

func ExamplePublic() {
	fmt.Println(etag.Public(24 * time.Hour))
	fmt.Println(etag.PrivateNoCache)
	// Output:
	// public, max-age=86400
	// private, no-cache
}
