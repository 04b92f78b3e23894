package pagination

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Page is one page of a collection, ready to send. It serialises to
//
//	{"items": [...],
//	 "meta": {"size": 20, "has_next": true, "has_prev": true,
//	          "next_cursor": "...", "prev_cursor": "..."},
//	 "links": {"self": "...", "first": "...", "prev": "...", "next": "..."}}
//
// and Write also sends the RFC 8288 Link header. A Page is not safe for
// concurrent modification.
type Page[T any] struct {
	// Items are the page's items, in the order of the sort, also for a
	// page fetched backward. Never nil, so it serialises as [].
	Items []T   `json:"items"`
	Meta  Meta  `json:"meta"`
	Links Links `json:"links"`

	offset *OffsetRequest // set on offset pages, for SetTotal's last link
}

// Meta describes a page.
type Meta struct {
	// Size is the page size in effect: the limit (or size) asked for, or
	// the default. The last page may hold fewer items.
	Size int `json:"size"`
	// HasNext reports whether a page follows; NextCursor and Links.Next
	// are set exactly when it does.
	HasNext bool `json:"has_next"`
	// HasPrev reports whether a page precedes; PrevCursor (keyset) and
	// Links.Prev are set exactly when it does. On keyset pages reached
	// forward it is assumed true, since the client came from there.
	HasPrev bool `json:"has_prev"`
	// NextCursor continues after the page's last item, sent as the
	// cursor (or after) parameter.
	NextCursor string `json:"next_cursor,omitempty"`
	// PrevCursor continues before the page's first item, sent as the
	// cursor (or before) parameter.
	PrevCursor string `json:"prev_cursor,omitempty"`
	// Page is the page number of an offset page, from 1; 0 and absent on
	// keyset pages.
	Page int `json:"page,omitempty"`
	// Total is the number of items in the whole collection, when the
	// handler counted them (see SetTotal).
	Total *int64 `json:"total,omitempty"`
}

// Links are the page's links, relative ("/items?limit=20&cursor=...") or
// absolute with Config.BaseURL, keeping every other query parameter of the
// request.
type Links struct {
	// Self is the request as made.
	Self string `json:"self"`
	// First is the first page; set whenever Next or Prev is, or the
	// request carried a cursor.
	First string `json:"first,omitempty"`
	Prev  string `json:"prev,omitempty"`
	Next  string `json:"next,omitempty"`
	// Last is the last page of an offset collection whose total is known.
	// Keyset pages have none.
	Last string `json:"last,omitempty"`
}

// Page builds the response page for req from items, the rows fetched with
// req.Query: up to Query.Fetch of them, in the order the query returned.
// It keeps the first Limit() (the one more only tells that another page
// follows), puts a backward page back in forward order, and makes the
// cursors and links. Page reorders items in place.
//
// Page fails only on a programming error: a request from another Pager, a
// sort-key Value of an unsupported type, a NULL in a NotNull column, or a
// cursor longer than Config.MaxCursorLen.
func (p *Pager[T]) Page(req *Request, items []T) (*Page[T], error) {
	if req == nil || req.owner != any(p) {
		return nil, errors.New("pagination: the Request was not parsed by this Pager")
	}
	more := len(items) > req.limit
	if more {
		items = items[:req.limit]
	}
	if req.backward {
		slices.Reverse(items)
	}
	if items == nil {
		items = []T{}
	}
	pg := &Page[T]{Items: items, Meta: Meta{Size: req.limit}}
	spec := p.sorts[req.sort.idx]
	var nextFrom, prevFrom *T
	if req.backward {
		if more {
			prevFrom = &items[0]
		}
		if len(items) > 0 {
			nextFrom = &items[len(items)-1]
		}
	} else {
		if more {
			nextFrom = &items[len(items)-1]
		}
		if req.values != nil && len(items) > 0 {
			prevFrom = &items[0]
		}
	}
	var err error
	if nextFrom != nil {
		if pg.Meta.NextCursor, err = p.cursorFor(spec, req, *nextFrom, false); err != nil {
			return nil, err
		}
		pg.Meta.HasNext = true
		pg.Links.Next = req.link.build(req.params.Cursor, pg.Meta.NextCursor, req)
	}
	if prevFrom != nil {
		if pg.Meta.PrevCursor, err = p.cursorFor(spec, req, *prevFrom, true); err != nil {
			return nil, err
		}
		pg.Meta.HasPrev = true
		pg.Links.Prev = req.link.build(req.params.Before, pg.Meta.PrevCursor, req)
	}
	pg.Links.Self = req.link.self()
	if pg.Meta.HasNext || pg.Meta.HasPrev || req.values != nil {
		pg.Links.First = req.link.build("", "", req)
	}
	return pg, nil
}

func (p *Pager[T]) cursorFor(spec *sortSpec[T], req *Request, item T, backward bool) (string, error) {
	vals := make([]any, len(spec.vals))
	for i, f := range spec.vals {
		vals[i] = f(item)
	}
	return p.codec.encode(spec.name, spec.keys, backward, vals, req.bind)
}

