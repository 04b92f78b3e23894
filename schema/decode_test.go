package schema

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/restwell/restwell/errors"
)

// These tests run a Schema through errors.DecodeJSON, the way a handler
// uses it, and pin the bodies a client receives.

const decodeCT = "application/json"

// decodeRequest builds a POST with body and Content-Type ct.
func decodeRequest(ct, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(body))
	r.Header.Set("Content-Type", ct)
	return r
}

type decodePrice struct {
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
}

type decodeItem struct {
	Name string `json:"name"`
	Qty  uint8  `json:"qty"`
}

type decodeOrder struct {
	ID     string            `json:"id"`
	Price  decodePrice       `json:"price"`
	Items  []decodeItem      `json:"items"`
	Email  string            `json:"e mail"`
	AB     int               `json:"a/b"`
	Prenom string            `json:"prénom"`
	Pay    map[string]string `json:"payment"`
}

// decodeRender renders err in both formats and returns the bodies.
func decodeRender(t *testing.T, err error) (envelope, problem string) {
	t.Helper()
	for i, rd := range []*errors.Renderer{{}, {Format: errors.Problem}} {
		rec := httptest.NewRecorder()
		rd.Write(rec, httptest.NewRequest(http.MethodPost, "/orders", nil), err)
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("rendered body is not JSON: %s", rec.Body)
		}
		if i == 0 {
			envelope = rec.Body.String()
		} else {
			problem = rec.Body.String()
		}
	}
	return envelope, problem
}

func TestDecodeJSONFailures(t *testing.T) {
	opts := []errors.DecodeOption{errors.WithValidator(loadOrderSchema(t))}
	tests := []struct {
		name     string
		body     string
		status   int
		code     string
		envelope string // exact body in the Envelope format
		problem  string // exact body in the Problem format
	}{
		{
			name: "syntax error", body: `{"id" 1}`,
			status: 400, code: "malformed_json",
			envelope: `{"error":{"code":"malformed_json","message":"the request body is not valid JSON: invalid character '1' after object key at byte offset 6"}}`,
			problem:  `{"type":"about:blank","title":"Bad Request","status":400,"detail":"the request body is not valid JSON: invalid character '1' after object key at byte offset 6","code":"malformed_json"}`,
		},
		{
			name:   "schema",
			body:   `{"id": "ord-1", "price": {"amount": -1, "currency": "EUR"}, "items": [{"qty": 1}], "e mail": "a@example.com", "a/b": "1", "payment": {"iban": "DE89370400440532013000"}, "x/y": 1}`,
			status: 422, code: "validation_failed",
			envelope: `{"error":{"code":"validation_failed","message":"the request body did not pass validation","details":{"a/b":["expected integer, but got string"],"items.0.name":["is required"],"price.amount":["must be >= 0 but found -1"],"prénom":["is required"],"x/y":["is not allowed"]}}}`,
			problem:  `{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"the request body did not pass validation","code":"validation_failed","errors":[{"detail":"expected integer, but got string","pointer":"#/a~1b"},{"detail":"is required","pointer":"#/items/0/name"},{"detail":"must be >= 0 but found -1","pointer":"#/price/amount"},{"detail":"is required","pointer":"#/pr%C3%A9nom"},{"detail":"is not allowed","pointer":"#/x~1y"}]}`,
		},
		{
			name:   "number too large to check",
			body:   `{"price": {"amount": 1e999999}, "items": [1, 2e-1001, 3]}`,
			status: 422, code: "validation_failed",
			envelope: `{"error":{"code":"validation_failed","message":"the request body did not pass validation","details":{"items.1":["is a number outside the supported range"],"price.amount":["is a number outside the supported range"]}}}`,
			problem:  `{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"the request body did not pass validation","code":"validation_failed","errors":[{"detail":"is a number outside the supported range","pointer":"#/items/1"},{"detail":"is a number outside the supported range","pointer":"#/price/amount"}]}`,
		},
		{
			name:   "schema passes, Go type does not",
			body:   `{"id": "ord-1", "price": {"amount": 1, "currency": "EUR"}, "items": [{"name": "pen", "qty": 256}], "e mail": "a@example.com", "a/b": 1, "prénom": "Zoë", "payment": {"iban": "DE89370400440532013000"}}`,
			status: 422, code: "validation_failed",
			envelope: `{"error":{"code":"validation_failed","message":"the request body has a value of the wrong type","details":{"items.0.qty":["must be an integer from 0 to 255"]}}}`,
			problem:  `{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"the request body has a value of the wrong type","code":"validation_failed","errors":[{"detail":"must be an integer from 0 to 255","pointer":"#/items/0/qty"}]}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v decodeOrder
			err := errors.DecodeJSON(decodeRequest(decodeCT, tc.body), &v, opts...)
			var e *errors.Error
			if !errors.As(err, &e) {
				t.Fatalf("DecodeJSON = %v, want an *Error", err)
			}
			if e.Status != tc.status || e.Code != tc.code {
				t.Errorf("status, code = %d, %q, want %d, %q", e.Status, e.Code, tc.status, tc.code)
			}
			env, prob := decodeRender(t, err)
			if env != tc.envelope {
				t.Errorf("envelope\n got %s\nwant %s", env, tc.envelope)
			}
			if prob != tc.problem {
				t.Errorf("problem\n got %s\nwant %s", prob, tc.problem)
			}
		})
	}
}

func TestDecodeJSONDecodesValidBody(t *testing.T) {
	s := loadOrderSchema(t)
	body := `{"id": "ord-1", "price": {"amount": 12.5, "currency": "EUR"}, "items": [{"name": "pen", "qty": 2}],
		"e mail": "a@example.com", "a/b": 7, "prénom": "Zoë", "payment": {"card": "4111111111111111"}}`
	var got decodeOrder
	if err := errors.DecodeJSON(decodeRequest(decodeCT, body), &got, errors.WithValidator(s)); err != nil {
		t.Fatalf("DecodeJSON: %v", err)
	}
	want := decodeOrder{ID: "ord-1", Price: decodePrice{12.5, "EUR"}, Items: []decodeItem{{"pen", 2}}, Email: "a@example.com", AB: 7, Prenom: "Zoë",
		Pay: map[string]string{"card": "4111111111111111"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// Into an any, numbers stay float64 as with encoding/json.
	var m map[string]any
	if err := errors.DecodeJSON(decodeRequest(decodeCT, body), &m, errors.WithValidator(s)); err != nil {
		t.Fatalf("DecodeJSON: %v", err)
	}
	if got, ok := m["a/b"].(float64); !ok || got != 7 {
		t.Errorf(`m["a/b"] = %#v, want float64(7)`, m["a/b"])
	}
}

// FuzzDecodeJSON feeds arbitrary bodies to errors.DecodeJSON validated
// against testdata/order.schema.json, as sent or as any other +json type,
// with and without strict field checking. It must not panic and must
// return nil or an *errors.Error with status 400, 413 or 422, whose field
// errors sit at JSON Pointers in the body, and which renders as JSON. Run
// it with
//
//	go test ./schema -run '^$' -fuzz FuzzDecodeJSON -fuzztime 60s
func FuzzDecodeJSON(f *testing.F) {
	s := loadOrderSchema(f)
	for i, tc := range schemaGoldenCases {
		f.Add([]byte(tc.body), uint8(i))
	}
	for i, seed := range []string{``, `{`, `{"id": }`, `null`, `1`, `{"price": 1e999999}`, `[1e-1001]`, "\xff", `"\ud800"`,
		`{"payment": {"card": "1", "iban": "2"}}`, `{"shipping": {"express": true}}`, `{"ref": {"kind": 1}}`,
		`{"~x": "y", "a/b": [], "e mail": "@", "prénom": "` + strings.Repeat("é", 300) + `"}`} {
		f.Add([]byte(seed), uint8(i))
	}
	f.Fuzz(func(t *testing.T, body []byte, mode uint8) {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", decodeCT)
		opts := []errors.DecodeOption{errors.WithValidator(s)}
		if mode&1 != 0 {
			opts = append(opts, errors.DisallowUnknownFields())
		}
		if mode&2 != 0 {
			opts = append(opts, errors.WithMaxBytes(64))
		}
		var v any = new(decodeOrder)
		if mode&4 != 0 {
			v = new(any)
		}
		err := errors.DecodeJSON(r, v, opts...)
		if err == nil {
			return
		}
		e, ok := err.(*errors.Error)
		if !ok {
			t.Fatalf("DecodeJSON returned %T %v, want an *errors.Error", err, err)
		}
		switch e.Status {
		case 400, 413:
		case 422:
			if len(e.Fields) == 0 || len(e.Fields) > errors.MaxFieldErrors {
				t.Fatalf("422 with %d field errors: %v", len(e.Fields), e)
			}
		default:
			t.Fatalf("status %d: %v", e.Status, e)
		}
		for _, fe := range e.Fields {
			if fe.In != errors.InBody || fe.Path != "" && fe.Path[0] != '/' {
				t.Fatalf("field error %+v is not at a JSON Pointer in the body", fe)
			}
			if len(fe.Detail) > 256+3 {
				t.Fatalf("field error detail of %d bytes: %.80q...", len(fe.Detail), fe.Detail)
			}
		}
		rec := httptest.NewRecorder()
		errors.Write(rec, r, err)
		if rec.Code != e.Status || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("rendered %d %s", rec.Code, rec.Body)
		}
	})
}

