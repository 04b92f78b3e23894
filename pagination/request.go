package pagination

import (
	"encoding/binary"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	apierrors "github.com/restwell/restwell/errors"
)

// Request is a parsed paging request: the page size, the sort and, past the
// first page, the position to continue from. Build the database query with
// Query and the response with Pager.Page. A Request is safe for concurrent
// use by multiple goroutines once returned.
type Request struct {
	owner      any
	sort       *sortInfo
	limit      int
	values     []any
	backward   bool
	appendSort bool // the sort came from the cursor and is not the default
	bind       binding
	link       linkBase
	params     *Params
}

// Limit returns the page size.
func (r *Request) Limit() int { return r.limit }

// Sort returns the name of the sort in effect, one of Config.Sorts.
func (r *Request) Sort() string { return r.sort.name }

// Backward reports whether the request asks for the page before its
// cursor. The page's items are still in forward order.
func (r *Request) Backward() bool { return r.backward }

// Values returns the cursor row's sort-key values, tie-breaker last, or
// nil on the first page. The caller must not modify them.
func (r *Request) Values() []any { return r.values }

// Keys returns the sort in effect as ORDER BY terms, tie-breaker last.
func (r *Request) Keys() []Key { return slices.Clone(r.sort.keys) }

// Query returns the keyset query for the page: the condition, the ORDER
// BY, the number of rows to fetch (Fetch, Limit()+1) and the arguments, args
// first. Query panics if d is not one of the declared dialects.
//
// Total counts, if you want them, come from a separate COUNT(*) with your
// own filters and never the cursor condition (see Page.SetTotal).
func (r *Request) Query(d Dialect, args ...any) Query {
	q, err := Build(d, r.sort.keys, r.values, r.backward, r.limit, args...)
	if err != nil {
		// Parse validated the values against the keys, so only a bad
		// dialect gets here.
		panic(err)
	}
	return q
}

// binding is what a cursor is bound to besides its sort: the filters in
// effect, in a canonical, unambiguous byte form, and a short hash of it
// that the cursor carries to tell "other filters" from "altered".
type binding struct {
	data []byte
	tag  uint32
}

func newBinding(data []byte) binding {
	// FNV-1a, 32 bits.
	h := uint32(2166136261)
	for _, c := range data {
		h ^= uint32(c)
		h *= 16777619
	}
	return binding{data: data, tag: h}
}

// appendFilters appends the canonical form of the query filters: the
// number of names, then each name with its values in request order.
func appendFilters(b []byte, names []string, pairs []pair) []byte {
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, n := range names {
		b = appendLenBytes(b, n)
		count := 0
		for _, p := range pairs {
			if p.key == n {
				count++
			}
		}
		b = binary.AppendUvarint(b, uint64(count))
		for _, p := range pairs {
			if p.key == n {
				b = appendLenBytes(b, p.value)
			}
		}
	}
	return b
}

func appendExtra(b []byte, extra []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(extra)))
	for _, s := range extra {
		b = appendLenBytes(b, s)
	}
	return b
}

// Parse reads the paging parameters of r. filters are values that select
// the collection but are not query parameters (a path value, the caller's
// tenant): cursors are bound to them as to Config.FilterParams.
//
// A bad limit or sort, or cursor parameters that contradict each other,
// give a 400 *errors.Error with code "invalid_parameter" naming the
// parameter; a cursor that is malformed, altered, expired, or issued for
// another sort or other filters gives a 400 with code "invalid_cursor".
// Return the error from an errors.Handler, or render it with errors.Write.
// Empty parameters count as absent.
func (p *Pager[T]) Parse(r *http.Request, filters ...string) (*Request, error) {
	pairs := parseQuery(r.URL.RawQuery)
	var (
		ps                       = &p.params
		limit, cur, after, befor string
		sortName                 string
		sortGiven                bool
	)
	seen := [5]int{}
	for _, kv := range pairs {
		var dst *string
		var i int
		switch kv.key {
		case ps.Limit:
			dst, i = &limit, 0
		case ps.Cursor:
			dst, i = &cur, 1
		case ps.After:
			dst, i = &after, 2
		case ps.Before:
			dst, i = &befor, 3
		case ps.Sort:
			dst, i = &sortName, 4
		default:
			continue
		}
		if kv.value == "" {
			continue
		}
		if seen[i]++; seen[i] > 1 {
			return nil, paramError(kv.key, "must be given at most once")
		}
		*dst = kv.value
	}

	req := &Request{owner: p, limit: p.defLimit, params: ps}
	if limit != "" {
		n, ok := parseLimit(limit, p.maxLimit)
		if !ok {
			return nil, paramError(ps.Limit, p.limitDetail)
		}
		req.limit = n
	}
	switch {
	case cur != "" && after != "":
		return nil, paramError(ps.After, "cannot be combined with "+ps.Cursor)
	case befor != "" && cur != "":
		return nil, paramError(ps.Before, "cannot be combined with "+ps.Cursor)
	case befor != "" && after != "":
		return nil, paramError(ps.Before, "cannot be combined with "+ps.After)
	}
	spec := p.def
	if sortName != "" {
		if spec = p.lookupSort(sortName); spec == nil {
			return nil, paramError(ps.Sort, p.sortDetail)
		}
		sortGiven = true
	}

	var data []byte
	if p.filterParams != nil {
		data = appendFilters(data, p.filterParams, pairs)
	} else {
		var names []string
		for _, kv := range pairs {
			if !ps.isPaging(kv.key) && !slices.Contains(names, kv.key) {
				names = append(names, kv.key)
			}
		}
		slices.Sort(names)
		data = appendFilters(data, names, pairs)
	}
	req.bind = newBinding(appendExtra(data, filters))

	param, text := ps.Cursor, cur
	switch {
	case after != "":
		param, text = ps.After, after
	case befor != "":
		param, text = ps.Before, befor
	}
	if text != "" {
		c, err := p.codec.decode(text, req.bind, p.sortName)
		if err != nil {
			return nil, cursorRefusal(param, err.(*cursorError))
		}
		if sortGiven && c.Sort != spec.name {
			return nil, cursorRefusal(param, errCursorSort)
		}
		spec = p.lookupSort(c.Sort)
		if !fits(spec.keys, c.Values) {
			return nil, cursorRefusal(param, errCursorMalformed)
		}
		req.values = c.Values
		switch param {
		case ps.After:
			req.backward = false
		case ps.Before:
			req.backward = true
		default:
			req.backward = c.Backward
		}
		req.appendSort = !sortGiven && spec != p.def
	}
	req.sort = &spec.sortInfo
	req.link = newLinkBase(p.base, r, pairs, ps)
	return req, nil
}

