package schema_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/schema"
)

type order struct {
	Item  string `json:"item"`
	Price struct {
		Amount   float64 `json:"amount"`
		Currency string  `json:"currency"`
	} `json:"price"`
}

// serve sends one POST with body to h and prints the response.
func serve(h http.Handler, body string) {
	r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if body := strings.TrimSpace(w.Body.String()); body != "" {
		fmt.Println(w.Code, body)
	} else {
		fmt.Println(w.Code)
	}
}

// Compile a schema once, at start-up, and validate every body against it
// with errors.DecodeJSON. Each problem is reported at the JSON Pointer of
// the offending member, here in the RFC 9457 format.
func Example() {
	orderSchema := schema.MustCompile([]byte(`{
		"type": "object",
		"required": ["item", "price"],
		"additionalProperties": false,
		"properties": {
			"item": {"type": "string", "minLength": 1},
			"price": {
				"type": "object",
				"required": ["amount", "currency"],
				"properties": {
					"amount": {"type": "number", "minimum": 0},
					"currency": {"enum": ["EUR", "USD"]}
				}
			}
		}
	}`))

	h := errors.Handler(func(w http.ResponseWriter, r *http.Request) error {
		var o order
		if err := errors.DecodeJSON(r, &o, errors.WithValidator(orderSchema)); err != nil {
			return err
		}
		w.WriteHeader(http.StatusCreated)
		return nil
	})
	rd := &errors.Renderer{Format: errors.Problem}

	serve(rd.Handler(h), `{"item": "pen", "price": {"amount": 2.5, "currency": "EUR"}}`)
	serve(rd.Handler(h), `{"price": {"amount": -1}, "gift wrap": true}`)
	// Output:
	// 201
	// 422 {"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"the request body did not pass validation","code":"validation_failed","errors":[{"detail":"is not allowed","pointer":"#/gift%20wrap"},{"detail":"is required","pointer":"#/item"},{"detail":"must be >= 0 but found -1","pointer":"#/price/amount"},{"detail":"is required","pointer":"#/price/currency"}]}
}

// Validate checks a value decoded elsewhere, such as a document after a
// merge patch was applied, and returns the problems sorted by pointer.
func ExampleSchema_Validate() {
	s := schema.MustCompile([]byte(`{"type": "object", "properties": {"qty": {"type": "integer", "minimum": 1}}, "required": ["name"]}`))
	fields, err := s.Validate(map[string]any{"qty": 0.5})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range fields {
		fmt.Printf("%s: %s\n", f.Path, f.Detail)
	}
	// Output:
	// /name: is required
	// /qty: expected integer, but got number
}

// Compile refuses a schema that is not valid, or that refers outside
// itself.
func ExampleCompile() {
	_, err := schema.Compile([]byte(`{"$ref": "https://example.com/order.json"}`))
	fmt.Println(err)
	// Output:
	// schema: invalid JSON Schema: jsonschema mem:///schema.json compilation failed: https://example.com/order.json: only references inside the schema are supported
}
