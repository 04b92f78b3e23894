package client

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/restwell/restwell/internal/httpsyntax"
	"github.com/restwell/restwell/internal/sfv"
)

// maxAnnounced bounds a wait read from a header, so that arithmetic on it
// cannot overflow a time.Duration. Anything longer is longer than any
// sensible MaxWait.
const maxAnnounced = 100 * 365 * 24 * time.Hour

// ParseRetryAfter reads a Retry-After field value (RFC 9110 §10.2.3):
// delta-seconds or an HTTP-date, taken relative to now. A date in the past
// is a wait of zero. ok is false for anything else.
func ParseRetryAfter(v string, now time.Time) (wait time.Duration, ok bool) {
	v = httpsyntax.TrimOWS(v)
	if v == "" {
		return 0, false
	}
	if isDigits(v) {
		return secondsDuration(v), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d < 0 {
		d = 0
	}
	return min(d, maxAnnounced), true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// secondsDuration converts decimal digits to seconds, saturating at
// maxAnnounced.
func secondsDuration(s string) time.Duration {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > int64(maxAnnounced/time.Second) {
		return maxAnnounced
	}
	return time.Duration(n) * time.Second
}

// Quota is one item of a RateLimit field (draft-ietf-httpapi-ratelimit-headers):
// the policy it reports, the units left and when more arrive.
type Quota struct {
	// Policy names the policy ("default"); "" when the item has no name.
	Policy string
	// Remaining is the r parameter, the units left; -1 when absent.
	Remaining int64
	// Reset is the t parameter, the time until the quota grows again;
	// -1 when absent.
	Reset time.Duration
}

// Policy is one item of a RateLimit-Policy field: Quota units per Window.
type Policy struct {
	// Name names the policy ("default").
	Name string
	// Quota is the q parameter: the units the window allows.
	Quota int64
	// Window is the w parameter; zero when absent.
	Window time.Duration
}

// ParseRateLimit reads the lines of a RateLimit field, such as
//
//	"default";r=50;t=30, "orders";r=0;t=6
//
// An item whose r or t is not a non-negative integer, or a field that is
// not a valid Structured Field list, is ignored as the draft requires.
func ParseRateLimit(lines []string) []Quota {
	members := parseListLines(lines)
	out := make([]Quota, 0, len(members))
	for _, m := range members {
		if m.Inner != nil {
			continue
		}
		q := Quota{Policy: itemName(m.Item), Remaining: -1, Reset: -1}
		if v, ok := m.Param("r"); ok {
			n, ok := v.(int64)
			if !ok || n < 0 {
				continue
			}
			q.Remaining = n
		}
		if v, ok := m.Param("t"); ok {
			n, ok := v.(int64)
			if !ok || n < 0 {
				continue
			}
			q.Reset = min(time.Duration(n), maxAnnounced/time.Second) * time.Second
		}
		out = append(out, q)
	}
	return out
}

// ParseRateLimitPolicy reads the lines of a RateLimit-Policy field, such as
//
//	"burst";q=100;w=60, "daily";q=1000;w=86400
//
// Items without a positive integer q are ignored.
func ParseRateLimitPolicy(lines []string) []Policy {
	members := parseListLines(lines)
	out := make([]Policy, 0, len(members))
	for _, m := range members {
		if m.Inner != nil {
			continue
		}
		v, ok := m.Param("q")
		q, isInt := v.(int64)
		if !ok || !isInt || q <= 0 {
			continue
		}
		p := Policy{Name: itemName(m.Item), Quota: q}
		if v, ok := m.Param("w"); ok {
			if w, ok := v.(int64); ok && w > 0 {
				p.Window = min(time.Duration(w), maxAnnounced/time.Second) * time.Second
			}
		}
		out = append(out, p)
	}
	return out
}

func itemName(it sfv.Item) string {
	switch v := it.Value.(type) {
	case string:
		return v
	case sfv.Token:
		return string(v)
	}
	return ""
}

func parseListLines(lines []string) []sfv.Member {
	if len(lines) == 0 {
		return nil
	}
	v := lines[0]
	if len(lines) > 1 {
		v = strings.Join(lines, ", ")
	}
	m, err := sfv.ParseList(v)
	if err != nil {
		return nil
	}
	return m
}

// Link is one link of a Link field (RFC 8288).
type Link struct {
	// URL is the target, resolved against the URL of the response.
	URL *url.URL
	// Rel lists the relation types, lower-cased ("next", "deprecation").
	Rel []string
	// Type is the type parameter, or "".
	Type string
}

// HasRel reports whether l has the relation type rel (case-insensitive).
func (l Link) HasRel(rel string) bool {
	for _, r := range l.Rel {
		if strings.EqualFold(r, rel) {
			return true
		}
	}
	return false
}

// ParseLinks reads the lines of a Link field, resolving each target
// against base (which may be nil). Malformed link-values are skipped; the
// ones before and after them are kept. A link with more than one rel
// parameter keeps the first, as RFC 8288 §3.3 requires.
func ParseLinks(lines []string, base *url.URL) []Link {
	var out []Link
	for _, line := range lines {
		s := line
		for {
			s = strings.TrimLeft(s, " \t,")
			if s == "" {
				break
			}
			var l Link
			var ok bool
			l, s, ok = parseLink(s, base)
			if ok {
				out = append(out, l)
			} else {
				s = skipLinkValue(s)
			}
		}
	}
	return out
}

// parseLink parses one link-value at the start of s and returns the rest,
// positioned at the comma after it (or the end).
func parseLink(s string, base *url.URL) (Link, string, bool) {
	var l Link
	if s == "" || s[0] != '<' {
		return l, s, false
	}
	end := strings.IndexByte(s, '>')
	if end < 0 {
		return l, "", false
	}
	target := s[1:end]
	u, err := url.Parse(target)
	if err != nil {
		return l, s[end+1:], false
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	l.URL = u
	s = s[end+1:]
	relSeen := false
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" || s[0] == ',' {
			return l, s, true
		}
		if s[0] != ';' {
			return l, s, false
		}
		s = strings.TrimLeft(s[1:], " \t")
		i := 0
		for i < len(s) && httpsyntax.IsTChar(s[i]) {
			i++
		}
		if i == 0 {
			return l, s, false
		}
		name := strings.ToLower(s[:i])
		s = strings.TrimLeft(s[i:], " \t")
		var val string
		if s != "" && s[0] == '=' {
			s = strings.TrimLeft(s[1:], " \t")
			var ok bool
			if val, s, ok = paramValue(s); !ok {
				return l, s, false
			}
		}
		switch name {
		case "rel":
			if !relSeen {
				relSeen = true
				for _, r := range strings.Fields(val) {
					l.Rel = append(l.Rel, strings.ToLower(r))
				}
			}
		case "type":
			if l.Type == "" {
				l.Type = val
			}
		}
	}
}

// paramValue reads a token or a quoted-string.
func paramValue(s string) (string, string, bool) {
	if s != "" && s[0] == '"' {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			switch c := s[i]; c {
			case '\\':
				if i+1 == len(s) {
					return "", "", false
				}
				i++
				b.WriteByte(s[i])
			case '"':
				return b.String(), s[i+1:], true
			default:
				b.WriteByte(c)
			}
		}
		return "", "", false
	}
	i := 0
	for i < len(s) && httpsyntax.IsTChar(s[i]) {
		i++
	}
	return s[:i], s[i:], true
}

// skipLinkValue skips to the comma that ends a malformed link-value,
// stepping over quoted strings and <...> targets.
func skipLinkValue(s string) string {
	inQuote, inTarget := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case inQuote:
			inQuote = c != '"'
		case inTarget:
			inTarget = c != '>'
		case c == '"':
			inQuote = true
		case c == '<':
			inTarget = true
		case c == ',':
			return s[i:]
		}
	}
	return ""
}

// ParseDeprecation reads a Deprecation field (RFC 9745): a Structured
// Field date, "@1688169599".
func ParseDeprecation(v string) (time.Time, bool) {
	it, err := sfv.ParseItem(v)
	if err != nil {
		return time.Time{}, false
	}
	d, ok := it.Value.(sfv.Date)
	if !ok || int64(d) > math.MaxInt64/2 || int64(d) < -math.MaxInt64/2 {
		return time.Time{}, false
	}
	return time.Unix(int64(d), 0).UTC(), true
}
