package errors

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

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
	Counts map[int]string    `json:"counts"`
	When   time.Time         `json:"when"`
	Small  int8              `json:"small"`
	Ratio  float32           `json:"ratio"`
	Data   []byte            `json:"data"`
	Flag   bool              `json:"flag"`
	Cur    decodeCurrency    `json:"cur"`
	Pay    map[string]string `json:"payment"`
}

// decodeCurrency decodes itself and fails with its own message.
type decodeCurrency string

func (c *decodeCurrency) UnmarshalJSON(b []byte) error {
	if len(b) != 5 || b[0] != '"' {
		return New("cur: must be a 3-letter currency code")
	}
	*c = decodeCurrency(b[1:4])
	return nil
}

// decodeRequest builds a POST with body and Content-Type ct ("" for none).
func decodeRequest(ct, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(body))
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	return r
}

// decodeRender renders err in both formats and returns the bodies.
func decodeRender(t *testing.T, err error) (envelope, problem string) {
	t.Helper()
	for i, rd := range []*Renderer{{}, {Format: Problem}} {
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

const decodeCT = "application/json"

// walkValidator is a Validator for the tests that, like a JSON Schema,
// walks the whole document: it reports each negative number ("must be
// >= 0") and each empty string ("must not be empty") at its pointer.
type walkValidator struct{}

func (walkValidator) Validate(doc any) ([]FieldError, error) {
	return walkFields(doc, "", nil), nil
}

func walkFields(v any, ptr string, out []FieldError) []FieldError {
	switch v := v.(type) {
	case map[string]any:
		for name, x := range v {
			out = walkFields(x, ptr+Pointer(name), out)
		}
	case []any:
		for i, x := range v {
			out = walkFields(x, ptr+"/"+strconv.Itoa(i), out)
		}
	case json.Number:
		if strings.HasPrefix(string(v), "-") {
			out = append(out, BodyField(ptr, "must be >= 0"))
		}
	case string:
		if v == "" {
			out = append(out, BodyField(ptr, "must not be empty"))
		}
	}
	return out
}

func TestDecodeJSONFailures(t *testing.T) {
	walk := WithValidator(walkValidator{})
	tests := []struct {
		name     string
		ct       string
		body     string
		opts     []DecodeOption
		status   int
		code     string
		envelope string // exact body in the Envelope format
		problem  string // exact body in the Problem format
	}{
		{
			name: "no content type", ct: "", body: `{}`,
			status: 415, code: "unsupported_media_type",
			envelope: `{"error":{"code":"unsupported_media_type","message":"the request has no Content-Type; send Content-Type: application/json"}}`,
			problem:  `{"type":"about:blank","title":"Unsupported Media Type","status":415,"detail":"the request has no Content-Type; send Content-Type: application/json","code":"unsupported_media_type"}`,
		},
		{
			name: "text/plain", ct: "text/plain; charset=utf-8", body: `{}`,
			status: 415, code: "unsupported_media_type",
			envelope: `{"error":{"code":"unsupported_media_type","message":"the request body must be JSON; send Content-Type: application/json"}}`,
			problem:  `{"type":"about:blank","title":"Unsupported Media Type","status":415,"detail":"the request body must be JSON; send Content-Type: application/json","code":"unsupported_media_type"}`,
		},
		{
			name: "form", ct: "application/x-www-form-urlencoded", body: `a=1`,
			status: 415, code: "unsupported_media_type",
			envelope: `{"error":{"code":"unsupported_media_type","message":"the request body must be JSON; send Content-Type: application/json"}}`,
			problem:  `{"type":"about:blank","title":"Unsupported Media Type","status":415,"detail":"the request body must be JSON; send Content-Type: application/json","code":"unsupported_media_type"}`,
		},
		{
			name: "json suffix without a type", ct: "+json", body: `{}`,
			status: 415, code: "unsupported_media_type",
			envelope: `{"error":{"code":"unsupported_media_type","message":"the request body must be JSON; send Content-Type: application/json"}}`,
			problem:  `{"type":"about:blank","title":"Unsupported Media Type","status":415,"detail":"the request body must be JSON; send Content-Type: application/json","code":"unsupported_media_type"}`,
		},
		{
			name: "latin-1 charset", ct: "application/json; charset=iso-8859-1", body: `{}`,
			status: 415, code: "unsupported_media_type",
			envelope: `{"error":{"code":"unsupported_media_type","message":"the request body must be UTF-8 JSON; send Content-Type: application/json"}}`,
			problem:  `{"type":"about:blank","title":"Unsupported Media Type","status":415,"detail":"the request body must be UTF-8 JSON; send Content-Type: application/json","code":"unsupported_media_type"}`,
		},
		{
			name: "too large", ct: decodeCT, body: `{"id": "` + strings.Repeat("x", 100) + `"}`, opts: []DecodeOption{WithMaxBytes(64)},
			status: 413, code: "content_too_large",
			envelope: `{"error":{"code":"content_too_large","message":"the request body is larger than 64 bytes"}}`,
			problem:  `{"type":"about:blank","title":"Content Too Large","status":413,"detail":"the request body is larger than 64 bytes","code":"content_too_large"}`,
		},
		{
			name: "empty", ct: decodeCT, body: ``,
			status: 400, code: "malformed_json",
			envelope: `{"error":{"code":"malformed_json","message":"the request body is empty; send a JSON value"}}`,
			problem:  `{"type":"about:blank","title":"Bad Request","status":400,"detail":"the request body is empty; send a JSON value","code":"malformed_json"}`,
		},
		{
			name: "only whitespace", ct: decodeCT, body: " \r\n\t ",
			status: 400, code: "malformed_json",
			envelope: `{"error":{"code":"malformed_json","message":"the request body is empty; send a JSON value"}}`,
			problem:  `{"type":"about:blank","title":"Bad Request","status":400,"detail":"the request body is empty; send a JSON value","code":"malformed_json"}`,
		},
		{
			name: "syntax error", ct: decodeCT, body: `{"id": }`,
			status: 400, code: "malformed_json",
			envelope: `{"error":{"code":"malformed_json","message":"the request body is not valid JSON: invalid character '}' looking for beginning of value at byte offset 7"}}`,
			problem:  `{"type":"about:blank","title":"Bad Request","status":400,"detail":"the request body is not valid JSON: invalid character '}' looking for beginning of value at byte offset 7","code":"malformed_json"}`,
		},
		{
			name: "syntax error with a validator", ct: decodeCT, body: `{"id" 1}`, opts: []DecodeOption{walk},
			status: 400, code: "malformed_json",
			envelope: `{"error":{"code":"malformed_json","message":"the request body is not valid JSON: invalid character '1' after object key at byte offset 6"}}`,
			problem:  `{"type":"about:blank","title":"Bad Request","status":400,"detail":"the request body is not valid JSON: invalid character '1' after object key at byte offset 6","code":"malformed_json"}`,
		},
		{
			name: "truncated", ct: decodeCT, body: `{"id": "a"`,
			status: 400, code: "malformed_json",
			envelope: `{"error":{"code":"malformed_json","message":"the request body is not valid JSON: unexpected end of input at byte offset 10"}}`,
			problem:  `{"type":"about:blank","title":"Bad Request","status":400,"detail":"the request body is not valid JSON: unexpected end of input at byte offset 10","code":"malformed_json"}`,
		},
		{
			name: "trailing data", ct: decodeCT, body: `{"id": "a"} {"id": "b"}`,
			status: 400, code: "malformed_json",
			envelope: `{"error":{"code":"malformed_json","message":"the request body has data after the JSON value at byte offset 12"}}`,
			problem:  `{"type":"about:blank","title":"Bad Request","status":400,"detail":"the request body has data after the JSON value at byte offset 12","code":"malformed_json"}`,
		},
		{
			name: "trailing data wins over a type error", ct: decodeCT, body: `{"a/b": "x"}]`,
			status: 400, code: "malformed_json",
			envelope: `{"error":{"code":"malformed_json","message":"the request body has data after the JSON value at byte offset 12"}}`,
			problem:  `{"type":"about:blank","title":"Bad Request","status":400,"detail":"the request body has data after the JSON value at byte offset 12","code":"malformed_json"}`,
		},
		{
			name: "wrong type at a nested member", ct: decodeCT, body: `{"price": {"amount": "12"}}`,
			status: 422, code: "validation_failed",
			envelope: `{"error":{"code":"validation_failed","message":"the request body has a value of the wrong type","details":{"price.amount":["must be a number, not a string"]}}}`,
			problem:  `{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"the request body has a value of the wrong type","code":"validation_failed","errors":[{"detail":"must be a number, not a string","pointer":"#/price/amount"}]}`,
		},
		{
			name: "wrong type in an array element", ct: decodeCT, body: `{"items": [{"name": "pen"}, {"name": true}]}`,
			status: 422, code: "validation_failed",
			envelope: `{"error":{"code":"validation_failed","message":"the request body has a value of the wrong type","details":{"items.1.name":["must be a string, not a boolean"]}}}`,
			problem:  `{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"the request body has a value of the wrong type","code":"validation_failed","errors":[{"detail":"must be a string, not a boolean","pointer":"#/items/1/name"}]}`,
		},
		{
			name: "integer out of range", ct: decodeCT, body: `{"items": [{"qty": 300}]}`,
			status: 422, code: "validation_failed",
			envelope: `{"error":{"code":"validation_failed","message":"the request body has a value of the wrong type","details":{"items.0.qty":["must be an integer from 0 to 255"]}}}`,
			problem:  `{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"the request body has a value of the wrong type","code":"validation_failed","errors":[{"detail":"must be an integer from 0 to 255","pointer":"#/items/0/qty"}]}`,
		},
		{
			name: "signed integer out of range", ct: decodeCT, body: `{"small": -129}`,
			status: 422, code: "validation_failed",
			envelope: `{"error":{"code":"validation_failed","message":"the request body has a value of the wrong type","details":{"small":["must be an integer from -128 to 127"]}}}`,
			problem:  `{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"the request body has a value of the wrong type","code":"validation_failed","errors":[{"detail":"must be an integer from -128 to 127","pointer":"#/small"}]}`,
		},
		{
			name: "fraction for an integer", ct: decodeCT, body: `{"a/b": 1.5}`,
			status: 422, code: "validation_failed",
			envelope: `{"error":{"code":"validation_failed","message":"the request body has a value of the wrong type","details":{"a/b":["must be an integer"]}}}`,
			problem:  `{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"the request body has a value of the wrong type","code":"validation_failed","errors":[{"detail":"must be an integer","pointer":"#/a~1b"}]}`,
		},
		{
			name: "float out of range", ct: decodeCT, body: `{"ratio": 1e39}`,
			status: 422, code: "validation_failed",
			envelope: `{"error":{"code":"validation_failed","message":"the request body has a value of the wrong type","details":{"ratio":["is a number out of range"]}}}`,
			problem:  `{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"the request body has a value of the wrong type","code":"validation_failed","errors":[{"detail":"is a number out of range","pointer":"#/ratio"}]}`,
		},
		{
			name: "object for a string, name with a space", ct: decodeCT, body: `{"e mail": {"user": "a"}}`,
			status: 422, code: "validation_failed",
			envelope: `{"error":{"code":"validation_failed","message":"the request body has a value of the wrong type","details":{"e mail":["must be a string, not an object"]}}}`,
			problem:  `{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"the request body has a value of the wrong type","code":"validation_failed","errors":[{"detail":"must be a string, not an object","pointer":"#/e%20mail"}]}`,
		},
		{
			name: "array for an object, non-ASCII name", ct: decodeCT, body: `{"prénom": "x", "price": [1]}`,
			status: 422, code: "validation_failed",
			envelope: `{"error":{"code":"validation_failed","message":"the request body has a value of the wrong type","details":{"price":["must be an object, not an array"]}}}`,
			problem:  `{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"the request body has a value of the wrong type","code":"validation_failed","errors":[{"detail":"must be an object, not an array","pointer":"#/price"}]}`,
		},
		{
			name: "number for a non-ASCII name", ct: decodeCT, body: `{"prénom": 5}`,
			status: 422, code: "validation_failed",
			envelope: `{"error":{"code":"validation_failed","message":"the request body has a value of the wrong type","details":{"prénom":["must be a string, not a number"]}}}`,
			problem:  `{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"the request body has a value of the wrong type","code":"validation_failed","errors":[{"detail":"must be a string, not a number","pointer":"#/pr%C3%A9nom"}]}`,
		},
		{
			name: "bad map key", ct: decodeCT, body: `{"counts": {"1": "a", "two": "b"}}`,
			status: 422, code: "validation_failed",
			envelope: `{"error":{"code":"validation_failed","message":"the request body has a value of the wrong type","details":{"counts.two":["is a member name that must be an integer"]}}}`,
			problem:  `{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"the request body has a value of the wrong type","code":"validation_failed","errors":[{"detail":"is a member name that must be an integer","pointer":"#/counts/two"}]}`,
		},
		{
			name: "body of the wrong type", ct: decodeCT, body: `"order"`,
			status: 422, code: "validation_failed",
			envelope: `{"error":{"code":"validation_failed","message":"the request body has a value of the wrong type","details":{"":["must be an object, not a string"]}}}`,
			problem:  `{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"the request body has a value of the wrong type","code":"validation_failed","errors":[{"detail":"must be an object, not a string","pointer":"#"}]}`,
		},
		{
			name: "unmarshaler error", ct: decodeCT, body: `{"cur": "euro"}`,
			status: 422, code: "validation_failed",
			envelope: `{"error":{"code":"validation_failed","message":"the request body has an invalid value","details":{"":["cur: must be a 3-letter currency code"]}}}`,
			problem:  `{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"the request body has an invalid value","code":"validation_failed","errors":[{"detail":"cur: must be a 3-letter currency code","pointer":"#"}]}`,
		},
		{
			name: "unknown fields, strict", ct: decodeCT, opts: []DecodeOption{DisallowUnknownFields()},
			body:   `{"id": "a", "price": {"amount": 1, "vat": 0.2}, "items": [{"name": "pen"}, {"nam": "x"}], "a/b": 1, "x/y": 2, "e mail": "a", "e-mail": "b", "prénoms": "c"}`,
			status: 422, code: "validation_failed",
			envelope: `{"error":{"code":"validation_failed","message":"the request body has unknown fields","details":{"e-mail":["is not a known field"],"items.1.nam":["is not a known field"],"price.vat":["is not a known field"],"prénoms":["is not a known field"],"x/y":["is not a known field"]}}}`,
			problem:  `{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"the request body has unknown fields","code":"validation_failed","errors":[{"detail":"is not a known field","pointer":"#/e-mail"},{"detail":"is not a known field","pointer":"#/items/1/nam"},{"detail":"is not a known field","pointer":"#/price/vat"},{"detail":"is not a known field","pointer":"#/pr%C3%A9noms"},{"detail":"is not a known field","pointer":"#/x~1y"}]}`,
		},
		{
			name: "validator", ct: decodeCT, opts: []DecodeOption{walk},
			body:   `{"id": "", "price": {"amount": -1, "currency": "EUR"}, "items": [{"name": "", "qty": -2}, {"name": ""}], "x/y": -0, "prénom": ""}`,
			status: 422, code: "validation_failed",
			envelope: `{"error":{"code":"validation_failed","message":"the request body did not pass validation","details":{"id":["must not be empty"],"items.0.name":["must not be empty"],"items.0.qty":["must be >= 0"],"items.1.name":["must not be empty"],"price.amount":["must be >= 0"],"prénom":["must not be empty"],"x/y":["must be >= 0"]}}}`,
			problem:  `{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"the request body did not pass validation","code":"validation_failed","errors":[{"detail":"must not be empty","pointer":"#/id"},{"detail":"must not be empty","pointer":"#/items/0/name"},{"detail":"must be >= 0","pointer":"#/items/0/qty"},{"detail":"must not be empty","pointer":"#/items/1/name"},{"detail":"must be >= 0","pointer":"#/price/amount"},{"detail":"must not be empty","pointer":"#/pr%C3%A9nom"},{"detail":"must be >= 0","pointer":"#/x~1y"}]}`,
		},
		{
			name: "validator: number too large to check", ct: decodeCT, opts: []DecodeOption{walk},
			body:   `{"price": {"amount": 1e999999}, "items": [1, 2e-1001, 3]}`,
			status: 422, code: "validation_failed",
			envelope: `{"error":{"code":"validation_failed","message":"the request body did not pass validation","details":{"items.1":["is a number outside the supported range"],"price.amount":["is a number outside the supported range"]}}}`,
			problem:  `{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"the request body did not pass validation","code":"validation_failed","errors":[{"detail":"is a number outside the supported range","pointer":"#/items/1"},{"detail":"is a number outside the supported range","pointer":"#/price/amount"}]}`,
		},
		{
			name: "validator passes, Go type does not", ct: decodeCT, opts: []DecodeOption{walk},
			body:   `{"id": "ord-1", "price": {"amount": 1, "currency": "EUR"}, "items": [{"name": "pen", "qty": 256}], "e mail": "a@example.com", "a/b": 1, "prénom": "Zoë", "payment": {"iban": "DE89370400440532013000"}}`,
			status: 422, code: "validation_failed",
			envelope: `{"error":{"code":"validation_failed","message":"the request body has a value of the wrong type","details":{"items.0.qty":["must be an integer from 0 to 255"]}}}`,
			problem:  `{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"the request body has a value of the wrong type","code":"validation_failed","errors":[{"detail":"must be an integer from 0 to 255","pointer":"#/items/0/qty"}]}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v decodeOrder
			err := DecodeJSON(decodeRequest(tc.ct, tc.body), &v, tc.opts...)
			var e *Error
			if !As(err, &e) {
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

func TestDecodeJSONAccepts(t *testing.T) {
	tests := []struct {
		name string
		ct   string
		body string
		opts []DecodeOption
		want decodeOrder
	}{
		{"plain", "application/json", `{"id": "a"}`, nil, decodeOrder{ID: "a"}},
		{"upper case", "Application/JSON", `{"id": "a"}`, nil, decodeOrder{ID: "a"}},
		{"charset utf-8", "application/json; charset=UTF-8", `{"id": "a"}`, nil, decodeOrder{ID: "a"}},
		{"charset utf8 quoted", `application/json; charset="utf8"`, `{"id": "a"}`, nil, decodeOrder{ID: "a"}},
		{"charset us-ascii", "application/json;charset=us-ascii", `{"id": "a"}`, nil, decodeOrder{ID: "a"}},
		{"quoted parameter with a semicolon", `application/json; profile="a;charset=latin1"; charset=utf-8`, `{"id": "a"}`, nil, decodeOrder{ID: "a"}},
		{"escaped quote in a parameter", `application/json; profile="a\";b"`, `{"id": "a"}`, nil, decodeOrder{ID: "a"}},
		{"parameter without a value", "application/json; strict;", `{"id": "a"}`, nil, decodeOrder{ID: "a"}},
		{"merge patch", "application/merge-patch+json", `{"id": "a"}`, nil, decodeOrder{ID: "a"}},
		{"vendor type", "application/vnd.example.order+JSON; version=2", `{"id": "a"}`, nil, decodeOrder{ID: "a"}},
		{"unknown fields ignored by default", decodeCT, `{"id": "a", "extra": {"x": 1}}`, nil, decodeOrder{ID: "a"}},
		{"whitespace around the value", decodeCT, " \n{\"id\": \"a\"}\r\n\t ", nil, decodeOrder{ID: "a"}},
		{"nested values", decodeCT, `{"price": {"amount": 1.5, "currency": "EUR"}, "items": [{"name": "pen", "qty": 255}], "e mail": "a@b", "a/b": -3, "prénom": "Zoë", "counts": {"7": "x"}, "data": "AQI=", "flag": true, "cur": "EUR"}`,
			[]DecodeOption{DisallowUnknownFields()},
			decodeOrder{Price: decodePrice{1.5, "EUR"}, Items: []decodeItem{{"pen", 255}}, Email: "a@b", AB: -3, Prenom: "Zoë",
				Counts: map[int]string{7: "x"}, Data: []byte{1, 2}, Flag: true, Cur: "EUR"}},
		{"case-insensitive names, strict", decodeCT, `{"ID": "a", "E MAIL": "b"}`, []DecodeOption{DisallowUnknownFields()}, decodeOrder{ID: "a", Email: "b"}},
		{"exactly at the size limit", decodeCT, `{"id": "abcdefgh"}`, []DecodeOption{WithMaxBytes(18)}, decodeOrder{ID: "abcdefgh"}},
		{"zero limit means the default", decodeCT, `{"id": "a"}`, []DecodeOption{WithMaxBytes(0)}, decodeOrder{ID: "a"}},
		{"nil options", decodeCT, `{"id": "a"}`, []DecodeOption{{}, WithValidator(nil)}, decodeOrder{ID: "a"}},
		{"identity coding", decodeCT, `{"id": "a"}`, nil, decodeOrder{ID: "a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := decodeRequest(tc.ct, tc.body)
			if tc.name == "identity coding" {
				r.Header.Set("Content-Encoding", "identity")
			}
			var got decodeOrder
			if err := DecodeJSON(r, &got, tc.opts...); err != nil {
				t.Fatalf("DecodeJSON: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestDecodeJSONWithValidatorDecodesValidBody(t *testing.T) {
	s := WithValidator(walkValidator{})
	body := `{"id": "ord-1", "price": {"amount": 12.5, "currency": "EUR"}, "items": [{"name": "pen", "qty": 2}],
		"e mail": "a@example.com", "a/b": 7, "prénom": "Zoë", "payment": {"card": "4111111111111111"}}`
	var got decodeOrder
	if err := DecodeJSON(decodeRequest(decodeCT, body), &got, s); err != nil {
		t.Fatalf("DecodeJSON: %v", err)
	}
	want := decodeOrder{ID: "ord-1", Price: decodePrice{12.5, "EUR"}, Items: []decodeItem{{"pen", 2}}, Email: "a@example.com", AB: 7, Prenom: "Zoë",
		Pay: map[string]string{"card": "4111111111111111"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// Into an any, numbers stay float64 as with encoding/json.
	var m map[string]any
	if err := DecodeJSON(decodeRequest(decodeCT, body), &m, s); err != nil {
		t.Fatalf("DecodeJSON: %v", err)
	}
	if got, ok := m["a/b"].(float64); !ok || got != 7 {
		t.Errorf(`m["a/b"] = %#v, want float64(7)`, m["a/b"])
	}
}

// decodeStatus returns the *Error of err, failing the test if it is not one.
func decodeStatus(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !As(err, &e) {
		t.Fatalf("err = %v (%T), want an *Error", err, err)
	}
	return e
}

type decodeFailingReader struct{ err error }

func (r decodeFailingReader) Read([]byte) (int, error) { return 0, r.err }

// decodeChunks returns its data one byte per Read, with no Content-Length.
type decodeChunks struct{ data []byte }

func (r *decodeChunks) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	p[0] = r.data[0]
	r.data = r.data[1:]
	return 1, nil
}

func TestDecodeJSONBody(t *testing.T) {
	t.Run("content coding", func(t *testing.T) {
		for _, ce := range []string{"gzip", "identity, br"} {
			r := decodeRequest(decodeCT, `{}`)
			r.Header.Set("Content-Encoding", ce)
			e := decodeStatus(t, DecodeJSON(r, new(decodeOrder)))
			want := "content codings are not supported; send the body without Content-Encoding"
			if e.Status != 415 || e.Code != "unsupported_media_type" || e.Message != want {
				t.Errorf("%s: got %d %s %q", ce, e.Status, e.Code, e.Message)
			}
			// RFC 9110 §15.5.16: the 415 lists the codings accepted.
			for _, rd := range []*Renderer{{}, {Format: Problem}} {
				rec := httptest.NewRecorder()
				rd.Write(rec, r, e)
				if got := rec.Header().Values("Accept-Encoding"); len(got) != 1 || got[0] != "identity" {
					t.Errorf("%s: Accept-Encoding %q, want identity", ce, got)
				}
				if got := rec.Header().Get("Accept"); got != "" {
					t.Errorf("%s: Accept %q on a 415 about the coding", ce, got)
				}
			}
		}
	})
	t.Run("media type", func(t *testing.T) {
		// RFC 9110 §12.5.3: a 415 not about a content coding carries no
		// Accept-Encoding; §15.5.16: Accept says what to send.
		for _, ct := range []string{"", "text/plain", "application/json; charset=latin1"} {
			r := decodeRequest(ct, `{}`)
			e := decodeStatus(t, DecodeJSON(r, new(decodeOrder)))
			rec := httptest.NewRecorder()
			Write(rec, r, e)
			if rec.Code != 415 {
				t.Fatalf("%q: status %d, want 415", ct, rec.Code)
			}
			if got := rec.Header().Values("Accept-Encoding"); got != nil {
				t.Errorf("%q: Accept-Encoding %q on a 415 about the media type", ct, got)
			}
			if got := rec.Header().Get("Accept"); got != "application/json" {
				t.Errorf("%q: Accept %q, want application/json", ct, got)
			}
		}
	})
	t.Run("declared length over the limit is refused unread", func(t *testing.T) {
		r := decodeRequest(decodeCT, "")
		r.Body = io.NopCloser(decodeFailingReader{New("must not be read")})
		r.ContentLength = DefaultMaxBodyBytes + 1
		e := decodeStatus(t, DecodeJSON(r, new(decodeOrder)))
		if e.Status != 413 || e.Message != "the request body is larger than 1048576 bytes" {
			t.Errorf("got %d %q", e.Status, e.Message)
		}
		var mbe *http.MaxBytesError
		if !As(e, &mbe) || mbe.Limit != DefaultMaxBodyBytes {
			t.Errorf("cause = %v, want *http.MaxBytesError with limit %d", e.Err, DefaultMaxBodyBytes)
		}
	})
	t.Run("undeclared length over the limit", func(t *testing.T) {
		r := decodeRequest(decodeCT, "")
		r.Body = io.NopCloser(&decodeChunks{[]byte(`{"id": "` + strings.Repeat("x", 5000) + `"}`)})
		r.ContentLength = -1
		e := decodeStatus(t, DecodeJSON(r, new(decodeOrder), WithMaxBytes(4096)))
		if e.Status != 413 || e.Code != "content_too_large" {
			t.Errorf("got %d %s", e.Status, e.Code)
		}
	})
	t.Run("undeclared length under the limit, read byte by byte", func(t *testing.T) {
		body := `{"id": "` + strings.Repeat("x", 3000) + `"}`
		r := decodeRequest(decodeCT, "")
		r.Body = io.NopCloser(&decodeChunks{[]byte(body)})
		r.ContentLength = -1
		var v decodeOrder
		if err := DecodeJSON(r, &v); err != nil || len(v.ID) != 3000 {
			t.Errorf("err = %v, len(ID) = %d", err, len(v.ID))
		}
	})
	t.Run("large body in one read", func(t *testing.T) {
		body := `{"id": "` + strings.Repeat("x", DefaultMaxBodyBytes-10) + `"}`
		var v decodeOrder
		if err := DecodeJSON(decodeRequest(decodeCT, body), &v); err != nil || len(v.ID) != DefaultMaxBodyBytes-10 {
			t.Errorf("err = %v, len(ID) = %d", err, len(v.ID))
		}
	})
	t.Run("limit set by http.MaxBytesReader upstream", func(t *testing.T) {
		r := decodeRequest(decodeCT, `{"id": "`+strings.Repeat("x", 100)+`"}`)
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 10)
		r.ContentLength = -1
		e := decodeStatus(t, DecodeJSON(r, new(decodeOrder)))
		if e.Status != 413 || e.Message != "the request body is larger than 10 bytes" {
			t.Errorf("got %d %q", e.Status, e.Message)
		}
	})
	t.Run("read error", func(t *testing.T) {
		cause := New("connection reset")
		r := decodeRequest(decodeCT, "")
		r.Body = io.NopCloser(decodeFailingReader{cause})
		r.ContentLength = -1
		e := decodeStatus(t, DecodeJSON(r, new(decodeOrder)))
		if e.Status != 400 || e.Code != "bad_request" || e.Message != "the request body could not be read" || !Is(e, cause) {
			t.Errorf("got %d %s %q cause %v", e.Status, e.Code, e.Message, e.Err)
		}
	})
	t.Run("no body", func(t *testing.T) {
		r := decodeRequest(decodeCT, "")
		r.Body = nil
		e := decodeStatus(t, DecodeJSON(r, new(decodeOrder)))
		if e.Status != 400 || e.Code != "malformed_json" {
			t.Errorf("got %d %s", e.Status, e.Code)
		}
	})
}

func TestDecodeJSONCauses(t *testing.T) {
	var se *json.SyntaxError
	if err := DecodeJSON(decodeRequest(decodeCT, `{,}`), new(decodeOrder)); !As(err, &se) || se.Offset != 2 {
		t.Errorf("syntax error: cause %v, want a *json.SyntaxError at offset 2", err)
	}
	if err := DecodeJSON(decodeRequest(decodeCT, `[`), new(any)); !Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated: %v, want io.ErrUnexpectedEOF as the cause", err)
	}
	var te *json.UnmarshalTypeError
	if err := DecodeJSON(decodeRequest(decodeCT, `{"id": 1}`), new(decodeOrder)); !As(err, &te) {
		t.Errorf("type error: %v, want a *json.UnmarshalTypeError as the cause", err)
	}
	var pe *time.ParseError
	err := DecodeJSON(decodeRequest(decodeCT, `{"when": "yesterday"}`), new(decodeOrder))
	if !As(err, &pe) {
		t.Errorf("time error: %v, want a *time.ParseError as the cause", err)
	}
	if e := decodeStatus(t, err); e.Status != 422 || len(e.Fields) != 1 || e.Fields[0].Path != "" {
		t.Errorf("time error: %d %+v, want 422 with one field error at the whole body", e.Status, e.Fields)
	}
}

