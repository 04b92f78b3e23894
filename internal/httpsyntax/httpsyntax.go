// Package httpsyntax holds the small pieces of HTTP field syntax (RFC 9110
// §5.6) that several packages parse: optional whitespace, tokens and
// media types.
package httpsyntax

import "strings"

// TrimOWS removes optional whitespace (spaces and horizontal tabs) from
// both ends of s.
func TrimOWS(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for s != "" && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// IsTChar reports whether c is a tchar: a character allowed in a token.
func IsTChar(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// IsToken reports whether s is a non-empty token, such as a field name or
// a media type's type and subtype.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !IsTChar(s[i]) {
			return false
		}
	}
	return true
}

// MediaType returns the media type of a Content-Type value (RFC 9110
// §8.3.1): what comes before the first ';', without optional whitespace
// around it, in the case it was sent.
func MediaType(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	return TrimOWS(v)
}

// SplitMediaType splits the media type of a Content-Type value into its
// type and subtype. ok is false unless both are tokens.
func SplitMediaType(v string) (typ, sub string, ok bool) {
	typ, sub, ok = strings.Cut(MediaType(v), "/")
	if !ok || !IsToken(typ) || !IsToken(sub) {
		return "", "", false
	}
	return typ, sub, true
}

// IsJSON reports whether the media type typ/sub is JSON: application/json,
// or any type whose subtype has the +json structured syntax suffix (RFC
// 6839 §3.1) after a non-empty name, such as application/problem+json.
// Case is ignored, as media types are case-insensitive.
func IsJSON(typ, sub string) bool {
	const suffix = "+json"
	if strings.EqualFold(sub, "json") {
		return strings.EqualFold(typ, "application")
	}
	return len(sub) > len(suffix) && strings.EqualFold(sub[len(sub)-len(suffix):], suffix)
}
