package versioning

import (
	"net/http"
	"time"
)

// Version is one version of the API in the registry given to New.
type Version struct {
	// Name identifies the version in paths, headers and media types: a
	// number such as "1" or "2.1", a date such as "2025-06-01", or another
	// name of 1 to 64 letters, digits, '.', '-' or '_'. Required and unique.
	Name string
	// Deprecated is when the version was, or will be, deprecated. Its
	// responses then carry the Deprecation header (RFC 9745), even before
	// that time, so clients learn of it early. Zero means not deprecated.
	Deprecated time.Time
	// Sunset is when the version stops being served: its responses carry
	// the Sunset header (RFC 8594), and after that time Config.AfterSunset
	// decides whether it is still served. It must not be earlier than
	// Deprecated. Zero means no date is set.
	Sunset time.Time
	// Successor names the version that replaces this one. It is named in
	// 410 responses and, when the version came from the path, linked with
	// rel="successor-version". Empty means none.
	Successor string
	// Doc is the URL of a page about the deprecation, linked with
	// rel="deprecation" and type="text/html". Empty means no link.
	Doc string
	// SunsetPolicy is the URL of the sunset policy, linked with
	// rel="sunset". Empty means no link.
	SunsetPolicy string
}

// Source says where the version of a request came from.
type Source uint8

const (
	// SourceDefault means the request named no version: the default one
	// was used.
	SourceDefault Source = iota
	// SourcePath is a version segment in the URL path, such as /v2/items.
	SourcePath
	// SourceHeader is the version header, Api-Version unless configured.
	SourceHeader
	// SourceMediaType is the Accept header: a vendor media type such as
	// application/vnd.acme.v2+json or a version parameter as in
	// application/json; version=2.
	SourceMediaType
)

// String returns "default", "path", "header" or "media-type".
func (s Source) String() string {
	switch s {
	case SourceDefault:
		return "default"
	case SourcePath:
		return "path"
	case SourceHeader:
		return "header"
	case SourceMediaType:
		return "media-type"
	}
	return "unknown"
}

// PathMode says what happens to the version segment of a path that
// carries one, before the request reaches the next handler.
//
// StripPath and RewritePath change r.URL only; r.RequestURI keeps the
// target the client sent. Build links and Location values from it (or
// from FromContext), or they point at the path the handler sees: with
// RewritePath, at the newest version.
type PathMode uint8

const (
	// KeepPath leaves the path as it is: /api/v1/items stays so.
	KeepPath PathMode = iota
	// StripPath removes everything up to and including the version
	// segment, like http.StripPrefix: /api/v1/items becomes /items.
	StripPath
	// RewritePath replaces the version segment with the newest version, so
	// handlers registered for the newest paths serve every version (with
	// package convert converting the bodies): /api/v1/items becomes
	// /api/v3/items.
	RewritePath
)

// AfterSunset says how a version or route is served once its sunset time
// has passed.
type AfterSunset uint8

const (
	// KeepServing serves it as before, with its deprecation headers.
	KeepServing AfterSunset = iota
	// Gone answers 410 Gone, code "sunset", naming the successor.
	Gone
)

// version is a Version compiled by New.
type version struct {
	Version
	index     int
	shape     shape
	dep       *deprecation // nil when neither Deprecated nor Sunset is set
	successor *version
	// plain versions need no deprecation headers.
	plain bool
	// owner is the Versioner the version is registered with; nil for one
	// made by NewContext.
	owner *Versioner
}

// shape classifies version names, so a path segment or vendor media type
// is only taken for a version when it looks like the registered ones.
type shape uint8

const (
	shapeOther   shape = iota
	shapeNumeric       // 1, 2.1
	shapeDate          // 2025-06-01
)

func shapeOf(s string) shape {
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		for i := 0; i < len(s); i++ {
			if i != 4 && i != 7 && !isDigit(s[i]) {
				return shapeOther
			}
		}
		return shapeDate
	}
	if s == "" {
		return shapeOther
	}
	digit := false
	for i := 0; i < len(s); i++ {
		switch {
		case isDigit(s[i]):
			digit = true
		case s[i] == '.' && digit:
			digit = false
		default:
			return shapeOther
		}
	}
	if !digit {
		return shapeOther
	}
	return shapeNumeric
}

// validName reports whether s can name a version: it must be safe in a
// path segment, a header value and a media type without escaping.
func validName(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

const maxNameLen = 64

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// imfDate formats t as an IMF-fixdate, always in UTC.
func imfDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }
