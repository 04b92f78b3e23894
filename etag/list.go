package etag

import (
	"iter"

	"github.com/restwell/restwell/internal/httpsyntax"
)

// Members yields the members of an If-Match or If-None-Match field, given
// all its lines (r.Header["If-Match"]): each valid entity tag in wire form,
// and "*". Repeated lines are read as one comma-separated list. Empty list
// elements are skipped, and so is an invalid member: the list resumes after
// the first comma at or after the start of that member, so `junk, "v1"`
// yields `"v1"`. A valid tag may itself contain commas (`"a,b"`).
//
// Members allocates nothing when ranged over directly.
func Members(lines []string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, line := range lines {
			for s := line; s != ""; {
				var m string
				m, s = next(s)
				if m != "" && !yield(m) {
					return
				}
			}
		}
	}
}

// next reads one list element from the start of s. It returns the member,
// "*", or "" for an empty or invalid element, and the rest of the list
// after the element's comma.
func next(s string) (member, rest string) {
	i := skipOWS(s, 0)
	if i == len(s) {
		return "", ""
	}
	switch s[i] {
	case ',':
		return "", s[i+1:]
	case '*':
		if j := skipOWS(s, i+1); j == len(s) {
			return s[i : i+1], ""
		} else if s[j] == ',' {
			return s[i : i+1], s[j+1:]
		}
	default:
		j := i
		if j+1 < len(s) && s[j] == 'W' && s[j+1] == '/' {
			j += 2
		}
		if j < len(s) && s[j] == '"' {
			j++
			for j < len(s) && etagc(s[j]) {
				j++
			}
			if j < len(s) && s[j] == '"' {
				end := j + 1
				if k := skipOWS(s, end); k == len(s) {
					return s[i:end], ""
				} else if s[k] == ',' {
					return s[i:end], s[k+1:]
				}
			}
		}
	}
	// Invalid: resume after the first comma at or after the member.
	for j := i; j < len(s); j++ {
		if s[j] == ',' {
			return "", s[j+1:]
		}
	}
	return "", ""
}

func skipOWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// present reports whether a field with these lines is present: at least
// one line holds something other than whitespace. A field sent empty is
// treated as absent.
func present(lines []string) bool {
	for _, l := range lines {
		if skipOWS(l, 0) < len(l) {
			return true
		}
	}
	return false
}

// single returns the only line of a field that must not be a list, with
// surrounding whitespace removed; ok is false when the field is absent or
// has more than one non-empty line.
func single(lines []string) (v string, ok bool) {
	n := 0
	for _, l := range lines {
		if t := httpsyntax.TrimOWS(l); t != "" {
			v = t
			n++
		}
	}
	return v, n == 1
}
