package errors_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/restwell/restwell/errors"
)

// A handler returns an *errors.Error and Handler renders it.
func ExampleHandler() {
	h := errors.Handler(func(w http.ResponseWriter, r *http.Request) error {
		return errors.NotFound("no item with id 7")
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/items/7", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(rec.Body.String())
	// Output:
	// 404 application/json; charset=utf-8
	// {"error":{"code":"not_found","message":"no item with id 7"}}
}

// Field errors name the body member by JSON Pointer; the envelope shows
// them by dotted path.
func ExampleValidation() {
	err := errors.Validation("the item is not valid",
		errors.BodyField(errors.Pointer("price", "amount"), "must be >= 0"),
		errors.QueryParam("dry_run", "must be true or false"))
	rec := httptest.NewRecorder()
	errors.Write(rec, httptest.NewRequest(http.MethodPost, "/items", nil), err)
	fmt.Println(rec.Code)
	fmt.Println(rec.Body.String())
	// Output:
	// 422
	// {"error":{"code":"validation_failed","message":"the item is not valid","details":{"price.amount":["must be >= 0"],"dry_run":["must be true or false"]}}}
}

// A service chooses RFC 9457 once, with a Renderer around everything.
func ExampleRenderer() {
	rd := &errors.Renderer{Format: errors.Problem, TypeBase: "https://api.example.com/problems/"}
	h := rd.Handler(errors.Handler(func(w http.ResponseWriter, r *http.Request) error {
		return errors.Validation("", errors.BodyField("/price/amount", "must be >= 0"))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/items", nil))
	fmt.Println(rec.Header().Get("Content-Type"))
	fmt.Println(rec.Body.String())
	// Output:
	// application/problem+json
	// {"type":"https://api.example.com/problems/validation_failed","title":"Unprocessable Content","status":422,"detail":"the request did not pass validation","code":"validation_failed","errors":[{"detail":"must be >= 0","pointer":"#/price/amount"}]}
}

// Errors that are not *errors.Error never reach the client.
func ExampleWrite_internal() {
	rec := httptest.NewRecorder()
	errors.Write(rec, httptest.NewRequest(http.MethodGet, "/", nil), fmt.Errorf("connect to 10.0.0.5: refused"))
	fmt.Println(rec.Code, rec.Body.String())
	// Output: 500 {"error":{"code":"internal_error","message":"internal error"}}
}

// WrapMux turns the router's plain-text 404 and 405 into error bodies.
func ExampleWrapMux() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items", func(w http.ResponseWriter, r *http.Request) {})
	h := errors.WrapMux(mux)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/items", nil))
	fmt.Println(rec.Code, rec.Header().Get("Allow"))
	fmt.Println(rec.Body.String())
	// Output:
	// 405 GET, HEAD
	// {"error":{"code":"method_not_allowed","message":"the method is not allowed on this resource"}}
}

// Recover turns a panic into a logged 500 with no internal detail.
func ExampleRecover() {
	h := errors.Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]int
		//lint:ignore SA5000 the example panics on purpose
		m["boom"]++ // nil map: panics
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Println(rec.Code)
	// Output: 500
}
