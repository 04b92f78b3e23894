package etag

import (
	"crypto/sha256"
	"encoding/base64"
)

// Entity tags are handled in their wire form, the exact text of an ETag
// header field: `"xyzzy"` (strong) or `W/"xyzzy"` (weak). The opaque part
// between the quotes may hold the bytes 0x21, 0x23-0x7E and 0x80-0xFF
// (RFC 9110 §8.8.3); the W/ prefix is case-sensitive.

// Strong returns the strong entity tag for opaque: Strong("v7") is `"v7"`.
// It panics if opaque holds a byte an entity tag cannot carry (a space, a
// double quote, a control character or DEL; see ValidOpaque): such a tag
// would be unreadable by every client, which is a programming error, not
// a runtime condition.
func Strong(opaque string) string {
	mustOpaque(opaque)
	return `"` + opaque + `"`
}

// Weak returns the weak entity tag for opaque: Weak("v7") is `W/"v7"`. It
// panics like Strong.
func Weak(opaque string) string {
	mustOpaque(opaque)
	return `W/"` + opaque + `"`
}

func mustOpaque(opaque string) {
	if !ValidOpaque(opaque) {
		panic("etag: opaque tag holds a byte an entity tag cannot carry")
	}
}

// ValidOpaque reports whether opaque may appear between the quotes of an
// entity tag: every byte is 0x21, 0x23-0x7E or 0x80-0xFF.
func ValidOpaque(opaque string) bool {
	for i := 0; i < len(opaque); i++ {
		if !etagc(opaque[i]) {
			return false
		}
	}
	return true
}

func etagc(c byte) bool { return c == 0x21 || c >= 0x23 && c != 0x7F }

// Valid reports whether tag is exactly one entity tag in wire form, with
// nothing around it.
func Valid(tag string) bool {
	_, _, ok := Parse(tag)
	return ok
}

// Parse splits the entity tag tag into its opaque part and whether it is
// weak. ok is false when tag is not exactly one valid entity tag.
func Parse(tag string) (opaque string, weak, ok bool) {
	if len(tag) >= 2 && tag[0] == 'W' && tag[1] == '/' {
		weak = true
		tag = tag[2:]
	}
	if len(tag) < 2 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		return "", false, false
	}
	opaque = tag[1 : len(tag)-1]
	if !ValidOpaque(opaque) {
		return "", false, false
	}
	return opaque, weak, true
}

// StrongMatch reports whether a and b match by strong comparison
// (RFC 9110 §8.8.3.2): both are valid, neither is weak, and their opaque
// parts are equal. If-Match and If-Range use it.
func StrongMatch(a, b string) bool {
	oa, wa, oka := Parse(a)
	ob, wb, okb := Parse(b)
	return oka && okb && !wa && !wb && oa == ob
}

// WeakMatch reports whether a and b match by weak comparison: both are
// valid and their opaque parts are equal, weak or not. If-None-Match uses
// it.
func WeakMatch(a, b string) bool {
	oa, _, oka := Parse(a)
	ob, _, okb := Parse(b)
	return oka && okb && oa == ob
}

// encodingSuffixes are what compression middleware commonly appends to the
// opaque part of a tag when it compresses a response (Apache mod_deflate
// and its followers): "abc" becomes "abc-gzip".
var encodingSuffixes = [...]string{"-gzip", "-br", "-zstd"}

// TrimEncoding returns the opaque part opaque without a "-gzip", "-br" or
// "-zstd" suffix a compression middleware may have added, or opaque itself
// when it has none.
func TrimEncoding(opaque string) string {
	for _, s := range encodingSuffixes {
		if len(opaque) >= len(s) && opaque[len(opaque)-len(s):] == s {
			return opaque[:len(opaque)-len(s)]
		}
	}
	return opaque
}

// Format is how an automatic tag's digest is written between the quotes.
type Format uint8

const (
	// Base64URL writes the 128-bit digest as 22 characters of unpadded
	// base64url (RFC 4648 §5), for example "R1ggRZuH3Fl4-pUt6Th0qg".
	Base64URL Format = iota
	// Hex writes it as 32 lowercase hexadecimal digits.
	Hex
)

// digestLen is the number of bytes of the SHA-256 digest a tag keeps: 128
// bits are plenty to tell versions of one resource apart.
const digestLen = 16

// maxTagLen is the longest automatic tag: W/ and quotes around 32 hex
// digits.
const maxTagLen = 2 + 2 + 2*digestLen

// Of returns the strong entity tag the middleware computes for a response
// body b with the default Format: the first 128 bits of SHA-256(b) in
// base64url, quoted. A handler can use it to tag a body it has in memory.
func Of(b []byte) string {
	sum := sha256.Sum256(b)
	var buf [maxTagLen]byte
	return string(appendTag(buf[:0], sum[:digestLen], Base64URL, false))
}

const hexDigits = "0123456789abcdef"

// appendTag appends the entity tag for digest d to dst.
func appendTag(dst, d []byte, f Format, weak bool) []byte {
	if weak {
		dst = append(dst, 'W', '/')
	}
	dst = append(dst, '"')
	if f == Hex {
		for _, c := range d {
			dst = append(dst, hexDigits[c>>4], hexDigits[c&0xF])
		}
	} else {
		dst = base64.RawURLEncoding.AppendEncode(dst, d)
	}
	return append(dst, '"')
}
