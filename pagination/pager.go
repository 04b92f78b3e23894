package pagination

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Column is a column clients may sort on, or the tie-breaker.
type Column[T any] struct {
	// Name is what clients write in the sort parameter ("price" or
	// "-price"). Required: letters, digits, '_' and '.' only.
	Name string
	// Expr is the SQL expression to sort on, such as "i.price" or
	// "lower(name)". Empty means Name. It is written into the SQL as it
	// is.
	Expr string
	// Nulls says whether the column can be NULL and where NULL rows go.
	// The zero value, NotNull, is for NOT NULL columns; a nullable column
	// declared NotNull makes Pager.Page fail when a NULL reaches a cursor.
	Nulls Nulls
	// Value returns the column's value in an item, as the item was read
	// from the database: nil (or a nil pointer) for NULL, else a string,
	// []byte, bool, integer, float, time.Time, a pointer to one of them,
	// or a driver.Valuer such as sql.NullString. Required.
	Value func(T) any
}

// Params names the query parameters a Pager reads. Each empty field takes
// the default shown next to it.
type Params struct {
	Limit  string // "limit": page size
	Cursor string // "cursor": a cursor from next_cursor or prev_cursor; it knows its direction
	After  string // "after": a cursor; the page after its row
	Before string // "before": a cursor; the page before its row
	Sort   string // "sort": one of Config.Sorts
}

// Config configures a Pager for items of type T.
type Config[T any] struct {
	// Keys are the secrets that sign cursors, each at least 32 bytes and
	// the same on every instance of the service. The first signs; all
	// verify, so to rotate, put the new key first and keep the old one
	// second until the cursors it signed have expired (MaxAge). Required:
	// New returns an error without one.
	Keys [][]byte

	// ID is the unique, NOT NULL tie-breaker that ends every sort, usually
	// the primary key. Name defaults to "id"; Value is required. Without a
	// unique last key, rows with equal sort values are skipped or
	// repeated between pages.
	ID Column[T]

	// Columns are the other columns that Sorts may use.
	Columns []Column[T]

	// Sorts are the values the sort parameter accepts. Each is a comma
	// separated list of column names, each optionally prefixed with '-'
	// for descending: "created_at", "-created_at", "-price,name". The
	// tie-breaker ID is appended to each in the direction of its last
	// column (so "-created_at" orders by created_at DESC, id DESC). Nil
	// means the single sort ID.Name.
	Sorts []string

	// DefaultSort is the sort used when the request names none. Empty
	// means Sorts[0]; it must be one of Sorts.
	DefaultSort string

	// DefaultLimit is the page size without a limit parameter. Zero means
	// 20.
	DefaultLimit int

	// MaxLimit is the largest limit accepted; a larger one is a 400. Zero
	// means 100.
	MaxLimit int

	// MaxAge is how long a cursor stays valid after it was issued. Zero
	// means 24 hours; negative means cursors never expire.
	MaxAge time.Duration

	// MaxCursorLen is the longest cursor accepted, in characters; a
	// longer one is a 400 without further work. Zero means 2048. Sorting
	// on long text values needs more.
	MaxCursorLen int

	// Params names the query parameters. Zero fields take the defaults.
	Params Params

	// FilterParams lists the query parameters that select which items the
	// collection holds ("status", "q"). A cursor is bound to their values:
	// used with other values it is a 400. Nil means every query parameter
	// except the paging ones, which is the safe choice; an empty, non-nil
	// slice binds none (for clients that add cache-busting parameters, for
	// example). Filters that do not come from the query, such as a path
	// value or the caller's tenant, are passed to Parse.
	FilterParams []string

	// BaseURL, such as "https://api.example.com", makes the links in pages
	// absolute: BaseURL followed by the request's path and query. It must
	// be an http or https origin without a path. Empty means links
	// relative to the host ("/items?cursor=...").
	BaseURL string

	// Now returns the current time, for issuing and expiring cursors. Nil
	// means time.Now.
	Now func() time.Time
}

