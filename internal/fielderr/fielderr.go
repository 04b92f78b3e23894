// Package fielderr holds what the packages that build field errors share:
// the order of JSON Pointers (RFC 6901) in a list of problems, and the
// bound on a detail that may quote the client's input.
package fielderr

import "strings"

// MaxDetail is the longest detail Clip leaves whole, in bytes.
const MaxDetail = 256

// Clip returns s cut to at most MaxDetail bytes, without cutting a UTF-8
// sequence, with "..." appended when anything was cut.
func Clip(s string) string {
	if len(s) <= MaxDetail {
		return s
	}
	i := MaxDetail
	for i > 0 && s[i]&0xC0 == 0x80 { // do not cut a UTF-8 sequence
		i--
	}
	return s[:i] + "..."
}

// ComparePointers orders JSON Pointers token by token, so that "/a" comes
// before "/a/b" and "/b", and array indexes in numeric order ("/items/2"
// before "/items/10"). A string that is not a pointer (neither "" nor
// starting with '/') compares as a string.
func ComparePointers(a, b string) int {
	if a != "" && a[0] != '/' || b != "" && b[0] != '/' {
		return strings.Compare(a, b)
	}
	for a != "" && b != "" {
		// Both start with '/'.
		ta, ra := CutToken(a[1:])
		tb, rb := CutToken(b[1:])
		if c := compareTokens(ta, tb); c != 0 {
			return c
		}
		a, b = ra, rb
	}
	return len(a) - len(b) // the shorter, a prefix, first
}

// CutToken splits p, a pointer without its leading '/', into its first
// reference token (still escaped) and the rest, which starts with '/' or
// is "".
func CutToken(p string) (tok, rest string) {
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[:i], p[i:]
	}
	return p, ""
}

// UnescapeToken undoes the RFC 6901 escaping of one reference token.
func UnescapeToken(tok string) string {
	if strings.IndexByte(tok, '~') < 0 {
		return tok
	}
	return strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
}

// compareTokens puts array indexes first, in numeric order, then names
// in byte order: a consistent total order.
func compareTokens(a, b string) int {
	ia, ib := isIndex(a), isIndex(b)
	switch {
	case ia && ib && len(a) != len(b):
		return len(a) - len(b)
	case ia && !ib:
		return -1
	case !ia && ib:
		return 1
	}
	return strings.Compare(a, b)
}

// isIndex reports whether tok is an array index in canonical form.
func isIndex(tok string) bool {
	if tok == "" || len(tok) > 1 && tok[0] == '0' {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < '0' || tok[i] > '9' {
			return false
		}
	}
	return true
}
