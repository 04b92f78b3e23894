package errors

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// decodeBenchBody is a reusable request body for benchmarks.
type decodeBenchBody struct{ bytes.Reader }

func (*decodeBenchBody) Close() error { return nil }

// BenchmarkDecodeJSON decodes a typical small order, plain, with strict
// fields, and through a Validator that walks the whole document; then bodies
// that stress the UTF-8 checks: \u escapes in every string, and 64 KiB of
// ASCII or of multi-byte characters:
//
//	go test ./errors -run '^$' -bench BenchmarkDecodeJSON -benchmem
func BenchmarkDecodeJSON(b *testing.B) {
	order := `{"id": "ord-1", "price": {"amount": 12.5, "currency": "EUR"},
		"items": [{"name": "pen", "qty": 2}, {"name": "paper", "qty": 10}],
		"e mail": "a@example.com", "a/b": 7, "prénom": "Zoë", "payment": {"card": "4111111111111111"}}`
	for _, bc := range []struct {
		name, body string
		opts       []DecodeOption
	}{
		{"plain", order, nil},
		{"strict", order, []DecodeOption{DisallowUnknownFields()}},
		{"validator", order, []DecodeOption{WithValidator(walkValidator{})}},
		{"escapes", `{"id": "ord-\u0031", "e mail": "a\u0040example.com", "prénom": "Zo\u00eb \ud83d\ude00", "items": [{"name": "p\u00e9n", "qty": 2}]}`, nil},
		{"64KiB-ascii", `{"id": "` + strings.Repeat("abcdefgh", 8192) + `"}`, nil},
		{"64KiB-utf8", `{"id": "` + strings.Repeat("Zoë€", 8192) + `"}`, nil},
	} {
		body := []byte(bc.body)
		b.Run(bc.name, func(b *testing.B) {
			rb := &decodeBenchBody{}
			r := httptest.NewRequest(http.MethodPost, "/orders", nil)
			r.Header.Set("Content-Type", "application/json")
			r.Body = rb
			r.ContentLength = int64(len(body))
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				rb.Reset(body)
				var v decodeOrder
				if err := DecodeJSON(r, &v, bc.opts...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCheckUTF8 measures what the UTF-8 and surrogate checks add to
// DecodeJSON, on the bodies of BenchmarkDecodeJSON:
//
//	go test ./errors -run '^$' -bench BenchmarkCheckUTF8 -benchmem
func BenchmarkCheckUTF8(b *testing.B) {
	for _, bc := range []struct{ name, body string }{
		{"order", `{"id": "ord-1", "price": {"amount": 12.5, "currency": "EUR"}, "items": [{"name": "pen", "qty": 2}], "prénom": "Zoë"}`},
		{"escapes", `{"id": "ord-\u0031", "e mail": "a\u0040example.com", "prénom": "Zo\u00eb \ud83d\ude00", "items": [{"name": "p\u00e9n", "qty": 2}]}`},
		{"64KiB-ascii", `{"id": "` + strings.Repeat("abcdefgh", 8192) + `"}`},
		{"64KiB-utf8", `{"id": "` + strings.Repeat("Zoë€", 8192) + `"}`},
	} {
		body := []byte(bc.body)
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if e := checkUTF8(body); e != nil {
					b.Fatal(e)
				}
			}
		})
	}
}

// BenchmarkDecodeJSONUnknownFields decodes strict bodies with unknown
// fields, the path that locates each of them:
//
//	go test ./errors -run '^$' -bench BenchmarkDecodeJSONUnknownFields -benchmem
func BenchmarkDecodeJSONUnknownFields(b *testing.B) {
	for _, bc := range []struct{ name, body string }{
		{"one", `{"id": "ord-1", "price": {"amount": 12.5, "currency": "EUR"}, "items": [{"name": "pen", "qty": 2}], "extra": 1}`},
		{"nested", `{"id": "ord-1", "price": {"amount": 12.5, "curency": "EUR"}, "items": [{"name": "pen", "qty": 2}, {"nam": "paper", "qty": 10}]}`},
	} {
		body := []byte(bc.body)
		b.Run(bc.name, func(b *testing.B) {
			rb := &decodeBenchBody{}
			r := httptest.NewRequest(http.MethodPost, "/orders", nil)
			r.Header.Set("Content-Type", "application/json")
			r.Body = rb
			r.ContentLength = int64(len(body))
			b.ReportAllocs()
			for b.Loop() {
				rb.Reset(body)
				var v decodeOrder
				var e *Error
				if err := DecodeJSON(r, &v, DisallowUnknownFields()); !As(err, &e) || e.Status != 422 {
					b.Fatal(err)
				}
			}
		})
	}
}