func TestDecodeJSONBadTarget(t *testing.T) {
	for _, v := range []any{nil, decodeOrder{}, (*decodeOrder)(nil)} {
		err := DecodeJSON(decodeRequest(decodeCT, `{}`), v)
		e := decodeStatus(t, err)
		var iue *json.InvalidUnmarshalError
		if e.Status != 500 || !As(err, &iue) {
			t.Errorf("DecodeJSON(%T) = %v, want a 500 caused by *json.InvalidUnmarshalError", v, err)
		}
	}
}

// decodeValidator is a Validator returning fixed results.
type decodeValidator struct {
	fields []FieldError
	err    error
}

func (v decodeValidator) Validate(any) ([]FieldError, error) { return v.fields, v.err }

func TestDecodeJSONValidator(t *testing.T) {
	t.Run("failure of the validator is a 500", func(t *testing.T) {
		cause := New("schema store unreachable")
		err := DecodeJSON(decodeRequest(decodeCT, `{}`), new(decodeOrder), WithValidator(decodeValidator{err: cause}))
		if e := decodeStatus(t, err); e.Status != 500 || !Is(err, cause) {
			t.Errorf("got %v, want a 500 wrapping the cause", err)
		}
	})
	t.Run("fields are sorted and deduplicated", func(t *testing.T) {
		v := decodeValidator{fields: []FieldError{
			BodyField("/items/10", "b"), BodyField("/items/2", "a"), HeaderField("If-Match", "h"),
			QueryParam("limit", "q"), BodyField("/items/2", "a"), BodyField("", "root"), BodyField("/items", "x"),
		}}
		e := decodeStatus(t, DecodeJSON(decodeRequest(decodeCT, `{}`), new(decodeOrder), WithValidator(v)))
		want := []FieldError{BodyField("", "root"), BodyField("/items", "x"), BodyField("/items/2", "a"),
			BodyField("/items/10", "b"), QueryParam("limit", "q"), HeaderField("If-Match", "h")}
		if e.Status != 422 || !reflect.DeepEqual(e.Fields, want) {
			t.Errorf("got %d %v, want 422 %v", e.Status, e.Fields, want)
		}
	})
	t.Run("at most MaxFieldErrors", func(t *testing.T) {
		var fields []FieldError
		for i := range 250 {
			fields = append(fields, BodyField(Pointer("items", strconv.Itoa(i)), "is wrong"))
		}
		e := decodeStatus(t, DecodeJSON(decodeRequest(decodeCT, `{}`), new(decodeOrder), WithValidator(decodeValidator{fields: fields})))
		if len(e.Fields) != MaxFieldErrors || e.Fields[MaxFieldErrors-1].Path != "/items/99" {
			t.Errorf("got %d fields, last %v", len(e.Fields), e.Fields[len(e.Fields)-1])
		}
		if want := "the request body did not pass validation (the first 100 of 250 problems are listed)"; e.Message != want {
			t.Errorf("message %q, want %q", e.Message, want)
		}
	})
	t.Run("validator sees json.Number", func(t *testing.T) {
		var seen any
		v := decodeValidatorFunc(func(doc any) ([]FieldError, error) { seen = doc; return nil, nil })
		if err := DecodeJSON(decodeRequest(decodeCT, `{"a/b": 12345678901234567890}`), new(map[string]any), WithValidator(v)); err != nil {
			t.Fatal(err)
		}
		if n := seen.(map[string]any)["a/b"]; n != json.Number("12345678901234567890") {
			t.Errorf("validator got %#v, want the exact json.Number", n)
		}
	})
}

