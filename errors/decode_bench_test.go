package errors

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkDecodeJSONBodies decodes bodies that stress the UTF-8 checks:
// one with \u escapes in every string, and a 64 KiB one, ASCII and
// multi-byte:
//
//	go test ./errors -run '^$' -bench BenchmarkDecodeJSONBodies -benchmem
func BenchmarkDecodeJSONBodies(b *testing.B) {
	for _, bc := range []struct{ name, body string }{
		{"escapes", `{"id": "ord-\u0031", "e mail": "a\u0040example.com", "prénom": "Zo\u00eb \ud83d\ude00", "items": [{"name": "p\u00e9n", "qty": 2}]}`},
		{"64KiB-ascii", `{"id": "` + strings.Repeat("abcdefgh", 8192) + `"}`},
		{"64KiB-utf8", `{"id": "` + strings.Repeat("Zoë€", 8192) + `"}`},
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
				if err := DecodeJSON(r, &v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
