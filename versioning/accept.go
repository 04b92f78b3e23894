package versioning

import (
	"strings"

	"github.com/restwell/restwell/internal/httpsyntax"
)

// mediaRange is one element of an Accept header, as far as versioning
// cares.
type mediaRange struct {
	// json reports whether a JSON response matches the range: */*,
	// application/*, application/json or application/<name>+json.
	json bool
	// q is the weight in thousandths, 0 to 1000.
	q int
	// named reports whether the range names a version, with a vendor
	// media type or a version parameter; name is that version, "" when
	// it cannot be read (a quoted string with escapes).
	named bool
	name  string
}

// acceptIter walks the elements of one or more Accept field values
// without allocating. Malformed elements are skipped, as if absent.
type acceptIter struct {
	vals []string
	cur  string
	// valid counts the well-formed elements seen so far.
	valid int
}

func (it *acceptIter) next(v *Versioner) (mediaRange, bool) {
	for {
		for it.cur == "" {
			if len(it.vals) == 0 {
				return mediaRange{}, false
			}
			it.cur, it.vals = it.vals[0], it.vals[1:]
		}
		mr, rest, ok := v.parseRange(it.cur)
		it.cur = rest
		if ok {
			it.valid++
			return mr, true
		}
	}
}

// parseRange parses the element at the start of s and returns it with the
// rest of s after its comma. ok is false for an empty or malformed
// element, which is skipped up to the next comma outside a quoted string.
func (v *Versioner) parseRange(s string) (mr mediaRange, rest string, ok bool) {
	s = trimOWSLeft(s)
	if s != "" && s[0] == ',' {
		return mr, s[1:], false
	}
	typ, s := token(s)
	if typ == "" || s == "" || s[0] != '/' {
		return mr, skipElement(s), false
	}
	sub, s := token(s[1:])
	if sub == "" || typ == "*" && sub != "*" {
		return mr, skipElement(s), false
	}
	mr.q = 1000
	var param, vendor string
	hasParam, hasVendor := false, false
	if strings.EqualFold(typ, "application") {
		mr.json = sub == "*" || httpsyntax.IsJSON(typ, sub)
		if mr.json && v.vendor != "" && len(sub) > len(v.vendor)+len("+json") &&
			strings.EqualFold(sub[:len(v.vendor)], v.vendor) && hasSuffixFold(sub, "+json") {
			vendor, hasVendor = v.vendorVersion(sub[len(v.vendor) : len(sub)-len("+json")])
		}
	} else {
		mr.json = typ == "*"
	}
	inExt := false // after q, parameters are accept-ext and ignored
	for {
		s = trimOWSLeft(s)
		if s == "" {
			break
		}
		if s[0] == ',' {
			s = s[1:]
			break
		}
		if s[0] != ';' {
			return mediaRange{}, skipElement(s), false
		}
		s = trimOWSLeft(s[1:])
		if s == "" || s[0] == ';' || s[0] == ',' {
			continue // an empty parameter is allowed
		}
		var name, val string
		var escaped bool
		name, s = token(s)
		if name == "" || s == "" || s[0] != '=' {
			return mediaRange{}, skipElement(s), false
		}
		s = s[1:]
		if s != "" && s[0] == '"' {
			var good bool
			val, escaped, s, good = quotedString(s)
			if !good {
				return mediaRange{}, skipElement(s), false
			}
		} else {
			val, s = token(s)
			if val == "" {
				return mediaRange{}, skipElement(s), false
			}
		}
		switch {
		case inExt:
		case strings.EqualFold(name, "q"):
			q, good := parseQ(val)
			if !good || escaped {
				return mediaRange{}, skipElement(s), false
			}
			mr.q, inExt = q, true
		case strings.EqualFold(name, v.param):
			param, hasParam = val, true
			if escaped {
				param = ""
			}
		}
	}
	switch {
	case hasVendor && hasParam && vendor != param:
		return mediaRange{}, s, false // contradicts itself
	case hasVendor:
		mr.named, mr.name = true, vendor
	case hasParam && mr.json:
		mr.named, mr.name = true, param
	}
	return mr, s, true
}

// vendorVersion reads the version from the part of a vendor subtype
// between the vendor prefix and "+json": ".v2" or ".2025-06-01". ok is
// false when the part is empty or does not look like a version (it may
// name a resource type: application/vnd.acme.item+json).
func (v *Versioner) vendorVersion(seg string) (name string, ok bool) {
	if seg == "" {
		return "", false
	}
	if seg[0] != '.' {
		return "", false
	}
	seg = seg[1:]
	if v.lookup(seg) != nil {
		return seg, true
	}
	if seg != "" && (seg[0] == 'v' || seg[0] == 'V') {
		if v.lookup(seg[1:]) != nil || v.looksLikeVersion(seg[1:]) {
			return seg[1:], true
		}
	}
	if v.looksLikeVersion(seg) {
		return seg, true
	}
	return "", false
}

