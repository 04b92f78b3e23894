package errors_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/restwell/restwell/errors"
)

type decodeExampleOrder struct {
	Item  string `json:"item"`
	Price struct {
		Amount   float64 `json:"amount"`
		Currency string  `json:"currency"`
	} `json:"price"`
}

// decodeExampleServe sends one POST with body to h and prints the response.
func decodeExampleServe(h http.Handler, contentType, body string) {
	r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if body := strings.TrimSpace(w.Body.String()); body != "" {
		fmt.Println(w.Code, body)
	} else {
		fmt.Println(w.Code)
	}
}

// A handler decodes its body with DecodeJSON and returns the error as it
// is: each failure already carries its status and a helpful message.
func ExampleDecodeJSON() {
	h := errors.Handler(func(w http.ResponseWriter, r *http.Request) error {
		var o decodeExampleOrder
		if err := errors.DecodeJSON(r, &o); err != nil {
			return err
		}
		_, err := fmt.Fprintf(w, "ordered %s for %.2f %s\n", o.Item, o.Price.Amount, o.Price.Currency)
		return err
	})

	decodeExampleServe(h, "application/json", `{"item": "pen", "price": {"amount": 2.5, "currency": "EUR"}}`)
	decodeExampleServe(h, "text/plain", `item=pen`)
	decodeExampleServe(h, "application/json", `{"item": "pen",}`)
	decodeExampleServe(h, "application/json", `{"item": "pen", "price": {"amount": "2.5"}}`)
	// Output:
	// 200 ordered pen for 2.50 EUR
	// 415 {"error":{"code":"unsupported_media_type","message":"the request body must be JSON; send Content-Type: application/json"}}
	// 400 {"error":{"code":"malformed_json","message":"the request body is not valid JSON: invalid character '}' looking for beginning of object key string at byte offset 15"}}
	// 422 {"error":{"code":"validation_failed","message":"the request body has a value of the wrong type","details":{"price.amount":["must be a number, not a string"]}}}
}

// A Validator checks the decoded body before DecodeJSON fills the
// destination; its problems become one 422. Package schema provides a
// Validator for JSON Schema; this one is written by hand.
func ExampleWithValidator() {
	noFreeItems := validatorFunc(func(doc any) ([]errors.FieldError, error) {
		order, _ := doc.(map[string]any)
		price, _ := order["price"].(map[string]any)
		if amount, ok := price["amount"].(json.Number); ok && amount == "0" {
			return []errors.FieldError{errors.BodyField(errors.Pointer("price", "amount"), "must not be 0")}, nil
		}
		return nil, nil
	})

	h := errors.Handler(func(w http.ResponseWriter, r *http.Request) error {
		var o decodeExampleOrder
		if err := errors.DecodeJSON(r, &o, errors.WithValidator(noFreeItems)); err != nil {
			return err
		}
		w.WriteHeader(http.StatusCreated)
		return nil
	})

	decodeExampleServe(h, "application/json", `{"item": "pen", "price": {"amount": 2.5, "currency": "EUR"}}`)
	decodeExampleServe(h, "application/json", `{"item": "pen", "price": {"amount": 0, "currency": "EUR"}}`)
	// Output:
	// 201
	// 422 {"error":{"code":"validation_failed","message":"the request body did not pass validation","details":{"price.amount":["must not be 0"]}}}
}

// validatorFunc adapts a function to errors.Validator.
type validatorFunc func(any) ([]errors.FieldError, error)

func (f validatorFunc) Validate(v any) ([]errors.FieldError, error) { return f(v) }

// With DisallowUnknownFields, members the destination has no field for
// are refused, each at its own pointer; by default they are ignored.
func ExampleDisallowUnknownFields() {
	h := errors.Handler(func(w http.ResponseWriter, r *http.Request) error {
		var o decodeExampleOrder
		return errors.DecodeJSON(r, &o, errors.DisallowUnknownFields())
	})

	decodeExampleServe(h, "application/json", `{"item": "pen", "price": {"amount": 1, "curency": "EUR"}, "qty": 2}`)
	// Output:
	// 422 {"error":{"code":"validation_failed","message":"the request body has unknown fields","details":{"price.curency":["is not a known field"],"qty":["is not a known field"]}}}
}

// Limit the body size per call; the default is 1 MiB.
func ExampleWithMaxBytes() {
	h := errors.Handler(func(w http.ResponseWriter, r *http.Request) error {
		var o decodeExampleOrder
		return errors.DecodeJSON(r, &o, errors.WithMaxBytes(16))
	})

	decodeExampleServe(h, "application/json", `{"item": "a very long description"}`)
	// Output:
	// 413 {"error":{"code":"content_too_large","message":"the request body is larger than 16 bytes"}}
}
