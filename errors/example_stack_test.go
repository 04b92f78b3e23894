package errors_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/etag"
	"github.com/restwell/restwell/idempotency"
	"github.com/restwell/restwell/pagination"
	"github.com/restwell/restwell/ratelimit"
	"github.com/restwell/restwell/requestid"
	"github.com/restwell/restwell/versioning"
)

// stackItem is the resource of Example_stack; Rev changes on every write.
type stackItem struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	Rev  int    `json:"-"`
}

// The whole stack in the order the README explains, outermost first:
// requestid, the Renderer, Recover, ratelimit, versioning and WrapMux
// around the router; idempotency and etag per route, inside it; pagination
// in the handler.
func Example_stack() {
	quiet := slog.New(slog.DiscardHandler)
	var mu sync.Mutex
	items := map[int]*stackItem{}

	versions, err := versioning.New(versioning.Config{
		Versions: []versioning.Version{
			{Name: "1", Deprecated: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Successor: "2"},
			{Name: "2"},
		},
		PathTemplate: "/api/v{version}",
		PathMode:     versioning.RewritePath, // the handlers are written for version 2 only
		Logger:       quiet,
	})
	if err != nil {
		panic(err)
	}
	limiter, err := ratelimit.New(ratelimit.Config{
		Policies: []ratelimit.Policy{{Name: "default", Limit: 100, Window: time.Minute}},
		Logger:   quiet,
	})
	if err != nil {
		panic(err)
	}
	idem, err := idempotency.New(idempotency.Config{Logger: quiet})
	if err != nil {
		panic(err)
	}
	tags, err := etag.New(etag.Config{
		Validators: func(r *http.Request) (etag.Validators, error) {
			id, _ := strconv.Atoi(r.PathValue("id"))
			mu.Lock()
			defer mu.Unlock()
			it, ok := items[id]
			if !ok {
				return etag.Validators{}, errors.NotFound("no item with that id")
			}
			return etag.Validators{ETag: etag.Strong(strconv.Itoa(it.Rev))}, nil
		},
		RequireCondition: etag.RequireForUpdates,
	})
	if err != nil {
		panic(err)
	}
	pages, err := pagination.NewOffset(pagination.OffsetConfig{DefaultSize: 2})
	if err != nil {
		panic(err)
	}

	create := errors.Handler(func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Name string `json:"name"`
		}
		if err := errors.DecodeJSON(r, &in); err != nil {
			return err
		}
		mu.Lock()
		it := &stackItem{ID: len(items) + 1, Name: in.Name, Rev: 1}
		items[it.ID] = it
		mu.Unlock()
		w.Header().Set("Location", versioning.Path(r.Context(), "/api/v2/items/"+strconv.Itoa(it.ID)))
		w.WriteHeader(http.StatusCreated)
		return json.NewEncoder(w).Encode(it)
	})
	get := errors.Handler(func(w http.ResponseWriter, r *http.Request) error {
		id, _ := strconv.Atoi(r.PathValue("id"))
		mu.Lock()
		it := *items[id] // Validators found it
		mu.Unlock()
		return json.NewEncoder(w).Encode(it)
	})
	list := errors.Handler(func(w http.ResponseWriter, r *http.Request) error {
		req, err := pages.Parse(r)
		if err != nil {
			return err
		}
		mu.Lock()
		var page []stackItem
		for id := req.Offset() + 1; id <= len(items) && len(page) < req.Fetch(); id++ {
			page = append(page, *items[id])
		}
		mu.Unlock()
		return pagination.OffsetPage(req, page).Write(w)
	})
	boom := errors.Handler(func(w http.ResponseWriter, r *http.Request) error {
		panic("a bug")
	})

	mux := http.NewServeMux()
	mux.Handle("GET /api/v2/items", list)
	mux.Handle("POST /api/v2/items", idem.Require(create))
	mux.Handle("GET /api/v2/items/{id}", tags.Handler(get))
	mux.Handle("PUT /api/v2/items/{id}", idem.Handler(tags.Handler(get)))
	mux.Handle("GET /api/v2/boom", boom)

	rd := &errors.Renderer{Logger: quiet}
	handler := requestid.Handler(rd.Handler(errors.Recover(limiter.Handler(versions.Handler(errors.WrapMux(mux))))))

	n := 0
	send := func(method, target, body string, header ...string) {
		n++
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		req.Header.Set("X-Request-ID", "req-"+strconv.Itoa(n))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		fmt.Println(method, target, "->", rec.Code)
		for _, name := range []string{"Location", "ETag", "Idempotent-Replayed", "Deprecation", "Allow", "Link"} {
			if v := rec.Header().Get(name); v != "" {
				fmt.Printf("  %s: %s\n", name, v)
			}
		}
		if rec.Code >= 400 { // refusals from every layer carry the limiter's fields too
			fmt.Printf("  RateLimit-Policy: %s\n", rec.Header().Get("RateLimit-Policy"))
		}
		if b, _ := io.ReadAll(rec.Body); len(b) > 0 {
			fmt.Println(" ", strings.TrimSpace(string(b)))
		}
	}
	key := "Idempotency-Key"
	send("POST", "/api/v2/items", `{"name":"mug"}`, key, `"k1"`)
	send("POST", "/api/v2/items", `{"name":"mug"}`, key, `"k1"`) // a retry: replayed
	send("POST", "/api/v1/items", `{"name":"lamp"}`, key, `"k2"`)
	send("POST", "/api/v2/items", `{"name":"desk"}`, key, `"k3"`)
	send("GET", "/api/v2/items/1", "")
	send("GET", "/api/v2/items/1", "", "If-None-Match", `"1"`)
	send("PUT", "/api/v2/items/1", `{"name":"cup"}`)
	send("GET", "/api/v2/items", "")
	send("DELETE", "/api/v2/items", "")
	send("GET", "/api/v9/items", "")
	send("GET", "/api/v2/boom", "")
	// Output:
	// POST /api/v2/items -> 201
	//   Location: /api/v2/items/1
	//   {"id":1,"name":"mug"}
	// POST /api/v2/items -> 201
	//   Location: /api/v2/items/1
	//   Idempotent-Replayed: true
	//   {"id":1,"name":"mug"}
	// POST /api/v1/items -> 201
	//   Location: /api/v1/items/2
	//   Deprecation: @1735689600
	//   Link: </api/v2/items>; rel="successor-version"
	//   {"id":2,"name":"lamp"}
	// POST /api/v2/items -> 201
	//   Location: /api/v2/items/3
	//   {"id":3,"name":"desk"}
	// GET /api/v2/items/1 -> 200
	//   ETag: "1"
	//   {"id":1,"name":"mug"}
	// GET /api/v2/items/1 -> 304
	//   ETag: "1"
	// PUT /api/v2/items/1 -> 428
	//   RateLimit-Policy: "default";q=100;w=60
	//   {"error":{"code":"precondition_required","message":"this request must be conditional: send the If-Match header","details":{"If-Match":["send the entity tag (ETag) of the representation the change is based on"]},"request_id":"req-7"}}
	// GET /api/v2/items -> 200
	//   Link: </api/v2/items?page=2>; rel="next", </api/v2/items>; rel="first"
	//   {"items":[{"id":1,"name":"mug"},{"id":2,"name":"lamp"}],"meta":{"size":2,"has_next":true,"has_prev":false,"page":1},"links":{"self":"/api/v2/items","first":"/api/v2/items","next":"/api/v2/items?page=2"}}
	// DELETE /api/v2/items -> 405
	//   Allow: GET, HEAD, POST
	//   RateLimit-Policy: "default";q=100;w=60
	//   {"error":{"code":"method_not_allowed","message":"the method is not allowed on this resource","request_id":"req-9"}}
	// GET /api/v9/items -> 404
	//   RateLimit-Policy: "default";q=100;w=60
	//   {"error":{"code":"unsupported_version","message":"API version 9 is not supported; supported versions: 1, 2","request_id":"req-10","supported_versions":["1","2"]}}
	// GET /api/v2/boom -> 500
	//   RateLimit-Policy: "default";q=100;w=60
	//   {"error":{"code":"internal_error","message":"internal error","request_id":"req-11"}}
}
