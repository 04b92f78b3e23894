// Package httpsyntax holds the small pieces of HTTP field syntax (RFC 9110
// §5.6) that several packages parse: optional whitespace and tokens.
package httpsyntax

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