type decodeValidatorFunc func(any) ([]FieldError, error)

func (f decodeValidatorFunc) Validate(v any) ([]FieldError, error) { return f(v) }

func TestNumberFits(t *testing.T) {
	tests := []struct {
		n    string
		want bool
	}{
		{"0", true}, {"-12.5", true}, {"1e1000", true}, {"1E-1000", true}, {"1e+0999", true},
		{"1e1001", false}, {"1e-1001", false}, {"1e00001000", true}, {"1e10000", false},
		{strings.Repeat("9", 256), true}, {strings.Repeat("9", 257), false},
	}
	for _, tc := range tests {
		if got := numberFits(tc.n); got != tc.want {
			t.Errorf("numberFits(%.20s) = %v, want %v", tc.n, got, tc.want)
		}
	}
}

func TestLocate(t *testing.T) {
	body := `{"a": [1, {"b c": "x]}", "d/e": [true, null]}], "f": {"g": 2.5e3}, "m": {"k\\\"\u00e9": -1}, "n": [[], {}]}`
	at := func(s string, plus int) int64 { return int64(strings.Index(body, s) + plus) }
	tests := []struct {
		off   int64
		want  string
		inKey bool
	}{
		{at("1", 1), "/a/0", false},
		{at(`"x]}"`, 5), "/a/1/b c", false},
		{at("true", 4), "/a/1/d~1e/0", false},
		{at("null", 4), "/a/1/d~1e/1", false},
		{at("[true", 1), "/a/1/d~1e", false},
		{at(`{"g"`, 1), "/f", false},
		{at("2.5e3", 5), "/f/g", false},
		{at(`"k`, 1), "/m/k\\\"é", true},
		{at("-1", 2), "/m/k\\\"é", false},
		{at("[]", 1), "/n/0", false},
		{at("{}", 1), "/n/1", false},
		{int64(len(body)), "", false},
		{0, "", false},
		{int64(len(body)) + 5, "", false},
	}
	for _, tc := range tests {
		got, inKey := locate([]byte(body), tc.off)
		if got != tc.want || inKey != tc.inKey {
			t.Errorf("locate(%d) = %q, %v, want %q, %v", tc.off, got, inKey, tc.want, tc.inKey)
		}
	}
	// Offsets as encoding/json reports them, for each kind of mismatch.
	for _, tc := range []struct{ body, want string }{
		{`{"items": [{"name": "a"}, {"name": 1}]}`, "/items/1/name"},
		{`{"items": [{"name": "a"}, {"name": {"x": [1]}}]}`, "/items/1/name"},
		{`{"items": [{"name": "a"}, {"name": ["x"]}]}`, "/items/1/name"},
		{`{"counts": {"1": "a", "x\"y": "b"}}`, "/counts/x\"y"},
		{` [1] `, ""},
	} {
		var v decodeOrder
		var te *json.UnmarshalTypeError
		if err := json.Unmarshal([]byte(tc.body), &v); !As(err, &te) {
			t.Fatalf("%s: %v, want a type error", tc.body, err)
		}
		if got, _ := locate([]byte(tc.body), te.Offset); got != tc.want {
			t.Errorf("%s: located %q, want %q", tc.body, got, tc.want)
		}
	}
}

