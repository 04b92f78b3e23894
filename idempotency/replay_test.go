package idempotency_test

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/restwell/restwell/idempotency"
)

// TestReplayManyHeaderValues: a response with more header values than the
// recording reserves room for is replayed field for field.
func TestReplayManyHeaderValues(t *testing.T) {
	want := http.Header{
		"Content-Type":  {"application/json"},
		"Location":      {"/orders/1"},
		"Link":          {`</a>; rel="a"`, `</b>; rel="b"`, `</c>; rel="c"`},
		"Vary":          {"Accept", "Accept-Language"},
		"Cache-Control": {"no-store"},
	}
	srv := newMiddleware(t, idempotency.Config{}).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range want {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		w.Header().Set("X-Request-Id", "not replayed")
		w.WriteHeader(201)
	}))
	serve(srv, req("POST", "/", "k", "{}"))
	w := serve(srv, req("POST", "/", "k", "{}"))
	got := w.Header().Clone()
	delete(got, "Idempotent-Replayed")
	delete(got, "Content-Length")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("replayed header %v, want %v", got, want)
	}
}

// TestRecordIndependentOfWriters: what the middlewares around the handler
// do to the header values after the first response, or to a replay's,
// does not change what is replayed next.
func TestRecordIndependentOfWriters(t *testing.T) {
	inner := newMiddleware(t, idempotency.Config{}).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header()["Link"] = []string{"</a>", "</b>"}
		w.WriteHeader(201)
	}))
	scribble := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(w, r)
		for _, vs := range w.Header() {
			for i := range vs {
				vs[i] = "scribbled"
			}
		}
	})
	// The first response, then two replays, each scribbled over once
	// served; a fresh replay must still be the recorded one.
	for i := 0; i < 3; i++ {
		serve(scribble, req("POST", "/", "k", "{}"))
		w := serve(inner, req("POST", "/", "k", "{}"))
		if got := w.Header().Get("Content-Type"); got != "application/json" {
			t.Fatalf("after %d scribbled responses: Content-Type %q", i+1, got)
		}
		if got := w.Header()["Link"]; !reflect.DeepEqual(got, []string{"</a>", "</b>"}) {
			t.Fatalf("after %d scribbled responses: Link %q", i+1, got)
		}
	}
}
