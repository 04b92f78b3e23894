package requestid_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/restwell/restwell/requestid"
)

func Example() {
	h := requestid.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("handling", requestid.FromContext(r.Context()))
	}))

	req := httptest.NewRequest(http.MethodGet, "/items", nil)
	req.Header.Set("X-Request-ID", "trace-42")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println("response header", rec.Header().Get("X-Request-ID"))
	// Output:
	// handling trace-42
	// response header trace-42
}

func ExampleNew() {
	m, err := requestid.New(requestid.Config{
		Header:   "Request-Id",
		Generate: func() string { return "req-1" },
	})
	if err != nil {
		panic(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Println(rec.Header().Get("Request-Id"))
	// Output: req-1
}

func ExampleValid() {
	fmt.Println(requestid.Valid("abc-123"), requestid.Valid("has space"), requestid.Valid("line\nbreak"))
	// Output: true false false
}