func TestTypeDetail(t *testing.T) {
	tests := []struct {
		value string
		typ   reflect.Type
		want  string
	}{
		{"string", reflect.TypeFor[*int](), "must be an integer, not a string"},
		{"number", reflect.TypeFor[[]byte](), "must be a base64 string, not a number"},
		{"string", reflect.TypeFor[bool](), "must be a boolean, not a string"},
		{"array", reflect.TypeFor[float32](), "must be a number, not an array"},
		{"object", reflect.TypeFor[[3]int](), "must be an array, not an object"},
		{"number", reflect.TypeFor[time.Time](), "must be a string, not a number"},
		{"bool", reflect.TypeFor[map[string]int](), "must be an object, not a boolean"},
		{"string", reflect.TypeFor[chan int](), "must be another type, not a string"},
		{"number 70000", reflect.TypeFor[uint16](), "must be an integer from 0 to 65535"},
		{"number 1e99", reflect.TypeFor[int64](), "must be an integer"},
		{"number -1", reflect.TypeFor[uint](), "must be an integer from 0 to 18446744073709551615"},
		{"number 9223372036854775808", reflect.TypeFor[int](), "must be an integer from -9223372036854775808 to 9223372036854775807"},
		{"number -", reflect.TypeFor[int](), "must be an integer"},
		{"string", nil, "has the wrong type"},
	}
	for _, tc := range tests {
		got := typeDetail(&json.UnmarshalTypeError{Value: tc.value, Type: tc.typ}, false)
		if got != tc.want {
			t.Errorf("typeDetail(%s, %v) = %q, want %q", tc.value, tc.typ, got, tc.want)
		}
	}
}