// SetTotal records the size of the whole collection in meta.total and, on
// an offset page, adds the last link. Count with your filters but never
// with the keyset condition (Query.Cond): the total is the collection's,
// not what lies after the cursor. Counting is expensive on large tables;
// leave it out unless clients need it.
func (pg *Page[T]) SetTotal(n int64) {
	pg.Meta.Total = &n
	if o := pg.offset; o != nil {
		last := 1
		if n > 0 {
			last = int((n + int64(o.size) - 1) / int64(o.size))
		}
		if last > 1 || o.page > 1 {
			pg.Links.Last = o.link.buildPage(o, last)
			if pg.Links.First == "" {
				pg.Links.First = o.link.buildPage(o, 1)
			}
		}
	}
}

// LinkHeader returns the value of the RFC 8288 Link header field for the
// page, `<...>; rel="next", <...>; rel="prev", <...>; rel="first"` (and
// rel="last" on an offset page whose total is known), or "" when the whole
// collection fits on this page.
func (pg *Page[T]) LinkHeader() string {
	var sb strings.Builder
	add := func(uri, rel string) {
		if uri == "" {
			return
		}
		if sb.Len() > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('<')
		sb.WriteString(uri)
		sb.WriteString(`>; rel="`)
		sb.WriteString(rel)
		sb.WriteByte('"')
	}
	if pg.Links.Next == "" && pg.Links.Prev == "" && pg.Links.First == "" && pg.Links.Last == "" {
		return ""
	}
	add(pg.Links.Next, "next")
	add(pg.Links.Prev, "prev")
	add(pg.Links.First, "first")
	add(pg.Links.Last, "last")
	return sb.String()
}

// SetLinkHeader adds the page's Link header value to h, after any Link
// values already there (deprecation links, for example); it never
// replaces them. It adds nothing when the whole collection fits on this
// page.
func (pg *Page[T]) SetLinkHeader(h http.Header) {
	if v := pg.LinkHeader(); v != "" {
		h.Add("Link", v)
	}
}

// Write sends the page as a 200 application/json response with its Link
// header. An error from encoding an item is returned before anything is
// written, so an errors.Handler can still answer 500.
func (pg *Page[T]) Write(w http.ResponseWriter) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep the & in links readable
	if err := enc.Encode(pg); err != nil {
		return err
	}
	h := w.Header()
	pg.SetLinkHeader(h)
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(buf.Bytes())
	return err
}

// linkBase is what links are built from: the request's path and query.
type linkBase struct {
	base  string // scheme://host or ""
	path  string // escaped
	all   []pair // the whole query
	pairs []pair // the query without cursor parameters
}

func newLinkBase(base string, r *http.Request, all []pair, ps *Params) linkBase {
	lb := linkBase{base: base, path: requestPath(r), all: all}
	for _, kv := range all {
		if kv.key != ps.Cursor && kv.key != ps.After && kv.key != ps.Before {
			lb.pairs = append(lb.pairs, kv)
		}
	}
	return lb
}

// requestPath returns the path the client asked for, escaped: taken from
// the request line, so that links stay right behind http.StripPrefix.
func requestPath(r *http.Request) string {
	p := ""
	if r.RequestURI != "" && r.RequestURI != "*" {
		if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
			p = u.EscapedPath()
		}
	}
	if p == "" {
		p = r.URL.EscapedPath()
	}
	// "//host/x" would be a link to another host.
	for strings.HasPrefix(p, "//") {
		p = p[1:]
	}
	if p == "" {
		p = "/"
	}
	return p
}

func (lb *linkBase) start(sb *strings.Builder) {
	sb.WriteString(lb.base)
	sb.WriteString(lb.path)
}

func writePair(sb *strings.Builder, first *bool, k, v string) {
	if *first {
		sb.WriteByte('?')
		*first = false
	} else {
		sb.WriteByte('&')
	}
	sb.WriteString(url.QueryEscape(k))
	sb.WriteByte('=')
	sb.WriteString(url.QueryEscape(v))
}

func (lb *linkBase) self() string {
	var sb strings.Builder
	lb.start(&sb)
	first := true
	for _, kv := range lb.all {
		writePair(&sb, &first, kv.key, kv.value)
	}
	return sb.String()
}

// build returns the link with the cursor parameters replaced by key=value
// (none if key is empty).
func (lb *linkBase) build(key, value string, req *Request) string {
	var sb strings.Builder
	lb.start(&sb)
	first := true
	for _, kv := range lb.pairs {
		writePair(&sb, &first, kv.key, kv.value)
	}
	if req.appendSort {
		writePair(&sb, &first, req.params.Sort, req.sort.name)
	}
	if key != "" {
		writePair(&sb, &first, key, value)
	}
	return sb.String()
}
