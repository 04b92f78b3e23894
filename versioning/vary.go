package versioning

import (
	"net/http"
	"strings"

	"github.com/restwell/restwell/internal/httpsyntax"
)

// setVary makes the Vary field name every request header the version may
// come from. own, when not nil, is a slice holding v.vary that may be
// stored in h without copying. Tokens already present (in any case, in any
// field line) are not repeated, and "Vary: *" is left alone.
func (v *Versioner) setVary(h http.Header, own []string) {
	if v.vary == "" {
		return
	}
	vals, ok := h["Vary"]
	if !ok && own != nil {
		h["Vary"] = own
		return
	}
	var missing [2]string
	n := 0
	for _, tok := range v.varyTokens {
		if !hasToken(vals, tok) {
			missing[n] = tok
			n++
		}
	}
	// Appending to a full slice copies it: the existing one may be
	// shared by whoever set it.
	vals = vals[:len(vals):len(vals)]
	switch n {
	case 0:
		return
	case len(v.varyTokens):
		h["Vary"] = append(vals, v.vary)
	default:
		h["Vary"] = append(vals, strings.Join(missing[:n], ", "))
	}
}

// hasToken reports whether the comma-separated field values vals contain
// tok, compared case-insensitively, or "*".
func hasToken(vals []string, tok string) bool {
	for _, s := range vals {
		for s != "" {
			var elem string
			if i := strings.IndexByte(s, ','); i >= 0 {
				elem, s = s[:i], s[i+1:]
			} else {
				elem, s = s, ""
			}
			elem = httpsyntax.TrimOWS(elem)
			if elem == "*" || strings.EqualFold(elem, tok) {
				return true
			}
		}
	}
	return false
}
