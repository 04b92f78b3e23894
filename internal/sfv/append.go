package sfv

import (
	"strconv"
	"unicode/utf8"

	"github.com/restwell/restwell/internal/httpsyntax"
)

// ValidString reports whether s can be serialised as an sf-string: only
// visible ASCII and space.
func ValidString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// ValidKey reports whether s is a valid dictionary or parameter key.
func ValidKey(s string) bool {
	if s == "" || !(isLCAlpha(s[0]) || s[0] == '*') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isKeyChar(s[i]) {
			return false
		}
	}
	return true
}

// ValidToken reports whether s is a valid sf-token.
func ValidToken(s string) bool {
	if s == "" || !(isAlpha(s[0]) || s[0] == '*') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !(httpsyntax.IsTChar(s[i]) || s[i] == ':' || s[i] == '/') {
			return false
		}
	}
	return true
}

// AppendString appends s as an sf-string. The caller checks ValidString
// first; characters outside its range are dropped so the output is always
// syntactically valid.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c >= 0x20 && c <= 0x7e:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// MaxInteger is the largest sf-integer RFC 9651 allows (15 digits).
const MaxInteger = 999_999_999_999_999

// AppendInteger appends an sf-integer. Values outside the range RFC 9651
// allows (15 digits) are clamped to it.
func AppendInteger(b []byte, n int64) []byte {
	n = max(min(n, MaxInteger), -MaxInteger)
	return strconv.AppendInt(b, n, 10)
}

// AppendDate appends an sf-date, "@" and the seconds since the epoch.
func AppendDate(b []byte, unix int64) []byte {
	return AppendInteger(append(b, '@'), unix)
}

// AppendParam appends ";key=value" for an integer parameter.
func AppendParam(b []byte, key string, n int64) []byte {
	b = append(b, ';')
	b = append(b, key...)
	b = append(b, '=')
	return AppendInteger(b, n)
}

func validUTF8(b []byte) bool { return utf8.Valid(b) }
