package ratelimit

import (
	"net/netip"
	"strings"

	"github.com/restwell/restwell/internal/httpsyntax"
)

// hops walks the hops a proxy header lists, from the right: the last
// field line first, and in each line the last element first. It never
// looks further left than it is asked to, so whatever a client put at the
// left of a header cannot affect the hops that trusted proxies appended
// on its right, even when it is malformed.
//
// For X-Forwarded-For an element is the address itself. For Forwarded
// (RFC 7239) it is the value of the element's "for" parameter, unquoted;
// an element without one, or with a value it cannot unquote, yields "".
type hops struct {
	lines     []string
	s         string // what is left of the current line
	forwarded bool
}

func (h *hops) next() (string, bool) {
	for {
		if h.s == "" {
			if len(h.lines) == 0 {
				return "", false
			}
			h.s = h.lines[len(h.lines)-1]
			h.lines = h.lines[:len(h.lines)-1]
			continue
		}
		var elem string
		if h.forwarded {
			elem, h.s = lastElement(h.s)
		} else {
			i := strings.LastIndexByte(h.s, ',')
			elem = h.s[i+1:]
			h.s = h.s[:max(i, 0)]
		}
		elem = httpsyntax.TrimOWS(elem)
		if elem == "" {
			continue // empty list elements are allowed and ignored
		}
		if h.forwarded {
			v, _ := forwardedFor(elem)
			return v, true
		}
		return elem, true
	}
}

// lastElement splits s at its last comma outside a quoted string.
func lastElement(s string) (elem, rest string) {
	quoted := false
	for i := len(s) - 1; i >= 0; i-- {
		switch s[i] {
		case '"':
			if !escaped(s, i) {
				quoted = !quoted
			}
		case ',':
			if !quoted {
				return s[i+1:], s[:i]
			}
		}
	}
	return s, ""
}

// escaped reports whether s[i] is preceded by an odd number of
// backslashes.
func escaped(s string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

// forwardedFor returns the value of the "for" parameter of one Forwarded
// element (RFC 7239 §4): pairs token=value separated by ";", a value a
// token or a quoted string. It reports false for a malformed element, an
// element without "for" or with "for" twice, and a quoted value with
// escapes (no node name needs them).
func forwardedFor(elem string) (string, bool) {
	var val string
	found := false
	for elem != "" {
		eq := strings.IndexByte(elem, '=')
		if eq <= 0 {
			return "", false
		}
		name := httpsyntax.TrimOWS(elem[:eq])
		if !httpsyntax.IsToken(name) {
			return "", false
		}
		rest := elem[eq+1:]
		var v string
		ok := true
		if rest != "" && rest[0] == '"' {
			j := 1
			for j < len(rest) && rest[j] != '"' {
				if rest[j] == '\\' {
					ok = false
					j++
				}
				j++
			}
			if j >= len(rest) {
				return "", false
			}
			v, rest = rest[1:j], rest[j+1:]
		} else {
			j := 0
			for j < len(rest) && httpsyntax.IsTChar(rest[j]) {
				j++
			}
			if j == 0 {
				return "", false
			}
			v, rest = rest[:j], rest[j:]
		}
		if strings.EqualFold(name, "for") {
			if found {
				return "", false
			}
			found, val = true, v
			if !ok {
				val = ""
			}
		}
		rest = httpsyntax.TrimOWS(rest)
		if rest == "" {
			break
		}
		if rest[0] != ';' {
			return "", false
		}
		elem = httpsyntax.TrimOWS(rest[1:])
	}
	return val, found && val != ""
}

// parseNode parses one hop: an address as X-Forwarded-For or a Forwarded
// node name carries it, with an optional port: 192.0.2.1, 192.0.2.1:80,
// 2001:db8::1, [2001:db8::1], [2001:db8::1]:80. It returns the address and
// the text it was parsed from, without brackets or port.
func parseNode(s string) (netip.Addr, string, bool) {
	if s == "" {
		return netip.Addr{}, "", false
	}
	if s[0] == '[' {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return netip.Addr{}, "", false
		}
		text := s[1:end]
		if rest := s[end+1:]; rest != "" && (rest[0] != ':' || !validPort(rest[1:])) {
			return netip.Addr{}, "", false
		}
		a, err := netip.ParseAddr(text)
		if err != nil || !a.Is6() {
			return netip.Addr{}, "", false
		}
		return a, text, true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a, s, true
	}
	i := strings.IndexByte(s, ':')
	if i <= 0 || strings.IndexByte(s[i+1:], ':') >= 0 || !validPort(s[i+1:]) {
		return netip.Addr{}, "", false
	}
	a, err := netip.ParseAddr(s[:i])
	if err != nil || !a.Is4() {
		return netip.Addr{}, "", false
	}
	return a, s[:i], true
}

// validPort accepts a decimal port or an RFC 7239 obfuscated port.
func validPort(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '_' {
		for i := 1; i < len(s); i++ {
			c := s[i]
			if !(isAlnum(c) || c == '.' || c == '_' || c == '-') {
				return false
			}
		}
		return len(s) > 1
	}
	if len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