// decodeFuzzBodies seed FuzzDecodeJSON with orders, valid and not, of
// the shape the tests decode.
var decodeFuzzBodies = []string{
	`{"id": "ord-1", "price": {"amount": 12.5, "currency": "EUR"},
		"items": [{"name": "pen", "qty": 2, "tags": ["a", "b"]}], "e mail": "a@example.com",
		"a/b": 7, "prénom": "Zoë", "payment": {"card": "4111111111111111"}, "~x": true,
		"code": "A1", "level": -1, "note": null, "ref": {"kind": "order"},
		"shipping": {"express": true, "phone": "+331234", "x-gift": "yes"}}`,
	`{}`,
	`[1, 2]`,
	`{"id": "o", "price": {"amount": -1, "currency": "GBP", "vat": 1},
		"items": [{"name": "", "qty": 1.5, "tags": ["a", "a"]}, {"name": 3}, "pen"],
		"e mail": "not an address", "a/b": "x", "prénom": "Zoëlle-Marie", "~x": 1,
		"payment": {"card": "4111"}}`,
	`{"id": "ord-1", "price": {"amount": 1, "currency": "EUR"},
		"items": [{"name": "pen", "qty": 1}], "e mail": "a@example.com", "a/b": 1, "prénom": "Zoë",
		"payment": {"iban": "DE89370400440532013000"}, "ünknown": 1, "x/y": 2, "sp ace": 3, "t~lde": 4, "%41": 5}`,
	`{"id": "ord-1", "price": {"amount": 1, "currency": "EUR"},
		"items": [{"name": "pen", "qty": 1}], "e mail": "a@example.com", "a/b": 1, "prénom": "Zoë",
		"payment": {"card": "4111111111111111", "iban": "DE89370400440532013000"},
		"code": true, "level": 3, "note": "long"}`,
	`{"id": "ord-1", "price": {"amount": 1, "currency": "EUR"},
		"items": [], "e mail": "a@example.com", "a/b": 1, "prénom": "Zoë", "payment": "cash", "code": 1.5}`,
	`{"id": "ord-1", "price": {"amount": 1, "currency": "EUR"},
		"items": [{"name": "pen", "qty": 1}], "e mail": "a@example.com", "a/b": 1, "prénom": "Zoë",
		"payment": {"iban": "DE89370400440532013000"}, "ref": {"kind": "invoice"},
		"shipping": {"express": true, "x-gift": 1, "y-gift": "no"}}`,
}