func parseLimit(s string, max int) (int, bool) {
	if len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n >= 1 && n <= max
}

func paramError(name, detail string) *apierrors.Error {
	return &apierrors.Error{
		Status:  http.StatusBadRequest,
		Code:    "invalid_parameter",
		Message: "the " + name + " parameter " + detail,
		Fields:  []apierrors.FieldError{apierrors.QueryParam(name, detail)},
		Err:     ErrInvalidParameter,
	}
}

func cursorRefusal(name string, ce *cursorError) *apierrors.Error {
	return &apierrors.Error{
		Status:  http.StatusBadRequest,
		Code:    "invalid_cursor",
		Message: ce.msg,
		Fields:  []apierrors.FieldError{apierrors.QueryParam(name, ce.msg)},
		Err:     ce,
	}
}

// pair is one decoded query parameter.
type pair struct{ key, value string }

// parseQuery splits a raw query into decoded pairs in request order,
// dropping the pieces url.ParseQuery would reject.
func parseQuery(raw string) []pair {
	var out []pair
	for raw != "" {
		var piece string
		piece, raw, _ = strings.Cut(raw, "&")
		if piece == "" || strings.Contains(piece, ";") {
			continue
		}
		k, v, _ := strings.Cut(piece, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			continue
		}
		v, err = url.QueryUnescape(v)
		if err != nil {
			continue
		}
		out = append(out, pair{k, v})
	}
	return out
}

// EncodeCursor signs c for use outside HTTP requests (a queue, a gRPC
// service), bound to filters. c.Sort must be one of Config.Sorts and
// c.Values hold one value per key of that sort, tie-breaker last;
// c.Issued is ignored and the current time used.
func (p *Pager[T]) EncodeCursor(c Cursor, filters ...string) (string, error) {
	s := p.lookupSort(c.Sort)
	if s == nil {
		return "", fmt.Errorf("pagination: sort %q is not one of Config.Sorts", c.Sort)
	}
	if len(c.Values) != len(s.keys) {
		return "", fmt.Errorf("pagination: sort %q needs %d cursor values, got %d", c.Sort, len(s.keys), len(c.Values))
	}
	b := p.filterBinding(filters)
	return p.codec.encode(s.name, s.keys, c.Backward, c.Values, b)
}

// DecodeCursor verifies and decodes a cursor made by EncodeCursor with the
// same filters. Errors wrap ErrInvalidCursor (and ErrCursorExpired for an
// expired one).
func (p *Pager[T]) DecodeCursor(s string, filters ...string) (Cursor, error) {
	b := p.filterBinding(filters)
	c, err := p.codec.decode(s, b, p.sortName)
	if err != nil {
		return Cursor{}, err
	}
	if !fits(p.lookupSort(c.Sort).keys, c.Values) {
		return Cursor{}, errCursorMalformed
	}
	return c, nil
}

// fits reports whether cursor values suit the keys of a sort: one per key,
// and no NULL for a NotNull key. A cursor can only fail this when the
// sort's definition changed after it was issued.
func fits(keys []Key, values []any) bool {
	if len(values) != len(keys) {
		return false
	}
	for i, k := range keys {
		if k.Nulls == NotNull && values[i] == nil {
			return false
		}
	}
	return true
}

// filterBinding binds to filters alone, as Parse does for a request
// without filter parameters.
func (p *Pager[T]) filterBinding(filters []string) binding {
	if len(filters) == 0 {
		return p.noFilters
	}
	return newBinding(appendExtra(appendFilters(nil, nil, nil), filters))
}
