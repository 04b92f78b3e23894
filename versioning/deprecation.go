package versioning

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/restwell/restwell/internal/httpsyntax"
	"github.com/restwell/restwell/internal/sfv"
)

// deprecation holds the header values of a deprecated version or route,
// formatted once by New or Deprecate.
type deprecation struct {
	at, sunset time.Time
	atVal      string   // Deprecation: "@<unix seconds>", "" when at is zero
	sunsetVal  string   // Sunset: IMF-fixdate, "" when sunset is zero
	links      []string // rel="deprecation" and rel="sunset" links
}

func newDeprecation(at, sunset time.Time, doc, policy string) (*deprecation, error) {
	if at.IsZero() && sunset.IsZero() {
		return nil, nil
	}
	if !at.IsZero() && !sunset.IsZero() && sunset.Before(at) {
		return nil, errors.New("sunset " + imfDate(sunset) + " is earlier than the deprecation " + imfDate(at))
	}
	d := &deprecation{at: at, sunset: sunset}
	if !at.IsZero() {
		d.atVal = string(sfv.AppendDate(nil, at.Unix()))
	}
	if !sunset.IsZero() {
		d.sunsetVal = imfDate(sunset)
	}
	if doc != "" {
		if !validURIRef(doc) {
			return nil, errors.New("invalid documentation URL " + quote(doc))
		}
		d.links = append(d.links, string(appendLink(nil, doc, "deprecation", "text/html")))
	}
	if policy != "" {
		if !validURIRef(policy) {
			return nil, errors.New("invalid sunset policy URL " + quote(policy))
		}
		d.links = append(d.links, string(appendLink(nil, policy, "sunset", "text/html")))
	}
	return d, nil
}

// retired reports whether the sunset time has passed at now.
func (d *deprecation) retired(now time.Time) bool {
	return d != nil && !d.sunset.IsZero() && !now.Before(d.sunset)
}

// apply sets the Deprecation and Sunset fields and appends the links,
// successor being a formatted rel="successor-version" link or "". When a
// Deprecation or Sunset field is already there (a deprecated route inside
// a deprecated version), the earlier time wins. Existing Link values are
// kept and a link already present is not repeated.
func (d *deprecation) apply(h http.Header, successor string) {
	if d.atVal != "" && !earlierDeprecation(h["Deprecation"], d.at) {
		h["Deprecation"] = []string{d.atVal}
	}
	if d.sunsetVal != "" && !earlierSunset(h["Sunset"], d.sunset) {
		h["Sunset"] = []string{d.sunsetVal}
	}
	for _, l := range d.links {
		addLink(h, l)
	}
	if successor != "" {
		addLink(h, successor)
	}
}

// earlierDeprecation reports whether vals is one valid Deprecation value no
// later than t.
func earlierDeprecation(vals []string, t time.Time) bool {
	if len(vals) != 1 {
		return false
	}
	it, err := sfv.ParseItem(vals[0])
	if err != nil {
		return false
	}
	at, ok := it.Value.(sfv.Date)
	return ok && int64(at) <= t.Unix()
}

// earlierSunset reports whether vals is one valid Sunset value no later
// than t.
func earlierSunset(vals []string, t time.Time) bool {
	if len(vals) != 1 {
		return false
	}
	at, err := http.ParseTime(vals[0])
	return err == nil && !at.After(t)
}

// addLink appends link to the Link field unless a value already holds it.
func addLink(h http.Header, link string) {
	vals := h["Link"]
	for _, v := range vals {
		if containsLink(v, link) {
			return
		}
	}
	h["Link"] = append(vals[:len(vals):len(vals)], link) // copy: vals may be shared
}

// containsLink reports whether the field value v holds link as one of its
// comma-separated elements.
func containsLink(v, link string) bool {
	for i := 0; i+len(link) <= len(v); i++ {
		if v[i:i+len(link)] != link {
			continue
		}
		if before := trimOWSRight(v[:i]); before != "" && before[len(before)-1] != ',' {
			continue
		}
		if after := httpsyntax.TrimOWS(v[i+len(link):]); after != "" && after[0] != ',' {
			continue
		}
		return true
	}
	return false
}

// appendLink appends one RFC 8288 link-value. uri must be a valid URI
// reference (validURIRef or escapeURIRef).
func appendLink(b []byte, uri, rel, typ string) []byte {
	b = append(b, '<')
	b = append(b, uri...)
	b = append(b, `>; rel="`...)
	b = append(b, rel...)
	b = append(b, '"')
	if typ != "" {
		b = append(b, `; type="`...)
		b = append(b, typ...)
		b = append(b, '"')
	}
	return b
}

const maxURILen = 2048

// validURIRef reports whether s is a URI reference (RFC 3986) that can go
// between < and > in a Link header as it is.
func validURIRef(s string) bool {
	if s == "" || len(s) > maxURILen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			continue
		}
		if !isURIChar(c) {
			return false
		}
	}
	_, err := url.Parse(s)
	return err == nil
}

// appendEscapedURI appends s with every byte a URI may not contain
// percent-encoded, so a path or query taken from a request is safe in a
// Link header.
func appendEscapedURI(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) || c != '%' && isURIChar(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return b
}

// isURIChar reports whether c is an RFC 3986 unreserved or reserved
// character.
func isURIChar(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) {
		return true
	}
	switch c {
	case '-', '.', '_', '~', ':', '/', '?', '#', '[', ']', '@', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=':
		return true
	}
	return false
}

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// quote returns s quoted for an error message, clipped.
func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return `"` + s + `"`
}

func trimOWSLeft(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}

func trimOWSRight(s string) string {
	for s != "" && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
