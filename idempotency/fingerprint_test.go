package idempotency

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func fpOf(method, target, ct, body, pattern string) string {
	r := httptest.NewRequest(method, target, nil)
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	r.Pattern = pattern
	return DefaultFingerprint(r, []byte(body))
}

func TestDefaultFingerprint(t *testing.T) {
	base := fpOf("POST", "/orders?a=1&b=2", "application/json", `{"n":1}`, "")
	if len(base) != 43 {
		t.Fatalf("fingerprint %q has %d characters, want 43", base, len(base))
	}
	same := []struct{ name, method, target, ct, body, pattern string }{
		{"query order", "POST", "/orders?b=2&a=1", "application/json", `{"n":1}`, ""},
		{"query escapes", "POST", "/orders?a=%31&b=2", "application/json", `{"n":1}`, ""},
		{"empty pair", "POST", "/orders?a=1&&b=2", "application/json", `{"n":1}`, ""},
		{"media type case and parameters", "POST", "/orders?a=1&b=2", "Application/JSON; charset=utf-8", `{"n":1}`, ""},
	}
	for _, tt := range same {
		if got := fpOf(tt.method, tt.target, tt.ct, tt.body, tt.pattern); got != base {
			t.Errorf("%s: fingerprint differs, want the same", tt.name)
		}
	}
	differ := []struct{ name, method, target, ct, body, pattern string }{
		{"method", "PATCH", "/orders?a=1&b=2", "application/json", `{"n":1}`, ""},
		{"path", "POST", "/orders/x?a=1&b=2", "application/json", `{"n":1}`, ""},
		{"pattern", "POST", "/orders?a=1&b=2", "application/json", `{"n":1}`, "POST /orders"},
		{"query value", "POST", "/orders?a=1&b=3", "application/json", `{"n":1}`, ""},
		{"query value order", "POST", "/orders?a=1&a=2", "application/json", `{"n":1}`, ""},
		{"no query", "POST", "/orders", "application/json", `{"n":1}`, ""},
		{"media type", "POST", "/orders?a=1&b=2", "text/plain", `{"n":1}`, ""},
		{"body", "POST", "/orders?a=1&b=2", "application/json", `{"n":2}`, ""},
		{"body whitespace", "POST", "/orders?a=1&b=2", "application/json", `{"n": 1}`, ""},
	}
	for _, tt := range differ {
		if got := fpOf(tt.method, tt.target, tt.ct, tt.body, tt.pattern); got == base {
			t.Errorf("%s: fingerprint equal, want a different one", tt.name)
		}
	}
	if fpOf("POST", "/?a=1&a=2", "", "", "") == fpOf("POST", "/?a=2&a=1", "", "", "") {
		t.Error("values under one name in another order give the same fingerprint")
	}
	// Field boundaries: moving bytes between fields changes the fingerprint.
	if fpOf("POST", "/ab", "", "c", "") == fpOf("POST", "/a", "", "bc", "") {
		t.Error("path and body boundary is ambiguous")
	}
}

// TestDefaultFingerprintEncoding pins the bytes the fingerprint hashes.
// Fingerprints are kept in shared stores, so a change here makes a retry
// that reaches a newer instance look like another request (422).
func TestDefaultFingerprintEncoding(t *testing.T) {
	r := httptest.NewRequest("POST", "/orders?b=2&a=%31", nil)
	r.Header.Set("Content-Type", "Application/JSON; charset=utf-8")
	r.Pattern = "POST /orders"
	body := []byte(`{"n":1}`)
	var enc []byte
	enc = append(enc, 4)
	enc = append(enc, "POST"...)
	enc = append(enc, 12)
	enc = append(enc, "POST /orders"...)
	enc = append(enc, 7)
	enc = append(enc, "/orders"...)
	enc = append(enc, 2, 1, 'a', 1, '1', 1, 'b', 1, '2') // two pairs, sorted and decoded
	enc = append(enc, 16)
	enc = append(enc, "application/json"...)
	enc = append(enc, 7)
	enc = append(enc, body...)
	sum := sha256.Sum256(enc)
	if got, want := DefaultFingerprint(r, body), base64.RawURLEncoding.EncodeToString(sum[:]); got != want {
		t.Fatalf("DefaultFingerprint = %s, want %s", got, want)
	}
	// A body of 1 KiB has a two-byte length.
	big := bytes.Repeat([]byte("x"), 1024)
	r = httptest.NewRequest("POST", "/", nil)
	enc = append([]byte{4}, "POST"...)
	enc = append(enc, 0, 1, '/', 0, 0, 0x80, 0x08)
	enc = append(enc, big...)
	sum = sha256.Sum256(enc)
	if got, want := DefaultFingerprint(r, big), base64.RawURLEncoding.EncodeToString(sum[:]); got != want {
		t.Fatalf("DefaultFingerprint with a 1 KiB body = %s, want %s", got, want)
	}
}

// TestDefaultFingerprintAllocs checks that the fingerprint allocates only
// the string it returns: the digest and the encoded fields stay on the
// stack.
func TestDefaultFingerprintAllocs(t *testing.T) {
	r := httptest.NewRequest("POST", "/orders?expand=customer&limit=10", nil)
	r.Header.Set("Content-Type", "application/json")
	body := bytes.Repeat([]byte("x"), 1024)
	if n := testing.AllocsPerRun(100, func() { DefaultFingerprint(r, body) }); n != 1 {
		t.Fatalf("DefaultFingerprint allocates %v times, want 1", n)
	}
}

// FuzzFingerprint checks that fingerprinting any request neither panics
// nor depends on the order of query parameters with distinct names.
//
//	go test ./idempotency -run '^$' -fuzz FuzzFingerprint -fuzztime 60s
func FuzzFingerprint(f *testing.F) {
	f.Add("POST", "/orders", "a=1&b=2", "application/json", []byte(`{"n":1}`))
	f.Add("PATCH", "/x/%2F/y", "a=%zz&b", "", []byte{})
	f.Add("POST", "", ";;&=", "text/plain;", []byte{0xff})
	f.Fuzz(func(t *testing.T, method, path, query, ct string, body []byte) {
		r := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: query}, Header: http.Header{"Content-Type": {ct}}}
		a := DefaultFingerprint(r, body)
		if len(a) != 43 || a != DefaultFingerprint(r, body) {
			t.Fatalf("fingerprint %q not 43 characters or not deterministic", a)
		}
		pairs := strings.Split(query, "&")
		if len(pairs) == 2 && pairs[0] != "" && pairs[1] != "" {
			n0, _, _ := strings.Cut(pairs[0], "=")
			n1, _, _ := strings.Cut(pairs[1], "=")
			if unescape(n0) != unescape(n1) {
				r2 := *r
				r2.URL = &url.URL{Path: path, RawQuery: pairs[1] + "&" + pairs[0]}
				if DefaultFingerprint(&r2, body) != a {
					t.Fatalf("query %q and its reverse give different fingerprints", query)
				}
			}
		}
	})
}