// A Pager parses paging requests, writes keyset queries and builds pages
// for one collection of items of type T. It is safe for concurrent use by
// multiple goroutines.
type Pager[T any] struct {
	codec        *codec
	sorts        []*sortSpec[T]
	def          *sortSpec[T]
	params       Params
	defLimit     int
	maxLimit     int
	filterParams []string // sorted; nil means all
	base         string
	sortDetail   string
	limitDetail  string
	noFilters    binding
}

// sortInfo is what a Request needs of a sort.
type sortInfo struct {
	name string
	keys []Key
	idx  int
}

type sortSpec[T any] struct {
	sortInfo
	vals []func(T) any
}

// ErrInvalidParameter is the cause (errors.Is) of a refused limit, sort or
// combination of cursor parameters.
var ErrInvalidParameter = errors.New("pagination: invalid parameter")

const minKeyLen = 32

// New returns a Pager, or an error prefixed "pagination: " if cfg is
// invalid.
func New[T any](cfg Config[T]) (*Pager[T], error) {
	if len(cfg.Keys) == 0 {
		return nil, errors.New("pagination: Config.Keys needs at least one signing key")
	}
	for i, k := range cfg.Keys {
		if len(k) < minKeyLen {
			return nil, fmt.Errorf("pagination: Config.Keys[%d] is %d bytes; use at least %d random bytes", i, len(k), minKeyLen)
		}
	}
	p := &Pager[T]{defLimit: cfg.DefaultLimit, maxLimit: cfg.MaxLimit}
	if p.maxLimit == 0 {
		p.maxLimit = 100
	}
	if p.defLimit == 0 {
		p.defLimit = min(20, p.maxLimit)
	}
	if p.maxLimit < 1 || p.defLimit < 1 || p.defLimit > p.maxLimit {
		return nil, fmt.Errorf("pagination: need 1 <= DefaultLimit (%d) <= MaxLimit (%d)", p.defLimit, p.maxLimit)
	}
	maxAge := cfg.MaxAge
	if maxAge == 0 {
		maxAge = 24 * time.Hour
	}
	maxLen := cfg.MaxCursorLen
	if maxLen == 0 {
		maxLen = 2048
	}
	if maxLen < 64 {
		return nil, fmt.Errorf("pagination: MaxCursorLen %d is too small for any cursor", maxLen)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	p.codec = newCodec(cfg.Keys, maxAge, maxLen, now)

	var err error
	if p.params, err = cfg.Params.resolve(); err != nil {
		return nil, err
	}
	if cfg.FilterParams != nil {
		p.filterParams = append(make([]string, 0, len(cfg.FilterParams)), sortedUnique(cfg.FilterParams)...)
		for _, f := range p.filterParams {
			if p.params.isPaging(f) {
				return nil, fmt.Errorf("pagination: FilterParams names the paging parameter %q", f)
			}
		}
	}
	if p.base, err = baseURL(cfg.BaseURL); err != nil {
		return nil, err
	}
	if err := p.buildSorts(cfg); err != nil {
		return nil, err
	}
	p.noFilters = newBinding(appendExtra(appendFilters(nil, nil, nil), nil))
	p.limitDetail = fmt.Sprintf("must be an integer from 1 to %d", p.maxLimit)
	return p, nil
}

func (p *Pager[T]) buildSorts(cfg Config[T]) error {
	id := cfg.ID
	if id.Name == "" {
		id.Name = "id"
	}
	if id.Value == nil {
		return errors.New("pagination: Config.ID.Value is required")
	}
	if id.Nulls != NotNull {
		return errors.New("pagination: the tie-breaker Config.ID must be NotNull")
	}
	cols := map[string]Column[T]{}
	for _, c := range append([]Column[T]{id}, cfg.Columns...) {
		if !validName(c.Name) {
			return fmt.Errorf("pagination: column name %q: use letters, digits, '_' and '.'", c.Name)
		}
		if _, dup := cols[c.Name]; dup {
			return fmt.Errorf("pagination: column %q declared twice", c.Name)
		}
		if c.Value == nil {
			return fmt.Errorf("pagination: column %q has no Value", c.Name)
		}
		if c.Nulls > NullsLast {
			return fmt.Errorf("pagination: column %q has an unknown Nulls value", c.Name)
		}
		if c.Expr == "" {
			c.Expr = c.Name
		}
		cols[c.Name] = c
	}
	sorts := cfg.Sorts
	if sorts == nil {
		sorts = []string{id.Name}
	}
	if len(sorts) == 0 {
		return errors.New("pagination: Config.Sorts is empty")
	}
	seen := map[string]bool{}
	for i, name := range sorts {
		if seen[name] {
			return fmt.Errorf("pagination: sort %q listed twice", name)
		}
		seen[name] = true
		s := &sortSpec[T]{sortInfo: sortInfo{name: name, idx: i}}
		used := map[string]bool{}
		hasID := false
		for _, term := range strings.Split(name, ",") {
			desc := strings.HasPrefix(term, "-")
			colName := strings.TrimPrefix(term, "-")
			c, ok := cols[colName]
			if !ok {
				return fmt.Errorf("pagination: sort %q uses %q, which is not a declared column", name, colName)
			}
			if used[colName] {
				return fmt.Errorf("pagination: sort %q uses %q twice", name, colName)
			}
			used[colName] = true
			s.keys = append(s.keys, Key{Expr: c.Expr, Desc: desc, Nulls: c.Nulls})
			s.vals = append(s.vals, c.Value)
			if colName == id.Name {
				hasID = true
				break // the rest could never break a tie
			}
		}
		if !hasID {
			last := s.keys[len(s.keys)-1]
			s.keys = append(s.keys, Key{Expr: cols[id.Name].Expr, Desc: last.Desc})
			s.vals = append(s.vals, id.Value)
		}
		p.sorts = append(p.sorts, s)
	}
	p.def = p.sorts[0]
	if cfg.DefaultSort != "" {
		p.def = p.lookupSort(cfg.DefaultSort)
		if p.def == nil {
			return fmt.Errorf("pagination: DefaultSort %q is not one of Sorts", cfg.DefaultSort)
		}
	}
	p.sortDetail = "must be one of: " + strings.Join(sorts, ", ")
	return nil
}

func (p *Pager[T]) lookupSort(name string) *sortSpec[T] {
	for _, s := range p.sorts {
		if s.name == name {
			return s
		}
	}
	return nil
}

// sortName resolves the sort name a cursor carries without allocating.
func (p *Pager[T]) sortName(b []byte) (string, bool) {
	for _, s := range p.sorts {
		if s.name == string(b) {
			return s.name, true
		}
	}
	return "", false
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func (ps Params) resolve() (Params, error) {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&ps.Limit, "limit")
	def(&ps.Cursor, "cursor")
	def(&ps.After, "after")
	def(&ps.Before, "before")
	def(&ps.Sort, "sort")
	names := []string{ps.Limit, ps.Cursor, ps.After, ps.Before, ps.Sort}
	for i, n := range names {
		if err := checkParamName(n); err != nil {
			return ps, err
		}
		for _, m := range names[:i] {
			if m == n {
				return ps, fmt.Errorf("pagination: parameter name %q used twice", n)
			}
		}
	}
	return ps, nil
}

// checkParamName accepts any printable name; links escape it.
func checkParamName(n string) error {
	if n == "" || !utf8.ValidString(n) || strings.IndexFunc(n, unicode.IsControl) >= 0 {
		return fmt.Errorf("pagination: parameter name %q must be printable text", n)
	}
	return nil
}

func (ps Params) isPaging(name string) bool {
	return name == ps.Limit || name == ps.Cursor || name == ps.After || name == ps.Before || name == ps.Sort
}

func baseURL(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", fmt.Errorf("pagination: BaseURL %q must be an http or https origin such as https://api.example.com", s)
	}
	return u.Scheme + "://" + u.Host, nil
}

func sortedUnique(in []string) []string {
	return slices.Compact(slices.Sorted(slices.Values(in)))
}