// FuzzDecodeJSON feeds arbitrary bodies and Content-Types to DecodeJSON,
// with and without a validator, strict field checking and ReplaceInvalidUTF8.
// DecodeJSON must not panic and must return nil or an *Error with status
// 400, 413, 415 or 422 that renders as JSON. A syntactically valid body
// is refused as not UTF-8 (or for a lone surrogate) exactly when an
// independent oracle finds such a problem and ReplaceInvalidUTF8 is not
// given. Run it with
//
//	go test ./errors -run '^$' -fuzz FuzzDecodeJSON -fuzztime 60s
func FuzzDecodeJSON(f *testing.F) {
	for _, body := range decodeFuzzBodies {
		f.Add([]byte(body), decodeCT, uint8(1))
		f.Add([]byte(body), decodeCT, uint8(2))
	}
	seeds := []string{``, ` `, `{`, `[`, `"`, `{"id": }`, `{"id": "a"} x`, `{"a/b": "x"}`, `{"items": [{"qty": 300}]}`,
		`{"counts": {"x": "y"}}`, `{"when": "now"}`, `{"cur": 1}`, `{"price": 1e999999}`, `[1e-1001]`, `null`, `1`,
		`{"e mail": {"a": [1, {"b": null}]}}`, `{"extra": 1, "items": [{"nam": 2}]}`, "\xff", `"\ud800"`,
		"{\"id\": \"\xc3\"}", "{\"id\": \"\xed\xa0\x80\"}", `{"id": "\udc00"}`, `{"id": "\ud834\udd1e"}`, `{"id": "\\ud800"}`,
		`{"id": "\\\ud800"}`, `{"\ud800\u0041": 1}`, `["\ud800\ud800\udc00"]`, `"\uD834\uDD1E"`}
	for i, s := range seeds {
		f.Add([]byte(s), decodeCT, uint8(i))
	}
	for _, ct := range []string{"", "text/plain", "application/json; charset=latin1", "application/problem+json",
		`application/json; a="b;c"`, "application/json;;", "a/b+json", "/json", "application/json\x00"} {
		f.Add([]byte(`{}`), ct, uint8(0))
	}
	f.Fuzz(func(t *testing.T, body []byte, ct string, mode uint8) {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header["Content-Type"] = []string{ct} // as sent, even if not a valid header value
		var opts []DecodeOption
		if mode&1 != 0 {
			opts = append(opts, WithValidator(walkValidator{}))
		}
		if mode&2 != 0 {
			opts = append(opts, DisallowUnknownFields())
		}
		if mode&4 != 0 {
			opts = append(opts, WithMaxBytes(64))
		}
		var v any = new(decodeOrder)
		if mode&8 != 0 {
			v = new(any)
		}
		replace := mode&16 != 0
		if replace {
			opts = append(opts, ReplaceInvalidUTF8())
		}
		err := DecodeJSON(r, v, opts...)
		if json.Valid(body) {
			var e *Error
			checked := !As(err, &e) || e.Status != 413 && e.Status != 415
			if want := !replace && oracleUTF8Problem(body); checked && decodeMalformedUTF8(err) != want {
				t.Fatalf("body %q, ReplaceInvalidUTF8 %v: DecodeJSON = %v, want refused as not UTF-8: %v", body, replace, err, want)
			}
		} else if decodeMalformedUTF8(err) && (replace || utf8.Valid(body) && !strings.Contains(string(body), `\u`)) {
			t.Fatalf("body %q, ReplaceInvalidUTF8 %v: refused as not UTF-8: %v", body, replace, err)
		}
		if err == nil {
			return
		}
		e, ok := err.(*Error)
		if !ok {
			t.Fatalf("DecodeJSON returned %T %v, want an *Error", err, err)
		}
		switch e.Status {
		case 400, 413, 415:
		case 422:
			if len(e.Fields) == 0 || len(e.Fields) > MaxFieldErrors {
				t.Fatalf("422 with %d field errors: %v", len(e.Fields), e)
			}
		default:
			t.Fatalf("status %d: %v", e.Status, e)
		}
		for _, fe := range e.Fields {
			if fe.In != InBody || fe.Path != "" && fe.Path[0] != '/' {
				t.Fatalf("field error %+v is not at a JSON Pointer in the body", fe)
			}
			if strings.HasPrefix(fe.Detail, "unknown field ") {
				t.Fatalf("an unknown field was not located: %+v", fe)
			}
		}
		rec := httptest.NewRecorder()
		Write(rec, r, err)
		if rec.Code != e.Status || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("rendered %d %s", rec.Code, rec.Body)
		}
	})
}

