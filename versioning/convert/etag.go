package convert

import (
	"net/http"
	"strings"
)

// A response converted for an older version is another representation of
// the resource, so its strong ETag must differ from the newest version's
// (RFC 9110 §8.8.3). The middleware therefore marks every entity tag it
// sends to a client of a converted version with a suffix naming the
// version, "abc" becoming "abc-v1", and takes the suffix off the tags such
// a client sends back in If-Match, If-None-Match and If-Range, so that
// handlers and the etag package compare the tags they issued. A tag
// without the suffix names another version's representation and is given
// to the handler with the newest version's suffix, so it matches nothing.
// Conditional requests thus work in every version, with strong comparison
// intact.

// tagSuffix returns the suffix marking tags of version name.
func tagSuffix(name string) string { return "-v" + name }

// encodingSuffixes are the content-coding suffixes a compression
// middleware may append after the version suffix.
var encodingSuffixes = [...]string{"-gzip", "-br", "-zstd"}

// markETag adds the version suffix inside the ETag of h, strong or weak.
func markETag(h http.Header, name string) {
	vals := h["Etag"]
	if len(vals) != 1 {
		return
	}
	t := vals[0]
	if len(t) < 2 || t[len(t)-1] != '"' {
		return
	}
	open := strings.IndexByte(t, '"')
	if open < 0 || open == len(t)-1 {
		return
	}
	h["Etag"] = []string{t[:len(t)-1] + tagSuffix(name) + `"`}
}

// unmarkConditions translates the entity tags of the conditional request
// headers of r, the middleware's own copy of a request of version name,
// into the handler's terms: a tag with the version's suffix loses it, and
// a tag without it (one of the newest version's representation, say) gets
// the newest version's suffix, so that it never matches a tag the handler
// issues. It clones the header map before changing it.
func unmarkConditions(r *http.Request, name, newest string) {
	cloned := false
	for _, k := range [...]string{"If-Match", "If-None-Match", "If-Range"} {
		vals := r.Header[k]
		for i, v := range vals {
			nv, changed := translateList(v, tagSuffix(name), tagSuffix(newest))
			if !changed {
				continue
			}
			if !cloned {
				r.Header = r.Header.Clone()
				cloned = true
				vals = r.Header[k]
			}
			vals[i] = nv
		}
	}
}

// translateList rewrites every quoted tag in the comma-separated list s:
// own, the suffix of the request's version, is removed from the tags that
// end with it (before any content-coding suffix); foreign is added to the
// others. Anything that is not a quoted tag, such as "*" or a date, is
// kept as it is.
func translateList(s, own, foreign string) (string, bool) {
	if strings.IndexByte(s, '"') < 0 {
		return s, false
	}
	b := make([]byte, 0, len(s)+len(foreign)*2)
	for i := 0; i < len(s); {
		q := strings.IndexByte(s[i:], '"')
		if q < 0 {
			b = append(b, s[i:]...)
			break
		}
		q += i
		end := strings.IndexByte(s[q+1:], '"')
		if end < 0 {
			b = append(b, s[i:]...)
			break
		}
		end += q + 1
		b = append(b, s[i:q+1]...)
		opaque := s[q+1 : end]
		enc := ""
		for _, e := range encodingSuffixes {
			if strings.HasSuffix(opaque, e) {
				opaque, enc = opaque[:len(opaque)-len(e)], e
				break
			}
		}
		if strings.HasSuffix(opaque, own) && len(opaque) > len(own) {
			b = append(b, opaque[:len(opaque)-len(own)]...)
		} else {
			b = append(b, opaque...)
			b = append(b, foreign...)
		}
		b = append(b, enc...)
		b = append(b, '"')
		i = end + 1
	}
	return string(b), true
}
