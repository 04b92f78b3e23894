package convert

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Change is one backwards-incompatible change to the API, declared so that
// handlers only ever deal with the newest version: for a client of an
// older version, each change between its version and the newest one
// upgrades the request body before the handler reads it and downgrades the
// response body after the handler wrote it (Stripe's and Cadwyn's
// approach).
//
// A change converts JSON only: request bodies whose Content-Type is
// application/json or application/*+json, and 2xx responses (other than
// 204, 205 and 206) with such a Content-Type. Error responses, including
// application/problem+json, are left as they are: the error format is the
// same in every version. Bodies are decoded with encoding/json (numbers
// kept exactly, as json.Number) and encoded again with json.Marshal, so
// member order and insignificant whitespace may change; members no edit
// touches are kept.
//
// Conversions run in order: for a client on version 1 of 1, 2, 3, a
// request is upgraded by the changes of version 2 then those of version 3
// (each version's changes in the order given), and a response is
// downgraded in exactly the reverse order.
type Change struct {
	// Version is the version that introduced the change: clients of any
	// older version get it converted. Required; it must be a registered
	// version other than the oldest.
	Version string
	// Description says what changed, in one line for the changelog.
	// Required.
	Description string
	// Match limits the change to some requests, by method and path as the
	// next handler sees them (after PathMode). Nil means every request.
	Match func(r *http.Request) bool
	// At lists where in a body the objects the Edits apply to are, as
	// JSON Pointers in which "*" stands for every element of an array or
	// every member of an object: "" is the body itself, "/items/*" each
	// element of its items, "/customer" a nested object. A pointer that
	// reaches an array applies to each object in it.
	//
	// Nil means the resource wherever the module puts it: each element of
	// items in a page ({"items": [...], "meta": {...}, ...}), each element
	// of a body that is an array, or else the body object itself.
	At []string
	// Edits change each selected object: their Up functions in order
	// when upgrading a request, their Down functions in reverse order when
	// downgrading a response.
	Edits []Edit
	// Request, when set, upgrades a whole request body after the Edits,
	// and returns the new body. Return an *errors.Error to refuse the
	// request with a client error; any other error is a 500.
	Request func(body any) (any, error)
	// Response, when set, downgrades a whole response body before the
	// Edits, and returns the new body. An error is a 500.
	Response func(body any) (any, error)
}

// change is a Change compiled by New.
type change struct {
	Change
	ver  int        // the index of Version
	at   [][]string // decoded selectors; nil means the resource
	up   bool       // the change converts requests
	down bool       // the change converts responses
}

func (c *Converter) compileChanges(cs []Change) error {
	for i, ch := range cs {
		ver, ok := c.index[ch.Version]
		switch {
		case !ok:
			return errors.New("change " + itoa(i) + ": unknown version " + quote(ch.Version))
		case ver == 0:
			return errors.New("change " + itoa(i) + ": version " + ch.Version + " is the oldest; a change converts to an older version")
		case strings.TrimSpace(ch.Description) == "" || strings.ContainsAny(ch.Description, "\r\n"):
			return errors.New("change " + itoa(i) + ": the description must be one non-empty line")
		case len(ch.Edits) == 0 && ch.Request == nil && ch.Response == nil:
			return errors.New("change " + itoa(i) + ": no edits and no conversion functions")
		}
		cc := &change{Change: ch, ver: ver, up: ch.Request != nil, down: ch.Response != nil}
		for j, e := range ch.Edits {
			if e.err != nil {
				return errors.New("change " + itoa(i) + ": edit " + itoa(j) + ": " + e.err.Error())
			}
			if e.Up == nil && e.Down == nil {
				return errors.New("change " + itoa(i) + ": edit " + itoa(j) + " has neither Up nor Down")
			}
			cc.up = cc.up || e.Up != nil
			cc.down = cc.down || e.Down != nil
		}
		if ch.At != nil {
			cc.at = make([][]string, len(ch.At))
			for j, p := range ch.At {
				toks, ok := parseSelector(p)
				if !ok {
					return errors.New("change " + itoa(i) + ": invalid At pointer " + quote(p))
				}
				cc.at[j] = toks
			}
		}
		cc.Edits = slices.Clone(ch.Edits)
		c.changes = append(c.changes, cc)
	}
	slices.SortStableFunc(c.changes, func(a, b *change) int { return a.ver - b.ver })
	c.first = make([]int, len(c.names))
	for ver := range c.names {
		c.first[ver] = len(c.changes)
		for i, ch := range c.changes {
			if ch.ver > ver {
				c.first[ver] = i
				break
			}
		}
	}
	return nil
}

// parseSelector decodes a JSON Pointer with "*" wildcards into tokens.
func parseSelector(p string) ([]string, bool) {
	if p == "" {
		return []string{}, true
	}
	toks, ok := parsePointer(p)
	return toks, ok
}

// parsePointer decodes a non-empty JSON Pointer (RFC 6901) into its
// reference tokens.
func parsePointer(p string) ([]string, bool) {
	if p == "" || p[0] != '/' {
		return nil, false
	}
	parts := strings.Split(p[1:], "/")
	for i, t := range parts {
		if !strings.Contains(t, "~") {
			continue
		}
		var b strings.Builder
		for k := 0; k < len(t); k++ {
			if t[k] != '~' {
				b.WriteByte(t[k])
				continue
			}
			if k+1 >= len(t) || t[k+1] != '0' && t[k+1] != '1' {
				return nil, false
			}
			if t[k+1] == '0' {
				b.WriteByte('~')
			} else {
				b.WriteByte('/')
			}
			k++
		}
		parts[i] = b.String()
	}
	return parts, true
}

// upNeeded reports whether a request of the version of index i must be
// upgraded.
func (c *Converter) upNeeded(i int, r *http.Request) bool {
	for _, ch := range c.changes[c.first[i]:] {
		if ch.up && (ch.Match == nil || ch.Match(r)) {
			return true
		}
	}
	return false
}

// downNeeded reports whether a response of the version of index i must
// be downgraded.
func (c *Converter) downNeeded(i int, r *http.Request) bool {
	for _, ch := range c.changes[c.first[i]:] {
		if ch.down && (ch.Match == nil || ch.Match(r)) {
			return true
		}
	}
	return false
}

// quote returns s quoted for an error message, clipped.
func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return `"` + s + `"`
}

func itoa(i int) string { return strconv.Itoa(i) }