func TestCheckMediaType(t *testing.T) {
	tests := []struct {
		ct   string
		want string // "" when accepted, else the message
	}{
		{"application/json", ""},
		{" application/json ; charset=utf-8", ""},
		{"application/ld+json", ""},
		{"application/json; charset=\"UTF-8\"", ""},
		{`application/json; charset="utf\-8"`, ""},
		{`application/json; x="unterminated; charset=latin1`, ""},
		{"application/json; charset=", "the request body must be UTF-8 JSON; send Content-Type: application/json"},
		{"application/json; charset=utf-16", "the request body must be UTF-8 JSON; send Content-Type: application/json"},
		{"application/jsonx", "the request body must be JSON; send Content-Type: application/json"},
		{"application/json+xml", "the request body must be JSON; send Content-Type: application/json"},
		{"application/", "the request body must be JSON; send Content-Type: application/json"},
		{"application", "the request body must be JSON; send Content-Type: application/json"},
		{"appli cation/json", "the request body must be JSON; send Content-Type: application/json"},
		{"application/js\x00on", "the request body must be JSON; send Content-Type: application/json"},
		{"application/(x)+json", "the request body must be JSON; send Content-Type: application/json"},
		{"application/é+json", "the request body must be JSON; send Content-Type: application/json"},
		{"text/json", "the request body must be JSON; send Content-Type: application/json"},
		{"multipart/form-data; boundary=x", "the request body must be JSON; send Content-Type: application/json"},
	}
	for _, tc := range tests {
		h := http.Header{"Content-Type": {tc.ct}}
		var got string
		if e := checkMediaType(h); e != nil {
			got = e.Message
			if e.Status != 415 || e.Code != "unsupported_media_type" {
				t.Errorf("%q: %d %s", tc.ct, e.Status, e.Code)
			}
		}
		if got != tc.want {
			t.Errorf("checkMediaType(%q) = %q, want %q", tc.ct, got, tc.want)
		}
	}
}

