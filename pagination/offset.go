package pagination

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// OffsetConfig configures an Offset pager.
type OffsetConfig struct {
	// PageParam names the page number parameter, counted from 1. Empty
	// means "page".
	PageParam string
	// SizeParam names the page size parameter. Empty means "size".
	SizeParam string
	// DefaultSize is the page size without a size parameter. Zero means
	// 20.
	DefaultSize int
	// MaxSize is the largest size accepted. Zero means 100.
	MaxSize int
	// MaxOffset bounds (page-1)*size, since the database reads and drops
	// every skipped row: a larger offset is a 400. Zero means 10000;
	// negative means no bound.
	MaxOffset int
	// BaseURL makes links absolute, as Config.BaseURL.
	BaseURL string
}

// Offset parses page/size requests and builds pages in the same shape as
// keyset pages. Use it only for small collections that rarely change
// (countries, a user's few saved searches): when rows are inserted or
// deleted between two requests, offset paging skips or repeats rows, and
// every page costs the database all the rows before it. Use a Pager for
// anything else. An Offset is safe for concurrent use by multiple
// goroutines.
type Offset struct {
	pageParam, sizeParam string
	defSize, maxSize     int
	maxOffset            int
	base                 string
	sizeDetail           string
}

// NewOffset returns an Offset pager, or an error prefixed "pagination: "
// if cfg is invalid.
func NewOffset(cfg OffsetConfig) (*Offset, error) {
	o := &Offset{pageParam: cfg.PageParam, sizeParam: cfg.SizeParam, defSize: cfg.DefaultSize, maxSize: cfg.MaxSize, maxOffset: cfg.MaxOffset}
	if o.pageParam == "" {
		o.pageParam = "page"
	}
	if o.sizeParam == "" {
		o.sizeParam = "size"
	}
	for _, n := range []string{o.pageParam, o.sizeParam} {
		if err := checkParamName(n); err != nil {
			return nil, err
		}
	}
	if o.pageParam == o.sizeParam {
		return nil, fmt.Errorf("pagination: PageParam and SizeParam are both %q", o.pageParam)
	}
	if o.maxSize == 0 {
		o.maxSize = 100
	}
	if o.defSize == 0 {
		o.defSize = min(20, o.maxSize)
	}
	if o.maxSize < 1 || o.defSize < 1 || o.defSize > o.maxSize {
		return nil, fmt.Errorf("pagination: need 1 <= DefaultSize (%d) <= MaxSize (%d)", o.defSize, o.maxSize)
	}
	if o.maxOffset == 0 {
		o.maxOffset = 10000
	}
	var err error
	if o.base, err = baseURL(cfg.BaseURL); err != nil {
		return nil, err
	}
	o.sizeDetail = fmt.Sprintf("must be an integer from 1 to %d", o.maxSize)
	return o, nil
}

// OffsetRequest is a parsed page/size request. It is safe for concurrent
// use by multiple goroutines once returned.
type OffsetRequest struct {
	page, size int
	pageParam  string
	link       linkBase
}

// Page returns the page number, from 1.
func (r *OffsetRequest) Page() int { return r.page }

// Size returns the page size.
func (r *OffsetRequest) Size() int { return r.size }

// Offset returns the number of rows to skip, (Page()-1)*Size().
func (r *OffsetRequest) Offset() int { return (r.page - 1) * r.size }

// Fetch returns the number of rows to fetch, Size()+1, so that OffsetPage
// can tell whether another page follows. It is the query's LIMIT.
func (r *OffsetRequest) Fetch() int { return r.size + 1 }

// Tail returns " LIMIT " Fetch() " OFFSET " Offset(), integers the Offset
// pager has bounded. Put a complete ORDER BY, ending with a unique column,
// before it: without one, rows may move between pages.
func (r *OffsetRequest) Tail() string {
	return " LIMIT " + strconv.Itoa(r.Fetch()) + " OFFSET " + strconv.Itoa(r.Offset())
}

// Parse reads the page and size parameters of r. A value that is not an
// integer in range gives a 400 *errors.Error with code
// "invalid_parameter" naming the parameter. Empty parameters count as
// absent.
func (o *Offset) Parse(r *http.Request) (*OffsetRequest, error) {
	pairs := parseQuery(r.URL.RawQuery)
	req := &OffsetRequest{page: 1, size: o.defSize, pageParam: o.pageParam}
	var pageSeen, sizeSeen bool
	for _, kv := range pairs {
		if kv.value == "" || (kv.key != o.pageParam && kv.key != o.sizeParam) {
			continue
		}
		if kv.key == o.pageParam {
			if pageSeen {
				return nil, paramError(kv.key, "must be given at most once")
			}
			pageSeen = true
			n, ok := parseLimit(kv.value, 1<<30)
			if !ok {
				return nil, paramError(kv.key, "must be a positive integer")
			}
			req.page = n
			continue
		}
		if sizeSeen {
			return nil, paramError(kv.key, "must be given at most once")
		}
		sizeSeen = true
		n, ok := parseLimit(kv.value, o.maxSize)
		if !ok {
			return nil, paramError(kv.key, o.sizeDetail)
		}
		req.size = n
	}
	if o.maxOffset > 0 && int64(req.page-1)*int64(req.size) > int64(o.maxOffset) {
		return nil, paramError(o.pageParam, fmt.Sprintf("is too large: at most %d items can be skipped", o.maxOffset))
	}
	req.link = linkBase{base: o.base, path: requestPath(r), all: pairs}
	for _, kv := range pairs {
		if kv.key != o.pageParam {
			req.link.pairs = append(req.link.pairs, kv)
		}
	}
	return req, nil
}

// OffsetPage builds the response page for req from items, the rows fetched
// with req.Fetch() and req.Offset(): it keeps the first Size() and makes
// the links. Call SetTotal if you counted the collection, to add the last
// link.
func OffsetPage[T any](req *OffsetRequest, items []T) *Page[T] {
	more := len(items) > req.size
	if more {
		items = items[:req.size]
	}
	if items == nil {
		items = []T{}
	}
	pg := &Page[T]{Items: items, Meta: Meta{Size: req.size, Page: req.page, HasNext: more, HasPrev: req.page > 1}, offset: req}
	pg.Links.Self = req.link.self()
	if more {
		pg.Links.Next = req.link.buildPage(req, req.page+1)
	}
	if req.page > 1 {
		pg.Links.Prev = req.link.buildPage(req, req.page-1)
	}
	if more || req.page > 1 {
		pg.Links.First = req.link.buildPage(req, 1)
	}
	return pg
}

// buildPage returns the link to page n; page 1 has no page parameter.
func (lb *linkBase) buildPage(req *OffsetRequest, n int) string {
	var sb strings.Builder
	lb.start(&sb)
	first := true
	for _, kv := range lb.pairs {
		writePair(&sb, &first, kv.key, kv.value)
	}
	if n > 1 {
		writePair(&sb, &first, req.pageParam, strconv.Itoa(n))
	}
	return sb.String()
}