// decodeBenchBody is a reusable request body for benchmarks.
type decodeBenchBody struct{ bytes.Reader }

func (*decodeBenchBody) Close() error { return nil }

// BenchmarkDecodeJSON decodes a typical small order validated against
// testdata/order.schema.json, valid and with problems:
//
//	go test ./schema -run '^$' -bench BenchmarkDecodeJSON -benchmem
func BenchmarkDecodeJSON(b *testing.B) {
	s := loadOrderSchema(b)
	for _, bc := range []struct {
		name, body string
		status     int
	}{
		{"valid", `{"id": "ord-1", "price": {"amount": 12.5, "currency": "EUR"},
		"items": [{"name": "pen", "qty": 2}, {"name": "paper", "qty": 10}],
		"e mail": "a@example.com", "a/b": 7, "prénom": "Zoë", "payment": {"card": "4111111111111111"}}`, 0},
		{"invalid", `{"id": "ord-1", "price": {"amount": -1, "currency": "EUR"}, "items": [{"qty": 1}],
		"e mail": "a@example.com", "a/b": "1", "payment": {"iban": "DE89370400440532013000"}, "x/y": 1}`, 422},
	} {
		body := []byte(bc.body)
		b.Run(bc.name, func(b *testing.B) {
			rb := &decodeBenchBody{}
			r := httptest.NewRequest(http.MethodPost, "/orders", nil)
			r.Header.Set("Content-Type", decodeCT)
			r.Body = rb
			r.ContentLength = int64(len(body))
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				rb.Reset(body)
				var v decodeOrder
				err := errors.DecodeJSON(r, &v, errors.WithValidator(s))
				if status := 0; err != nil {
					var e *errors.Error
					if errors.As(err, &e) {
						status = e.Status
					}
					if status != bc.status {
						b.Fatal(err)
					}
				} else if bc.status != 0 {
					b.Fatalf("DecodeJSON accepted a body that should fail with %d", bc.status)
				}
			}
		})
	}
}