func TestDecodeOptions(t *testing.T) {
	body := `{"id": "` + strings.Repeat("x", 100) + `", "extra": 1}`
	seen := 0
	count := decodeValidatorFunc(func(any) ([]FieldError, error) { seen++; return nil, nil })
	tests := []struct {
		name   string
		opts   []DecodeOption
		status int
	}{
		{"later limit wins", []DecodeOption{WithMaxBytes(10), WithMaxBytes(1000)}, 0},
		{"non-positive limit keeps the earlier one", []DecodeOption{WithMaxBytes(10), WithMaxBytes(-1)}, 413},
		{"strict stays on", []DecodeOption{DisallowUnknownFields(), WithMaxBytes(1000)}, 422},
		{"later validator wins", []DecodeOption{WithValidator(decodeValidator{fields: []FieldError{BodyField("", "x")}}), WithValidator(count)}, 0},
		{"nil validator keeps the earlier one", []DecodeOption{WithValidator(count), WithValidator(nil)}, 0},
	}
	for _, tc := range tests {
		err := DecodeJSON(decodeRequest(decodeCT, body), new(decodeOrder), tc.opts...)
		status := 0
		if err != nil {
			status = decodeStatus(t, err).Status
		}
		if status != tc.status {
			t.Errorf("%s: status %d (%v), want %d", tc.name, status, err, tc.status)
		}
	}
	if seen != 2 {
		t.Errorf("the validator ran %d times, want 2", seen)
	}
}

func TestHugeNumbers(t *testing.T) {
	var doc any
	dec := json.NewDecoder(strings.NewReader(`{"a": [1, {"b": [2, 3e5000]}], "c": true, "d": "1e9999"}`))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if !hasHugeNumber(doc) {
		t.Fatal("hasHugeNumber = false")
	}
	want := []FieldError{BodyField("/a/1/b/1", "is a number outside the supported range")}
	if got := hugeNumbers(doc, nil, nil); !reflect.DeepEqual(got, want) {
		t.Errorf("hugeNumbers = %v, want %v", got, want)
	}
	if hasHugeNumber(map[string]any{"a": []any{json.Number("1"), "x", nil}}) {
		t.Error("hasHugeNumber(small numbers) = true")
	}
}

func TestComparePaths(t *testing.T) {
	sorted := []string{"", "/a", "/a/0", "/a/1", "/a/2", "/a/10", "/a/01", "/a/b", "/a~1b", "/b", "x"}
	for i := range sorted {
		for j := range sorted {
			got := comparePaths(InBody, sorted[i], sorted[j])
			if (i < j) != (got < 0) || (i == j) != (got == 0) {
				t.Errorf("comparePaths(%q, %q) = %d", sorted[i], sorted[j], got)
			}
		}
	}
	if comparePaths(InQuery, "b", "a") <= 0 {
		t.Error("query parameters are not compared as strings")
	}
}
