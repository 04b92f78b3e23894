package idempotency

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/restwell/restwell/internal/httpsyntax"
)

// DefaultFingerprint is the fingerprint used when Config.Fingerprint is
// nil: 43 base64url characters of a SHA-256 over, in order, the method,
// the route pattern (r.Pattern, set by http.ServeMux; empty elsewhere), the
// escaped path, the query in canonical form, the media type and the body.
//
// The canonical query decodes every name and value and sorts the pairs by
// name, keeping the order of values under one name, so "b=2&a=1" and
// "a=%31&b=2" match. The media type is the lowercase type/subtype of
// Content-Type without parameters, so "application/json" and
// "Application/JSON; charset=utf-8" match. The body is compared byte for
// byte: JSON with other whitespace or member order is another request.
//
// The path is part of the fingerprint even when a pattern is known: a
// pattern such as "POST /orders/{id}/refund" matches many paths, and a key
// reused on another order must not replay the first order's refund.
func DefaultFingerprint(r *http.Request, body []byte) string {
	// The fields go through one SHA-256 with the body, from a buffer on
	// the stack: no copy of the body and no intermediate digest.
	var arr [512]byte
	b := arr[:0]
	b = appendField(b, r.Method)
	b = appendField(b, r.Pattern)
	b = appendField(b, r.URL.EscapedPath())
	b = appendQuery(b, r.URL.RawQuery)
	var ct string
	if v := r.Header["Content-Type"]; len(v) > 0 { // Header.Get without canonicalising a canonical name
		ct = v[0]
	}
	b = appendMediaType(b, ct)
	b = binary.AppendUvarint(b, uint64(len(body)))
	h := sha256.New()
	h.Write(b)
	h.Write(body)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	var out [43]byte
	base64.RawURLEncoding.Encode(out[:], sum[:])
	return string(out[:])
}

// appendField appends s with its length, so that no two different
// sequences of fields give the same bytes.
func appendField(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendQuery(b []byte, raw string) []byte {
	if raw == "" {
		return appendField(b, "")
	}
	type pair struct{ k, v string }
	var arr [16]pair
	pairs := arr[:0]
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		pairs = append(pairs, pair{unescape(k), unescape(v)})
	}
	slices.SortStableFunc(pairs, func(a, b pair) int { return cmp.Compare(a.k, b.k) })
	b = binary.AppendUvarint(b, uint64(len(pairs)))
	for _, p := range pairs {
		b = appendField(b, p.k)
		b = appendField(b, p.v)
	}
	return b
}

// unescape decodes a query component; one that does not decode is kept
// as it is, so that it still distinguishes requests.
func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func appendMediaType(b []byte, ct string) []byte {
	ct = httpsyntax.MediaType(ct)
	b = binary.AppendUvarint(b, uint64(len(ct)))
	for i := 0; i < len(ct); i++ {
		c := ct[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}