// token returns the RFC 9110 token at the start of s and the rest.
func token(s string) (string, string) {
	i := 0
	for i < len(s) && httpsyntax.IsTChar(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

// quotedString reads the quoted-string at the start of s (which begins
// with '"'). val is its content still escaped; escaped reports whether it
// had escapes.
func quotedString(s string) (val string, escaped bool, rest string, ok bool) {
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return s[1:i], escaped, s[i+1:], true
		case c == '\\':
			if i+1 >= len(s) || !isQDText(s[i+1]) && s[i+1] != '"' && s[i+1] != '\\' {
				return "", false, s[i:], false
			}
			escaped = true
			i++
		case !isQDText(c):
			return "", false, s[i:], false
		}
	}
	return "", false, "", false
}

// skipElement returns s after the next comma outside a quoted string.
func skipElement(s string) string {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',':
			return s[i+1:]
		case '"':
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		}
	}
	return ""
}

// parseQ parses an RFC 9110 qvalue into thousandths.
func parseQ(s string) (int, bool) {
	if s == "" || len(s) > 5 || s[0] != '0' && s[0] != '1' {
		return 0, false
	}
	q := int(s[0]-'0') * 1000
	if len(s) == 1 {
		return q, true
	}
	if s[1] != '.' {
		return 0, false
	}
	scale := 100
	for i := 2; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		q += int(s[i]-'0') * scale
		scale /= 10
	}
	if q > 1000 {
		return 0, false
	}
	return q, true
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// isQDText reports whether c may appear unescaped in a quoted-string.
func isQDText(c byte) bool {
	return c == '\t' || c == ' ' || c == 0x21 || c >= 0x23 && c <= 0x5b || c >= 0x5d && c <= 0x7e || c >= 0x80
}

// acceptOutcome is what the Accept header says about the version.
type acceptOutcome uint8

const (
	// acceptNone: no Accept header, or it names no version while a JSON
	// response is acceptable. Negotiation goes on to the next source.
	acceptNone acceptOutcome = iota
	// acceptVersion: the best supported version the header names.
	acceptVersion
	// acceptUnsupported: the header names versions, none supported.
	acceptUnsupported
	// acceptUnacceptable: no JSON response is acceptable at all.
	acceptUnacceptable
)

// fromAccept negotiates a version from the Accept field values: among the
// ranges with q > 0 that a JSON response matches and that name a
// supported version, the one with the highest q wins (the first listed on
// a tie). requested is the first unsupported version named, for the
// error message.
func (v *Versioner) fromAccept(vals []string) (out acceptOutcome, ver *version, requested string) {
	it := acceptIter{vals: vals}
	bestQ := 0
	unversioned, unknown := false, false
	for {
		mr, ok := it.next(v)
		if !ok {
			break
		}
		if !mr.json || mr.q == 0 {
			continue
		}
		if !mr.named {
			unversioned = true
			continue
		}
		if w := v.lookup(mr.name); w != nil {
			if mr.q > bestQ {
				ver, bestQ = w, mr.q
			}
			continue
		}
		if !unknown {
			unknown, requested = true, mr.name
		}
	}
	switch {
	case ver != nil:
		return acceptVersion, ver, ""
	case unknown:
		return acceptUnsupported, nil, requested
	case unversioned || it.valid == 0:
		return acceptNone, nil, ""
	}
	return acceptUnacceptable, nil, ""
}

// acceptable reports whether the Accept field values allow a JSON response
// of version ver: a range naming ver decides by its q (the more specific
// range wins); otherwise any JSON range with q > 0 that names no version
// will do. No valid Accept element at all means anything is acceptable.
func (v *Versioner) acceptable(vals []string, ver *version) bool {
	it := acceptIter{vals: vals}
	named, namedOK, other := false, false, false
	for {
		mr, ok := it.next(v)
		if !ok {
			break
		}
		if !mr.json {
			continue
		}
		switch {
		case mr.named && mr.name == ver.Name:
			named = true
			namedOK = namedOK || mr.q > 0
		case !mr.named && mr.q > 0:
			other = true
		}
	}
	if it.valid == 0 {
		return true
	}
	if named {
		return namedOK
	}
	return other
}
