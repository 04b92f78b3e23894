package errors

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// checkUTF8 returns the 400 for a body that is not valid UTF-8 or that
// has a string escaping a lone UTF-16 surrogate, which encoding/json
// would otherwise decode as U+FFFD without a word. It reads body in
// place: one utf8.Valid pass, and a search for "\u" that costs next to
// nothing in the common body without escapes.
func checkUTF8(body []byte) *Error {
	if !utf8.Valid(body) {
		return malformed("the request body is not valid UTF-8: invalid byte sequence at byte offset "+
			strconv.Itoa(invalidUTF8At(body)), nil)
	}
	if i := loneSurrogate(body); i >= 0 {
		return malformed("the request body is not valid JSON text: the escape "+string(body[i:i+6])+
			" at byte offset "+strconv.Itoa(i)+" is a lone UTF-16 surrogate", nil)
	}
	return nil
}

// invalidUTF8At returns the offset of the first byte of b that does not
// start a valid UTF-8 sequence, or len(b).
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// loneSurrogate returns the offset of the first \uXXXX escape in b that
// names a UTF-16 surrogate without its pair: a high one (D800 to DBFF)
// not directly followed by an escaped low one (DC00 to DFFF), or a low
// one on its own. It returns -1 when there is none.
//
// In valid JSON a backslash occurs only in strings, where backslashes
// come in escape pairs, so a "\u" starts an escape exactly when an even
// number of backslashes precede it ("\\u" is an escaped backslash and a
// letter). On text that is not valid JSON the answer may be wrong, but
// such a body is refused as malformed either way.
func loneSurrogate(b []byte) int {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte(`\u`))
		if j < 0 {
			return -1
		}
		j += i
		i = j + 2
		k := j
		for k > 0 && b[k-1] == '\\' {
			k--
		}
		if (j-k)%2 == 1 {
			continue // the backslash is escaped
		}
		c, ok := hex4(b, j+2)
		if !ok {
			continue // not an escape the decoder accepts: a syntax error
		}
		switch {
		case c >= 0xDC00 && c <= 0xDFFF:
			return j
		case c >= 0xD800 && c <= 0xDBFF:
			if j+12 <= len(b) && b[j+6] == '\\' && b[j+7] == 'u' {
				if lo, ok := hex4(b, j+8); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					i = j + 12
					continue
				}
			}
			return j
		}
		i = j + 6
	}
}

// hex4 decodes the four hexadecimal digits of b at i.
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
