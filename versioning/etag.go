package versioning

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
// handlers and the etag package compare the tags they issued. Conditional
// requests thus work in every version, with strong comparison intact.

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

// unmarkConditions removes the version suffix from the entity tags of the
// conditional request headers of r, the middleware's own copy of the
// request. It clones the header map before changing it.
func unmarkConditions(r *http.Request, name string) {
	cloned := false
	for _, k := range [...]string{"If-Match", "If-None-Match", "If-Range"} {
		vals := r.Header[k]
		for i, v := range vals {
			nv, changed := unmarkList(v, tagSuffix(name))
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

// unmarkList removes suffix from the end of every quoted tag in the
// comma-separated list s (keeping any content-coding suffix after it).
func unmarkList(s, suffix string) (string, bool) {
	if !strings.Contains(s, suffix) {
		return s, false
	}
	var b strings.Builder
	changed := false
	for i := 0; i < len(s); {
		q := strings.IndexByte(s[i:], '"')
		if q < 0 {
			b.WriteString(s[i:])
			break
		}
		q += i
		end := strings.IndexByte(s[q+1:], '"')
		if end < 0 {
			b.WriteString(s[i:])
			break
		}
		end += q + 1
		b.WriteString(s[i : q+1])
		opaque := s[q+1 : end]
		enc := ""
		for _, e := range encodingSuffixes {
			if strings.HasSuffix(opaque, e) {
				opaque, enc = opaque[:len(opaque)-len(e)], e
				break
			}
		}
		if strings.HasSuffix(opaque, suffix) && len(opaque) > len(suffix) {
			opaque = opaque[:len(opaque)-len(suffix)]
			changed = true
		} else {
			opaque += enc
			enc = ""
		}
		b.WriteString(opaque)
		b.WriteString(enc)
		b.WriteByte('"')
		i = end + 1
	}
	return b.String(), changed
}
