package chirouter_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"

	"github.com/go-chi/chi/v5"

	"github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/etag"
	"github.com/restwell/restwell/idempotency"
)

// The etag middleware installed per route with r.With: Validators reads
// chi's URL parameter, and a method the route does not serve is chi's 405,
// rendered by errors.WrapMux, before any lookup.
func Example_etag() {
	var mu sync.Mutex
	versions := map[string]int{"1": 3}

	tags, err := etag.New(etag.Config{
		Validators: func(r *http.Request) (etag.Validators, error) {
			mu.Lock()
			defer mu.Unlock()
			v, ok := versions[chi.URLParam(r, "id")]
			if !ok {
				return etag.Validators{}, errors.NotFound("no item with that id")
			}
			return etag.Validators{ETag: etag.Strong(strconv.Itoa(v))}, nil
		},
		RequireCondition: etag.RequireForUpdates,
	})
	if err != nil {
		panic(err)
	}
	r := chi.NewRouter()
	r.Route("/items/{id}", func(r chi.Router) {
		r.With(tags.Handler).Get("/", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"name":"mug"}`)
		})
		r.With(tags.Handler).Put("/", func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			versions[chi.URLParam(r, "id")]++
			mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		})
	})
	h := errors.WrapMux(r)

	send := func(method, ifMatch string) {
		req := httptest.NewRequest(method, "/items/1", nil)
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Printf("%s If-Match=%s: %d ETag=%s\n", method, ifMatch, rec.Code, rec.Header().Get("ETag"))
	}
	send("GET", "")
	send("PUT", `"2"`)   // stale: 412
	send("PUT", `"3"`)   // current: 204
	send("PATCH", `"4"`) // not a route of this resource: 405, no lookup
	// Output:
	// GET If-Match=: 200 ETag="3"
	// PUT If-Match="2": 412 ETag=
	// PUT If-Match="3": 204 ETag=
	// PATCH If-Match="4": 405 ETag=
}

// The idempotency middleware installed per route with r.With: only the
// route that needs a key requires one.
func Example_idempotency() {
	idem, err := idempotency.New(idempotency.Config{})
	if err != nil {
		panic(err)
	}
	orders := 0
	r := chi.NewRouter()
	r.With(idem.Require).Post("/orders", func(w http.ResponseWriter, r *http.Request) {
		orders++
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"order":%d}`, orders)
	})
	r.Get("/orders", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "[]") })
	h := errors.WrapMux(r)

	post := func(key string) {
		req := httptest.NewRequest("POST", "/orders", strings.NewReader(`{"item":"mug"}`))
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Printf("%d replayed=%q %s\n", rec.Code, rec.Header().Get("Idempotent-Replayed"), rec.Body)
	}
	post(`"8e03978e-40d5-43e8-bc93-6894a57f9324"`)
	post(`"8e03978e-40d5-43e8-bc93-6894a57f9324"`) // a retry: replayed
	post("")                                       // no key: 400

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/orders", nil)) // no key needed
	fmt.Println(rec.Code, rec.Body.String(), "orders created:", orders)
	// Output:
	// 201 replayed="" {"order":1}
	// 201 replayed="true" {"order":1}
	// 400 replayed="" {"error":{"code":"idempotency_key_missing","message":"this request requires an Idempotency-Key header","details":{"Idempotency-Key":["required"]}}}
	// 200 [] orders created: 1
}
